/*
 * main.c — the `ember` command: dispatches to the subcommands (sql, slt,
 * gen) and answers --version and help.
 */
#include "cli/cli.h"

#include <string.h>

void em_cli_usage(FILE *f)
{
    fputs("usage: ember <command> [options]\n"
          "\n"
          "commands:\n"
          "  sql [options] [-e SQL | -f FILE]   run SQL (interactive shell on a terminal)\n"
          "  slt [options] FILE...              run sqllogictest files\n"
          "  gen fraud --rows N [options]       generate the fraud-detection data set\n"
          "  gen tpch --sf N --out DIR [...]    generate the eight TPC-H tables (csv|parquet)\n"
          "  submit [options] JOB.sql           run a SQL job (e.g. --master ember://host:7077)\n"
          "  executor --driver H:P ...          an executor process (started by workers)\n"
          "  master [options]                   run a standalone cluster master\n"
          "  worker --master ember://H:P ...    run a worker that offers cores to the master\n"
          "  status --master ember://H:P        show the cluster's workers, apps and executors\n"
          "  help                               show this help\n"
          "  --version                          print the version\n"
          "\n"
          "Run `ember <command> --help` for a command's options.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        em_cli_usage(stderr);
        return EM_CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "sql") == 0) return em_cli_sql_main(argc - 1, argv + 1);
    if (strcmp(cmd, "slt") == 0) return em_cli_slt_main(argc - 1, argv + 1);
    if (strcmp(cmd, "gen") == 0) return em_cli_gen_main(argc - 1, argv + 1);
    if (strcmp(cmd, "submit") == 0) return em_cli_submit_main(argc - 1, argv + 1);
    if (strcmp(cmd, "executor") == 0) return em_cli_executor_main(argc - 1, argv + 1);
    if (strcmp(cmd, "master") == 0) return em_cli_master_main(argc - 1, argv + 1);
    if (strcmp(cmd, "worker") == 0) return em_cli_worker_main(argc - 1, argv + 1);
    if (strcmp(cmd, "status") == 0) return em_cli_status_main(argc - 1, argv + 1);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("ember %s\n", EMBER_VERSION);
        return EM_CLI_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        em_cli_usage(stdout);
        return EM_CLI_EXIT_OK;
    }
    fprintf(stderr, "ember: unknown command '%s'\n", cmd);
    em_cli_usage(stderr);
    return EM_CLI_EXIT_USAGE;
}

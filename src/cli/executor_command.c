/*
 * executor_command.c — `ember executor` (started by a worker, not by people)
 * and `ember submit` (run a SQL job file on a cluster or locally).
 */
#include "cli/cli.h"

#include "cluster/cluster.h"

#include <stdlib.h>
#include <string.h>

static void executor_usage(FILE *f)
{
    fputs("usage: ember executor --driver HOST:PORT --app-id APP --executor-id ID\n"
          "                      [--cores N] [--memory BYTES] [--work-dir DIR] [--host H]\n"
          "Started by `ember worker` for an application; the shared secret, when the\n"
          "cluster has one, comes in the environment variable EMBER_AUTH_SECRET.\n",
          f);
}

int em_cli_executor_main(int argc, char **argv)
{
    em_executor_opts o = {.cores = 1, .host = "127.0.0.1", .work_dir = "."};
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            executor_usage(stdout);
            return EM_CLI_EXIT_OK;
        }
        if (em_cli_opt_value(argc, argv, &i, "--driver", &v)) {
            if (!v) return EM_CLI_EXIT_USAGE;
            o.driver_url = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--app-id", &v)) {
            if (!v) return EM_CLI_EXIT_USAGE;
            o.app_id = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--executor-id", &v)) {
            if (!v) return EM_CLI_EXIT_USAGE;
            o.executor_id = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--host", &v)) {
            if (!v) return EM_CLI_EXIT_USAGE;
            o.host = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--work-dir", &v)) {
            if (!v) return EM_CLI_EXIT_USAGE;
            o.work_dir = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--cores", &v)) {
            int64_t n;
            if (!v || em_cli_parse_count("--cores", v, &n) < 0 || n < 1 || n > 1024)
                return EM_CLI_EXIT_USAGE;
            o.cores = (int)n;
        } else if (em_cli_opt_value(argc, argv, &i, "--memory", &v)) {
            if (!v) return EM_CLI_EXIT_USAGE;
            o.memory = em_parse_size(v);
            if (o.memory <= 0) {
                fprintf(stderr, "ember executor: --memory expects a size, got '%s'\n", v);
                return EM_CLI_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "ember executor: unknown option '%s'\n", argv[i]);
            executor_usage(stderr);
            return EM_CLI_EXIT_USAGE;
        }
    }
    if (!o.driver_url || !o.executor_id) {
        executor_usage(stderr);
        return EM_CLI_EXIT_USAGE;
    }
    const char *secret = getenv("EMBER_AUTH_SECRET");
    o.secret = secret && *secret ? secret : NULL;
    em_error err = {0};
    if (em_executor_run(&o, &err) < 0) {
        fprintf(stderr, "ember executor %s: %s\n", o.executor_id, err.message);
        return EM_CLI_EXIT_FAIL;
    }
    return EM_CLI_EXIT_OK;
}

/* `ember submit [sql options] job.sql` is `ember sql [sql options] -f job.sql`. */
int em_cli_submit_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[argc - 1], "--help") == 0) {
        fputs("usage: ember submit [--master URL] [--conf key=value]... JOB.sql\n"
              "Runs the statements of JOB.sql as one application (see `ember sql --help`).\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? EM_CLI_EXIT_USAGE : EM_CLI_EXIT_OK;
    }
    char **args = em_malloc(sizeof(char *) * (size_t)(argc + 2));
    int n = 0;
    args[n++] = (char *)"sql";
    for (int i = 1; i < argc - 1; i++) args[n++] = argv[i];
    args[n++] = (char *)"-f";
    args[n++] = argv[argc - 1];
    args[n] = NULL;
    int rc = em_cli_sql_main(n, args);
    em_free(args);
    return rc;
}

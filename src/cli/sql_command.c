/*
 * sql_command.c — `ember sql`: run SQL given with -e, from files (-f), from a
 * script on stdin, or interactively when stdin is a terminal.
 *
 * Scripts stop at the first failing statement and exit with status 1; the
 * REPL reports errors and carries on.
 */
#include "cli/cli.h"

#include <string.h>
#include <unistd.h>

static void sql_usage(FILE *f)
{
    fputs("usage: ember sql [options] [-e SQL | -f FILE]...\n"
          "\n"
          "Runs SQL statements. Without -e or -f, reads a script from stdin, or starts\n"
          "an interactive shell when stdin is a terminal.\n"
          "\n"
          "options:\n"
          "  --master M           where to run: local, local[N] or local[*] (default)\n"
          "  --conf key=value     set a configuration value (repeatable)\n"
          "  --format F           result format: table (default), csv or json\n"
          "  --timer              print the run time of each statement\n"
          "  -e SQL               run these statements (repeatable)\n"
          "  -f FILE              run the statements in FILE (repeatable)\n"
          "  -h, --help           show this help\n",
          f);
}

typedef struct script {
    bool is_file;
    const char *text; /* SQL, or the file's path */
} script;

typedef struct sql_opts {
    const char *master;
    em_ui_format format;
    bool timer;
    int nconfs;
    char **confs; /* "key=value", split in place when applied */
    int nscripts;
    script *scripts;
} sql_opts;

/* Returns -1 on bad usage (already reported), 1 when help was printed, 0 otherwise. */
static int parse_args(int argc, char **argv, sql_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            sql_usage(stdout);
            return 1;
        } else if (strcmp(arg, "--timer") == 0) {
            o->timer = true;
        } else if (em_cli_opt_value(argc, argv, &i, "--master", &v)) {
            if (v == NULL) return -1;
            o->master = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--conf", &v)) {
            if (v == NULL) return -1;
            /* v points into argv[i] (the value or "--conf=value"); keep it writable
             * so that the key can be split off in place. */
            o->confs[o->nconfs++] = argv[i] + (v - argv[i]);
        } else if (em_cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (v == NULL) return -1;
            if (em_ui_format_parse(v, &o->format) < 0) {
                fprintf(stderr, "ember: unknown format '%s' (expected table, csv or json)\n", v);
                return -1;
            }
        } else if (em_cli_opt_value(argc, argv, &i, "-e", &v) ||
                   em_cli_opt_value(argc, argv, &i, "-f", &v)) {
            if (v == NULL) return -1;
            o->scripts[o->nscripts].is_file = arg[1] == 'f';
            o->scripts[o->nscripts++].text = v;
        } else {
            fprintf(stderr, "ember: unknown option for sql: '%s'\n", arg);
            return -1;
        }
    }
    return 0;
}

static int run_scripts(em_cli_shell *sh, const sql_opts *o)
{
    for (int i = 0; i < o->nscripts; i++) {
        const script *s = &o->scripts[i];
        if (!s->is_file) {
            if (em_cli_shell_run(sh, s->text) < 0) return EM_CLI_EXIT_FAIL;
            continue;
        }
        char *text;
        size_t len;
        em_error err;
        if (em_cli_read_file(s->text, &text, &len, &err) < 0) {
            em_cli_report_error(&err, NULL);
            return EM_CLI_EXIT_FAIL;
        }
        int rc = em_cli_shell_run(sh, text);
        em_free(text);
        if (rc < 0) return EM_CLI_EXIT_FAIL;
    }
    return EM_CLI_EXIT_OK;
}

static int run_stdin(em_cli_shell *sh)
{
    char *text;
    size_t len;
    em_error err;
    if (em_cli_read_file(NULL, &text, &len, &err) < 0) {
        em_cli_report_error(&err, NULL);
        return EM_CLI_EXIT_FAIL;
    }
    /* An empty or comment-only script is not an error. */
    em_cli_scan scan = em_cli_scan_statements(text, len);
    int rc = 0;
    if (scan.end > 0 || !scan.tail_blank) rc = em_cli_shell_run(sh, text);
    em_free(text);
    return rc < 0 ? EM_CLI_EXIT_FAIL : EM_CLI_EXIT_OK;
}

int em_cli_sql_main(int argc, char **argv)
{
    sql_opts o = {.master = "local[*]", .format = EM_UI_TABLE};
    o.confs = em_calloc((size_t)argc, sizeof(char *));
    o.scripts = em_calloc((size_t)argc, sizeof(script));
    int status = EM_CLI_EXIT_OK;
    em_session *session = NULL;
    int prc = parse_args(argc, argv, &o);
    if (prc != 0) {
        if (prc < 0) {
            sql_usage(stderr);
            status = EM_CLI_EXIT_USAGE;
        }
        goto done;
    }

    em_error err;
    em_error_clear(&err);
    if (em_session_create(o.master, &session, &err) < 0) {
        em_cli_report_error(&err, NULL);
        session = NULL;
        status = EM_CLI_EXIT_FAIL;
        goto done;
    }
    for (int i = 0; i < o.nconfs; i++) {
        const char *key, *value;
        if (em_cli_split_conf(o.confs[i], &key, &value) < 0) {
            status = EM_CLI_EXIT_FAIL;
            goto done;
        }
        if (em_session_set_conf(session, key, value, &err) < 0) {
            em_cli_report_error(&err, NULL);
            status = EM_CLI_EXIT_FAIL;
            goto done;
        }
    }

    em_cli_shell sh = {.session = session, .format = o.format, .timer = o.timer, .out = stdout};
    if (o.nscripts > 0) {
        status = run_scripts(&sh, &o);
    } else if (isatty(STDIN_FILENO)) {
        status = em_cli_repl(&sh);
    } else {
        status = run_stdin(&sh);
    }

done:
    if (session != NULL) em_session_destroy(session);
    em_free(o.confs);
    em_free(o.scripts);
    return status;
}

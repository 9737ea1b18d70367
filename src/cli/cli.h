/*
 * cli.h — the pieces of the `ember` command-line tool, shared between its
 * files: subcommand entry points, option parsing, the statement runner used
 * by scripts and the REPL, and the scanner that finds where a statement ends.
 *
 * Exit statuses: 0 success, 1 a failed statement, test or run, 2 bad usage.
 */
#ifndef EM_CLI_H
#define EM_CLI_H

#include <stdio.h>

#include "common/common.h"
#include "ui/ui.h"

#define EM_CLI_EXIT_OK 0
#define EM_CLI_EXIT_FAIL 1
#define EM_CLI_EXIT_USAGE 2

/* ---- subcommands (argv[0] is the subcommand's name) --------------------- */

int em_cli_sql_main(int argc, char **argv);
int em_cli_slt_main(int argc, char **argv);
int em_cli_gen_main(int argc, char **argv);
int em_cli_executor_main(int argc, char **argv);
int em_cli_submit_main(int argc, char **argv);
/* The cluster daemons and their status (cluster_command.c). */
int em_cli_master_main(int argc, char **argv);
int em_cli_worker_main(int argc, char **argv);
int em_cli_status_main(int argc, char **argv);
/* The benchmark data sets (gen_bench.c): h2o-groupby, h2o-join, words, sort.
 * argv[0] is the data set's name; returns -1 when it is none of them. */
int em__cli_gen_bench(int argc, char **argv);
void em__cli_gen_bench_usage(FILE *f);
/* The general usage text (`ember help`). */
void em_cli_usage(FILE *f);

/* ---- option parsing ---------------------------------------------------- */

/* Whether argv[*i] is the option `name` taking a value, spelled either
 * "--name value" or "--name=value". On a match *value is set and *i advanced
 * past the value. A missing value prints an error and sets *value to NULL
 * (the caller then exits with EM_CLI_EXIT_USAGE). */
bool em_cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value);
/* Parse a non-negative integer option; prints an error naming the option and
 * returns -1 when malformed. */
int em_cli_parse_count(const char *option, const char *text, int64_t *out);
/* Split "key=value" in place for --conf; prints an error and returns -1 when
 * there is no '='. */
int em_cli_split_conf(char *kv, const char **key, const char **value);
/* Read a whole file (or stdin when path is NULL) into a NUL-terminated
 * buffer (free with em_free). */
int em_cli_read_file(const char *path, char **out, size_t *len, em_error *err);

/* ---- running statements ------------------------------------------------ */

typedef struct em_cli_shell {
    em_session *session;
    em_ui_format format;
    bool timer;
    FILE *out;
    int write_errno; /* set when printing a result failed */
} em_cli_shell;

/* Run every statement of `sql`, printing each result that has columns (EXPLAIN
 * plans raw) and, with the timer on, "Run Time: x.xxx s". The first failure
 * stops the script; it is reported on stderr ("Error: ...", plus the offending
 * line with a caret when the error has a position) and its code returned. */
int em_cli_shell_run(em_cli_shell *sh, const char *sql);

/* Report an error the way the shell does; `sql` (may be NULL) is the text
 * that err->sql_pos points into. */
void em_cli_report_error(const em_error *err, const char *sql);

/* The interactive loop on a terminal: readline with history, multi-line
 * statements and dot-commands. Returns the exit status. */
int em_cli_repl(em_cli_shell *sh);

/* ---- statement boundaries ---------------------------------------------- */

typedef struct em_cli_scan {
    size_t end;      /* offset just past the last ';' ending a statement, 0 if none */
    bool tail_blank; /* the text after `end` holds only blanks and comments */
} em_cli_scan;

/* Find the statements complete in sql[0..n): a statement ends at a ';' that is
 * outside quotes ('...', E'...', "..."), comments (-- and nested block
 * comments) and dollar-quoted strings ($$...$$, $tag$...$tag$). */
em_cli_scan em_cli_scan_statements(const char *sql, size_t n);

#endif

/*
 * shell.c — running SQL text for `ember sql`: every statement of a script
 * goes through em_sql_each, each result with columns is printed in the chosen
 * format as soon as its statement finishes, and errors are reported with a
 * caret under the offending position.
 */
#include "cli/cli.h"

#include <errno.h>
#include <string.h>

#include "sql/parser/parser.h"

void em_cli_report_error(const em_error *err, const char *sql)
{
    const char *msg = err->message[0] != '\0' ? err->message : em_error_code_name(err->code);
    fprintf(stderr, "Error: %s\n", msg);
    if (sql != NULL && err->sql_pos > 0 && (size_t)err->sql_pos <= strlen(sql) + 1) {
        em_strbuf sb;
        em_strbuf_init(&sb);
        em_parse_format_caret(sql, err->sql_pos, &sb);
        if (sb.len > 0) {
            fputs(sb.data, stderr);
            if (sb.data[sb.len - 1] != '\n') fputc('\n', stderr);
        }
        em_strbuf_release(&sb);
    }
    fflush(stderr);
}

/* EXPLAIN output is already laid out by the planner: one plan line per row. */
static void print_plan(FILE *f, em_result *r)
{
    int64_t n = em_result_row_count(r);
    for (int64_t i = 0; i < n; i++) {
        const char *line = em_result_string(r, i, 0);
        fputs(line != NULL ? line : "", f);
        fputc('\n', f);
    }
}

static int on_result(void *ctx, const char *stmt_sql, int stmt_len, em_result *r)
{
    em_cli_shell *sh = ctx;
    (void)stmt_sql;
    (void)stmt_len;
    if (em_result_column_count(r) > 0) {
        const char *kind = em_result_statement(r);
        if (kind != NULL && strcmp(kind, "EXPLAIN") == 0) {
            print_plan(sh->out, r);
        } else {
            em_ui_print_result(sh->out, r, sh->format);
        }
    }
    if (sh->timer) fprintf(sh->out, "Run Time: %.3f s\n", em_result_seconds(r));
    /* Flush per statement so that a long script shows progress. */
    if (fflush(sh->out) != 0 || ferror(sh->out)) {
        sh->write_errno = errno != 0 ? errno : EIO;
        return EM_EIO;
    }
    return 0;
}

int em_cli_shell_run(em_cli_shell *sh, const char *sql)
{
    em_error err;
    em_error_clear(&err);
    sh->write_errno = 0;
    int rc = em_sql_each(sh->session, sql, on_result, sh, &err);
    if (rc == 0) return 0;
    if (sh->write_errno != 0) {
        fprintf(stderr, "Error: cannot write output: %s\n", strerror(sh->write_errno));
        return rc;
    }
    if (err.code == 0) err.code = rc;
    em_cli_report_error(&err, sql);
    return rc;
}

/*
 * slt.c — `ember slt`: a sqllogictest runner in the DuckDB dialect (the
 * format is documented in tests/sql/README.md).
 *
 * A file is a sequence of records separated by blank lines: `statement ok`,
 * `statement error` and `query <types> [sort mode]` records, plus a few
 * directives (mode skip/unskip, halt, require, skipif/onlyif). Each file runs
 * in a fresh session. A failing record is reported with its location, SQL,
 * expected and actual rows, and the run carries on with the next record; the
 * last line printed is always "N passed, N failed".
 *
 * With --complete the runner rewrites each file with the results it got,
 * which is how tests are written by hand: the results must then be checked
 * against an independent engine before they are trusted.
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct slt_opts {
    const char *master;
    int nconfs;
    const char **keys;
    const char **values;
    bool complete;
} slt_opts;

typedef struct slt_file {
    const char *path;
    char *text;
    char **lines; /* without their line terminators */
    int nlines;
    const slt_opts *opts;
    em_session *session;
    em_arena *arena; /* per record */
    em_strbuf out;   /* the rewritten file under --complete */
    int64_t passed, failed;
} slt_file;

/* The parts of a record, as line indexes: header, SQL lines [sql_begin,
 * sql_end), the "----" separator (or -1) and the lines after it. */
typedef struct slt_record {
    int header;
    int sql_begin, sql_end;
    int sep;
    int res_begin, res_end;
} slt_record;

/* A rectangular table of values in their slt spelling, row-major. */
typedef struct slt_table {
    int ncols;
    int64_t nrows;
    const char **v;
} slt_table;

typedef enum { SORT_NONE, SORT_ROWS, SORT_VALUES } sort_mode;

/* ---- text helpers ------------------------------------------------------ */

static bool is_blank(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r') return false;
    }
    return true;
}

static bool is_separator(const char *s)
{
    if (strncmp(s, "----", 4) != 0) return false;
    return is_blank(s + 4);
}

/* Split a copy of `line` into whitespace-separated words (at most max). */
static int split_words(em_arena *a, const char *line, char **words, int max)
{
    char *copy = em_arena_strdup(a, line);
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(copy, " \t\r", &save); w != NULL && n < max;
         w = strtok_r(NULL, " \t\r", &save)) {
        words[n++] = w;
    }
    return n;
}

static char *join_lines(slt_file *f, int begin, int end)
{
    em_strbuf sb;
    em_strbuf_init(&sb);
    for (int i = begin; i < end; i++) {
        if (i > begin) em_strbuf_putc(&sb, '\n');
        em_strbuf_puts(&sb, f->lines[i]);
    }
    char *s = em_arena_strdup(f->arena, sb.data != NULL ? sb.data : "");
    em_strbuf_release(&sb);
    return s;
}

static void emit_lines(slt_file *f, int begin, int end)
{
    if (!f->opts->complete) return;
    for (int i = begin; i < end; i++) {
        em_strbuf_puts(&f->out, f->lines[i]);
        em_strbuf_putc(&f->out, '\n');
    }
}

static void emit(slt_file *f, const char *s)
{
    if (f->opts->complete) em_strbuf_puts(&f->out, s);
}

/* ---- reporting --------------------------------------------------------- */

static void print_indented(const char *text)
{
    const char *p = text;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        printf("    %.*s\n", (int)n, p);
        p += n + (nl != NULL);
    }
}

static void fail(slt_file *f, const slt_record *rec, const char *sql, const char *fmt, ...)
    EM_PRINTF(4, 5);
static void fail(slt_file *f, const slt_record *rec, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s:%d: ", f->path, rec->header + 1);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n  SQL:\n");
    print_indented(sql);
    f->failed++;
}

static void print_table(const char *title, const slt_table *t, sort_mode sort)
{
    printf("  %s (%lld row%s):\n", title, (long long)t->nrows, t->nrows == 1 ? "" : "s");
    /* Value-sorted tables only make sense one value per line. */
    int per_line = sort == SORT_VALUES ? 1 : EM_MAX(t->ncols, 1);
    int64_t nvalues = t->nrows * t->ncols;
    for (int64_t i = 0; i < nvalues; i += per_line) {
        fputs("    ", stdout);
        for (int c = 0; c < per_line && i + c < nvalues; c++) {
            if (c > 0) putchar('\t');
            fputs(t->v[i + c], stdout);
        }
        putchar('\n');
    }
}

/* ---- values ------------------------------------------------------------ */

static const char *slt_value(em_result *r, int64_t row, int col)
{
    const char *s = em_result_string(r, row, col);
    if (s == NULL) return "NULL";
    if (s[0] == '\0') return "(empty)";
    return s;
}

static bool parse_number(const char *s, double *out)
{
    if (*s == '\0' || *s == ' ') return false;
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return *end == '\0';
}

static bool values_match(const char *expected, const char *actual, char type)
{
    if (strcmp(expected, actual) == 0) return true;
    double e, a;
    if (type != 'R' || !parse_number(expected, &e) || !parse_number(actual, &a)) return false;
    if (e == a) return true;
    return fabs(e - a) <= 1e-9 * fmax(fabs(e), fabs(a));
}

static int compare_rows(const void *pa, const void *pb, void *ctx)
{
    const slt_table *t = ctx;
    const char **a = t->v + *(const int64_t *)pa * t->ncols;
    const char **b = t->v + *(const int64_t *)pb * t->ncols;
    for (int c = 0; c < t->ncols; c++) {
        int d = strcmp(a[c], b[c]);
        if (d != 0) return d;
    }
    return 0;
}

static int compare_values(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sort_table(em_arena *a, slt_table *t, sort_mode sort)
{
    int64_t nvalues = t->nrows * t->ncols;
    if (sort == SORT_VALUES) {
        qsort(t->v, (size_t)nvalues, sizeof(char *), compare_values);
    } else if (sort == SORT_ROWS && t->nrows > 1) {
        int64_t *order = em_arena_alloc(a, (size_t)t->nrows * sizeof(int64_t));
        for (int64_t i = 0; i < t->nrows; i++) order[i] = i;
        qsort_r(order, (size_t)t->nrows, sizeof(int64_t), compare_rows, t);
        const char **sorted = em_arena_alloc(a, (size_t)nvalues * sizeof(char *));
        for (int64_t i = 0; i < t->nrows; i++) {
            memcpy(sorted + i * t->ncols, t->v + order[i] * t->ncols,
                   (size_t)t->ncols * sizeof(char *));
        }
        t->v = sorted;
    }
}

/* Parse the expected lines into a table of ncols columns. Rows normally hold
 * their values separated by tabs; like DuckDB we also accept one value per
 * line. Returns false (with *bad_line set) when a row has the wrong width. */
static bool parse_expected(slt_file *f, const slt_record *rec, int ncols, slt_table *t,
                           int *bad_line)
{
    int nlines = rec->res_end - rec->res_begin;
    bool any_tab = false;
    for (int i = rec->res_begin; i < rec->res_end; i++)
        any_tab |= strchr(f->lines[i], '\t') != NULL;
    t->ncols = ncols;
    if (!any_tab && ncols > 1 && nlines % ncols == 0) {
        t->nrows = nlines / ncols;
        t->v = em_arena_alloc(f->arena, (size_t)EM_MAX(nlines, 1) * sizeof(char *));
        for (int i = 0; i < nlines; i++) t->v[i] = f->lines[rec->res_begin + i];
        return true;
    }
    t->nrows = nlines;
    t->v = em_arena_alloc(f->arena, (size_t)EM_MAX(nlines * ncols, 1) * sizeof(char *));
    for (int i = 0; i < nlines; i++) {
        char *copy = em_arena_strdup(f->arena, f->lines[rec->res_begin + i]);
        int n = 0;
        for (char *p = copy;; n++) {
            char *tab = strchr(p, '\t');
            if (n < ncols) t->v[(int64_t)i * ncols + n] = p;
            if (tab == NULL) break;
            *tab = '\0';
            p = tab + 1;
        }
        if (n + 1 != ncols) {
            *bad_line = rec->res_begin + i;
            return false;
        }
    }
    return true;
}

/* The type letter for a result column, for --complete. */
static char type_letter(const char *type)
{
    if (type == NULL || !em_ui_type_is_numeric(type)) return 'T';
    static const char *const reals[] = {"DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC"};
    for (size_t i = 0; i < EM_ARRAY_LEN(reals); i++) {
        if (strncasecmp(type, reals[i], strlen(reals[i])) == 0) return 'R';
    }
    return 'I';
}

/* ---- records ----------------------------------------------------------- */

static void parse_record(const slt_file *f, int i, slt_record *rec)
{
    int j = i + 1;
    rec->header = i;
    rec->sql_begin = j;
    while (j < f->nlines && !is_blank(f->lines[j]) && !is_separator(f->lines[j])) j++;
    rec->sql_end = j;
    rec->sep = -1;
    rec->res_begin = rec->res_end = j;
    if (j < f->nlines && is_separator(f->lines[j])) {
        rec->sep = j++;
        rec->res_begin = j;
        while (j < f->nlines && !is_blank(f->lines[j])) j++;
        rec->res_end = j;
    }
}

static void run_statement(slt_file *f, const slt_record *rec, bool expect_error)
{
    const char *sql = join_lines(f, rec->sql_begin, rec->sql_end);
    const char *expected_msg = rec->sep >= 0 ? join_lines(f, rec->res_begin, rec->res_end) : NULL;
    em_result *r = NULL;
    em_error err;
    em_error_clear(&err);
    int rc = em_sql(f->session, sql, &r, &err);
    if (rc == 0) em_result_destroy(r);
    bool msg_ok = rc < 0 && (expected_msg == NULL || strstr(err.message, expected_msg) != NULL);

    if (f->opts->complete) {
        emit(f, rc == 0 ? "statement ok\n" : "statement error\n");
        emit_lines(f, rec->sql_begin, rec->sql_end);
        if (rc < 0 && expected_msg != NULL && msg_ok) emit_lines(f, rec->sep, rec->res_end);
        f->passed++;
        return;
    }
    if (!expect_error && rc < 0) {
        fail(f, rec, sql, "statement failed: %s", err.message);
    } else if (expect_error && rc == 0) {
        fail(f, rec, sql, "statement succeeded, but an error was expected");
    } else if (expect_error && !msg_ok) {
        fail(f, rec, sql,
             "error message does not contain the expected text\n  expected: %s\n"
             "  actual:   %s",
             expected_msg, err.message);
    } else {
        f->passed++;
    }
}

static void complete_query(slt_file *f, const slt_record *rec, char **words, int nwords,
                           em_result *r, const slt_table *actual, sort_mode sort)
{
    /* Keep the header's types when they fit the result, else derive them. */
    int ncols = em_result_column_count(r);
    em_strbuf_puts(&f->out, "query ");
    if (nwords >= 2 && (int)strlen(words[1]) == ncols) {
        em_strbuf_puts(&f->out, words[1]);
    } else {
        for (int c = 0; c < ncols; c++) {
            em_strbuf_putc(&f->out, type_letter(em_result_column_type(r, c)));
        }
    }
    for (int w = 2; w < nwords; w++) {
        em_strbuf_putc(&f->out, ' ');
        em_strbuf_puts(&f->out, words[w]);
    }
    em_strbuf_putc(&f->out, '\n');
    emit_lines(f, rec->sql_begin, rec->sql_end);
    em_strbuf_puts(&f->out, "----\n");
    int per_line = sort == SORT_VALUES ? 1 : EM_MAX(ncols, 1);
    int64_t nvalues = actual->nrows * actual->ncols;
    for (int64_t i = 0; i < nvalues; i += per_line) {
        for (int c = 0; c < per_line && i + c < nvalues; c++) {
            if (c > 0) em_strbuf_putc(&f->out, '\t');
            em_strbuf_puts(&f->out, actual->v[i + c]);
        }
        em_strbuf_putc(&f->out, '\n');
    }
    f->passed++;
}

static void run_query(slt_file *f, const slt_record *rec, char **words, int nwords)
{
    const char *sql = join_lines(f, rec->sql_begin, rec->sql_end);
    if (nwords < 2) {
        fail(f, rec, sql, "query needs a type string, e.g. `query IT`");
        emit_lines(f, rec->header, rec->res_end);
        return;
    }
    const char *types = words[1];
    sort_mode sort = SORT_NONE;
    if (nwords >= 3 && strcmp(words[2], "rowsort") == 0) sort = SORT_ROWS;
    if (nwords >= 3 && strcmp(words[2], "valuesort") == 0) sort = SORT_VALUES;

    em_result *r = NULL;
    em_error err;
    em_error_clear(&err);
    if (em_sql(f->session, sql, &r, &err) < 0) {
        if (f->opts->complete) {
            fprintf(stderr, "%s:%d: query failed, recorded as `statement error`: %s\n", f->path,
                    rec->header + 1, err.message);
            emit(f, "statement error\n");
            emit_lines(f, rec->sql_begin, rec->sql_end);
            f->passed++;
        } else {
            fail(f, rec, sql, "query failed: %s", err.message);
        }
        return;
    }

    slt_table actual = {em_result_column_count(r), em_result_row_count(r), NULL};
    int64_t nvalues = actual.nrows * actual.ncols;
    actual.v = em_arena_alloc(f->arena, (size_t)EM_MAX(nvalues, 1) * sizeof(char *));
    for (int64_t i = 0; i < actual.nrows; i++) {
        for (int c = 0; c < actual.ncols; c++) actual.v[i * actual.ncols + c] = slt_value(r, i, c);
    }
    sort_table(f->arena, &actual, sort);

    if (f->opts->complete) {
        complete_query(f, rec, words, nwords, r, &actual, sort);
        em_result_destroy(r);
        return;
    }
    if ((int)strlen(types) != actual.ncols) {
        fail(f, rec, sql, "the query returns %d column%s, but the record declares %d (%s)",
             actual.ncols, actual.ncols == 1 ? "" : "s", (int)strlen(types), types);
        em_result_destroy(r);
        return;
    }
    slt_table expected;
    int bad_line = 0;
    if (!parse_expected(f, rec, actual.ncols, &expected, &bad_line)) {
        fail(f, rec, sql, "expected row at line %d does not have %d tab-separated values",
             bad_line + 1, actual.ncols);
        em_result_destroy(r);
        return;
    }
    sort_table(f->arena, &expected, sort);

    bool ok = expected.nrows == actual.nrows;
    char any_type = strchr(types, 'R') != NULL ? 'R' : 'T';
    for (int64_t i = 0; ok && i < nvalues; i++) {
        char type = sort == SORT_VALUES ? any_type : types[i % actual.ncols];
        ok = values_match(expected.v[i], actual.v[i], type);
    }
    if (ok) {
        f->passed++;
    } else {
        fail(f, rec, sql, "wrong result");
        print_table("expected", &expected, sort);
        print_table("actual", &actual, sort);
    }
    em_result_destroy(r);
}

/* ---- files ------------------------------------------------------------- */

static void split_lines(slt_file *f, size_t len)
{
    int cap = 16;
    f->lines = em_malloc((size_t)cap * sizeof(char *));
    f->nlines = 0;
    char *p = f->text, *end = f->text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl != NULL ? nl : end;
        if (stop > p && stop[-1] == '\r') stop[-1] = '\0';
        *stop = '\0';
        if (f->nlines == cap) {
            cap *= 2;
            f->lines = em_realloc(f->lines, (size_t)cap * sizeof(char *));
        }
        f->lines[f->nlines++] = p;
        p = stop + 1;
    }
}

static int open_session(slt_file *f)
{
    em_error err;
    em_error_clear(&err);
    if (em_session_create(f->opts->master, &f->session, &err) < 0) {
        f->session = NULL;
        em_cli_report_error(&err, NULL);
        return -1;
    }
    for (int i = 0; i < f->opts->nconfs; i++) {
        if (em_session_set_conf(f->session, f->opts->keys[i], f->opts->values[i], &err) < 0) {
            em_cli_report_error(&err, NULL);
            return -1;
        }
    }
    return 0;
}

static int write_completed(slt_file *f)
{
    em_strbuf tmp;
    em_strbuf_init(&tmp);
    em_strbuf_printf(&tmp, "%s.tmp", f->path);
    FILE *out = fopen(tmp.data, "wb");
    int rc = 0;
    if (out == NULL || (f->out.len > 0 && fwrite(f->out.data, 1, f->out.len, out) != f->out.len) ||
        fclose(out) != 0 || rename(tmp.data, f->path) < 0) {
        fprintf(stderr, "Error: cannot rewrite %s: %s\n", f->path, strerror(errno));
        remove(tmp.data);
        rc = -1;
    }
    em_strbuf_release(&tmp);
    return rc;
}

/* Run one file. Returns -1 when the session could not be set up (a
 * configuration error that would fail every file alike). */
static int run_file(const slt_opts *opts, const char *path, int64_t *passed, int64_t *failed)
{
    slt_file f = {.path = path, .opts = opts};
    size_t len;
    em_error err;
    if (em_cli_read_file(path, &f.text, &len, &err) < 0) {
        printf("FAIL %s: %s\n", path, err.message);
        (*failed)++;
        return 0;
    }
    split_lines(&f, len);
    em_strbuf_init(&f.out);
    f.arena = em_arena_create(1 << 16);
    int rc = open_session(&f);

    bool skipping = false, skip_next = false, halted = false;
    for (int i = 0; rc == 0 && i < f.nlines;) {
        const char *line = f.lines[i];
        if (halted || is_blank(line) || line[0] == '#') {
            emit_lines(&f, i, i + 1);
            i++;
            continue;
        }
        em_arena_reset(f.arena);
        char *words[8];
        int nwords = split_words(f.arena, line, words, (int)EM_ARRAY_LEN(words));
        const char *kind = words[0];
        if (strcmp(kind, "statement") == 0 || strcmp(kind, "query") == 0) {
            slt_record rec;
            parse_record(&f, i, &rec);
            if (skipping || skip_next) {
                emit_lines(&f, rec.header, rec.res_end);
            } else if (strcmp(kind, "query") == 0) {
                run_query(&f, &rec, words, nwords);
            } else if (nwords >= 2 &&
                       (strcmp(words[1], "ok") == 0 || strcmp(words[1], "error") == 0)) {
                run_statement(&f, &rec, strcmp(words[1], "error") == 0);
            } else {
                fail(&f, &rec, join_lines(&f, rec.sql_begin, rec.sql_end),
                     "unsupported statement kind '%s'", nwords >= 2 ? words[1] : "");
                emit_lines(&f, rec.header, rec.res_end);
            }
            skip_next = false;
            i = rec.res_end;
            continue;
        }
        emit_lines(&f, i, i + 1);
        if (strcmp(kind, "mode") == 0 && nwords >= 2 && strcmp(words[1], "skip") == 0) {
            skipping = true;
        } else if (strcmp(kind, "mode") == 0 && nwords >= 2 && strcmp(words[1], "unskip") == 0) {
            skipping = false;
        } else if (strcmp(kind, "halt") == 0) {
            halted = !skipping && !skip_next;
            skip_next = false;
        } else if (strcmp(kind, "skipif") == 0 || strcmp(kind, "onlyif") == 0) {
            bool ember = nwords >= 2 && strcmp(words[1], "ember") == 0;
            skip_next = (kind[0] == 's') == ember;
        } else if (strcmp(kind, "require") == 0 || strcmp(kind, "mode") == 0) {
            fprintf(stderr, "%s:%d: note: ignoring '%s'\n", path, i + 1, line);
        } else {
            /* Unknown directives (loop, load, ...) fail loudly rather than let
             * the records that depend on them pass by accident. */
            slt_record rec;
            parse_record(&f, i, &rec);
            printf("FAIL %s:%d: unsupported directive '%s'\n", path, i + 1, kind);
            f.failed++;
            emit_lines(&f, i + 1, rec.res_end);
            i = rec.res_end;
            continue;
        }
        i++;
    }

    if (rc == 0 && opts->complete && write_completed(&f) < 0) f.failed++;
    if (f.session != NULL) em_session_destroy(f.session);
    *passed += f.passed;
    *failed += f.failed;
    em_arena_destroy(f.arena);
    em_strbuf_release(&f.out);
    em_free(f.lines);
    em_free(f.text);
    return rc;
}

static void slt_usage(FILE *f)
{
    fputs("usage: ember slt [options] FILE...\n"
          "\n"
          "Runs sqllogictest files (DuckDB dialect, see tests/sql/README.md), each in a\n"
          "fresh session, and prints \"N passed, N failed\". Exits 1 when a record failed.\n"
          "\n"
          "options:\n"
          "  --master M         where to run: local, local[N] or local[*] (default)\n"
          "  --conf key=value   set a configuration value (repeatable)\n"
          "  --complete         rewrite the files with the actual results (check them\n"
          "                     against an independent engine before trusting them)\n"
          "  -h, --help         show this help\n",
          f);
}

int em_cli_slt_main(int argc, char **argv)
{
    slt_opts o = {.master = "local[*]"};
    o.keys = em_calloc((size_t)argc, sizeof(char *));
    o.values = em_calloc((size_t)argc, sizeof(char *));
    const char **files = em_calloc((size_t)argc, sizeof(char *));
    int nfiles = 0, status = EM_CLI_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            slt_usage(stdout);
            goto done;
        } else if (strcmp(argv[i], "--complete") == 0) {
            o.complete = true;
        } else if (em_cli_opt_value(argc, argv, &i, "--master", &v)) {
            if (v == NULL) goto usage;
            o.master = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--conf", &v)) {
            if (v == NULL) goto usage;
            char *kv = argv[i] + (v - argv[i]); /* v, but writable */
            if (em_cli_split_conf(kv, &o.keys[o.nconfs], &o.values[o.nconfs]) < 0) {
                status = EM_CLI_EXIT_FAIL;
                goto done;
            }
            o.nconfs++;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "ember: unknown option for slt: '%s'\n", argv[i]);
            goto usage;
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (nfiles == 0) {
        fputs("ember: slt needs at least one file\n", stderr);
        goto usage;
    }

    int64_t passed = 0, failed = 0;
    for (int i = 0; i < nfiles; i++) {
        if (run_file(&o, files[i], &passed, &failed) < 0) {
            status = EM_CLI_EXIT_FAIL;
            goto done;
        }
    }
    printf("%lld passed, %lld failed\n", (long long)passed, (long long)failed);
    status = failed == 0 ? EM_CLI_EXIT_OK : EM_CLI_EXIT_FAIL;
    goto done;
usage:
    slt_usage(stderr);
    status = EM_CLI_EXIT_USAGE;
done:
    em_free(o.keys);
    em_free(o.values);
    em_free(files);
    return status;
}

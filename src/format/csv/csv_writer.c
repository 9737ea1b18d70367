/*
 * csv_writer.c — writing batches as CSV (COPY ... TO 'x.csv').
 *
 * Options: HEADER (default true), DELIMITER / DELIM / SEP (default ','),
 * QUOTE (default '"'), ESCAPE (default: the quote, i.e. doubled quotes),
 * NULLSTR / NULL (default: empty), COMPRESSION (none only). A field is quoted
 * when it contains the delimiter, the quote, a line break, or when it is an
 * empty string or equals the NULL text, so that it reads back as the same
 * string and never as NULL. Values print as SQL prints them (DATE as
 * YYYY-MM-DD, TIMESTAMP as YYYY-MM-DD hh:mm:ss[.ffffff], DECIMAL with its
 * scale), which ember's and DuckDB's CSV readers infer back to their types.
 */
#include "format/writer.h"

#include <stdio.h>
#include <string.h>

static const char *const known[] = {"header", "delimiter", "delim", "sep",         "quote",
                                    "escape", "nullstr",   "null",  "compression", NULL};
static const char *const delim_names[] = {"delimiter", "delim", "sep", NULL};
static const char *const null_names[] = {"nullstr", "null", NULL};

typedef struct csv_opts {
    bool header;
    char delim, quote, escape;
    const char *null;
} csv_opts;

static int parse_opts(const em_write_desc *d, csv_opts *o, em_error *err)
{
    EM_TRY(em__write_check_options(d, "CSV", known, err));
    o->header = true;
    o->delim = ',';
    o->quote = '"';
    o->escape = 0;
    o->null = "";
    const char *v;
    if ((v = em__write_option(d, "header")) != NULL) {
        if (em_str_ieq(v, "true") || em_str_ieq(v, "1") || em_str_ieq(v, "on"))
            o->header = true;
        else if (em_str_ieq(v, "false") || em_str_ieq(v, "0") || em_str_ieq(v, "off"))
            o->header = false;
        else
            return em_error_set(err, EM_EINVAL, "option 'header' must be true or false, not '%s'",
                                v);
    }
    if ((v = em__write_option_any(d, delim_names)) != NULL)
        EM_TRY(em__write_option_char("delimiter", v, &o->delim, err));
    if ((v = em__write_option(d, "quote")) != NULL)
        EM_TRY(em__write_option_char("quote", v, &o->quote, err));
    if ((v = em__write_option(d, "escape")) != NULL)
        EM_TRY(em__write_option_char("escape", v, &o->escape, err));
    if (o->escape == 0) o->escape = o->quote;
    if ((v = em__write_option_any(d, null_names)) != NULL) o->null = v;
    if ((v = em__write_option(d, "compression")) != NULL && !em_str_ieq(v, "none") &&
        !em_str_ieq(v, "uncompressed") && !em_str_ieq(v, "auto"))
        return em_error_set(err, EM_EUNSUPPORTED,
                            "CSV compression '%s' is not supported (only uncompressed files)", v);
    if (o->delim == o->quote)
        return em_error_set(err, EM_EINVAL, "the delimiter and the quote cannot both be '%c'",
                            o->delim);
    return 0;
}

int em__csv_write_check(const em_write_desc *d, em_error *err)
{
    csv_opts o;
    return parse_opts(d, &o, err);
}

typedef struct csv_writer {
    em__wfile f;
    csv_opts o;
    em_schema *schema;
    em_strbuf line;
    size_t null_len;
} csv_writer;

static void put_field(csv_writer *w, const char *p, size_t n, bool is_string)
{
    const csv_opts *o = &w->o;
    bool q = is_string && (n == 0 || (n == w->null_len && memcmp(p, o->null, n) == 0));
    for (size_t i = 0; i < n && !q; i++) {
        char c = p[i];
        q = c == o->delim || c == o->quote || c == '\n' || c == '\r' || c == o->escape;
    }
    if (!q) {
        em_strbuf_append(&w->line, p, n);
        return;
    }
    em_strbuf_putc(&w->line, o->quote);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == o->quote || (p[i] == o->escape && o->escape != o->quote)) {
            em_strbuf_append(&w->line, p + start, i - start);
            em_strbuf_putc(&w->line, o->escape);
            start = i;
        }
    }
    em_strbuf_append(&w->line, p + start, n - start);
    em_strbuf_putc(&w->line, o->quote);
}

static int csv_open(const em_write_desc *d, const em_schema *schema, const char *path, void **out,
                    em_error *err)
{
    csv_writer *w = em_calloc(1, sizeof *w);
    int rc = parse_opts(d, &w->o, err);
    if (rc == 0) rc = em__wfile_open(&w->f, path, err);
    if (rc < 0) {
        em_free(w);
        return rc;
    }
    w->null_len = strlen(w->o.null);
    w->schema = em_schema_copy(schema);
    em_strbuf_init(&w->line);
    if (w->o.header) {
        for (int c = 0; c < schema->nfields; c++) {
            if (c) em_strbuf_putc(&w->line, w->o.delim);
            const char *name = schema->fields[c].name;
            put_field(w, name, strlen(name), true);
        }
        em_strbuf_putc(&w->line, '\n');
    }
    *out = w;
    return 0;
}

static void put_value(csv_writer *w, const em_vector *v, int64_t i)
{
    char buf[96];
    int n;
    switch (v->type.id) {
    case EM_TYPE_BOOLEAN:
        em_strbuf_puts(&w->line, EM_VEC_BOOL(v)[i] ? "true" : "false");
        return;
    case EM_TYPE_INTEGER:
        n = snprintf(buf, sizeof buf, "%d", (int)EM_VEC_I32(v)[i]);
        put_field(w, buf, (size_t)n, false);
        return;
    case EM_TYPE_BIGINT:
        n = snprintf(buf, sizeof buf, "%lld", (long long)EM_VEC_I64(v)[i]);
        put_field(w, buf, (size_t)n, false);
        return;
    case EM_TYPE_DOUBLE:
        em_format_double(EM_VEC_F64(v)[i], buf, sizeof buf);
        break;
    case EM_TYPE_DECIMAL:
        em_format_decimal(EM_VEC_I64(v)[i], v->type.scale, buf, sizeof buf);
        break;
    case EM_TYPE_DATE:
        em_format_date(EM_VEC_I32(v)[i], buf, sizeof buf);
        break;
    case EM_TYPE_TIMESTAMP:
        em_format_timestamp(EM_VEC_I64(v)[i], buf, sizeof buf);
        break;
    case EM_TYPE_VARCHAR: {
        int32_t len;
        const char *p = em_vector_str(v, i, &len);
        put_field(w, p, (size_t)len, true);
        return;
    }
    default: {
        em_value val = em_vector_get(v, i);
        em_strbuf tmp;
        em_strbuf_init(&tmp);
        em_value_format(&val, &tmp);
        put_field(w, tmp.data ? tmp.data : "", tmp.len, false);
        em_strbuf_release(&tmp);
        return;
    }
    }
    put_field(w, buf, strlen(buf), false);
}

static int csv_write(void *wp, const em_batch *b, em_error *err)
{
    csv_writer *w = wp;
    for (int64_t i = 0; i < b->nrows; i++) {
        for (int c = 0; c < b->ncols; c++) {
            if (c) em_strbuf_putc(&w->line, w->o.delim);
            const em_vector *v = b->cols[c];
            if (!em_vector_is_valid(v, i))
                em_strbuf_append(&w->line, w->o.null, w->null_len);
            else
                put_value(w, v, i);
        }
        em_strbuf_putc(&w->line, '\n');
        if (w->line.len >= (1 << 16)) {
            EM_TRY(em__wfile_write(&w->f, w->line.data, w->line.len, err));
            em_strbuf_clear(&w->line);
        }
    }
    return 0;
}

static int64_t csv_bytes(void *wp)
{
    csv_writer *w = wp;
    return w->f.written + (int64_t)w->line.len;
}

static int csv_close(void *wp, bool commit, em_error *err)
{
    csv_writer *w = wp;
    int rc = 0;
    if (commit && w->line.len > 0) rc = em__wfile_write(&w->f, w->line.data, w->line.len, err);
    int rc2 = em__wfile_close(&w->f, commit && rc == 0, err);
    if (rc == 0) rc = rc2;
    em_strbuf_release(&w->line);
    em_schema_destroy(w->schema);
    em_free(w);
    return rc;
}

const em_format_writer_vt em__csv_writer_vt = {
    .open = csv_open,
    .write = csv_write,
    .bytes = csv_bytes,
    .close = csv_close,
};

/*
 * json_writer.c — writing batches as newline-delimited JSON objects
 * (COPY ... TO 'x.json'): one {"column":value,...} per row, NULL as null.
 *
 * Numbers are JSON numbers (DOUBLE NaN and infinities, which JSON cannot
 * spell, become null); DECIMAL keeps its scale (1.50); DATE, TIMESTAMP and
 * INTERVAL are strings as SQL prints them. Options: ARRAY (true: one JSON
 * array of the objects instead of lines) and COMPRESSION (none only).
 */
#include "format/writer.h"

#include <stdio.h>
#include <string.h>

static const char *const known[] = {"array", "compression", NULL};

typedef struct json_writer {
    em__wfile f;
    em_schema *schema;
    char **keys; /* each column name as an escaped JSON string plus ':' */
    bool array;
    int64_t rows;
    em_strbuf buf;
} json_writer;

static int parse_opts(const em_write_desc *d, bool *array, em_error *err)
{
    EM_TRY(em__write_check_options(d, "JSON", known, err));
    *array = false;
    const char *v;
    if ((v = em__write_option(d, "array")) != NULL) {
        if (em_str_ieq(v, "true") || em_str_ieq(v, "1") || em_str_ieq(v, "on"))
            *array = true;
        else if (!em_str_ieq(v, "false") && !em_str_ieq(v, "0") && !em_str_ieq(v, "off"))
            return em_error_set(err, EM_EINVAL, "option 'array' must be true or false, not '%s'",
                                v);
    }
    if ((v = em__write_option(d, "compression")) != NULL && !em_str_ieq(v, "none") &&
        !em_str_ieq(v, "uncompressed") && !em_str_ieq(v, "auto"))
        return em_error_set(err, EM_EUNSUPPORTED,
                            "JSON compression '%s' is not supported (only uncompressed files)", v);
    return 0;
}

int em__json_write_check(const em_write_desc *d, em_error *err)
{
    bool array;
    return parse_opts(d, &array, err);
}

static int json_open(const em_write_desc *d, const em_schema *schema, const char *path, void **out,
                     em_error *err)
{
    json_writer *w = em_calloc(1, sizeof *w);
    int rc = parse_opts(d, &w->array, err);
    if (rc == 0) rc = em__wfile_open(&w->f, path, err);
    if (rc < 0) {
        em_free(w);
        return rc;
    }
    w->schema = em_schema_copy(schema);
    w->keys = em_calloc((size_t)(schema->nfields > 0 ? schema->nfields : 1), sizeof(char *));
    em_strbuf_init(&w->buf);
    for (int c = 0; c < schema->nfields; c++) {
        em_strbuf sb;
        em_strbuf_init(&sb);
        em_json_append_string(&sb, schema->fields[c].name, strlen(schema->fields[c].name));
        em_strbuf_putc(&sb, ':');
        w->keys[c] = em_strbuf_detach(&sb);
    }
    if (w->array) em_strbuf_putc(&w->buf, '[');
    *out = w;
    return 0;
}

static int json_write(void *wp, const em_batch *b, em_error *err)
{
    json_writer *w = wp;
    for (int64_t i = 0; i < b->nrows; i++) {
        if (w->array) em_strbuf_puts(&w->buf, w->rows > 0 ? ",\n" : "\n");
        em_strbuf_putc(&w->buf, '{');
        for (int c = 0; c < b->ncols; c++) {
            if (c) em_strbuf_putc(&w->buf, ',');
            em_strbuf_puts(&w->buf, w->keys[c]);
            em_vector_append_json(b->cols[c], i, &w->buf);
        }
        em_strbuf_putc(&w->buf, '}');
        if (!w->array) em_strbuf_putc(&w->buf, '\n');
        w->rows++;
        if (w->buf.len >= (1 << 16)) {
            EM_TRY(em__wfile_write(&w->f, w->buf.data, w->buf.len, err));
            em_strbuf_clear(&w->buf);
        }
    }
    return 0;
}

static int64_t json_bytes(void *wp)
{
    json_writer *w = wp;
    return w->f.written + (int64_t)w->buf.len;
}

static int json_close(void *wp, bool commit, em_error *err)
{
    json_writer *w = wp;
    int rc = 0;
    if (commit && w->array) em_strbuf_puts(&w->buf, w->rows > 0 ? "\n]\n" : "]\n");
    if (commit && w->buf.len > 0) rc = em__wfile_write(&w->f, w->buf.data, w->buf.len, err);
    int rc2 = em__wfile_close(&w->f, commit && rc == 0, err);
    if (rc == 0) rc = rc2;
    for (int c = 0; c < w->schema->nfields; c++) em_free(w->keys[c]);
    em_free(w->keys);
    em_strbuf_release(&w->buf);
    em_schema_destroy(w->schema);
    em_free(w);
    return rc;
}

const em_format_writer_vt em__json_writer_vt = {
    .open = json_open,
    .write = json_write,
    .bytes = json_bytes,
    .close = json_close,
};

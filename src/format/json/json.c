/*
 * json.c — the JSON format: bind (options, inference, splits) and the vtable.
 *
 * Options: schema | columns (DDL, no inference), sample_size (objects to
 * infer from; default 20480, -1 for all), and for DuckDB compatibility
 * format (auto, newline_delimited, array: the layout is detected from the
 * file either way, a mismatch is an error), records (auto/true), auto_detect
 * (false: every column VARCHAR unless a schema is given), compression
 * (none/auto) and encoding (UTF-8). JSON lines files are split at line
 * starts (a newline cannot occur inside a JSON string, so every newline ends
 * a record). A file that is one top-level array, or whose first object spans
 * several lines (pretty-printed), is read as a single split.
 */
#include "format/json/json.h"

static const char *const known_options[] = {
    "schema",      "columns",     "sample_size", "format",  "records",
    "auto_detect", "compression", "encoding",    "charset", NULL,
};
static const char *const schema_names[] = {"schema", "columns", NULL};

/* First line start at or after s. */
static int64_t align_line(const char *base, int64_t size, int64_t s)
{
    if (s > 0 && base[s - 1] == '\n') return s;
    const char *nl = memchr(base + s, '\n', (size_t)(size - s));
    return nl ? nl + 1 - base : size;
}

/* Whether the first object of a JSON lines file sits on one line; a parse
 * error is left for the reader to report with its line. */
static bool first_record_one_line(const char *path, const char *base, int64_t size, int64_t start)
{
    em__json_iter it;
    em__json_iter_init(&it, path, base, size, start, size, false);
    em_error ignored;
    const char *rec = NULL;
    int rc = em__json_iter_next(&it, &rec, &ignored);
    bool one = rc <= 0 || memchr(rec, '\n', (size_t)(it.pos - rec)) == NULL;
    em__json_iter_release(&it);
    return one;
}

/* layout: 0 auto, 1 newline delimited, 2 array. */
static int plan_file(em_scan_desc *desc, int fi, int64_t split_bytes, int layout, em_error *err)
{
    em_mmap m;
    EM_TRY(em_os_mmap(desc->files[fi], &m, err));
    int64_t start;
    bool array;
    em__json_layout(m.data, m.size, &start, &array);
    if (layout != 0 && m.size > start && array != (layout == 2)) {
        em_os_munmap(&m);
        return em_error_set(err, EM_EFORMAT, "'%s' is %s, not %s", desc->files[fi],
                            array ? "a JSON array" : "newline-delimited JSON",
                            layout == 2 ? "a JSON array (format='array')"
                                        : "newline-delimited (format='newline_delimited')");
    }
    int64_t size = m.size;
    if (array || split_bytes <= 0 || size - start <= split_bytes ||
        !first_record_one_line(desc->files[fi], m.data, size, start)) {
        em__add_split(desc, fi, start, size);
        em_os_munmap(&m);
        return 0;
    }
    int64_t prev = start;
    bool added = false;
    for (int64_t s = split_bytes; s < size; s += split_bytes) {
        int64_t b = align_line(m.data, size, s);
        if (b <= prev) continue;
        em__add_split(desc, fi, prev, b);
        added = true;
        prev = b;
    }
    if (prev < size || !added) em__add_split(desc, fi, prev, size);
    em_os_munmap(&m);
    return 0;
}

static int json_bind(em_scan_desc *desc, int64_t split_bytes, em_threadpool *pool, em_error *err)
{
    EM_UNUSED(pool);
    EM_TRY(em__check_options(desc, "JSON", known_options, err));
    int64_t sample_size = 20480;
    const char *v = em_scan_desc_option(desc, "sample_size");
    if (v != NULL) {
        EM_TRY(em__option_int("sample_size", v, &sample_size, err));
        if (sample_size == 0)
            return em_error_set(err, EM_EINVAL, "option 'sample_size' must be positive or -1");
    }
    int layout = 0;
    if ((v = em_scan_desc_option(desc, "format")) != NULL) {
        if (em_str_ieq(v, "newline_delimited") || em_str_ieq(v, "nd") || em_str_ieq(v, "ndjson"))
            layout = 1;
        else if (em_str_ieq(v, "array"))
            layout = 2;
        else if (!em_str_ieq(v, "auto"))
            return em_error_set(err, EM_EINVAL,
                                "option 'format' must be auto, newline_delimited or array, not "
                                "'%s'",
                                v);
    }
    if ((v = em_scan_desc_option(desc, "records")) != NULL && !em_str_ieq(v, "auto") &&
        !em_str_ieq(v, "true"))
        return em_error_set(err, EM_EUNSUPPORTED,
                            "records = %s is not supported: rows must be JSON objects", v);
    bool all_varchar = false;
    if ((v = em_scan_desc_option(desc, "auto_detect")) != NULL) {
        bool detect;
        EM_TRY(em__option_bool("auto_detect", v, &detect, err));
        all_varchar = !detect;
    }
    EM_TRY(em__check_plain_file(desc, err));
    em_schema *schema = desc->schema; /* an explicit schema set by the caller */
    int rc = 0;
    if (schema == NULL && (v = em__option_any(desc, schema_names)) != NULL) {
        if ((rc = em_schema_parse_ddl(v, &schema, err)) < 0) {
            em_error_prefix(err, "option 'schema'");
            return rc;
        }
    }
    if (schema == NULL) {
        EM_TRY(em__json_sniff(desc, sample_size, &schema, err));
        if (all_varchar)
            for (int c = 0; c < schema->nfields; c++)
                schema->fields[c].type = em_type_make(EM_TYPE_VARCHAR);
    }
    for (int fi = 0; fi < desc->nfiles && rc == 0; fi++)
        rc = plan_file(desc, fi, split_bytes, layout, err);
    if (rc < 0) {
        if (schema != desc->schema) em_schema_destroy(schema);
        return rc;
    }
    desc->schema = schema;
    /* Readers need no options: the schema says it all. */
    em__options_clear(desc);
    return 0;
}

const em_format em_format_json = {
    .name = "json",
    .bind = json_bind,
    .open = em__json_open,
    .next = em__json_next,
    .close = em__json_close,
};

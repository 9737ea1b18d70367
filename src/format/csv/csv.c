/*
 * csv.c — the CSV format: bind (options, sniffing, splits) and the vtable.
 *
 * See csv.h for the dialect, csv_options.c for the options, csv_sniff.c for
 * header detection and inference, csv_split.c for parallel split planning
 * and csv_reader.c for the split reader.
 */
#include "format/csv/csv.h"

static bool has_suffix_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), l = strlen(suffix);
    return n >= l && em_str_ieq(s + n - l, suffix);
}

static int csv_bind(em_scan_desc *desc, int64_t split_bytes, em_threadpool *pool, em_error *err)
{
    em__csv_options o;
    em_schema *schema = desc->schema; /* an explicit schema set by the caller */
    int rc = em__csv_options_parse(desc, &o, err);
    if (rc < 0) goto out;
    /* Without a delimiter option, .tsv files are tab-separated. */
    if (o.d.delim == '\0') o.d.delim = has_suffix_ci(desc->files[0], ".tsv") ? '\t' : ',';
    if (o.d.delim == o.d.quote) {
        rc = em_error_set(err, EM_EINVAL, "the delimiter and the quote cannot both be '%c'",
                          o.d.delim);
        goto out;
    }
    if (schema == NULL && o.schema_ddl != NULL) {
        if ((rc = em_schema_parse_ddl(o.schema_ddl, &schema, err)) < 0) {
            em_error_prefix(err, "option 'schema'");
            goto out;
        }
    }
    if ((rc = em__csv_sniff(desc, &o, &schema, err)) < 0) goto out;
    if ((rc = em__csv_plan_splits(desc, &o, split_bytes, pool, err)) < 0) goto out;
    em__csv_options_store(desc, &o);
out:
    if (rc == 0) {
        desc->schema = schema;
    } else if (schema != desc->schema && schema != NULL) {
        em_schema_destroy(schema);
    }
    em__csv_options_release(&o);
    return rc;
}

const em_format em_format_csv = {
    .name = "csv",
    .bind = csv_bind,
    .open = em__csv_open,
    .next = em__csv_next,
    .close = em__csv_close,
};

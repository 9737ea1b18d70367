/*
 * csv_options.c — the CSV reader's options.
 *
 * Names follow DuckDB and Spark (lower-cased):
 *   delim | sep | delimiter   one character; "\t" may be written as two characters
 *   quote                     one character, or '' to disable quoting (default ")
 *   escape                    one character inside quoted fields (default: the
 *                             quote itself, i.e. doubled quotes); '' for none
 *   header                    true/false; default: detected (see csv_sniff.c)
 *   nullstr | nullvalue       unquoted text that reads as NULL (in addition to
 *                             the empty unquoted field, which is always NULL)
 *   schema | columns          explicit schema as DDL ("a INT, b VARCHAR") or a
 *                             DuckDB struct ({'a': 'INT'}); no inference
 *   sample_size               records to infer types from (default 20480; -1: all)
 *   all_varchar               true: every inferred column is VARCHAR
 *   inferschema               false: the same as all_varchar = true (Spark)
 *   auto_detect               false: no detection (header defaults to false and
 *                             columns are VARCHAR unless a schema is given)
 *   compression               only 'none' / 'auto' (uncompressed files)
 *   encoding | charset        only UTF-8
 * After bind the options hold the resolved dialect under the first names
 * (delim, quote, escape, header, nullstr) so that readers need not sniff.
 */
#include "format/csv/csv.h"

static const char *const known_options[] = {
    "delim",       "sep",         "delimiter",   "quote",    "escape",      "header",
    "nullstr",     "nullvalue",   "schema",      "columns",  "sample_size", "all_varchar",
    "inferschema", "auto_detect", "compression", "encoding", "charset",     NULL,
};

static const char *const delim_names[] = {"delim", "sep", "delimiter", NULL};
static const char *const null_names[] = {"nullstr", "nullvalue", NULL};
static const char *const schema_names[] = {"schema", "columns", NULL};

/* One character; "\t" spelled with a backslash is a tab. Empty text gives '\0'
 * when allowed. */
static int one_char(const char *key, const char *v, bool allow_empty, char *out, em_error *err)
{
    size_t n = strlen(v);
    if (n == 0 && allow_empty) {
        *out = '\0';
        return 0;
    }
    if (n == 2 && v[0] == '\\' && v[1] == 't') {
        *out = '\t';
        return 0;
    }
    if (n != 1 || (unsigned char)v[0] >= 0x80)
        return em_error_set(err, EM_EINVAL,
                            "option '%s' must be a single ASCII character%s, not '%s'", key,
                            allow_empty ? " or ''" : "", v);
    if (v[0] == '\n' || v[0] == '\r')
        return em_error_set(err, EM_EINVAL, "option '%s' cannot be a line break", key);
    *out = v[0];
    return 0;
}

int em__csv_options_parse(const em_scan_desc *desc, em__csv_options *o, em_error *err)
{
    memset(o, 0, sizeof *o);
    o->d.quote = '"';
    o->header = -1;
    o->sample_size = 20480;
    EM_TRY(em__check_options(desc, "CSV", known_options, err));

    const char *v;
    if ((v = em__option_any(desc, delim_names)) != NULL)
        EM_TRY(one_char("delim", v, false, &o->d.delim, err));
    if ((v = em_scan_desc_option(desc, "quote")) != NULL)
        EM_TRY(one_char("quote", v, true, &o->d.quote, err));
    o->d.escape = o->d.quote;
    if ((v = em_scan_desc_option(desc, "escape")) != NULL)
        EM_TRY(one_char("escape", v, true, &o->d.escape, err));
    if (o->d.quote == '\0') o->d.escape = '\0';
    if (o->d.delim != '\0' && o->d.delim == o->d.quote)
        return em_error_set(err, EM_EINVAL, "the delimiter and the quote cannot both be '%c'",
                            o->d.delim);
    if ((v = em_scan_desc_option(desc, "header")) != NULL) {
        bool b;
        EM_TRY(em__option_bool("header", v, &b, err));
        o->header = b;
    }
    if ((v = em_scan_desc_option(desc, "sample_size")) != NULL) {
        EM_TRY(em__option_int("sample_size", v, &o->sample_size, err));
        if (o->sample_size == 0)
            return em_error_set(err, EM_EINVAL, "option 'sample_size' must be positive or -1");
    }
    if ((v = em_scan_desc_option(desc, "all_varchar")) != NULL)
        EM_TRY(em__option_bool("all_varchar", v, &o->all_varchar, err));
    if ((v = em_scan_desc_option(desc, "inferschema")) != NULL) {
        bool infer;
        EM_TRY(em__option_bool("inferschema", v, &infer, err));
        if (!infer) o->all_varchar = true;
    }
    if ((v = em_scan_desc_option(desc, "auto_detect")) != NULL) {
        bool detect;
        EM_TRY(em__option_bool("auto_detect", v, &detect, err));
        if (!detect) {
            o->all_varchar = true;
            if (o->header < 0) o->header = 0;
        }
    }
    EM_TRY(em__check_plain_file(desc, err));
    if ((v = em__option_any(desc, null_names)) != NULL && v[0] != '\0') {
        o->d.nullstr = em_strdup(v);
        o->d.nullstr_len = strlen(v);
    }
    if ((v = em__option_any(desc, schema_names)) != NULL) o->schema_ddl = em_strdup(v);
    return 0;
}

void em__csv_options_release(em__csv_options *o)
{
    em_free(o->d.nullstr);
    em_free(o->schema_ddl);
    o->d.nullstr = NULL;
    o->schema_ddl = NULL;
}

void em__csv_options_store(em_scan_desc *desc, const em__csv_options *o)
{
    em__options_clear(desc);
    char c[2] = {0, 0};
    c[0] = o->d.delim;
    em_scan_desc_set_option(desc, "delim", c);
    c[0] = o->d.quote;
    em_scan_desc_set_option(desc, "quote", c);
    c[0] = o->d.escape;
    em_scan_desc_set_option(desc, "escape", c);
    em_scan_desc_set_option(desc, "header", o->header ? "true" : "false");
    if (o->d.nullstr) em_scan_desc_set_option(desc, "nullstr", o->d.nullstr);
}

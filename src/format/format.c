/*
 * format.c — the registry of file formats and the scan description:
 * lifecycle, option storage, file expansion (file, directory or glob), bind
 * dispatch, and Spark-style DDL schema strings.
 */
#include "format/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "os/os.h"

/* ---- registry ----------------------------------------------------------- */

const em_format *em_format_lookup(const char *name)
{
    if (name == NULL) return NULL;
    if (em_str_ieq(name, "csv")) return &em_format_csv;
    if (em_str_ieq(name, "json") || em_str_ieq(name, "ndjson") || em_str_ieq(name, "jsonl"))
        return &em_format_json;
    if (em_str_ieq(name, "parquet")) return &em_format_parquet;
    return NULL;
}

static bool ends_with_ci(const char *s, size_t n, const char *suffix)
{
    size_t l = strlen(suffix);
    return n >= l && strncasecmp(s + n - l, suffix, l) == 0;
}

const char *em_format_guess(const char *path)
{
    if (path == NULL) return NULL;
    size_t n = strlen(path);
    /* A trailing slash names a directory: nothing to go on. */
    if (n == 0 || path[n - 1] == '/') return NULL;
    if (ends_with_ci(path, n, ".csv") || ends_with_ci(path, n, ".tsv")) return "csv";
    if (ends_with_ci(path, n, ".json") || ends_with_ci(path, n, ".jsonl") ||
        ends_with_ci(path, n, ".ndjson"))
        return "json";
    if (ends_with_ci(path, n, ".parquet")) return "parquet";
    return NULL;
}

/* ---- description lifecycle ---------------------------------------------- */

em_scan_desc *em_scan_desc_create(const char *format)
{
    em_scan_desc *d = em_calloc(1, sizeof *d);
    d->format = format ? em_strdup(format) : NULL;
    return d;
}

void em_scan_desc_destroy(em_scan_desc *d)
{
    if (d == NULL) return;
    em_free(d->format);
    for (int i = 0; i < d->nfiles; i++) em_free(d->files[i]);
    em_free(d->files);
    em__options_clear(d);
    if (d->schema) em_schema_destroy(d->schema);
    em_free(d->splits);
    em_free(d);
}

em_scan_desc *em_scan_desc_copy(const em_scan_desc *d)
{
    em_scan_desc *c = em_scan_desc_create(d->format);
    c->nfiles = d->nfiles;
    if (d->nfiles > 0) {
        c->files = em_malloc((size_t)d->nfiles * sizeof *c->files);
        for (int i = 0; i < d->nfiles; i++) c->files[i] = em_strdup(d->files[i]);
    }
    c->noptions = d->noptions;
    if (d->noptions > 0) {
        c->options = em_malloc((size_t)d->noptions * sizeof *c->options);
        for (int i = 0; i < d->noptions; i++) {
            c->options[i].key = em_strdup(d->options[i].key);
            c->options[i].value = em_strdup(d->options[i].value);
        }
    }
    c->schema = d->schema ? em_schema_copy(d->schema) : NULL;
    c->nsplits = d->nsplits;
    if (d->nsplits > 0) {
        c->splits = em_malloc((size_t)d->nsplits * sizeof *c->splits);
        memcpy(c->splits, d->splits, (size_t)d->nsplits * sizeof *c->splits);
    }
    return c;
}

void em_scan_desc_set_option(em_scan_desc *d, const char *key, const char *value)
{
    char *k = em_strdup(key);
    for (char *p = k; *p; p++) *p = (char)tolower((unsigned char)*p);
    for (int i = 0; i < d->noptions; i++) {
        if (strcmp(d->options[i].key, k) != 0) continue;
        em_free(k);
        em_free(d->options[i].value);
        if (value != NULL) {
            d->options[i].value = em_strdup(value);
        } else {
            /* A NULL value removes the option. */
            em_free(d->options[i].key);
            d->options[i] = d->options[--d->noptions];
        }
        return;
    }
    if (value == NULL) {
        em_free(k);
        return;
    }
    d->options = em_realloc(d->options, (size_t)(d->noptions + 1) * sizeof *d->options);
    d->options[d->noptions].key = k;
    d->options[d->noptions].value = em_strdup(value);
    d->noptions++;
}

const char *em_scan_desc_option(const em_scan_desc *d, const char *key)
{
    for (int i = 0; i < d->noptions; i++)
        if (em_str_ieq(d->options[i].key, key)) return d->options[i].value;
    return NULL;
}

/* ---- files -------------------------------------------------------------- */

static void add_file(em_scan_desc *d, char *path)
{
    d->files = em_realloc(d->files, (size_t)(d->nfiles + 1) * sizeof *d->files);
    d->files[d->nfiles++] = path;
}

/* Add the regular files of a directory, and those under its Hive-style
 * partition subdirectories (key=value, as COPY ... PARTITION_BY writes them);
 * returns how many. */
static int add_dir_depth(em_scan_desc *d, const char *dir, int depth, em_error *err)
{
    char **names;
    int n;
    EM_TRY(em_os_list_dir(dir, &names, &n, err));
    int added = 0;
    for (int i = 0; i < n; i++) {
        char *path = em_os_path_join(dir, names[i]);
        em_os_kind kind = em_os_path_kind(path);
        if (kind == EM_OS_FILE) {
            add_file(d, path);
            added++;
            continue;
        }
        const char *eq = strchr(names[i], '=');
        if (kind == EM_OS_DIR && eq != NULL && eq != names[i] && depth < 32) {
            int rc = add_dir_depth(d, path, depth + 1, err);
            if (rc < 0) {
                em_free(path);
                em_os_free_list(names, n);
                return rc;
            }
            added += rc;
        }
        em_free(path);
    }
    em_os_free_list(names, n);
    return added;
}

static int add_dir(em_scan_desc *d, const char *dir, em_error *err)
{
    return add_dir_depth(d, dir, 0, err);
}

int em_scan_desc_add_files(em_scan_desc *d, const char *pattern, em_error *err)
{
    switch (em_os_path_kind(pattern)) {
    case EM_OS_FILE:
        add_file(d, em_strdup(pattern));
        return 0;
    case EM_OS_DIR: {
        int added = add_dir(d, pattern, err);
        if (added < 0) return added;
        if (added == 0) return em_error_set(err, EM_ENOENT, "no files in directory '%s'", pattern);
        return 0;
    }
    case EM_OS_OTHER:
        return em_error_set(err, EM_EIO, "not a regular file: '%s'", pattern);
    case EM_OS_MISSING:
        break;
    }
    if (!em_os_is_glob(pattern)) {
        int64_t size;
        int rc = em_os_file_size(pattern, &size, err);
        /* stat failed a moment ago; report why (ENOENT, EACCES, ...). */
        return rc < 0 ? rc
                      : em_error_set(err, EM_ENOENT, "No such file or directory: '%s'", pattern);
    }
    char **paths;
    int n;
    EM_TRY(em_os_glob(pattern, &paths, &n, err));
    int added = 0;
    for (int i = 0; i < n; i++) {
        em_os_kind kind = em_os_path_kind(paths[i]);
        if (kind == EM_OS_FILE) {
            add_file(d, paths[i]);
            paths[i] = NULL;
            added++;
        } else if (kind == EM_OS_DIR) {
            /* A glob over partition directories reads the files inside them. */
            int rc = add_dir(d, paths[i], err);
            if (rc < 0) {
                em_os_free_list(paths, n);
                return rc;
            }
            added += rc;
        }
    }
    em_os_free_list(paths, n);
    if (added == 0) return em_error_set(err, EM_ENOENT, "no files match '%s'", pattern);
    return 0;
}

/* ---- bind --------------------------------------------------------------- */

int em_scan_desc_bind(em_scan_desc *d, int64_t split_bytes, em_threadpool *pool, em_error *err)
{
    if (d->nfiles == 0) return em_error_set(err, EM_EINVAL, "no files to scan");
    if (d->format == NULL) {
        const char *guess = em_format_guess(d->files[0]);
        if (guess == NULL)
            return em_error_set(err, EM_EINVAL,
                                "cannot tell the format of '%s' from its name; "
                                "give one (csv, json or parquet)",
                                d->files[0]);
        d->format = em_strdup(guess);
    }
    const em_format *fmt = em_format_lookup(d->format);
    if (fmt == NULL)
        return em_error_set(err, EM_EINVAL,
                            "unknown file format '%s' (known: csv, json, parquet)",
                            d->format);
    em_free(d->format);
    d->format = em_strdup(fmt->name);
    em_free(d->splits);
    d->splits = NULL;
    d->nsplits = 0;
    /* Tiny splits only multiply the work of finding record boundaries. */
    if (split_bytes > 0 && split_bytes < 1024) split_bytes = 1024;
    int rc = fmt->bind(d, split_bytes, pool, err);
    if (rc < 0) {
        em_free(d->splits);
        d->splits = NULL;
        d->nsplits = 0;
    }
    return rc;
}

int em_scan_desc_prune(const em_scan_desc *d, const int *cols, int ncols, int nfilters,
                       struct em_expr *const *filters, em_scan_desc **out, em_error *err)
{
    *out = NULL;
    const em_format *fmt = em_format_lookup(d->format);
    if (fmt == NULL || fmt->prune == NULL || d->schema == NULL || nfilters <= 0) return 0;
    return fmt->prune(d, cols, ncols, nfilters, filters, out, err);
}

/* ---- schema names ------------------------------------------------------- */

static bool name_taken(char **names, int n, int self, const char *name)
{
    for (int i = 0; i < n; i++)
        if (i != self && names[i] != NULL && em_str_ieq(names[i], name)) return true;
    return false;
}

void em__unique_names(char **names, int n)
{
    for (int i = 0; i < n; i++) {
        if (names[i] == NULL || names[i][0] == '\0') {
            em_free(names[i]);
            names[i] = NULL;
            char buf[32];
            snprintf(buf, sizeof buf, "column%d", i);
            names[i] = em_strdup(buf);
        }
    }
    /* A later duplicate gets the first free suffix; earlier names keep theirs. */
    for (int i = 1; i < n; i++) {
        bool dup = false;
        for (int j = 0; j < i && !dup; j++) dup = em_str_ieq(names[j], names[i]);
        if (!dup) continue;
        size_t len = strlen(names[i]);
        char *cand = em_malloc(len + 24);
        for (int k = 1;; k++) {
            snprintf(cand, len + 24, "%s_%d", names[i], k);
            if (!name_taken(names, n, i, cand)) break;
        }
        em_free(names[i]);
        names[i] = cand;
    }
}

/* ---- DDL schema strings ------------------------------------------------- */

/* Accepted forms, one item per top-level comma:
 *   a INT            name and type (Spark DDL)
 *   `a b` STRING     quoted name (backquotes, double or single quotes)
 *   a: INT           optional colon
 *   'a': 'INT'       DuckDB's columns={...} struct, braces optional
 *   a INT NOT NULL   nullability
 *   a INT COMMENT 'x' comments are dropped */

static void skip_ws(const char **p)
{
    while (isspace((unsigned char)**p)) (*p)++;
}

/* Read a possibly quoted word; returns a new string or NULL on a syntax error. */
static char *read_name(const char **pp, const char *end)
{
    const char *p = *pp;
    if (p < end && (*p == '`' || *p == '"' || *p == '\'')) {
        char q = *p++;
        em_strbuf sb;
        em_strbuf_init(&sb);
        em_strbuf_append(&sb, "", 0);
        for (;;) {
            if (p >= end) {
                em_strbuf_release(&sb);
                return NULL;
            }
            if (*p == q) {
                if (p + 1 < end && p[1] == q) {
                    em_strbuf_putc(&sb, q);
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            em_strbuf_putc(&sb, *p++);
        }
        *pp = p;
        return em_strbuf_detach(&sb);
    }
    const char *s = p;
    while (p < end && !isspace((unsigned char)*p) && *p != ':') p++;
    if (p == s) return NULL;
    *pp = p;
    return em_strndup(s, (size_t)(p - s));
}

static const struct {
    const char *alias;
    em_type_id id;
} type_aliases[] = {
    {"string", EM_TYPE_VARCHAR},
    {"text", EM_TYPE_VARCHAR},
    {"varchar", EM_TYPE_VARCHAR},
    {"char", EM_TYPE_VARCHAR},
    {"bpchar", EM_TYPE_VARCHAR},
    {"long", EM_TYPE_BIGINT},
    {"bigint", EM_TYPE_BIGINT},
    {"int64", EM_TYPE_BIGINT},
    {"int8", EM_TYPE_BIGINT},
    {"int", EM_TYPE_INTEGER},
    {"integer", EM_TYPE_INTEGER},
    {"int32", EM_TYPE_INTEGER},
    {"int4", EM_TYPE_INTEGER},
    {"short", EM_TYPE_INTEGER},
    {"smallint", EM_TYPE_INTEGER},
    {"byte", EM_TYPE_INTEGER},
    {"tinyint", EM_TYPE_INTEGER},
    {"double", EM_TYPE_DOUBLE},
    {"float", EM_TYPE_DOUBLE},
    {"real", EM_TYPE_DOUBLE},
    {"float8", EM_TYPE_DOUBLE},
    {"float4", EM_TYPE_DOUBLE},
    {"double precision", EM_TYPE_DOUBLE},
    {"boolean", EM_TYPE_BOOLEAN},
    {"bool", EM_TYPE_BOOLEAN},
    {"date", EM_TYPE_DATE},
    {"timestamp", EM_TYPE_TIMESTAMP},
    {"timestamp_ntz", EM_TYPE_TIMESTAMP},
    {"datetime", EM_TYPE_TIMESTAMP},
};

static int parse_type_text(const char *text, em_type *out, em_error *err)
{
    /* Compare the base name (before any "(n)") against the aliases: Spark and
     * DuckDB spellings that vector/'s parser need not know. */
    size_t base = strcspn(text, "(");
    while (base > 0 && isspace((unsigned char)text[base - 1])) base--;
    bool has_args = text[strcspn(text, "(")] == '(';
    for (size_t i = 0; i < EM_ARRAY_LEN(type_aliases); i++) {
        const char *a = type_aliases[i].alias;
        if (strlen(a) == base && strncasecmp(a, text, base) == 0 &&
            (!has_args || type_aliases[i].id == EM_TYPE_VARCHAR)) {
            *out = em_type_make(type_aliases[i].id);
            return 0;
        }
    }
    return em_type_parse(text, out, err);
}

static int parse_item(const char *s, const char *end, em_field *f, em_error *err)
{
    const char *p = s;
    skip_ws(&p);
    char *name = read_name(&p, end);
    if (name == NULL)
        return em_error_set(err, EM_EINVAL, "invalid schema item '%.*s': expected a column name",
                            (int)(end - s), s);
    skip_ws(&p);
    if (p < end && *p == ':') {
        p++;
        skip_ws(&p);
    }
    /* The type runs to the end of the item, minus NOT NULL / COMMENT tails. */
    const char *tend = end;
    while (tend > p && isspace((unsigned char)tend[-1])) tend--;
    char *type = NULL;
    if (p < tend && (*p == '\'' || *p == '"')) {
        const char *q = p;
        type = read_name(&q, tend);
    } else {
        type = em_strndup(p, (size_t)(tend - p));
    }
    if (type == NULL || type[0] == '\0') {
        em_free(type);
        int rc = em_error_set(err, EM_EINVAL,
                              "invalid schema item '%.*s': expected a type "
                              "after the column name",
                              (int)(end - s), s);
        em_free(name);
        return rc;
    }
    bool nullable = true;
    /* Lower-case copy for keyword search, same length as `type`. */
    char *lower = em_strdup(type);
    for (char *c = lower; *c; c++) *c = (char)tolower((unsigned char)*c);
    char *comment = strstr(lower, " comment ");
    if (comment) {
        type[comment - lower] = '\0';
        *comment = '\0';
    }
    size_t tl = strlen(lower);
    while (tl > 0 && isspace((unsigned char)lower[tl - 1])) lower[--tl] = '\0';
    if (tl > 9 && strcmp(lower + tl - 9, " not null") == 0) {
        nullable = false;
        tl -= 9;
    } else if (tl > 5 && strcmp(lower + tl - 5, " null") == 0) {
        tl -= 5;
    }
    type[tl] = '\0';
    em_free(lower);
    em_type t;
    int rc = parse_type_text(type, &t, err);
    if (rc < 0) {
        em_error_prefix(err, "schema column '%s'", name);
        em_free(name);
        em_free(type);
        return rc;
    }
    em_free(type);
    f->name = name;
    f->type = t;
    f->nullable = nullable;
    return 0;
}

int em_schema_parse_ddl(const char *ddl, em_schema **out, em_error *err)
{
    *out = NULL;
    const char *s = ddl, *end = ddl + strlen(ddl);
    skip_ws(&s);
    while (end > s && isspace((unsigned char)end[-1])) end--;
    if (end > s && *s == '{' && end[-1] == '}') {
        s++;
        end--;
    }
    /* Split at top-level commas (not inside parentheses or quotes). */
    int cap = 8, n = 0;
    em_field *fields = em_calloc((size_t)cap, sizeof *fields);
    const char *item = s;
    int depth = 0;
    char quote = 0;
    int rc = 0;
    for (const char *p = s;; p++) {
        bool at_end = p >= end;
        if (!at_end && quote) {
            if (*p == quote) quote = 0;
            continue;
        }
        if (!at_end && (*p == '\'' || *p == '"' || *p == '`')) {
            quote = *p;
            continue;
        }
        if (!at_end && *p == '(') depth++;
        if (!at_end && *p == ')') depth--;
        if (!at_end && (*p != ',' || depth > 0)) continue;
        const char *ie = p;
        const char *ib = item;
        skip_ws(&ib);
        if (ib >= ie) {
            rc = em_error_set(err, EM_EINVAL, "invalid schema '%s': empty column definition", ddl);
            break;
        }
        if (n == cap) {
            cap *= 2;
            fields = em_realloc(fields, (size_t)cap * sizeof *fields);
        }
        memset(&fields[n], 0, sizeof fields[n]);
        rc = parse_item(item, ie, &fields[n], err);
        if (rc < 0) break;
        for (int i = 0; i < n; i++) {
            if (em_str_ieq(fields[i].name, fields[n].name)) {
                rc =
                    em_error_set(err, EM_EINVAL, "duplicate column '%s' in schema", fields[n].name);
                break;
            }
        }
        n++;
        if (rc < 0) break;
        if (at_end) break;
        item = p + 1;
    }
    if (rc == 0 && quote != 0)
        rc = em_error_set(err, EM_EINVAL, "invalid schema '%s': unterminated quote", ddl);
    if (rc < 0) {
        for (int i = 0; i < n; i++) em_free(fields[i].name);
        em_free(fields);
        return rc;
    }
    em_schema *sc = em_schema_create(n);
    for (int i = 0; i < n; i++) sc->fields[i] = fields[i];
    em_free(fields);
    *out = sc;
    return 0;
}

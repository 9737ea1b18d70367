/*
 * parquet.c — the Parquet format: bind (footers, schema, partitions, splits)
 * and the vtable.
 *
 * Bind reads the footer of every file (in parallel on the pool). The first
 * file's top-level columns are the scan's schema; every other file must have
 * each of them, with the same type (extra columns are ignored). Hive-style
 * key=value directories add trailing columns, typed BIGINT when every value is
 * an integer and VARCHAR otherwise. Splits are runs of whole row groups of
 * about split_bytes compressed bytes.
 *
 * Options (DuckDB's names): hive_partitioning (auto: on when the paths have
 * key=value directories), hive_types_autocast (false: partition columns stay
 * VARCHAR), binary_as_string (accepted; binary columns always read as text),
 * union_by_name (false only). After bind the only option left is the internal
 * "hive_columns": how many trailing columns come from directories.
 */
#include "format/parquet/parquet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const known_options[] = {
    "hive_partitioning", "hive_types_autocast", "binary_as_string", "union_by_name", NULL,
};

/* What bind needs from one file's footer. */
typedef struct file_info {
    const char *path;
    int nfields;
    char **names;
    em_type *types;
    const char **problems;
    int nrg;
    int64_t *rg_start;
    int64_t *rg_bytes;
    int64_t size;
    int rc;
    em_error err;
} file_info;

static void info_release(file_info *fi)
{
    for (int i = 0; i < fi->nfields; i++) em_free(fi->names[i]);
    em_free(fi->names);
    em_free(fi->types);
    em_free(fi->problems);
    em_free(fi->rg_start);
    em_free(fi->rg_bytes);
}

static void read_info(void *ctx, int i)
{
    file_info *fi = &((file_info *)ctx)[i];
    em__pq_file f;
    fi->rc = em__pq_file_open(&f, fi->path, &fi->err);
    if (fi->rc < 0) return;
    const em__pq_schema *s = &f.schema;
    fi->nfields = s->nfields;
    int nf = s->nfields > 0 ? s->nfields : 1;
    fi->names = em_calloc((size_t)nf, sizeof(char *));
    fi->types = em_calloc((size_t)nf, sizeof(em_type));
    fi->problems = em_calloc((size_t)nf, sizeof(char *));
    for (int k = 0; k < s->nfields; k++) {
        fi->names[k] = em_strdup(s->field_name[k]);
        fi->types[k] = s->field_type[k];
        /* Problems are static strings: they outlive the file. */
        fi->problems[k] = em__pq_field_problem(s, k);
    }
    const em__pq_file_meta *m = &f.meta;
    fi->nrg = m->nrow_groups;
    int ng = m->nrow_groups > 0 ? m->nrow_groups : 1;
    fi->rg_start = em_malloc(sizeof(int64_t) * (size_t)ng);
    fi->rg_bytes = em_malloc(sizeof(int64_t) * (size_t)ng);
    for (int g = 0; g < m->nrow_groups; g++) {
        const em__pq_row_group *rg = &m->row_groups[g];
        fi->rg_start[g] = em__pq_rg_start(rg);
        int64_t bytes = rg->total_compressed_size > 0 ? rg->total_compressed_size : 0;
        if (bytes == 0)
            for (int c = 0; c < rg->ncolumns; c++)
                if (rg->columns[c].has_meta) bytes += rg->columns[c].meta.total_compressed_size;
        fi->rg_bytes[g] = bytes > 0 ? bytes : rg->total_byte_size;
    }
    fi->size = f.size;
    em__pq_file_close(&f);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Runs of whole row groups of about split_bytes, covering [0, size). */
static void plan_splits(em_scan_desc *d, int file, const file_info *fi, int64_t split_bytes)
{
    if (fi->nrg == 0 || split_bytes <= 0) {
        em__add_split(d, file, 0, fi->size);
        return;
    }
    /* Row groups in file order (writers keep them so; sort to be safe). */
    int64_t(*rg)[2] = em_malloc(sizeof *rg * (size_t)fi->nrg);
    for (int g = 0; g < fi->nrg; g++) {
        rg[g][0] = fi->rg_start[g];
        rg[g][1] = fi->rg_bytes[g];
    }
    qsort(rg, (size_t)fi->nrg, sizeof *rg, cmp_i64);
    int64_t start = 0, acc = 0;
    for (int g = 0; g < fi->nrg; g++) {
        if (acc > 0 && acc + rg[g][1] > split_bytes && rg[g][0] > start) {
            em__add_split(d, file, start, rg[g][0]);
            start = rg[g][0];
            acc = 0;
        }
        acc += rg[g][1];
    }
    em__add_split(d, file, start, fi->size > start ? fi->size : start + 1);
    em_free(rg);
}

/* ---- hive partitions ------------------------------------------------------- */

typedef struct hive_key {
    char *name;
    bool all_int;
} hive_key;

static int find_key(const hive_key *k, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (em_str_ieq(k[i].name, name)) return i;
    return -1;
}

static int collect_hive(const em_scan_desc *d, hive_key **out, bool autocast)
{
    hive_key *keys = NULL;
    int nk = 0;
    for (int f = 0; f < d->nfiles; f++) {
        char **k, **v;
        int n = em__pq_hive_parse(d->files[f], &k, &v);
        for (int i = 0; i < n; i++) {
            int at = find_key(keys, nk, k[i]);
            if (at < 0) {
                keys = em_realloc(keys, sizeof *keys * (size_t)(nk + 1));
                keys[nk].name = em_strdup(k[i]);
                keys[nk].all_int = autocast;
                at = nk++;
            }
            int64_t x;
            if (strcmp(v[i], "__HIVE_DEFAULT_PARTITION__") != 0 &&
                !em__parse_i64_fast(v[i], strlen(v[i]), &x))
                keys[at].all_int = false;
        }
        em__pq_hive_free(k, v, n);
    }
    *out = keys;
    return nk;
}

/* ---- bind ------------------------------------------------------------------ */

static int check_options(em_scan_desc *d, int *hive, bool *autocast, em_error *err)
{
    EM_TRY(em__check_options(d, "Parquet", known_options, err));
    *hive = -1; /* auto */
    *autocast = true;
    const char *v;
    bool b;
    if ((v = em_scan_desc_option(d, "hive_partitioning")) != NULL) {
        if (em_str_ieq(v, "auto")) {
            *hive = -1;
        } else {
            EM_TRY(em__option_bool("hive_partitioning", v, &b, err));
            *hive = b;
        }
    }
    if ((v = em_scan_desc_option(d, "hive_types_autocast")) != NULL)
        EM_TRY(em__option_bool("hive_types_autocast", v, autocast, err));
    if ((v = em_scan_desc_option(d, "binary_as_string")) != NULL)
        EM_TRY(em__option_bool("binary_as_string", v, &b, err));
    if ((v = em_scan_desc_option(d, "union_by_name")) != NULL) {
        EM_TRY(em__option_bool("union_by_name", v, &b, err));
        if (b)
            return em_error_set(err, EM_EUNSUPPORTED,
                                "union_by_name is not supported for Parquet yet: every file must "
                                "have the first file's columns");
    }
    return 0;
}

static int check_file(const file_info *first, const file_info *fi, em_error *err)
{
    for (int k = 0; k < first->nfields; k++) {
        int at = -1;
        for (int j = 0; j < fi->nfields && at < 0; j++)
            if (em_str_ieq(fi->names[j], first->names[k])) at = j;
        if (at < 0)
            return em_error_set(err, EM_EFORMAT, "%s: no column '%s' (which '%s' has)", fi->path,
                                first->names[k], first->path);
        if (!em_type_equal(fi->types[at], first->types[k])) {
            char a[32], b[32];
            return em_error_set(err, EM_EFORMAT, "%s: column '%s' is %s, but %s in '%s'", fi->path,
                                first->names[k], em_type_name(fi->types[at], a, sizeof a),
                                em_type_name(first->types[k], b, sizeof b), first->path);
        }
        if (fi->problems[at] != NULL)
            return em_error_set(err, EM_EUNSUPPORTED, "%s: column '%s': %s", fi->path,
                                first->names[k], fi->problems[at]);
    }
    return 0;
}

static int pq_bind(em_scan_desc *d, int64_t split_bytes, em_threadpool *pool, em_error *err)
{
    int hive;
    bool autocast;
    EM_TRY(check_options(d, &hive, &autocast, err));
    if (d->schema != NULL)
        return em_error_set(err, EM_EUNSUPPORTED,
                            "Parquet files carry their schema; an explicit one is not supported");
    file_info *fi = em_calloc((size_t)d->nfiles, sizeof *fi);
    for (int i = 0; i < d->nfiles; i++) fi[i].path = d->files[i];
    em__parallel_for(pool, d->nfiles, read_info, fi);
    int rc = 0;
    for (int i = 0; i < d->nfiles && rc == 0; i++) {
        if (fi[i].rc < 0) {
            *err = fi[i].err;
            rc = fi[i].rc;
        }
    }
    for (int k = 0; rc == 0 && k < fi[0].nfields; k++)
        if (fi[0].problems[k] != NULL)
            rc = em_error_set(err, EM_EUNSUPPORTED, "%s: column '%s': %s", fi[0].path,
                              fi[0].names[k], fi[0].problems[k]);
    for (int i = 1; i < d->nfiles && rc == 0; i++) rc = check_file(&fi[0], &fi[i], err);
    hive_key *keys = NULL;
    int nk = 0;
    if (rc == 0 && hive != 0) nk = collect_hive(d, &keys, autocast);
    if (rc == 0) {
        /* File columns win over directory keys of the same name. */
        int nh = 0;
        for (int k = 0; k < nk; k++) {
            bool clash = false;
            for (int j = 0; j < fi[0].nfields && !clash; j++)
                clash = em_str_ieq(fi[0].names[j], keys[k].name);
            if (!clash)
                keys[nh++] = keys[k];
            else
                em_free(keys[k].name);
        }
        nk = nh;
        em_schema *s = em_schema_create(fi[0].nfields + nk);
        for (int k = 0; k < fi[0].nfields; k++) {
            s->fields[k].name = em_strdup(fi[0].names[k]);
            s->fields[k].type = fi[0].types[k];
            s->fields[k].nullable = true;
        }
        for (int k = 0; k < nk; k++) {
            em_field *f = &s->fields[fi[0].nfields + k];
            f->name = em_strdup(keys[k].name);
            f->type = em_type_make(keys[k].all_int ? EM_TYPE_BIGINT : EM_TYPE_VARCHAR);
            f->nullable = true;
        }
        for (int i = 0; i < d->nfiles; i++) plan_splits(d, i, &fi[i], split_bytes);
        em__options_clear(d);
        if (nk > 0) {
            char buf[16];
            snprintf(buf, sizeof buf, "%d", nk);
            em_scan_desc_set_option(d, "hive_columns", buf);
        }
        d->schema = s;
    }
    for (int k = 0; k < nk; k++) em_free(keys[k].name);
    em_free(keys);
    for (int i = 0; i < d->nfiles; i++) info_release(&fi[i]);
    em_free(fi);
    return rc;
}

static int pq_row_count(const em_scan_desc *d, int64_t *rows, em_error *err)
{
    *rows = 0;
    for (int i = 0; i < d->nfiles; i++) {
        em__pq_file f;
        EM_TRY(em__pq_file_open(&f, d->files[i], err));
        *rows += f.meta.num_rows;
        em__pq_file_close(&f);
    }
    return 0;
}

const em_format em_format_parquet = {
    .name = "parquet",
    .bind = pq_bind,
    .open = em__pq_open,
    .next = em__pq_next,
    .close = em__pq_close,
    .prune = em__pq_prune,
    .row_count = pq_row_count,
};

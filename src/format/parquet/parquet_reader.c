/*
 * parquet_reader.c — reading one split of a Parquet scan.
 *
 * A split is a byte range of one file; its row groups are those whose first
 * byte lies inside the range (em__pq_rg_start), so every row group of a file
 * belongs to exactly one split. Only the column chunks of projected columns
 * are touched. Columns are matched to the file by name, so the files of a
 * scan may order their columns differently; partition columns (Hive
 * directories) are constants per file.
 */
#include "format/parquet/parquet.h"

#include <string.h>

typedef struct pq_reader {
    em__pq_file file;
    char *path;
    int ncols;
    em_type *types; /* per projected column */
    int *field;     /* per projected column: field of the file, or -1 (partition) */
    bool *nested;
    char **names;    /* per projected column (for messages) */
    em_value *pvals; /* per projected column: partition value */
    em_arena *arena;
    int nrg;
    int *rgs;
    int cur;           /* index into rgs of the row group being read, -1 before */
    int64_t rows_left; /* of the current row group */
    em__pq_colreader **cr;
    em__pq_nested **nr;
} pq_reader;

static void close_rg(pq_reader *r)
{
    for (int k = 0; k < r->ncols; k++) {
        em__pq_col_close(r->cr[k]);
        r->cr[k] = NULL;
        em__pq_nested_close(r->nr[k]);
        r->nr[k] = NULL;
    }
}

void em__pq_close(void *reader)
{
    pq_reader *r = reader;
    if (r == NULL) return;
    if (r->cr) close_rg(r);
    em_free(r->cr);
    em_free(r->nr);
    em__pq_file_close(&r->file);
    if (r->names)
        for (int k = 0; k < r->ncols; k++) em_free(r->names[k]);
    em_free(r->names);
    em_free(r->types);
    em_free(r->field);
    em_free(r->nested);
    em_free(r->pvals);
    em_free(r->rgs);
    if (r->arena) em_arena_destroy(r->arena);
    em_free(r->path);
    em_free(r);
}

int em__pq_hive_columns(const em_scan_desc *desc)
{
    const char *v = em_scan_desc_option(desc, "hive_columns");
    int64_t n = 0;
    if (v != NULL && em__parse_i64_fast(v, strlen(v), &n) && n >= 0 && desc->schema != NULL &&
        n <= desc->schema->nfields)
        return (int)n;
    return 0;
}

int em__pq_open(const em_scan_desc *desc, int split, const int *cols, int ncols, void **out,
                em_error *err)
{
    *out = NULL;
    if (desc->schema == NULL || split < 0 || split >= desc->nsplits)
        return em_error_set(err, EM_EINTERNAL, "Parquet scan opened without a bound split %d",
                            split);
    const em_split *sp = &desc->splits[split];
    const em_schema *schema = desc->schema;
    int nfile = schema->nfields - em__pq_hive_columns(desc);
    pq_reader *r = em_calloc(1, sizeof *r);
    r->path = em_strdup(desc->files[sp->file]);
    r->ncols = ncols;
    int nc = ncols > 0 ? ncols : 1;
    r->types = em_calloc((size_t)nc, sizeof *r->types);
    r->field = em_calloc((size_t)nc, sizeof *r->field);
    r->nested = em_calloc((size_t)nc, sizeof *r->nested);
    r->names = em_calloc((size_t)nc, sizeof *r->names);
    r->pvals = em_calloc((size_t)nc, sizeof *r->pvals);
    r->cr = em_calloc((size_t)nc, sizeof *r->cr);
    r->nr = em_calloc((size_t)nc, sizeof *r->nr);
    r->arena = em_arena_create(1024);
    r->cur = -1;
    int rc = em__pq_file_open(&r->file, r->path, err);
    if (rc < 0) {
        em__pq_close(r);
        return rc;
    }
    const em__pq_schema *fs = &r->file.schema;
    for (int k = 0; k < ncols; k++) {
        int c = cols[k];
        if (c < 0 || c >= schema->nfields) {
            em__pq_close(r);
            return em_error_set(err, EM_EINTERNAL, "Parquet scan: column %d out of range", c);
        }
        const em_field *fd = &schema->fields[c];
        r->types[k] = fd->type;
        r->names[k] = em_strdup(fd->name);
        if (c >= nfile) {
            r->field[k] = -1;
            r->pvals[k] = em__pq_hive_value(r->arena, r->path, fd->name, fd->type);
            continue;
        }
        int f = em__pq_file_field(&r->file, fd->name);
        if (f < 0) {
            em__pq_close(r);
            return em_error_set(err, EM_EFORMAT,
                                "%s: no column '%s' (other files of the scan have it)",
                                desc->files[sp->file], fd->name);
        }
        if (!em_type_equal(fs->field_type[f], fd->type)) {
            char a[32], b[32];
            em_error_set(err, EM_EFORMAT, "%s: column '%s' is %s here but %s in the scan's schema",
                         desc->files[sp->file], fd->name,
                         em_type_name(fs->field_type[f], a, sizeof a),
                         em_type_name(fd->type, b, sizeof b));
            em__pq_close(r);
            return EM_EFORMAT;
        }
        r->field[k] = f;
        r->nested[k] = fs->field_nested[f];
    }
    const em__pq_file_meta *m = &r->file.meta;
    r->rgs = em_malloc(sizeof(int) * (size_t)(m->nrow_groups > 0 ? m->nrow_groups : 1));
    for (int g = 0; g < m->nrow_groups; g++) {
        int64_t s = em__pq_rg_start(&m->row_groups[g]);
        if (s >= sp->start && s < sp->end) r->rgs[r->nrg++] = g;
    }
    *out = r;
    return 0;
}

static int open_rg(pq_reader *r, em_error *err)
{
    int g = r->rgs[r->cur];
    for (int k = 0; k < r->ncols; k++) {
        int f = r->field[k];
        if (f < 0) continue;
        em__pq_where w = {r->path, g, r->file.schema.field_name[f]};
        const char *problem = em__pq_field_problem(&r->file.schema, f);
        if (problem != NULL) return em__pq_where_error(&w, err, EM_EUNSUPPORTED, "%s", problem);
        if (r->nested[k]) {
            em__pq_nested_close(r->nr[k]);
            r->nr[k] = NULL;
            EM_TRY(em__pq_nested_open(&r->file, g, f, &w, &r->nr[k], err));
        } else {
            int leaf = r->file.schema.nodes[r->file.schema.field_node[f]].leaf;
            int rc;
            /* The reader of the previous row group's chunk hands over its buffers. */
            em__pq_colreader *old = r->cr[k];
            r->cr[k] = em__pq_col_reopen(old, &r->file, g, leaf, &w, err, &rc);
            if (r->cr[k] == NULL) return rc;
        }
    }
    r->rows_left = r->file.meta.row_groups[g].num_rows;
    return 0;
}

int em__pq_next(void *reader, em_batch **out, em_error *err)
{
    pq_reader *r = reader;
    *out = NULL;
    while (r->rows_left == 0) {
        if (r->cur + 1 >= r->nrg) {
            close_rg(r);
            return 0;
        }
        r->cur++;
        EM_TRY(open_rg(r, err));
    }
    int64_t n = EM_MIN(r->rows_left, (int64_t)EM_BATCH_ROWS);
    em_batch *b = em_batch_create(r->ncols);
    for (int k = 0; k < r->ncols; k++) {
        em_vector *v;
        int rc = 0;
        if (r->field[k] < 0) {
            v = em_vector_from_value(&r->pvals[k], n);
        } else {
            v = em_vector_create(r->types[k], n);
            if (r->nested[k])
                rc = em__pq_nested_read(r->nr[k], v, n, err);
            else
                rc = em__pq_col_read_flat(r->cr[k], v, n, err);
        }
        em_batch_set_col(b, k, v);
        if (rc < 0) {
            em_batch_destroy(b);
            return rc;
        }
    }
    b->nrows = n;
    r->rows_left -= n;
    *out = b;
    return 0;
}

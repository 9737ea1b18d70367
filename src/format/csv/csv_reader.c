/*
 * csv_reader.c — reading one split of a CSV file into typed batches.
 *
 * The reader maps the whole file and walks the records that start inside its
 * split (bind() aligned split starts to record boundaries, see csv_split.c).
 * Each record is tokenized into field slices, then only the projected columns
 * are converted, straight from the mapped bytes into the batch's vectors.
 * Values that do not convert to the column's type are errors naming file,
 * line and column; line numbers are computed only on that path.
 */
#include "format/csv/csv.h"

typedef struct csv_reader {
    em_mmap map;
    em__csv_options o;
    em__csv_tok tok;
    char *path;
    em_schema *schema; /* a copy: the description may go away first */
    int ncols;
    int *cols;
    uint8_t *types; /* em_type_id per projected column */
    const char *pos;
    const char *stop; /* records starting at or after this belong to the next split */
    bool done;
} csv_reader;

void em__csv_close(void *reader)
{
    csv_reader *r = reader;
    if (r == NULL) return;
    em__csv_tok_release(&r->tok);
    em_os_munmap(&r->map);
    em__csv_options_release(&r->o);
    if (r->schema) em_schema_destroy(r->schema);
    em_free(r->path);
    em_free(r->cols);
    em_free(r->types);
    em_free(r);
}

int em__csv_open(const em_scan_desc *desc, int split, const int *cols, int ncols, void **out,
                 em_error *err)
{
    *out = NULL;
    if (desc->schema == NULL || split < 0 || split >= desc->nsplits)
        return em_error_set(err, EM_EINTERNAL, "CSV scan opened without a bound split %d", split);
    const em_split *sp = &desc->splits[split];
    csv_reader *r = em_calloc(1, sizeof *r);
    int rc = em__csv_options_parse(desc, &r->o, err);
    if (rc < 0) {
        em__csv_close(r);
        return rc;
    }
    if (r->o.d.delim == '\0') r->o.d.delim = ',';
    r->path = em_strdup(desc->files[sp->file]);
    r->schema = em_schema_copy(desc->schema);
    r->ncols = ncols;
    r->cols = em_malloc((size_t)(ncols > 0 ? ncols : 1) * sizeof *r->cols);
    r->types = em_malloc((size_t)(ncols > 0 ? ncols : 1));
    for (int k = 0; k < ncols; k++) {
        if (cols[k] < 0 || cols[k] >= r->schema->nfields) {
            em__csv_close(r);
            return em_error_set(err, EM_EINTERNAL, "CSV scan: column %d out of range", cols[k]);
        }
        r->cols[k] = cols[k];
        r->types[k] = r->schema->fields[cols[k]].type.id;
    }
    if ((rc = em_os_mmap(r->path, &r->map, err)) < 0) {
        em__csv_close(r);
        return rc;
    }
    if (sp->start < 0 || sp->end > r->map.size || sp->start > sp->end) {
        em__csv_close(r);
        return em_error_set(err, EM_EIO, "'%s' changed size since the query was planned", r->path);
    }
    em__csv_tok_init(&r->tok, r->path, r->map.data, r->map.size, &r->o.d);
    r->pos = r->map.data + sp->start;
    r->stop = r->map.data + sp->end;
    em_os_mmap_willneed(&r->map, sp->start, sp->end - sp->start);
    *out = r;
    return 0;
}

static int convert_error(csv_reader *r, int k, const em__csv_field *f, em_error *err)
{
    return em__convert_error(err, r->path, em__line_at(r->map.data, f->raw - r->map.data),
                             r->schema, r->cols[k], f->p, (size_t)f->n);
}

/* Convert the projected fields of the current record; the common types are
 * handled inline, the rest by em__append_text. */
static int append_record(csv_reader *r, em_batch *b, em_error *err)
{
    const em__csv_tok *t = &r->tok;
    for (int k = 0; k < r->ncols; k++) {
        const em__csv_field *f = &t->f[r->cols[k]];
        em_vector *v = b->cols[k];
        uint8_t type = r->types[k];
        if (f->n == 0 ? (type != EM_TYPE_VARCHAR || !(f->flags & EM__CSV_QUOTED))
                      : em__csv_is_null(t, f)) {
            em_vector_append_null(v);
            continue;
        }
        switch (type) {
        case EM_TYPE_VARCHAR:
            if (EM_UNLIKELY(f->n > INT32_MAX - v->chars_len))
                return em_error_set(err, EM_EFORMAT, "%s:%lld: field of %lld bytes is too long",
                                    r->path,
                                    (long long)em__line_at(r->map.data, f->raw - r->map.data),
                                    (long long)f->n);
            em_vector_append_str(v, f->p, (int32_t)f->n);
            break;
        case EM_TYPE_BIGINT: {
            int64_t x;
            if (EM_LIKELY(em__parse_i64_fast(f->p, (size_t)f->n, &x))) {
                em_vector_append_i64(v, x);
            } else if (!em__append_text(v, f->p, (size_t)f->n)) {
                return convert_error(r, k, f, err);
            }
            break;
        }
        case EM_TYPE_DOUBLE: {
            double x;
            if (EM_LIKELY(em__parse_f64_fast(f->p, (size_t)f->n, &x) == 1)) {
                em_vector_append_f64(v, x);
            } else if (!em__append_text(v, f->p, (size_t)f->n)) {
                return convert_error(r, k, f, err);
            }
            break;
        }
        case EM_TYPE_DATE: {
            int32_t x;
            if (EM_LIKELY(em__parse_date_fast(f->p, (size_t)f->n, &x))) {
                em_vector_append_i32(v, x);
            } else if (!em__append_text(v, f->p, (size_t)f->n)) {
                return convert_error(r, k, f, err);
            }
            break;
        }
        default:
            if (!em__append_text(v, f->p, (size_t)f->n)) return convert_error(r, k, f, err);
            break;
        }
    }
    return 0;
}

/* Bytes of record text per batch beyond which the batch is cut early, so that
 * a VARCHAR vector stays far below Arrow's 2 GiB offset limit. */
#define BATCH_TEXT_LIMIT (256LL << 20)

int em__csv_next(void *reader, em_batch **out, em_error *err)
{
    csv_reader *r = reader;
    *out = NULL;
    if (r->done) return 0;
    const char *end = r->map.data + r->map.size;
    const int nfields = r->schema->nfields;
    em_batch *b = em_batch_create(r->ncols);
    for (int k = 0; k < r->ncols; k++)
        em_batch_set_col(b, k, em_vector_create(r->schema->fields[r->cols[k]].type, EM_BATCH_ROWS));
    int64_t rows = 0, text = 0;
    const char *p = r->pos;
    while (rows < EM_BATCH_ROWS && text < BATCH_TEXT_LIMIT) {
        p = em__csv_skip_empty(p, end);
        if (p >= r->stop) {
            r->done = true;
            break;
        }
        const char *rec = p;
        int rc = em__csv_tok_record(&r->tok, &p, err);
        if (rc == 0 && r->tok.nf != nfields) rc = em__csv_ragged_error(&r->tok, rec, nfields, err);
        if (rc == 0) rc = append_record(r, b, err);
        if (rc < 0) {
            em_batch_destroy(b);
            r->done = true;
            return rc;
        }
        rows++;
        text += p - rec;
    }
    r->pos = p;
    if (rows == 0) {
        em_batch_destroy(b);
        return 0;
    }
    b->nrows = rows;
    *out = b;
    return 0;
}

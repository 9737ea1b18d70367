/*
 * csv_reader.c — reading one split of a CSV file into typed batches.
 *
 * The reader maps the whole file and walks the records that start inside its
 * split (bind() aligned split starts to record boundaries, see csv_split.c).
 * A batch is built in two passes: first up to EM_BATCH_ROWS records are
 * tokenized and the slices of the projected fields kept per column; then
 * each column is converted in one tight, type-specialised loop, straight
 * from the mapped bytes into the vector's buffers. Column-at-a-time keeps the
 * conversion loops free of per-value dispatch. Values that do not convert to
 * the column's type are errors naming file, line and column; line numbers are
 * computed only on that path.
 */
#include "format/csv/csv.h"

/* A projected field of one row, kept compact (16 bytes) because a batch
 * holds EM_BATCH_ROWS of them per column. */
typedef struct csv_cell {
    const char *p; /* the text, or an offset into the tokenizer's scratch */
    int32_t n;
    uint32_t flags; /* EM__CSV_QUOTED, EM__CSV_SCRATCH */
} csv_cell;

typedef struct csv_reader {
    em_mmap map;
    em__csv_options o;
    em__csv_tok tok;
    char *path;
    em_schema *schema; /* a copy: the description may go away first */
    int ncols;
    int *cols;
    csv_cell **cells;  /* per projected column: the field of each row */
    const char **recs; /* where each row's record starts (for error lines) */
    const char *pos;
    const char *stop; /* records starting at or after this belong to the next split */
    int64_t released; /* bytes before this offset have been dropped from the mapping */
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
    if (r->cells) {
        for (int k = 0; k < r->ncols; k++) em_free(r->cells[k]);
    }
    em_free(r->cells);
    em_free(r->recs);
    em_free(r->path);
    em_free(r->cols);
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
    r->cells = em_calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *r->cells);
    r->recs = em_malloc(EM_BATCH_ROWS * sizeof *r->recs);
    for (int k = 0; k < ncols; k++) {
        if (cols[k] < 0 || cols[k] >= r->schema->nfields) {
            em__csv_close(r);
            return em_error_set(err, EM_EINTERNAL, "CSV scan: column %d out of range", cols[k]);
        }
        r->cols[k] = cols[k];
        r->cells[k] = em_malloc(EM_BATCH_ROWS * sizeof *r->cells[k]);
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
    r->released = sp->start;
    r->stop = r->map.data + sp->end;
    em_os_mmap_willneed(&r->map, sp->start, sp->end - sp->start);
    *out = r;
    return 0;
}

/* ---- column conversion --------------------------------------------------- */

/* The error path: tokenize the row's record again to find where the field
 * starts, for its line number. The value is copied first because it may live
 * in the scratch buffer, which the second tokenizer does not touch but a
 * reader's next batch would. */
static int convert_error(const csv_reader *r, int k, int64_t row, const char *p, int64_t n,
                         em_error *err)
{
    char *value = em_strndup(p, (size_t)n);
    em__csv_tok t;
    em__csv_tok_init(&t, r->path, r->map.data, r->map.size, &r->tok.d);
    const char *q = r->recs[row];
    em_error ignored;
    const char *raw = r->recs[row];
    if (em__csv_tok_record(&t, &q, &ignored) == 0 && r->cols[k] < t.nf) raw = t.f[r->cols[k]].raw;
    em__csv_tok_release(&t);
    int rc = em__convert_error(err, r->path, em__line_at(r->map.data, raw - r->map.data), r->schema,
                               r->cols[k], value, (size_t)n);
    em_free(value);
    return rc;
}

static inline const char *cell_text(const csv_reader *r, const csv_cell *f)
{
    return (f->flags & EM__CSV_SCRATCH) ? r->tok.scratch + (uintptr_t)f->p : f->p;
}

/* How far past a cell's text memory is readable: the end of the file, or
 * nothing beyond the text for an unescaped copy in the scratch buffer. */
static inline const char *cell_limit(const csv_reader *r, const csv_cell *f, const char *p)
{
    return (f->flags & EM__CSV_SCRATCH) ? p + f->n : r->tok.end;
}

/* NULL: an unquoted empty field or the null string; for every type but
 * VARCHAR also a quoted empty string. */
static inline bool cell_null(const csv_reader *r, const csv_cell *f, const char *p, bool varchar)
{
    if (f->n == 0) return !varchar || !(f->flags & EM__CSV_QUOTED);
    const em__csv_dialect *d = &r->tok.d;
    return d->nullstr != NULL && !(f->flags & EM__CSV_QUOTED) && (size_t)f->n == d->nullstr_len &&
           memcmp(p, d->nullstr, d->nullstr_len) == 0;
}

/* A value the fast path refused: the lenient conversion appends it to `tmp`
 * (a one-row vector of the column's type) and we copy it out. */
static bool slow_value(em_vector *tmp, const char *p, int64_t n)
{
    tmp->length = 0;
    if (tmp->type.id == EM_TYPE_VARCHAR) tmp->chars_len = 0;
    return em__append_text(tmp, p, (size_t)n);
}

/* em__parse_i64_swar, extended to 17..19 digits (the SWAR helpers stop at
 * 16, and random or hashed BIGINT columns are mostly 18 and 19 digits long):
 * the leading 1..3 digits and two blocks of 8 each go through the SWAR
 * conversion, at most 9.99e18 fits in 64 bits unsigned, and the range check
 * matches em__parse_i64_fast. Everything else goes to em__parse_i64_swar. */
static inline bool parse_i64(const char *p, size_t n, const char *limit, int64_t *out)
{
#ifdef EM__SWAR
    if (n >= 17 && n <= 20 && limit - p >= 24) {
        bool neg = p[0] == '-';
        size_t i = (p[0] == '-' || p[0] == '+');
        size_t d = n - i;
        if (d >= 17 && d <= 19) {
            uint64_t top = em__swar_load(p + i, d - 16), rest;
            if (!em__swar_all_digits(top) || !em__swar_digits(p + i + d - 16, 16, &rest))
                return false;
            uint64_t v = (uint64_t)em__swar_value(top) * 10000000000000000ULL + rest;
            if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0)) return false;
            *out = !neg ? (int64_t)v : v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
            return true;
        }
    }
#endif
    return em__parse_i64_swar(p, n, limit, out);
}

static int convert_i64(csv_reader *r, int k, em_vector *v, int64_t rows, em_error *err)
{
    const csv_cell *c = r->cells[k];
    int64_t *out = EM_VEC_I64(v);
    em_vector *tmp = NULL;
    int rc = 0;
    for (int64_t i = 0; i < rows; i++) {
        const char *p = cell_text(r, &c[i]);
        if (cell_null(r, &c[i], p, false)) {
            out[i] = 0;
            em_vector_set_null(v, i);
            continue;
        }
        if (EM_LIKELY(parse_i64(p, (size_t)c[i].n, cell_limit(r, &c[i], p), &out[i])))
            continue;
        if (tmp == NULL) tmp = em_vector_create(v->type, 1);
        if (!slow_value(tmp, p, c[i].n)) {
            rc = convert_error(r, k, i, p, c[i].n, err);
            break;
        }
        out[i] = EM_VEC_I64(tmp)[0];
    }
    em_vector_unref(tmp);
    v->length = rows;
    return rc;
}

static int convert_f64(csv_reader *r, int k, em_vector *v, int64_t rows, em_error *err)
{
    const csv_cell *c = r->cells[k];
    double *out = EM_VEC_F64(v);
    for (int64_t i = 0; i < rows; i++) {
        const char *p = cell_text(r, &c[i]);
        if (cell_null(r, &c[i], p, false)) {
            out[i] = 0;
            em_vector_set_null(v, i);
            continue;
        }
        int fr = em__parse_f64_swar(p, (size_t)c[i].n, cell_limit(r, &c[i], p), &out[i]);
        if (EM_LIKELY(fr == 1)) continue;
        if (fr == 3 && em__parse_f64_fast(p, (size_t)c[i].n, &out[i]) == 1) continue;
        if (!em__text_f64(p, (size_t)c[i].n, &out[i])) {
            v->length = rows;
            return convert_error(r, k, i, p, c[i].n, err);
        }
    }
    v->length = rows;
    return 0;
}

static int convert_date(csv_reader *r, int k, em_vector *v, int64_t rows, em_error *err)
{
    const csv_cell *c = r->cells[k];
    int32_t *out = EM_VEC_I32(v);
    for (int64_t i = 0; i < rows; i++) {
        const char *p = cell_text(r, &c[i]);
        if (cell_null(r, &c[i], p, false)) {
            out[i] = 0;
            em_vector_set_null(v, i);
            continue;
        }
        if (EM_LIKELY(em__parse_date_fast(p, (size_t)c[i].n, &out[i]))) continue;
        if (!em__text_date(p, (size_t)c[i].n, &out[i])) {
            v->length = rows;
            return convert_error(r, k, i, p, c[i].n, err);
        }
    }
    v->length = rows;
    return 0;
}

static int convert_varchar(csv_reader *r, int k, em_vector *v, int64_t rows, em_error *err)
{
    const csv_cell *c = r->cells[k];
    int64_t total = 0;
    for (int64_t i = 0; i < rows; i++) total += c[i].n;
    if (total > INT32_MAX - v->chars_len)
        return em_error_set(err, EM_EFORMAT, "%s:%lld: field of %lld bytes is too long", r->path,
                            (long long)em__line_at(r->map.data, r->recs[0] - r->map.data),
                            (long long)total);
    /* 16 bytes of slack let short strings be copied with two fixed-size
     * moves instead of a memcpy call. */
    em_vector_reserve_chars(v, total + 16);
    int32_t *off = EM_VEC_OFFSETS(v);
    char *chars = v->chars;
    int64_t len = v->chars_len;
    for (int64_t i = 0; i < rows; i++) {
        const char *p = cell_text(r, &c[i]);
        int64_t n = c[i].n;
        if (cell_null(r, &c[i], p, true)) {
            off[i + 1] = (int32_t)len;
            em_vector_set_null(v, i);
            continue;
        }
        if (n <= 16 && cell_limit(r, &c[i], p) - p >= 16) {
            memcpy(chars + len, p, 8);
            memcpy(chars + len + 8, p + 8, 8);
        } else {
            memcpy(chars + len, p, (size_t)n);
        }
        len += n;
        off[i + 1] = (int32_t)len;
    }
    v->chars_len = len;
    v->length = rows;
    return 0;
}

/* Every other type goes through the generic appends. */
static int convert_generic(csv_reader *r, int k, em_vector *v, int64_t rows, em_error *err)
{
    const csv_cell *c = r->cells[k];
    for (int64_t i = 0; i < rows; i++) {
        const char *p = cell_text(r, &c[i]);
        if (cell_null(r, &c[i], p, false)) {
            em_vector_append_null(v);
        } else if (!em__append_text(v, p, (size_t)c[i].n)) {
            return convert_error(r, k, i, p, c[i].n, err);
        }
    }
    return 0;
}

static int convert_column(csv_reader *r, int k, em_vector *v, int64_t rows, em_error *err)
{
    switch (v->type.id) {
    case EM_TYPE_BIGINT:
        return convert_i64(r, k, v, rows, err);
    case EM_TYPE_DOUBLE:
        return convert_f64(r, k, v, rows, err);
    case EM_TYPE_DATE:
        return convert_date(r, k, v, rows, err);
    case EM_TYPE_VARCHAR:
        return convert_varchar(r, k, v, rows, err);
    default:
        return convert_generic(r, k, v, rows, err);
    }
}

/* ---- batches -------------------------------------------------------------- */

/* Bytes of record text per batch beyond which the batch is cut early, so that
 * a VARCHAR vector stays far below Arrow's 2 GiB offset limit. */
#define BATCH_TEXT_LIMIT (256LL << 20)

/* Tokenize up to EM_BATCH_ROWS records, keeping the projected fields. */
static int tokenize_batch(csv_reader *r, int64_t *rows_out, em_error *err)
{
    const char *end = r->map.data + r->map.size;
    const int nfields = r->schema->nfields, ncols = r->ncols;
    em__csv_tok *t = &r->tok;
    int64_t rows = 0, text = 0;
    const char *p = r->pos;
    t->slen = 0;
    while (rows < EM_BATCH_ROWS && text < BATCH_TEXT_LIMIT) {
        p = em__csv_skip_empty(p, end);
        if (p >= r->stop) {
            r->done = true;
            break;
        }
        const char *rec = p;
        EM_TRY(em__csv_tok_record_raw(t, &p, err));
        if (EM_UNLIKELY(t->nf != nfields)) return em__csv_ragged_error(t, rec, nfields, err);
        for (int k = 0; k < ncols; k++) {
            const em__csv_field *f = &t->f[r->cols[k]];
            if (EM_UNLIKELY(f->n > INT32_MAX))
                return em_error_set(
                    err, EM_EFORMAT, "%s:%lld: field of %lld bytes is too long", r->path,
                    (long long)em__line_at(r->map.data, f->raw - r->map.data), (long long)f->n);
            csv_cell *c = &r->cells[k][rows];
            c->p = f->p;
            c->n = (int32_t)f->n;
            c->flags = f->flags;
        }
        r->recs[rows] = rec;
        rows++;
        text += p - rec;
    }
    r->pos = p;
    *rows_out = rows;
    return 0;
}

int em__csv_next(void *reader, em_batch **out, em_error *err)
{
    csv_reader *r = reader;
    *out = NULL;
    if (r->done) return 0;
    int64_t rows = 0;
    int rc = tokenize_batch(r, &rows, err);
    if (rc < 0 || rows == 0) {
        r->done = true;
        return rc;
    }
    em_batch *b = em_batch_create(r->ncols);
    for (int k = 0; k < r->ncols && rc == 0; k++) {
        em_vector *v = em_vector_create(r->schema->fields[r->cols[k]].type, EM_BATCH_ROWS);
        em_batch_set_col(b, k, v);
        rc = convert_column(r, k, v, rows, err);
    }
    if (rc < 0) {
        em_batch_destroy(b);
        r->done = true;
        return rc;
    }
    b->nrows = rows;
    *out = b;
    /* Every value of the batch has been copied out of the mapping: let go of the
     * pages behind the cursor so that resident memory does not grow with the file. */
    int64_t upto = r->pos - r->map.data;
    if (upto - r->released >= (int64_t)4 << 20) {
        em_os_mmap_release(&r->map, r->released, upto - r->released);
        r->released = upto;
    }
    return 0;
}

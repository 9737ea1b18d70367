/*
 * csv_sniff.c — header detection and type inference for CSV files.
 *
 * The sample is the first `sample_size` records, read across files in order
 * (a directory of small files still gets a full sample). Each column keeps the
 * set of candidate types that parsed every non-NULL sample value; the column
 * gets the narrowest survivor of BOOLEAN < BIGINT < DOUBLE < DATE < TIMESTAMP,
 * else VARCHAR (also for columns with no non-NULL value in the sample).
 * INTEGER is never inferred (BIGINT, as DuckDB does) and numbers with a point
 * or exponent are DOUBLE.
 *
 * Header detection (when header is not given) decides on the first record of
 * the first non-empty file alone: it is a header when every field is a
 * non-empty string that is not NULL and does not read as a boolean, number,
 * date or timestamp. Otherwise it is data. Column names then come from the
 * header (empty and duplicate names made unique) or are column0, column1, ...
 */
#include "format/csv/csv.h"

typedef struct sniff_state {
    int ncols; /* -1 until the first record is seen */
    char **names;
    unsigned *cand; /* candidate types per column */
    bool *seen;     /* some non-NULL value was seen */
    int64_t rows;   /* sampled data records */
} sniff_state;

static bool looks_like_header(const em__csv_tok *t)
{
    for (int i = 0; i < t->nf; i++) {
        const em__csv_field *f = &t->f[i];
        if (f->n == 0 || em__csv_is_null(t, f)) return false;
        if (em__text_candidates(f->p, (size_t)f->n, EM__CAND_ALL) != 0) return false;
    }
    return true;
}

static void infer_row(sniff_state *s, const em__csv_tok *t)
{
    for (int c = 0; c < s->ncols; c++) {
        const em__csv_field *f = &t->f[c];
        if (f->n == 0 || em__csv_is_null(t, f)) continue;
        s->seen[c] = true;
        if (s->cand[c] != 0) s->cand[c] = em__text_candidates(f->p, (size_t)f->n, s->cand[c]);
    }
}

static void first_record(sniff_state *s, em__csv_options *o, const em__csv_tok *t,
                         const em_schema *explicit_schema)
{
    if (o->header < 0) o->header = looks_like_header(t) ? 1 : 0;
    s->ncols = explicit_schema ? explicit_schema->nfields : t->nf;
    if (explicit_schema) return;
    s->names = em_calloc((size_t)s->ncols, sizeof *s->names);
    s->cand = em_malloc((size_t)s->ncols * sizeof *s->cand);
    s->seen = em_calloc((size_t)s->ncols, sizeof *s->seen);
    for (int c = 0; c < s->ncols; c++) {
        s->cand[c] = o->all_varchar ? 0 : EM__CAND_ALL;
        if (o->header) s->names[c] = em_strndup(t->f[c].p, (size_t)t->f[c].n);
    }
    em__unique_names(s->names, s->ncols);
}

/* Sample one mapped file; *full is set when the sample is complete. */
static int sample_file(sniff_state *s, em__csv_options *o, const em_schema *explicit_schema,
                       const char *path, const em_mmap *m, bool *full, em_error *err)
{
    em__csv_tok t;
    em__csv_tok_init(&t, path, m->data, m->size, &o->d);
    const char *end = m->data + m->size;
    const char *p = m->data + em__skip_bom(m->data, m->size);
    int rc = 0;
    p = em__csv_skip_empty(p, end);
    if (p < end) {
        const char *rec = p;
        if ((rc = em__csv_tok_record(&t, &p, err)) < 0) goto done;
        if (s->ncols < 0) {
            first_record(s, o, &t, explicit_schema);
            if (explicit_schema) {
                /* Nothing to infer: the first record only decided the header. */
                *full = true;
                goto done;
            }
            if (!o->header) {
                infer_row(s, &t);
                s->rows++;
            }
        } else if (!o->header) {
            if (t.nf != s->ncols) {
                rc = em__csv_ragged_error(&t, rec, s->ncols, err);
                goto done;
            }
            infer_row(s, &t);
            s->rows++;
        }
    }
    /* All-VARCHAR schemas need no sample beyond the first record. */
    bool need_more = !o->all_varchar;
    while (need_more && (o->sample_size <= 0 || s->rows < o->sample_size)) {
        p = em__csv_skip_empty(p, end);
        if (p >= end) break;
        const char *rec = p;
        if ((rc = em__csv_tok_record(&t, &p, err)) < 0) goto done;
        if (t.nf != s->ncols) {
            rc = em__csv_ragged_error(&t, rec, s->ncols, err);
            goto done;
        }
        infer_row(s, &t);
        s->rows++;
    }
    *full = s->ncols >= 0 && (!need_more || (o->sample_size > 0 && s->rows >= o->sample_size));
done:
    em__csv_tok_release(&t);
    return rc;
}

int em__csv_sniff(const em_scan_desc *desc, em__csv_options *o, em_schema **schema, em_error *err)
{
    const em_schema *explicit_schema = *schema;
    sniff_state s = {.ncols = -1};
    int rc = 0;
    for (int i = 0; i < desc->nfiles; i++) {
        em_mmap m;
        if ((rc = em_os_mmap(desc->files[i], &m, err)) < 0) break;
        bool full = false;
        rc = sample_file(&s, o, explicit_schema, desc->files[i], &m, &full, err);
        em_os_munmap(&m);
        if (rc < 0 || full) break;
    }
    if (rc == 0 && s.ncols < 0) {
        /* Every file is empty. */
        if (o->header < 0) o->header = 1;
        if (explicit_schema == NULL)
            rc = em_error_set(err, EM_EFORMAT, "no columns in empty file '%s'", desc->files[0]);
    }
    if (rc == 0 && explicit_schema == NULL) {
        em_schema *sc = em_schema_create(s.ncols);
        for (int c = 0; c < s.ncols; c++) {
            sc->fields[c].name = s.names[c];
            s.names[c] = NULL;
            sc->fields[c].type =
                s.seen[c] ? em__candidates_type(s.cand[c]) : em_type_make(EM_TYPE_VARCHAR);
            sc->fields[c].nullable = true;
        }
        *schema = sc;
    }
    if (s.names) {
        for (int c = 0; c < s.ncols; c++) em_free(s.names[c]);
    }
    em_free(s.names);
    em_free(s.cand);
    em_free(s.seen);
    return rc;
}

int em__csv_data_start(const char *path, const char *base, int64_t size, const em__csv_options *o,
                       int64_t *out, em_error *err)
{
    const char *end = base + size;
    const char *p = base + em__skip_bom(base, size);
    if (o->header) {
        p = em__csv_skip_empty(p, end);
        if (p < end) {
            em__csv_tok t;
            em__csv_tok_init(&t, path, base, size, &o->d);
            int rc = em__csv_tok_record(&t, &p, err);
            em__csv_tok_release(&t);
            if (rc < 0) return rc;
        }
    }
    *out = p - base;
    return 0;
}

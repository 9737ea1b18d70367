/*
 * json_reader.c — reading one split of a JSON file into typed batches.
 *
 * Per object, each member's key is resolved to a column (first by guessing
 * that keys come in the same order as in the previous object, which is the
 * common case and costs one memcmp, then through the key index); the last
 * occurrence of a duplicate key wins, missing keys read as NULL and keys
 * outside the schema are ignored. Only projected columns are converted.
 */
#include "format/json/json.h"

typedef struct json_reader {
    em_mmap map;
    em__json_iter it;
    char *path;
    em_schema *schema; /* a copy: the description may go away first */
    char **names;      /* schema names, for the key index */
    em__json_keys keys;
    int ncols;
    int *cols;
    int *slot;     /* per schema column: member index in the current object */
    uint32_t *gen; /* per schema column: the object that set slot */
    uint32_t cur;  /* the current object's generation */
    int *predict;  /* per member position: the column it had in the last object */
    int npredict;
    bool done;
} json_reader;

void em__json_close(void *reader)
{
    json_reader *r = reader;
    if (r == NULL) return;
    em__json_iter_release(&r->it);
    em_os_munmap(&r->map);
    em__json_keys_release(&r->keys);
    if (r->schema) em_schema_destroy(r->schema);
    em_free(r->names);
    em_free(r->path);
    em_free(r->cols);
    em_free(r->slot);
    em_free(r->gen);
    em_free(r->predict);
    em_free(r);
}

int em__json_open(const em_scan_desc *desc, int split, const int *cols, int ncols, void **out,
                  em_error *err)
{
    *out = NULL;
    if (desc->schema == NULL || split < 0 || split >= desc->nsplits)
        return em_error_set(err, EM_EINTERNAL, "JSON scan opened without a bound split %d", split);
    const em_split *sp = &desc->splits[split];
    json_reader *r = em_calloc(1, sizeof *r);
    r->path = em_strdup(desc->files[sp->file]);
    r->schema = em_schema_copy(desc->schema);
    int nf = r->schema->nfields;
    r->names = em_malloc((size_t)(nf > 0 ? nf : 1) * sizeof *r->names);
    em__json_keys_init(&r->keys);
    for (int c = 0; c < nf; c++) {
        r->names[c] = r->schema->fields[c].name;
        /* Keep the first of two names that differ only in case. */
        if (em__json_keys_find(&r->keys, r->names[c], strlen(r->names[c])) < 0)
            em__json_keys_add(&r->keys, r->names, c);
    }
    r->ncols = ncols;
    r->cols = em_malloc((size_t)(ncols > 0 ? ncols : 1) * sizeof *r->cols);
    for (int k = 0; k < ncols; k++) {
        if (cols[k] < 0 || cols[k] >= nf) {
            em__json_close(r);
            return em_error_set(err, EM_EINTERNAL, "JSON scan: column %d out of range", cols[k]);
        }
        r->cols[k] = cols[k];
    }
    r->slot = em_calloc((size_t)(nf > 0 ? nf : 1), sizeof *r->slot);
    r->gen = em_calloc((size_t)(nf > 0 ? nf : 1), sizeof *r->gen);
    int rc = em_os_mmap(r->path, &r->map, err);
    if (rc < 0) {
        em__json_close(r);
        return rc;
    }
    if (sp->start < 0 || sp->end > r->map.size || sp->start > sp->end) {
        em__json_close(r);
        return em_error_set(err, EM_EIO, "'%s' changed size since the query was planned", r->path);
    }
    int64_t start;
    bool array;
    em__json_layout(r->map.data, r->map.size, &start, &array);
    /* An array file is one split; its reader starts at the top of the file. */
    em__json_iter_init(&r->it, r->path, r->map.data, r->map.size, array ? start : sp->start,
                       sp->end, array);
    em_os_mmap_willneed(&r->map, sp->start, sp->end - sp->start);
    *out = r;
    return 0;
}

/* The column of member i of the current object, or -1. */
static int resolve(json_reader *r, int i)
{
    const em__json_member *m = &r->it.jp.m[i];
    if (i < r->npredict) {
        int c = r->predict[i];
        if (c >= 0 && !m->key_escaped) {
            const char *name = r->names[c];
            if (strncmp(name, m->key, (size_t)m->key_n) == 0 && name[m->key_n] == '\0') return c;
        }
    } else {
        r->predict = em_realloc(r->predict, (size_t)(i + 1) * sizeof *r->predict);
        for (int k = r->npredict; k <= i; k++) r->predict[k] = -1;
        r->npredict = i + 1;
    }
    const char *key = m->key;
    int64_t n = m->key_n;
    if (m->key_escaped) key = em__json_unescape(&r->it.jp, key, n, &n);
    int c = em__json_keys_find(&r->keys, key, (size_t)n);
    r->predict[i] = c;
    return c;
}

static int convert_error(json_reader *r, int col, const em__json_member *m, const char *text,
                         int64_t n, em_error *err)
{
    return em__convert_error(err, r->path, em__line_at(r->map.data, m->p - r->map.data), r->schema,
                             col, text, (size_t)n);
}

static int append_member(json_reader *r, int col, em_vector *v, const em__json_member *m,
                         em_error *err)
{
    uint8_t type = v->type.id;
    const char *p = m->p;
    int64_t n = m->n;
    switch ((em__json_kind)m->kind) {
    case EM__JSON_NULL:
        em_vector_append_null(v);
        return 0;
    case EM__JSON_STRING:
        if (m->escaped) p = em__json_unescape(&r->it.jp, p, n, &n);
        if (type == EM_TYPE_VARCHAR) break;
        /* An empty string is NULL for every other type, as in CSV. */
        if (n == 0) {
            em_vector_append_null(v);
            return 0;
        }
        if (!em__append_text(v, p, (size_t)n)) return convert_error(r, col, m, p, n, err);
        return 0;
    case EM__JSON_INT:
        if (type == EM_TYPE_BIGINT) {
            int64_t x;
            if (!em__parse_i64_swar(p, (size_t)n, r->it.jp.end, &x))
                return convert_error(r, col, m, p, n, err);
            em_vector_append_i64(v, x);
            return 0;
        }
        /* fall through */
    case EM__JSON_FLOAT:
        if (type == EM_TYPE_DOUBLE) {
            double x;
            int fr = em__parse_f64_swar(p, (size_t)n, r->it.jp.end, &x);
            if (fr != 1 && (fr != 3 || em__parse_f64_fast(p, (size_t)n, &x) != 1) &&
                !em__text_f64(p, (size_t)n, &x))
                return convert_error(r, col, m, p, n, err);
            em_vector_append_f64(v, x);
            return 0;
        }
        if (type == EM_TYPE_VARCHAR) break;
        if (type == EM_TYPE_DATE || type == EM_TYPE_TIMESTAMP || !em__append_text(v, p, (size_t)n))
            return convert_error(r, col, m, p, n, err);
        return 0;
    case EM__JSON_TRUE:
    case EM__JSON_FALSE:
        if (type == EM_TYPE_BOOLEAN) {
            em_vector_append_bool(v, m->kind == EM__JSON_TRUE);
            return 0;
        }
        if (type == EM_TYPE_VARCHAR) break;
        return convert_error(r, col, m, p, n, err);
    case EM__JSON_NESTED:
        if (type == EM_TYPE_VARCHAR) break;
        return convert_error(r, col, m, p, n, err);
    }
    if (n > INT32_MAX - v->chars_len)
        return em_error_set(err, EM_EFORMAT, "%s:%lld: value of %lld bytes is too long", r->path,
                            (long long)em__line_at(r->map.data, m->p - r->map.data), (long long)n);
    em_vector_append_str(v, p, (int32_t)n);
    return 0;
}

static int append_object(json_reader *r, em_batch *b, em_error *err)
{
    const em__json_parser *jp = &r->it.jp;
    uint32_t g = ++r->cur;
    if (g == 0) {
        /* The generation wrapped: forget every stamp. */
        memset(r->gen, 0, (size_t)r->schema->nfields * sizeof *r->gen);
        g = r->cur = 1;
    }
    for (int i = 0; i < jp->nm; i++) {
        int c = resolve(r, i);
        if (c < 0) continue;
        r->slot[c] = i;
        r->gen[c] = g;
    }
    for (int k = 0; k < r->ncols; k++) {
        int c = r->cols[k];
        if (r->gen[c] != g) {
            em_vector_append_null(b->cols[k]);
            continue;
        }
        EM_TRY(append_member(r, c, b->cols[k], &jp->m[r->slot[c]], err));
    }
    return 0;
}

#define BATCH_TEXT_LIMIT (256LL << 20)

int em__json_next(void *reader, em_batch **out, em_error *err)
{
    json_reader *r = reader;
    *out = NULL;
    if (r->done) return 0;
    em_batch *b = em_batch_create(r->ncols);
    for (int k = 0; k < r->ncols; k++)
        em_batch_set_col(b, k, em_vector_create(r->schema->fields[r->cols[k]].type, EM_BATCH_ROWS));
    int64_t rows = 0, text = 0;
    while (rows < EM_BATCH_ROWS && text < BATCH_TEXT_LIMIT) {
        const char *rec = NULL;
        int rc = em__json_iter_next(&r->it, &rec, err);
        if (rc == 0) {
            r->done = true;
            break;
        }
        if (rc > 0) rc = append_object(r, b, err);
        if (rc < 0) {
            em_batch_destroy(b);
            r->done = true;
            return rc;
        }
        rows++;
        text += r->it.pos - rec;
    }
    if (rows == 0) {
        em_batch_destroy(b);
        r->done = true;
        return 0;
    }
    b->nrows = rows;
    *out = b;
    return 0;
}

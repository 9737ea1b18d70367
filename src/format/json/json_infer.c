/*
 * json_infer.c — schema inference for JSON files.
 *
 * Columns appear in the order their keys are first seen in the sample. Each
 * column records which JSON types it held:
 *   only true/false            -> BOOLEAN
 *   only integers              -> BIGINT (an integer beyond int64 counts as a float)
 *   integers and/or fractions  -> DOUBLE
 *   only strings               -> DATE if all are ISO dates, TIMESTAMP if all are
 *                                 dates or ISO timestamps, else VARCHAR
 *   nested objects or arrays, or a mix of the groups above -> VARCHAR
 *   nothing but null           -> VARCHAR
 */
#include "format/json/json.h"

enum { SEEN_BOOL = 1, SEEN_INT = 2, SEEN_FLOAT = 4, SEEN_STRING = 8, SEEN_NESTED = 16 };

typedef struct json_col {
    unsigned seen;
    unsigned str_cand; /* EM__CAND_DATE | EM__CAND_TIMESTAMP still possible */
} json_col;

typedef struct infer_state {
    char **names;
    json_col *cols;
    int n;
    int cap;
    em__json_keys keys;
    int64_t rows;
} infer_state;

static int column_for(infer_state *s, em__json_parser *jp, const em__json_member *m)
{
    const char *key = m->key;
    int64_t n = m->key_n;
    if (m->key_escaped) key = em__json_unescape(jp, key, n, &n);
    int col = em__json_keys_find(&s->keys, key, (size_t)n);
    if (col >= 0) return col;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->names = em_realloc(s->names, (size_t)s->cap * sizeof *s->names);
        s->cols = em_realloc(s->cols, (size_t)s->cap * sizeof *s->cols);
    }
    col = s->n++;
    s->names[col] = em_strndup(key, (size_t)n);
    s->cols[col].seen = 0;
    s->cols[col].str_cand = EM__CAND_DATE | EM__CAND_TIMESTAMP;
    em__json_keys_add(&s->keys, s->names, col);
    return col;
}

static void observe(json_col *c, em__json_parser *jp, const em__json_member *m)
{
    switch ((em__json_kind)m->kind) {
    case EM__JSON_NULL:
        break;
    case EM__JSON_TRUE:
    case EM__JSON_FALSE:
        c->seen |= SEEN_BOOL;
        break;
    case EM__JSON_INT: {
        int64_t x;
        c->seen |= em__parse_i64_fast(m->p, (size_t)m->n, &x) ? SEEN_INT : SEEN_FLOAT;
        break;
    }
    case EM__JSON_FLOAT:
        c->seen |= SEEN_FLOAT;
        break;
    case EM__JSON_STRING: {
        c->seen |= SEEN_STRING;
        if (c->str_cand == 0) break;
        const char *p = m->p;
        int64_t n = m->n;
        if (m->escaped) p = em__json_unescape(jp, p, n, &n);
        c->str_cand = n == 0 ? 0 : em__text_candidates(p, (size_t)n, c->str_cand);
        break;
    }
    case EM__JSON_NESTED:
        c->seen |= SEEN_NESTED;
        break;
    }
}

static em_type column_type(const json_col *c)
{
    unsigned s = c->seen;
    unsigned numeric = SEEN_INT | SEEN_FLOAT;
    if (s == 0 || (s & SEEN_NESTED)) return em_type_make(EM_TYPE_VARCHAR);
    if (s & SEEN_STRING) {
        if (s & (SEEN_BOOL | numeric)) return em_type_make(EM_TYPE_VARCHAR);
        if (c->str_cand & EM__CAND_DATE) return em_type_make(EM_TYPE_DATE);
        if (c->str_cand & EM__CAND_TIMESTAMP) return em_type_make(EM_TYPE_TIMESTAMP);
        return em_type_make(EM_TYPE_VARCHAR);
    }
    if (s & SEEN_BOOL) return em_type_make(s & numeric ? EM_TYPE_VARCHAR : EM_TYPE_BOOLEAN);
    if (s & SEEN_FLOAT) return em_type_make(EM_TYPE_DOUBLE);
    return em_type_make(EM_TYPE_BIGINT);
}

static int sample_file(infer_state *s, const char *path, const em_mmap *m, int64_t sample_size,
                       em_error *err)
{
    int64_t start;
    bool array;
    em__json_layout(m->data, m->size, &start, &array);
    em__json_iter it;
    em__json_iter_init(&it, path, m->data, m->size, start, m->size, array);
    int rc = 0;
    while (sample_size <= 0 || s->rows < sample_size) {
        const char *rec;
        rc = em__json_iter_next(&it, &rec, err);
        if (rc <= 0) break;
        rc = 0;
        for (int i = 0; i < it.jp.nm; i++) {
            const em__json_member *mem = &it.jp.m[i];
            int col = column_for(s, &it.jp, mem);
            observe(&s->cols[col], &it.jp, mem);
        }
        s->rows++;
    }
    em__json_iter_release(&it);
    return rc;
}

int em__json_sniff(const em_scan_desc *desc, int64_t sample_size, em_schema **schema, em_error *err)
{
    infer_state s = {0};
    em__json_keys_init(&s.keys);
    int rc = 0;
    for (int i = 0; i < desc->nfiles; i++) {
        if (sample_size > 0 && s.rows >= sample_size) break;
        em_mmap m;
        if ((rc = em_os_mmap(desc->files[i], &m, err)) < 0) break;
        rc = sample_file(&s, desc->files[i], &m, sample_size, err);
        em_os_munmap(&m);
        if (rc < 0) break;
    }
    if (rc == 0 && s.n == 0) {
        rc = s.rows == 0
                 ? em_error_set(err, EM_EFORMAT, "no columns in empty file '%s'", desc->files[0])
                 : em_error_set(err, EM_EFORMAT, "no columns: the objects in '%s' have no keys",
                                desc->files[0]);
    }
    if (rc == 0) {
        em_schema *sc = em_schema_create(s.n);
        for (int c = 0; c < s.n; c++) {
            sc->fields[c].name = s.names[c];
            s.names[c] = NULL;
            sc->fields[c].type = column_type(&s.cols[c]);
            sc->fields[c].nullable = true;
        }
        *schema = sc;
    }
    for (int c = 0; c < s.n; c++) em_free(s.names[c]);
    em_free(s.names);
    em_free(s.cols);
    em__json_keys_release(&s.keys);
    return rc;
}

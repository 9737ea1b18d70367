/*
 * exec_test_util.h — helpers shared by the operator tests: building vectors
 * and batches from C arrays, running a pipeline into a batch list, and
 * rendering rows as strings so that whole results compare with one strcmp.
 */
#ifndef EM_EXEC_TEST_UTIL_H
#define EM_EXEC_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/exec.h"

/* Rows of the integer helpers whose value equals this become NULL. */
#define TNULL INT64_MIN

static inline em_vector *tv_i64(int n, const int64_t *x)
{
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_BIGINT), n);
    for (int i = 0; i < n; i++) {
        if (x[i] == TNULL)
            em_vector_append_null(v);
        else
            em_vector_append_i64(v, x[i]);
    }
    return v;
}

static inline em_vector *tv_i32(int n, const int64_t *x)
{
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_INTEGER), n);
    for (int i = 0; i < n; i++) {
        if (x[i] == TNULL)
            em_vector_append_null(v);
        else
            em_vector_append_i32(v, (int32_t)x[i]);
    }
    return v;
}

/* Strings; a NULL pointer makes a NULL row. */
static inline em_vector *tv_str(int n, const char *const *x)
{
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_VARCHAR), n);
    for (int i = 0; i < n; i++) {
        if (x[i] == NULL)
            em_vector_append_null(v);
        else
            em_vector_append_str(v, x[i], (int32_t)strlen(x[i]));
    }
    return v;
}

/* Doubles; `nulls` (may be NULL) marks NULL rows. */
static inline em_vector *tv_f64(int n, const double *x, const bool *nulls)
{
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_DOUBLE), n);
    for (int i = 0; i < n; i++) {
        if (nulls != NULL && nulls[i])
            em_vector_append_null(v);
        else
            em_vector_append_f64(v, x[i]);
    }
    return v;
}

/* 0/1 values, -1 for NULL. */
static inline em_vector *tv_bool(int n, const int *x)
{
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_BOOLEAN), n);
    for (int i = 0; i < n; i++) {
        if (x[i] < 0)
            em_vector_append_null(v);
        else
            em_vector_append_bool(v, x[i] != 0);
    }
    return v;
}

/* A batch taking ownership of the given columns. */
static inline em_batch *tb_make(int ncols, ...)
{
    em_batch *b = em_batch_create(ncols);
    va_list ap;
    va_start(ap, ncols);
    for (int c = 0; c < ncols; c++) em_batch_set_col(b, c, va_arg(ap, em_vector *));
    va_end(ap);
    b->nrows = ncols > 0 ? b->cols[0]->length : 0;
    return b;
}

/* Run batches [0, count) of `in` through the chain starting at head, collecting
 * into *out (which the caller initialised). The chain must end in a collect
 * sink on *out; destroys the chain. */
static inline int tp_run(const em_batch_list *in, em_op *head, em_error *err)
{
    em_source *src = em_source_list_create(in, 0, in->count);
    int rc = em_pipeline_run(head->ctx, src, head, err);
    src->destroy(src);
    em_op_chain_destroy(head);
    return rc;
}

/* Append the text of row i of v to buf. */
static inline void tf_value(const em_vector *v, int64_t i, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    char *p = buf + len;
    size_t room = cap - len;
    if (!em_vector_is_valid(v, i)) {
        snprintf(p, room, "NULL");
        return;
    }
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_BOOLEAN:
        snprintf(p, room, "%s", EM_VEC_BOOL(v)[i] ? "t" : "f");
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        snprintf(p, room, "%d", EM_VEC_I32(v)[i]);
        break;
    case EM_TYPE_BIGINT:
    case EM_TYPE_TIMESTAMP:
        snprintf(p, room, "%lld", (long long)EM_VEC_I64(v)[i]);
        break;
    case EM_TYPE_DECIMAL: {
        int64_t x = EM_VEC_I64(v)[i];
        int s = v->type.scale;
        int64_t p10 = 1;
        for (int k = 0; k < s; k++) p10 *= 10;
        int64_t ax = x < 0 ? -x : x;
        if (s == 0)
            snprintf(p, room, "%lld", (long long)x);
        else
            snprintf(p, room, "%s%lld.%0*lld", x < 0 ? "-" : "", (long long)(ax / p10), s,
                     (long long)(ax % p10));
        break;
    }
    case EM_TYPE_DOUBLE: {
        /* Shortest of %.15g / %.17g that reads back exactly. */
        double d = EM_VEC_F64(v)[i];
        snprintf(p, room, "%.15g", d);
        if (strtod(p, NULL) != d && d == d) snprintf(p, room, "%.17g", d);
        break;
    }
    case EM_TYPE_VARCHAR: {
        int32_t n;
        const char *s = em_vector_str(v, i, &n);
        snprintf(p, room, "'%.*s'", (int)n, s);
        break;
    }
    default:
        snprintf(p, room, "?");
        break;
    }
}

/* Every row of the list as "v1|v2|...", in order; free with tr_free. */
typedef struct trows {
    char **rows;
    int64_t n;
} trows;

static inline trows tr_collect(const em_batch_list *l)
{
    trows r = {NULL, 0};
    int64_t total = 0;
    for (int64_t b = 0; b < l->count; b++) total += l->items[b]->nrows;
    r.rows = calloc((size_t)(total ? total : 1), sizeof(char *));
    for (int64_t b = 0; b < l->count; b++) {
        const em_batch *bt = l->items[b];
        for (int64_t i = 0; i < bt->nrows; i++) {
            char buf[1024] = "";
            for (int c = 0; c < bt->ncols; c++) {
                if (c > 0) strcat(buf, "|");
                tf_value(bt->cols[c], i, buf, sizeof(buf));
            }
            r.rows[r.n++] = strdup(buf);
        }
    }
    return r;
}

static inline int tr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void tr_sort(trows *r)
{
    qsort(r->rows, (size_t)r->n, sizeof(char *), tr_cmp);
}

static inline void tr_free(trows *r)
{
    for (int64_t i = 0; i < r->n; i++) free(r->rows[i]);
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

/* Assert the rows equal the NULL-terminated list of expected strings. */
static inline void tr_expect(const em_batch_list *l, const char *const *expected)
{
    trows r = tr_collect(l);
    int64_t n = 0;
    while (expected[n] != NULL) n++;
    for (int64_t i = 0; i < r.n && i < n; i++) {
        if (strcmp(r.rows[i], expected[i]) != 0)
            fail_msg("row %lld: got \"%s\", expected \"%s\"", (long long)i, r.rows[i], expected[i]);
    }
    if (r.n != n) fail_msg("got %lld rows, expected %lld", (long long)r.n, (long long)n);
    tr_free(&r);
}

/* Same, ignoring order. */
static inline void tr_expect_unordered(const em_batch_list *l, const char *const *expected)
{
    trows r = tr_collect(l);
    tr_sort(&r);
    int64_t n = 0;
    while (expected[n] != NULL) n++;
    char **exp = calloc((size_t)(n ? n : 1), sizeof(char *));
    for (int64_t i = 0; i < n; i++) exp[i] = (char *)expected[i];
    qsort(exp, (size_t)n, sizeof(char *), tr_cmp);
    for (int64_t i = 0; i < r.n && i < n; i++) {
        if (strcmp(r.rows[i], exp[i]) != 0)
            fail_msg("sorted row %lld: got \"%s\", expected \"%s\"", (long long)i, r.rows[i],
                     exp[i]);
    }
    if (r.n != n) fail_msg("got %lld rows, expected %lld", (long long)r.n, (long long)n);
    free(exp);
    tr_free(&r);
}

/* Deterministic pseudo-random numbers (splitmix64). */
static inline uint64_t trand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif

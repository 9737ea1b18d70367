/*
 * func_compare.c — comparisons: = <> < <= > >= over every type, IS [NOT]
 * DISTINCT FROM, IN lists, greatest/least and nullif, plus the selection
 * loops em_expr_select uses for filters.
 *
 * Operands of a comparison have the same type (the binder casts them), so a
 * comparison is one loop per (physical type, operator, operand shape); the
 * operator switch sits outside the loop. The selection variants write row
 * indexes branch-free: the index is stored unconditionally and the output
 * cursor advances by the comparison result.
 *
 * DOUBLE compares with C semantics (NaN is unequal to everything); sorting
 * uses the total order of em_value_compare instead.
 */
#include <stdlib.h>
#include <string.h>

#include "exec/expr_int.h"

int em__func_cmp_op(const em_func *f)
{
    if (f == NULL || f->nargs != 2) return -1;
    const char *s = f->name;
    if (s[0] == '=' && s[1] == 0) return EM__CMP_EQ;
    if (s[0] == '<' && s[1] == '>' && s[2] == 0) return EM__CMP_NE;
    if (s[0] == '<' && s[1] == 0) return EM__CMP_LT;
    if (s[0] == '<' && s[1] == '=' && s[2] == 0) return EM__CMP_LE;
    if (s[0] == '>' && s[1] == 0) return EM__CMP_GT;
    if (s[0] == '>' && s[1] == '=' && s[2] == 0) return EM__CMP_GE;
    return -1;
}

em__cmp_op em__cmp_flip(em__cmp_op op)
{
    switch (op) {
    case EM__CMP_LT:
        return EM__CMP_GT;
    case EM__CMP_LE:
        return EM__CMP_GE;
    case EM__CMP_GT:
        return EM__CMP_LT;
    case EM__CMP_GE:
        return EM__CMP_LE;
    default:
        return op;
    }
}

/* ---- strings -------------------------------------------------------------------- */

static inline int str_cmp(const char *a, int32_t la, const char *b, int32_t lb)
{
    int32_t m = la < lb ? la : lb;
    int c = m > 0 ? memcmp(a, b, (size_t)m) : 0;
    if (c != 0) return c;
    return (la > lb) - (la < lb);
}

static inline bool str_eq(const char *a, int32_t la, const char *b, int32_t lb)
{
    return la == lb && (la == 0 || memcmp(a, b, (size_t)la) == 0);
}

static inline bool cmp_result(em__cmp_op op, int c)
{
    switch (op) {
    case EM__CMP_EQ:
        return c == 0;
    case EM__CMP_NE:
        return c != 0;
    case EM__CMP_LT:
        return c < 0;
    case EM__CMP_LE:
        return c <= 0;
    case EM__CMP_GT:
        return c > 0;
    case EM__CMP_GE:
        return c >= 0;
    }
    return false;
}

/* ---- value loops ------------------------------------------------------------------- */

#define CMP_LOOP(T, OP)                                                                            \
    do {                                                                                           \
        const T *x = (const T *)a->data, *y = (const T *)b->data;                                  \
        if (ca && cb) {                                                                            \
            memset(z, x[0] OP y[0], (size_t)n);                                                    \
        } else if (ca) {                                                                           \
            const T c = x[0];                                                                      \
            for (int64_t i = 0; i < n; i++) z[i] = c OP y[i];                                      \
        } else if (cb) {                                                                           \
            const T c = y[0];                                                                      \
            for (int64_t i = 0; i < n; i++) z[i] = x[i] OP c;                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) z[i] = x[i] OP y[i];                                   \
        }                                                                                          \
    } while (0)

#define CMP_OPS(T)                                                                                 \
    switch (op) {                                                                                  \
    case EM__CMP_EQ:                                                                               \
        CMP_LOOP(T, ==);                                                                           \
        break;                                                                                     \
    case EM__CMP_NE:                                                                               \
        CMP_LOOP(T, !=);                                                                           \
        break;                                                                                     \
    case EM__CMP_LT:                                                                               \
        CMP_LOOP(T, <);                                                                            \
        break;                                                                                     \
    case EM__CMP_LE:                                                                               \
        CMP_LOOP(T, <=);                                                                           \
        break;                                                                                     \
    case EM__CMP_GT:                                                                               \
        CMP_LOOP(T, >);                                                                            \
        break;                                                                                     \
    case EM__CMP_GE:                                                                               \
        CMP_LOOP(T, >=);                                                                           \
        break;                                                                                     \
    }

/* z[i] := a[i] op b[i] for n rows, ignoring validity. */
static void cmp_values(em__cmp_op op, const em_vector *a, const em_vector *b, int64_t n, uint8_t *z)
{
    const bool ca = em__is_const(a), cb = em__is_const(b);
    switch ((em_type_id)a->type.id) {
    case EM_TYPE_BOOLEAN:
        CMP_OPS(uint8_t);
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        CMP_OPS(int32_t);
        break;
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        CMP_OPS(int64_t);
        break;
    case EM_TYPE_DOUBLE:
        CMP_OPS(double);
        break;
    case EM_TYPE_VARCHAR: {
        for (int64_t i = 0; i < n; i++) {
            int32_t la, lb;
            const char *pa = em_vector_str(a, ca ? 0 : i, &la);
            const char *pb = em_vector_str(b, cb ? 0 : i, &lb);
            if (op == EM__CMP_EQ)
                z[i] = str_eq(pa, la, pb, lb);
            else if (op == EM__CMP_NE)
                z[i] = !str_eq(pa, la, pb, lb);
            else
                z[i] = cmp_result(op, str_cmp(pa, la, pb, lb));
        }
        break;
    }
    case EM_TYPE_INTERVAL: {
        /* By span: '1 month' = '30 days' (vector/interval.c). */
        const em_interval *x = EM_VEC_IV(a), *y = EM_VEC_IV(b);
        for (int64_t i = 0; i < n; i++)
            z[i] = cmp_result(op, em_interval_compare(x[ca ? 0 : i], y[cb ? 0 : i]));
        break;
    }
    default:
        memset(z, 0, (size_t)n);
        break;
    }
}

static EM__KERNEL(k_cmp)
{
    int op = em__func_cmp_op(call->func);
    em_vector *r = em__vec_new(em_type_make(EM_TYPE_BOOLEAN), n);
    cmp_values(op < 0 ? EM__CMP_EQ : (em__cmp_op)op, args[0], args[1], n, EM_VEC_BOOL(r));
    em__vec_and_validity(r, args, 2, n);
    *out = r;
    return 0;
}

/* IS [NOT] DISTINCT FROM: NULLs compare as values, the result is never NULL. */
static EM__KERNEL(k_distinct)
{
    bool distinct = strcmp(call->func->name, "is_distinct") == 0;
    em_vector *a = args[0], *b = args[1];
    em_vector *r = em__vec_new(em_type_make(EM_TYPE_BOOLEAN), n);
    uint8_t *z = EM_VEC_BOOL(r);
    if (a->type.id == EM_TYPE_NULL || b->type.id == EM_TYPE_NULL)
        memset(z, 1, (size_t)n);
    else
        cmp_values(EM__CMP_EQ, a, b, n, z);
    if (a->validity != NULL || b->validity != NULL) {
        for (int64_t i = 0; i < n; i++) {
            bool va = em_vector_is_valid(a, EM__IX(a, i)), vb = em_vector_is_valid(b, EM__IX(b, i));
            if (!va || !vb) z[i] = va == vb;
        }
    }
    if (distinct)
        for (int64_t i = 0; i < n; i++) z[i] ^= 1;
    *out = r;
    return 0;
}

/* ---- selection loops ---------------------------------------------------------------- */

#define SEL_LOOP(T, OP)                                                                            \
    do {                                                                                           \
        const T *x = (const T *)a->data, *y = (const T *)b->data;                                  \
        if (ca && cb) {                                                                            \
            if (!(x[0] OP y[0])) return 0;                                                         \
            for (int64_t j = 0; j < n; j++) out[j] = sel ? sel[j] : (int32_t)j;                    \
            k = n;                                                                                 \
        } else if (ca) {                                                                           \
            const T c = x[0];                                                                      \
            if (sel)                                                                               \
                for (int64_t j = 0; j < n; j++) {                                                  \
                    int32_t i = sel[j];                                                            \
                    out[k] = i;                                                                    \
                    k += c OP y[i];                                                                \
                }                                                                                  \
            else                                                                                   \
                for (int64_t i = 0; i < n; i++) {                                                  \
                    out[k] = (int32_t)i;                                                           \
                    k += c OP y[i];                                                                \
                }                                                                                  \
        } else if (cb) {                                                                           \
            const T c = y[0];                                                                      \
            if (sel)                                                                               \
                for (int64_t j = 0; j < n; j++) {                                                  \
                    int32_t i = sel[j];                                                            \
                    out[k] = i;                                                                    \
                    k += x[i] OP c;                                                                \
                }                                                                                  \
            else                                                                                   \
                for (int64_t i = 0; i < n; i++) {                                                  \
                    out[k] = (int32_t)i;                                                           \
                    k += x[i] OP c;                                                                \
                }                                                                                  \
        } else {                                                                                   \
            if (sel)                                                                               \
                for (int64_t j = 0; j < n; j++) {                                                  \
                    int32_t i = sel[j];                                                            \
                    out[k] = i;                                                                    \
                    k += x[i] OP y[i];                                                             \
                }                                                                                  \
            else                                                                                   \
                for (int64_t i = 0; i < n; i++) {                                                  \
                    out[k] = (int32_t)i;                                                           \
                    k += x[i] OP y[i];                                                             \
                }                                                                                  \
        }                                                                                          \
    } while (0)

#define SEL_OPS(T)                                                                                 \
    switch (op) {                                                                                  \
    case EM__CMP_EQ:                                                                               \
        SEL_LOOP(T, ==);                                                                           \
        break;                                                                                     \
    case EM__CMP_NE:                                                                               \
        SEL_LOOP(T, !=);                                                                           \
        break;                                                                                     \
    case EM__CMP_LT:                                                                               \
        SEL_LOOP(T, <);                                                                            \
        break;                                                                                     \
    case EM__CMP_LE:                                                                               \
        SEL_LOOP(T, <=);                                                                           \
        break;                                                                                     \
    case EM__CMP_GT:                                                                               \
        SEL_LOOP(T, >);                                                                            \
        break;                                                                                     \
    case EM__CMP_GE:                                                                               \
        SEL_LOOP(T, >=);                                                                           \
        break;                                                                                     \
    }

/* Keep only the rows (in place) that are valid in bits. */
static int64_t filter_valid(const uint8_t *bits, int32_t *rows, int64_t k)
{
    int64_t m = 0;
    for (int64_t j = 0; j < k; j++) {
        int32_t i = rows[j];
        rows[m] = i;
        m += em__bit(bits, i);
    }
    return m;
}

int64_t em__cmp_select(em__cmp_op op, const em_vector *a, const em_vector *b, const int32_t *sel,
                       int64_t n, int32_t *out)
{
    const bool ca = em__is_const(a), cb = em__is_const(b);
    if ((ca && !em_vector_is_valid(a, 0)) || (cb && !em_vector_is_valid(b, 0))) return 0;
    int64_t k = 0;
    switch ((em_type_id)a->type.id) {
    case EM_TYPE_BOOLEAN:
        SEL_OPS(uint8_t);
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        SEL_OPS(int32_t);
        break;
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        SEL_OPS(int64_t);
        break;
    case EM_TYPE_DOUBLE:
        SEL_OPS(double);
        break;
    case EM_TYPE_VARCHAR: {
        const int32_t *oa = EM_VEC_OFFSETS(a), *ob = EM_VEC_OFFSETS(b);
        if (cb && (op == EM__CMP_EQ || op == EM__CMP_NE)) {
            /* column = 'literal': compare lengths first, then bytes. */
            const char *c = b->chars + ob[0];
            int32_t cl = ob[1] - ob[0];
            bool want = op == EM__CMP_EQ;
            for (int64_t j = 0; j < n; j++) {
                int32_t i = sel ? sel[j] : (int32_t)j;
                int32_t s = oa[i], l = oa[i + 1] - s;
                bool eq = l == cl && (cl == 0 || memcmp(a->chars + s, c, (size_t)cl) == 0);
                out[k] = i;
                k += eq == want;
            }
        } else {
            for (int64_t j = 0; j < n; j++) {
                int32_t i = sel ? sel[j] : (int32_t)j;
                int32_t ia = ca ? 0 : i, ib = cb ? 0 : i;
                int c = str_cmp(a->chars + oa[ia], oa[ia + 1] - oa[ia], b->chars + ob[ib],
                                ob[ib + 1] - ob[ib]);
                out[k] = i;
                k += cmp_result(op, c);
            }
        }
        break;
    }
    case EM_TYPE_INTERVAL: {
        const em_interval *x = EM_VEC_IV(a), *y = EM_VEC_IV(b);
        for (int64_t j = 0; j < n; j++) {
            int32_t i = sel ? sel[j] : (int32_t)j;
            out[k] = i;
            k += cmp_result(op, em_interval_compare(x[ca ? 0 : i], y[cb ? 0 : i]));
        }
        break;
    }
    default:
        return 0;
    }
    if (!ca && a->validity != NULL) k = filter_valid(a->validity, out, k);
    if (!cb && b->validity != NULL) k = filter_valid(b->validity, out, k);
    return k;
}

int64_t em__null_select(const em_vector *v, bool want_valid, const int32_t *sel, int64_t n,
                        int32_t *out)
{
    if (v->validity == NULL) {
        if (!want_valid) return 0;
        for (int64_t j = 0; j < n; j++) out[j] = sel ? sel[j] : (int32_t)j;
        return n;
    }
    int64_t k = 0;
    uint8_t flip = want_valid ? 0 : 1;
    for (int64_t j = 0; j < n; j++) {
        int32_t i = sel ? sel[j] : (int32_t)j;
        int32_t ix = em__is_const(v) ? 0 : i;
        out[k] = i;
        k += em__bit(v->validity, ix) ^ flip;
    }
    return k;
}

/* ---- IN lists --------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static inline int64_t load_int(const em_vector *v, int64_t i)
{
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        return EM_VEC_I32(v)[i];
    default:
        return EM_VEC_I64(v)[i];
    }
}

static bool is_int_like(em_type t)
{
    return t.id == EM_TYPE_INTEGER || t.id == EM_TYPE_DATE || t.id == EM_TYPE_BIGINT ||
           t.id == EM_TYPE_DECIMAL || t.id == EM_TYPE_TIMESTAMP;
}

/* Long lists of integer-like constants: one binary search per row instead of
 * one pass per list item. */
static void in_sorted(const em_vector *x, em_vector *const *items, int m, int64_t n, uint8_t *z)
{
    int64_t *keys = em_malloc(sizeof(int64_t) * (size_t)m);
    int nk = 0;
    for (int k = 0; k < m; k++)
        if (em_vector_is_valid(items[k], 0)) keys[nk++] = load_int(items[k], 0);
    qsort(keys, (size_t)nk, sizeof(int64_t), cmp_i64);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = load_int(x, EM__IX(x, i));
        int lo = 0, hi = nk;
        while (lo < hi) {
            int mid = (lo + hi) >> 1;
            if (keys[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        z[i] |= lo < nk && keys[lo] == v;
    }
    em_free(keys);
}

int em__in_list_eval(const em_expr *e, em_vector **args, int nargs, int64_t n, em_vector **out,
                     em_error *err)
{
    EM_UNUSED(err);
    em_vector *x = args[0];
    em_vector *r = em__vec_new(em_type_make(EM_TYPE_BOOLEAN), n);
    uint8_t *z = EM_VEC_BOOL(r);
    memset(z, 0, (size_t)n);
    if (x->type.id == EM_TYPE_NULL) {
        em__vec_set_all_null(r, n);
        *out = r;
        return 0;
    }
    uint8_t *tmp = em_malloc((size_t)(n > 0 ? n : 1));
    uint8_t *hasnull = NULL;
    int nconst = 0;
    bool const_null = false;
    for (int k = 1; k < nargs; k++) {
        if (em__is_const(args[k]) && n != 1) {
            nconst++;
            if (!em_vector_is_valid(args[k], 0)) const_null = true;
        }
    }
    int first = 1;
    if (nconst == nargs - 1 && nconst > 8 && is_int_like(x->type)) {
        in_sorted(x, args + 1, nconst, n, z);
        first = nargs; /* all handled */
    }
    for (int k = first; k < nargs; k++) {
        em_vector *v = args[k];
        bool cv = em__is_const(v) && n != 1;
        if (cv && !em_vector_is_valid(v, 0)) continue;
        cmp_values(EM__CMP_EQ, x, v, n, tmp);
        if (!cv && v->validity != NULL) {
            if (hasnull == NULL) hasnull = em_calloc((size_t)n, 1);
            for (int64_t i = 0; i < n; i++) {
                uint8_t valid = em__bit(v->validity, i);
                z[i] |= tmp[i] & valid;
                hasnull[i] |= (uint8_t)!valid;
            }
        } else {
            for (int64_t i = 0; i < n; i++) z[i] |= tmp[i];
        }
    }
    /* NULL unless found: when x is NULL or the list had a NULL. */
    em__vec_copy_validity(r, x, n);
    if (const_null || hasnull != NULL) {
        uint8_t *bits = em__vec_validity(r);
        for (int64_t i = 0; i < n; i++)
            if (!z[i] && (const_null || hasnull[i])) em__bit_clear(bits, i);
    }
    if (e->negated)
        for (int64_t i = 0; i < n; i++) z[i] ^= 1;
    em_free(tmp);
    em_free(hasnull);
    *out = r;
    return 0;
}

/* ---- greatest / least / nullif ----------------------------------------------------- */

#define EXTREME_LOOP(T)                                                                            \
    do {                                                                                           \
        T *z = (T *)r->data;                                                                       \
        for (int k = 0; k < nargs; k++) {                                                          \
            const em_vector *v = args[k];                                                          \
            const T *x = (const T *)v->data;                                                       \
            for (int64_t i = 0; i < n; i++) {                                                      \
                int64_t iv = EM__IX(v, i);                                                         \
                if (!em_vector_is_valid(v, iv)) continue;                                          \
                T val = x[iv];                                                                     \
                if (!has[i] || (greatest ? val > z[i] : val < z[i])) {                             \
                    z[i] = val;                                                                    \
                    has[i] = 1;                                                                    \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Largest (greatest) or smallest (least) non-NULL argument; NULL only when all
 * are, as in PostgreSQL. */
static EM__KERNEL(k_extreme)
{
    const bool greatest = call->func->name[0] == 'g';
    const int nargs = call->nargs;
    em_type t = call->type;
    em_vector *r = em__vec_new(t, n);
    uint8_t *has = em_calloc((size_t)(n > 0 ? n : 1), 1);
    switch ((em_type_id)t.id) {
    case EM_TYPE_BOOLEAN:
        EXTREME_LOOP(uint8_t);
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        EXTREME_LOOP(int32_t);
        break;
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        EXTREME_LOOP(int64_t);
        break;
    case EM_TYPE_DOUBLE:
        EXTREME_LOOP(double);
        break;
    case EM_TYPE_VARCHAR: {
        /* Track the winning argument per row, then copy the strings once. */
        int32_t *who = em_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
        for (int k = 0; k < nargs; k++) {
            const em_vector *v = args[k];
            for (int64_t i = 0; i < n; i++) {
                int64_t iv = EM__IX(v, i);
                if (!em_vector_is_valid(v, iv)) continue;
                if (has[i]) {
                    const em_vector *w = args[who[i]];
                    int32_t la, lb;
                    const char *pa = em_vector_str(v, iv, &la);
                    const char *pb = em_vector_str(w, EM__IX(w, i), &lb);
                    int c = str_cmp(pa, la, pb, lb);
                    if (!(greatest ? c > 0 : c < 0)) continue;
                }
                who[i] = k;
                has[i] = 1;
            }
        }
        for (int64_t i = 0; i < n; i++) {
            if (!has[i]) {
                em__str_empty(r, i);
                continue;
            }
            const em_vector *v = args[who[i]];
            int32_t len;
            const char *p = em_vector_str(v, EM__IX(v, i), &len);
            if (em__str_put(r, i, p, len) < 0) {
                em_free(who);
                em_free(has);
                em_vector_unref(r);
                return em__err_str_too_large(err);
            }
        }
        em_free(who);
        break;
    }
    case EM_TYPE_INTERVAL: {
        em_interval *z = EM_VEC_IV(r);
        memset(z, 0, sizeof(em_interval) * (size_t)n);
        for (int k = 0; k < nargs; k++) {
            const em_vector *v = args[k];
            for (int64_t i = 0; i < n; i++) {
                int64_t ix = EM__IX(v, i);
                if (!em_vector_is_valid(v, ix)) continue;
                em_interval val = EM_VEC_IV(v)[ix];
                int c = has[i] ? em_interval_compare(val, z[i]) : 0;
                if (!has[i] || (greatest ? c > 0 : c < 0)) {
                    z[i] = val;
                    has[i] = 1;
                }
            }
        }
        break;
    }
    default:
        break;
    }
    bool any_null = false;
    for (int64_t i = 0; i < n; i++) any_null |= !has[i];
    if (any_null) {
        uint8_t *bits = em__vec_validity(r);
        for (int64_t i = 0; i < n; i++)
            if (!has[i]) em__bit_clear(bits, i);
    }
    em_free(has);
    *out = r;
    return 0;
}

/* nullif(a, b): NULL when a = b, else a. */
static EM__KERNEL(k_nullif)
{
    em_vector *a = args[0], *b = args[1];
    em_type t = call->type;
    em_vector *r = em__vec_new(t, n);
    uint8_t *eq = em_malloc((size_t)(n > 0 ? n : 1));
    cmp_values(EM__CMP_EQ, a, b, n, eq);
    size_t width = em_type_width(t);
    for (int64_t i = 0; i < n; i++) {
        int64_t ia = EM__IX(a, i);
        if (t.id == EM_TYPE_VARCHAR) {
            int32_t len;
            const char *p = em_vector_str(a, ia, &len);
            if (em__str_put(r, i, p, len) < 0) {
                em_free(eq);
                em_vector_unref(r);
                return em__err_str_too_large(err);
            }
        } else if (width > 0) {
            memcpy((char *)r->data + (size_t)i * width, (const char *)a->data + (size_t)ia * width,
                   width);
        }
    }
    em__vec_copy_validity(r, a, n);
    bool any = false;
    for (int64_t i = 0; i < n && !any; i++)
        any = eq[i] && em_vector_is_valid(b, EM__IX(b, i)) && em_vector_is_valid(r, i);
    if (any) {
        uint8_t *bits = em__vec_validity(r);
        for (int64_t i = 0; i < n; i++)
            if (eq[i] && em_vector_is_valid(b, EM__IX(b, i))) em__bit_clear(bits, i);
    }
    em_free(eq);
    *out = r;
    return 0;
}

/* ---- registry ------------------------------------------------------------------------ */

#define B EM__TB
#define I EM__TI
#define L EM__TL
#define F EM__TF
#define D EM__TD
#define S EM__TS
#define DT EM__TDATE
#define TS EM__TTS
#define IV EM__TIV
#define FIX EM__RET_FIXED
#define SAFE EM__FN_SAFE
#define SAFE_U (EM__FN_SAFE | EM__FN_DEC_UNIFY)

#define CMP_ENTRIES(name)                                                                          \
    EM__FN(name, 2, B, k_cmp, FIX, SAFE, B, B), EM__FN(name, 2, B, k_cmp, FIX, SAFE, I, I),        \
        EM__FN(name, 2, B, k_cmp, FIX, SAFE, L, L), EM__FN(name, 2, B, k_cmp, FIX, SAFE_U, D, D),  \
        EM__FN(name, 2, B, k_cmp, FIX, SAFE, F, F), EM__FN(name, 2, B, k_cmp, FIX, SAFE, S, S),    \
        EM__FN(name, 2, B, k_cmp, FIX, SAFE, DT, DT), EM__FN(name, 2, B, k_cmp, FIX, SAFE, TS, TS), \
        EM__FN(name, 2, B, k_cmp, FIX, SAFE, IV, IV)

#define DISTINCT_ENTRIES(name)                                                                     \
    EM__FN(name, 2, B, k_distinct, FIX, SAFE, B, B),                                               \
        EM__FN(name, 2, B, k_distinct, FIX, SAFE, I, I),                                           \
        EM__FN(name, 2, B, k_distinct, FIX, SAFE, L, L),                                           \
        EM__FN(name, 2, B, k_distinct, FIX, SAFE_U, D, D),                                         \
        EM__FN(name, 2, B, k_distinct, FIX, SAFE, F, F),                                           \
        EM__FN(name, 2, B, k_distinct, FIX, SAFE, S, S),                                           \
        EM__FN(name, 2, B, k_distinct, FIX, SAFE, DT, DT),                                         \
        EM__FN(name, 2, B, k_distinct, FIX, SAFE, TS, TS),                                         \
        EM__FN(name, 2, B, k_distinct, FIX, SAFE, IV, IV)

#define VARIADIC_ENTRIES(name)                                                                     \
    EM__FN(name, -1, I, k_extreme, FIX, SAFE, I), EM__FN(name, -1, L, k_extreme, FIX, SAFE, L),    \
        EM__FN(name, -1, D, k_extreme, EM__RET_ARG0, SAFE_U, D),                                   \
        EM__FN(name, -1, F, k_extreme, FIX, SAFE, F),                                              \
        EM__FN(name, -1, S, k_extreme, FIX, SAFE, S),                                              \
        EM__FN(name, -1, DT, k_extreme, FIX, SAFE, DT),                                            \
        EM__FN(name, -1, TS, k_extreme, FIX, SAFE, TS),                                            \
        EM__FN(name, -1, B, k_extreme, FIX, SAFE, B),                                              \
        EM__FN(name, -1, IV, k_extreme, FIX, SAFE, IV)

static const em__func_def defs[] = {
    CMP_ENTRIES("="),
    CMP_ENTRIES("<>"),
    CMP_ENTRIES("<"),
    CMP_ENTRIES("<="),
    CMP_ENTRIES(">"),
    CMP_ENTRIES(">="),
    DISTINCT_ENTRIES("is_distinct"),
    DISTINCT_ENTRIES("is_not_distinct"),
    VARIADIC_ENTRIES("greatest"),
    VARIADIC_ENTRIES("least"),
    EM__FN("nullif", 2, I, k_nullif, FIX, SAFE, I, I),
    EM__FN("nullif", 2, L, k_nullif, FIX, SAFE, L, L),
    EM__FN("nullif", 2, D, k_nullif, EM__RET_ARG0, SAFE_U, D, D),
    EM__FN("nullif", 2, F, k_nullif, FIX, SAFE, F, F),
    EM__FN("nullif", 2, S, k_nullif, FIX, SAFE, S, S),
    EM__FN("nullif", 2, DT, k_nullif, FIX, SAFE, DT, DT),
    EM__FN("nullif", 2, TS, k_nullif, FIX, SAFE, TS, TS),
    EM__FN("nullif", 2, B, k_nullif, FIX, SAFE, B, B),
    EM__FN("nullif", 2, IV, k_nullif, FIX, SAFE, IV, IV),
};

const em__func_table em__funcs_compare = {defs, (int)EM_ARRAY_LEN(defs)};

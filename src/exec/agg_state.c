/*
 * agg_state.c — the running state of one aggregate over all groups of a hash
 * aggregation: updating from raw rows, merging partial states, and writing
 * final values or partial states out.
 *
 * State layout (arrays indexed by group id):
 *   COUNT, COUNT(*)   cnt[g]
 *   SUM               i64[g] (exact: BIGINT/INTEGER, DECIMAL unscaled) or f64[g]
 *                     (DOUBLE)
 *   AVG               the SUM arrays plus cnt[g]; NULL while cnt[g] == 0
 *   MIN, MAX          i64[g] (BOOLEAN, INTEGER, DATE widened) or f64[g], which
 *                     start at a sentinel that loses every comparison (MIN:
 *                     INT64_MAX / NaN, MAX: INT64_MIN / -Infinity); or str[g]
 *                     (bytes copied into the state's arena); or iv[g] (INTERVAL)
 *   VAR_*, STDDEV_*   cnt[g], mean[g], m2[g]: Welford's running count, mean and
 *                     sum of squared deviations, merged with Chan's formula
 *   CORR, COVAR_*     a cell per group in cov (agg_covar.c)
 *   APPROX_COUNT_DISTINCT  hll[g], a HyperLogLog sketch (hll.c)
 *   PERCENTILE_*      holistic: every (group, value) pair, the value as an
 *                     order-preserving 64-bit key; sorted per group at the end
 * SUM and MIN/MAX must also know whether a group saw any value (else NULL):
 * has[g], which is only materialized once a batch brings NULLs or a FILTER;
 * until then "every group has a value" holds and the hot loops skip it
 * (string MIN/MAX use has[] from the start).
 * Exact sums detect int64 overflow instead of wrapping. DISTINCT keeps a hash
 * set of (group id, value) pairs and feeds a row only when its pair is new.
 *
 * With few groups (TPC-H Q1 has four, a global aggregate one), consecutive
 * rows keep adding to the same few sums and counts, and each addition would
 * wait for the store of the previous one to the same slot. The operator then
 * hands over the batch's rows grouped by group (em__agg_runs), and SUM, AVG
 * and COUNT fold each group's rows in a register: the same additions in the
 * same order as row by row (identical results, double sums included, and an
 * exact sum fails exactly where it would have), without the round trips
 * through memory.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/agg_state.h"

typedef struct str_ref {
    const char *ptr;
    int32_t len;
} str_ref;

typedef struct dset_slot {
    uint32_t tag;
    uint32_t id1; /* entry index + 1; 0 = empty */
} dset_slot;

/* The (group, value) pairs a DISTINCT aggregate has seen. */
typedef struct distinct_set {
    dset_slot *slots;
    int64_t nslots;
    uint32_t *gid;  /* per entry */
    uint64_t *hash; /* per entry, for rehashing */
    em_vector *vals;
    int64_t n;
    int64_t cap;
} distinct_set;

struct em__agg_state {
    const em_agg_call *call;
    em_agg_kind kind;
    em_agg_mode mode;
    em_type arg_type;
    bool dbl;  /* SUM/AVG accumulate in double */
    int scale; /* scale of exact sums (DECIMAL input), else 0 */
    int nstates;
    em_type stypes[EM_AGG_MAX_STATES];
    int64_t cap;
    int64_t *cnt;
    int64_t *i64;
    double *f64;
    str_ref *str;
    em_interval *iv;
    uint8_t *has;
    double *mean; /* VAR/STDDEV */
    double *m2;
    em__hll *hll; /* APPROX_COUNT_DISTINCT */
    em__covar *cov; /* CORR, COVAR_POP, COVAR_SAMP */
    /* PERCENTILE_*: the values of every group, then (once sorted) grouped */
    uint32_t *hgid;
    uint64_t *hkey;
    int64_t hn;
    int64_t hcap;
    int64_t *hstart; /* group g's sorted keys: hkey[hstart[g], hstart[g + 1]) */
    int64_t value_bytes; /* sketches and percentile values (em__agg_state_bytes) */
    /* SUM and numeric MIN/MAX skip has[] while every batch fed them a value
     * on every row (the usual case: no NULLs, no FILTER): then exactly the
     * groups below dense_groups have a value. The first batch that breaks
     * this fills has[] in (sparse from then on). */
    bool track; /* presence tracked by note_values */
    bool sparse;
    int64_t groups;       /* groups existing, as of the last reserve */
    int64_t dense_groups; /* while !sparse: groups that have a value */
    em_arena *arena;      /* MIN/MAX string bytes */
    distinct_set *dset;
    int32_t *sel; /* FILTER selection, then DISTINCT survivors */
    int32_t *sel2;
    uint32_t *gtmp; /* group ids of the rows a FILTER kept */
    int64_t sel_cap;
};

/* Run the statements that follow for every row i in sel[0..n) (or 0..n when
 * sel is NULL) whose value in v is valid (every row when v is NULL). */
#define FOR_VALID_ROWS(v, sel, n, ...)                                                             \
    do {                                                                                           \
        const uint8_t *vb_ = (v) != NULL ? (v)->validity : NULL;                                   \
        if ((sel) != NULL) {                                                                       \
            for (int64_t j_ = 0; j_ < (n); j_++) {                                                 \
                int64_t i = (sel)[j_];                                                             \
                if (vb_ != NULL && !((vb_[i >> 3] >> (i & 7)) & 1)) continue;                      \
                __VA_ARGS__                                                                        \
            }                                                                                      \
        } else if (vb_ != NULL) {                                                                  \
            for (int64_t i = 0; i < (n); i++) {                                                    \
                if (!((vb_[i >> 3] >> (i & 7)) & 1)) continue;                                     \
                __VA_ARGS__                                                                        \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < (n); i++) {                                                    \
                __VA_ARGS__                                                                        \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static int overflow_error(const em__agg_state *s, em_error *err)
{
    if (s->arg_type.id == EM_TYPE_DECIMAL)
        return em_error_set(err, EM_EOVERFLOW, "numeric field overflow in %s",
                            em_agg_name(s->kind));
    return em_error_set(err, EM_EOVERFLOW, "integer out of range");
}

static bool is_welford(em_agg_kind k)
{
    return k == EM_AGG_STDDEV_SAMP || k == EM_AGG_STDDEV_POP || k == EM_AGG_VAR_SAMP ||
           k == EM_AGG_VAR_POP;
}

static bool is_pair(em_agg_kind k)
{
    return k == EM_AGG_CORR || k == EM_AGG_COVAR_POP || k == EM_AGG_COVAR_SAMP;
}

/* ---- creation ----------------------------------------------------------- */

em__agg_state *em__agg_state_create(const em_agg_call *c, em_agg_mode mode, em_error *err)
{
    if (c->distinct && c->kind != EM_AGG_COUNT_STAR && mode != EM_AGG_MODE_COMPLETE) {
        em_error_set(err, EM_EINTERNAL, "%s(DISTINCT ...) can only be aggregated in one phase",
                     em_agg_name(c->kind));
        return NULL;
    }
    if (em_agg_is_holistic(c->kind) && mode != EM_AGG_MODE_COMPLETE) {
        em_error_set(err, EM_EINTERNAL, "%s can only be aggregated in one phase",
                     em_agg_name(c->kind));
        return NULL;
    }
    em_type arg = c->arg != NULL ? c->arg->type : em_type_make(EM_TYPE_BIGINT);
    em__vclass vc = em__vclass_of(arg);
    if (is_pair(c->kind) && (c->arg == NULL || c->arg2 == NULL || c->distinct ||
                             c->arg->type.id != EM_TYPE_DOUBLE ||
                             c->arg2->type.id != EM_TYPE_DOUBLE)) {
        em_error_set(err, EM_EINTERNAL, "%s needs two DOUBLE arguments and no DISTINCT",
                     em_agg_name(c->kind));
        return NULL;
    }
    switch (c->kind) {
    case EM_AGG_SUM:
    case EM_AGG_AVG:
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP:
    case EM_AGG_PERCENTILE_CONT:
    case EM_AGG_PERCENTILE_DISC:
        if (vc != EM__VC_I32 && vc != EM__VC_I64 && vc != EM__VC_F64 && vc != EM__VC_NULL) {
            char buf[32];
            em_error_set(err, EM_EINTERNAL, "%s over %s is not supported", em_agg_name(c->kind),
                         em_type_name(arg, buf, sizeof(buf)));
            return NULL;
        }
        break;
    default:
        break;
    }
    em__agg_state *s = em_calloc(1, sizeof(*s));
    s->call = c;
    s->kind = c->kind;
    s->mode = mode;
    s->arg_type = arg;
    s->nstates = em_agg_state_types(c, s->stypes);
    if (is_pair(c->kind)) s->cov = em__covar_create(c->kind);
    /* AVG knows presence from its count; string MIN/MAX test has[] before
     * their first value. */
    s->track = c->kind == EM_AGG_SUM || ((c->kind == EM_AGG_MIN || c->kind == EM_AGG_MAX) &&
                                         vc != EM__VC_STR && vc != EM__VC_IV && vc != EM__VC_NULL);
    s->sparse = !s->track;
    if (c->kind == EM_AGG_SUM || c->kind == EM_AGG_AVG) {
        /* Sums stay exact for exact inputs; the state column type wins if it
         * says otherwise, so PARTIAL and FINAL always agree. */
        s->dbl = vc == EM__VC_F64 || (s->nstates > 0 && s->stypes[0].id == EM_TYPE_DOUBLE);
        s->scale = arg.id == EM_TYPE_DECIMAL ? arg.scale : 0;
    }
    if (c->distinct && c->kind != EM_AGG_COUNT_STAR) {
        s->dset = em_calloc(1, sizeof(distinct_set));
        s->dset->nslots = 1024;
        s->dset->slots = em_calloc((size_t)s->dset->nslots, sizeof(dset_slot));
        s->dset->vals = em_vector_create(arg, 1024);
    }
    return s;
}

void em__agg_state_destroy(em__agg_state *s)
{
    if (s == NULL) return;
    em_free(s->cnt);
    em_free(s->i64);
    em_free(s->f64);
    em_free(s->str);
    em_free(s->iv);
    em_free(s->has);
    em_free(s->mean);
    em_free(s->m2);
    em__covar_destroy(s->cov);
    if (s->hll != NULL) {
        for (int64_t g = 0; g < s->cap; g++) em__hll_release(&s->hll[g]);
        em_free(s->hll);
    }
    em_free(s->hgid);
    em_free(s->hkey);
    em_free(s->hstart);
    em_arena_destroy(s->arena);
    if (s->dset != NULL) {
        em_free(s->dset->slots);
        em_free(s->dset->gid);
        em_free(s->dset->hash);
        em_vector_unref(s->dset->vals);
        em_free(s->dset);
    }
    em_free(s->sel);
    em_free(s->sel2);
    em_free(s->gtmp);
    em_free(s);
}

int em__agg_state_nstates(const em__agg_state *s)
{
    return s->nstates;
}

int64_t em__agg_state_bytes(const em__agg_state *s)
{
    int64_t per_group = (s->cnt ? 8 : 0) + (s->i64 ? 8 : 0) + (s->f64 ? 8 : 0) +
                        (s->str ? (int64_t)sizeof(str_ref) : 0) +
                        (s->iv ? (int64_t)sizeof(em_interval) : 0) + (s->has ? 1 : 0) +
                        (s->mean ? 16 : 0) + (s->hll ? (int64_t)sizeof(em__hll) : 0);
    int64_t b = s->cap * per_group + s->value_bytes;
    if (s->cov != NULL) b += em__covar_bytes(s->cov);
    if (s->arena != NULL) b += (int64_t)em_arena_bytes(s->arena);
    if (s->dset != NULL) b += s->dset->nslots * (int64_t)sizeof(dset_slot) + s->dset->cap * 12;
    return b;
}

static void *grow_zeroed(void *p, int64_t old, int64_t cap, size_t width)
{
    p = em_realloc(p, (size_t)cap * width);
    memset((char *)p + (size_t)old * width, 0, (size_t)(cap - old) * width);
    return p;
}

void em__agg_state_reserve(em__agg_state *s, int64_t ngroups)
{
    if (ngroups > s->groups) s->groups = ngroups;
    if (ngroups <= s->cap) return;
    int64_t old = s->cap, cap = s->cap ? s->cap : 64;
    while (cap < ngroups) cap *= 2;
    bool minmax = s->kind == EM_AGG_MIN || s->kind == EM_AGG_MAX;
    em__vclass vc = em__vclass_of(s->arg_type);
    if (s->kind == EM_AGG_COUNT_STAR || s->kind == EM_AGG_COUNT || s->kind == EM_AGG_AVG ||
        is_welford(s->kind))
        s->cnt = grow_zeroed(s->cnt, old, cap, sizeof(int64_t));
    if (is_welford(s->kind)) {
        s->mean = grow_zeroed(s->mean, old, cap, sizeof(double));
        s->m2 = grow_zeroed(s->m2, old, cap, sizeof(double));
    } else if (is_pair(s->kind)) {
        em__covar_reserve(s->cov, cap);
    } else if (s->kind == EM_AGG_APPROX_COUNT_DISTINCT) {
        s->hll = grow_zeroed(s->hll, old, cap, sizeof(em__hll));
    } else if (em_agg_is_holistic(s->kind)) {
        /* The values live in hgid/hkey, not per group. */
    } else if (s->kind != EM_AGG_COUNT_STAR && s->kind != EM_AGG_COUNT) {
        s->has = grow_zeroed(s->has, old, cap, 1);
        if (minmax ? vc == EM__VC_F64 : s->dbl) {
            s->f64 = grow_zeroed(s->f64, old, cap, sizeof(double));
            /* MIN starts at NaN (above everything), MAX at -Infinity, so an
             * update is a plain comparison. */
            if (minmax)
                for (int64_t g = old; g < cap; g++)
                    s->f64[g] = s->kind == EM_AGG_MIN ? NAN : -INFINITY;
        } else if (minmax && vc == EM__VC_STR) {
            s->str = grow_zeroed(s->str, old, cap, sizeof(str_ref));
        } else if (minmax && vc == EM__VC_IV) {
            s->iv = grow_zeroed(s->iv, old, cap, sizeof(em_interval));
        } else {
            s->i64 = grow_zeroed(s->i64, old, cap, sizeof(int64_t));
            if (minmax)
                for (int64_t g = old; g < cap; g++)
                    s->i64[g] = s->kind == EM_AGG_MIN ? INT64_MAX : INT64_MIN;
        }
    }
    s->cap = cap;
}

/* ---- folding values in -------------------------------------------------- */

static inline bool has_value(const em__agg_state *s, int64_t g)
{
    return s->sparse ? s->has[g] != 0 : g < s->dense_groups;
}

/* Record which groups received a value from the valid selected rows of v.
 * all_rows: the rows fed (sel, or all) are every row the group ids came from
 * (no FILTER dropped any), so a batch without NULLs gave every group a value. */
static void note_values(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                        const uint32_t *g, bool all_rows)
{
    if (!s->sparse) {
        if (all_rows && v->validity == NULL) {
            s->dense_groups = s->groups;
            return;
        }
        memset(s->has, 1, (size_t)s->dense_groups);
        s->sparse = true;
    }
    uint8_t *has = s->has;
    FOR_VALID_ROWS(v, sel, n, { has[g[i]] = 1; });
}

/* Run the statements for every group g with rows in r: BEGIN, then ROW for
 * each of the group's rows i whose value in v is valid (every row when v is
 * NULL), in row order, then END. */
#define FOR_GROUP_RUNS(r, v, BEGIN, ROW, END)                                                      \
    do {                                                                                           \
        const uint8_t *vb_ = (v) != NULL ? (v)->validity : NULL;                                   \
        const int32_t *ord_ = (r)->order;                                                          \
        for (int64_t g = 0; g < (r)->ngroups; g++) {                                               \
            int64_t lo_ = (r)->start[g], hi_ = (r)->start[g + 1];                                  \
            if (lo_ == hi_) continue;                                                              \
            BEGIN                                                                                  \
            if (vb_ == NULL && ord_ == NULL) {                                                     \
                for (int64_t i = lo_; i < hi_; i++) {                                              \
                    ROW                                                                            \
                }                                                                                  \
            } else if (vb_ == NULL) {                                                              \
                for (int64_t j_ = lo_; j_ < hi_; j_++) {                                           \
                    int64_t i = ord_[j_];                                                          \
                    ROW                                                                            \
                }                                                                                  \
            } else {                                                                               \
                for (int64_t j_ = lo_; j_ < hi_; j_++) {                                           \
                    int64_t i = ord_ != NULL ? ord_[j_] : j_;                                      \
                    if (!((vb_[i >> 3] >> (i & 7)) & 1)) continue;                                 \
                    ROW                                                                            \
                }                                                                                  \
            }                                                                                      \
            END                                                                                    \
        }                                                                                          \
    } while (0)

/* Count the valid selected rows of v (every selected row when v is NULL)
 * into cnt[g]; by runs when r is given (then over every row of the batch). */
static void count_rows_of(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                          const uint32_t *gids, const em__agg_runs *r)
{
    int64_t *cnt = s->cnt;
    if (r != NULL && (v == NULL || v->validity == NULL)) {
        for (int64_t g = 0; g < r->ngroups; g++) cnt[g] += r->start[g + 1] - r->start[g];
    } else if (r != NULL) {
        FOR_GROUP_RUNS(r, v, int64_t c = cnt[g];, (void)i; c++;, cnt[g] = c;);
    } else {
        FOR_VALID_ROWS(v, sel, n, { cnt[gids[i]]++; });
    }
}

/* feed_sum over every row of the batch, group by group (see the top of the file). */
static int sum_runs(em__agg_state *s, const em_vector *v, const em__agg_runs *r, em__vclass vc,
                    em_error *err)
{
    if (s->dbl) {
        double *acc = s->f64;
        if (vc == EM__VC_F64) {
            const double *x = EM_VEC_F64(v);
            FOR_GROUP_RUNS(r, v, double a = acc[g];, a += x[i];, acc[g] = a;);
        } else if (vc == EM__VC_I32) {
            const int32_t *x = EM_VEC_I32(v);
            FOR_GROUP_RUNS(r, v, double a = acc[g];, a += x[i];, acc[g] = a;);
        } else {
            double div = v->type.id == EM_TYPE_DECIMAL ? (double)em_pow10[v->type.scale] : 1.0;
            const int64_t *x = EM_VEC_I64(v);
            FOR_GROUP_RUNS(r, v, double a = acc[g];, a += (double)x[i] / div;, acc[g] = a;);
        }
        return 0;
    }
    int64_t *acc = s->i64;
    bool ovf = false;
    if (vc == EM__VC_I32) {
        const int32_t *x = EM_VEC_I32(v);
        FOR_GROUP_RUNS(r, v, int64_t a = acc[g];, ovf |= __builtin_add_overflow(a, x[i], &a);,
                       acc[g] = a;);
    } else {
        const int64_t *x = EM_VEC_I64(v);
        FOR_GROUP_RUNS(r, v, int64_t a = acc[g];, ovf |= __builtin_add_overflow(a, x[i], &a);,
                       acc[g] = a;);
    }
    if (ovf) return overflow_error(s, err);
    return 0;
}

/* Add the valid values of v (selected rows) to the sums; count them too when
 * count_rows (AVG over raw rows). With runs r, every row of the batch, group
 * by group. */
static int feed_sum(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                    const uint32_t *g, bool count_rows, const em__agg_runs *r, em_error *err)
{
    em__vclass vc = em__vclass_of(v->type);
    if (vc == EM__VC_NULL) return 0;
    if (s->dbl ? vc != EM__VC_F64 && vc != EM__VC_I32 && vc != EM__VC_I64
               : vc != EM__VC_I32 && vc != EM__VC_I64)
        return em_error_set(err, EM_EINTERNAL, "%s fed with a non-%s column",
                            s->dbl ? "sum" : "exact sum", s->dbl ? "numeric" : "exact");
    if (!s->dbl && v->type.id == EM_TYPE_DECIMAL && v->type.scale != s->scale)
        return em_error_set(err, EM_EINTERNAL, "sum state has scale %d, expected %d", v->type.scale,
                            s->scale);
    if (count_rows) count_rows_of(s, v, sel, n, g, r);
    if (r != NULL) return sum_runs(s, v, r, vc, err);
    if (s->dbl) {
        double *acc = s->f64;
        if (vc == EM__VC_F64) {
            const double *x = EM_VEC_F64(v);
            FOR_VALID_ROWS(v, sel, n, { acc[g[i]] += x[i]; });
        } else if (vc == EM__VC_I32) {
            const int32_t *x = EM_VEC_I32(v);
            FOR_VALID_ROWS(v, sel, n, { acc[g[i]] += x[i]; });
        } else {
            double div = v->type.id == EM_TYPE_DECIMAL ? (double)em_pow10[v->type.scale] : 1.0;
            const int64_t *x = EM_VEC_I64(v);
            FOR_VALID_ROWS(v, sel, n, { acc[g[i]] += (double)x[i] / div; });
        }
        return 0;
    }
    int64_t *acc = s->i64;
    bool ovf = false;
    if (vc == EM__VC_I32) {
        const int32_t *x = EM_VEC_I32(v);
        FOR_VALID_ROWS(v, sel, n, { ovf |= __builtin_add_overflow(acc[g[i]], x[i], &acc[g[i]]); });
    } else {
        const int64_t *x = EM_VEC_I64(v);
        FOR_VALID_ROWS(v, sel, n, { ovf |= __builtin_add_overflow(acc[g[i]], x[i], &acc[g[i]]); });
    }
    if (ovf) return overflow_error(s, err);
    return 0;
}

static int cmp_str(const char *a, int32_t la, const char *b, int32_t lb)
{
    int r = memcmp(a, b, (size_t)(la < lb ? la : lb));
    if (r != 0) return r;
    return la < lb ? -1 : (la > lb ? 1 : 0);
}

/* Fold values into MIN/MAX. Numeric states start at the sentinel that loses
 * every comparison (so no first-value test), and presence is tracked apart
 * (note_values); strings test has[] and copy the winner into the arena. */
static void feed_minmax(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                        const uint32_t *g)
{
    bool min = s->kind == EM_AGG_MIN;
    switch (em__vclass_of(v->type)) {
    case EM__VC_BOOL: {
        const uint8_t *x = EM_VEC_BOOL(v);
        int64_t *m = s->i64;
        if (min)
            FOR_VALID_ROWS(v, sel, n, { m[g[i]] = EM_MIN(m[g[i]], (int64_t)(x[i] != 0)); });
        else
            FOR_VALID_ROWS(v, sel, n, { m[g[i]] = EM_MAX(m[g[i]], (int64_t)(x[i] != 0)); });
        break;
    }
    case EM__VC_I32: {
        const int32_t *x = EM_VEC_I32(v);
        int64_t *m = s->i64;
        if (min)
            FOR_VALID_ROWS(v, sel, n, { m[g[i]] = EM_MIN(m[g[i]], (int64_t)x[i]); });
        else
            FOR_VALID_ROWS(v, sel, n, { m[g[i]] = EM_MAX(m[g[i]], (int64_t)x[i]); });
        break;
    }
    case EM__VC_I64: {
        const int64_t *x = EM_VEC_I64(v);
        int64_t *m = s->i64;
        if (min)
            FOR_VALID_ROWS(v, sel, n, { m[g[i]] = EM_MIN(m[g[i]], x[i]); });
        else
            FOR_VALID_ROWS(v, sel, n, { m[g[i]] = EM_MAX(m[g[i]], x[i]); });
        break;
    }
    case EM__VC_F64: {
        /* NaN is above every number (PostgreSQL's order): MIN starts at NaN
         * and leaves it for any number; MAX takes a NaN and keeps it. */
        const double *x = EM_VEC_F64(v);
        double *m = s->f64;
        if (min)
            FOR_VALID_ROWS(v, sel, n, {
                double c = m[g[i]];
                m[g[i]] = (x[i] < c || c != c) ? x[i] : c;
            });
        else
            FOR_VALID_ROWS(v, sel, n, {
                double c = m[g[i]];
                m[g[i]] = (x[i] > c || x[i] != x[i]) ? x[i] : c;
            });
        break;
    }
    case EM__VC_STR: {
        int sign = min ? 1 : -1;
        uint8_t *has = s->has;
        str_ref *m = s->str;
        if (s->arena == NULL) s->arena = em_arena_create(64 * 1024);
        FOR_VALID_ROWS(v, sel, n, {
            int32_t len;
            const char *p = em_vector_str(v, i, &len);
            uint32_t k = g[i];
            if (!has[k] || cmp_str(p, len, m[k].ptr, m[k].len) * sign < 0) {
                /* Superseded copies stay in the arena until the operator goes
                 * away; cheap, and it keeps updates free of frees. */
                char *c = em_arena_alloc(s->arena, (size_t)len + 1);
                memcpy(c, p, (size_t)len);
                m[k].ptr = c;
                m[k].len = len;
                has[k] = 1;
            }
        });
        break;
    }
    case EM__VC_IV: {
        int sign = min ? 1 : -1;
        uint8_t *has = s->has;
        em_interval *m = s->iv;
        const em_interval *x = EM_VEC_IV(v);
        FOR_VALID_ROWS(v, sel, n, {
            uint32_t k = g[i];
            if (!has[k] || em_interval_compare(x[i], m[k]) * sign < 0) {
                m[k] = x[i];
                has[k] = 1;
            }
        });
        break;
    }
    default:
        break;
    }
}

/* ---- statistics, sketches and percentiles ----------------------------- */

/* Run the statements for every valid selected row with `x` bound to the
 * row's value as a double (DECIMAL unscaled). */
#define FOR_VALID_DOUBLES(v, sel, n, ...)                                                          \
    do {                                                                                           \
        switch (em__vclass_of((v)->type)) {                                                        \
        case EM__VC_I32: {                                                                         \
            const int32_t *xs_ = EM_VEC_I32(v);                                                    \
            FOR_VALID_ROWS(v, sel, n, {                                                            \
                double x = xs_[i];                                                                 \
                __VA_ARGS__                                                                        \
            });                                                                                    \
            break;                                                                                 \
        }                                                                                          \
        case EM__VC_I64: {                                                                         \
            const int64_t *xs_ = EM_VEC_I64(v);                                                    \
            double div_ = (v)->type.id == EM_TYPE_DECIMAL ? (double)em_pow10[(v)->type.scale] : 1; \
            FOR_VALID_ROWS(v, sel, n, {                                                            \
                double x = (double)xs_[i] / div_;                                                  \
                __VA_ARGS__                                                                        \
            });                                                                                    \
            break;                                                                                 \
        }                                                                                          \
        case EM__VC_F64: {                                                                         \
            const double *xs_ = EM_VEC_F64(v);                                                     \
            FOR_VALID_ROWS(v, sel, n, {                                                            \
                double x = xs_[i];                                                                 \
                __VA_ARGS__                                                                        \
            });                                                                                    \
            break;                                                                                 \
        }                                                                                          \
        default:                                                                                   \
            break;                                                                                 \
        }                                                                                          \
    } while (0)

/* Welford's update: one pass, numerically stable. */
static void feed_welford(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                         const uint32_t *g)
{
    int64_t *cnt = s->cnt;
    double *mean = s->mean, *m2 = s->m2;
    FOR_VALID_DOUBLES(v, sel, n, {
        uint32_t k = g[i];
        int64_t c = ++cnt[k];
        double d = x - mean[k];
        mean[k] += d / (double)c;
        m2[k] += d * (x - mean[k]);
    });
}

/* Chan et al.'s combination of two (count, mean, m2) states. */
static inline void welford_merge(int64_t *cnt, double *mean, double *m2, int64_t cb, double mb,
                                 double m2b)
{
    if (cb == 0) return;
    if (*cnt == 0) {
        *cnt = cb;
        *mean = mb;
        *m2 = m2b;
        return;
    }
    double na = (double)*cnt, nb = (double)cb, nn = na + nb;
    double d = mb - *mean;
    *mean += d * nb / nn;
    *m2 += m2b + d * d * na * nb / nn;
    *cnt += cb;
}

static void feed_hll(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                     const uint32_t *g)
{
    em__vclass vc = em__vclass_of(v->type);
    if (vc == EM__VC_NULL) return;
    em__hll *h = s->hll;
    /* Rehashed with a seed of its own, so that the register a value picks is
     * unrelated to the hash that chose its group or its shuffle partition. */
    int64_t delta = 0;
    FOR_VALID_ROWS(v, sel, n, {
        em__hll *x = &h[g[i]];
        int64_t before = em__hll_bytes(x);
        em__hll_add(x, em_hash_u64(em__hash_value(v, i, vc), 0x2545f4914f6cdd1dULL));
        delta += em__hll_bytes(x) - before;
    });
    s->value_bytes += delta;
}

/* Order-preserving 64-bit keys: integers with the sign bit flipped, doubles
 * in their total order (NaN last, -0 as 0). key_value inverts them. */
static inline uint64_t key_i64(int64_t x)
{
    return (uint64_t)x ^ (1ULL << 63);
}

static inline uint64_t key_f64(double d)
{
    uint64_t bits;
    if (isnan(d)) return UINT64_MAX;
    if (d == 0) d = 0.0;
    memcpy(&bits, &d, sizeof(bits));
    return (bits & (1ULL << 63)) ? ~bits : bits | (1ULL << 63);
}

static inline int64_t key_to_i64(uint64_t k)
{
    return (int64_t)(k ^ (1ULL << 63));
}

static inline double key_to_f64(uint64_t k)
{
    if (k == UINT64_MAX) return NAN;
    uint64_t bits = (k & (1ULL << 63)) ? k & ~(1ULL << 63) : ~k;
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

static void feed_holistic(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                          const uint32_t *g)
{
    em__vclass vc = em__vclass_of(v->type);
    if (vc == EM__VC_NULL) return;
    if (s->hn + n > s->hcap) {
        int64_t cap = EM_MAX(s->hcap * 2, s->hn + n);
        s->value_bytes += (cap - s->hcap) * (int64_t)(sizeof(uint32_t) + sizeof(uint64_t));
        s->hcap = cap;
        s->hgid = em_realloc(s->hgid, (size_t)s->hcap * sizeof(uint32_t));
        s->hkey = em_realloc(s->hkey, (size_t)s->hcap * sizeof(uint64_t));
    }
    uint32_t *gid = s->hgid;
    uint64_t *key = s->hkey;
    int64_t m = s->hn;
    if (vc == EM__VC_I32) {
        const int32_t *x = EM_VEC_I32(v);
        FOR_VALID_ROWS(v, sel, n, {
            gid[m] = g[i];
            key[m++] = key_i64(x[i]);
        });
    } else if (vc == EM__VC_I64) {
        const int64_t *x = EM_VEC_I64(v);
        FOR_VALID_ROWS(v, sel, n, {
            gid[m] = g[i];
            key[m++] = key_i64(x[i]);
        });
    } else {
        const double *x = EM_VEC_F64(v);
        FOR_VALID_ROWS(v, sel, n, {
            gid[m] = g[i];
            key[m++] = key_f64(x[i]);
        });
    }
    s->hn = m;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Group the collected values (a counting sort on the group id) and sort each
 * group's keys. Runs once, before the first result is written. */
static void sort_holistic(em__agg_state *s)
{
    int64_t ng = s->groups;
    s->hstart = em_calloc((size_t)ng + 2, sizeof(int64_t));
    for (int64_t j = 0; j < s->hn; j++) s->hstart[s->hgid[j] + 2]++;
    for (int64_t g = 0; g < ng; g++) s->hstart[g + 2] += s->hstart[g + 1];
    uint64_t *sorted = em_malloc((size_t)(s->hn > 0 ? s->hn : 1) * sizeof(uint64_t));
    for (int64_t j = 0; j < s->hn; j++) sorted[s->hstart[s->hgid[j] + 1]++] = s->hkey[j];
    /* hstart[g + 1] advanced to the end of group g, i.e. the start of g + 1. */
    for (int64_t g = 0; g < ng; g++) {
        int64_t lo = s->hstart[g], hi = s->hstart[g + 1];
        if (hi - lo > 1) qsort(sorted + lo, (size_t)(hi - lo), sizeof(uint64_t), cmp_u64);
    }
    em_free(s->hkey);
    em_free(s->hgid);
    s->hgid = NULL;
    s->hkey = sorted;
}

/* Feed raw values (one column) to the aggregate; all_rows as for
 * note_values. Runs r, when given, group every row of the batch (all_rows). */
static int feed(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                const uint32_t *g, bool all_rows, const em__agg_runs *r, em_error *err)
{
    switch (s->kind) {
    case EM_AGG_COUNT_STAR:
        count_rows_of(s, NULL, sel, n, g, r);
        return 0;
    case EM_AGG_COUNT:
        if (v->type.id == EM_TYPE_NULL) return 0;
        count_rows_of(s, v, sel, n, g, r);
        return 0;
    case EM_AGG_SUM:
        EM_TRY(feed_sum(s, v, sel, n, g, false, r, err));
        if (v->type.id != EM_TYPE_NULL) note_values(s, v, sel, n, g, all_rows);
        return 0;
    case EM_AGG_AVG:
        return feed_sum(s, v, sel, n, g, true, r, err);
    case EM_AGG_MIN:
    case EM_AGG_MAX:
        feed_minmax(s, v, sel, n, g);
        if (s->track) note_values(s, v, sel, n, g, all_rows);
        return 0;
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP:
        feed_welford(s, v, sel, n, g);
        return 0;
    case EM_AGG_APPROX_COUNT_DISTINCT:
        feed_hll(s, v, sel, n, g);
        return 0;
    case EM_AGG_PERCENTILE_CONT:
    case EM_AGG_PERCENTILE_DISC:
        if (s->hstart != NULL)
            return em_error_set(err, EM_EINTERNAL, "%s fed after its results were written",
                                em_agg_name(s->kind));
        feed_holistic(s, v, sel, n, g);
        return 0;
    case EM_AGG_CORR:
    case EM_AGG_COVAR_POP:
    case EM_AGG_COVAR_SAMP:
        /* Two arguments: em__agg_state_update feeds them itself. */
        return em_error_set(err, EM_EINTERNAL, "%s fed with one argument", em_agg_name(s->kind));
    }
    return 0;
}

/* ---- DISTINCT ----------------------------------------------------------- */

static void dset_grow(distinct_set *d)
{
    em_free(d->slots);
    d->nslots *= 2;
    d->slots = em_calloc((size_t)d->nslots, sizeof(dset_slot));
    uint64_t mask = (uint64_t)d->nslots - 1;
    for (int64_t e = 0; e < d->n; e++) {
        uint64_t pos = d->hash[e] & mask;
        while (d->slots[pos].id1 != 0) pos = (pos + 1) & mask;
        d->slots[pos].tag = (uint32_t)(d->hash[e] >> 32);
        d->slots[pos].id1 = (uint32_t)(e + 1);
    }
}

/* Write to out the rows of sel (valid values only) whose (group, value) pair
 * has not been seen before, recording them; returns how many. */
static int64_t dset_filter(distinct_set *d, const em_vector *v, const int32_t *sel, int64_t n,
                           const uint32_t *g, int32_t *out)
{
    em__vclass vc = em__vclass_of(v->type);
    if (vc == EM__VC_NULL) return 0;
    int64_t m = 0;
    FOR_VALID_ROWS(v, sel, n, {
        uint64_t h = em_hash_combine(em_hash_u64(g[i], EM__HASH_SEED), em__hash_value(v, i, vc));
        uint32_t tag = (uint32_t)(h >> 32);
        uint64_t mask = (uint64_t)d->nslots - 1;
        uint64_t pos = h & mask;
        bool seen = false;
        while (d->slots[pos].id1 != 0) {
            uint32_t e = d->slots[pos].id1 - 1;
            if (d->slots[pos].tag == tag && d->gid[e] == g[i] &&
                em__value_eq(d->vals, e, v, i, vc)) {
                seen = true;
                break;
            }
            pos = (pos + 1) & mask;
        }
        if (!seen) {
            if (d->n == d->cap) {
                d->cap = d->cap ? d->cap * 2 : 1024;
                d->gid = em_realloc(d->gid, (size_t)d->cap * sizeof(uint32_t));
                d->hash = em_realloc(d->hash, (size_t)d->cap * sizeof(uint64_t));
            }
            d->gid[d->n] = g[i];
            d->hash[d->n] = h;
            em_vector_append_from(d->vals, v, i);
            d->slots[pos].tag = tag;
            d->slots[pos].id1 = (uint32_t)(++d->n);
            if (d->n * 2 > d->nslots) dset_grow(d);
            out[m++] = (int32_t)i;
        }
    });
    return m;
}

/* ---- update and merge --------------------------------------------------- */

static void ensure_sel(em__agg_state *s, int64_t n)
{
    if (n <= s->sel_cap) return;
    em_free(s->sel);
    em_free(s->sel2);
    em_free(s->gtmp);
    s->sel_cap = n;
    s->sel = em_malloc((size_t)n * sizeof(int32_t));
    s->sel2 = em_malloc((size_t)n * sizeof(int32_t));
    s->gtmp = em_malloc((size_t)n * sizeof(uint32_t));
}

int em__agg_state_update(em__agg_state *s, const em_batch *in, const uint32_t *gids,
                         const em__agg_runs *runs, em_error *err)
{
    const em_agg_call *c = s->call;
    int64_t n = in->nrows;
    const int32_t *sel = NULL;
    em_batch *filtered = NULL;
    if (c->filter != NULL || s->dset != NULL) ensure_sel(s, n);
    if (c->filter != NULL) {
        int64_t nsel = 0;
        EM_TRY(em_expr_select(c->filter, in, s->sel, &nsel, err));
        if (nsel == 0) return 0;
        if (nsel < n && c->arg != NULL && c->kind != EM_AGG_COUNT_STAR) {
            /* The argument is only evaluated on rows that pass the FILTER,
             * so that an error in a filtered-out row cannot surface. */
            filtered = em_batch_gather(in, s->sel, nsel);
            for (int64_t j = 0; j < nsel; j++) s->gtmp[j] = gids[s->sel[j]];
            in = filtered;
            gids = s->gtmp;
            n = nsel;
        } else if (nsel < n) {
            sel = s->sel;
            n = nsel;
        }
    }
    bool all_rows = filtered == NULL && sel == NULL && s->dset == NULL;
    em_vector *v = NULL;
    int rc = 0;
    if (c->arg != NULL && c->kind != EM_AGG_COUNT_STAR) rc = em_expr_eval(c->arg, in, &v, err);
    if (rc == 0 && s->cov != NULL) {
        em_vector *x = NULL;
        rc = em_expr_eval(c->arg2, in, &x, err);
        if (rc == 0) em__covar_feed(s->cov, v, x, sel, n, gids);
        if (x != NULL) em_vector_unref(x);
    } else if (rc == 0) {
        if (s->dset != NULL && v != NULL) {
            n = dset_filter(s->dset, v, sel, n, gids, s->sel2);
            sel = s->sel2;
        }
        rc = feed(s, v, sel, n, gids, all_rows, all_rows ? runs : NULL, err);
    }
    if (v != NULL) em_vector_unref(v);
    if (filtered != NULL) em_batch_destroy(filtered);
    return rc;
}

bool em__agg_state_takes_values(const em__agg_state *s)
{
    return s->call->filter == NULL && s->dset == NULL && s->cov == NULL;
}

int em__agg_state_feed(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                       const uint32_t *gids, const em__agg_runs *runs, em_error *err)
{
    if (!em__agg_state_takes_values(s))
        return em_error_set(err, EM_EINTERNAL, "%s cannot be fed evaluated values",
                            em_agg_name(s->kind));
    return feed(s, v, sel, n, gids, true, runs, err);
}

int em__agg_state_merge(em__agg_state *s, const em_batch *in, int col, const uint32_t *gids,
                        em_error *err)
{
    int64_t n = in->nrows;
    const em_vector *v = in->cols[col];
    switch (s->kind) {
    case EM_AGG_COUNT_STAR:
    case EM_AGG_COUNT: {
        int64_t *cnt = s->cnt;
        if (v->type.id == EM_TYPE_INTEGER) {
            const int32_t *x = EM_VEC_I32(v);
            FOR_VALID_ROWS(v, (const int32_t *)NULL, n, { cnt[gids[i]] += x[i]; });
        } else {
            const int64_t *x = EM_VEC_I64(v);
            FOR_VALID_ROWS(v, (const int32_t *)NULL, n, { cnt[gids[i]] += x[i]; });
        }
        return 0;
    }
    case EM_AGG_SUM:
        EM_TRY(feed_sum(s, v, NULL, n, gids, false, NULL, err));
        note_values(s, v, NULL, n, gids, true);
        return 0;
    case EM_AGG_AVG: {
        EM_TRY(feed_sum(s, v, NULL, n, gids, false, NULL, err));
        const em_vector *cv = in->cols[col + 1];
        int64_t *cnt = s->cnt;
        const int64_t *x = EM_VEC_I64(cv);
        FOR_VALID_ROWS(cv, (const int32_t *)NULL, n, { cnt[gids[i]] += x[i]; });
        return 0;
    }
    case EM_AGG_MIN:
    case EM_AGG_MAX:
        feed_minmax(s, v, NULL, n, gids);
        if (s->track) note_values(s, v, NULL, n, gids, true);
        return 0;
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP: {
        const em_vector *mv = in->cols[col + 1], *qv = in->cols[col + 2];
        if (v->type.id != EM_TYPE_BIGINT || mv->type.id != EM_TYPE_DOUBLE ||
            qv->type.id != EM_TYPE_DOUBLE)
            return em_error_set(err, EM_EINTERNAL, "%s state columns have the wrong types",
                                em_agg_name(s->kind));
        const int64_t *c = EM_VEC_I64(v);
        const double *mean = EM_VEC_F64(mv), *m2 = EM_VEC_F64(qv);
        FOR_VALID_ROWS(v, (const int32_t *)NULL, n, {
            uint32_t k = gids[i];
            welford_merge(&s->cnt[k], &s->mean[k], &s->m2[k], c[i], mean[i], m2[i]);
        });
        return 0;
    }
    case EM_AGG_APPROX_COUNT_DISTINCT: {
        if (v->type.id != EM_TYPE_VARCHAR)
            return em_error_set(err, EM_EINTERNAL, "approx_count_distinct state is not bytes");
        int bad = 0;
        int64_t delta = 0;
        FOR_VALID_ROWS(v, (const int32_t *)NULL, n, {
            int32_t len;
            const char *p = em_vector_str(v, i, &len);
            em__hll *x = &s->hll[gids[i]];
            int64_t before = em__hll_bytes(x);
            bad |= em__hll_merge_bytes(x, p, len);
            delta += em__hll_bytes(x) - before;
        });
        s->value_bytes += delta;
        if (bad)
            return em_error_set(err, EM_EINTERNAL, "corrupt approx_count_distinct state");
        return 0;
    }
    case EM_AGG_PERCENTILE_CONT:
    case EM_AGG_PERCENTILE_DISC:
        return em_error_set(err, EM_EINTERNAL, "%s has no partial state to merge",
                            em_agg_name(s->kind));
    case EM_AGG_CORR:
    case EM_AGG_COVAR_POP:
    case EM_AGG_COVAR_SAMP:
        return em__covar_merge(s->cov, in, col, gids, err);
    }
    return 0;
}

/* ---- writing values out ------------------------------------------------- */

/* Change the scale of an unscaled decimal; rounds half away from zero when
 * digits are dropped. False on overflow. */
static bool rescale(int64_t v, int from, int to, int64_t *out)
{
    if (to == from) {
        *out = v;
        return true;
    }
    if (to > from) {
        if (to - from > 18) return v == 0 ? (*out = 0, true) : false;
        return !__builtin_mul_overflow(v, em_pow10[to - from], out);
    }
    if (from - to > 18) {
        *out = 0;
        return true;
    }
    int64_t p = em_pow10[from - to];
    int64_t q = v / p, r = v % p;
    if (r >= 0 ? 2 * r >= p : -2 * r >= p) q += v < 0 ? -1 : 1;
    *out = q;
    return true;
}

static int put_null(em_vector *out)
{
    em_vector_append_null(out);
    return 0;
}

/* Append an exact value with `scale` decimal digits, converted to out's type. */
static int put_exact(const em__agg_state *s, em_vector *out, int64_t v, int scale, em_error *err)
{
    int64_t x;
    switch ((em_type_id)out->type.id) {
    case EM_TYPE_BOOLEAN:
        em_vector_append_bool(out, v != 0);
        return 0;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        if (!rescale(v, scale, 0, &x) || x < INT32_MIN || x > INT32_MAX)
            return overflow_error(s, err);
        em_vector_append_i32(out, (int32_t)x);
        return 0;
    case EM_TYPE_BIGINT:
    case EM_TYPE_TIMESTAMP:
        if (!rescale(v, scale, 0, &x)) return overflow_error(s, err);
        em_vector_append_i64(out, x);
        return 0;
    case EM_TYPE_DECIMAL: {
        int p = out->type.precision ? out->type.precision : EM_DECIMAL_MAX_PRECISION;
        if (!rescale(v, scale, out->type.scale, &x)) return overflow_error(s, err);
        if (p < EM_DECIMAL_MAX_PRECISION && (x >= em_pow10[p] || x <= -em_pow10[p]))
            return overflow_error(s, err);
        if (p >= EM_DECIMAL_MAX_PRECISION &&
            (x >= 1000000000000000000LL || x <= -1000000000000000000LL))
            return overflow_error(s, err);
        em_vector_append_i64(out, x);
        return 0;
    }
    case EM_TYPE_DOUBLE:
        em_vector_append_f64(out, (double)v / (double)em_pow10[scale]);
        return 0;
    default:
        break;
    }
    char buf[32];
    return em_error_set(err, EM_EINTERNAL, "cannot write an aggregate as %s",
                        em_type_name(out->type, buf, sizeof(buf)));
}

static int put_double(const em__agg_state *s, em_vector *out, double d, em_error *err)
{
    if (out->type.id == EM_TYPE_DOUBLE) {
        em_vector_append_f64(out, d);
        return 0;
    }
    int scale = out->type.id == EM_TYPE_DECIMAL ? out->type.scale : 0;
    double r = round(d * (double)em_pow10[scale]);
    if (!(r > -9.2e18 && r < 9.2e18)) return overflow_error(s, err);
    return put_exact(s, out, (int64_t)r, scale, err);
}

/* AVG of an exact sum as a DECIMAL of the requested scale, rounding half away
 * from zero; 128-bit intermediate so that no precision is lost. */
static int put_avg_decimal(const em__agg_state *s, em_vector *out, int64_t sum, int64_t cnt,
                           em_error *err)
{
    int rs = out->type.scale;
    __int128 num = sum, den = cnt;
    if (rs >= s->scale) {
        for (int k = 0; k < rs - s->scale; k++) num *= 10;
    } else {
        for (int k = 0; k < s->scale - rs; k++) den *= 10;
    }
    __int128 q = num / den, r = num % den;
    if ((r < 0 ? -r : r) * 2 >= den) q += num < 0 ? -1 : 1;
    if (q > INT64_MAX || q < INT64_MIN) return overflow_error(s, err);
    return put_exact(s, out, (int64_t)q, rs, err);
}

/* PERCENTILE_CONT / PERCENTILE_DISC of group g, whose keys are sorted. */
static int put_percentile(const em__agg_state *s, em_vector *out, int64_t g, em_error *err)
{
    const uint64_t *k = s->hkey + s->hstart[g];
    int64_t m = s->hstart[g + 1] - s->hstart[g];
    if (m == 0) return put_null(out);
    em__vclass vc = em__vclass_of(s->arg_type);
    double f = s->call->fraction;
    if (s->kind == EM_AGG_PERCENTILE_DISC) {
        /* The first value whose position in the order reaches f (PostgreSQL). */
        int64_t row = (int64_t)ceil(f * (double)m);
        if (row < 1) row = 1;
        if (row > m) row = m;
        uint64_t key = k[s->call->desc ? m - row : row - 1];
        switch (vc) {
        case EM__VC_I32:
            em_vector_append_i32(out, (int32_t)key_to_i64(key));
            return 0;
        case EM__VC_I64:
            em_vector_append_i64(out, key_to_i64(key));
            return 0;
        default:
            em_vector_append_f64(out, key_to_f64(key));
            return 0;
        }
    }
    /* Linear interpolation between the values around position f * (m - 1)
     * of the requested order (PostgreSQL's formula, also for DESC). */
    double pos = f * (double)(m - 1);
    int64_t lo = (int64_t)floor(pos);
    if (lo < 0) lo = 0;
    if (lo > m - 1) lo = m - 1;
    int64_t hi = lo + 1 < m ? lo + 1 : lo;
    double frac = pos - (double)lo;
    uint64_t ka = k[s->call->desc ? m - 1 - lo : lo], kb = k[s->call->desc ? m - 1 - hi : hi];
    if (out->type.id == EM_TYPE_TIMESTAMP) {
        /* DATE and TIMESTAMP inputs interpolate in microseconds. */
        bool date = s->arg_type.id == EM_TYPE_DATE;
        __int128 a = key_to_i64(ka), b = key_to_i64(kb);
        if (date) {
            a *= EM_MICROS_PER_DAY;
            b *= EM_MICROS_PER_DAY;
        }
        __int128 t = a + (__int128)llroundl((long double)(b - a) * (long double)frac);
        if (t < INT64_MIN || t > INT64_MAX)
            return em_error_set(err, EM_EOVERFLOW, "timestamp out of range");
        em_vector_append_i64(out, (int64_t)t);
        return 0;
    }
    if (vc == EM__VC_F64) {
        double a = key_to_f64(ka), b = key_to_f64(kb);
        return put_double(s, out, frac == 0 ? a : a + (b - a) * frac, err);
    }
    /* Exact inputs interpolate on their unscaled integers and are scaled once
     * at the end, so that the median of 0.10 and 1.25 is 0.675, not
     * 0.67499999999999993. */
    long double a = (long double)key_to_i64(ka), b = (long double)key_to_i64(kb);
    long double r = frac == 0 ? a : a + (b - a) * (long double)frac;
    double div = s->arg_type.id == EM_TYPE_DECIMAL ? (double)em_pow10[s->arg_type.scale] : 1;
    return put_double(s, out, (double)r / div, err);
}

static int put_final(const em__agg_state *s, em_vector *out, int64_t g, em_error *err)
{
    switch (s->kind) {
    case EM_AGG_COUNT_STAR:
    case EM_AGG_COUNT:
        return put_exact(s, out, s->cnt[g], 0, err);
    case EM_AGG_SUM:
        if (!has_value(s, g)) return put_null(out);
        if (s->dbl) return put_double(s, out, s->f64[g], err);
        return put_exact(s, out, s->i64[g], s->scale, err);
    case EM_AGG_AVG:
        if (s->cnt[g] == 0) return put_null(out);
        if (s->dbl) return put_double(s, out, s->f64[g] / (double)s->cnt[g], err);
        if (out->type.id == EM_TYPE_DECIMAL)
            return put_avg_decimal(s, out, s->i64[g], s->cnt[g], err);
        return put_double(s, out,
                          (double)s->i64[g] / (double)em_pow10[s->scale] / (double)s->cnt[g], err);
    case EM_AGG_MIN:
    case EM_AGG_MAX:
        if (!has_value(s, g)) return put_null(out);
        switch (em__vclass_of(s->arg_type)) {
        case EM__VC_F64:
            return put_double(s, out, s->f64[g], err);
        case EM__VC_STR:
            if (out->type.id != EM_TYPE_VARCHAR)
                return em_error_set(err, EM_EINTERNAL, "string MIN/MAX into a non-string");
            em_vector_append_str(out, s->str[g].ptr, s->str[g].len);
            return 0;
        case EM__VC_IV:
            if (out->type.id != EM_TYPE_INTERVAL)
                return em_error_set(err, EM_EINTERNAL, "INTERVAL MIN/MAX into a non-interval");
            em_vector_append_interval(out, s->iv[g]);
            return 0;
        default:
            return put_exact(s, out, s->i64[g],
                             s->arg_type.id == EM_TYPE_DECIMAL ? s->arg_type.scale : 0, err);
        }
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP: {
        bool samp = s->kind == EM_AGG_STDDEV_SAMP || s->kind == EM_AGG_VAR_SAMP;
        int64_t c = s->cnt[g];
        if (c == 0 || (samp && c == 1)) return put_null(out);
        /* Rounding can leave a tiny negative sum of squares; it means 0. */
        double var = EM_MAX(s->m2[g], 0.0) / (double)(samp ? c - 1 : c);
        bool sd = s->kind == EM_AGG_STDDEV_SAMP || s->kind == EM_AGG_STDDEV_POP;
        return put_double(s, out, sd ? sqrt(var) : var, err);
    }
    case EM_AGG_APPROX_COUNT_DISTINCT:
        return put_exact(s, out, em__hll_estimate(&s->hll[g]), 0, err);
    case EM_AGG_PERCENTILE_CONT:
    case EM_AGG_PERCENTILE_DISC:
        return put_percentile(s, out, g, err);
    case EM_AGG_CORR:
    case EM_AGG_COVAR_POP:
    case EM_AGG_COVAR_SAMP:
        em__covar_put_final(s->cov, g, out);
        return 0;
    }
    return 0;
}

static int put_partial(const em__agg_state *s, em_vector **out, int64_t g, em_error *err)
{
    switch (s->kind) {
    case EM_AGG_COUNT_STAR:
    case EM_AGG_COUNT:
        return put_exact(s, out[0], s->cnt[g], 0, err);
    case EM_AGG_SUM:
        if (!has_value(s, g)) return put_null(out[0]);
        if (s->dbl) return put_double(s, out[0], s->f64[g], err);
        return put_exact(s, out[0], s->i64[g], s->scale, err);
    case EM_AGG_AVG:
        if (s->cnt[g] == 0)
            put_null(out[0]);
        else if (s->dbl)
            EM_TRY(put_double(s, out[0], s->f64[g], err));
        else
            EM_TRY(put_exact(s, out[0], s->i64[g], s->scale, err));
        return put_exact(s, out[1], s->cnt[g], 0, err);
    case EM_AGG_MIN:
    case EM_AGG_MAX:
        return put_final(s, out[0], g, err);
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP:
        em_vector_append_i64(out[0], s->cnt[g]);
        em_vector_append_f64(out[1], s->mean[g]);
        em_vector_append_f64(out[2], s->m2[g]);
        return 0;
    case EM_AGG_APPROX_COUNT_DISTINCT: {
        const em__hll *h = &s->hll[g];
        int32_t len = em__hll_size(h);
        /* At most 4097 bytes per group, and a batch has at most EM_BATCH_ROWS groups. */
        char *p = em_malloc((size_t)len);
        em__hll_write(h, p);
        em_vector_append_str(out[0], p, len);
        em_free(p);
        return 0;
    }
    case EM_AGG_PERCENTILE_CONT:
    case EM_AGG_PERCENTILE_DISC:
        return em_error_set(err, EM_EINTERNAL, "%s has no partial state", em_agg_name(s->kind));
    case EM_AGG_CORR:
    case EM_AGG_COVAR_POP:
    case EM_AGG_COVAR_SAMP:
        em__covar_put_partial(s->cov, g, out);
        return 0;
    }
    return 0;
}

int em__agg_state_emit(em__agg_state *s, bool partial, int64_t first, int64_t n, em_vector **out,
                       em_error *err)
{
    if (partial) {
        for (int k = 0; k < s->nstates; k++) out[k] = em_vector_create(s->stypes[k], n);
    } else {
        out[0] = em_vector_create(s->call->type, n);
        if (em_agg_is_holistic(s->kind) && s->hstart == NULL) sort_holistic(s);
    }
    int rc = 0;
    for (int64_t g = first; g < first + n && rc == 0; g++)
        rc = partial ? put_partial(s, out, g, err) : put_final(s, out[0], g, err);
    if (rc < 0) {
        for (int k = 0; k < (partial ? s->nstates : 1); k++) {
            em_vector_unref(out[k]);
            out[k] = NULL;
        }
    }
    return rc;
}

/*
 * window_agg.c — aggregates over window frames: count(*), count, sum, avg,
 * min, max, var/stddev, and the DISTINCT forms of count, sum and avg.
 *
 * Frames of consecutive rows never move backwards (window_frame.c), which
 * every method here relies on; none costs O(rows x frame):
 *   - count(*) is the frame's length; count, and sum/avg of exact types
 *     (integers, DECIMAL) are differences of prefix sums, kept in 128 bits so
 *     that they are exact and an overflow shows only when a frame's own sum
 *     leaves the result type.
 *   - sum/avg of DOUBLE: a running sum when every frame starts at the
 *     partition's start (the same additions, in the same order, as a GROUP BY
 *     would do), otherwise a segment tree of partial sums. Subtracting the
 *     rows that leave a moving frame would carry their rounding errors (and
 *     any Infinity or NaN) into every later frame; a tree query adds only the
 *     frame's own values, in O(log n).
 *   - min/max: a monotonic deque of row positions, O(1) amortized per row.
 *   - var/stddev: Welford's running update when frames only grow, otherwise
 *     a segment tree of (count, mean, M2) states combined as Chan et al. do,
 *     which stays as stable as the running form.
 *   - DISTINCT: every value gets a dense id once; the frame keeps a count per
 *     id and is updated as rows enter and leave. Exact sums of distinct values
 *     are kept in 128 bits, DOUBLE ones with a compensated (Neumaier) sum and
 *     separate counts of infinities and NaNs. approx_count_distinct is
 *     answered exactly this way.
 * Segment trees are built per partition, so that a DOUBLE result depends on
 * its partition alone: not on which other partitions share the task, nor on
 * whether the operator spilled.
 */
#include <math.h>

#include "exec/window_int.h"

/* ---- helpers ------------------------------------------------------------------- */

/* Frame bounds of one partition at a time. */
typedef struct frames {
    int64_t *fs;
    int64_t *fe;
    int64_t cap; /* rows of the largest partition */
} frames;

static void frames_init(frames *f, const em__win_input *in)
{
    int64_t m = 1;
    for (int64_t p = 0; p < in->nparts; p++)
        m = EM_MAX(m, in->part_start[p + 1] - in->part_start[p]);
    f->fs = em_malloc((size_t)m * sizeof(int64_t));
    f->fe = em_malloc((size_t)m * sizeof(int64_t));
    f->cap = m;
}

static void frames_release(frames *f)
{
    em_free(f->fs);
    em_free(f->fe);
}

static inline int cmp_f64(double a, double b)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
    return a < b ? -1 : (a > b ? 1 : 0);
}

/* Compare two valid values of a view in sort order. */
static inline int view_cmp(const em__win_view *v, int64_t a, int64_t b)
{
    switch (v->vc) {
    case EM__VC_F64:
        return cmp_f64(v->f64[a], v->f64[b]);
    case EM__VC_IV:
        return em_interval_compare(v->iv[a], v->iv[b]);
    case EM__VC_STR: {
        int32_t la = v->sl[a], lb = v->sl[b];
        int r = memcmp(v->sp[a], v->sp[b], (size_t)(la < lb ? la : lb));
        if (r != 0) return r < 0 ? -1 : 1;
        return la < lb ? -1 : (la > lb ? 1 : 0);
    }
    default:
        return v->i64[a] < v->i64[b] ? -1 : (v->i64[a] > v->i64[b] ? 1 : 0);
    }
}

static bool is_exact(const em__win_view *v)
{
    return v->vc == EM__VC_I32 || v->vc == EM__VC_I64 || v->vc == EM__VC_BOOL;
}

static int scale_of(const em__win_view *v)
{
    return v->type.id == EM_TYPE_DECIMAL ? v->type.scale : 0;
}

/* The type sum() produces over the view's type before the cast to the call's
 * type (em_agg_resolve's choice). */
static em_type sum_type(const em__win_view *v)
{
    if (v->vc == EM__VC_F64) return em_type_make(EM_TYPE_DOUBLE);
    if (v->type.id == EM_TYPE_DECIMAL)
        return em_type_decimal(EM_DECIMAL_MAX_PRECISION, v->type.scale);
    return em_type_make(EM_TYPE_BIGINT);
}

/* Store an exact sum into r->i64[i], or fail when it leaves the sum type. */
static int put_exact_sum(em__win_result *r, int64_t i, __int128 x, em_error *err)
{
    if (r->type.id == EM_TYPE_DECIMAL) {
        if (x >= (__int128)1000000000000000000LL || x <= -(__int128)1000000000000000000LL)
            return em_error_set(err, EM_EOVERFLOW, "numeric field overflow in sum");
    } else if (x > INT64_MAX || x < INT64_MIN) {
        return em_error_set(err, EM_EOVERFLOW, "integer out of range");
    }
    r->i64[i] = (int64_t)x;
    return 0;
}

/* Prefix counts of the view's values: pc[i] = values among rows [0, i). */
static int64_t *prefix_counts(const em__win_view *v)
{
    int64_t *pc = em_malloc((size_t)(v->n + 1) * sizeof(int64_t));
    pc[0] = 0;
    for (int64_t i = 0; i < v->n; i++) pc[i + 1] = pc[i] + (em__win_valid(v, i) ? 1 : 0);
    return pc;
}

/* ---- count(*), count, sum, avg ----------------------------------------------- */

static void count_star(const em__win_input *in, const em__win_call *c, em__win_result *r)
{
    em__win_result_init(r, EM__WR_I64, em_type_make(EM_TYPE_BIGINT), in->n);
    frames f;
    frames_init(&f, in);
    for (int64_t p = 0; p < in->nparts; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1];
        em__win_frame_bounds(&c->frame, in, ps, pe, f.fs, f.fe);
        for (int64_t i = ps; i < pe; i++) r->i64[i] = EM_MAX(0, f.fe[i - ps] - f.fs[i - ps]);
    }
    frames_release(&f);
}

/* count, and sum/avg over exact values, all from prefix sums. */
static int prefix_agg(const em__win_input *in, const em__win_call *c, const em__win_view *v,
                      em__win_result *r, em_error *err)
{
    em_agg_kind k = c->call->agg;
    if (k == EM_AGG_COUNT)
        em__win_result_init(r, EM__WR_I64, em_type_make(EM_TYPE_BIGINT), in->n);
    else if (k == EM_AGG_SUM)
        em__win_result_init(r, EM__WR_I64, sum_type(v), in->n);
    else
        em__win_result_init(r, EM__WR_F64, em_type_make(EM_TYPE_DOUBLE), in->n);
    int64_t *pc = prefix_counts(v);
    __int128 *psum = NULL;
    if (k != EM_AGG_COUNT) {
        psum = em_malloc((size_t)(v->n + 1) * sizeof(__int128));
        psum[0] = 0;
        for (int64_t i = 0; i < v->n; i++)
            psum[i + 1] = psum[i] + (em__win_valid(v, i) ? v->i64[i] : 0);
    }
    double div = (double)em_pow10[scale_of(v)];
    frames f;
    frames_init(&f, in);
    int rc = 0;
    for (int64_t p = 0; p < in->nparts && rc == 0; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1];
        em__win_frame_bounds(&c->frame, in, ps, pe, f.fs, f.fe);
        for (int64_t i = ps; i < pe && rc == 0; i++) {
            int64_t s = f.fs[i - ps], e = EM_MAX(s, f.fe[i - ps]);
            int64_t cnt = pc[e] - pc[s];
            if (k == EM_AGG_COUNT) {
                r->i64[i] = cnt;
            } else if (cnt == 0) {
                em__win_set_null(r, i);
            } else if (k == EM_AGG_SUM) {
                rc = put_exact_sum(r, i, psum[e] - psum[s], err);
            } else {
                r->f64[i] = (double)(psum[e] - psum[s]) / div / (double)cnt;
            }
        }
    }
    frames_release(&f);
    em_free(pc);
    em_free(psum);
    return rc;
}

/* Sum of t's leaves [l, r) of an iterative segment tree over n leaves. */
static double seg_query(const double *t, int64_t n, int64_t l, int64_t r)
{
    double left = 0.0, right = 0.0;
    for (l += n, r += n; l < r; l >>= 1, r >>= 1) {
        if (l & 1) left += t[l++];
        if (r & 1) right = t[--r] + right;
    }
    return left + right;
}

/* sum/avg over DOUBLE values. */
static void double_agg(const em__win_input *in, const em__win_call *c, const em__win_view *v,
                       em__win_result *r)
{
    em__win_result_init(r, EM__WR_F64, em_type_make(EM_TYPE_DOUBLE), in->n);
    bool avg = c->call->agg == EM_AGG_AVG;
    bool running = c->frame.whole || c->frame.start == EM_BOUND_UNBOUNDED_PRECEDING;
    int64_t *pc = prefix_counts(v);
    frames f;
    frames_init(&f, in);
    /* One tree per partition, so that a result depends on its partition
     * alone (not on which other partitions share the task). */
    double *tree = running ? NULL : em_malloc((size_t)(2 * f.cap) * sizeof(double));
    for (int64_t p = 0; p < in->nparts; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1], m = pe - ps;
        em__win_frame_bounds(&c->frame, in, ps, pe, f.fs, f.fe);
        if (!running) {
            for (int64_t i = 0; i < m; i++)
                tree[m + i] = em__win_valid(v, ps + i) ? v->f64[ps + i] : 0.0;
            for (int64_t k = m - 1; k >= 1; k--) tree[k] = tree[2 * k] + tree[2 * k + 1];
        }
        double acc = 0.0;
        int64_t upto = ps; /* running: acc holds the values of [ps, upto) */
        for (int64_t i = ps; i < pe; i++) {
            int64_t s = f.fs[i - ps], e = EM_MAX(s, f.fe[i - ps]);
            int64_t cnt = pc[e] - pc[s];
            if (cnt == 0) {
                em__win_set_null(r, i);
                continue;
            }
            double sum;
            if (running) {
                for (; upto < e; upto++)
                    if (em__win_valid(v, upto)) acc += v->f64[upto];
                sum = acc;
            } else {
                sum = seg_query(tree, m, s - ps, e - ps);
            }
            r->f64[i] = avg ? sum / (double)cnt : sum;
        }
    }
    frames_release(&f);
    em_free(pc);
    em_free(tree);
}

/* ---- variance and standard deviation ------------------------------------------------ */

typedef struct welford {
    int64_t n;
    double mean, m2;
} welford;

static inline void welford_add(welford *w, double x)
{
    w->n++;
    double d = x - w->mean;
    w->mean += d / (double)w->n;
    w->m2 += d * (x - w->mean);
}

/* The state of a followed by b (Chan et al.). */
static inline welford welford_merge(welford a, welford b)
{
    if (b.n == 0) return a;
    if (a.n == 0) return b;
    double na = (double)a.n, nb = (double)b.n, nn = na + nb, d = b.mean - a.mean;
    welford r = {a.n + b.n, a.mean + d * nb / nn, a.m2 + b.m2 + d * d * na * nb / nn};
    return r;
}

static welford welford_query(const welford *t, int64_t n, int64_t l, int64_t r)
{
    welford left = {0, 0, 0}, right = {0, 0, 0};
    for (l += n, r += n; l < r; l >>= 1, r >>= 1) {
        if (l & 1) left = welford_merge(left, t[l++]);
        if (r & 1) right = welford_merge(t[--r], right);
    }
    return welford_merge(left, right);
}

static double view_double(const em__win_view *v, int64_t i, double div)
{
    return v->vc == EM__VC_F64 ? v->f64[i] : (double)v->i64[i] / div;
}

static void variance(const em__win_input *in, const em__win_call *c, const em__win_view *v,
                     em__win_result *r)
{
    em__win_result_init(r, EM__WR_F64, em_type_make(EM_TYPE_DOUBLE), in->n);
    em_agg_kind k = c->call->agg;
    bool samp = k == EM_AGG_STDDEV_SAMP || k == EM_AGG_VAR_SAMP;
    bool sd = k == EM_AGG_STDDEV_SAMP || k == EM_AGG_STDDEV_POP;
    bool running = c->frame.whole || c->frame.start == EM_BOUND_UNBOUNDED_PRECEDING;
    double div = (double)em_pow10[scale_of(v)];
    frames f;
    frames_init(&f, in);
    welford *tree = running ? NULL : em_malloc((size_t)(2 * f.cap) * sizeof(welford));
    for (int64_t p = 0; p < in->nparts; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1], m = pe - ps;
        em__win_frame_bounds(&c->frame, in, ps, pe, f.fs, f.fe);
        if (!running) {
            for (int64_t i = 0; i < m; i++) {
                welford leaf = {0, 0, 0};
                if (em__win_valid(v, ps + i)) welford_add(&leaf, view_double(v, ps + i, div));
                tree[m + i] = leaf;
            }
            for (int64_t j = m - 1; j >= 1; j--)
                tree[j] = welford_merge(tree[2 * j], tree[2 * j + 1]);
        }
        welford acc = {0, 0, 0};
        int64_t upto = ps; /* running: acc holds the values of [ps, upto) */
        for (int64_t i = ps; i < pe; i++) {
            int64_t s = f.fs[i - ps], e = EM_MAX(s, f.fe[i - ps]);
            welford w;
            if (running) {
                for (; upto < e; upto++)
                    if (em__win_valid(v, upto)) welford_add(&acc, view_double(v, upto, div));
                w = acc;
            } else {
                w = welford_query(tree, m, s - ps, e - ps);
            }
            if (w.n == 0 || (samp && w.n == 1)) {
                em__win_set_null(r, i);
                continue;
            }
            /* Rounding can leave a tiny negative sum of squares; it means 0. */
            double var = EM_MAX(w.m2, 0.0) / (double)(samp ? w.n - 1 : w.n);
            r->f64[i] = sd ? sqrt(var) : var;
        }
    }
    frames_release(&f);
    em_free(tree);
}

/* ---- min, max -------------------------------------------------------------------- */

static void minmax(const em__win_input *in, const em__win_call *c, const em__win_view *v,
                   em__win_result *r)
{
    em__win_result_init(r, EM__WR_PICK, v->type, in->n);
    r->col = c->arg_col;
    r->deflt_col = -1;
    /* MIN keeps positions whose values rise from front to back; a new row
     * drops every kept row with a worse value, which can never be the
     * answer again. Equal values stay, so the earliest one is returned. */
    int sign = c->call->agg == EM_AGG_MIN ? 1 : -1;
    frames f;
    frames_init(&f, in);
    int64_t *dq = em_malloc((size_t)f.cap * sizeof(int64_t));
    for (int64_t p = 0; p < in->nparts; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1];
        em__win_frame_bounds(&c->frame, in, ps, pe, f.fs, f.fe);
        int64_t head = 0, tail = 0, lo = ps, hi = ps;
        for (int64_t i = ps; i < pe; i++) {
            int64_t a = f.fs[i - ps], b = EM_MAX(a, f.fe[i - ps]);
            if (a >= hi || a < lo || b < hi) {
                /* A frame disjoint from the previous one (or, defensively,
                 * one that moved back): start over. */
                head = tail = 0;
                lo = hi = a;
            }
            for (; hi < b; hi++) {
                if (!em__win_valid(v, hi)) continue;
                while (tail > head && view_cmp(v, dq[tail - 1], hi) * sign > 0) tail--;
                dq[tail++] = hi;
            }
            lo = a;
            while (head < tail && dq[head] < lo) head++;
            r->pick[i] = head < tail ? dq[head] : EM__WIN_PICK_NULL;
        }
    }
    em_free(dq);
    frames_release(&f);
}

/* ---- DISTINCT ---------------------------------------------------------------------- */

static uint64_t view_hash(const em__win_view *v, int64_t i)
{
    switch (v->vc) {
    case EM__VC_F64:
        return em_hash_u64(em__f64_bits(v->f64[i]), EM__HASH_SEED);
    case EM__VC_IV:
        return em_interval_hash(v->iv[i], EM__HASH_SEED);
    case EM__VC_STR:
        return em_hash_bytes(v->sp[i], (size_t)v->sl[i], EM__HASH_SEED);
    default:
        return em_hash_u64((uint64_t)v->i64[i], EM__HASH_SEED);
    }
}

/* Dense ids of the values (grouping equality: NaN equals NaN, -0 equals 0);
 * -1 for NULL. *first receives, per id, a row holding that value. */
static int64_t *dense_ids(const em__win_view *v, int64_t *nids, int64_t **first)
{
    int64_t n = v->n;
    int64_t *id = em_malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    int64_t nslots = 16;
    while (nslots < 2 * n) nslots *= 2;
    int64_t *slots = em_malloc((size_t)nslots * sizeof(int64_t)); /* id + 1; 0 = empty */
    memset(slots, 0, (size_t)nslots * sizeof(int64_t));
    int64_t *rep = em_malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    int64_t count = 0;
    uint64_t mask = (uint64_t)nslots - 1;
    for (int64_t i = 0; i < n; i++) {
        if (!em__win_valid(v, i)) {
            id[i] = -1;
            continue;
        }
        uint64_t pos = view_hash(v, i) & mask;
        while (slots[pos] != 0 && !em__win_view_eq(v, rep[slots[pos] - 1], i))
            pos = (pos + 1) & mask;
        if (slots[pos] == 0) {
            rep[count] = i;
            slots[pos] = ++count;
        }
        id[i] = slots[pos] - 1;
    }
    em_free(slots);
    *nids = count;
    *first = rep;
    return id;
}

/* The distinct values in the current frame. */
typedef struct dstate {
    int64_t *cnt; /* per id: rows in the frame */
    int64_t ndistinct;
    __int128 isum;      /* exact sum of the distinct values */
    double fsum, fcomp; /* finite DOUBLE values: Neumaier sum and compensation */
    int64_t nan, pinf, ninf;
} dstate;

static void fsum_add(dstate *d, double x)
{
    if (isnan(x)) {
        d->nan++;
    } else if (isinf(x)) {
        if (x > 0)
            d->pinf++;
        else
            d->ninf++;
    } else {
        double t = d->fsum + x;
        if (fabs(d->fsum) >= fabs(x))
            d->fcomp += (d->fsum - t) + x;
        else
            d->fcomp += (x - t) + d->fsum;
        d->fsum = t;
    }
}

static void fsum_remove(dstate *d, double x)
{
    if (isnan(x)) {
        d->nan--;
    } else if (isinf(x)) {
        if (x > 0)
            d->pinf--;
        else
            d->ninf--;
    } else {
        fsum_add(d, -x);
    }
}

static double fsum_value(const dstate *d)
{
    if (d->nan > 0 || (d->pinf > 0 && d->ninf > 0)) return NAN;
    if (d->pinf > 0) return INFINITY;
    if (d->ninf > 0) return -INFINITY;
    return d->fsum + d->fcomp;
}

static inline void dstate_add(dstate *d, const em__win_view *v, const int64_t *id, int64_t j)
{
    if (id[j] < 0) return;
    if (d->cnt[id[j]]++ > 0) return;
    d->ndistinct++;
    if (v->vc == EM__VC_F64)
        fsum_add(d, v->f64[j]);
    else if (v->i64 != NULL)
        d->isum += v->i64[j];
}

static inline void dstate_remove(dstate *d, const em__win_view *v, const int64_t *id, int64_t j)
{
    if (id[j] < 0) return;
    if (--d->cnt[id[j]] > 0) return;
    d->ndistinct--;
    if (v->vc == EM__VC_F64)
        fsum_remove(d, v->f64[j]);
    else if (v->i64 != NULL)
        d->isum -= v->i64[j];
    /* An empty set restarts the DOUBLE sum, shedding accumulated rounding. */
    if (d->ndistinct == 0) d->fsum = d->fcomp = 0;
}

static int distinct_agg(const em__win_input *in, const em__win_call *c, const em__win_view *v,
                        em__win_result *r, em_error *err)
{
    em_agg_kind k = c->call->agg;
    if (k == EM_AGG_APPROX_COUNT_DISTINCT) k = EM_AGG_COUNT;
    if (k == EM_AGG_COUNT)
        em__win_result_init(r, EM__WR_I64, em_type_make(EM_TYPE_BIGINT), in->n);
    else if (k == EM_AGG_SUM && v->vc != EM__VC_F64)
        em__win_result_init(r, EM__WR_I64, sum_type(v), in->n);
    else
        em__win_result_init(r, EM__WR_F64, em_type_make(EM_TYPE_DOUBLE), in->n);
    int64_t nids;
    int64_t *rep;
    int64_t *id = dense_ids(v, &nids, &rep);
    em_free(rep);
    dstate d;
    memset(&d, 0, sizeof(d));
    d.cnt = em_calloc((size_t)(nids ? nids : 1), sizeof(int64_t));
    double div = (double)em_pow10[scale_of(v)];
    frames f;
    frames_init(&f, in);
    int rc = 0;
    for (int64_t p = 0; p < in->nparts && rc == 0; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1];
        em__win_frame_bounds(&c->frame, in, ps, pe, f.fs, f.fe);
        int64_t lo = ps, hi = ps;
        for (int64_t i = ps; i < pe && rc == 0; i++) {
            int64_t a = f.fs[i - ps], b = EM_MAX(a, f.fe[i - ps]);
            if (a >= hi || a < lo || b < hi) {
                for (; lo < hi; lo++) dstate_remove(&d, v, id, lo);
                lo = hi = a;
            }
            for (; hi < b; hi++) dstate_add(&d, v, id, hi);
            for (; lo < a; lo++) dstate_remove(&d, v, id, lo);
            if (k == EM_AGG_COUNT) {
                r->i64[i] = d.ndistinct;
            } else if (d.ndistinct == 0) {
                em__win_set_null(r, i);
            } else if (v->vc == EM__VC_F64) {
                double s = fsum_value(&d);
                r->f64[i] = k == EM_AGG_AVG ? s / (double)d.ndistinct : s;
            } else if (k == EM_AGG_SUM) {
                rc = put_exact_sum(r, i, d.isum, err);
            } else {
                r->f64[i] = (double)d.isum / div / (double)d.ndistinct;
            }
        }
        for (; lo < hi; lo++) dstate_remove(&d, v, id, lo);
    }
    frames_release(&f);
    em_free(d.cnt);
    em_free(id);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------------------ */

int em__win_agg(const em__win_input *in, const em__win_call *c, em__win_result *r, em_error *err)
{
    em_agg_kind k = c->call->agg;
    if (k == EM_AGG_COUNT_STAR || c->arg_col < 0) {
        count_star(in, c, r);
        return 0;
    }
    em__win_view v;
    em__win_view_build(in, c->arg_col, &v);
    int rc = 0;
    if (k == EM_AGG_MIN || k == EM_AGG_MAX) {
        minmax(in, c, &v, r);
    } else if (v.vc == EM__VC_NULL) {
        /* The NULL type: no values at all. */
        if (k == EM_AGG_COUNT || k == EM_AGG_APPROX_COUNT_DISTINCT) {
            em__win_result_init(r, EM__WR_I64, em_type_make(EM_TYPE_BIGINT), in->n);
        } else {
            em__win_result_init(r, k == EM_AGG_SUM ? EM__WR_I64 : EM__WR_F64,
                                em_type_make(k == EM_AGG_SUM ? EM_TYPE_BIGINT : EM_TYPE_DOUBLE),
                                in->n);
            for (int64_t i = 0; i < in->n; i++) em__win_set_null(r, i);
        }
    } else if (c->call->distinct || k == EM_AGG_APPROX_COUNT_DISTINCT) {
        rc = distinct_agg(in, c, &v, r, err);
    } else if (k == EM_AGG_STDDEV_SAMP || k == EM_AGG_STDDEV_POP || k == EM_AGG_VAR_SAMP ||
               k == EM_AGG_VAR_POP) {
        variance(in, c, &v, r);
    } else if (k == EM_AGG_COUNT || is_exact(&v)) {
        rc = prefix_agg(in, c, &v, r, err);
    } else {
        double_agg(in, c, &v, r);
    }
    em__win_view_release(&v);
    return rc;
}

/*
 * agg_covar.c — the state of the two-argument statistics corr(y, x),
 * covar_pop(y, x) and covar_samp(y, x) for every group of a hash aggregation.
 *
 * Each group keeps the count of rows where both arguments are non-NULL, the
 * running means of y and x, the co-moment C = sum((y - mean y)(x - mean x))
 * and, for corr, the sums of squared deviations of y and of x. Rows are folded
 * in with Welford's one-pass update and partial states are combined with Chan
 * et al.'s pairwise formula, so that neither large means nor the order in
 * which tasks' partial states meet cost precision (the textbook
 * sum(xy) - sum(x)sum(y)/n cancels catastrophically).
 *
 * A group is one 48-byte cell, so the update for a row touches one cache line.
 * Results follow PostgreSQL: NULL without rows; covar_samp NULL below two
 * rows; corr NULL below two rows or when either argument does not vary.
 */
#include "exec/agg_state.h"

typedef struct covar_cell {
    int64_t n;
    double my, mx;   /* means */
    double cxy;      /* co-moment */
    double m2y, m2x; /* sums of squared deviations (corr only) */
} covar_cell;

struct em__covar {
    em_agg_kind kind;
    covar_cell *cells;
    int64_t cap;
};

em__covar *em__covar_create(em_agg_kind kind)
{
    em__covar *c = em_calloc(1, sizeof(*c));
    c->kind = kind;
    return c;
}

void em__covar_destroy(em__covar *c)
{
    if (c == NULL) return;
    em_free(c->cells);
    em_free(c);
}

int64_t em__covar_bytes(const em__covar *c)
{
    return c->cap * (int64_t)sizeof(covar_cell);
}

void em__covar_reserve(em__covar *c, int64_t cap)
{
    if (cap <= c->cap) return;
    c->cells = em_realloc(c->cells, (size_t)cap * sizeof(covar_cell));
    memset(c->cells + c->cap, 0, (size_t)(cap - c->cap) * sizeof(covar_cell));
    c->cap = cap;
}

static inline void fold_row(covar_cell *s, double y, double x)
{
    double inv = 1.0 / (double)++s->n;
    double dy = y - s->my, dx = x - s->mx;
    s->my += dy * inv;
    s->mx += dx * inv;
    /* dy uses the old mean of y, (x - mx) the new mean of x: Welford's product. */
    s->cxy += dy * (x - s->mx);
    s->m2y += dy * (y - s->my);
    s->m2x += dx * (x - s->mx);
}

void em__covar_feed(em__covar *c, const em_vector *y, const em_vector *x, const int32_t *sel,
                    int64_t n, const uint32_t *g)
{
    const double *ys = EM_VEC_F64(y), *xs = EM_VEC_F64(x);
    const uint8_t *vy = y->validity, *vx = x->validity;
    covar_cell *cells = c->cells;
    if (sel == NULL && vy == NULL && vx == NULL) {
        for (int64_t i = 0; i < n; i++) fold_row(&cells[g[i]], ys[i], xs[i]);
        return;
    }
    for (int64_t j = 0; j < n; j++) {
        int64_t i = sel != NULL ? sel[j] : j;
        if (vy != NULL && !((vy[i >> 3] >> (i & 7)) & 1)) continue;
        if (vx != NULL && !((vx[i >> 3] >> (i & 7)) & 1)) continue;
        fold_row(&cells[g[i]], ys[i], xs[i]);
    }
}

/* Combine state b into a (Chan et al.). */
static inline void merge_cell(covar_cell *a, const covar_cell *b)
{
    if (b->n == 0) return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double na = (double)a->n, nb = (double)b->n, nn = na + nb;
    double dy = b->my - a->my, dx = b->mx - a->mx;
    double w = na * nb / nn;
    a->cxy += b->cxy + dy * dx * w;
    a->m2y += b->m2y + dy * dy * w;
    a->m2x += b->m2x + dx * dx * w;
    a->my += dy * nb / nn;
    a->mx += dx * nb / nn;
    a->n += b->n;
}

int em__covar_merge(em__covar *c, const em_batch *in, int col, const uint32_t *gids, em_error *err)
{
    int ns = c->kind == EM_AGG_CORR ? 6 : 4;
    if (col + ns > in->ncols || in->cols[col]->type.id != EM_TYPE_BIGINT)
        return em_error_set(err, EM_EINTERNAL, "%s state columns are missing",
                            em_agg_name(c->kind));
    const double *f[5] = {NULL};
    for (int k = 1; k < ns; k++) {
        if (in->cols[col + k]->type.id != EM_TYPE_DOUBLE)
            return em_error_set(err, EM_EINTERNAL, "%s state columns have the wrong types",
                                em_agg_name(c->kind));
        f[k - 1] = EM_VEC_F64(in->cols[col + k]);
    }
    const em_vector *nv = in->cols[col];
    const int64_t *cnt = EM_VEC_I64(nv);
    for (int64_t i = 0; i < in->nrows; i++) {
        if (!em_vector_is_valid(nv, i)) continue;
        covar_cell b = {cnt[i], f[0][i], f[1][i], f[2][i], 0, 0};
        if (ns == 6) {
            b.m2y = f[3][i];
            b.m2x = f[4][i];
        }
        merge_cell(&c->cells[gids[i]], &b);
    }
    return 0;
}

void em__covar_put_final(const em__covar *c, int64_t g, em_vector *out)
{
    const covar_cell *s = &c->cells[g];
    switch (c->kind) {
    case EM_AGG_COVAR_POP:
        if (s->n == 0) break;
        em_vector_append_f64(out, s->cxy / (double)s->n);
        return;
    case EM_AGG_COVAR_SAMP:
        if (s->n < 2) break;
        em_vector_append_f64(out, s->cxy / (double)(s->n - 1));
        return;
    default: /* CORR */
        /* Rounding can leave a tiny negative sum of squares; it means 0. */
        if (s->n < 2 || !(s->m2y > 0) || !(s->m2x > 0)) break;
        em_vector_append_f64(out, s->cxy / (sqrt(s->m2y) * sqrt(s->m2x)));
        return;
    }
    em_vector_append_null(out);
}

void em__covar_put_partial(const em__covar *c, int64_t g, em_vector **out)
{
    const covar_cell *s = &c->cells[g];
    em_vector_append_i64(out[0], s->n);
    em_vector_append_f64(out[1], s->my);
    em_vector_append_f64(out[2], s->mx);
    em_vector_append_f64(out[3], s->cxy);
    if (c->kind == EM_AGG_CORR) {
        em_vector_append_f64(out[4], s->m2y);
        em_vector_append_f64(out[5], s->m2x);
    }
}

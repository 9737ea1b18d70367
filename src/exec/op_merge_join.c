/*
 * op_merge_join.c — sort-merge join, for inputs too large to hash in memory.
 *
 * Both inputs arrive sorted on their join keys (ASC, NULLs last): the left one
 * pushed through the operator, the right one read from `right` (a merging
 * shuffle read). The operator walks them in step, holding only the right rows
 * of the current key (a "group") in memory, so memory is bounded by the
 * largest group rather than by a side. Semantics follow em_join_spec (exec.h):
 * INNER, LEFT, RIGHT, FULL, SEMI and ANTI; keys never match when NULL; the
 * residual predicate is evaluated over [left..., right...].
 *
 * Interface: em_op_merge_join_create.
 */
#include "exec/exec.h"

#include <string.h>

typedef struct merge_join {
    em_op base;
    em_join_spec spec;
    int *lkeys, *rkeys;
    em_type *ltypes, *rtypes;
    em_source *right;
    em_batch *rb;   /* current right batch */
    int64_t ri;     /* next unread right row in rb */
    bool rdone;
    em_batch *group; /* right rows of the current key (copies) */
    bool *gmatched; /* RIGHT/FULL: which group rows matched */
    bool have_group;
    em_batch *out; /* output being built */
    int64_t nout;
    em_error *err;
} merge_join;

static bool keys_null(const em_batch *b, int64_t i, const int *keys, int n)
{
    for (int k = 0; k < n; k++)
        if (!em_vector_is_valid(b->cols[keys[k]], i)) return true;
    return false;
}

/* Compare left row li with right row ri on the keys (both non-NULL). */
static int cmp_keys(const merge_join *m, const em_batch *l, int64_t li, const em_batch *r,
                    int64_t ri)
{
    for (int k = 0; k < m->spec.nkeys; k++) {
        em_value a = em_vector_get(l->cols[m->lkeys[k]], li);
        em_value b = em_vector_get(r->cols[m->rkeys[k]], ri);
        int c = em_value_compare(&a, &b);
        if (c) return c;
    }
    return 0;
}

static int out_cols(const merge_join *m)
{
    return m->spec.left_ncols + (m->spec.kind < EM_JOIN_KIND_SEMI ? m->spec.right_ncols : 0);
}

static void out_begin(merge_join *m)
{
    if (m->out) return;
    int n = out_cols(m);
    m->out = em_batch_create(n);
    for (int c = 0; c < n; c++) {
        em_type t = c < m->spec.left_ncols ? m->ltypes[c] : m->rtypes[c - m->spec.left_ncols];
        em_batch_set_col(m->out, c, em_vector_create(t, EM_BATCH_ROWS));
    }
    m->nout = 0;
}

static int out_flush(merge_join *m, em_error *err)
{
    if (!m->out || m->nout == 0) return 0;
    em_batch *b = m->out;
    b->nrows = m->nout;
    m->out = NULL;
    m->nout = 0;
    return em_op_emit(&m->base, b, err);
}

/* Append one output row: left row li of l (or NULLs), right row ri of r (or NULLs). */
static int out_row(merge_join *m, const em_batch *l, int64_t li, const em_batch *r, int64_t ri,
                   em_error *err)
{
    out_begin(m);
    int L = m->spec.left_ncols;
    for (int c = 0; c < L; c++) {
        if (l)
            em_vector_append_from(m->out->cols[c], l->cols[c], li);
        else
            em_vector_append_null(m->out->cols[c]);
    }
    if (m->spec.kind < EM_JOIN_KIND_SEMI) {
        for (int c = 0; c < m->spec.right_ncols; c++) {
            if (r)
                em_vector_append_from(m->out->cols[L + c], r->cols[c], ri);
            else
                em_vector_append_null(m->out->cols[L + c]);
        }
    }
    if (++m->nout >= EM_BATCH_ROWS) return out_flush(m, err);
    return 0;
}

/* Does the residual hold for (left row li, right row ri)? */
static int residual_ok(merge_join *m, const em_batch *l, int64_t li, const em_batch *r, int64_t ri,
                       bool *ok, em_error *err)
{
    if (!m->spec.residual) {
        *ok = true;
        return 0;
    }
    int L = m->spec.left_ncols, R = m->spec.right_ncols;
    em_batch *pair = em_batch_create(L + R);
    for (int c = 0; c < L; c++) {
        em_vector *v = em_vector_create(m->ltypes[c], 1);
        em_vector_append_from(v, l->cols[c], li);
        em_batch_set_col(pair, c, v);
    }
    for (int c = 0; c < R; c++) {
        em_vector *v = em_vector_create(m->rtypes[c], 1);
        em_vector_append_from(v, r->cols[c], ri);
        em_batch_set_col(pair, L + c, v);
    }
    pair->nrows = 1;
    int32_t sel;
    int64_t n = 0;
    int rc = em_expr_select(m->spec.residual, pair, &sel, &n, err);
    em_batch_destroy(pair);
    *ok = n == 1;
    return rc;
}

/* Make rb/ri point at an unread right row; false at the end. */
static int right_settle(merge_join *m, bool *alive, em_error *err)
{
    while (!m->rdone && (!m->rb || m->ri >= m->rb->nrows)) {
        if (m->rb) em_batch_destroy(m->rb);
        m->rb = NULL;
        m->ri = 0;
        EM_TRY(m->right->next(m->right, &m->rb, err));
        if (!m->rb) m->rdone = true;
    }
    *alive = !m->rdone;
    return 0;
}

static bool preserves_right(const merge_join *m)
{
    return m->spec.kind == EM_JOIN_KIND_RIGHT || m->spec.kind == EM_JOIN_KIND_FULL;
}

/* Emit the current group's unmatched rows (RIGHT/FULL) and drop it. */
static int group_close(merge_join *m, em_error *err)
{
    if (m->group && preserves_right(m))
        for (int64_t i = 0; i < m->group->nrows; i++)
            if (!m->gmatched[i]) EM_TRY(out_row(m, NULL, 0, m->group, i, err));
    if (m->group) em_batch_destroy(m->group);
    em_free(m->gmatched);
    m->group = NULL;
    m->gmatched = NULL;
    m->have_group = false;
    return 0;
}

/* Advance the right side up to left row li's key and load the matching group.
 * Right rows passed on the way have no match (emitted for RIGHT/FULL). */
static int seek(merge_join *m, const em_batch *l, int64_t li, em_error *err)
{
    if (m->have_group && cmp_keys(m, l, li, m->group, 0) == 0) return 0;
    EM_TRY(group_close(m, err));
    for (;;) {
        bool alive;
        EM_TRY(right_settle(m, &alive, err));
        if (!alive) return 0;
        if (keys_null(m->rb, m->ri, m->rkeys, m->spec.nkeys)) {
            /* NULL keys sort last and never match */
            if (preserves_right(m)) EM_TRY(out_row(m, NULL, 0, m->rb, m->ri, err));
            m->ri++;
            continue;
        }
        int c = cmp_keys(m, l, li, m->rb, m->ri);
        if (c < 0) return 0; /* the left key has no match */
        if (c > 0) {
            if (preserves_right(m)) EM_TRY(out_row(m, NULL, 0, m->rb, m->ri, err));
            m->ri++;
            continue;
        }
        break;
    }
    /* Collect the group: every right row with this key. It may span right
     * batches, and settling frees the one it started in. */
    const em_batch *proto = m->rb;
    int ncols = proto->ncols;
    m->group = em_batch_create(ncols);
    for (int c = 0; c < ncols; c++)
        em_batch_set_col(m->group, c, em_vector_create(proto->cols[c]->type, 16));
    int64_t n = 0;
    for (;;) {
        bool alive;
        EM_TRY(right_settle(m, &alive, err));
        if (!alive || keys_null(m->rb, m->ri, m->rkeys, m->spec.nkeys) ||
            cmp_keys(m, l, li, m->rb, m->ri) != 0)
            break;
        for (int c = 0; c < ncols; c++)
            em_vector_append_from(m->group->cols[c], m->rb->cols[c], m->ri);
        n++;
        m->ri++;
    }
    m->group->nrows = n;
    m->gmatched = em_calloc((size_t)EM_MAX(n, 1), sizeof(bool));
    m->have_group = true;
    return 0;
}

static int mj_push(em_op *op, em_batch *l, em_error *err)
{
    merge_join *m = (merge_join *)op;
    em_join_kind k = m->spec.kind;
    int rc = 0;
    for (int64_t i = 0; i < l->nrows && rc == 0; i++) {
        bool matched = false;
        if (!keys_null(l, i, m->lkeys, m->spec.nkeys)) {
            rc = seek(m, l, i, err);
            if (rc < 0) break;
            if (m->have_group && cmp_keys(m, l, i, m->group, 0) == 0) {
                for (int64_t g = 0; g < m->group->nrows && rc == 0; g++) {
                    bool ok;
                    rc = residual_ok(m, l, i, m->group, g, &ok, err);
                    if (rc < 0 || !ok) continue;
                    matched = true;
                    m->gmatched[g] = true;
                    if (k == EM_JOIN_KIND_SEMI || k == EM_JOIN_KIND_ANTI) break;
                    rc = out_row(m, l, i, m->group, g, err);
                }
            }
        }
        if (rc < 0) break;
        if ((k == EM_JOIN_KIND_SEMI && matched) || (k == EM_JOIN_KIND_ANTI && !matched) ||
            ((k == EM_JOIN_KIND_LEFT || k == EM_JOIN_KIND_FULL) && !matched))
            rc = out_row(m, l, i, NULL, 0, err);
    }
    em_batch_destroy(l);
    if (rc == 0) rc = out_flush(m, err);
    return rc;
}

static int mj_finish(em_op *op, em_error *err)
{
    merge_join *m = (merge_join *)op;
    EM_TRY(group_close(m, err));
    if (preserves_right(m)) {
        for (;;) {
            bool alive;
            EM_TRY(right_settle(m, &alive, err));
            if (!alive) break;
            EM_TRY(out_row(m, NULL, 0, m->rb, m->ri, err));
            m->ri++;
        }
    }
    EM_TRY(out_flush(m, err));
    return em_op_finish_next(op, err);
}

static void mj_destroy(em_op *op)
{
    merge_join *m = (merge_join *)op;
    if (m->rb) em_batch_destroy(m->rb);
    if (m->group) em_batch_destroy(m->group);
    if (m->out) em_batch_destroy(m->out);
    em_free(m->gmatched);
    if (m->right) m->right->destroy(m->right);
    em_free(m->lkeys);
    em_free(m->rkeys);
    em_free(m->ltypes);
    em_free(m->rtypes);
    em_free(m);
}

static const em_op_vtable mj_vt = {"MergeJoin", mj_push, mj_finish, mj_destroy};

em_op *em_op_merge_join_create(em_task_ctx *ctx, const em_join_spec *spec, em_source *right)
{
    merge_join *m = em_calloc(1, sizeof(merge_join));
    m->base.vt = &mj_vt;
    m->base.ctx = ctx;
    m->spec = *spec;
    int nk = spec->nkeys, L = spec->left_ncols, R = spec->right_ncols;
    m->lkeys = em_malloc(sizeof(int) * (size_t)EM_MAX(nk, 1));
    m->rkeys = em_malloc(sizeof(int) * (size_t)EM_MAX(nk, 1));
    memcpy(m->lkeys, spec->left_keys, sizeof(int) * (size_t)nk);
    memcpy(m->rkeys, spec->right_keys, sizeof(int) * (size_t)nk);
    m->ltypes = em_malloc(sizeof(em_type) * (size_t)EM_MAX(L, 1));
    m->rtypes = em_malloc(sizeof(em_type) * (size_t)EM_MAX(R, 1));
    memcpy(m->ltypes, spec->left_types, sizeof(em_type) * (size_t)L);
    memcpy(m->rtypes, spec->right_types, sizeof(em_type) * (size_t)R);
    m->spec.left_keys = m->lkeys;
    m->spec.right_keys = m->rkeys;
    m->spec.left_types = m->ltypes;
    m->spec.right_types = m->rtypes;
    m->right = right;
    return &m->base;
}

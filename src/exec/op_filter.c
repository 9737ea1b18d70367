/*
 * op_filter.c — WHERE: evaluate the predicate to a selection vector and keep
 * the selected rows. A batch whose rows all pass is forwarded untouched (no
 * copy), and a batch with no surviving rows is dropped instead of sending an
 * empty batch downstream. An operator downstream that takes selections gets
 * the batch and the selection when most rows survive (em_op_emit_sel).
 */
#include "exec/exec.h"

typedef struct filter_op {
    em_op base;
    const em_expr *pred;
    int32_t *sel; /* scratch selection vector, grown to the largest batch */
    int64_t sel_cap;
} filter_op;

static int filter_push(em_op *op, em_batch *b, em_error *err)
{
    filter_op *f = (filter_op *)op;
    if (b->nrows == 0) {
        em_batch_destroy(b);
        return 0;
    }
    if (b->nrows > f->sel_cap) {
        em_free(f->sel);
        f->sel_cap = b->nrows;
        f->sel = em_malloc((size_t)f->sel_cap * sizeof(int32_t));
    }
    int64_t nsel = 0;
    int rc = em_expr_select(f->pred, b, f->sel, &nsel, err);
    if (rc < 0) {
        em_batch_destroy(b);
        return rc;
    }
    if (nsel == b->nrows) return em_op_emit(op, b, err);
    if (nsel == 0) {
        em_batch_destroy(b);
        return 0;
    }
    return em_op_emit_sel(op, b, f->sel, nsel, err);
}

static int filter_finish(em_op *op, em_error *err)
{
    return em_op_finish_next(op, err);
}

static void filter_destroy(em_op *op)
{
    filter_op *f = (filter_op *)op;
    em_free(f->sel);
    em_free(f);
}

static const em_op_vtable filter_vt = {"Filter", filter_push, filter_finish, filter_destroy};

em_op *em_op_filter_create(em_task_ctx *ctx, const em_expr *pred)
{
    filter_op *f = em_calloc(1, sizeof(*f));
    f->base.vt = &filter_vt;
    f->base.ctx = ctx;
    f->pred = pred;
    return &f->base;
}

/*
 * op_limit.c — LIMIT/OFFSET across batch boundaries. Rows are skipped until
 * the offset is used up, then passed on until the limit is reached; the batch
 * that straddles either boundary is sliced. Once the limit is satisfied push()
 * answers EM_OP_DONE so that the source stops reading.
 */
#include "exec/exec.h"

typedef struct limit_op {
    em_op base;
    int64_t remaining; /* rows still allowed through; < 0 = unlimited */
    int64_t skip;      /* offset rows still to drop */
    bool done;
} limit_op;

static int limit_push(em_op *op, em_batch *b, em_error *err)
{
    limit_op *l = (limit_op *)op;
    if (l->done || l->remaining == 0) {
        l->done = true;
        em_batch_destroy(b);
        return EM_OP_DONE;
    }
    if (b->nrows <= l->skip) {
        l->skip -= b->nrows;
        em_batch_destroy(b);
        return 0;
    }
    int64_t start = l->skip;
    l->skip = 0;
    int64_t n = b->nrows - start;
    if (l->remaining >= 0 && n > l->remaining) n = l->remaining;
    if (start > 0 || n < b->nrows) {
        em_batch *s = em_batch_slice(b, start, n);
        em_batch_destroy(b);
        b = s;
    }
    if (l->remaining >= 0) {
        l->remaining -= n;
        if (l->remaining == 0) l->done = true;
    }
    int rc = em_op_emit(op, b, err);
    if (rc < 0) return rc;
    return l->done ? EM_OP_DONE : rc;
}

static int limit_finish(em_op *op, em_error *err)
{
    return em_op_finish_next(op, err);
}

static void limit_destroy(em_op *op)
{
    em_free(op);
}

static const em_op_vtable limit_vt = {"Limit", limit_push, limit_finish, limit_destroy};

em_op *em_op_limit_create(em_task_ctx *ctx, int64_t limit, int64_t offset)
{
    limit_op *l = em_calloc(1, sizeof(*l));
    l->base.vt = &limit_vt;
    l->base.ctx = ctx;
    l->remaining = limit < 0 ? -1 : limit;
    l->skip = offset > 0 ? offset : 0;
    return &l->base;
}

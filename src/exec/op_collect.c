/*
 * op_collect.c — the sink that gathers a task's output batches into a list
 * owned by the caller (query results, in-memory tables, local shuffle blocks).
 */
#include "exec/exec.h"

typedef struct collect_op {
    em_op base;
    em_batch_list *out;
} collect_op;

static int collect_push(em_op *op, em_batch *b, em_error *err)
{
    collect_op *c = (collect_op *)op;
    if (b->nrows == 0) {
        em_batch_destroy(b);
        return 0;
    }
    op->stats.rows_out += b->nrows;
    em_batch_list_push(c->out, b);
    return 0;
}

static int collect_finish(em_op *op, em_error *err)
{
    return em_op_finish_next(op, err);
}

static void collect_destroy(em_op *op)
{
    em_free(op);
}

static const em_op_vtable collect_vt = {"Collect", collect_push, collect_finish, collect_destroy};

em_op *em_op_collect_create(em_task_ctx *ctx, em_batch_list *out)
{
    collect_op *c = em_calloc(1, sizeof(*c));
    c->base.vt = &collect_vt;
    c->base.ctx = ctx;
    c->out = out;
    return &c->base;
}

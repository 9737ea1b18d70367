/*
 * op.c — the push-based pipeline driver: emitting to the downstream operator,
 * finishing a chain, draining a source through it and tearing it down.
 *
 * Statistics are kept here rather than in each operator: whoever calls push()
 * or finish() on an operator counts the rows it hands over and the time the
 * call took. Time is exclusive: the time an operator spends inside its own
 * downstream calls is subtracted again, so EXPLAIN ANALYZE shows where the
 * work is actually done.
 */
#include <time.h>

#include "exec/exec.h"

static int64_t now_nanos(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Push b into op (already counted), charging the elapsed time to op and, when
 * the call is made from an upstream operator, removing it from that caller. */
static int timed_push(em_op *caller, em_op *op, em_batch *b, em_error *err)
{
    op->stats.rows_in += b->nrows;
    op->stats.batches_in++;
    int64_t t0 = now_nanos();
    int rc = op->vt->push(op, b, err);
    int64_t dt = now_nanos() - t0;
    op->stats.nanos += dt;
    if (caller != NULL) caller->stats.nanos -= dt;
    return rc;
}

static int timed_finish(em_op *caller, em_op *op, em_error *err)
{
    int64_t t0 = now_nanos();
    int rc = op->vt->finish(op, err);
    int64_t dt = now_nanos() - t0;
    op->stats.nanos += dt;
    if (caller != NULL) caller->stats.nanos -= dt;
    return rc;
}

int em_op_emit(em_op *op, em_batch *b, em_error *err)
{
    op->stats.rows_out += b->nrows;
    if (op->next == NULL) {
        /* A sink never emits; dropping keeps ownership rules intact anyway. */
        em_batch_destroy(b);
        return 0;
    }
    return timed_push(op, op->next, b, err);
}

int em_op_emit_sel(em_op *op, em_batch *b, const int32_t *sel, int64_t nsel, em_error *err)
{
    em_op *next = op->next;
    /* Below three rows in four, evaluating the dropped rows' expressions
     * downstream would cost more than copying the kept ones. */
    if (next == NULL || next->push_sel == NULL || nsel * 4 < b->nrows * 3) {
        em_batch *g = em_batch_gather(b, sel, nsel);
        em_batch_destroy(b);
        return em_op_emit(op, g, err);
    }
    op->stats.rows_out += nsel;
    next->stats.rows_in += nsel;
    next->stats.batches_in++;
    int64_t t0 = now_nanos();
    int rc = next->push_sel(next, b, sel, nsel, err);
    int64_t dt = now_nanos() - t0;
    next->stats.nanos += dt;
    op->stats.nanos -= dt;
    return rc;
}

int em_op_finish_next(em_op *op, em_error *err)
{
    if (op->next == NULL) return 0;
    return timed_finish(op, op->next, err);
}

int em_pipeline_run(em_task_ctx *ctx, em_source *src, em_op *head, em_error *err)
{
    volatile int *cancel = ctx != NULL ? ctx->cancel : NULL;
    for (;;) {
        if (cancel != NULL && *cancel)
            return em_error_set(err, EM_ECANCELED, "the job was cancelled");
        em_batch *b = NULL;
        EM_TRY(src->next(src, &b, err));
        if (b == NULL) break;
        int rc = timed_push(NULL, head, b, err);
        if (rc < 0) return rc;
        if (rc == EM_OP_DONE) break;
    }
    if (cancel != NULL && *cancel) return em_error_set(err, EM_ECANCELED, "the job was cancelled");
    int rc = timed_finish(NULL, head, err);
    return rc < 0 ? rc : 0;
}

void em_op_chain_destroy(em_op *head)
{
    while (head != NULL) {
        em_op *next = head->next;
        head->vt->destroy(head);
        head = next;
    }
}

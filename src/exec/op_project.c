/*
 * op_project.c — SELECT list: evaluate each expression over the batch into a
 * new batch. Column references come back as new references to the input
 * vectors, so passing a column through costs nothing, and a projection of
 * columns alone passes a filter's selection on instead of the kept rows.
 */
#include "exec/exec.h"

typedef struct project_op {
    em_op base;
    int nexprs;
    em_expr **exprs; /* the pointer array is copied; the trees belong to the plan */
} project_op;

static int project_push(em_op *op, em_batch *b, em_error *err)
{
    project_op *p = (project_op *)op;
    if (b->nrows == 0) {
        em_batch_destroy(b);
        return 0;
    }
    em_batch *out = em_batch_create(p->nexprs);
    out->nrows = b->nrows;
    for (int i = 0; i < p->nexprs; i++) {
        em_vector *v = NULL;
        int rc = em_expr_eval(p->exprs[i], b, &v, err);
        if (rc < 0) {
            em_batch_destroy(out);
            em_batch_destroy(b);
            return rc;
        }
        em_batch_set_col(out, i, v);
    }
    em_batch_destroy(b);
    return em_op_emit(op, out, err);
}

/* A projection of bare columns passes a selection on; any other is
 * evaluated over the kept rows only. */
static int project_push_sel(em_op *op, em_batch *b, const int32_t *sel, int64_t nsel, em_error *err)
{
    project_op *p = (project_op *)op;
    bool columns = true;
    for (int i = 0; i < p->nexprs; i++) columns &= p->exprs[i]->kind == EM_EXPR_COLUMN;
    if (!columns) {
        em_batch *g = em_batch_gather(b, sel, nsel);
        em_batch_destroy(b);
        return project_push(op, g, err);
    }
    em_batch *out = em_batch_create(p->nexprs);
    out->nrows = b->nrows;
    for (int i = 0; i < p->nexprs; i++)
        em_batch_set_col(out, i, em_vector_ref(b->cols[p->exprs[i]->column]));
    em_batch_destroy(b);
    return em_op_emit_sel(op, out, sel, nsel, err);
}

static int project_finish(em_op *op, em_error *err)
{
    return em_op_finish_next(op, err);
}

static void project_destroy(em_op *op)
{
    project_op *p = (project_op *)op;
    em_free(p->exprs);
    em_free(p);
}

static const em_op_vtable project_vt = {"Project", project_push, project_finish, project_destroy};

em_op *em_op_project_create(em_task_ctx *ctx, int nexprs, em_expr *const *exprs)
{
    project_op *p = em_calloc(1, sizeof(*p));
    p->base.vt = &project_vt;
    p->base.ctx = ctx;
    p->base.push_sel = project_push_sel;
    p->nexprs = nexprs;
    p->exprs = em_calloc((size_t)(nexprs > 0 ? nexprs : 1), sizeof(em_expr *));
    for (int i = 0; i < nexprs; i++) p->exprs[i] = exprs[i];
    return &p->base;
}

/*
 * task.c — building one task's pipeline from its stage fragment: the source
 * for partition p (a file split, a slice of an in-memory table, literal rows or
 * a shuffle partition) and the operators above it, ending at the caller's sink.
 */
#include "sql/physical/physical.h"

#include "sched/sched.h"
#include "shuffle/shuffle.h"
#include "sql/catalog/catalog.h"

#include <string.h>

/* ---- sources ------------------------------------------------------------- */

typedef struct file_source {
    em_source src;
    const em_format *fmt;
    void *reader;
} file_source;

static int file_next(em_source *s, em_batch **out, em_error *err)
{
    file_source *f = (file_source *)s;
    return f->fmt->next(f->reader, out, err);
}

static void file_destroy(em_source *s)
{
    file_source *f = (file_source *)s;
    if (f->reader) f->fmt->close(f->reader);
    em_free(f);
}

static int file_source_create(const em_pop *p, int partition, em_source **out, em_error *err)
{
    const em_format *fmt = em_format_lookup(p->u.scan.desc->format);
    if (!fmt)
        return em_error_set(err, EM_EINTERNAL, "unknown format %s", p->u.scan.desc->format);
    file_source *f = em_calloc(1, sizeof(file_source));
    f->src.next = file_next;
    f->src.destroy = file_destroy;
    f->fmt = fmt;
    int rc = fmt->open(p->u.scan.desc, partition, p->u.scan.cols, p->u.scan.ncols, &f->reader, err);
    if (rc < 0) {
        f->reader = NULL;
        file_destroy(&f->src);
        return rc;
    }
    *out = &f->src;
    return 0;
}

typedef struct table_source {
    em_source src;
    const em_table *t;
    int64_t next, end;
    int ncols;
    const int *cols;
} table_source;

static int table_next(em_source *s, em_batch **out, em_error *err)
{
    table_source *t = (table_source *)s;
    EM_UNUSED(err);
    if (t->next >= t->end) {
        *out = NULL;
        return 0;
    }
    const em_batch *in = t->t->data.items[t->next++];
    em_batch *b = em_batch_create(t->ncols);
    for (int i = 0; i < t->ncols; i++) em_batch_set_col(b, i, em_vector_ref(in->cols[t->cols[i]]));
    b->nrows = in->nrows;
    *out = b;
    return 0;
}

static void table_destroy(em_source *s)
{
    em_free(s);
}

static em_source *table_source_create(const em_pop *p, int partition)
{
    table_source *t = em_calloc(1, sizeof(table_source));
    t->src.next = table_next;
    t->src.destroy = table_destroy;
    t->t = p->u.scan.table;
    int64_t nb = p->u.scan.table_batches, np = p->nparts > 0 ? p->nparts : 1;
    t->next = nb * partition / np;
    t->end = nb * (partition + 1) / np;
    t->ncols = p->u.scan.ncols;
    t->cols = p->u.scan.cols;
    return &t->src;
}

typedef struct values_source {
    em_source src;
    em_batch *batch;
} values_source;

static int values_next(em_source *s, em_batch **out, em_error *err)
{
    values_source *v = (values_source *)s;
    EM_UNUSED(err);
    *out = v->batch;
    v->batch = NULL;
    return 0;
}

static void values_destroy(em_source *s)
{
    values_source *v = (values_source *)s;
    if (v->batch) em_batch_destroy(v->batch);
    em_free(v);
}

static int values_source_create(const em_pop *p, em_source **out, em_error *err)
{
    int ncols = p->schema->nfields;
    em_batch *b = em_batch_create(ncols);
    em_arena *a = em_arena_create(1024);
    for (int c = 0; c < ncols; c++) {
        em_vector *v = em_vector_create(p->schema->fields[c].type, p->u.values.nrows);
        for (int r = 0; r < p->u.values.nrows; r++) {
            em_value val;
            int rc = em_expr_eval_const(p->u.values.rows[r][c], a, &val, err);
            if (rc < 0) {
                em_vector_unref(v);
                em_batch_destroy(b);
                em_arena_destroy(a);
                return rc;
            }
            em_vector_append_value(v, &val);
        }
        em_batch_set_col(b, c, v);
    }
    b->nrows = p->u.values.nrows;
    em_arena_destroy(a);
    values_source *s = em_calloc(1, sizeof(values_source));
    s->src.next = values_next;
    s->src.destroy = values_destroy;
    s->batch = b;
    *out = &s->src;
    return 0;
}

/* ---- operators ----------------------------------------------------------- */

static em_op *make_op(em_task_ctx *ctx, const em_pop *p)
{
    switch (p->kind) {
    case EM_POP_FILTER:
        return em_op_filter_create(ctx, p->u.filter.pred);
    case EM_POP_PROJECT:
        return em_op_project_create(ctx, p->u.project.nexprs, p->u.project.exprs);
    case EM_POP_HASH_AGG:
        return em_op_hash_agg_create(ctx, p->u.agg.mode, p->u.agg.nkeys, p->u.agg.keys,
                                     p->u.agg.naggs, p->u.agg.aggs);
    case EM_POP_SORT:
        return em_op_sort_create(ctx, p->u.sort.nkeys, p->u.sort.keys, p->u.sort.limit);
    case EM_POP_LIMIT:
        return em_op_limit_create(ctx, p->u.limit.limit, p->u.limit.offset);
    case EM_POP_WINDOW:
        return em_op_window_create(ctx, p->u.window.npartition, p->u.window.partition_cols,
                                   p->u.window.norder, p->u.window.order, p->u.window.ncalls,
                                   p->u.window.calls);
    case EM_POP_UNNEST:
        return em_op_unnest_create(ctx, &p->u.unnest.spec, p->u.unnest.npass, p->u.unnest.pass);
    default:
        return NULL;
    }
}

/* A hash-partitioned shuffle's rows for this task: its reduce partitions, or,
 * when adaptive execution split a skewed partition, the outputs of some maps. */
static em_source *hash_read(em_task_ctx *ctx, int shuffle_id)
{
    for (int i = 0; i < ctx->nmap_ranges; i++) {
        const em_map_range *r = &ctx->map_ranges[i];
        if (r->shuffle_id == shuffle_id)
            return em_shuffle_reader_maps(ctx->env->shuffles, shuffle_id, ctx->part_first,
                                          r->map_first, r->map_end);
    }
    return em_shuffle_reader_range(ctx->env->shuffles, shuffle_id, ctx->part_first, ctx->part_end);
}

/* The build side of a join is a shuffle read: all of it when it was broadcast
 * (by the planner or by adaptive execution), else this task's partition. */
static int join_op(em_task_ctx *ctx, const em_pop *p, int partition, em_op **out, em_error *err)
{
    const em_pop *b = p->children[1];
    if (b->kind != EM_POP_SHUFFLE_READ)
        return em_error_set(err, EM_EINTERNAL, "the build side of a join must be a shuffle read");
    if (p->u.join.sort_merge) {
        em_source *right = em_shuffle_reader_create(ctx->env->shuffles, b->u.shuffle_read.shuffle_id,
                                                    partition, b->u.shuffle_read.nmerge,
                                                    b->u.shuffle_read.merge_keys);
        *out = em_op_merge_join_create(ctx, &p->u.join.spec, right);
        return 0;
    }
    em_source *build = b->u.shuffle_read.broadcast
                           ? em_shuffle_reader_all(ctx->env->shuffles, b->u.shuffle_read.shuffle_id)
                           : hash_read(ctx, b->u.shuffle_read.shuffle_id);
    *out = em_op_hash_join_create(ctx, &p->u.join.spec, build);
    return 0;
}

int em_pop_union_branch(const em_pop *u, int *partition)
{
    int i = 0;
    while (i < u->nchildren - 1 && *partition >= u->children[i]->nparts)
        *partition -= u->children[i++]->nparts;
    return i;
}

int em_task_build(em_task_ctx *ctx, const em_stage *stage, int partition, em_op *sink,
                  em_source **src_out, em_op **head_out, em_error *err)
{
    em_op *head = sink;
    const em_pop *p = stage->root;
    *src_out = NULL;
    *head_out = sink;
    if (!ctx->coalesced) {
        ctx->part_first = partition;
        ctx->part_end = partition + 1;
    }
    for (;;) {
        if (p->kind == EM_POP_UNION) {
            p = p->children[em_pop_union_branch(p, &partition)];
            if (!ctx->coalesced) { /* the branch's own partition */
                ctx->part_first = partition;
                ctx->part_end = partition + 1;
            }
            continue;
        }
        em_op *op = NULL;
        if (p->kind == EM_POP_HASH_JOIN)
            EM_TRY(join_op(ctx, p, partition, &op, err));
        else
            op = make_op(ctx, p);
        if (!op) break;
        op->node = p->id;
        op->next = head;
        head = op;
        *head_out = head; /* so the caller can destroy what was built on error */
        p = p->children[0];
    }
    int rc = 0;
    em_source *src = NULL;
    switch (p->kind) {
    case EM_POP_SCAN_FILE:
        rc = file_source_create(p, partition, &src, err);
        break;
    case EM_POP_SCAN_TABLE:
        src = table_source_create(p, partition);
        break;
    case EM_POP_VALUES:
        rc = values_source_create(p, &src, err);
        break;
    case EM_POP_SHUFFLE_READ:
        if (p->u.shuffle_read.nmerge > 0)
            src = em_shuffle_reader_create(ctx->env->shuffles, p->u.shuffle_read.shuffle_id,
                                           p->u.shuffle_read.broadcast ? 0 : partition,
                                           p->u.shuffle_read.nmerge, p->u.shuffle_read.merge_keys);
        else if (p->u.shuffle_read.broadcast)
            src = em_shuffle_reader_all(ctx->env->shuffles, p->u.shuffle_read.shuffle_id);
        else
            src = hash_read(ctx, p->u.shuffle_read.shuffle_id);
        break;
    default:
        rc = em_error_set(err, EM_EINTERNAL, "a stage fragment ends at %s, not a source",
                          em_pop_kind_name(p->kind));
    }
    if (rc < 0) return rc;
    ctx->source_node = p->id;
    if ((p->kind == EM_POP_SCAN_FILE || p->kind == EM_POP_SCAN_TABLE) && p->u.scan.filter) {
        em_op *f = em_op_filter_create(ctx, p->u.scan.filter);
        f->node = p->id;
        f->next = head;
        head = f;
    }
    *src_out = src;
    *head_out = head;
    return 0;
}

/*
 * task_exec.c — running one task attempt in this process.
 *
 * Local mode's scheduler threads and a cluster executor's task threads both
 * come here: build the stage's operator chain for one partition (or a range of
 * coalesced partitions), pull the source through it, and let the sink commit
 * the output — shuffle blocks for a map stage, rows or files for the result
 * stage. With ember.test.serializeTasks the stage first makes the round trip
 * through its wire form, as it would to a remote executor.
 */
#include "sched/sched.h"

#include "net/plan_serde.h"

#include <string.h>

/* A rebuilt fragment has the shape of the original: give it the same node ids. */
static void copy_ids(const em_pop *from, em_pop *to)
{
    to->id = from->id;
    for (int i = 0; i < from->nchildren && i < to->nchildren; i++)
        copy_ids(from->children[i], to->children[i]);
}

/* Tables cross the wire by name; in local mode the name resolves to the same
 * catalog table the original fragment points at. */
static em_table *find_table(const em_pop *p, const char *name)
{
    if (p->kind == EM_POP_SCAN_TABLE && strcmp(p->u.scan.table_name, name) == 0)
        return p->u.scan.table;
    for (int i = 0; i < p->nchildren; i++) {
        em_table *t = find_table(p->children[i], name);
        if (t) return t;
    }
    return NULL;
}

static em_table *lookup_table(void *ctx, const char *name)
{
    return find_table(((const em_stage *)ctx)->root, name);
}

/* Round-trip the stage through its serialized form, as a remote executor
 * would receive it; the copy lives in `arena`. */
static int wire_copy(const em_stage *stage, int partition, int attempt, em_arena *arena,
                     em_stage **out, em_error *err)
{
    em_task_desc desc = {.stage_id = stage->id, .partition = partition, .attempt = attempt,
                         .stage = stage};
    uint8_t *buf;
    size_t len;
    EM_TRY(em_task_desc_serialize(&desc, &buf, &len, err));
    em_task_desc back;
    int rc = em_task_desc_deserialize(buf, len, arena, lookup_table, (void *)stage, &back, out,
                                      err);
    em_free(buf);
    return rc;
}

/* Add a finished attempt's operator counters to per-node totals. */
static void add_stats(em_op_stats *node_stats, int nnodes, const em_task_ctx *ctx, const em_op *head)
{
    for (const em_op *op = head; op; op = op->next) {
        if (op->node < 0 || op->node >= nnodes) continue;
        em_op_stats *s = &node_stats[op->node];
        s->rows_in += op->stats.rows_in;
        s->rows_out += op->stats.rows_out;
        s->batches_in += op->stats.batches_in;
        s->nanos += op->stats.nanos;
        s->mem_peak = EM_MAX(s->mem_peak, op->stats.mem_peak);
        s->spilled += op->stats.spilled;
    }
    /* The source's rows are what the first operator received. */
    if (head && ctx->source_node >= 0 && ctx->source_node < nnodes && head->node != ctx->source_node)
        node_stats[ctx->source_node].rows_out += head->stats.rows_in;
}

int em_task_execute(em_exec_env *env, const em_stage *stage, const em_task_spec *spec,
                    const struct em_write_desc *write, volatile int *cancel, em_batch_list *out,
                    em_op_stats *node_stats, int nnodes, em_error *err)
{
    em_task_ctx ctx = {.stage = stage->id,
                       .partition = spec->partition,
                       .attempt = spec->attempt,
                       .env = env,
                       .memory = env->memory,
                       .cancel = cancel,
                       .part_first = spec->part_first,
                       .part_end = spec->part_end,
                       .coalesced = spec->coalesced,
                       .nmap_ranges = spec->nmap_ranges};
    memcpy(ctx.map_ranges, spec->map_ranges, sizeof ctx.map_ranges);
    if (env->inject) EM_TRY(em_inject_task_start(env->inject, stage->id, spec->partition,
                                                 spec->attempt, err));
    em_arena *arena = NULL;
    if (env->serialize_tasks) {
        arena = em_arena_create(16384);
        em_stage *copy;
        int rc = wire_copy(stage, spec->partition, spec->attempt, arena, &copy, err);
        if (rc < 0) {
            em_arena_destroy(arena);
            return rc;
        }
        copy_ids(stage->root, copy->root);
        stage = copy;
    }
    em_op *sink;
    if (stage->is_result) {
        sink = write ? em_file_writer_create(&ctx, write, out) : em_op_collect_create(&ctx, out);
    } else {
        sink = em_shuffle_writer_create(&ctx, env->shuffles, stage->shuffle_id, spec->partition,
                                        stage->out_nkeys, stage->out_keys);
    }
    sink->node = -1;
    ctx.source_node = -1;
    em_source *src = NULL;
    em_op *head = NULL;
    int rc = em_task_build(&ctx, stage, spec->partition, sink, &src, &head, err);
    if (rc == 0) rc = em_pipeline_run(&ctx, src, head, err);
    if (rc == 0 && node_stats) add_stats(node_stats, nnodes, &ctx, head);
    if (src) src->destroy(src);
    em_op_chain_destroy(head ? head : sink);
    if (arena) {
        em_plan_serde_release((em_stage *)stage);
        em_arena_destroy(arena);
    }
    return rc;
}

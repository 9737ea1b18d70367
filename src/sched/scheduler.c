/*
 * scheduler.c — the local-mode DAG scheduler.
 *
 * Stages run in id order (parents first). All tasks of a stage are submitted
 * to the executor pool at once; the stage completes when every task has
 * succeeded. The first task to fail for good records the job's error and sets
 * the cancel flag, which every running task checks between batches.
 *
 * Retries: a failure of the environment (I/O, an internal error) is retried up
 * to max_failures attempts; a failure of the data or the query (a malformed CSV
 * row, an overflow, a bad cast) would fail again, so it fails the job at once.
 */
#include "sched/sched.h"

#include "net/plan_serde.h"

#include <pthread.h>
#include <string.h>

typedef struct job job;

typedef struct task {
    job *job;
    const em_stage *stage;
    int partition;
    int part_first, part_end; /* coalesced reduce partitions, when coalesced */
    bool coalesced;
    int attempt;
    em_batch_list out; /* result stage only */
} task;

struct job {
    em_exec_env *env;
    const struct em_write_desc *write; /* COPY ... TO: the result stage writes files */
    em_waitgroup *wg;
    volatile int cancel;
    pthread_mutex_t lock;
    em_error err; /* first failure */
    bool failed;
    int64_t launched, failures;
    em_op_stats *node_stats; /* or NULL */
    int nnodes;
};

static bool retryable(int code)
{
    return code == EM_EIO || code == EM_EINTERNAL || code == EM_ENOMEM;
}

/* A rebuilt fragment has the shape of the original: give it the same node ids. */
static void copy_ids(const em_pop *from, em_pop *to)
{
    to->id = from->id;
    for (int i = 0; i < from->nchildren && i < to->nchildren; i++)
        copy_ids(from->children[i], to->children[i]);
}

/* Add a finished task's operator counters to the job's per-node totals. */
static void add_stats(job *j, const em_task_ctx *ctx, const em_op *head)
{
    if (!j->node_stats) return;
    pthread_mutex_lock(&j->lock);
    for (const em_op *op = head; op; op = op->next) {
        if (op->node < 0 || op->node >= j->nnodes) continue;
        em_op_stats *s = &j->node_stats[op->node];
        s->rows_in += op->stats.rows_in;
        s->rows_out += op->stats.rows_out;
        s->batches_in += op->stats.batches_in;
        s->nanos += op->stats.nanos;
        s->mem_peak = EM_MAX(s->mem_peak, op->stats.mem_peak);
        s->spilled += op->stats.spilled;
    }
    /* The source's rows are what the first operator received. */
    if (head && ctx->source_node >= 0 && ctx->source_node < j->nnodes &&
        head->node != ctx->source_node)
        j->node_stats[ctx->source_node].rows_out += head->stats.rows_in;
    pthread_mutex_unlock(&j->lock);
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

static int run_attempt(task *t, em_error *err)
{
    job *j = t->job;
    em_task_ctx ctx = {.stage = t->stage->id,
                       .partition = t->partition,
                       .attempt = t->attempt,
                       .env = j->env,
                       .memory = j->env->memory,
                       .cancel = &j->cancel,
                       .part_first = t->part_first,
                       .part_end = t->part_end,
                       .coalesced = t->coalesced};
    const em_stage *stage = t->stage;
    em_arena *arena = NULL;
    if (j->env->serialize_tasks) {
        arena = em_arena_create(16384);
        em_stage *copy;
        int rc = wire_copy(stage, t->partition, t->attempt, arena, &copy, err);
        if (rc < 0) {
            em_arena_destroy(arena);
            return rc;
        }
        copy_ids(stage->root, copy->root);
        stage = copy;
    }
    em_op *sink;
    if (stage->is_result) {
        em_batch_list_release(&t->out);
        em_batch_list_init(&t->out);
        sink = j->write ? em_file_writer_create(&ctx, j->write, &t->out)
                        : em_op_collect_create(&ctx, &t->out);
    } else {
        sink = em_shuffle_writer_create(&ctx, j->env->shuffles, stage->shuffle_id, t->partition,
                                        stage->out_nkeys, stage->out_keys);
    }
    sink->node = -1;
    ctx.source_node = -1;
    em_source *src = NULL;
    em_op *head = NULL;
    int rc = em_task_build(&ctx, stage, t->partition, sink, &src, &head, err);
    if (rc == 0) rc = em_pipeline_run(&ctx, src, head, err);
    if (rc == 0) add_stats(j, &ctx, head);
    if (src) src->destroy(src);
    em_op_chain_destroy(head ? head : sink);
    if (arena) {
        em_plan_serde_release((em_stage *)stage);
        em_arena_destroy(arena);
    }
    return rc;
}

static void run_task(void *arg)
{
    task *t = arg;
    job *j = t->job;
    em_error err = {0};
    int rc = 0;
    for (;;) {
        if (j->cancel) {
            rc = EM_ECANCELED;
            break;
        }
        __atomic_add_fetch(&j->launched, 1, __ATOMIC_RELAXED);
        memset(&err, 0, sizeof err);
        em_memory_task_begin(j->env->memory);
        rc = run_attempt(t, &err);
        em_memory_task_end(j->env->memory);
        if (rc >= 0) break;
        __atomic_add_fetch(&j->failures, 1, __ATOMIC_RELAXED);
        if (rc == EM_ECANCELED || !retryable(rc) || t->attempt + 1 >= j->env->max_failures) break;
        em_log_warn("task %d.%d attempt %d failed (%s), retrying", t->stage->id, t->partition,
                    t->attempt, err.message);
        t->attempt++;
    }
    if (rc < 0 && rc != EM_ECANCELED) {
        pthread_mutex_lock(&j->lock);
        if (!j->failed) {
            j->failed = true;
            j->err = err;
            if (t->attempt > 0)
                em_error_prefix(&j->err, "task %d.%d failed %d times", t->stage->id, t->partition,
                                t->attempt + 1);
        }
        j->cancel = 1;
        pthread_mutex_unlock(&j->lock);
    }
    em_waitgroup_done(j->wg);
}


/* ---- adaptive execution: coalescing reduce partitions ---------------------- */

typedef struct reads {
    int n;
    int ids[16];
    bool ok;
} reads;

/* A stage can be coalesced when its tasks are driven by hash shuffle reads
 * that all have the stage's partitioning (joins read two shuffles that are
 * co-partitioned), with no union and no other kind of source. */
static void find_reads(const em_pop *p, int nparts, reads *r, bool main_path)
{
    if (p->kind == EM_POP_UNION) r->ok = false;
    if (p->kind == EM_POP_SHUFFLE_READ) {
        if (p->u.shuffle_read.broadcast) {
            if (main_path) r->ok = false;
            return;
        }
        if (p->u.shuffle_read.nmerge > 0 || p->nparts != nparts || r->n == 16) r->ok = false;
        if (r->ok) r->ids[r->n++] = p->u.shuffle_read.shuffle_id;
        return;
    }
    if (p->nchildren == 0) r->ok = false; /* a scan or values drives the tasks */
    for (int i = 0; i < p->nchildren; i++) find_reads(p->children[i], nparts, r, main_path && i == 0);
}

/* Group adjacent reduce partitions up to a target size; returns the group count
 * and fills starts[0..n] (starts[n] = nparts). */
static int coalesce(em_exec_env *env, const reads *r, int nparts, int *starts)
{
    int64_t *size = em_calloc((size_t)nparts, sizeof(int64_t));
    int64_t total = 0;
    for (int p = 0; p < nparts; p++) {
        for (int k = 0; k < r->n; k++) size[p] += em_shuffle_partition_bytes(env->shuffles, r->ids[k], p);
        total += size[p];
    }
    /* Keep every executor thread busy when there is enough data for it. */
    int64_t target = EM_MIN(env->advisory_partition_bytes,
                            EM_MAX(total / (2 * EM_MAX(env->parallelism, 1)), (int64_t)1 << 20));
    int n = 0;
    int64_t cur = 0;
    starts[n++] = 0;
    for (int p = 0; p < nparts; p++) {
        if (cur > 0 && cur + size[p] > target) {
            starts[n++] = p;
            cur = 0;
        }
        cur += size[p];
    }
    starts[n] = nparts;
    em_free(size);
    return n;
}

int em_job_run(em_exec_env *env, const em_stage_dag *dag, em_batch_list *result,
               em_job_stats *stats, em_error *err)
{
    double t0 = em_now_seconds();
    job j = {.env = env,
             .write = dag->write,
             .wg = em_waitgroup_create(),
             .node_stats = stats ? stats->node_stats : NULL,
             .nnodes = dag->nnodes};
    pthread_mutex_init(&j.lock, NULL);
    for (int s = 0; s < dag->nstages && !j.failed; s++) {
        const em_stage *st = &dag->stages[s];
        if (!st->is_result) em_shuffle_register(env->shuffles, st->shuffle_id, st->nparts,
                                                st->out_nparts);
        int n = st->nparts;
        int *starts = NULL;
        if (env->adaptive && n > 1) {
            reads r = {.ok = true};
            find_reads(st->root, n, &r, true);
            if (r.ok && r.n > 0) {
                starts = em_malloc(sizeof(int) * (size_t)(n + 1));
                int groups = coalesce(env, &r, n, starts);
                if (groups < n) {
                    if (stats) {
                        stats->coalesced_stages++;
                        stats->partitions_before += n;
                        stats->partitions_after += groups;
                    }
                    n = groups;
                } else {
                    em_free(starts);
                    starts = NULL;
                }
            }
        }
        task *tasks = em_calloc((size_t)(n ? n : 1), sizeof(task));
        em_waitgroup_add(j.wg, n);
        for (int p = 0; p < n; p++) {
            tasks[p] = (task){.job = &j, .stage = st, .partition = p};
            if (starts) {
                tasks[p].coalesced = true;
                tasks[p].part_first = starts[p];
                tasks[p].part_end = starts[p + 1];
            }
            em_batch_list_init(&tasks[p].out);
            em_threadpool_submit(env->pool, run_task, &tasks[p]);
        }
        em_waitgroup_wait(j.wg);
        for (int p = 0; p < n; p++) {
            if (st->is_result && !j.failed) em_batch_list_move(result, &tasks[p].out);
            em_batch_list_release(&tasks[p].out);
        }
        em_free(tasks);
        em_free(starts);
        /* A shuffle is read only by the stage right after its parents; once a
         * stage is done, the shuffles it read can go. */
        for (int k = 0; k < st->nparents; k++) {
            const em_stage *parent = &dag->stages[st->parents[k]];
            if (stats) {
                stats->shuffle_bytes += em_shuffle_bytes(env->shuffles, parent->shuffle_id);
                stats->shuffle_rows += em_shuffle_rows(env->shuffles, parent->shuffle_id);
            }
            em_shuffle_release(env->shuffles, parent->shuffle_id);
        }
    }
    if (stats && env->memory) {
        stats->peak_memory = em_memory_pool_peak(env->memory);
        stats->spilled_bytes = em_memory_pool_spilled_bytes(env->memory);
        stats->spill_files = em_memory_pool_spill_files(env->memory);
    }
    if (stats) {
        stats->nstages = dag->nstages;
        stats->tasks_launched = j.launched;
        stats->tasks_failed = j.failures;
        stats->seconds = em_now_seconds() - t0;
    }
    em_waitgroup_destroy(j.wg);
    pthread_mutex_destroy(&j.lock);
    if (j.failed) {
        *err = j.err;
        return err->code < 0 ? err->code : EM_EINTERNAL;
    }
    return 0;
}

/*
 * scheduler.c — the DAG scheduler, for local mode and for a cluster's driver.
 *
 * Stages run in id order (parents first). All tasks of a stage are submitted
 * to the scheduler's thread pool at once; each runs its attempts either in this
 * process (em_task_execute) or, in cluster mode, on an executor through the
 * task backend, which blocks the thread until the attempt ends. The stage
 * completes when every task has succeeded. The first task to fail for good
 * records the job's error and sets the cancel flag, which every running task
 * checks between batches.
 *
 * Retries: a failure of the environment (I/O, an internal error, a lost
 * executor) is retried up to max_failures attempts; a failure of the data or
 * the query (a malformed CSV row, an overflow, a bad cast) would fail again, so
 * it fails the job at once.
 *
 * Recovery from lineage: a task that cannot fetch a parent's map output
 * (EM_EFETCH) does not count against its attempts. When the stage's other tasks
 * are done, the scheduler reruns only the parent map tasks whose output is no
 * longer available (recursively, should their own inputs be gone too), then
 * reruns the tasks that failed to fetch: a new attempt of the stage, up to
 * EM_MAX_STAGE_ATTEMPTS. The same check runs before every stage starts, so
 * outputs lost between stages are recomputed too.
 */
#include "sched/sched.h"

#include "sched/adaptive.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define EM_MAX_STAGE_ATTEMPTS 4

typedef struct job job;

typedef struct task {
    job *job;
    const em_stage *stage;
    em_task_spec spec;
    bool done;         /* succeeded */
    bool fetch_failed; /* its last attempt could not fetch a parent's output */
    /* Speculation: the task is final once one attempt succeeded or the original
     * gave up; the other running attempt then stops waiting (abandon). */
    bool final;
    volatile int abandon;
    bool copied; /* a speculative copy was launched */
    double started, ended;
    em_batch_list out; /* result stage only */
} task;

/* The tasks a stage ran, kept so that lost map outputs can be recomputed. */
typedef struct stage_run {
    task *tasks;
    int ntasks;
    bool started;
    /* Split-aggregation pieces that ran before the tasks (run_pieces): kept
     * so that lost outputs can be recomputed like the tasks'. */
    task *pieces;
    int npieces;
}
stage_run;

struct job {
    em_exec_env *env;
    const em_stage_dag *dag;
    const struct em_write_desc *write; /* COPY ... TO: the result stage writes files */
    volatile int cancel;
    pthread_mutex_t lock;
    em_error err; /* first failure */
    bool failed;
    int64_t launched, failures;
    em_op_stats *node_stats; /* or NULL */
    int nnodes;
    em_error last_fetch; /* the latest fetch failure (the root cause if recovery gives up) */
    int64_t *stage_launched; /* [stage]: task attempts */
    stage_run *runs;         /* [stage] */
    int64_t maps_recomputed;
    int stage_reattempts;
    em_aqe *aqe; /* adaptive execution's decisions (adaptive.c) */
    /* The batch of tasks running now (run_tasks): tasks not yet final, and
     * attempt threads (originals and speculative copies) still running. */
    pthread_cond_t cond;
    int remaining, threads;
    int64_t speculative;
};

static bool retryable(int code)
{
    return code == EM_EIO || code == EM_EINTERNAL || code == EM_ENOMEM || code == EM_ETIMEOUT;
}

/* Under j->lock: the task is settled (succeeded, or its original attempt gave
 * up); the batch has one task fewer to wait for. */
static void settle_locked(job *j, task *t)
{
    if (t->final) return;
    t->final = true;
    t->abandon = 1;
    t->ended = em_now_seconds();
    j->remaining--;
    pthread_cond_broadcast(&j->cond);
}

/* One attempt with the given spec. Its rows go to the task only when it is
 * the first attempt to succeed (a speculative copy may race the original). */
static int run_attempt(task *t, const em_task_spec *spec, em_error *err)
{
    job *j = t->job;
    em_op_stats *stats = NULL;
    if (j->node_stats) stats = em_calloc((size_t)EM_MAX(j->nnodes, 1), sizeof(em_op_stats));
    em_batch_list out;
    em_batch_list_init(&out);
    int rc;
    if (j->env->backend)
        rc = j->env->backend->run(j->env->backend->ctx, j->dag, t->stage, spec, &out, stats, err);
    else
        rc = em_task_execute(j->env, t->stage, spec, j->write, &j->cancel, &out, stats, j->nnodes,
                             err);
    if (rc == 0) {
        pthread_mutex_lock(&j->lock);
        if (t->done) {
            rc = EM_ECANCELED; /* another attempt won */
        } else {
            t->done = true;
            em_batch_list_release(&t->out);
            em_batch_list_init(&t->out);
            em_batch_list_move(&t->out, &out);
        }
        pthread_mutex_unlock(&j->lock);
    }
    em_batch_list_release(&out);
    if (rc == 0 && stats) {
        pthread_mutex_lock(&j->lock);
        for (int i = 0; i < j->nnodes; i++) {
            em_op_stats *d = &j->node_stats[i];
            d->rows_in += stats[i].rows_in;
            d->rows_out += stats[i].rows_out;
            d->batches_in += stats[i].batches_in;
            d->nanos += stats[i].nanos;
            d->mem_peak = EM_MAX(d->mem_peak, stats[i].mem_peak);
            d->spilled += stats[i].spilled;
        }
        pthread_mutex_unlock(&j->lock);
    }
    em_free(stats);
    return rc;
}

static void run_task(void *arg)
{
    task *t = arg;
    job *j = t->job;
    em_error err = {0};
    int rc = 0;
    t->fetch_failed = false;
    for (;;) {
        if (t->done) break; /* a speculative copy finished first */
        if (j->cancel) {
            rc = EM_ECANCELED;
            break;
        }
        __atomic_add_fetch(&j->launched, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&j->stage_launched[t->stage->id], 1, __ATOMIC_RELAXED);
        memset(&err, 0, sizeof err);
        pthread_mutex_lock(&j->lock);
        t->started = em_now_seconds(); /* the straggler clock starts when it runs */
        pthread_mutex_unlock(&j->lock);
        em_memory_task_begin(j->env->memory);
        em_task_spec spec = t->spec;
        spec.abandon = &t->abandon;
        rc = run_attempt(t, &spec, &err);
        em_memory_task_end(j->env->memory);
        if (rc >= 0 || (rc == EM_ECANCELED && t->done)) {
            rc = 0;
            break;
        }
        __atomic_add_fetch(&j->failures, 1, __ATOMIC_RELAXED);
        if (rc == EM_EFETCH) {
            /* Not this task's fault: the stage reruns it once its inputs are back. */
            em_log_warn("task %d.%d attempt %d: %s", t->stage->id, t->spec.partition,
                        t->spec.attempt, err.message);
            t->fetch_failed = true;
            pthread_mutex_lock(&j->lock);
            j->last_fetch = err;
            pthread_mutex_unlock(&j->lock);
            t->spec.attempt++;
            break;
        }
        if (rc == EM_ECANCELED || !retryable(rc) || t->spec.attempt + 1 >= j->env->max_failures)
            break;
        em_log_warn("task %d.%d attempt %d failed (%s), retrying", t->stage->id, t->spec.partition,
                    t->spec.attempt, err.message);
        t->spec.attempt++;
    }
    pthread_mutex_lock(&j->lock);
    if (rc < 0 && rc != EM_ECANCELED && rc != EM_EFETCH) {
        if (!j->failed) {
            j->failed = true;
            j->err = err;
            if (t->spec.attempt > 0)
                em_error_prefix(&j->err, "task %d.%d failed %d times", t->stage->id,
                                t->spec.partition, t->spec.attempt + 1);
        }
        j->cancel = 1;
    }
    settle_locked(j, t);
    j->threads--;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

/* A speculative copy of a straggling task: one attempt, on whichever executor
 * the backend picks; if it succeeds first, the task is settled. */
static void run_copy(void *arg)
{
    task *t = arg;
    job *j = t->job;
    em_error err = {0};
    __atomic_add_fetch(&j->launched, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&j->stage_launched[t->stage->id], 1, __ATOMIC_RELAXED);
    em_task_spec spec = t->spec;
    spec.attempt = t->spec.attempt + 1;
    spec.abandon = &t->abandon;
    int rc = t->done ? EM_ECANCELED : run_attempt(t, &spec, &err);
    pthread_mutex_lock(&j->lock);
    if (rc == 0) settle_locked(j, t);
    else if (rc != EM_ECANCELED)
        em_log_info("speculative copy of task %d.%d failed: %s", t->stage->id, t->spec.partition,
                    err.message);
    j->threads--;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

/* Under j->lock: launch a copy of each task that runs much longer than the
 * median of the finished ones, once enough of the batch has finished (as
 * Spark's ember.speculation does). */
static void speculate_locked(job *j, task **ts, int n)
{
    const em_exec_env *env = j->env;
    int finished = 0;
    double *d = em_malloc(sizeof(double) * (size_t)EM_MAX(n, 1));
    for (int i = 0; i < n; i++)
        if (ts[i]->done) d[finished++] = ts[i]->ended - ts[i]->started;
    if (finished == 0 || finished < env->speculation_quantile * n) {
        em_free(d);
        return;
    }
    /* The median by selection is overkill here: the batch is a stage's tasks. */
    for (int a = 1; a < finished; a++)
        for (int b = a; b > 0 && d[b - 1] > d[b]; b--) {
            double x = d[b];
            d[b] = d[b - 1];
            d[b - 1] = x;
        }
    double limit = EM_MAX(env->speculation_multiplier * d[finished / 2], 0.1);
    em_free(d);
    double now = em_now_seconds();
    for (int i = 0; i < n; i++) {
        task *t = ts[i];
        if (t->final || t->copied || t->started == 0 || now - t->started < limit) continue;
        t->copied = true;
        j->threads++;
        j->speculative++;
        em_log_info("task %d.%d has run %.1f s (limit %.1f s): launching a speculative copy",
                    t->stage->id, t->spec.partition, now - t->started, limit);
        em_threadpool_submit(env->pool, run_copy, t);
    }
}

/* Run the given tasks of one stage and wait until each is settled; then let
 * attempts that lost a race stop, and wait for them too. */
static void run_tasks(job *j, task **ts, int n)
{
    bool speculate = j->env->speculation && j->env->backend;
    pthread_mutex_lock(&j->lock);
    j->remaining = n;
    j->threads = n;
    for (int i = 0; i < n; i++) {
        task *t = ts[i];
        t->done = false; /* a rerun of a map task whose output was lost */
        t->final = false;
        t->abandon = 0;
        t->copied = false;
        t->started = 0;
        t->ended = 0;
    }
    pthread_mutex_unlock(&j->lock);
    for (int i = 0; i < n; i++) em_threadpool_submit(j->env->pool, run_task, ts[i]);
    pthread_mutex_lock(&j->lock);
    while (j->remaining > 0) {
        if (!speculate) {
            pthread_cond_wait(&j->cond, &j->lock);
            continue;
        }
        struct timespec ts_wait;
        clock_gettime(CLOCK_REALTIME, &ts_wait);
        ts_wait.tv_nsec += 100 * 1000000L;
        if (ts_wait.tv_nsec >= 1000000000L) {
            ts_wait.tv_sec++;
            ts_wait.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&j->cond, &j->lock, &ts_wait);
        if (!j->failed) speculate_locked(j, ts, n);
    }
    for (int i = 0; i < n; i++) ts[i]->abandon = 1;
    while (j->threads > 0) pthread_cond_wait(&j->cond, &j->lock);
    pthread_mutex_unlock(&j->lock);
}

/* Recovery gives up: the job fails with an EM_EFETCH naming the last fetch
 * failure, unless it failed already, and running tasks are cancelled. */
static void give_up(job *j, const char *fmt, ...) EM_PRINTF(2, 3);
static void give_up(job *j, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&j->lock);
    if (!j->failed) {
        j->failed = true;
        em_error_set(&j->err, EM_EFETCH, "%s (last failure: %s)", what, j->last_fetch.message);
    }
    j->cancel = 1;
    pthread_mutex_unlock(&j->lock);
}

/* Run the tasks whose map outputs were lost again, counted as recomputed;
 * frees `lost`. */
static void rerun_lost(job *j, task **lost, int nlost)
{
    j->maps_recomputed += nlost;
    j->stage_reattempts++;
    run_tasks(j, lost, nlost);
    em_free(lost);
}

/* Make every parent shuffle of stage `st` complete again: rerun the map tasks
 * whose output was lost (first, recursively, what those tasks read). Returns
 * false when the job failed meanwhile. */
static bool ensure_pieces(job *j, const em_stage *st);

static bool ensure_parents(job *j, const em_stage *st, int depth)
{
    for (int k = 0; k < st->nparents && !j->failed; k++) {
        const em_stage *parent = &j->dag->stages[st->parents[k]];
        stage_run *pr = &j->runs[parent->id];
        if (!pr->started) continue;
        for (int attempt = 0; !j->failed; attempt++) {
            task **lost = em_malloc(sizeof(task *) * (size_t)EM_MAX(pr->ntasks, 1));
            int nlost = 0;
            for (int p = 0; p < pr->ntasks; p++)
                if (!em_shuffle_map_ready(j->env->shuffles, parent->shuffle_id, p))
                    lost[nlost++] = &pr->tasks[p];
            if (nlost == 0) {
                em_free(lost);
                break;
            }
            if (attempt >= EM_MAX_STAGE_ATTEMPTS || depth > j->dag->nstages) {
                em_free(lost);
                give_up(j, "stage %d: map outputs were lost %d times in a row; giving up", parent->id,
                        attempt);
                return false;
            }
            em_log_info("stage %d: recomputing %d lost map output(s)", parent->id, nlost);
            /* What the lost tasks read: the parent's own parents, and the
             * pieces of its split aggregations. */
            if (!ensure_parents(j, parent, depth + 1) || !ensure_pieces(j, parent)) {
                em_free(lost);
                return false;
            }
            rerun_lost(j, lost, nlost);
        }
    }
    return !j->failed;
}

/* The pieces of split aggregation partitions (adaptive.c) run to completion
 * before the stage's tasks, with the stage's recovery rules. */
/* Rerun the pieces of split aggregations (run_pieces) whose outputs were lost
 * since they ran, so that the merging tasks can read them again. */
static bool ensure_pieces(job *j, const em_stage *st)
{
    stage_run *run = &j->runs[st->id];
    for (int attempt = 0; run->npieces > 0 && !j->failed; attempt++) {
        task **lost = em_malloc(sizeof(task *) * (size_t)run->npieces);
        int nlost = 0;
        for (int i = 0; i < run->npieces; i++) {
            task *t = &run->pieces[i];
            if (!em_shuffle_map_ready(j->env->shuffles, t->stage->shuffle_id, t->spec.partition))
                lost[nlost++] = t;
        }
        if (nlost == 0 || attempt >= EM_MAX_STAGE_ATTEMPTS) {
            em_free(lost);
            if (nlost == 0) break;
            give_up(j, "stage %d: split aggregation pieces were lost %d times in a row", st->id,
                    attempt);
            return false;
        }
        if (!ensure_parents(j, st, 0)) {
            em_free(lost);
            return false;
        }
        rerun_lost(j, lost, nlost);
    }
    return !j->failed;
}

static bool run_pieces(job *j, const em_stage *st, const em_aqe_stage *plan)
{
    int n = plan->npre;
    task *ts = em_calloc((size_t)n, sizeof(task));
    task **pending = em_malloc(sizeof(task *) * (size_t)n);
    for (int i = 0; i < n; i++) {
        ts[i] = (task){.job = j, .stage = plan->pre[i].stage, .spec = plan->pre[i].spec};
        em_batch_list_init(&ts[i].out);
        pending[i] = &ts[i];
    }
    int npending = n;
    for (int attempt = 0; npending > 0 && !j->failed; attempt++) {
        if (attempt > 0) {
            if (attempt >= EM_MAX_STAGE_ATTEMPTS) {
                em_error_set(&j->err, EM_EFETCH,
                             "stage %d failed %d times because shuffle outputs were lost (last "
                             "failure: %s)",
                             st->id, attempt, j->last_fetch.message);
                j->failed = true;
                break;
            }
            j->stage_reattempts++;
            if (!ensure_parents(j, st, 0)) break;
        }
        run_tasks(j, pending, npending);
        int still = 0;
        for (int i = 0; i < npending; i++)
            if (!pending[i]->done && pending[i]->fetch_failed) pending[still++] = pending[i];
        npending = still;
    }
    for (int i = 0; i < n; i++) em_batch_list_release(&ts[i].out);
    em_free(pending);
    /* Kept for the job: lost outputs are rerun from them. */
    stage_run *run = &j->runs[st->id];
    em_free(run->pieces);
    run->pieces = ts;
    run->npieces = n;
    return !j->failed;
}

int em_job_run(em_exec_env *env, const em_stage_dag *dag, em_batch_list *result,
               em_job_stats *stats, em_error *err)
{
    double t0 = em_now_seconds();
    job j = {.env = env,
             .dag = dag,
             .write = dag->write,
             .node_stats = stats ? stats->node_stats : NULL,
             .nnodes = dag->nnodes};
    j.stage_launched = em_calloc((size_t)EM_MAX(dag->nstages, 1), sizeof(int64_t));
    j.runs = em_calloc((size_t)EM_MAX(dag->nstages, 1), sizeof(stage_run));
    pthread_mutex_init(&j.lock, NULL);
    pthread_cond_init(&j.cond, NULL);
    j.aqe = em__aqe_create(env, dag, stats);
    for (int s = 0; s < dag->nstages && !j.failed; s++) {
        const em_stage *st = &dag->stages[s];
        /* Outputs lost since the parents ran are recomputed before this stage reads them. */
        if (!ensure_parents(&j, st, 0)) break;
        /* Adaptive execution picks the tasks from the real sizes of the stage's
         * inputs (adaptive.c); split aggregation partitions first run pieces. */
        const em_aqe_stage *plan = em__aqe_plan_stage(j.aqe, st);
        if (plan->npre > 0 && !run_pieces(&j, st, plan)) break;
        int n = plan->ntasks;
        if (!st->is_result) em_shuffle_register(env->shuffles, st->shuffle_id, n, st->out_nparts);
        stage_run *run = &j.runs[s];
        run->tasks = em_calloc((size_t)(n ? n : 1), sizeof(task));
        run->ntasks = n;
        run->started = true;
        task **pending = em_malloc(sizeof(task *) * (size_t)(n ? n : 1));
        for (int p = 0; p < n; p++) {
            task *t = &run->tasks[p];
            *t = (task){.job = &j, .stage = plan->tasks[p].stage, .spec = plan->tasks[p].spec};
            em_batch_list_init(&t->out);
            pending[p] = t;
        }
        int npending = n;
        for (int attempt = 0; npending > 0 && !j.failed; attempt++) {
            if (attempt > 0) {
                /* Some tasks could not fetch their input: bring it back, then rerun them. */
                if (attempt >= EM_MAX_STAGE_ATTEMPTS) {
                    em_error_set(&j.err, EM_EFETCH,
                                 "stage %d failed %d times because shuffle outputs were lost "
                                 "(last failure: %s)",
                                 s, attempt, j.last_fetch.message);
                    j.failed = true;
                    break;
                }
                j.stage_reattempts++;
                if (!ensure_parents(&j, st, 0) || !ensure_pieces(&j, st)) break;
            }
            run_tasks(&j, pending, npending);
            int still = 0;
            for (int i = 0; i < npending; i++)
                if (!pending[i]->done && pending[i]->fetch_failed) pending[still++] = pending[i];
            npending = still;
        }
        em_free(pending);
        if (!j.failed) em_log_info("stage %d finished (%d tasks)", s, n);
        if (st->is_result && !j.failed)
            for (int p = 0; p < n; p++) em_batch_list_move(result, &run->tasks[p].out);
        for (int p = 0; p < n; p++) em_batch_list_release(&run->tasks[p].out);
        em__aqe_stage_done(j.aqe, st);
        /* A shuffle is read only by the stage right after its parents. In this
         * process, once a stage is done, the shuffles it read can go; on a
         * cluster they stay until the job ends, for recovery. */
        for (int k = 0; k < st->nparents; k++) {
            const em_stage *parent = &dag->stages[st->parents[k]];
            if (stats) {
                stats->shuffle_bytes += em_shuffle_bytes(env->shuffles, parent->shuffle_id);
                stats->shuffle_rows += em_shuffle_rows(env->shuffles, parent->shuffle_id);
            }
            if (!env->backend) em_shuffle_release(env->shuffles, parent->shuffle_id);
        }
    }
    if (env->backend && env->backend->job_end) env->backend->job_end(env->backend->ctx, dag);
    if (stats && env->memory) {
        stats->peak_memory = em_memory_pool_peak(env->memory);
        stats->spilled_bytes = em_memory_pool_spilled_bytes(env->memory);
        stats->spill_files = em_memory_pool_spill_files(env->memory);
    }
    if (em_log_get_level() <= EM_LOG_INFO) {
        /* One line a test (or a person) can read the recovery from. */
        em_strbuf sb;
        em_strbuf_init(&sb);
        for (int i = 0; i < dag->nstages; i++)
            em_strbuf_printf(&sb, " %d=%lld", i, (long long)j.stage_launched[i]);
        em_log_info("job finished%s: task attempts per stage:%s; %lld lost map outputs "
                    "recomputed, %lld speculative tasks",
                    j.failed ? " (failed)" : "", sb.data ? sb.data : "",
                    (long long)j.maps_recomputed, (long long)j.speculative);
        em_strbuf_release(&sb);
    }
    if (stats) {
        stats->nstages = dag->nstages;
        stats->tasks_launched = j.launched;
        stats->tasks_failed = j.failures;
        stats->seconds = em_now_seconds() - t0;
        stats->maps_recomputed = j.maps_recomputed;
        stats->speculative_tasks = j.speculative;
        stats->stage_reattempts = j.stage_reattempts;
        if (stats->stage_attempts)
            memcpy(stats->stage_attempts, j.stage_launched, sizeof(int64_t) * (size_t)dag->nstages);
    }
    for (int s = 0; s < dag->nstages; s++) {
        em_free(j.runs[s].tasks);
        em_free(j.runs[s].pieces);
    }
    em_free(j.runs);
    em_free(j.stage_launched);
    em__aqe_destroy(j.aqe);
    pthread_cond_destroy(&j.cond);
    pthread_mutex_destroy(&j.lock);
    if (j.failed) {
        *err = j.err;
        return err->code < 0 ? err->code : EM_EINTERNAL;
    }
    return 0;
}

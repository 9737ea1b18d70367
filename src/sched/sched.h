/*
 * sched.h — running a stage DAG: stages in dependency order, each as one task
 * per partition on the executor thread pool (local mode: threads are the
 * executors). A task failure cancels the job's other tasks; transient failures
 * are retried up to ember.task.maxFailures attempts.
 */
#ifndef EM_SCHED_H
#define EM_SCHED_H

#include "memory/memory.h"
#include "shuffle/shuffle.h"
#include "sql/physical/physical.h"

/* What one task attempt is: the stage, the partition, and what adaptive
 * execution decided about its input. */
typedef struct em_task_spec {
    int partition;
    int attempt;
    int part_first, part_end; /* coalesced reduce partitions, when coalesced */
    bool coalesced;
    /* Skew splitting (adaptive.c): only maps [map_first, map_end) of these
     * shuffles are read, for reduce partition part_first. */
    int nmap_ranges;
    em_map_range map_ranges[EM_MAX_MAP_RANGES];
    /* Set when another attempt of the task won: a backend waiting on a remote
     * attempt may stop waiting (NULL: never). Not sent anywhere. */
    volatile int *abandon;
} em_task_spec;

/* Where tasks run when not on this process's thread pool (cluster mode: the
 * driver's executors). run() blocks until the attempt has ended; it adds the
 * attempt's operator counters into node_stats (dag->nnodes entries, or NULL)
 * and, for the result stage, appends its rows to `out`. An EM_EFETCH failure
 * means a parent's map output was lost: the scheduler reruns the lost map
 * tasks and then the task. */
typedef struct em_task_backend {
    void *ctx;
    int (*run)(void *ctx, const em_stage_dag *dag, const em_stage *stage, const em_task_spec *spec,
               em_batch_list *out, em_op_stats *node_stats, em_error *err);
    /* Called when a job ends (its shuffle outputs can go). */
    void (*job_end)(void *ctx, const em_stage_dag *dag);
} em_task_backend;

/* Session-wide services a task can reach. */
struct em_exec_env {
    em_threadpool *pool;
    em_shuffle_store *shuffles;
    em_memory_pool *memory; /* the executor's pool (ember.executor.memory) */
    int max_failures;     /* attempts per task */
    bool serialize_tasks; /* round-trip every task through its wire form (tests) */
    int parallelism;      /* executor threads */
    bool adaptive;        /* ember.sql.adaptive.enabled */
    int64_t advisory_partition_bytes; /* ember.sql.adaptive.advisoryPartitionSizeInBytes */
    int skew_factor;                  /* ember.sql.adaptive.skewJoin.skewedPartitionFactor */
    int64_t skew_threshold_bytes;     /* ...skewJoin.skewedPartitionThresholdInBytes */
    int64_t broadcast_threshold;      /* ember.sql.autoBroadcastJoinThreshold (<= 0: never) */
    em_task_backend *backend; /* NULL: tasks run in this process */
    const char *inject;       /* ember.test.inject (inject.c), or NULL */
    /* ember.speculation (cluster mode): copy tasks running longer than
     * multiplier x the median once quantile of their stage has finished. */
    bool speculation;
    double speculation_multiplier;
    double speculation_quantile;
};
typedef struct em_exec_env em_exec_env;

/* Counters of one job, for EXPLAIN ANALYZE, the UI and tests. */
typedef struct em_job_stats {
    int nstages;
    int64_t tasks_launched;
    int64_t tasks_failed;
    int64_t shuffle_bytes;
    int64_t shuffle_rows;
    double seconds;
    /* Per plan node (dag->nnodes entries, summed over successful task attempts),
     * filled when the caller provides the array (EXPLAIN ANALYZE). */
    em_op_stats *node_stats;
    /* Adaptive execution: stages whose reduce partitions were coalesced, and the
     * partition counts before and after. */
    int coalesced_stages;
    int64_t partitions_before, partitions_after;
    /* Skewed reduce partitions split into tasks that each read a range of the
     * partition's map outputs: of joins, and of final aggregations (whose pieces
     * one more task per partition merges); and shuffled joins run as broadcast
     * joins because a side turned out small. */
    int skew_join_partitions;
    int64_t skew_join_tasks;
    int skew_agg_partitions;
    int64_t skew_agg_tasks; /* the pieces, not counting the merging tasks */
    int broadcast_switches;
    /* When the caller provides it: one line per adaptive decision. */
    em_strbuf *adaptive_log;
    /* Memory: the pool's peak use, and what operators spilled. */
    int64_t peak_memory;
    int64_t spilled_bytes;
    int64_t spill_files;
    /* Recovery: map tasks rerun because their output was lost, and stage
     * attempts after the first. Per stage: task attempts launched. */
    int64_t maps_recomputed;
    int stage_reattempts;
    int64_t speculative_tasks; /* copies launched by ember.speculation */
    int64_t *stage_attempts; /* dag->nstages entries, filled when the caller provides it */
} em_job_stats;

/* Run every stage; the result stage's partitions are appended to `result` in
 * partition order. */
int em_job_run(em_exec_env *env, const em_stage_dag *dag, em_batch_list *result,
               em_job_stats *stats, em_error *err) EM_MUST_CHECK;

/* ---- fault injection for tests (inject.c) ---- */
/* Validate an ember.test.inject value. */
int em_inject_check(const char *spec, em_error *err) EM_MUST_CHECK;
/* At the start of a task attempt: sleep and/or fail as the rules say. */
int em_inject_task_start(const char *spec, int stage, int task, int attempt,
                         em_error *err) EM_MUST_CHECK;
/* Whether an executor should exit once it has finished `ntasks` tasks. */
bool em_inject_executor_exit(const char *spec, const char *executor, int ntasks);
/* Whether a fetch of this map output should fail as if the output were lost. */
bool em_inject_fetch_fail(const char *spec, int shuffle, int map);

/* Run one attempt of a task in this process: build the stage's operators for
 * spec, run them, and commit the output (shuffle blocks, the result rows into
 * `out`, or files for COPY). Operator counters are added into node_stats
 * (indexed by plan node id, nnodes entries) when it is not NULL. */
int em_task_execute(em_exec_env *env, const em_stage *stage, const em_task_spec *spec,
                    const struct em_write_desc *write, volatile int *cancel, em_batch_list *out,
                    em_op_stats *node_stats, int nnodes, em_error *err) EM_MUST_CHECK;

#endif

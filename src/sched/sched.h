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
    /* Memory: the pool's peak use, and what operators spilled. */
    int64_t peak_memory;
    int64_t spilled_bytes;
    int64_t spill_files;
} em_job_stats;

/* Run every stage; the result stage's partitions are appended to `result` in
 * partition order. */
int em_job_run(em_exec_env *env, const em_stage_dag *dag, em_batch_list *result,
               em_job_stats *stats, em_error *err) EM_MUST_CHECK;

#endif

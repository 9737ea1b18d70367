/*
 * adaptive.h — adaptive query execution, internal to the scheduler.
 *
 * When a stage is about to run, the shuffles it reads are complete, so the
 * real size of every reduce partition (and of every map's share of it) is
 * known. em__aqe_plan_stage turns those sizes into the stage's tasks: a
 * shuffled join whose side turned out small becomes a broadcast join, small
 * adjacent reduce partitions are coalesced into one task, and a skewed
 * partition is split into tasks that each read a range of its map outputs
 * (a join side, or the partial states of a final aggregation, which one more
 * task merges again). Tasks may run a rewritten copy of the stage's fragment;
 * the copies live until the job ends, so that lost map outputs can still be
 * recomputed from them.
 */
#ifndef EM_SCHED_ADAPTIVE_H
#define EM_SCHED_ADAPTIVE_H

#include "sched/sched.h"

typedef struct em_aqe em_aqe;

/* One task: the fragment it runs (the stage, or a rewritten copy with the
 * same stage id) and what it reads. */
typedef struct em_aqe_task {
    const em_stage *stage;
    em_task_spec spec;
} em_aqe_task;

typedef struct em_aqe_stage {
    /* Tasks that must finish before `tasks` start: the pieces of split
     * aggregation partitions, which write merged partial states to a spare
     * shuffle (task i writes its map output i). */
    int npre;
    em_aqe_task *pre;
    /* The stage's tasks; task i writes map output i of the stage's shuffle,
     * whose map count is therefore ntasks. */
    int ntasks;
    em_aqe_task *tasks;
} em_aqe_stage;

/* One per job; stats (or NULL) receives the counters and the decision log. */
em_aqe *em__aqe_create(em_exec_env *env, const em_stage_dag *dag, em_job_stats *stats);
/* The tasks of stage `st`, whose parent shuffles must be complete. Without
 * adaptive execution: one plain task per partition. Valid until
 * em__aqe_destroy. */
const em_aqe_stage *em__aqe_plan_stage(em_aqe *a, const em_stage *st);
/* The stage's tasks are done: drop the intermediate outputs its pieces wrote
 * (in this process; a cluster keeps shuffles until the job ends). */
void em__aqe_stage_done(em_aqe *a, const em_stage *st);
void em__aqe_destroy(em_aqe *a);

#endif

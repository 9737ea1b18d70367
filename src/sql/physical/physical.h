/*
 * physical.h — the physical plan, stages and tasks.
 *
 * The physical planner turns an optimized logical plan into operators that say
 * *how*: partial and final aggregation around a hash exchange, a local sort
 * whose sorted runs a single-partition stage merges, local and global limits.
 * Every EXCHANGE is a shuffle: cutting the tree at exchanges gives the stage
 * DAG (Spark's model). Inside a stage, the fragment below the stage's output is
 * a chain of operators over one source per task; a task is (stage, partition).
 *
 * Physical nodes are plain data (no function pointers, no open files) so that a
 * stage fragment can be serialized into a task description (plan_serde.c) and
 * rebuilt elsewhere.
 */
#ifndef EM_PHYSICAL_H
#define EM_PHYSICAL_H

#include "exec/exec.h"
#include "format/format.h"
#include "sql/logical/logical.h"

typedef enum em_pop_kind {
    EM_POP_SCAN_FILE,    /* source: one split per partition */
    EM_POP_SCAN_TABLE,   /* source: a range of an in-memory table's batches per partition */
    EM_POP_VALUES,       /* source: literal rows, one partition */
    EM_POP_SHUFFLE_READ, /* source: partition p of a shuffle's output (merging sorted runs) */
    EM_POP_FILTER,
    EM_POP_PROJECT,
    EM_POP_HASH_AGG,
    EM_POP_SORT,
    EM_POP_LIMIT,
    EM_POP_UNION,    /* partitions of the children, concatenated */
    EM_POP_EXCHANGE, /* stage boundary (replaced by SHUFFLE_READ when stages are cut) */
    EM_POP_HASH_JOIN, /* children: [probe-side input, build-side SHUFFLE_READ] */
    EM_POP_WINDOW,
    EM_POP_UNNEST, /* a row per piece of a split string (set-returning function) */
} em_pop_kind;

typedef enum em_exchange_kind {
    EM_EXCHANGE_HASH,   /* rows go to hash(keys) mod nparts */
    EM_EXCHANGE_SINGLE, /* everything to partition 0 */
} em_exchange_kind;

typedef struct em_pop em_pop;

struct em_pop {
    em_pop_kind kind;
    int id; /* unique within its stage DAG (assigned when stages are cut) */
    em_schema *schema;
    int nchildren;
    em_pop **children;
    int nparts; /* output partitions */
    union {
        struct {
            em_scan_desc *desc;  /* SCAN_FILE */
            em_table *table;     /* SCAN_TABLE (local mode: a catalog pointer) */
            const char *table_name;
            int64_t table_batches; /* SCAN_TABLE: batches in the table when planned */
            int ncols;
            int *cols;
            em_expr *filter; /* over the scan's output columns, or NULL */
        } scan;
        struct {
            int nrows;
            em_expr ***rows;
        } values;
        struct {
            int shuffle_id;
            int nmaps;     /* map partitions of the producing stage */
            int nmerge;    /* > 0: runs are sorted on merge_keys; merge them */
            em_sort_key *merge_keys;
            bool broadcast; /* every task reads the whole shuffle (a broadcast build side) */
        } shuffle_read;
        struct {
            em_expr *pred;
        } filter;
        struct {
            int nexprs;
            em_expr **exprs;
        } project;
        struct {
            em_agg_mode mode;
            int nkeys;
            em_expr **keys;
            int naggs;
            em_agg_call *aggs;
        } agg;
        struct {
            int nkeys;
            em_sort_key *keys;
            int64_t limit; /* -1 = full sort */
        } sort;
        struct {
            int64_t limit;
            int64_t offset;
        } limit;
        struct {
            em_exchange_kind kind;
            int nkeys;
            int *keys;    /* HASH: key columns */
            int nmerge;   /* SINGLE: children are sorted on these keys; the reader merges */
            em_sort_key *merge_keys;
            int shuffle_id; /* assigned when stages are cut */
            bool broadcast; /* SINGLE, read whole by every consumer task */
        } exchange;
        struct {
            em_join_spec spec; /* key/type arrays live in the plan arena */
            bool sort_merge;   /* both inputs arrive sorted: merge instead of hash */
        } join;
        struct {
            int npartition;
            int *partition_cols;
            int norder;
            em_sort_key *order;
            int ncalls;
            em_window_call *calls;
        } window;
        struct {
            em_unnest_spec spec;
            int npass;
            int *pass;
        } unnest; /* output: input columns pass[], then the piece */
    } u;
};

em_pop *em_pop_new(em_arena *a, em_pop_kind kind, int nchildren);
const char *em_pop_kind_name(em_pop_kind k);

/* ---- planning ---------------------------------------------------------- */

typedef struct em_plan_conf {
    int shuffle_partitions;     /* ember.sql.shuffle.partitions */
    int parallelism;            /* executor threads (local[N]) */
    int64_t broadcast_threshold; /* ember.sql.autoBroadcastJoinThreshold (bytes; <= 0: never) */
    int64_t task_memory;         /* executor memory per task: a larger side is not broadcast */
    bool prefer_sort_merge;      /* ember.sql.join.preferSortMergeJoin */
    /* Takes ownership of scan descriptions the planner makes (pruned copies). */
    void (*own_scan)(void *ctx, em_scan_desc *d);
    void *own_ctx;
} em_plan_conf;

int em_physical_plan(em_arena *a, const em_lop *logical, const em_plan_conf *conf, em_pop **out,
                     em_error *err) EM_MUST_CHECK;
/* The plan's rows gathered into one partition (a single-partition exchange). */
em_pop *em_physical_single(em_arena *a, em_pop *plan);

/* ---- stages ------------------------------------------------------------ */

typedef struct em_stage {
    int id;           /* stages are numbered so that parents come first */
    em_pop *root;     /* the fragment; exchanges below are SHUFFLE_READ leaves */
    int nparts;       /* tasks */
    bool is_result;   /* the final stage: output is the query result */
    /* when !is_result: where the output goes */
    int shuffle_id;
    em_exchange_kind out_kind;
    int out_nparts;
    int out_nkeys;
    int *out_keys;
    int nparents;
    int *parents;
} em_stage;

typedef struct em_stage_dag {
    int nstages;
    em_stage *stages; /* the last one is the result stage */
    int nshuffles;
    /* The last nspare_shuffles shuffle ids are spares, one per stage (stage s:
     * nshuffles - nspare_shuffles + s), for adaptive execution's intermediate
     * outputs (the pieces of a split aggregation partition). */
    int nspare_shuffles;
    int nnodes; /* plan nodes over all fragments (ids 0 .. nnodes-1) */
    const struct em_write_desc *write; /* COPY ... TO: the result stage writes files */
} em_stage_dag;

int em_stage_dag_build(em_arena *a, em_pop *root, em_stage_dag *out, em_error *err) EM_MUST_CHECK;
/* EXPLAIN text: stages from the result stage down, each with its fragment.
 * With node_stats (EXPLAIN ANALYZE; indexed by node id, summed over tasks),
 * each node also shows its output rows and time. */
void em_stage_dag_format(const em_stage_dag *dag, const em_op_stats *node_stats, em_strbuf *out);

/* ---- task construction ------------------------------------------------- */

/* Build the source and operator chain of one task of a stage. The chain ends
 * at `sink` (a collect op or a shuffle writer the caller made). */
int em_task_build(em_task_ctx *ctx, const em_stage *stage, int partition, em_op *sink,
                  em_source **src_out, em_op **head_out, em_error *err) EM_MUST_CHECK;

/* The branch of a union that task partition `*partition` runs: the branches
 * number their partitions one after another, so the partition becomes the
 * branch's own. Returns the branch's index among the union's children. */
int em_pop_union_branch(const em_pop *u, int *partition);

#endif

/*
 * exec.h — push-based pipelines inside one task.
 *
 * A task (one stage x one partition) runs one pipeline: a source produces
 * batches and pushes each through a chain of operators to a sink. Operators
 * that need all their input before producing output (hash aggregation, sort)
 * are pipeline breakers inside the task: they buffer on push() and emit on
 * finish(), pushing their results downstream and then finishing it.
 *
 * Contract of an operator:
 *   push(op, batch)  — takes ownership of `batch` (destroy it or pass it on).
 *                      Returns 0, EM_OP_DONE when it needs no more input (a
 *                      satisfied LIMIT; the source then stops early), or a
 *                      negative error.
 *   finish(op)       — end of input: flush buffered state downstream, then
 *                      call finish on `next`. Called once, also after EM_OP_DONE.
 *   destroy(op)      — free the operator (not its `next`); safe at any point,
 *                      including after an error.
 * Sources: next(src, &batch) gives batches until *batch == NULL.
 */
#ifndef EM_EXEC_H
#define EM_EXEC_H

#include "common/common.h"
#include "exec/expr.h"
#include "memory/memory.h"
#include "vector/vector.h"

#define EM_OP_DONE 1

typedef struct em_task_ctx em_task_ctx;
typedef struct em_op em_op;

typedef struct em_op_vtable {
    const char *name;
    int (*push)(em_op *op, em_batch *b, em_error *err);
    int (*finish)(em_op *op, em_error *err);
    void (*destroy)(em_op *op);
} em_op_vtable;

/* Per-operator counters, summed across tasks for EXPLAIN ANALYZE and the UI. */
typedef struct em_op_stats {
    int64_t rows_in;
    int64_t rows_out;
    int64_t batches_in;
    int64_t nanos;
    int64_t mem_peak; /* operators with state: the most memory reserved at once */
    int64_t spilled;  /* bytes written to spill files */
} em_op_stats;

struct em_op {
    const em_op_vtable *vt;
    em_op *next;      /* downstream operator; NULL for a sink */
    em_task_ctx *ctx; /* the task this instance runs in */
    em_op_stats stats;
    int node; /* the plan node it implements (for EXPLAIN ANALYZE); -1 for sinks */
    /* Optional, set at creation (NULL: the rows are gathered and pushed):
     * push b of which only rows sel[0..nsel), ascending, are input; the
     * operator owns b, not sel. Rows outside sel must not raise errors (a
     * filter dropped them). */
    int (*push_sel)(em_op *op, em_batch *b, const int32_t *sel, int64_t nsel, em_error *err);
};

/* Push to the downstream operator, counting rows. */
int em_op_emit(em_op *op, em_batch *b, em_error *err) EM_MUST_CHECK;
/* Push rows sel[0..nsel) (ascending) of b downstream: as they are when the
 * operator takes selections and most rows are kept, gathered otherwise.
 * Takes b; sel stays the caller's. */
int em_op_emit_sel(em_op *op, em_batch *b, const int32_t *sel, int64_t nsel,
                   em_error *err) EM_MUST_CHECK;
int em_op_finish_next(em_op *op, em_error *err) EM_MUST_CHECK;

typedef struct em_source em_source;
struct em_source {
    int (*next)(em_source *src, em_batch **out, em_error *err);
    void (*destroy)(em_source *src);
};

/* Adaptive execution's skew splitting: a task reads only the outputs of maps
 * [map_first, map_end) of one shuffle, for its reduce partition. */
typedef struct em_map_range {
    int shuffle_id;
    int map_first, map_end;
} em_map_range;
/* A task splits at most both inputs of a join. */
#define EM_MAX_MAP_RANGES 2

/* What a task knows about where it runs. */
struct em_task_ctx {
    int stage;
    int partition;
    int attempt;
    struct em_exec_env *env; /* session-wide services: shuffle store, tables, pool */
    em_memory_pool *memory;  /* the executor's memory pool (NULL: unlimited) */
    volatile int *cancel;    /* set by the scheduler when the job fails */
    int source_node;         /* the plan node of the task's source (set by the task builder) */
    /* Adaptive execution may coalesce reduce partitions: a task then reads shuffle
     * partitions [part_first, part_end) instead of just `partition`. */
    int part_first, part_end;
    bool coalesced;
    /* Skew splitting: of these shuffles only the given maps are read (then
     * part_end == part_first + 1); other shuffles are read whole. */
    int nmap_ranges;
    em_map_range map_ranges[EM_MAX_MAP_RANGES];
};

/* ---- streaming operators --------------------------------------------- */

em_op *em_op_filter_create(em_task_ctx *ctx, const em_expr *pred);
em_op *em_op_project_create(em_task_ctx *ctx, int nexprs, em_expr *const *exprs);
/* LIMIT/OFFSET: offset rows skipped, then at most `limit` rows (limit < 0: none). */
em_op *em_op_limit_create(em_task_ctx *ctx, int64_t limit, int64_t offset);

/* ---- breakers ----------------------------------------------------------- */

typedef enum em_agg_mode {
    EM_AGG_MODE_COMPLETE, /* raw rows in, final values out */
    EM_AGG_MODE_PARTIAL,  /* raw rows in, keys + partial states out */
    EM_AGG_MODE_FINAL,    /* keys + partial states in, final values out */
    EM_AGG_MODE_MERGE,    /* keys + partial states in, merged states out (adaptive
                           * execution's split of a skewed FINAL partition) */
} em_agg_mode;

/* Hash aggregation. Input: raw rows (COMPLETE/PARTIAL: keys and aggregate
 * arguments are expressions over the input) or, for FINAL and MERGE, batches
 * laid out as [keys..., states of agg 0, states of agg 1, ...] (keys are then
 * columns 0..nkeys-1). Output: [keys..., one column per aggregate]
 * (COMPLETE/FINAL) or [keys..., states...] (PARTIAL/MERGE). With no keys,
 * exactly one row is produced even for empty input (COMPLETE/FINAL), as SQL
 * requires. */
em_op *em_op_hash_agg_create(em_task_ctx *ctx, em_agg_mode mode, int nkeys,
                             em_expr *const *keys, int naggs, const em_agg_call *aggs);

typedef struct em_sort_key {
    int column; /* input column */
    bool desc;
    bool nulls_first;
} em_sort_key;

/* Buffer everything, sort by keys (stable), emit. limit >= 0 keeps only the
 * first `limit` rows (top-N). */
em_op *em_op_sort_create(em_task_ctx *ctx, int nkeys, const em_sort_key *keys, int64_t limit);
/* Compare row ia of a with row ib of b on the keys (same layouts): <0, 0, >0. */
int em_sort_compare_rows(const em_batch *a, int64_t ia, const em_batch *b, int64_t ib, int nkeys,
                         const em_sort_key *keys);


/* ---- joins --------------------------------------------------------------- */

typedef enum em_join_kind {
    EM_JOIN_KIND_INNER,
    EM_JOIN_KIND_LEFT,  /* every left row; right columns NULL when unmatched */
    EM_JOIN_KIND_RIGHT, /* every right row; left columns NULL when unmatched */
    EM_JOIN_KIND_FULL,
    EM_JOIN_KIND_SEMI, /* left rows with a match (output: left columns only) */
    EM_JOIN_KIND_ANTI, /* left rows without a match (output: left columns only) */
    /* NOT IN: like ANTI, but SQL's NULL rules: when the right side has a row whose
     * key is NULL, no left row qualifies; a left row with a NULL key qualifies
     * only when the right side is empty. Single key only. */
    EM_JOIN_KIND_ANTI_NULL_AWARE,
} em_join_kind;

/* A join of a left and a right input on equal keys (nkeys may be 0: then every
 * pair is a candidate, i.e. a nested-loop / cross join) plus an optional
 * residual predicate. One input is the build side, read completely from
 * `build` before the first probe; the other is pushed through the operator.
 *   - Output columns are always [left columns..., right columns...]
 *     (SEMI/ANTI: left columns only), whichever side is built.
 *   - Keys compare with SQL equality: a NULL key never matches.
 *   - `residual` is evaluated over the combined row [left..., right...] (also for
 *     SEMI/ANTI) and a pair matches only when it is true.
 *   - Unmatched rows of a preserved side that is the build side (RIGHT/FULL with
 *     build_right, LEFT/FULL with !build_right) are emitted at finish.
 *   - SEMI/ANTI that build the left side emit the left rows at finish: those
 *     some right row matched (SEMI), or none did (ANTI).
 *   - ANTI_NULL_AWARE always builds the right side. */
typedef struct em_join_spec {
    em_join_kind kind;
    bool build_right;   /* which side `build` yields */
    int nkeys;
    const int *left_keys;  /* columns of the left input */
    const int *right_keys; /* columns of the right input */
    const em_expr *residual; /* or NULL */
    int left_ncols;
    const em_type *left_types;
    int right_ncols;
    const em_type *right_types;
} em_join_spec;

/* The build source is owned by the operator (destroyed with it). */
em_op *em_op_hash_join_create(em_task_ctx *ctx, const em_join_spec *spec, em_source *build);
/* Sort-merge join: the left input is pushed sorted on left_keys, `right` yields
 * the right input sorted on right_keys (both ASC, NULLs last); only the right
 * rows of the current key are held. build_right must be true; no
 * ANTI_NULL_AWARE. Takes ownership of `right`. */
em_op *em_op_merge_join_create(em_task_ctx *ctx, const em_join_spec *spec, em_source *right);

/* ---- window functions ------------------------------------------------------ */

typedef enum em_window_kind {
    EM_WINDOW_ROW_NUMBER,
    EM_WINDOW_RANK,
    EM_WINDOW_DENSE_RANK,
    EM_WINDOW_PERCENT_RANK,
    EM_WINDOW_CUME_DIST,
    EM_WINDOW_NTILE,       /* arg: the bucket count (a constant) */
    EM_WINDOW_LAG,         /* arg, offset (constant, default 1), default value (or NULL) */
    EM_WINDOW_LEAD,
    EM_WINDOW_FIRST_VALUE, /* over the frame */
    EM_WINDOW_LAST_VALUE,
    EM_WINDOW_NTH_VALUE,   /* offset: n (constant) */
    EM_WINDOW_AGG,         /* an aggregate (agg) over the frame */
} em_window_kind;

typedef enum em_frame_bound {
    EM_BOUND_UNBOUNDED_PRECEDING,
    EM_BOUND_PRECEDING, /* offset rows (ROWS) or value distance (RANGE) */
    EM_BOUND_CURRENT_ROW,
    EM_BOUND_FOLLOWING,
    EM_BOUND_UNBOUNDED_FOLLOWING,
} em_frame_bound;

/* A window frame. The SQL default (with ORDER BY) is RANGE BETWEEN UNBOUNDED
 * PRECEDING AND CURRENT ROW, where CURRENT ROW includes the row's peers; without
 * ORDER BY the whole partition. RANGE with offsets needs exactly one ORDER BY key
 * (numeric, DATE or TIMESTAMP); the offset is a constant of a compatible type. */
typedef struct em_window_frame {
    bool rows; /* ROWS (true) or RANGE (false) */
    em_frame_bound start, end;
    em_value start_offset, end_offset;
} em_window_frame;

typedef struct em_window_call {
    em_window_kind kind;
    em_agg_kind agg;      /* EM_WINDOW_AGG */
    bool distinct;        /* count(DISTINCT x) OVER (...) */
    const em_expr *arg;   /* over the input columns; NULL for row_number() / count(*) */
    int64_t offset;       /* LAG/LEAD offset, NTILE buckets, NTH_VALUE n */
    const em_expr *deflt; /* LAG/LEAD default (constant) or NULL */
    em_window_frame frame;
    em_type type; /* result type */
} em_window_call;

/* Buffers its whole input (which the planner has hash-partitioned on the
 * PARTITION BY columns, so a window partition never spans tasks), sorts it by
 * (partition columns, order keys) and emits the input columns followed by one
 * column per call. */
em_op *em_op_window_create(em_task_ctx *ctx, int npartition, const int *partition_cols, int norder,
                           const em_sort_key *order, int ncalls, const em_window_call *calls);

/* ---- unnest: splitting a string into rows ---------------------------------- */

/* What is split, and how. The string arrives as an expression over the input;
 * each kind follows the function users write:
 *   SPLIT            DuckDB's unnest(string_split(s, sep)): at each occurrence
 *                    of sep; '' splits into characters; a NULL sep leaves s whole.
 *   STRING_TO_ARRAY  PostgreSQL's unnest(string_to_array(s, sep [, null_string])):
 *                    as SPLIT, but '' has no elements, a NULL sep splits into
 *                    characters, '' leaves s whole, and elements equal to
 *                    null_string are NULL.
 *   REGEXP           regexp_split_to_table(s, pattern [, flags]) (PostgreSQL,
 *                    DuckDB), explode(split(s, pattern)) (Spark): at each match. */
typedef enum em_unnest_kind {
    EM_UNNEST_SPLIT,
    EM_UNNEST_STRING_TO_ARRAY,
    EM_UNNEST_REGEXP,
} em_unnest_kind;

typedef struct em_unnest_spec {
    em_unnest_kind kind;
    const em_expr *str;   /* VARCHAR, over the input */
    const em_expr *sep;   /* VARCHAR delimiter or pattern, over the input */
    const em_expr *extra; /* VARCHAR: STRING_TO_ARRAY's null string, REGEXP's flags; or NULL */
} em_unnest_spec;

/* For every input row, one output row per piece of the split string: the input
 * columns pass[0..npass) followed by the piece (VARCHAR). A NULL string gives
 * no rows (as an empty list does). */
em_op *em_op_unnest_create(em_task_ctx *ctx, const em_unnest_spec *spec, int npass,
                           const int *pass);
/* Check that a regular expression and its flags can be used for splitting;
 * the binder calls it on constant patterns so that errors carry a position. */
int em_unnest_check_pattern(const char *pattern, int32_t len, const char *flags, int32_t flags_len,
                            em_error *err) EM_MUST_CHECK;
/* EXPLAIN text: " string_split(s, ' ') keeping [a, b]", names for the input columns. */
void em_unnest_format(const em_unnest_spec *spec, int npass, const int *pass,
                      const char *const *names, em_strbuf *out);

/* ---- sinks ------------------------------------------------------------- */

/* Collect every batch into `out` (owned by the caller). */
em_op *em_op_collect_create(em_task_ctx *ctx, em_batch_list *out);

/* Write every batch to files (format.h: em_write_desc); at finish commit this
 * task's files and push one row (rows_written BIGINT, files BIGINT) into `out`. */
struct em_write_desc;
em_op *em_file_writer_create(em_task_ctx *ctx, const struct em_write_desc *d, em_batch_list *out);

/* ---- pipeline driver --------------------------------------------------- */

/* Drain `src` through `head` (then finish it). Honors ctx->cancel. */
int em_pipeline_run(em_task_ctx *ctx, em_source *src, em_op *head, em_error *err) EM_MUST_CHECK;
/* Destroy a chain of operators starting at head. */
void em_op_chain_destroy(em_op *head);

/* ---- sources ----------------------------------------------------------- */

/* Batches of a list (not owned; batches are handed out as shallow copies). */
em_source *em_source_list_create(const em_batch_list *list, int64_t first, int64_t count);
/* k-way merge of sorted runs (each a batch list sorted on keys). */
em_source *em_source_merge_create(int nruns, const em_batch_list *const *runs, int nkeys,
                                  const em_sort_key *keys);
/* k-way merge of sorted streams (e.g. spilled runs read back); takes ownership
 * of the sources. Stable: equal rows come out in stream order. */
em_source *em_source_merge_streams(int nruns, em_source **runs, int nkeys, const em_sort_key *keys);
/* The batches of a spill file, read back in order (the file stays owned by the caller). */
em_source *em_source_spill_create(em_spill_file *f);

#endif

/*
 * plan_serde.h — physical plan fragments and task descriptions to bytes and back.
 *
 * A task (one stage x one partition x one attempt) travels as a protobuf
 * TaskDescription (src/net/proto/plan.proto) carrying the stage's fragment tree,
 * where its output goes and which stages feed it. The receiving side rebuilds
 * the tree in an arena of its own:
 *   - in-memory tables are looked up by name through a callback;
 *   - scalar functions are resolved again by name and argument types through
 *     em_func_resolve, which returns the same overload the sender bound;
 *   - file scan descriptions are heap objects (em_scan_desc_create) and must be
 *     destroyed with em_plan_serde_release once the task is done with the tree.
 *
 * Decoding never trusts its input: malformed bytes, unknown enum values, child
 * counts that do not fit a node's kind, column indexes outside the input
 * schema and missing required fields are all EM_EINVAL errors whose message
 * starts with "malformed task description: ". Serialization is deterministic:
 * the same tree always gives the same bytes, so a rebuilt tree serializes to
 * exactly the bytes it was decoded from.
 */
#ifndef EM_PLAN_SERDE_H
#define EM_PLAN_SERDE_H

#include "common/common.h"
#include "exec/expr.h"
#include "sql/physical/physical.h"

/* The wire protocol this build speaks; a description of another version is rejected. */
#define EM_PLAN_PROTOCOL_VERSION 1

typedef struct em_task_desc {
    int stage_id; /* must equal stage->id */
    int partition;
    int attempt;
    const em_stage *stage;
} em_task_desc;

/* Resolve an in-memory table by name; NULL when there is none (the decoder then
 * fails with EM_ENOENT "table 'x' not found"). The returned pointer is stored in
 * the rebuilt SCAN_TABLE node as is and no reference is taken: the caller keeps
 * the table alive while the tree is in use (a running job already holds it). */
typedef em_table *(*em_table_lookup_fn)(void *ctx, const char *name);

/* Serialize a task: the stage (fragment tree, output exchange, parents) plus
 * partition and attempt. *buf is allocated with em_malloc (free with em_free). */
int em_task_desc_serialize(const em_task_desc *t, uint8_t **buf, size_t *len,
                           em_error *err) EM_MUST_CHECK;

/* Rebuild a task. Every node, expression, schema and string is allocated from
 * `arena`, except file scan descriptions (see em_plan_serde_release). On
 * success *stage_out is the rebuilt stage and out->stage points to it. On
 * failure nothing needs releasing (the arena may hold partial allocations,
 * which go with the arena). `lookup` may be NULL when the fragment has no
 * table scans. */
int em_task_desc_deserialize(const uint8_t *buf, size_t len, em_arena *arena,
                             em_table_lookup_fn lookup, void *lookup_ctx, em_task_desc *out,
                             em_stage **stage_out, em_error *err) EM_MUST_CHECK;

/* Destroy the scan descriptions of a stage rebuilt by em_task_desc_deserialize
 * or em_stage_dag_deserialize (their u.scan.desc becomes NULL). Only for trees
 * this module built: planner-made descriptions belong to the query context. */
void em_plan_serde_release(em_stage *stage);
void em_plan_serde_release_dag(em_stage_dag *dag);

/* A whole stage DAG (tests, debugging). Same rules as the task functions; the
 * rebuilt stages array is allocated from `arena`. */
int em_stage_dag_serialize(const em_stage_dag *dag, uint8_t **buf, size_t *len,
                           em_error *err) EM_MUST_CHECK;
int em_stage_dag_deserialize(const uint8_t *buf, size_t len, em_arena *arena,
                             em_table_lookup_fn lookup, void *lookup_ctx, em_stage_dag *out,
                             em_error *err) EM_MUST_CHECK;

/* One bound expression. On decoding, column references must be below `ncols`
 * (the width of the input schema; negative = not checked). */
int em_expr_serialize(const em_expr *e, uint8_t **buf, size_t *len, em_error *err) EM_MUST_CHECK;
int em_expr_deserialize(const uint8_t *buf, size_t len, em_arena *arena, int ncols, em_expr **out,
                        em_error *err) EM_MUST_CHECK;

#endif

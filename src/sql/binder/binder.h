/*
 * binder.h — from AST to logical plan: names resolved against the catalog and
 * the FROM clause, types checked and coerced, aggregates separated from the
 * expressions around them.
 *
 * Errors point into the SQL text: err->sql_pos is the 1-based position of the
 * offending name or expression, and unknown names come with the nearest
 * candidates ("did you mean ...").
 */
#ifndef EM_BINDER_H
#define EM_BINDER_H

#include "format/format.h"
#include "sql/catalog/catalog.h"
#include "sql/logical/logical.h"
#include "sql/parser/parser.h"

/* What the binder needs from the session, and what a bound query owns. */
typedef struct em_bind_ctx {
    em_arena *arena;      /* the statement's arena */
    em_catalog *catalog;
    em_threadpool *pool;  /* for file sniffing */
    int parallelism;      /* to size file splits */
    int64_t max_partition_bytes;
    /* Scan descriptions created while binding; destroyed with the statement. */
    int nscans;
    em_scan_desc **scans;
    /* In-memory tables referenced (a reference is held until the statement ends). */
    int ntables;
    em_table **tables;
    int view_depth;
    /* Runs an uncorrelated scalar subquery (planned by the binder) and returns
     * its single value, copied into the statement's arena. */
    int (*run_scalar)(void *run_ctx, em_lop *plan, em_value *out, em_error *err);
    void *run_ctx;
} em_bind_ctx;

void em_bind_ctx_release(em_bind_ctx *ctx);

/* Bind a SELECT (or VALUES / set operation) into a logical plan. */
int em_bind_query(em_bind_ctx *ctx, const em_ast *select, em_lop **out, em_error *err) EM_MUST_CHECK;

/* Cast the columns of `plan` to `schema`'s types by position, keeping names of
 * `schema` (INSERT and CREATE TABLE ... AS use it). */
int em_bind_coerce_to(em_bind_ctx *ctx, em_lop *plan, const em_schema *schema, em_lop **out,
                      em_error *err) EM_MUST_CHECK;

#endif

/*
 * logical.h — the logical plan: what a query computes, not how.
 *
 * A tree of relational operators, each with an output schema (names + types).
 * Expressions in a node refer to its child's output columns by position (for
 * a leaf, to the leaf's own columns). Nodes are allocated from the query's
 * arena; optimizer rules build new nodes rather than mutating shared ones.
 */
#ifndef EM_LOGICAL_H
#define EM_LOGICAL_H

#include "exec/exec.h"
#include "exec/expr.h"
#include "format/format.h"
#include "vector/vector.h"

typedef struct em_table em_table; /* catalog.h */

typedef enum em_lop_kind {
    EM_LOP_SCAN_FILE,  /* a file scan (CSV/JSON): u.scan */
    EM_LOP_SCAN_TABLE, /* an in-memory table: u.scan */
    EM_LOP_VALUES,     /* literal rows: u.values */
    EM_LOP_FILTER,     /* u.filter */
    EM_LOP_PROJECT,    /* u.project */
    EM_LOP_AGGREGATE,  /* u.agg */
    EM_LOP_SORT,       /* u.sort */
    EM_LOP_LIMIT,      /* u.limit */
    EM_LOP_UNION,      /* UNION ALL of children (same schema) */
    EM_LOP_JOIN,       /* u.join: children[0] left, children[1] right */
    EM_LOP_WINDOW,     /* u.window: input columns + one column per call */
    EM_LOP_UNNEST,     /* u.unnest: input columns pass[] + one row per piece of a string */
} em_lop_kind;

typedef struct em_lop em_lop;

struct em_lop {
    em_lop_kind kind;
    em_schema *schema; /* output schema (owned by the arena: see em_lop_set_schema) */
    int nchildren;
    em_lop **children;
    /* Estimated output rows (-1 unknown) for the planner. */
    double est_rows;
    union {
        struct {
            em_scan_desc *desc;  /* SCAN_FILE (owned by the query context) */
            em_table *table;     /* SCAN_TABLE */
            int ncols;           /* columns read, as indexes into the source schema */
            int *cols;
            int nfilters;        /* pushed-down predicates over the scan's OUTPUT columns */
            em_expr **filters;
        } scan;
        struct {
            int nrows;
            em_expr ***rows; /* rows[r][c] constant expressions */
        } values;
        struct {
            em_expr *pred;
        } filter;
        struct {
            int nexprs;
            em_expr **exprs;
        } project;
        struct {
            int nkeys;
            em_expr **keys;
            int naggs;
            em_agg_call *aggs;
        } agg; /* output: keys then aggregates */
        struct {
            int nkeys;
            em_sort_key *keys; /* over the child's columns */
        } sort;
        struct {
            int64_t limit; /* -1 = no limit */
            int64_t offset;
        } limit;
        struct {
            em_join_kind kind;
            em_expr *cond; /* over [left..., right...]; NULL = every pair (cross join) */
        } join; /* output: left then right columns (SEMI/ANTI: left only) */
        struct {
            int npartition;
            em_expr **partition; /* over the input */
            int norder;
            em_expr **order;     /* over the input */
            em_sort_key *order_dirs; /* desc/nulls_first per order expression (column unused) */
            int ncalls;
            em_window_call *calls; /* args over the input */
        } window;
        struct {
            em_unnest_spec spec; /* expressions over the input */
            int npass;
            int *pass; /* input columns passed through, in output order */
        } unnest; /* output: the pass columns, then the piece (VARCHAR) */
    } u;
};

em_lop *em_lop_new(em_arena *a, em_lop_kind kind, int nchildren);
/* A schema allocated in the arena, fields named and typed by the caller. */
em_schema *em_lop_schema(em_arena *a, int nfields);
/* EXPLAIN text of a plan tree, indented by depth. */
void em_lop_format(const em_lop *p, em_strbuf *out);
const char *em_lop_kind_name(em_lop_kind k);
const char *em_join_kind_name(em_join_kind k);

#endif

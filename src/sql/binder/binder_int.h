/* binder_int.h — state shared by the binder's files. */
#ifndef EM_BINDER_INT_H
#define EM_BINDER_INT_H

#include "sql/binder/binder.h"

/* One column visible to expressions: what its name is, which relation it came
 * from, and its position in the current input. */
typedef struct em__scope_col {
    const char *qualifier; /* alias or table name; NULL for derived columns */
    const char *name;
    em_type type;
} em__scope_col;

typedef struct em__scope {
    int ncols;
    em__scope_col *cols;
} em__scope;

/* CTEs visible while binding a query (innermost last). */
typedef struct em__cte_entry {
    const em_ast_cte *cte;
    struct em__cte_entry *outer;
} em__cte_entry;

/* Aggregation context: expressions above an AGGREGATE see group keys and
 * aggregate results instead of the FROM columns. */
typedef struct em__agg_ctx {
    const em__scope *from;  /* the scope below the aggregate */
    int nkeys;
    em_expr **keys;         /* bound over `from` */
    int naggs, cap_aggs;
    em_agg_call *aggs;      /* bound over `from` */
    const char *clause;     /* for messages: "WHERE", "GROUP BY", ... when aggs are banned */
} em__agg_ctx;

typedef struct em__binder {
    em_bind_ctx *ctx;
    em__cte_entry *ctes;
} em__binder;

/* Expression binding. `agg` is NULL for plain binding over `scope`; otherwise
 * aggregates are collected into it and non-aggregated columns must match keys. */
int em__bind_expr(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                  em_expr **out, em_error *err) EM_MUST_CHECK;
bool em__ast_has_agg(const em_ast *ast);
/* Coerce two bound expressions to a common type for comparison (string
 * literals adopt the other side's type). */
int em__coerce_pair(em__binder *b, em_expr **l, const em_ast *la, em_expr **r, const em_ast *ra,
                    em_error *err) EM_MUST_CHECK;
/* Default output name of a select item. */
const char *em__expr_name(em_arena *a, const em_ast *ast);

static inline int em__pos(const em_ast *ast)
{
    return ast && ast->location >= 0 ? ast->location + 1 : 0;
}

#endif

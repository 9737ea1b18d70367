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
    bool hidden; /* reachable only by qualified name and not part of *: the sides'
                    copies of a USING column, columns added for subqueries */
} em__scope_col;

typedef struct em__scope {
    int ncols;
    em__scope_col *cols;
    /* Columns [0, prefer) are an outer query's: a name is looked up in
     * [prefer, ncols) first (used for correlated join conditions). */
    int prefer;
} em__scope;

/* A subquery expression already planned as a join: its value is a column. */
typedef struct em__subst {
    const em_ast *ast;
    em_expr *expr;
    struct em__subst *next;
} em__subst;

/* The scopes of the queries enclosing the one being bound (innermost first). */
typedef struct em__outer {
    const em__scope *scope;
    struct em__outer *next;
} em__outer;

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

/* Window functions met while binding a select list: each call refers to a
 * window spec (PARTITION BY / ORDER BY); calls sharing a spec share one window
 * operator. A bound call is first referenced as column EM__WIN_BASE + k and
 * renumbered once the window operators' input width is known. */
#define EM__WIN_BASE (1 << 24)
typedef struct em__win_spec {
    int npart;
    em_expr **part;
    int norder;
    em_expr **order;
    em_sort_key *dirs;
} em__win_spec;
typedef struct em__win_ctx {
    int ncalls, cap;
    em_window_call *calls;
    int *spec_of;
    int nspecs, capspecs;
    em__win_spec *specs;
} em__win_ctx;

/* The set-returning function of a select list (unnest(string_split(...)),
 * regexp_split_to_table(...), explode(split(...))): at most one, bound over the
 * select list's input and first referenced as column EM__GEN_COL, renumbered
 * once the unnest node's place in the plan is known. */
#define EM__GEN_COL (1 << 23)
typedef struct em__gen_ctx {
    const em_ast *ast; /* the call; NULL until one is bound */
    em_unnest_spec spec;
} em__gen_ctx;

typedef struct em__binder {
    em_bind_ctx *ctx;
    em__cte_entry *ctes;
    em__outer *outer;  /* enclosing queries' scopes, for correlation */
    bool saw_outer;    /* set when a name resolved to an enclosing query */
    em__subst *subst;  /* subqueries replaced by columns */
    em__win_ctx *win;  /* where window functions may appear (NULL elsewhere) */
    em__gen_ctx *gen;  /* where a set-returning function may appear (NULL elsewhere) */
} em__binder;

/* Bind a query nested in an expression; *correlated tells whether it refers to
 * the enclosing query (whose scope is `outer`). */
int em__bind_subquery(em__binder *b, const em__scope *outer, const em_ast *query, em_lop **out,
                      bool *correlated, em_error *err) EM_MUST_CHECK;
/* Run an uncorrelated scalar subquery now and return its value as a constant. */
int em__scalar_subquery(em__binder *b, const em__scope *outer, const em_ast *ast, em_expr **out,
                        em_error *err) EM_MUST_CHECK;

/* Expression binding. `agg` is NULL for plain binding over `scope`; otherwise
 * aggregates are collected into it and non-aggregated columns must match keys. */
int em__bind_expr(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                  em_expr **out, em_error *err) EM_MUST_CHECK;
bool em__ast_has_agg(const em_ast *ast);
/* Coerce two bound expressions to a common type for comparison (string
 * literals adopt the other side's type). */
int em__coerce_pair(em__binder *b, em_expr **l, const em_ast *la, em_expr **r, const em_ast *ra,
                    em_error *err) EM_MUST_CHECK;
/* A call of the scalar function `name` with the casts its overload wants. */
int em__make_call(em__binder *b, const char *name, int nargs, em_expr **args, const em_ast *ast,
                  em_expr **out, em_error *err) EM_MUST_CHECK;
/* Bind a query (SELECT, VALUES or set operation) into a logical plan. */
int em__bind_query(em__binder *b, const em_ast *q, em_lop **out, em_error *err) EM_MUST_CHECK;
/* Default output name of a select item. */
const char *em__expr_name(em_arena *a, const em_ast *ast);

static inline int em__pos(const em_ast *ast)
{
    return ast && ast->location >= 0 ? ast->location + 1 : 0;
}

#endif

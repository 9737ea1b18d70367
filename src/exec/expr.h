/*
 * expr.h — bound expressions and their vectorized evaluation.
 *
 * A bound expression is a typed tree whose column references are positions in
 * the input batch. The binder builds them (resolving names, coercing types by
 * inserting CASTs, picking a function overload); the optimizer folds constant
 * subtrees; operators evaluate them over a whole batch at once.
 *
 * Expressions are plain data allocated from the plan's arena and never mutated
 * after binding, so one tree is shared by every task of a stage. Per-evaluation
 * scratch lives in the output vectors only.
 *
 * NULL semantics are SQL's: functions are strict unless the registry says
 * otherwise (AND/OR three-valued logic, IS [NOT] NULL, COALESCE, CASE, IS
 * DISTINCT FROM). Arithmetic overflow and division by zero are errors
 * (EM_EOVERFLOW, EM_EDIVZERO), never wrap-around or silent NULLs.
 */
#ifndef EM_EXPR_H
#define EM_EXPR_H

#include "common/common.h"
#include "vector/vector.h"

typedef enum em_expr_kind {
    EM_EXPR_COLUMN,   /* input column `column` */
    EM_EXPR_CONST,    /* `value` */
    EM_EXPR_CALL,     /* scalar function `func` over args */
    EM_EXPR_CAST,     /* args[0] cast to `type` (try_cast: NULL instead of an error) */
    EM_EXPR_CASE,     /* args: cond0, val0, cond1, val1, ..., else (always present) */
    EM_EXPR_AND,      /* n-ary, three-valued */
    EM_EXPR_OR,       /* n-ary, three-valued */
    EM_EXPR_NOT,
    EM_EXPR_IS_NULL,  /* negated: IS NOT NULL */
    EM_EXPR_IN_LIST,  /* args[0] IN (args[1..]); all args same type; negated: NOT IN */
    EM_EXPR_LIKE,     /* args[0] LIKE args[1]; negated; case_insensitive (ILIKE) */
    EM_EXPR_COALESCE, /* first non-NULL arg (lazy) */
} em_expr_kind;

typedef struct em_func em_func;
typedef struct em_expr em_expr;

struct em_expr {
    em_expr_kind kind;
    em_type type; /* result type */
    int column;   /* COLUMN */
    em_value value; /* CONST (strings owned by the plan arena) */
    const em_func *func; /* CALL */
    int nargs;
    em_expr **args;
    bool negated;
    bool case_insensitive;
    bool try_cast;
    char escape; /* LIKE escape character, 0 = none */
};

/* ---- construction (all from an arena) ---------------------------------- */

em_expr *em_expr_column(em_arena *a, int column, em_type type);
em_expr *em_expr_const(em_arena *a, em_value v); /* copies strings into a */
em_expr *em_expr_new(em_arena *a, em_expr_kind kind, em_type type, int nargs);
em_expr *em_expr_cast(em_arena *a, em_expr *arg, em_type to); /* no-op when equal */
em_expr *em_expr_copy(em_arena *a, const em_expr *e);
bool em_expr_is_const(const em_expr *e); /* a CONST node */
/* True when the tree has no column references (and no volatile function). */
bool em_expr_is_foldable(const em_expr *e);
bool em_expr_equal(const em_expr *a, const em_expr *b);
/* Bitmask helpers over column references (columns < 64 via mask, any via callback). */
typedef void (*em_expr_col_fn)(void *ctx, int column);
void em_expr_visit_columns(const em_expr *e, em_expr_col_fn fn, void *ctx);
/* Rewrite every column reference c to map[c] (map[c] < 0 is a programmer error). */
void em_expr_remap_columns(em_expr *e, const int *map);
/* Human-readable form for EXPLAIN; column names from `names` (may be NULL: #i). */
void em_expr_format(const em_expr *e, const char *const *names, em_strbuf *out);

/* ---- evaluation -------------------------------------------------------- */

/* Evaluate over every row of `in`; *out receives a new vector (or a new
 * reference to an input column) of e->type with in->nrows rows. */
int em_expr_eval(const em_expr *e, const em_batch *in, em_vector **out,
                 em_error *err) EM_MUST_CHECK;
/* Evaluate a predicate and return the selected row indexes (NULL and false are
 * dropped): sel must hold in->nrows entries; *nsel receives the count. */
int em_expr_select(const em_expr *e, const em_batch *in, int32_t *sel, int64_t *nsel,
                   em_error *err) EM_MUST_CHECK;
/* Evaluate an expression without column references to a single value (strings
 * copied into `a`). Used for constant folding and LIMIT/OFFSET. */
int em_expr_eval_const(const em_expr *e, em_arena *a, em_value *out, em_error *err) EM_MUST_CHECK;

/* ---- scalar function registry ----------------------------------------- */

/* A kernel computes a function over n rows of already-evaluated argument
 * vectors (each of the overload's declared argument type) into a new vector of
 * the result type. Strict functions are not called for NULL inputs row by row:
 * the kernel gets all rows and must leave NULL-input rows NULL — use the
 * helpers in expr_int.h. */
typedef int (*em_kernel_fn)(const em_expr *call, em_vector **args, int64_t n, em_vector **out,
                            em_error *err);

struct em_func {
    const char *name;    /* lower-case SQL name, or an operator: "+", "=", "||" */
    int nargs;           /* -1 = variadic (all of arg_types[0]) */
    em_type arg_types[4];
    em_type ret;
    em_kernel_fn kernel;
    bool volatile_;      /* current_timestamp, random: never folded */
};

/* Resolve `name` for the given argument types. On success *out is the chosen
 * overload and cast_to[i] is the type argument i must be cast to (the binder
 * inserts the casts; the result type may depend on argument types for DECIMAL,
 * which *ret receives). EM_EBIND with a message listing candidates when no
 * overload fits; EM_ENOENT when the function does not exist. */
int em_func_resolve(const char *name, int nargs, const em_type *arg_types, const em_func **out,
                    em_type *cast_to, em_type *ret, em_error *err) EM_MUST_CHECK;
bool em_func_exists(const char *name);
/* Names of all scalar functions (for "did you mean" hints); NULL-terminated. */
const char *const *em_func_names(void);

/* ---- aggregate function registry ------------------------------------- */

typedef enum em_agg_kind {
    EM_AGG_COUNT_STAR,
    EM_AGG_COUNT,
    EM_AGG_SUM,
    EM_AGG_AVG,
    EM_AGG_MIN,
    EM_AGG_MAX,
    EM_AGG_STDDEV_SAMP,           /* stddev, stddev_samp */
    EM_AGG_STDDEV_POP,
    EM_AGG_VAR_SAMP,              /* variance, var_samp */
    EM_AGG_VAR_POP,
    EM_AGG_APPROX_COUNT_DISTINCT, /* HyperLogLog */
    EM_AGG_PERCENTILE_CONT,       /* also median(x) and quantile_cont(x, f) */
    EM_AGG_PERCENTILE_DISC,       /* also quantile_disc(x, f) and quantile(x, f) */
    EM_AGG_CORR,                  /* corr(y, x): Pearson's correlation coefficient */
    EM_AGG_COVAR_POP,             /* covar_pop(y, x) */
    EM_AGG_COVAR_SAMP,            /* covar_samp(y, x) */
} em_agg_kind;

/* One aggregate call as bound: kind, argument expression (over the aggregate's
 * input), DISTINCT, FILTER predicate (NULL when none) and result type. */
typedef struct em_agg_call {
    em_agg_kind kind;
    em_expr *arg;    /* NULL for count(*); y of corr(y, x) */
    bool distinct;
    em_expr *filter; /* NULL when none */
    em_type type;    /* final result type */
    double fraction; /* PERCENTILE_CONT/DISC: the fraction in [0, 1] (median: 0.5) */
    bool desc;       /* PERCENTILE_CONT/DISC: WITHIN GROUP (ORDER BY x DESC) */
    em_expr *arg2;   /* CORR, COVAR_*: x of corr(y, x); NULL for every other aggregate */
} em_agg_call;

/* How an aggregate name takes its arguments. */
typedef enum em_agg_form {
    EM_AGG_FORM_PLAIN,        /* agg(x), count(*), median(x) */
    EM_AGG_FORM_FRACTION,     /* agg(x, fraction): quantile_cont, quantile_disc, quantile */
    EM_AGG_FORM_WITHIN_GROUP, /* agg(fraction) WITHIN GROUP (ORDER BY x): percentile_cont/disc */
    EM_AGG_FORM_PAIR,         /* agg(y, x): corr, covar_pop, covar_samp (both DOUBLE) */
} em_agg_form;

/* Resolve an aggregate by name over an argument type: kind and result type.
 * EM_ENOENT when `name` is not an aggregate. */
int em_agg_resolve(const char *name, bool star, em_type arg, em_agg_kind *kind, em_type *ret,
                   em_error *err) EM_MUST_CHECK;
bool em_agg_exists(const char *name);
const char *em_agg_name(em_agg_kind k);
/* The argument form of aggregate `name` (EM_AGG_FORM_PLAIN when unknown). */
em_agg_form em_agg_form_of(const char *name);
/* Holistic aggregates (percentiles) need every value of a group at once: they
 * have no partial state and run in one phase after a shuffle on the keys, as
 * DISTINCT aggregates do. */
bool em_agg_is_holistic(em_agg_kind k);
/* Types of the partial state columns an aggregate emits between its PARTIAL and
 * FINAL phases (1 to 6 columns); returns the count. */
#define EM_AGG_MAX_STATES 6
int em_agg_state_types(const em_agg_call *c, em_type *out /* [EM_AGG_MAX_STATES] */);

#endif

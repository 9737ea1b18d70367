/*
 * bind_expr.c — AST expressions to bound, typed expressions.
 *
 * Type coercion happens here and only here: function overloads come from the
 * registry (em_func_resolve) with the casts it asks for, comparisons find a
 * common type, and a string literal compared with a typed value takes that
 * value's type (WHERE d = '2024-01-01' compares dates, as in PostgreSQL).
 *
 * Inside an aggregation (agg != NULL), a subtree equal to a GROUP BY key becomes
 * a reference to that key, an aggregate call becomes a reference to its result,
 * and any other column is an error naming it.
 */
#include "sql/binder/binder_int.h"

#include <stdio.h>
#include <string.h>

static int bind(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                em_expr **out, em_error *err);

static em_arena *arena(em__binder *b)
{
    return b->ctx->arena;
}

bool em__ast_has_agg(const em_ast *ast)
{
    if (!ast) return false;
    switch (ast->kind) {
    case EM_AST_FUNC:
        if (!ast->u.func.over && em_agg_exists(ast->u.func.name)) return true;
        for (int i = 0; i < ast->u.func.args.n; i++)
            if (em__ast_has_agg(ast->u.func.args.items[i])) return true;
        return false;
    case EM_AST_BINARY:
    case EM_AST_IS_DISTINCT:
        return em__ast_has_agg(ast->u.binary.left) || em__ast_has_agg(ast->u.binary.right);
    case EM_AST_UNARY:
    case EM_AST_NOT:
        return em__ast_has_agg(ast->u.unary.arg);
    case EM_AST_AND:
    case EM_AST_OR:
        for (int i = 0; i < ast->u.bool_args.n; i++)
            if (em__ast_has_agg(ast->u.bool_args.items[i])) return true;
        return false;
    case EM_AST_IS_NULL:
    case EM_AST_IS_BOOL:
        return em__ast_has_agg(ast->u.test.arg);
    case EM_AST_CAST:
        return em__ast_has_agg(ast->u.cast.arg);
    case EM_AST_CASE:
        if (em__ast_has_agg(ast->u.case_.operand) || em__ast_has_agg(ast->u.case_.else_result))
            return true;
        for (int i = 0; i < ast->u.case_.whens.n; i++)
            if (em__ast_has_agg(ast->u.case_.whens.items[i]) ||
                em__ast_has_agg(ast->u.case_.thens.items[i]))
                return true;
        return false;
    case EM_AST_LIKE:
        return em__ast_has_agg(ast->u.like.arg) || em__ast_has_agg(ast->u.like.pattern);
    case EM_AST_IN_LIST:
        if (em__ast_has_agg(ast->u.in_list.arg)) return true;
        for (int i = 0; i < ast->u.in_list.list.n; i++)
            if (em__ast_has_agg(ast->u.in_list.list.items[i])) return true;
        return false;
    case EM_AST_BETWEEN:
        return em__ast_has_agg(ast->u.between.arg) || em__ast_has_agg(ast->u.between.low) ||
               em__ast_has_agg(ast->u.between.high);
    case EM_AST_EXTRACT:
        return em__ast_has_agg(ast->u.extract.arg);
    default:
        return false;
    }
}

const char *em__expr_name(em_arena *a, const em_ast *ast)
{
    switch (ast->kind) {
    case EM_AST_COLUMN:
        return ast->u.column.name;
    case EM_AST_FUNC:
        return ast->u.func.name;
    case EM_AST_CAST:
        return em__expr_name(a, ast->u.cast.arg);
    case EM_AST_CASE:
        return "case";
    case EM_AST_EXTRACT:
        return ast->u.extract.field;
    default:
        return "?column?";
    }
}

/* ---- column resolution --------------------------------------------------- */

static int column_not_found(em__binder *b, const em__scope *scope, const em_ast *ast,
                            em_error *err)
{
    const char *q = ast->u.column.qualifier, *name = ast->u.column.name;
    const char *best = NULL;
    int best_d = 1 << 30;
    bool qualifier_known = q == NULL;
    for (int i = 0; i < scope->ncols; i++) {
        const em__scope_col *c = &scope->cols[i];
        if (q && c->qualifier && em_str_ieq(q, c->qualifier)) qualifier_known = true;
        if (q && (!c->qualifier || !em_str_ieq(q, c->qualifier))) continue;
        int d = em_edit_distance(name, c->name);
        if (d < best_d) best_d = d, best = c->name;
    }
    char full[300];
    snprintf(full, sizeof full, "%s%s%s", q ? q : "", q ? "." : "", name);
    if (!qualifier_known)
        em_error_set_pos(err, EM_EBIND, em__pos(ast),
                         "column \"%s\" not found: no table or alias named \"%s\" in FROM", full, q);
    else if (best && best_d <= 2 + (int)strlen(name) / 3)
        em_error_set_pos(err, EM_EBIND, em__pos(ast),
                         "column \"%s\" not found; did you mean \"%s\"?", full, best);
    else {
        em_strbuf sb;
        em_strbuf_init(&sb);
        for (int i = 0; i < scope->ncols && i < 12; i++)
            em_strbuf_printf(&sb, "%s%s", i ? ", " : "", scope->cols[i].name);
        if (scope->ncols > 12) em_strbuf_puts(&sb, ", ...");
        em_error_set_pos(err, EM_EBIND, em__pos(ast),
                         "column \"%s\" not found; candidates: %s", full,
                         scope->ncols ? sb.data : "(none)");
        em_strbuf_release(&sb);
    }
    memcpy(err->sqlstate, "42703", 6);
    return EM_EBIND;
}

/* Find `name` in one scope: hidden columns only by qualified name, the
 * preferred range first. Returns the index, -1 when absent, -2 when ambiguous. */
static int lookup(const em__scope *scope, const char *q, const char *name, int from, int to)
{
    int found = -1;
    for (int i = from; i < to; i++) {
        const em__scope_col *c = &scope->cols[i];
        if (!em_str_ieq(c->name, name)) continue;
        if (q && (!c->qualifier || !em_str_ieq(q, c->qualifier))) continue;
        if (!q && c->hidden) continue;
        if (found >= 0) return -2;
        found = i;
    }
    return found;
}

static int resolve_column(em__binder *b, const em__scope *scope, const em_ast *ast, int *index,
                          em_error *err)
{
    const char *q = ast->u.column.qualifier, *name = ast->u.column.name;
    int found = lookup(scope, q, name, scope->prefer, scope->ncols);
    if (found == -1 && scope->prefer > 0) found = lookup(scope, q, name, 0, scope->prefer);
    if (found == -2)
        return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                "column reference \"%s\" is ambiguous", name);
    if (found < 0) {
        /* A column of an enclosing query: the caller re-binds the expression
         * as a correlated join condition; the index here is a placeholder. */
        for (em__outer *o = b->outer; o; o = o->next) {
            int i = lookup(o->scope, q, name, 0, o->scope->ncols);
            if (i >= 0) {
                b->saw_outer = true;
                *index = -1 - i;
                return 0;
            }
        }
        return column_not_found(b, scope, ast, err);
    }
    *index = found;
    return 0;
}

/* The type of the column resolve_column found (also for outer placeholders). */
static em_type resolved_type(em__binder *b, const em__scope *scope, const em_ast *ast, int idx)
{
    if (idx >= 0) return scope->cols[idx].type;
    for (em__outer *o = b->outer; o; o = o->next) {
        int i = lookup(o->scope, ast->u.column.qualifier, ast->u.column.name, 0, o->scope->ncols);
        if (i >= 0) return o->scope->cols[i].type;
    }
    return em_type_make(EM_TYPE_NULL);
}

/* ---- coercion ------------------------------------------------------------ */

static bool is_string_literal(const em_ast *ast)
{
    return ast && ast->kind == EM_AST_CONST && ast->u.constant.is_string_literal;
}

/* Cast a string literal's bound constant to `to` now, so a bad literal is an
 * error at its position rather than at run time. */
static int cast_literal(em__binder *b, em_expr **e, const em_ast *ast, em_type to, em_error *err)
{
    em_value v;
    if (em_value_cast(arena(b), (*e)->value, to, &v, err) < 0) {
        err->sql_pos = em__pos(ast);
        return err->code;
    }
    *e = em_expr_const(arena(b), v);
    return 0;
}

int em__coerce_pair(em__binder *b, em_expr **l, const em_ast *la, em_expr **r, const em_ast *ra,
                    em_error *err)
{
    em_type lt = (*l)->type, rt = (*r)->type;
    if (em_type_equal(lt, rt)) return 0;
    if (is_string_literal(la) && rt.id != EM_TYPE_VARCHAR && rt.id != EM_TYPE_NULL &&
        (*l)->kind == EM_EXPR_CONST)
        return cast_literal(b, l, la, rt, err);
    if (is_string_literal(ra) && lt.id != EM_TYPE_VARCHAR && lt.id != EM_TYPE_NULL &&
        (*r)->kind == EM_EXPR_CONST)
        return cast_literal(b, r, ra, lt, err);
    em_type common;
    if (!em_type_common(lt, rt, &common)) {
        char b1[64], b2[64];
        return em_error_set_pos(err, EM_ETYPE, em__pos(la ? la : ra),
                                "cannot compare %s with %s", em_type_name(lt, b1, sizeof b1),
                                em_type_name(rt, b2, sizeof b2));
    }
    *l = em_expr_cast(arena(b), *l, common);
    *r = em_expr_cast(arena(b), *r, common);
    return 0;
}

/* Coerce a list of expressions (CASE results, IN lists, VALUES columns) to one type. */
static int coerce_list(em__binder *b, int n, em_expr **items, const em_ast *const *asts,
                       em_type *out, em_error *err)
{
    em_type t = em_type_make(EM_TYPE_NULL);
    /* Typed, non-literal items decide first; string literals follow them. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            bool lit = asts && is_string_literal(asts[i]);
            if ((pass == 0) == lit) continue;
            if (lit && t.id != EM_TYPE_NULL) continue; /* adopts t below */
            em_type c;
            if (!em_type_common(t, items[i]->type, &c)) {
                char b1[64], b2[64];
                return em_error_set_pos(err, EM_ETYPE, asts ? em__pos(asts[i]) : 0,
                                        "types %s and %s cannot be matched",
                                        em_type_name(t, b1, sizeof b1),
                                        em_type_name(items[i]->type, b2, sizeof b2));
            }
            t = c;
        }
    }
    for (int i = 0; i < n; i++) {
        if (em_type_equal(items[i]->type, t)) continue;
        if (asts && is_string_literal(asts[i]) && items[i]->kind == EM_EXPR_CONST)
            EM_TRY(cast_literal(b, &items[i], asts[i], t, err));
        else
            items[i] = em_expr_cast(arena(b), items[i], t);
    }
    *out = t;
    return 0;
}

static int require_bool(em__binder *b, em_expr **e, const em_ast *ast, const char *what,
                        em_error *err)
{
    if ((*e)->type.id == EM_TYPE_BOOLEAN) return 0;
    if ((*e)->type.id == EM_TYPE_NULL) {
        *e = em_expr_cast(arena(b), *e, em_type_make(EM_TYPE_BOOLEAN));
        return 0;
    }
    char buf[64];
    return em_error_set_pos(err, EM_ETYPE, em__pos(ast), "argument of %s must be BOOLEAN, not %s",
                            what, em_type_name((*e)->type, buf, sizeof buf));
}

/* ---- function calls ------------------------------------------------------ */

int em__make_call(em__binder *b, const char *name, int nargs, em_expr **args, const em_ast *ast,
                  em_expr **out, em_error *err)
{
    em_type types[16] = {0}, cast_to[16] = {0}, ret = {0};
    if (nargs > 16)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "too many arguments to %s", name);
    for (int i = 0; i < nargs; i++) types[i] = args[i]->type;
    const em_func *f;
    if (em_func_resolve(name, nargs, types, &f, cast_to, &ret, err) < 0) {
        if (!err->sql_pos) err->sql_pos = em__pos(ast);
        return err->code;
    }
    em_expr *e = em_expr_new(arena(b), EM_EXPR_CALL, ret, nargs);
    e->func = f;
    for (int i = 0; i < nargs; i++) e->args[i] = em_expr_cast(arena(b), args[i], cast_to[i]);
    *out = e;
    return 0;
}

/* The fraction of a percentile: a constant number in [0, 1]. */
static int bind_fraction(em__binder *b, em__agg_ctx *agg, const em_ast *ast, const char *name,
                         double *out, em_error *err)
{
    em_expr *e;
    if (em__ast_has_agg(ast))
        return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                "aggregate function calls cannot be nested");
    EM_TRY(bind(b, agg->from, NULL, ast, &e, err));
    em_value v, d;
    if (!em_expr_is_foldable(e) || (!em_type_is_numeric(e->type) && e->type.id != EM_TYPE_NULL))
        return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                "the fraction of %s must be a constant number", name);
    if (em_expr_eval_const(e, arena(b), &v, err) < 0 ||
        em_value_cast(arena(b), v, em_type_make(EM_TYPE_DOUBLE), &d, err) < 0) {
        if (!err->sql_pos) err->sql_pos = em__pos(ast);
        return err->code;
    }
    if (d.is_null || !(d.v.f64 >= 0 && d.v.f64 <= 1)) {
        char buf[64] = "NULL";
        if (!d.is_null) em_format_double(d.v.f64, buf, sizeof(buf));
        return em_error_set_pos(err, EM_EINVAL, em__pos(ast),
                                "the fraction of %s must be between 0 and 1, not %s", name, buf);
    }
    *out = d.v.f64;
    return 0;
}

/* Bind an aggregate call (only valid with an aggregation context) and return
 * a reference to its result column. Percentiles take their value and fraction
 * in one of three forms: median(x), quantile_cont(x, f), and
 * percentile_cont(f) WITHIN GROUP (ORDER BY x [DESC]). */
static int bind_agg_call(em__binder *b, em__agg_ctx *agg, const em_ast *ast, em_expr **out,
                         em_error *err)
{
    const char *name = ast->u.func.name;
    if (!agg || agg->clause)
        return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                "aggregate function %s is not allowed in %s", name,
                                agg && agg->clause ? agg->clause : "this context");
    if (ast->u.func.over)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "window functions are not supported yet");
    em__agg_ctx inner = {.from = agg->from, .clause = "the argument of an aggregate"};
    em_agg_call call = {0};
    em_type arg_type = em_type_make(EM_TYPE_NULL);
    em_agg_form form = em_agg_form_of(name);
    const em_ast *frac = NULL, *second = NULL;
    if (ast->u.func.within_group && form != EM_AGG_FORM_WITHIN_GROUP)
        return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                "WITHIN GROUP is only allowed with percentile_cont and "
                                "percentile_disc, not %s",
                                name);
    if (!ast->u.func.within_group && form == EM_AGG_FORM_WITHIN_GROUP)
        return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                "%s needs WITHIN GROUP (ORDER BY ...): %s(0.5) WITHIN GROUP "
                                "(ORDER BY x)",
                                name, name);
    if (!ast->u.func.star) {
        const em_ast *a;
        if (form == EM_AGG_FORM_WITHIN_GROUP) {
            if (ast->u.func.args.n != 1 || ast->u.func.norder != 1)
                return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                        "%s takes one fraction and WITHIN GROUP (ORDER BY one "
                                        "expression)",
                                        name);
            frac = ast->u.func.args.items[0];
            a = ast->u.func.order_by[0].expr;
            call.desc = ast->u.func.order_by[0].desc;
        } else if (form == EM_AGG_FORM_FRACTION) {
            if (ast->u.func.args.n != 2)
                return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                        "%s takes exactly two arguments (a value and a fraction)",
                                        name);
            a = ast->u.func.args.items[0];
            frac = ast->u.func.args.items[1];
        } else if (form == EM_AGG_FORM_PAIR) {
            if (ast->u.func.args.n != 2)
                return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                        "%s takes exactly two arguments: %s(y, x)", name, name);
            a = ast->u.func.args.items[0];
            second = ast->u.func.args.items[1];
            if (em__ast_has_agg(second))
                return em_error_set_pos(err, EM_EBIND, em__pos(second),
                                        "aggregate function calls cannot be nested");
            EM_TRY(bind(b, agg->from, NULL, second, &call.arg2, err));
        } else {
            if (ast->u.func.args.n != 1)
                return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                        "%s takes exactly one argument", name);
            a = ast->u.func.args.items[0];
        }
        if (em__ast_has_agg(a))
            return em_error_set_pos(err, EM_EBIND, em__pos(a),
                                    "aggregate function calls cannot be nested");
        EM_TRY(bind(b, agg->from, NULL, a, &call.arg, err));
        arg_type = call.arg->type;
        EM_UNUSED(inner);
    }
    if (em_agg_resolve(name, ast->u.func.star, arg_type, &call.kind, &call.type, err) < 0 ||
        (call.arg2 != NULL &&
         em_agg_resolve(name, false, call.arg2->type, &call.kind, &call.type, err) < 0)) {
        if (!err->sql_pos) err->sql_pos = em__pos(ast);
        return err->code;
    }
    if (call.arg2 != NULL) {
        /* corr(y, x) and the covariances compute in DOUBLE, as in DuckDB and PostgreSQL. */
        if (ast->u.func.distinct)
            return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                    "%s(DISTINCT ...) is not supported", name);
        arg_type = em_type_make(EM_TYPE_DOUBLE);
        call.arg2 = em_expr_cast(arena(b), call.arg2, arg_type);
    }
    if (em_agg_is_holistic(call.kind)) {
        call.fraction = 0.5; /* median */
        if (frac != NULL) EM_TRY(bind_fraction(b, agg, frac, name, &call.fraction, err));
    }
    call.distinct = ast->u.func.distinct;
    /* DISTINCT changes nothing for these (a sketch ignores repeats by nature). */
    if (call.kind == EM_AGG_MIN || call.kind == EM_AGG_MAX ||
        call.kind == EM_AGG_APPROX_COUNT_DISTINCT)
        call.distinct = false;
    if (call.arg && !em_type_equal(call.arg->type, arg_type))
        call.arg = em_expr_cast(arena(b), call.arg, arg_type);
    if (ast->u.func.filter) {
        EM_TRY(bind(b, agg->from, NULL, ast->u.func.filter, &call.filter, err));
        EM_TRY(require_bool(b, &call.filter, ast->u.func.filter, "FILTER", err));
    }
    /* Reuse an identical aggregate: SELECT sum(x), sum(x) / count(*) computes sum once. */
    int idx = -1;
    for (int i = 0; i < agg->naggs && idx < 0; i++) {
        em_agg_call *c = &agg->aggs[i];
        if (c->kind == call.kind && c->distinct == call.distinct &&
            c->fraction == call.fraction && c->desc == call.desc &&
            ((!c->arg && !call.arg) || (c->arg && call.arg && em_expr_equal(c->arg, call.arg))) &&
            ((!c->arg2 && !call.arg2) ||
             (c->arg2 && call.arg2 && em_expr_equal(c->arg2, call.arg2))) &&
            ((!c->filter && !call.filter) ||
             (c->filter && call.filter && em_expr_equal(c->filter, call.filter))))
            idx = i;
    }
    if (idx < 0) {
        if (agg->naggs == agg->cap_aggs) {
            int ncap = agg->cap_aggs ? agg->cap_aggs * 2 : 8;
            em_agg_call *n = em_arena_alloc(arena(b), sizeof(em_agg_call) * (size_t)ncap);
            if (agg->naggs) memcpy(n, agg->aggs, sizeof(em_agg_call) * (size_t)agg->naggs);
            agg->aggs = n;
            agg->cap_aggs = ncap;
        }
        idx = agg->naggs++;
        agg->aggs[idx] = call;
    }
    *out = em_expr_column(arena(b), agg->nkeys + idx, call.type);
    return 0;
}

static int bind_args(em__binder *b, const em__scope *scope, em__agg_ctx *agg,
                     const em_ast_list *list, em_expr **out, em_error *err)
{
    for (int i = 0; i < list->n; i++) EM_TRY(bind(b, scope, agg, list->items[i], &out[i], err));
    return 0;
}

static int bind_window(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                       em_expr **out, em_error *err);
static bool ast_has_window(const em_ast *ast);

/* ---- set-returning functions ---------------------------------------------- */

/* Functions that turn one row into many: unnest(list) (DuckDB, PostgreSQL),
 * explode(list) (Spark), regexp_split_to_table(s, pattern). */
static bool is_srf(const char *name)
{
    return strcmp(name, "unnest") == 0 || strcmp(name, "explode") == 0 ||
           strcmp(name, "regexp_split_to_table") == 0;
}

/* Functions that make a list from a string, which ember has only as the
 * argument of unnest or explode: how each splits, and its argument counts. */
static const struct {
    const char *name;
    em_unnest_kind kind;
    int min_args, max_args;
} list_funcs[] = {
    {"string_split", EM_UNNEST_SPLIT, 2, 2},         /* DuckDB */
    {"str_split", EM_UNNEST_SPLIT, 2, 2},            /* DuckDB */
    {"string_to_array", EM_UNNEST_STRING_TO_ARRAY, 2, 3}, /* PostgreSQL */
    {"regexp_split_to_array", EM_UNNEST_REGEXP, 2, 3}, /* PostgreSQL, DuckDB */
    {"string_split_regex", EM_UNNEST_REGEXP, 2, 3},  /* DuckDB */
    {"str_split_regex", EM_UNNEST_REGEXP, 2, 3},     /* DuckDB */
    {"split", EM_UNNEST_REGEXP, 2, 2}, /* Spark: a regular expression; DuckDB: string_split */
};

static int list_func(const char *name)
{
    for (int i = 0; i < (int)EM_ARRAY_LEN(list_funcs); i++)
        if (strcmp(list_funcs[i].name, name) == 0) return i;
    return -1;
}

static bool ast_has_srf(const em_ast *ast);

static bool list_has_srf(const em_ast_list *l)
{
    for (int i = 0; i < l->n; i++)
        if (ast_has_srf(l->items[i])) return true;
    return false;
}

/* Whether an expression calls a set-returning function (outside subqueries). */
static bool ast_has_srf(const em_ast *ast)
{
    if (!ast) return false;
    switch (ast->kind) {
    case EM_AST_FUNC:
        return is_srf(ast->u.func.name) || list_has_srf(&ast->u.func.args);
    case EM_AST_BINARY:
    case EM_AST_IS_DISTINCT:
        return ast_has_srf(ast->u.binary.left) || ast_has_srf(ast->u.binary.right);
    case EM_AST_UNARY:
    case EM_AST_NOT:
        return ast_has_srf(ast->u.unary.arg);
    case EM_AST_AND:
    case EM_AST_OR:
        return list_has_srf(&ast->u.bool_args);
    case EM_AST_IS_NULL:
    case EM_AST_IS_BOOL:
        return ast_has_srf(ast->u.test.arg);
    case EM_AST_CAST:
        return ast_has_srf(ast->u.cast.arg);
    case EM_AST_CASE:
        return ast_has_srf(ast->u.case_.operand) || ast_has_srf(ast->u.case_.else_result) ||
               list_has_srf(&ast->u.case_.whens) || list_has_srf(&ast->u.case_.thens);
    case EM_AST_LIKE:
        return ast_has_srf(ast->u.like.arg) || ast_has_srf(ast->u.like.pattern);
    case EM_AST_IN_LIST:
        return ast_has_srf(ast->u.in_list.arg) || list_has_srf(&ast->u.in_list.list);
    case EM_AST_BETWEEN:
        return ast_has_srf(ast->u.between.arg) || ast_has_srf(ast->u.between.low) ||
               ast_has_srf(ast->u.between.high);
    case EM_AST_EXTRACT:
        return ast_has_srf(ast->u.extract.arg);
    default:
        return false;
    }
}

/* unnest(string_split(s, sep)) and its relatives. ember has no list type: the
 * pair is bound as one unnest node below the select list, and the call becomes
 * a reference to the node's piece column (EM__GEN_COL until placed). */
static int bind_unnest(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                       em_expr **out, em_error *err)
{
    const char *name = ast->u.func.name;
    int lf = list_func(name);
    if (lf >= 0)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "%s returns a list, and ember has no list type yet: it can only "
                                "be unnested in a select list, as in SELECT unnest(%s(...))",
                                name, name);
    if (ast->u.func.star || ast->u.func.distinct || ast->u.func.filter || ast->u.func.over ||
        ast->u.func.norder)
        return em_error_set_pos(err, EM_EBIND, em__pos(ast), "%s takes plain arguments", name);
    em__gen_ctx *g = b->gen;
    if (g == NULL)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "set-returning function %s is only supported in a select list, "
                                "outside the arguments of aggregate and window functions",
                                name);
    if (g->ast != NULL)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "only one set-returning function per select list is supported");
    const em_ast *call = ast; /* the call whose arguments are the string and the delimiter */
    em_unnest_kind kind = EM_UNNEST_REGEXP;
    int min_args = 2, max_args = 3;
    const char *fname = name;
    if (strcmp(name, "regexp_split_to_table") != 0) {
        if (ast->u.func.args.n != 1)
            return em_error_set_pos(err, EM_EBIND, em__pos(ast), "%s takes one argument", name);
        call = ast->u.func.args.items[0];
        lf = call->kind == EM_AST_FUNC ? list_func(call->u.func.name) : -1;
        if (lf < 0)
            return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(call),
                                    "%s needs a list, and ember has no list type yet: it can "
                                    "only unnest a string split into one, as in %s(string_split(s, "
                                    "' ')), string_to_array(s, ' '), regexp_split_to_array(s, "
                                    "'\\s+') or split(s, ' ')",
                                    name, name);
        kind = list_funcs[lf].kind;
        /* split is Spark's (a pattern) under explode, DuckDB's (a string) under unnest. */
        if (strcmp(list_funcs[lf].name, "split") == 0 && strcmp(name, "unnest") == 0)
            kind = EM_UNNEST_SPLIT;
        min_args = list_funcs[lf].min_args;
        max_args = list_funcs[lf].max_args;
        fname = list_funcs[lf].name;
    }
    int n = call->u.func.args.n;
    if (n < min_args || n > max_args) {
        if (min_args == max_args)
            return em_error_set_pos(err, EM_EBIND, em__pos(call), "%s takes %d arguments", fname,
                                    min_args);
        return em_error_set_pos(err, EM_EBIND, em__pos(call), "%s takes %d or %d arguments", fname,
                                min_args, max_args);
    }
    em_expr *args[3] = {NULL, NULL, NULL};
    b->gen = NULL; /* no set-returning function inside the arguments */
    for (int i = 0; i < n; i++) {
        const em_ast *a = call->u.func.args.items[i];
        int rc = bind(b, scope, agg, a, &args[i], err);
        if (rc < 0) {
            b->gen = g;
            return rc;
        }
        if (args[i]->type.id == EM_TYPE_NULL) {
            args[i] = em_expr_cast(arena(b), args[i], em_type_make(EM_TYPE_VARCHAR));
        } else if (args[i]->type.id != EM_TYPE_VARCHAR) {
            char tb[32];
            b->gen = g;
            return em_error_set_pos(err, EM_ETYPE, em__pos(a),
                                    "%s expects VARCHAR arguments, not %s", fname,
                                    em_type_name(args[i]->type, tb, sizeof(tb)));
        }
    }
    b->gen = g;
    if (kind == EM_UNNEST_REGEXP && em_expr_is_foldable(args[1]) &&
        (args[2] == NULL || em_expr_is_foldable(args[2]))) {
        /* A constant pattern is checked now, so that a bad one is reported with its place. */
        em_value pv, fv = em_value_varchar("", 0);
        EM_TRY(em_expr_eval_const(args[1], arena(b), &pv, err));
        if (args[2] != NULL) EM_TRY(em_expr_eval_const(args[2], arena(b), &fv, err));
        if (!pv.is_null && !fv.is_null) {
            /* The flags alone first, so that each error points at its own argument. */
            if (em_unnest_check_pattern("", 0, fv.v.str.ptr, fv.v.str.len, err) < 0) {
                err->sql_pos = em__pos(call->u.func.args.items[2]);
                return err->code;
            }
            if (em_unnest_check_pattern(pv.v.str.ptr, pv.v.str.len, fv.v.str.ptr, fv.v.str.len,
                                        err) < 0) {
                err->sql_pos = em__pos(call->u.func.args.items[1]);
                return err->code;
            }
        }
    }
    g->ast = ast;
    g->spec.kind = kind;
    g->spec.str = args[0];
    g->spec.sep = args[1];
    g->spec.extra = args[2];
    *out = em_expr_column(arena(b), EM__GEN_COL, em_type_make(EM_TYPE_VARCHAR));
    return 0;
}

static int bind_func(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                     em_expr **out, em_error *err)
{
    const char *name = ast->u.func.name;
    if (is_srf(name) || list_func(name) >= 0) return bind_unnest(b, scope, agg, ast, out, err);
    if (ast->u.func.over || em_agg_exists(name)) {
        /* No set-returning function inside an aggregate or a window function. */
        em__gen_ctx *g = b->gen;
        b->gen = NULL;
        int rc = ast->u.func.over ? bind_window(b, scope, agg, ast, out, err)
                                  : bind_agg_call(b, agg, ast, out, err);
        b->gen = g;
        return rc;
    }
    if (ast->u.func.star || ast->u.func.distinct)
        return em_error_set_pos(err, EM_EBIND, em__pos(ast), "%s is not an aggregate function",
                                name);
    int n = ast->u.func.args.n;
    em_expr **args = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n ? n : 1));
    EM_TRY(bind_args(b, scope, agg, &ast->u.func.args, args, err));

    if (strcmp(name, "coalesce") == 0 || strcmp(name, "ifnull") == 0) {
        if (n == 0)
            return em_error_set_pos(err, EM_EBIND, em__pos(ast), "coalesce needs arguments");
        em_type t;
        EM_TRY(coerce_list(b, n, args, (const em_ast *const *)ast->u.func.args.items, &t, err));
        em_expr *e = em_expr_new(arena(b), EM_EXPR_COALESCE, t, n);
        memcpy(e->args, args, sizeof(em_expr *) * (size_t)n);
        *out = e;
        return 0;
    }
    /* Date-part names are written as bare words in some dialects (date_trunc(day, x)
     * is not valid SQL, but 'day' is); nothing to do here: they arrive as literals. */
    if (!em_func_exists(name)) {
        const char *const *names = em_func_names();
        const char *best = NULL;
        int best_d = 3;
        for (int i = 0; names && names[i]; i++) {
            int d = em_edit_distance(name, names[i]);
            if (d < best_d) best_d = d, best = names[i];
        }
        if (best)
            return em_error_set_pos(err, EM_ENOENT, em__pos(ast),
                                    "function %s does not exist; did you mean %s?", name, best);
        return em_error_set_pos(err, EM_ENOENT, em__pos(ast), "function %s does not exist", name);
    }
    /* String literals passed to date/time functions adopt the type the overload
     * wants, e.g. year('2024-01-02'). Resolution decides; literals stay VARCHAR. */
    return em__make_call(b, name, n, args, ast, out, err);
}


/* ---- window functions ------------------------------------------------------ */

static bool ast_has_window(const em_ast *ast);

static int frame_offset(em__binder *b, const em_ast *e, em_value *out, em_error *err)
{
    em__scope none = {0};
    em_expr *x;
    EM_TRY(bind(b, &none, NULL, e, &x, err));
    if (!em_expr_is_foldable(x))
        return em_error_set_pos(err, EM_EINVAL, em__pos(e), "a frame offset must be a constant");
    EM_TRY(em_expr_eval_const(x, arena(b), out, err));
    if (out->is_null)
        return em_error_set_pos(err, EM_EINVAL, em__pos(e), "a frame offset cannot be NULL");
    return 0;
}

static em_frame_bound frame_bound(em_frame_bound_kind k)
{
    switch (k) {
    case EM_FRAME_UNBOUNDED_PRECEDING:
        return EM_BOUND_UNBOUNDED_PRECEDING;
    case EM_FRAME_PRECEDING:
        return EM_BOUND_PRECEDING;
    case EM_FRAME_CURRENT_ROW:
        return EM_BOUND_CURRENT_ROW;
    case EM_FRAME_FOLLOWING:
        return EM_BOUND_FOLLOWING;
    default:
        return EM_BOUND_UNBOUNDED_FOLLOWING;
    }
}

static int const_int_arg(em__binder *b, const em_ast *e, int64_t *out, em_error *err)
{
    em_value v;
    EM_TRY(frame_offset(b, e, &v, err));
    if (!em_type_is_integral(v.type))
        return em_error_set_pos(err, EM_ETYPE, em__pos(e), "expected an integer constant");
    *out = v.type.id == EM_TYPE_INTEGER ? v.v.i32 : v.v.i64;
    return 0;
}

static int bind_window(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                       em_expr **out, em_error *err)
{
    const char *name = ast->u.func.name;
    em__win_ctx *w = b->win;
    if (!w)
        return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                "window functions are not allowed here (only in the select list "
                                "and ORDER BY)");
    const em_ast_window *ov = ast->u.func.over;
    em_window_call call = {0};
    int nargs = ast->u.func.args.n;
    static const struct {
        const char *name;
        em_window_kind kind;
        int args;
    } ranking[] = {{"row_number", EM_WINDOW_ROW_NUMBER, 0}, {"rank", EM_WINDOW_RANK, 0},
                   {"dense_rank", EM_WINDOW_DENSE_RANK, 0}, {"percent_rank", EM_WINDOW_PERCENT_RANK, 0},
                   {"cume_dist", EM_WINDOW_CUME_DIST, 0},    {"ntile", EM_WINDOW_NTILE, 1},
                   {"lag", EM_WINDOW_LAG, -1},               {"lead", EM_WINDOW_LEAD, -1},
                   {"first_value", EM_WINDOW_FIRST_VALUE, 1}, {"last_value", EM_WINDOW_LAST_VALUE, 1},
                   {"nth_value", EM_WINDOW_NTH_VALUE, 2}};
    int found = -1;
    for (size_t i = 0; i < EM_ARRAY_LEN(ranking); i++)
        if (strcmp(ranking[i].name, name) == 0) found = (int)i;
    if (found >= 0) {
        call.kind = ranking[found].kind;
        int want = ranking[found].args;
        if (want >= 0 && nargs != want)
            return em_error_set_pos(err, EM_EBIND, em__pos(ast), "%s takes %d argument%s", name,
                                    want, want == 1 ? "" : "s");
        switch (call.kind) {
        case EM_WINDOW_NTILE:
            EM_TRY(const_int_arg(b, ast->u.func.args.items[0], &call.offset, err));
            if (call.offset <= 0)
                return em_error_set_pos(err, EM_EINVAL, em__pos(ast),
                                        "ntile needs a positive bucket count");
            call.type = em_type_make(EM_TYPE_BIGINT);
            break;
        case EM_WINDOW_LAG:
        case EM_WINDOW_LEAD: {
            if (nargs < 1 || nargs > 3)
                return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                        "%s takes 1 to 3 arguments", name);
            em_expr *arg;
            EM_TRY(bind(b, scope, agg, ast->u.func.args.items[0], &arg, err));
            call.arg = arg;
            call.type = arg->type;
            call.offset = 1;
            if (nargs >= 2) EM_TRY(const_int_arg(b, ast->u.func.args.items[1], &call.offset, err));
            if (nargs == 3) {
                em_value v;
                EM_TRY(frame_offset(b, ast->u.func.args.items[2], &v, err));
                em_value cv;
                EM_TRY(em_value_cast(arena(b), v, call.type, &cv, err));
                call.deflt = em_expr_const(arena(b), cv);
            }
            break;
        }
        case EM_WINDOW_FIRST_VALUE:
        case EM_WINDOW_LAST_VALUE:
        case EM_WINDOW_NTH_VALUE: {
            em_expr *arg;
            EM_TRY(bind(b, scope, agg, ast->u.func.args.items[0], &arg, err));
            call.arg = arg;
            call.type = arg->type;
            if (call.kind == EM_WINDOW_NTH_VALUE) {
                EM_TRY(const_int_arg(b, ast->u.func.args.items[1], &call.offset, err));
                if (call.offset <= 0)
                    return em_error_set_pos(err, EM_EINVAL, em__pos(ast),
                                            "nth_value needs a positive position");
            }
            break;
        }
        case EM_WINDOW_PERCENT_RANK:
        case EM_WINDOW_CUME_DIST:
            call.type = em_type_make(EM_TYPE_DOUBLE);
            break;
        default:
            call.type = em_type_make(EM_TYPE_BIGINT);
        }
    } else if (em_agg_form_of(name) == EM_AGG_FORM_PAIR) {
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "%s is not supported as a window function yet", name);
    } else if (em_agg_exists(name)) {
        call.kind = EM_WINDOW_AGG;
        em_type at = em_type_make(EM_TYPE_NULL);
        if (!ast->u.func.star) {
            if (nargs != 1)
                return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                        "%s takes exactly one argument", name);
            em_expr *arg;
            EM_TRY(bind(b, scope, agg, ast->u.func.args.items[0], &arg, err));
            call.arg = arg;
            at = arg->type;
        }
        if (em_agg_resolve(name, ast->u.func.star, at, &call.agg, &call.type, err) < 0) {
            if (!err->sql_pos) err->sql_pos = em__pos(ast);
            return err->code;
        }
        call.distinct = ast->u.func.distinct;
    } else {
        return em_error_set_pos(err, EM_ENOENT, em__pos(ast), "window function %s does not exist",
                                name);
    }

    /* The window spec. */
    em__win_spec spec = {0};
    spec.npart = ov->partition_by.n;
    spec.part = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(spec.npart + 1));
    for (int i = 0; i < spec.npart; i++)
        EM_TRY(bind(b, scope, agg, ov->partition_by.items[i], &spec.part[i], err));
    spec.norder = ov->norder;
    spec.order = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(spec.norder + 1));
    spec.dirs = em_arena_calloc(arena(b), sizeof(em_sort_key) * (size_t)(spec.norder + 1));
    for (int i = 0; i < spec.norder; i++) {
        EM_TRY(bind(b, scope, agg, ov->order_by[i].expr, &spec.order[i], err));
        spec.dirs[i].desc = ov->order_by[i].desc;
        int nf = ov->order_by[i].nulls_first;
        spec.dirs[i].nulls_first = nf < 0 ? ov->order_by[i].desc : nf == 1;
    }
    /* The frame: SQL's default unless written. */
    em_window_frame *f = &call.frame;
    if (ov->has_frame) {
        f->rows = ov->frame_rows;
        f->start = frame_bound(ov->start_kind);
        f->end = frame_bound(ov->end_kind);
        if (ov->start_offset) EM_TRY(frame_offset(b, ov->start_offset, &f->start_offset, err));
        if (ov->end_offset) EM_TRY(frame_offset(b, ov->end_offset, &f->end_offset, err));
        if (!f->rows && (ov->start_offset || ov->end_offset) && spec.norder != 1)
            return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                    "RANGE with an offset needs exactly one ORDER BY column");
    } else {
        f->rows = false;
        f->start = EM_BOUND_UNBOUNDED_PRECEDING;
        f->end = spec.norder ? EM_BOUND_CURRENT_ROW : EM_BOUND_UNBOUNDED_FOLLOWING;
    }

    int si = -1;
    for (int i = 0; i < w->nspecs && si < 0; i++) {
        em__win_spec *o = &w->specs[i];
        bool same = o->npart == spec.npart && o->norder == spec.norder;
        for (int k = 0; same && k < spec.npart; k++) same = em_expr_equal(o->part[k], spec.part[k]);
        for (int k = 0; same && k < spec.norder; k++)
            same = em_expr_equal(o->order[k], spec.order[k]) &&
                   o->dirs[k].desc == spec.dirs[k].desc &&
                   o->dirs[k].nulls_first == spec.dirs[k].nulls_first;
        if (same) si = i;
    }
    if (si < 0) {
        if (w->nspecs == w->capspecs) {
            int ncap = w->capspecs ? w->capspecs * 2 : 4;
            em__win_spec *n = em_arena_alloc(arena(b), sizeof(em__win_spec) * (size_t)ncap);
            if (w->nspecs) memcpy(n, w->specs, sizeof(em__win_spec) * (size_t)w->nspecs);
            w->specs = n;
            w->capspecs = ncap;
        }
        si = w->nspecs++;
        w->specs[si] = spec;
    }
    if (w->ncalls == w->cap) {
        int ncap = w->cap ? w->cap * 2 : 8;
        em_window_call *n = em_arena_alloc(arena(b), sizeof(em_window_call) * (size_t)ncap);
        int *sn = em_arena_alloc(arena(b), sizeof(int) * (size_t)ncap);
        if (w->ncalls) {
            memcpy(n, w->calls, sizeof(em_window_call) * (size_t)w->ncalls);
            memcpy(sn, w->spec_of, sizeof(int) * (size_t)w->ncalls);
        }
        w->calls = n;
        w->spec_of = sn;
        w->cap = ncap;
    }
    w->calls[w->ncalls] = call;
    w->spec_of[w->ncalls] = si;
    *out = em_expr_column(arena(b), EM__WIN_BASE + w->ncalls, call.type);
    w->ncalls++;
    return 0;
}

static bool ast_has_window(const em_ast *ast)
{
    if (!ast) return false;
    switch (ast->kind) {
    case EM_AST_FUNC:
        if (ast->u.func.over) return true;
        for (int i = 0; i < ast->u.func.args.n; i++)
            if (ast_has_window(ast->u.func.args.items[i])) return true;
        return false;
    case EM_AST_BINARY:
    case EM_AST_IS_DISTINCT:
        return ast_has_window(ast->u.binary.left) || ast_has_window(ast->u.binary.right);
    case EM_AST_UNARY:
    case EM_AST_NOT:
        return ast_has_window(ast->u.unary.arg);
    case EM_AST_AND:
    case EM_AST_OR:
        for (int i = 0; i < ast->u.bool_args.n; i++)
            if (ast_has_window(ast->u.bool_args.items[i])) return true;
        return false;
    case EM_AST_CAST:
        return ast_has_window(ast->u.cast.arg);
    case EM_AST_CASE:
        if (ast_has_window(ast->u.case_.operand) || ast_has_window(ast->u.case_.else_result))
            return true;
        for (int i = 0; i < ast->u.case_.whens.n; i++)
            if (ast_has_window(ast->u.case_.whens.items[i]) ||
                ast_has_window(ast->u.case_.thens.items[i]))
                return true;
        return false;
    default:
        return false;
    }
}

/* ---- the main switch ----------------------------------------------------- */

static em_expr *bool_const(em__binder *b, bool v)
{
    return em_expr_const(arena(b), em_value_bool(v));
}

static int bind_plain(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                      em_expr **out, em_error *err)
{
    em_arena *a = arena(b);
    switch (ast->kind) {
    case EM_AST_CONST:
        *out = em_expr_const(a, ast->u.constant.value);
        return 0;
    case EM_AST_COLUMN: {
        if (agg) {
            /* A column above an aggregation that is not a group key. */
            int idx;
            EM_TRY(resolve_column(b, agg->from, ast, &idx, err));
            return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                    "column \"%s\" must appear in the GROUP BY clause or be used "
                                    "in an aggregate function",
                                    ast->u.column.name);
        }
        int idx;
        EM_TRY(resolve_column(b, scope, ast, &idx, err));
        *out = em_expr_column(a, idx < 0 ? 0 : idx, resolved_type(b, scope, ast, idx));
        return 0;
    }
    case EM_AST_STAR:
        return em_error_set_pos(err, EM_EBIND, em__pos(ast), "* is not allowed here");
    case EM_AST_FUNC:
        return bind_func(b, scope, agg, ast, out, err);
    case EM_AST_BINARY: {
        em_expr *l, *r;
        EM_TRY(bind(b, scope, agg, ast->u.binary.left, &l, err));
        EM_TRY(bind(b, scope, agg, ast->u.binary.right, &r, err));
        static const char *ops[] = {"+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">="};
        em_binop op = ast->u.binary.op;
        if (op >= EM_OP_EQ) {
            EM_TRY(em__coerce_pair(b, &l, ast->u.binary.left, &r, ast->u.binary.right, err));
        } else if (op != EM_OP_CONCAT) {
            /* date arithmetic with a string literal: '2024-01-01'::date is the
             * portable form, but DATE '...' arrives as a cast already. */
        }
        em_expr *args[2] = {l, r};
        return em__make_call(b, ops[op], 2, args, ast, out, err);
    }
    case EM_AST_IS_DISTINCT: {
        em_expr *l, *r;
        EM_TRY(bind(b, scope, agg, ast->u.binary.left, &l, err));
        EM_TRY(bind(b, scope, agg, ast->u.binary.right, &r, err));
        EM_TRY(em__coerce_pair(b, &l, ast->u.binary.left, &r, ast->u.binary.right, err));
        em_expr *args[2] = {l, r};
        return em__make_call(b, ast->u.binary.negated ? "is_not_distinct" : "is_distinct", 2, args,
                         ast, out, err);
    }
    case EM_AST_UNARY: {
        em_expr *x;
        EM_TRY(bind(b, scope, agg, ast->u.unary.arg, &x, err));
        if (ast->u.unary.op == '+') {
            *out = x;
            return 0;
        }
        if (ast->u.unary.op == '!') {
            EM_TRY(require_bool(b, &x, ast->u.unary.arg, "NOT", err));
            em_expr *e = em_expr_new(a, EM_EXPR_NOT, em_type_make(EM_TYPE_BOOLEAN), 1);
            e->args[0] = x;
            *out = e;
            return 0;
        }
        return em__make_call(b, "neg", 1, &x, ast, out, err);
    }
    case EM_AST_NOT: {
        em_expr *x;
        EM_TRY(bind(b, scope, agg, ast->u.unary.arg, &x, err));
        EM_TRY(require_bool(b, &x, ast->u.unary.arg, "NOT", err));
        em_expr *e = em_expr_new(a, EM_EXPR_NOT, em_type_make(EM_TYPE_BOOLEAN), 1);
        e->args[0] = x;
        *out = e;
        return 0;
    }
    case EM_AST_AND:
    case EM_AST_OR: {
        int n = ast->u.bool_args.n;
        em_expr *e = em_expr_new(a, ast->kind == EM_AST_AND ? EM_EXPR_AND : EM_EXPR_OR,
                                 em_type_make(EM_TYPE_BOOLEAN), n);
        for (int i = 0; i < n; i++) {
            EM_TRY(bind(b, scope, agg, ast->u.bool_args.items[i], &e->args[i], err));
            EM_TRY(require_bool(b, &e->args[i], ast->u.bool_args.items[i],
                                ast->kind == EM_AST_AND ? "AND" : "OR", err));
        }
        *out = e;
        return 0;
    }
    case EM_AST_IS_NULL: {
        em_expr *e = em_expr_new(a, EM_EXPR_IS_NULL, em_type_make(EM_TYPE_BOOLEAN), 1);
        EM_TRY(bind(b, scope, agg, ast->u.test.arg, &e->args[0], err));
        e->negated = ast->u.test.negated;
        *out = e;
        return 0;
    }
    case EM_AST_IS_BOOL: {
        /* x IS TRUE  == coalesce(x = TRUE, FALSE); IS NOT TRUE is its negation. */
        em_expr *x;
        EM_TRY(bind(b, scope, agg, ast->u.test.arg, &x, err));
        EM_TRY(require_bool(b, &x, ast->u.test.arg, "IS TRUE/FALSE", err));
        em_expr *cmp = x;
        if (!ast->u.test.value) {
            cmp = em_expr_new(a, EM_EXPR_NOT, em_type_make(EM_TYPE_BOOLEAN), 1);
            cmp->args[0] = x;
        }
        em_expr *co = em_expr_new(a, EM_EXPR_COALESCE, em_type_make(EM_TYPE_BOOLEAN), 2);
        co->args[0] = cmp;
        co->args[1] = bool_const(b, false);
        if (ast->u.test.negated) {
            em_expr *n = em_expr_new(a, EM_EXPR_NOT, em_type_make(EM_TYPE_BOOLEAN), 1);
            n->args[0] = co;
            co = n;
        }
        *out = co;
        return 0;
    }
    case EM_AST_CAST: {
        em_expr *x;
        EM_TRY(bind(b, scope, agg, ast->u.cast.arg, &x, err));
        if (x->kind == EM_EXPR_CONST && is_string_literal(ast->u.cast.arg) &&
            !ast->u.cast.try_cast) {
            EM_TRY(cast_literal(b, &x, ast->u.cast.arg, ast->u.cast.type, err));
            *out = x;
            return 0;
        }
        em_expr *e = em_expr_new(a, EM_EXPR_CAST, ast->u.cast.type, 1);
        e->args[0] = x;
        e->try_cast = ast->u.cast.try_cast;
        if (em_type_equal(x->type, ast->u.cast.type) && !e->try_cast) e = x;
        *out = e;
        return 0;
    }
    case EM_AST_CASE: {
        int n = ast->u.case_.whens.n;
        em_expr *e = em_expr_new(a, EM_EXPR_CASE, em_type_make(EM_TYPE_NULL), 2 * n + 1);
        em_expr **results = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(n + 1));
        const em_ast **rasts = em_arena_alloc(a, sizeof(em_ast *) * (size_t)(n + 1));
        em_expr *operand = NULL;
        if (ast->u.case_.operand) EM_TRY(bind(b, scope, agg, ast->u.case_.operand, &operand, err));
        for (int i = 0; i < n; i++) {
            em_expr *cond;
            const em_ast *wa = ast->u.case_.whens.items[i];
            EM_TRY(bind(b, scope, agg, wa, &cond, err));
            if (operand) {
                em_expr *l = operand, *r = cond;
                EM_TRY(em__coerce_pair(b, &l, ast->u.case_.operand, &r, wa, err));
                em_expr *args[2] = {l, r};
                EM_TRY(em__make_call(b, "=", 2, args, wa, &cond, err));
            } else {
                EM_TRY(require_bool(b, &cond, wa, "CASE WHEN", err));
            }
            e->args[2 * i] = cond;
            EM_TRY(bind(b, scope, agg, ast->u.case_.thens.items[i], &results[i], err));
            rasts[i] = ast->u.case_.thens.items[i];
        }
        if (ast->u.case_.else_result) {
            EM_TRY(bind(b, scope, agg, ast->u.case_.else_result, &results[n], err));
            rasts[n] = ast->u.case_.else_result;
        } else {
            results[n] = em_expr_const(a, em_value_null(em_type_make(EM_TYPE_NULL)));
            rasts[n] = NULL;
        }
        em_type t;
        EM_TRY(coerce_list(b, n + 1, results, rasts, &t, err));
        for (int i = 0; i < n; i++) e->args[2 * i + 1] = results[i];
        e->args[2 * n] = results[n];
        e->type = t;
        *out = e;
        return 0;
    }
    case EM_AST_LIKE: {
        em_expr *e = em_expr_new(a, EM_EXPR_LIKE, em_type_make(EM_TYPE_BOOLEAN), 2);
        EM_TRY(bind(b, scope, agg, ast->u.like.arg, &e->args[0], err));
        EM_TRY(bind(b, scope, agg, ast->u.like.pattern, &e->args[1], err));
        for (int i = 0; i < 2; i++) {
            if (e->args[i]->type.id == EM_TYPE_VARCHAR) continue;
            if (e->args[i]->type.id == EM_TYPE_NULL) {
                e->args[i] = em_expr_cast(a, e->args[i], em_type_make(EM_TYPE_VARCHAR));
                continue;
            }
            char buf[64];
            return em_error_set_pos(err, EM_ETYPE,
                                    em__pos(i ? ast->u.like.pattern : ast->u.like.arg),
                                    "LIKE needs VARCHAR operands, not %s",
                                    em_type_name(e->args[i]->type, buf, sizeof buf));
        }
        e->negated = ast->u.like.negated;
        e->case_insensitive = ast->u.like.case_insensitive;
        if (ast->u.like.escape) {
            const em_ast *es = ast->u.like.escape;
            if (es->kind != EM_AST_CONST || es->u.constant.value.type.id != EM_TYPE_VARCHAR ||
                es->u.constant.value.v.str.len != 1)
                return em_error_set_pos(err, EM_EINVAL, em__pos(es),
                                        "ESCAPE must be a single character");
            e->escape = es->u.constant.value.v.str.ptr[0];
        }
        *out = e;
        return 0;
    }
    case EM_AST_IN_LIST: {
        int n = ast->u.in_list.list.n;
        em_expr **items = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(n + 1));
        const em_ast **asts = em_arena_alloc(a, sizeof(em_ast *) * (size_t)(n + 1));
        EM_TRY(bind(b, scope, agg, ast->u.in_list.arg, &items[0], err));
        asts[0] = ast->u.in_list.arg;
        for (int i = 0; i < n; i++) {
            EM_TRY(bind(b, scope, agg, ast->u.in_list.list.items[i], &items[i + 1], err));
            asts[i + 1] = ast->u.in_list.list.items[i];
        }
        em_type t;
        EM_TRY(coerce_list(b, n + 1, items, asts, &t, err));
        em_expr *e = em_expr_new(a, EM_EXPR_IN_LIST, em_type_make(EM_TYPE_BOOLEAN), n + 1);
        memcpy(e->args, items, sizeof(em_expr *) * (size_t)(n + 1));
        e->negated = ast->u.in_list.negated;
        *out = e;
        return 0;
    }
    case EM_AST_BETWEEN: {
        em_expr *x, *lo, *hi, *x2, *c1 = NULL, *c2 = NULL;
        EM_TRY(bind(b, scope, agg, ast->u.between.arg, &x, err));
        EM_TRY(bind(b, scope, agg, ast->u.between.low, &lo, err));
        EM_TRY(bind(b, scope, agg, ast->u.between.high, &hi, err));
        x2 = x;
        EM_TRY(em__coerce_pair(b, &x, ast->u.between.arg, &lo, ast->u.between.low, err));
        EM_TRY(em__coerce_pair(b, &x2, ast->u.between.arg, &hi, ast->u.between.high, err));
        em_expr *a1[2] = {x, lo}, *a2[2] = {x2, hi};
        EM_TRY(em__make_call(b, ">=", 2, a1, ast, &c1, err));
        EM_TRY(em__make_call(b, "<=", 2, a2, ast, &c2, err));
        em_expr *e = em_expr_new(a, EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), 2);
        e->args[0] = c1;
        e->args[1] = c2;
        if (ast->u.between.negated) {
            em_expr *n = em_expr_new(a, EM_EXPR_NOT, em_type_make(EM_TYPE_BOOLEAN), 1);
            n->args[0] = e;
            e = n;
        }
        *out = e;
        return 0;
    }
    case EM_AST_EXTRACT: {
        em_expr *args[2];
        args[0] = em_expr_const(
            a, em_value_varchar(ast->u.extract.field, (int32_t)strlen(ast->u.extract.field)));
        EM_TRY(bind(b, scope, agg, ast->u.extract.arg, &args[1], err));
        return em__make_call(b, "date_part", 2, args, ast, out, err);
    }
    case EM_AST_SUBQUERY:
        for (em__subst *sb = b->subst; sb; sb = sb->next)
            if (sb->ast == ast) {
                *out = em_expr_copy(a, sb->expr);
                return 0;
            }
        return em__scalar_subquery(b, agg ? agg->from : scope, ast, out, err);
    case EM_AST_IN_SUBQUERY:
    case EM_AST_EXISTS:
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "IN and EXISTS subqueries are supported as conditions of WHERE "
                                "(joined by AND), not here");
    case EM_AST_INTERVAL: {
        const char *text = ast->u.interval.text ? ast->u.interval.text : "";
        const char *unit = ast->u.interval.unit;
        em_interval iv;
        int rc = em_parse_interval(text, strlen(text), unit, &iv);
        if (rc == -2)
            return em_error_set_pos(err, EM_EOVERFLOW, em__pos(ast),
                                    "interval out of range: '%.200s'", text);
        if (rc < 0)
            return em_error_set_pos(err, EM_ETYPE, em__pos(ast),
                                    "invalid INTERVAL '%.200s'%s%s", text, unit ? " " : "",
                                    unit ? unit : "");
        *out = em_expr_const(a, em_value_interval(iv));
        return 0;
    }
    default:
        return em_error_set_pos(err, EM_EINTERNAL, em__pos(ast),
                                "unexpected node in an expression (kind %d)", (int)ast->kind);
    }
}

/* In an aggregation, a subtree without aggregates that equals a group key
 * becomes a reference to the key; constants stay constants. */
static int bind(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                em_expr **out, em_error *err)
{
    if (agg && !em__ast_has_agg(ast) && !ast_has_window(ast) && !ast_has_srf(ast) &&
        ast->kind != EM_AST_CONST) {
        em_expr *plain;
        EM_TRY(bind_plain(b, agg->from, NULL, ast, &plain, err));
        for (int i = 0; i < agg->nkeys; i++) {
            if (em_expr_equal(plain, agg->keys[i])) {
                *out = em_expr_column(arena(b), i, agg->keys[i]->type);
                return 0;
            }
        }
        if (em_expr_is_foldable(plain)) {
            *out = plain;
            return 0;
        }
    }
    return bind_plain(b, scope, agg, ast, out, err);
}

int em__bind_expr(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                  em_expr **out, em_error *err)
{
    return bind(b, scope, agg, ast, out, err);
}

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

static int resolve_column(em__binder *b, const em__scope *scope, const em_ast *ast, int *index,
                          em_error *err)
{
    const char *q = ast->u.column.qualifier, *name = ast->u.column.name;
    int found = -1;
    for (int i = 0; i < scope->ncols; i++) {
        const em__scope_col *c = &scope->cols[i];
        if (!em_str_ieq(c->name, name)) continue;
        if (q && (!c->qualifier || !em_str_ieq(q, c->qualifier))) continue;
        if (found >= 0)
            return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                    "column reference \"%s\" is ambiguous", name);
        found = i;
    }
    if (found < 0) return column_not_found(b, scope, ast, err);
    *index = found;
    return 0;
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

static int make_call(em__binder *b, const char *name, int nargs, em_expr **args, const em_ast *ast,
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

/* Bind an aggregate call (only valid with an aggregation context) and return
 * a reference to its result column. */
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
    if (!ast->u.func.star) {
        if (ast->u.func.args.n != 1)
            return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                    "%s takes exactly one argument", name);
        const em_ast *a = ast->u.func.args.items[0];
        if (em__ast_has_agg(a))
            return em_error_set_pos(err, EM_EBIND, em__pos(a),
                                    "aggregate function calls cannot be nested");
        EM_TRY(bind(b, agg->from, NULL, a, &call.arg, err));
        arg_type = call.arg->type;
        EM_UNUSED(inner);
    }
    if (em_agg_resolve(name, ast->u.func.star, arg_type, &call.kind, &call.type, err) < 0) {
        if (!err->sql_pos) err->sql_pos = em__pos(ast);
        return err->code;
    }
    call.distinct = ast->u.func.distinct;
    if (call.kind == EM_AGG_MIN || call.kind == EM_AGG_MAX) call.distinct = false;
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
            ((!c->arg && !call.arg) || (c->arg && call.arg && em_expr_equal(c->arg, call.arg))) &&
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

static int bind_func(em__binder *b, const em__scope *scope, em__agg_ctx *agg, const em_ast *ast,
                     em_expr **out, em_error *err)
{
    const char *name = ast->u.func.name;
    if (ast->u.func.over)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "window functions are not supported yet (%s OVER ...)", name);
    if (em_agg_exists(name)) return bind_agg_call(b, agg, ast, out, err);
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
    return make_call(b, name, n, args, ast, out, err);
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
        *out = em_expr_column(a, idx, scope->cols[idx].type);
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
        return make_call(b, ops[op], 2, args, ast, out, err);
    }
    case EM_AST_IS_DISTINCT: {
        em_expr *l, *r;
        EM_TRY(bind(b, scope, agg, ast->u.binary.left, &l, err));
        EM_TRY(bind(b, scope, agg, ast->u.binary.right, &r, err));
        EM_TRY(em__coerce_pair(b, &l, ast->u.binary.left, &r, ast->u.binary.right, err));
        em_expr *args[2] = {l, r};
        return make_call(b, ast->u.binary.negated ? "is_not_distinct" : "is_distinct", 2, args,
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
        return make_call(b, "neg", 1, &x, ast, out, err);
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
                EM_TRY(make_call(b, "=", 2, args, wa, &cond, err));
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
        EM_TRY(make_call(b, ">=", 2, a1, ast, &c1, err));
        EM_TRY(make_call(b, "<=", 2, a2, ast, &c2, err));
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
        return make_call(b, "date_part", 2, args, ast, out, err);
    }
    case EM_AST_SUBQUERY:
    case EM_AST_IN_SUBQUERY:
    case EM_AST_EXISTS:
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "subqueries in expressions are not supported yet");
    case EM_AST_INTERVAL:
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "INTERVAL values are not supported yet");
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
    if (agg && !em__ast_has_agg(ast) && ast->kind != EM_AST_CONST) {
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

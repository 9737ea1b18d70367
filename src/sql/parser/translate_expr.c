/*
 * translate_expr.c — libpg_query expression nodes to ember's expression AST.
 *
 * Each PostgreSQL raw-parse node kind that ember understands has one function
 * below; anything else is reported as EM_EUNSUPPORTED at the node's position
 * so that no construct is silently dropped. Several SQL-syntax forms reach us
 * already rewritten by PostgreSQL's grammar (NULLIF, COALESCE, GREATEST,
 * CURRENT_DATE, EXTRACT, TRIM, POSITION, ...); they become plain function
 * calls here, except EXTRACT, which has its own node.
 */
#include <string.h>

#include "sql/parser/parser_internal.h"

static int translate_node(em__pctx *c, const PgQuery__Node *n, em_ast **out);

int em__translate_expr(em__pctx *c, const PgQuery__Node *n, em_ast **out)
{
    if (n == NULL || n->node_case == PG_QUERY__NODE__NODE__NOT_SET)
        return em__error_at(c, EM_EINTERNAL, -1, "parser produced an empty expression");
    if (c->depth >= EM__MAX_DEPTH)
        return em__unsupported(c, em__node_location(n),
                               "expression nested more than %d levels deep", EM__MAX_DEPTH);
    c->depth++;
    int rc = translate_node(c, n, out);
    c->depth--;
    return rc;
}

int em__translate_expr_list(em__pctx *c, PgQuery__Node **items, size_t n, em_ast_list *out)
{
    out->n = 0;
    out->items = NULL;
    if (n == 0) return 0;
    out->items = em_arena_alloc(c->arena, n * sizeof(*out->items));
    for (size_t i = 0; i < n; i++) EM_TRY(em__translate_expr(c, items[i], &out->items[i]));
    out->n = (int)n;
    return 0;
}

int em__translate_sort(em__pctx *c, PgQuery__Node **items, size_t n, em_ast_sort **out, int *count)
{
    *out = NULL;
    *count = 0;
    if (n == 0) return 0;
    em_ast_sort *sorts = em_arena_calloc(c->arena, n * sizeof(*sorts));
    for (size_t i = 0; i < n; i++) {
        const PgQuery__Node *item = items[i];
        if (item->node_case != PG_QUERY__NODE__NODE_SORT_BY)
            return em__unsupported(c, em__node_location(item), "%s in ORDER BY",
                                   em__node_name(item));
        const PgQuery__SortBy *sb = item->sort_by;
        int loc = sb->location >= 0 ? sb->location : em__node_location(sb->node);
        switch (sb->sortby_dir) {
        case PG_QUERY__SORT_BY_DIR__SORTBY_DESC:
            sorts[i].desc = true;
            break;
        case PG_QUERY__SORT_BY_DIR__SORTBY_USING:
            return em__unsupported(c, loc, "ORDER BY USING");
        default:
            sorts[i].desc = false;
            break;
        }
        switch (sb->sortby_nulls) {
        case PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST:
            sorts[i].nulls_first = 1;
            break;
        case PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST:
            sorts[i].nulls_first = 0;
            break;
        default:
            sorts[i].nulls_first = -1;
            break;
        }
        EM_TRY(em__translate_expr(c, sb->node, &sorts[i].expr));
    }
    *out = sorts;
    *count = (int)n;
    return 0;
}

/* ---- literals and names -------------------------------------------------- */

static int tr_const(em__pctx *c, const PgQuery__AConst *k, em_ast **out)
{
    em_ast *a = em__ast_new(c, EM_AST_CONST, k->location);
    if (k->isnull) {
        a->u.constant.value = em_value_null(em_type_make(EM_TYPE_NULL));
        *out = a;
        return 0;
    }
    switch (k->val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL:
        a->u.constant.value = em_value_int(k->ival != NULL ? k->ival->ival : 0);
        break;
    case PG_QUERY__A__CONST__VAL_FVAL:
        em__numeric_value(c, k->fval->fval, &a->u.constant.value);
        break;
    case PG_QUERY__A__CONST__VAL_BOOLVAL:
        a->u.constant.value = em_value_bool(k->boolval != NULL && k->boolval->boolval);
        break;
    case PG_QUERY__A__CONST__VAL_SVAL: {
        const char *s = k->sval->sval;
        size_t len = strlen(s);
        a->u.constant.value = em_value_varchar(em_arena_strndup(c->arena, s, len), (int32_t)len);
        a->u.constant.is_string_literal = true;
        break;
    }
    case PG_QUERY__A__CONST__VAL_BSVAL:
        return em__unsupported(c, k->location, "bit string literal");
    default:
        return em__error_at(c, EM_EINTERNAL, k->location, "constant without a value");
    }
    *out = a;
    return 0;
}

static int tr_column_ref(em__pctx *c, const PgQuery__ColumnRef *cr, em_ast **out)
{
    int loc = cr->location;
    size_t n = cr->n_fields;
    if (n == 0) return em__error_at(c, EM_EINTERNAL, loc, "empty column reference");
    if (n > 2)
        return em__unsupported(c, loc,
                               "column reference with more than two parts "
                               "(schema-qualified table or nested field)");
    const PgQuery__Node *last = cr->fields[n - 1];
    const char *qualifier = NULL;
    if (n == 2) {
        qualifier = em__string_value(cr->fields[0]);
        if (qualifier == NULL) return em__unsupported(c, loc, "column reference");
    }
    if (last->node_case == PG_QUERY__NODE__NODE_A_STAR) {
        em_ast *a = em__ast_new(c, EM_AST_STAR, loc);
        a->u.star.qualifier = em__str(c, qualifier);
        *out = a;
        return 0;
    }
    const char *name = em__string_value(last);
    if (name == NULL) return em__unsupported(c, loc, "column reference");
    em_ast *a = em__ast_new(c, EM_AST_COLUMN, loc);
    a->u.column.qualifier = em__str(c, qualifier);
    a->u.column.name = em_arena_strdup(c->arena, name);
    *out = a;
    return 0;
}

/* ---- operators ------------------------------------------------------------ */

/* The operator symbol of an A_Expr: the last part of its (possibly
 * OPERATOR(pg_catalog.x)-qualified) name. */
static const char *op_name(const PgQuery__AExpr *e)
{
    if (e->n_name == 0) return "";
    const char *s = em__string_value(e->name[e->n_name - 1]);
    return s != NULL ? s : "";
}

static bool binop_from_name(const char *op, em_binop *out)
{
    static const struct {
        const char *name;
        em_binop op;
    } ops[] = {
        {"+", EM_OP_ADD}, {"-", EM_OP_SUB},     {"*", EM_OP_MUL}, {"/", EM_OP_DIV},
        {"%", EM_OP_MOD}, {"||", EM_OP_CONCAT}, {"=", EM_OP_EQ},  {"<>", EM_OP_NE},
        {"!=", EM_OP_NE}, {"<", EM_OP_LT},      {"<=", EM_OP_LE}, {">", EM_OP_GT},
        {">=", EM_OP_GE},
    };
    for (size_t i = 0; i < EM_ARRAY_LEN(ops); i++) {
        if (strcmp(ops[i].name, op) == 0) {
            *out = ops[i].op;
            return true;
        }
    }
    return false;
}

static int tr_func_named(em__pctx *c, const char *name, int loc, PgQuery__Node **args, size_t n,
                         em_ast **out)
{
    em_ast *a = em__ast_new(c, EM_AST_FUNC, loc);
    a->u.func.name = name;
    EM_TRY(em__translate_expr_list(c, args, n, &a->u.func.args));
    *out = a;
    return 0;
}

/* IN lists and BETWEEN bounds arrive as a List node in rexpr. */
static const PgQuery__List *rexpr_list(const PgQuery__AExpr *e)
{
    if (e->rexpr == NULL || e->rexpr->node_case != PG_QUERY__NODE__NODE_LIST) return NULL;
    return e->rexpr->list;
}

static bool is_like_escape(const PgQuery__Node *r)
{
    if (r == NULL || r->node_case != PG_QUERY__NODE__NODE_FUNC_CALL) return false;
    const PgQuery__FuncCall *f = r->func_call;
    if (f->n_funcname != 2 || f->n_args != 2) return false;
    const char *name = em__string_value(f->funcname[1]);
    return name != NULL && strcmp(name, "like_escape") == 0;
}

static int tr_a_expr(em__pctx *c, const PgQuery__AExpr *e, em_ast **out)
{
    int loc = e->location;
    const char *op = op_name(e);
    switch (e->kind) {
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP: {
        if (e->lexpr == NULL) {
            if (e->rexpr == NULL || (strcmp(op, "-") != 0 && strcmp(op, "+") != 0))
                return em__unsupported(c, loc, "prefix operator %s", op);
            em_ast *a = em__ast_new(c, EM_AST_UNARY, loc);
            a->u.unary.op = op[0];
            EM_TRY(em__translate_expr(c, e->rexpr, &a->u.unary.arg));
            *out = a;
            return 0;
        }
        em_binop bop;
        if (e->rexpr == NULL || !binop_from_name(op, &bop))
            return em__unsupported(c, loc, "operator %s", op);
        em_ast *a = em__ast_new(c, EM_AST_BINARY, loc);
        a->u.binary.op = bop;
        EM_TRY(em__translate_expr(c, e->lexpr, &a->u.binary.left));
        EM_TRY(em__translate_expr(c, e->rexpr, &a->u.binary.right));
        *out = a;
        return 0;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
        return em__unsupported(c, loc, "%s ANY (array)", op);
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
        return em__unsupported(c, loc, "%s ALL (array)", op);
    case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
    case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT: {
        em_ast *a = em__ast_new(c, EM_AST_IS_DISTINCT, loc);
        a->u.binary.op = EM_OP_EQ;
        a->u.binary.negated = e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT;
        EM_TRY(em__translate_expr(c, e->lexpr, &a->u.binary.left));
        EM_TRY(em__translate_expr(c, e->rexpr, &a->u.binary.right));
        *out = a;
        return 0;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF: {
        em_ast *a = em__ast_new(c, EM_AST_FUNC, loc);
        a->u.func.name = "nullif";
        a->u.func.args.items = em_arena_alloc(c->arena, 2 * sizeof(em_ast *));
        a->u.func.args.n = 2;
        EM_TRY(em__translate_expr(c, e->lexpr, &a->u.func.args.items[0]));
        EM_TRY(em__translate_expr(c, e->rexpr, &a->u.func.args.items[1]));
        *out = a;
        return 0;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_IN: {
        const PgQuery__List *l = rexpr_list(e);
        if (l == NULL) return em__unsupported(c, loc, "IN with a non-list right side");
        em_ast *a = em__ast_new(c, EM_AST_IN_LIST, loc);
        a->u.in_list.negated = strcmp(op, "<>") == 0;
        EM_TRY(em__translate_expr(c, e->lexpr, &a->u.in_list.arg));
        EM_TRY(em__translate_expr_list(c, l->items, l->n_items, &a->u.in_list.list));
        *out = a;
        return 0;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
    case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE: {
        em_ast *a = em__ast_new(c, EM_AST_LIKE, loc);
        a->u.like.negated = op[0] == '!';
        a->u.like.case_insensitive = e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE;
        EM_TRY(em__translate_expr(c, e->lexpr, &a->u.like.arg));
        /* LIKE p ESCAPE e arrives as LIKE pg_catalog.like_escape(p, e). */
        const PgQuery__Node *r = e->rexpr;
        if (is_like_escape(r)) {
            EM_TRY(em__translate_expr(c, r->func_call->args[0], &a->u.like.pattern));
            EM_TRY(em__translate_expr(c, r->func_call->args[1], &a->u.like.escape));
        } else {
            EM_TRY(em__translate_expr(c, r, &a->u.like.pattern));
        }
        *out = a;
        return 0;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_SIMILAR:
        return em__unsupported(c, loc, "SIMILAR TO");
    case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
    case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN: {
        const PgQuery__List *l = rexpr_list(e);
        if (l == NULL || l->n_items != 2)
            return em__error_at(c, EM_EINTERNAL, loc, "BETWEEN without two bounds");
        em_ast *a = em__ast_new(c, EM_AST_BETWEEN, loc);
        a->u.between.negated = e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN;
        EM_TRY(em__translate_expr(c, e->lexpr, &a->u.between.arg));
        EM_TRY(em__translate_expr(c, l->items[0], &a->u.between.low));
        EM_TRY(em__translate_expr(c, l->items[1], &a->u.between.high));
        *out = a;
        return 0;
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM:
    case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM:
        return em__unsupported(c, loc, "BETWEEN SYMMETRIC");
    default:
        return em__unsupported(c, loc, "operator expression");
    }
}

/* ---- subqueries and boolean structure -------------------------------------- */

/* `x IN (SELECT ...)` and `x = ANY (SELECT ...)` are the same ANY sublink. */
static bool sublink_is_in(const PgQuery__SubLink *s)
{
    if (s->sub_link_type != PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK) return false;
    if (s->n_oper_name == 0) return true;
    const char *op = em__string_value(s->oper_name[s->n_oper_name - 1]);
    return op != NULL && strcmp(op, "=") == 0;
}

static int tr_sublink(em__pctx *c, const PgQuery__SubLink *s, bool negated, em_ast **out)
{
    int loc = s->location;
    em_ast *a;
    switch (s->sub_link_type) {
    case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
        a = em__ast_new(c, EM_AST_EXISTS, loc);
        break;
    case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK:
        a = em__ast_new(c, EM_AST_SUBQUERY, loc);
        break;
    case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK: {
        if (!sublink_is_in(s)) {
            const char *op = em__string_value(s->oper_name[s->n_oper_name - 1]);
            return em__unsupported(c, loc, "%s ANY (subquery)", op ? op : "?");
        }
        a = em__ast_new(c, EM_AST_IN_SUBQUERY, loc);
        a->u.subquery.negated = negated;
        EM_TRY(em__translate_expr(c, s->testexpr, &a->u.subquery.arg));
        break;
    }
    case PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK:
        return em__unsupported(c, loc, "ALL (subquery)");
    case PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK:
        return em__unsupported(c, loc, "ARRAY (subquery)");
    default:
        return em__unsupported(c, loc, "row comparison with a subquery");
    }
    EM_TRY(em__translate_query(c, s->subselect, -1, &a->u.subquery.query));
    *out = a;
    return 0;
}

static int tr_bool_expr(em__pctx *c, const PgQuery__BoolExpr *b, em_ast **out)
{
    int loc = b->location;
    if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) {
        if (b->n_args != 1) return em__error_at(c, EM_EINTERNAL, loc, "NOT without one argument");
        const PgQuery__Node *arg = b->args[0];
        /* NOT IN (subquery) arrives as NOT over the IN sublink; the AST keeps
           it as one negated node so that the planner sees an anti join. */
        if (arg->node_case == PG_QUERY__NODE__NODE_SUB_LINK && sublink_is_in(arg->sub_link))
            return tr_sublink(c, arg->sub_link, true, out);
        em_ast *a = em__ast_new(c, EM_AST_NOT, loc);
        a->u.unary.op = '!';
        EM_TRY(em__translate_expr(c, arg, &a->u.unary.arg));
        *out = a;
        return 0;
    }
    em_ast *a = em__ast_new(
        c, b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? EM_AST_AND : EM_AST_OR, loc);
    EM_TRY(em__translate_expr_list(c, b->args, b->n_args, &a->u.bool_args));
    *out = a;
    return 0;
}

static int tr_null_test(em__pctx *c, const PgQuery__NullTest *t, em_ast **out)
{
    em_ast *a = em__ast_new(c, EM_AST_IS_NULL, t->location);
    a->u.test.negated = t->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL;
    EM_TRY(em__translate_expr(c, t->arg, &a->u.test.arg));
    *out = a;
    return 0;
}

/* IS [NOT] UNKNOWN is IS [NOT] NULL on a boolean, so it shares that node. */
static int tr_boolean_test(em__pctx *c, const PgQuery__BooleanTest *t, em_ast **out)
{
    em_ast *a = em__ast_new(c, EM_AST_IS_BOOL, t->location);
    switch (t->booltesttype) {
    case PG_QUERY__BOOL_TEST_TYPE__IS_TRUE:
        a->u.test.value = true;
        break;
    case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_TRUE:
        a->u.test.value = true;
        a->u.test.negated = true;
        break;
    case PG_QUERY__BOOL_TEST_TYPE__IS_FALSE:
        a->u.test.value = false;
        break;
    case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_FALSE:
        a->u.test.value = false;
        a->u.test.negated = true;
        break;
    case PG_QUERY__BOOL_TEST_TYPE__IS_UNKNOWN:
        a->kind = EM_AST_IS_NULL;
        break;
    case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_UNKNOWN:
        a->kind = EM_AST_IS_NULL;
        a->u.test.negated = true;
        break;
    default:
        return em__error_at(c, EM_EINTERNAL, t->location, "unknown boolean test");
    }
    EM_TRY(em__translate_expr(c, t->arg, &a->u.test.arg));
    *out = a;
    return 0;
}

/* ---- casts and intervals ------------------------------------------------------ */

/* INTERVAL's field restriction travels as PostgreSQL's range bit mask
 * (INTERVAL_MASK of utils/datetime.h: MONTH 1<<1, YEAR 1<<2, DAY 1<<3,
 * HOUR 1<<10, MINUTE 1<<11, SECOND 1<<12). */
static const char *interval_unit(int mask)
{
    enum { MO = 1 << 1, YR = 1 << 2, DY = 1 << 3, HR = 1 << 10, MI = 1 << 11, SE = 1 << 12 };
    static const struct {
        int mask;
        const char *unit;
    } units[] = {
        {YR, "year"},
        {MO, "month"},
        {DY, "day"},
        {HR, "hour"},
        {MI, "minute"},
        {SE, "second"},
        {YR | MO, "year to month"},
        {DY | HR, "day to hour"},
        {DY | HR | MI, "day to minute"},
        {DY | HR | MI | SE, "day to second"},
        {HR | MI, "hour to minute"},
        {HR | MI | SE, "hour to second"},
        {MI | SE, "minute to second"},
    };
    for (size_t i = 0; i < EM_ARRAY_LEN(units); i++)
        if (units[i].mask == mask) return units[i].unit;
    return NULL;
}

static int tr_interval(em__pctx *c, const PgQuery__TypeCast *tc, int loc, em_ast **out)
{
    const PgQuery__TypeName *tn = tc->type_name;
    const PgQuery__Node *arg = tc->arg;
    if (arg == NULL || arg->node_case != PG_QUERY__NODE__NODE_A_CONST || arg->a_const->isnull ||
        arg->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
        return em__unsupported(c, loc,
                               "cast of an expression to INTERVAL "
                               "(only INTERVAL 'text' literals are supported)");
    em_ast *a = em__ast_new(c, EM_AST_INTERVAL, loc);
    a->u.interval.text = em_arena_strdup(c->arena, arg->a_const->sval->sval);
    if (tn->n_typmods > 1) return em__unsupported(c, loc, "INTERVAL with a precision");
    if (tn->n_typmods == 1) {
        const PgQuery__Node *m = tn->typmods[0];
        if (m->node_case != PG_QUERY__NODE__NODE_A_CONST ||
            m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
            return em__unsupported(c, loc, "INTERVAL field specification");
        int mask = m->a_const->ival->ival;
        if (mask != 0x7FFF) { /* INTERVAL_FULL_RANGE: no restriction */
            const char *unit = interval_unit(mask);
            if (unit == NULL) return em__unsupported(c, loc, "INTERVAL field specification");
            a->u.interval.unit = unit;
        }
    }
    *out = a;
    return 0;
}

static int tr_type_cast(em__pctx *c, const PgQuery__TypeCast *tc, em_ast **out)
{
    /* `DATE '...'` has no cast location of its own: point at the type name. */
    int loc = tc->location >= 0 ? tc->location : tc->type_name->location;
    if (em__typename_is_interval(tc->type_name)) return tr_interval(c, tc, loc, out);
    em_ast *a = em__ast_new(c, EM_AST_CAST, loc);
    EM_TRY(em__translate_type(c, tc->type_name, &a->u.cast.type, &a->u.cast.type_name));
    EM_TRY(em__translate_expr(c, tc->arg, &a->u.cast.arg));
    *out = a;
    return 0;
}

/* ---- function calls and windows -------------------------------------------------- */

static int tr_window(em__pctx *c, const PgQuery__WindowDef *w, em_ast_window **out)
{
    int loc = w->location;
    if ((w->name != NULL && w->name[0]) || (w->refname != NULL && w->refname[0]))
        return em__unsupported(c, loc, "named window (OVER name / WINDOW clause)");
    em_ast_window *win = em_arena_calloc(c->arena, sizeof(*win));
    EM_TRY(
        em__translate_expr_list(c, w->partition_clause, w->n_partition_clause, &win->partition_by));
    EM_TRY(em__translate_sort(c, w->order_clause, w->n_order_clause, &win->order_by, &win->norder));
    int fo = w->frame_options;
    /* The SQL default frame, spelled out for consumers that ignore has_frame. */
    win->start_kind = EM_FRAME_UNBOUNDED_PRECEDING;
    win->end_kind = EM_FRAME_CURRENT_ROW;
    if (fo & EM__FRAME_NONDEFAULT) {
        if (fo & EM__FRAME_GROUPS) return em__unsupported(c, loc, "GROUPS window frame");
        if (fo & EM__FRAME_EXCLUSION) return em__unsupported(c, loc, "window frame EXCLUDE");
        win->has_frame = true;
        win->frame_rows = (fo & EM__FRAME_ROWS) != 0;
        if (fo & EM__FRAME_START_UNBOUNDED_PRECEDING)
            win->start_kind = EM_FRAME_UNBOUNDED_PRECEDING;
        else if (fo & EM__FRAME_START_UNBOUNDED_FOLLOWING)
            win->start_kind = EM_FRAME_UNBOUNDED_FOLLOWING;
        else if (fo & EM__FRAME_START_CURRENT_ROW)
            win->start_kind = EM_FRAME_CURRENT_ROW;
        else if (fo & EM__FRAME_START_OFFSET_PRECEDING)
            win->start_kind = EM_FRAME_PRECEDING;
        else if (fo & EM__FRAME_START_OFFSET_FOLLOWING)
            win->start_kind = EM_FRAME_FOLLOWING;
        if (fo & EM__FRAME_END_UNBOUNDED_FOLLOWING)
            win->end_kind = EM_FRAME_UNBOUNDED_FOLLOWING;
        else if (fo & EM__FRAME_END_UNBOUNDED_PRECEDING)
            win->end_kind = EM_FRAME_UNBOUNDED_PRECEDING;
        else if (fo & EM__FRAME_END_CURRENT_ROW)
            win->end_kind = EM_FRAME_CURRENT_ROW;
        else if (fo & EM__FRAME_END_OFFSET_PRECEDING)
            win->end_kind = EM_FRAME_PRECEDING;
        else if (fo & EM__FRAME_END_OFFSET_FOLLOWING)
            win->end_kind = EM_FRAME_FOLLOWING;
        if (fo & (EM__FRAME_START_OFFSET_PRECEDING | EM__FRAME_START_OFFSET_FOLLOWING))
            EM_TRY(em__translate_expr(c, w->start_offset, &win->start_offset));
        if (fo & (EM__FRAME_END_OFFSET_PRECEDING | EM__FRAME_END_OFFSET_FOLLOWING))
            EM_TRY(em__translate_expr(c, w->end_offset, &win->end_offset));
    }
    *out = win;
    return 0;
}

static bool is_string_const(const PgQuery__Node *n)
{
    return n != NULL && n->node_case == PG_QUERY__NODE__NODE_A_CONST && !n->a_const->isnull &&
           n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL;
}

static int tr_func_call(em__pctx *c, const PgQuery__FuncCall *f, em_ast **out)
{
    int loc = f->location;
    const char *name;
    EM_TRY(em__func_name(c, f->funcname, f->n_funcname, loc, &name));
    if (f->func_variadic) return em__unsupported(c, loc, "VARIADIC argument");
    bool plain = !f->agg_star && !f->agg_distinct && f->agg_filter == NULL && f->over == NULL &&
                 f->n_agg_order == 0;

    /* EXTRACT(field FROM x) arrives as pg_catalog.extract('field', x); the
       older date_part('field', x) spelling means the same. */
    if (plain && f->n_args == 2 && is_string_const(f->args[0]) &&
        (strcmp(name, "extract") == 0 || strcmp(name, "date_part") == 0)) {
        em_ast *a = em__ast_new(c, EM_AST_EXTRACT, loc);
        a->u.extract.field = em__lower(c, f->args[0]->a_const->sval->sval);
        EM_TRY(em__translate_expr(c, f->args[1], &a->u.extract.arg));
        *out = a;
        return 0;
    }

    em_ast *a = em__ast_new(c, EM_AST_FUNC, loc);
    a->u.func.name = name;
    for (size_t i = 0; i < f->n_args; i++)
        if (f->args[i]->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR)
            return em__unsupported(c, em__node_location(f->args[i]),
                                   "named argument in a call of %s (only table functions in "
                                   "FROM take named options)",
                                   name);
    EM_TRY(em__translate_expr_list(c, f->args, f->n_args, &a->u.func.args));
    a->u.func.star = f->agg_star;
    a->u.func.distinct = f->agg_distinct;
    a->u.func.within_group = f->agg_within_group;
    if (f->agg_filter != NULL) EM_TRY(em__translate_expr(c, f->agg_filter, &a->u.func.filter));
    EM_TRY(em__translate_sort(c, f->agg_order, f->n_agg_order, &a->u.func.order_by,
                              &a->u.func.norder));
    if (f->over != NULL) EM_TRY(tr_window(c, f->over, &a->u.func.over));
    *out = a;
    return 0;
}

static int tr_case(em__pctx *c, const PgQuery__CaseExpr *ce, em_ast **out)
{
    em_ast *a = em__ast_new(c, EM_AST_CASE, ce->location);
    if (ce->arg != NULL) EM_TRY(em__translate_expr(c, ce->arg, &a->u.case_.operand));
    size_t n = ce->n_args;
    a->u.case_.whens.items = em_arena_alloc(c->arena, EM_MAX(n, (size_t)1) * sizeof(em_ast *));
    a->u.case_.thens.items = em_arena_alloc(c->arena, EM_MAX(n, (size_t)1) * sizeof(em_ast *));
    for (size_t i = 0; i < n; i++) {
        const PgQuery__Node *w = ce->args[i];
        if (w->node_case != PG_QUERY__NODE__NODE_CASE_WHEN)
            return em__error_at(c, EM_EINTERNAL, ce->location, "CASE arm is not WHEN");
        EM_TRY(em__translate_expr(c, w->case_when->expr, &a->u.case_.whens.items[i]));
        EM_TRY(em__translate_expr(c, w->case_when->result, &a->u.case_.thens.items[i]));
    }
    a->u.case_.whens.n = a->u.case_.thens.n = (int)n;
    if (ce->defresult != NULL)
        EM_TRY(em__translate_expr(c, ce->defresult, &a->u.case_.else_result));
    *out = a;
    return 0;
}

static int tr_sql_value_function(em__pctx *c, const PgQuery__SQLValueFunction *f, em_ast **out)
{
    const char *name;
    switch (f->op) {
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
        name = "current_date";
        break;
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
        name = "current_timestamp";
        break;
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
        name = "localtimestamp";
        break;
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N:
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N:
        return em__unsupported(c, f->location, "timestamp precision in CURRENT_TIMESTAMP(n)");
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME:
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME_N:
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME:
    case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME_N:
        return em__unsupported(c, f->location, "CURRENT_TIME / LOCALTIME (no TIME type)");
    default:
        return em__unsupported(c, f->location, "session information function (CURRENT_USER, ...)");
    }
    return tr_func_named(c, name, f->location, NULL, 0, out);
}

static int translate_node(em__pctx *c, const PgQuery__Node *n, em_ast **out)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_A_CONST:
        return tr_const(c, n->a_const, out);
    case PG_QUERY__NODE__NODE_COLUMN_REF:
        return tr_column_ref(c, n->column_ref, out);
    case PG_QUERY__NODE__NODE_A_EXPR:
        return tr_a_expr(c, n->a_expr, out);
    case PG_QUERY__NODE__NODE_BOOL_EXPR:
        return tr_bool_expr(c, n->bool_expr, out);
    case PG_QUERY__NODE__NODE_NULL_TEST:
        return tr_null_test(c, n->null_test, out);
    case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
        return tr_boolean_test(c, n->boolean_test, out);
    case PG_QUERY__NODE__NODE_TYPE_CAST:
        return tr_type_cast(c, n->type_cast, out);
    case PG_QUERY__NODE__NODE_FUNC_CALL:
        return tr_func_call(c, n->func_call, out);
    case PG_QUERY__NODE__NODE_CASE_EXPR:
        return tr_case(c, n->case_expr, out);
    case PG_QUERY__NODE__NODE_SUB_LINK:
        return tr_sublink(c, n->sub_link, false, out);
    case PG_QUERY__NODE__NODE_COALESCE_EXPR:
        return tr_func_named(c, "coalesce", n->coalesce_expr->location, n->coalesce_expr->args,
                             n->coalesce_expr->n_args, out);
    case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
        return tr_func_named(
            c, n->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_LEAST ? "least" : "greatest",
            n->min_max_expr->location, n->min_max_expr->args, n->min_max_expr->n_args, out);
    case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
        return tr_sql_value_function(c, n->sqlvalue_function, out);
    case PG_QUERY__NODE__NODE_NAMED_ARG_EXPR:
        return em__unsupported(c, n->named_arg_expr->location,
                               "named argument outside a table function");
    default:
        return em__unsupported(c, em__node_location(n), "%s", em__node_name(n));
    }
}

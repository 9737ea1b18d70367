/*
 * translate_select.c — SelectStmt (plain SELECT, VALUES, set operations,
 * WITH) and its FROM items to ember's AST.
 *
 * Clauses ember cannot run yet (DISTINCT ON, GROUPING SETS, WINDOW, FOR
 * UPDATE, LATERAL, ...) are refused with EM_EUNSUPPORTED rather than
 * dropped. SelectStmt carries no location of its own; a nested SELECT is
 * placed at its SELECT/VALUES/WITH keyword, found from the first location in
 * its subtree and the token list.
 */
#include <string.h>

#include "sql/parser/parser_internal.h"

static int tr_from_item(em__pctx *c, const PgQuery__Node *n, em_ast **out);
static int select_location(em__pctx *c, const PgQuery__SelectStmt *s);

static int tr_alias(em__pctx *c, const PgQuery__Alias *al, int loc, const char **alias,
                    const char ***cols, int *ncols)
{
    *alias = NULL;
    *cols = NULL;
    *ncols = 0;
    if (al == NULL) return 0;
    *alias = em__str(c, al->aliasname);
    return em__string_list(c, al->colnames, al->n_colnames, loc, cols, ncols);
}

/* ---- FROM items ------------------------------------------------------------ */

static int tr_range_var(em__pctx *c, const PgQuery__RangeVar *rv, em_ast **out)
{
    int loc = rv->location;
    if (rv->catalogname != NULL && rv->catalogname[0])
        return em__unsupported(c, loc, "catalog-qualified table name");
    if (!rv->inh) return em__unsupported(c, loc, "ONLY");
    em_ast *a = em__ast_new(c, EM_AST_TABLE_REF, loc);
    em__path *p = em__path_at(c, loc);
    if (p != NULL) {
        if (rv->schemaname != NULL && rv->schemaname[0])
            return em__unsupported(c, loc, "a file path used as a schema name");
        a->u.table_ref.name = p->path;
        a->u.table_ref.is_path = true;
        p->used = true;
    } else {
        a->u.table_ref.name = em_arena_strdup(c->arena, rv->relname);
        a->u.table_ref.schema = em__str(c, rv->schemaname);
    }
    EM_TRY(tr_alias(c, rv->alias, loc, &a->u.table_ref.alias, &a->u.table_ref.columns,
                    &a->u.table_ref.ncolumns));
    *out = a;
    return 0;
}

/* `name = value` in a table function's argument list is an option when the
 * left side is a bare column name. */
static const char *eq_option_name(const PgQuery__Node *arg)
{
    if (arg->node_case != PG_QUERY__NODE__NODE_A_EXPR) return NULL;
    const PgQuery__AExpr *e = arg->a_expr;
    if (e->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || e->n_name != 1 || e->lexpr == NULL ||
        e->rexpr == NULL)
        return NULL;
    const char *op = em__string_value(e->name[0]);
    if (op == NULL || strcmp(op, "=") != 0) return NULL;
    if (e->lexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF) return NULL;
    const PgQuery__ColumnRef *cr = e->lexpr->column_ref;
    if (cr->n_fields != 1) return NULL;
    return em__string_value(cr->fields[0]);
}

static int tr_range_function(em__pctx *c, const PgQuery__RangeFunction *rf, em_ast **out)
{
    int loc = em__subtree_location(&rf->base);
    if (rf->lateral)
        return em__unsupported(c, em__token_before(c, loc, PG_QUERY__TOKEN__LATERAL_P),
                               "LATERAL function");
    if (rf->ordinality) return em__unsupported(c, loc, "WITH ORDINALITY");
    if (rf->is_rowsfrom) return em__unsupported(c, loc, "ROWS FROM");
    if (rf->n_coldeflist > 0)
        return em__unsupported(c, loc, "column definition list on a table function");
    if (rf->n_functions != 1 || rf->functions[0]->node_case != PG_QUERY__NODE__NODE_LIST)
        return em__unsupported(c, loc, "table function form");
    const PgQuery__List *pair = rf->functions[0]->list;
    if (pair->n_items == 0 || pair->items[0]->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
        return em__unsupported(c, loc, "%s in FROM",
                               pair->n_items ? em__node_name(pair->items[0]) : "empty function");
    if (pair->n_items > 1 && pair->items[1] != NULL &&
        pair->items[1]->node_case != PG_QUERY__NODE__NODE__NOT_SET)
        return em__unsupported(c, loc, "column definition list on a table function");

    const PgQuery__FuncCall *f = pair->items[0]->func_call;
    loc = f->location;
    if (em__path_at(c, loc) != NULL)
        return em__unsupported(c, loc, "a file path called like a function");
    if (f->agg_star || f->agg_distinct || f->agg_filter != NULL || f->over != NULL ||
        f->n_agg_order > 0 || f->func_variadic)
        return em__unsupported(c, loc, "aggregate or window syntax in a table function call");

    em_ast *a = em__ast_new(c, EM_AST_TABLE_FUNC, loc);
    EM_TRY(em__func_name(c, f->funcname, f->n_funcname, loc, &a->u.table_func.name));
    size_t n = f->n_args;
    a->u.table_func.args.items = em_arena_alloc(c->arena, EM_MAX(n, (size_t)1) * sizeof(em_ast *));
    a->u.table_func.options =
        em_arena_calloc(c->arena, EM_MAX(n, (size_t)1) * sizeof(em_ast_option));
    for (size_t i = 0; i < n; i++) {
        const PgQuery__Node *arg = f->args[i];
        const char *opt = NULL;
        const PgQuery__Node *value = NULL;
        int opt_loc = -1;
        if (arg->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR) {
            opt = arg->named_arg_expr->name;
            value = arg->named_arg_expr->arg;
            opt_loc = arg->named_arg_expr->location;
        } else if ((opt = eq_option_name(arg)) != NULL) {
            value = arg->a_expr->rexpr;
            opt_loc = arg->a_expr->lexpr->column_ref->location;
        }
        if (opt != NULL) {
            em_ast_option *o = &a->u.table_func.options[a->u.table_func.noptions++];
            o->name = em__lower(c, opt);
            o->location = opt_loc;
            EM_TRY(em__translate_expr(c, value, &o->value));
        } else {
            EM_TRY(
                em__translate_expr(c, arg, &a->u.table_func.args.items[a->u.table_func.args.n++]));
        }
    }
    EM_TRY(tr_alias(c, rf->alias, loc, &a->u.table_func.alias, &a->u.table_func.columns,
                    &a->u.table_func.ncolumns));
    *out = a;
    return 0;
}

static int tr_range_subselect(em__pctx *c, const PgQuery__RangeSubselect *rs, em_ast **out)
{
    int loc = em__subtree_location(&rs->base);
    if (rs->subquery != NULL && rs->subquery->node_case == PG_QUERY__NODE__NODE_SELECT_STMT)
        loc = select_location(c, rs->subquery->select_stmt);
    if (rs->lateral)
        return em__unsupported(c, em__token_before(c, loc, PG_QUERY__TOKEN__LATERAL_P),
                               "LATERAL subquery");
    em_ast *a = em__ast_new(c, EM_AST_DERIVED, em__token_before(c, loc, PG_QUERY__TOKEN__ASCII_40));
    EM_TRY(em__translate_query(c, rs->subquery, -1, &a->u.derived.query));
    EM_TRY(tr_alias(c, rs->alias, loc, &a->u.derived.alias, &a->u.derived.columns,
                    &a->u.derived.ncolumns));
    *out = a;
    return 0;
}

static int tr_join(em__pctx *c, const PgQuery__JoinExpr *j, em_ast **out)
{
    int loc = em__subtree_location(&j->base);
    if (j->alias != NULL)
        return em__unsupported(c, em__token_before(c, loc, PG_QUERY__TOKEN__ASCII_40),
                               "alias on a parenthesized join");
    if (j->join_using_alias != NULL) return em__unsupported(c, loc, "JOIN USING (...) AS alias");
    em_ast *a = em__ast_new(c, EM_AST_JOIN, loc);
    switch (j->jointype) {
    case PG_QUERY__JOIN_TYPE__JOIN_INNER:
        /* CROSS JOIN is an inner join without a condition. */
        a->u.join.type = (j->quals == NULL && j->n_using_clause == 0 && !j->is_natural)
                             ? EM_JOIN_CROSS
                             : EM_JOIN_INNER;
        break;
    case PG_QUERY__JOIN_TYPE__JOIN_LEFT:
        a->u.join.type = EM_JOIN_LEFT;
        break;
    case PG_QUERY__JOIN_TYPE__JOIN_RIGHT:
        a->u.join.type = EM_JOIN_RIGHT;
        break;
    case PG_QUERY__JOIN_TYPE__JOIN_FULL:
        a->u.join.type = EM_JOIN_FULL;
        break;
    default:
        return em__unsupported(c, loc, "join type");
    }
    a->u.join.natural = j->is_natural;
    EM_TRY(tr_from_item(c, j->larg, &a->u.join.left));
    EM_TRY(tr_from_item(c, j->rarg, &a->u.join.right));
    EM_TRY(em__string_list(c, j->using_clause, j->n_using_clause, loc, &a->u.join.using_cols,
                           &a->u.join.nusing));
    if (j->quals != NULL) EM_TRY(em__translate_expr(c, j->quals, &a->u.join.on));
    *out = a;
    return 0;
}

static int tr_from_item(em__pctx *c, const PgQuery__Node *n, em_ast **out)
{
    if (c->depth >= EM__MAX_DEPTH)
        return em__unsupported(c, em__node_location(n), "FROM clause nested too deeply");
    c->depth++;
    int rc;
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_RANGE_VAR:
        rc = tr_range_var(c, n->range_var, out);
        break;
    case PG_QUERY__NODE__NODE_RANGE_FUNCTION:
        rc = tr_range_function(c, n->range_function, out);
        break;
    case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
        rc = tr_range_subselect(c, n->range_subselect, out);
        break;
    case PG_QUERY__NODE__NODE_JOIN_EXPR:
        rc = tr_join(c, n->join_expr, out);
        break;
    default:
        rc = em__unsupported(c, em__node_location(n), "%s in FROM", em__node_name(n));
        break;
    }
    c->depth--;
    return rc;
}

/* ---- WITH ------------------------------------------------------------------ */

int em__translate_with(em__pctx *c, const PgQuery__WithClause *w, em_ast *sel)
{
    if (w->recursive) return em__unsupported(c, w->location, "WITH RECURSIVE");
    size_t n = w->n_ctes;
    em_ast_cte *ctes = em_arena_calloc(c->arena, EM_MAX(n, (size_t)1) * sizeof(*ctes));
    for (size_t i = 0; i < n; i++) {
        const PgQuery__Node *node = w->ctes[i];
        if (node->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
            return em__error_at(c, EM_EINTERNAL, w->location, "WITH item is not a CTE");
        const PgQuery__CommonTableExpr *cte = node->common_table_expr;
        if (cte->search_clause != NULL)
            return em__unsupported(c, cte->location, "SEARCH clause in WITH");
        if (cte->cycle_clause != NULL)
            return em__unsupported(c, cte->location, "CYCLE clause in WITH");
        /* [NOT] MATERIALIZED is a planner hint with no effect on results, so
           it is accepted and ignored. */
        ctes[i].name = em_arena_strdup(c->arena, cte->ctename);
        EM_TRY(em__string_list(c, cte->aliascolnames, cte->n_aliascolnames, cte->location,
                               &ctes[i].columns, &ctes[i].ncolumns));
        EM_TRY(em__translate_query(c, cte->ctequery, -1, &ctes[i].query));
    }
    sel->u.select.ctes = ctes;
    sel->u.select.nctes = (int)n;
    return 0;
}

/* ---- SELECT ------------------------------------------------------------------ */

/* LIMIT ALL and LIMIT NULL mean no limit; PostgreSQL parses both as a NULL
 * constant. */
static int tr_limit(em__pctx *c, const PgQuery__Node *n, em_ast **out)
{
    *out = NULL;
    if (n == NULL) return 0;
    if (n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull) return 0;
    return em__translate_expr(c, n, out);
}

static int tr_targets(em__pctx *c, const PgQuery__SelectStmt *s, em_ast *a)
{
    size_t n = s->n_target_list;
    a->u.select.targets = em_arena_calloc(c->arena, EM_MAX(n, (size_t)1) * sizeof(em_ast_target));
    for (size_t i = 0; i < n; i++) {
        const PgQuery__Node *t = s->target_list[i];
        if (t->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
            return em__error_at(c, EM_EINTERNAL, -1, "select target is not a ResTarget");
        const PgQuery__ResTarget *rt = t->res_target;
        if (rt->n_indirection > 0)
            return em__unsupported(c, rt->location, "subscript or field selection in a target");
        a->u.select.targets[i].alias = em__str(c, rt->name);
        EM_TRY(em__translate_expr(c, rt->val, &a->u.select.targets[i].expr));
    }
    a->u.select.ntargets = (int)n;
    return 0;
}

static int tr_group_by(em__pctx *c, const PgQuery__SelectStmt *s, em_ast *a)
{
    if (s->group_distinct)
        return em__unsupported(
            c, s->n_group_clause > 0 ? em__subtree_location(&s->group_clause[0]->base) : -1,
            "GROUP BY DISTINCT");
    for (size_t i = 0; i < s->n_group_clause; i++) {
        const PgQuery__Node *g = s->group_clause[i];
        if (g->node_case != PG_QUERY__NODE__NODE_GROUPING_SET) continue;
        const char *what;
        switch (g->grouping_set->kind) {
        case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_ROLLUP:
            what = "ROLLUP";
            break;
        case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_CUBE:
            what = "CUBE";
            break;
        case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_EMPTY:
            what = "GROUP BY ()";
            break;
        default:
            what = "GROUPING SETS";
            break;
        }
        return em__unsupported(c, g->grouping_set->location, "%s", what);
    }
    return em__translate_expr_list(c, s->group_clause, s->n_group_clause, &a->u.select.group_by);
}

/* A locking clause carries no location: point at the first FOR UPDATE /
 * FOR [NO KEY] UPDATE / FOR [KEY] SHARE after the SELECT's start. */
static int locking_location(const em__pctx *c, int from)
{
    for (int i = 0; i + 1 < c->ntokens; i++) {
        if (c->tokens[i].start < from || c->tokens[i].kind != PG_QUERY__TOKEN__FOR) continue;
        int next = c->tokens[i + 1].kind;
        if (next == PG_QUERY__TOKEN__UPDATE || next == PG_QUERY__TOKEN__SHARE ||
            next == PG_QUERY__TOKEN__NO || next == PG_QUERY__TOKEN__KEY)
            return c->tokens[i].start;
    }
    return from;
}

/* Where a SELECT starts: its SELECT, VALUES or WITH keyword before the first
 * location of its subtree (the WITH keyword is found first when it exists). */
static int select_location(em__pctx *c, const PgQuery__SelectStmt *s)
{
    int loc = em__subtree_location(&s->base);
    if (loc < 0) return -1;
    if (s->with_clause != NULL && s->with_clause->location >= 0) return s->with_clause->location;
    int sel = em__token_before(c, loc, PG_QUERY__TOKEN__SELECT);
    int val = em__token_before(c, loc, PG_QUERY__TOKEN__VALUES);
    int best = loc;
    if (sel != loc) best = sel;
    if (val != loc && (best == loc || val > best)) best = val;
    return best;
}

int em__translate_select(em__pctx *c, const PgQuery__SelectStmt *s, int location, em_ast **out)
{
    if (location < 0) location = select_location(c, s);
    if (c->depth >= EM__MAX_DEPTH)
        return em__unsupported(c, location, "queries nested more than %d levels deep",
                               EM__MAX_DEPTH);
    c->depth++;
    em_ast *a = em__ast_new(c, EM_AST_SELECT, location);
    int rc = 0;
#define TRY(x)                                                                                     \
    do {                                                                                           \
        rc = (x);                                                                                  \
        if (rc < 0) goto done;                                                                     \
    } while (0)

    if (s->with_clause != NULL) TRY(em__translate_with(c, s->with_clause, a));
    if (s->into_clause != NULL) {
        rc = em__unsupported(c, em__subtree_location(&s->into_clause->base), "SELECT INTO");
        goto done;
    }
    if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE &&
        s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED) {
        switch (s->op) {
        case PG_QUERY__SET_OPERATION__SETOP_UNION:
            a->u.select.op = EM_SETOP_UNION;
            break;
        case PG_QUERY__SET_OPERATION__SETOP_INTERSECT:
            a->u.select.op = EM_SETOP_INTERSECT;
            break;
        default:
            a->u.select.op = EM_SETOP_EXCEPT;
            break;
        }
        a->u.select.all = s->all;
        if (s->larg == NULL || s->rarg == NULL) {
            rc = em__error_at(c, EM_EINTERNAL, location, "set operation without two operands");
            goto done;
        }
        TRY(em__translate_select(c, s->larg, -1, &a->u.select.left));
        TRY(em__translate_select(c, s->rarg, -1, &a->u.select.right));
    } else if (s->n_values_lists > 0) {
        size_t n = s->n_values_lists;
        a->u.select.values_rows = em_arena_calloc(c->arena, n * sizeof(em_ast_list));
        for (size_t i = 0; i < n; i++) {
            const PgQuery__Node *row = s->values_lists[i];
            if (row->node_case != PG_QUERY__NODE__NODE_LIST) {
                rc = em__error_at(c, EM_EINTERNAL, location, "VALUES row is not a list");
                goto done;
            }
            TRY(em__translate_expr_list(c, row->list->items, row->list->n_items,
                                        &a->u.select.values_rows[i]));
        }
        a->u.select.nvalues_rows = (int)n;
    } else {
        if (s->n_distinct_clause > 0) {
            const PgQuery__Node *d = s->distinct_clause[0];
            if (s->n_distinct_clause > 1 ||
                (d != NULL && d->node_case != PG_QUERY__NODE__NODE__NOT_SET)) {
                rc = em__unsupported(
                    c,
                    em__token_before(c, em__subtree_location(&d->base), PG_QUERY__TOKEN__DISTINCT),
                    "DISTINCT ON");
                goto done;
            }
            a->u.select.distinct = true;
        }
        TRY(tr_targets(c, s, a));
        size_t nf = s->n_from_clause;
        if (nf > 0) {
            a->u.select.from.items = em_arena_alloc(c->arena, nf * sizeof(em_ast *));
            for (size_t i = 0; i < nf; i++)
                TRY(tr_from_item(c, s->from_clause[i], &a->u.select.from.items[i]));
            a->u.select.from.n = (int)nf;
        }
        if (s->where_clause != NULL)
            TRY(em__translate_expr(c, s->where_clause, &a->u.select.where));
        TRY(tr_group_by(c, s, a));
        if (s->having_clause != NULL)
            TRY(em__translate_expr(c, s->having_clause, &a->u.select.having));
        if (s->n_window_clause > 0) {
            rc = em__unsupported(c, em__node_location(s->window_clause[0]),
                                 "WINDOW clause (named windows)");
            goto done;
        }
    }
    TRY(em__translate_sort(c, s->sort_clause, s->n_sort_clause, &a->u.select.order_by,
                           &a->u.select.norder));
    if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES) {
        rc = em__unsupported(c, s->limit_count ? em__subtree_location(&s->limit_count->base) : -1,
                             "FETCH FIRST ... WITH TIES");
        goto done;
    }
    TRY(tr_limit(c, s->limit_count, &a->u.select.limit));
    TRY(tr_limit(c, s->limit_offset, &a->u.select.offset));
    if (s->n_locking_clause > 0) {
        rc = em__unsupported(c, locking_location(c, location), "FOR UPDATE/SHARE");
        goto done;
    }
#undef TRY
done:
    c->depth--;
    if (rc == 0) *out = a;
    return rc;
}

int em__translate_query(em__pctx *c, const PgQuery__Node *n, int location, em_ast **out)
{
    if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
        return em__unsupported(c, n ? em__subtree_location(&n->base) : location,
                               "%s where a query is expected", n ? em__node_name(n) : "nothing");
    return em__translate_select(c, n->select_stmt, location, out);
}

/*
 * translate_stmt.c — top-level statements other than SELECT: CREATE TABLE
 * [AS], CREATE VIEW, INSERT, DROP, EXPLAIN, COPY and SET/RESET.
 *
 * Options and clauses that would change what a statement does but that ember
 * does not implement (constraints, ON CONFLICT, RETURNING, CASCADE, ...) are
 * refused with EM_EUNSUPPORTED instead of being ignored.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/parser/parser_internal.h"

static bool has_text(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* A relation named by DDL or DML: ember has one namespace, so a schema or
 * catalog prefix is refused rather than dropped. */
static int rel_name(em__pctx *c, const PgQuery__RangeVar *rv, const char **out)
{
    if (has_text(rv->catalogname) || has_text(rv->schemaname))
        return em__unsupported(c, rv->location, "schema-qualified table name");
    if (em__path_at(c, rv->location) != NULL)
        return em__unsupported(c, rv->location, "a file path where a table name is expected");
    *out = em_arena_strdup(c->arena, rv->relname);
    return 0;
}

/* relpersistence: 'p' permanent, 't' temporary, 'u' unlogged. */
static int persistence(em__pctx *c, const PgQuery__RangeVar *rv, bool *temporary)
{
    *temporary = rv->relpersistence != NULL && rv->relpersistence[0] == 't';
    if (rv->relpersistence != NULL && rv->relpersistence[0] == 'u')
        return em__unsupported(c, rv->location, "UNLOGGED");
    return 0;
}

/* ---- CREATE TABLE ------------------------------------------------------------ */

static const char *constraint_name(PgQuery__ConstrType t)
{
    switch (t) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
        return "column DEFAULT";
    case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
        return "identity column";
    case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
        return "generated column";
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        return "CHECK constraint";
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        return "PRIMARY KEY constraint";
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
        return "UNIQUE constraint";
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
        return "EXCLUDE constraint";
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        return "REFERENCES (foreign key) constraint";
    default:
        return "constraint attribute (DEFERRABLE ...)";
    }
}

static int tr_coldef(em__pctx *c, const PgQuery__ColumnDef *cd, em_ast_coldef *out)
{
    int loc = cd->location;
    if (cd->coll_clause != NULL) return em__unsupported(c, loc, "COLLATE on a column");
    if (cd->raw_default != NULL) return em__unsupported(c, loc, "column DEFAULT");
    if (has_text(cd->compression)) return em__unsupported(c, loc, "column COMPRESSION");
    if (has_text(cd->storage)) return em__unsupported(c, loc, "column STORAGE");
    if (has_text(cd->identity)) return em__unsupported(c, loc, "identity column");
    if (has_text(cd->generated)) return em__unsupported(c, loc, "generated column");
    if (cd->n_fdwoptions > 0) return em__unsupported(c, loc, "column OPTIONS");
    if (cd->type_name == NULL) return em__unsupported(c, loc, "column without a type");
    out->name = em_arena_strdup(c->arena, cd->colname);
    out->location = loc;
    out->not_null = cd->is_not_null;
    const char *display;
    EM_TRY(em__translate_type(c, cd->type_name, &out->type, &display));
    for (size_t i = 0; i < cd->n_constraints; i++) {
        const PgQuery__Node *n = cd->constraints[i];
        if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
            return em__unsupported(c, loc, "%s on a column", em__node_name(n));
        const PgQuery__Constraint *k = n->constraint;
        if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL)
            out->not_null = true;
        else if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_NULL)
            return em__unsupported(c, k->location >= 0 ? k->location : loc, "%s",
                                   constraint_name(k->contype));
    }
    return 0;
}

static int tr_create(em__pctx *c, const PgQuery__CreateStmt *cs, int location, em_ast **out)
{
    const PgQuery__RangeVar *rv = cs->relation;
    int loc = rv->location;
    if (cs->n_inh_relations > 0) return em__unsupported(c, loc, "INHERITS");
    if (cs->partbound != NULL) return em__unsupported(c, loc, "PARTITION OF");
    if (cs->partspec != NULL) return em__unsupported(c, loc, "PARTITION BY in CREATE TABLE");
    if (cs->of_typename != NULL) return em__unsupported(c, loc, "CREATE TABLE OF type");
    if (cs->n_options > 0) return em__unsupported(c, loc, "WITH (storage options)");
    if (has_text(cs->tablespacename)) return em__unsupported(c, loc, "TABLESPACE");
    if (has_text(cs->access_method)) return em__unsupported(c, loc, "USING access method");
    if (cs->oncommit != PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_NOOP &&
        cs->oncommit != PG_QUERY__ON_COMMIT_ACTION__ON_COMMIT_ACTION_UNDEFINED)
        return em__unsupported(c, loc, "ON COMMIT");
    if (cs->n_constraints > 0) {
        const PgQuery__Node *k = cs->constraints[0];
        return em__unsupported(c, em__node_location(k) >= 0 ? em__node_location(k) : loc, "%s",
                               k->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
                                   ? constraint_name(k->constraint->contype)
                                   : "table constraint");
    }
    em_ast *a = em__ast_new(c, EM_AST_CREATE_TABLE, location);
    EM_TRY(rel_name(c, rv, &a->u.create.name));
    EM_TRY(persistence(c, rv, &a->u.create.temporary));
    a->u.create.if_not_exists = cs->if_not_exists;
    size_t n = cs->n_table_elts;
    a->u.create.columns = em_arena_calloc(c->arena, EM_MAX(n, (size_t)1) * sizeof(em_ast_coldef));
    for (size_t i = 0; i < n; i++) {
        const PgQuery__Node *e = cs->table_elts[i];
        if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
            return em__unsupported(c, e->constraint->location >= 0 ? e->constraint->location : loc,
                                   "%s", constraint_name(e->constraint->contype));
        if (e->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
            return em__unsupported(
                c, em__node_location(e) >= 0 ? em__node_location(e) : loc, "%s in CREATE TABLE",
                e->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE ? "LIKE" : em__node_name(e));
        EM_TRY(tr_coldef(c, e->column_def, &a->u.create.columns[i]));
    }
    a->u.create.ncolumns = (int)n;
    *out = a;
    return 0;
}

static int tr_create_as(em__pctx *c, const PgQuery__CreateTableAsStmt *cs, int location,
                        em_ast **out)
{
    const PgQuery__IntoClause *into = cs->into;
    int loc = into && into->rel ? into->rel->location : location;
    if (cs->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
        return em__unsupported(c, loc, "CREATE MATERIALIZED VIEW");
    if (cs->is_select_into) return em__unsupported(c, loc, "SELECT INTO");
    if (into == NULL || into->rel == NULL)
        return em__error_at(c, EM_EINTERNAL, location, "CREATE TABLE AS without a target");
    if (into->skip_data) return em__unsupported(c, loc, "WITH NO DATA");
    if (into->n_options > 0) return em__unsupported(c, loc, "WITH (storage options)");
    if (has_text(into->table_space_name)) return em__unsupported(c, loc, "TABLESPACE");
    if (has_text(into->access_method)) return em__unsupported(c, loc, "USING access method");
    if (into->on_commit != PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_NOOP &&
        into->on_commit != PG_QUERY__ON_COMMIT_ACTION__ON_COMMIT_ACTION_UNDEFINED)
        return em__unsupported(c, loc, "ON COMMIT");
    em_ast *a = em__ast_new(c, EM_AST_CREATE_TABLE, location);
    EM_TRY(rel_name(c, into->rel, &a->u.create.name));
    EM_TRY(persistence(c, into->rel, &a->u.create.temporary));
    a->u.create.if_not_exists = cs->if_not_exists;
    EM_TRY(em__string_list(c, into->col_names, into->n_col_names, loc, &a->u.create.alias,
                           &a->u.create.nalias));
    EM_TRY(em__translate_query(c, cs->query, -1, &a->u.create.query));
    *out = a;
    return 0;
}

static int tr_view(em__pctx *c, const PgQuery__ViewStmt *vs, int location, em_ast **out)
{
    int loc = vs->view->location;
    if (vs->n_options > 0) return em__unsupported(c, loc, "WITH (view options)");
    if (vs->with_check_option != PG_QUERY__VIEW_CHECK_OPTION__NO_CHECK_OPTION &&
        vs->with_check_option != PG_QUERY__VIEW_CHECK_OPTION__VIEW_CHECK_OPTION_UNDEFINED)
        return em__unsupported(c, loc, "WITH CHECK OPTION");
    em_ast *a = em__ast_new(c, EM_AST_CREATE_VIEW, location);
    EM_TRY(rel_name(c, vs->view, &a->u.create.name));
    EM_TRY(persistence(c, vs->view, &a->u.create.temporary));
    a->u.create.or_replace = vs->replace;
    EM_TRY(em__string_list(c, vs->aliases, vs->n_aliases, loc, &a->u.create.alias,
                           &a->u.create.nalias));
    EM_TRY(em__translate_query(c, vs->query, -1, &a->u.create.query));
    *out = a;
    return 0;
}

/* ---- INSERT, DROP -------------------------------------------------------------- */

static int tr_insert(em__pctx *c, const PgQuery__InsertStmt *is, int location, em_ast **out)
{
    int loc = is->relation->location;
    if (is->relation->alias != NULL) return em__unsupported(c, loc, "alias on the INSERT target");
    if (is->on_conflict_clause != NULL)
        return em__unsupported(c, is->on_conflict_clause->location, "ON CONFLICT");
    if (is->n_returning_list > 0)
        return em__unsupported(c, em__subtree_location(&is->returning_list[0]->base), "RETURNING");
    if (is->override != PG_QUERY__OVERRIDING_KIND__OVERRIDING_NOT_SET &&
        is->override != PG_QUERY__OVERRIDING_KIND__OVERRIDING_KIND_UNDEFINED)
        return em__unsupported(c, loc, "OVERRIDING ... VALUE");
    if (is->select_stmt == NULL) return em__unsupported(c, loc, "INSERT ... DEFAULT VALUES");
    em_ast *a = em__ast_new(c, EM_AST_INSERT, location);
    EM_TRY(rel_name(c, is->relation, &a->u.insert.table));
    size_t n = is->n_cols;
    if (n > 0) {
        a->u.insert.columns = em_arena_alloc(c->arena, n * sizeof(const char *));
        for (size_t i = 0; i < n; i++) {
            const PgQuery__Node *col = is->cols[i];
            if (col->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
                return em__error_at(c, EM_EINTERNAL, loc, "INSERT column is not a name");
            if (col->res_target->n_indirection > 0)
                return em__unsupported(c, col->res_target->location,
                                       "subscript or field in an INSERT column list");
            a->u.insert.columns[i] = em_arena_strdup(c->arena, col->res_target->name);
        }
        a->u.insert.ncolumns = (int)n;
    }
    EM_TRY(em__translate_query(c, is->select_stmt, -1, &a->u.insert.query));
    /* WITH ... INSERT INTO t SELECT ...: the CTEs are visible to the query
       only, so they can live on it. */
    if (is->with_clause != NULL) {
        if (a->u.insert.query->u.select.nctes > 0)
            return em__unsupported(c, is->with_clause->location,
                                   "WITH before INSERT together with WITH in its query");
        EM_TRY(em__translate_with(c, is->with_clause, a->u.insert.query));
    }
    *out = a;
    return 0;
}

static int tr_drop(em__pctx *c, const PgQuery__DropStmt *ds, int location, em_ast **out)
{
    em_ast *a = em__ast_new(c, EM_AST_DROP, location);
    if (ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW)
        a->u.drop.is_view = true;
    else if (ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
        return em__unsupported(c, location, "DROP of this kind of object");
    if (ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
        return em__unsupported(c, location, "DROP ... CASCADE");
    if (ds->concurrent) return em__unsupported(c, location, "DROP ... CONCURRENTLY");
    a->u.drop.if_exists = ds->missing_ok;
    size_t n = ds->n_objects;
    a->u.drop.names = em_arena_alloc(c->arena, EM_MAX(n, (size_t)1) * sizeof(const char *));
    for (size_t i = 0; i < n; i++) {
        const PgQuery__Node *o = ds->objects[i];
        if (o->node_case != PG_QUERY__NODE__NODE_LIST || o->list->n_items != 1 ||
            em__string_value(o->list->items[0]) == NULL)
            return em__unsupported(c, location, "schema-qualified name in DROP");
        a->u.drop.names[i] = em_arena_strdup(c->arena, em__string_value(o->list->items[0]));
    }
    a->u.drop.nnames = (int)n;
    *out = a;
    return 0;
}

/* ---- EXPLAIN --------------------------------------------------------------------- */

/* A boolean option value: no value means true, as in PostgreSQL. */
static int option_bool(em__pctx *c, const PgQuery__DefElem *d, bool *out)
{
    const PgQuery__Node *v = d->arg;
    if (v == NULL) {
        *out = true;
        return 0;
    }
    if (v->node_case == PG_QUERY__NODE__NODE_BOOLEAN) {
        *out = v->boolean->boolval;
        return 0;
    }
    if (v->node_case == PG_QUERY__NODE__NODE_INTEGER) {
        *out = v->integer->ival != 0;
        return 0;
    }
    const char *s = em__string_value(v);
    if (s != NULL) {
        if (!strcasecmp(s, "true") || !strcasecmp(s, "on") || !strcasecmp(s, "yes") ||
            !strcmp(s, "1")) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, "false") || !strcasecmp(s, "off") || !strcasecmp(s, "no") ||
            !strcmp(s, "0")) {
            *out = false;
            return 0;
        }
    }
    return em__error_at(c, EM_EINVAL, d->location, "option \"%s\" requires a Boolean value",
                        d->defname);
}

static int tr_explain(em__pctx *c, const PgQuery__ExplainStmt *es, int location, em_ast **out)
{
    em_ast *a = em__ast_new(c, EM_AST_EXPLAIN, location);
    for (size_t i = 0; i < es->n_options; i++) {
        const PgQuery__Node *o = es->options[i];
        if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
            return em__error_at(c, EM_EINTERNAL, location, "EXPLAIN option is not a DefElem");
        const PgQuery__DefElem *d = o->def_elem;
        if (strcmp(d->defname, "analyze") == 0)
            EM_TRY(option_bool(c, d, &a->u.explain.analyze));
        else if (strcmp(d->defname, "verbose") == 0)
            EM_TRY(option_bool(c, d, &a->u.explain.verbose));
        else
            return em__unsupported(c, d->location, "EXPLAIN option %s", d->defname);
    }
    EM_TRY(em__translate_stmt(c, es->query, -1, &a->u.explain.stmt));
    *out = a;
    return 0;
}

/* ---- COPY --------------------------------------------------------------------------- */

/* PostgreSQL gives COPY option values as String nodes whether they were
 * written as a word (FORMAT csv) or a literal (DELIMITER '|'). The token at
 * the value's position tells them apart: a quoted string is a CONST, TRUE and
 * FALSE are BOOLEAN CONSTs, and any other word is a COLUMN naming it. */
static int copy_word(em__pctx *c, const char *s, int tok, em_ast **out)
{
    int kind = tok >= 0 ? c->tokens[tok].kind : PG_QUERY__TOKEN__SCONST;
    int loc = tok >= 0 ? c->tokens[tok].start : -1;
    em_ast *a;
    if (kind == PG_QUERY__TOKEN__TRUE_P || kind == PG_QUERY__TOKEN__FALSE_P) {
        a = em__ast_new(c, EM_AST_CONST, loc);
        a->u.constant.value = em_value_bool(kind == PG_QUERY__TOKEN__TRUE_P);
    } else if (kind == PG_QUERY__TOKEN__SCONST || kind == PG_QUERY__TOKEN__USCONST) {
        a = em__ast_new(c, EM_AST_CONST, loc);
        size_t len = strlen(s);
        a->u.constant.value = em_value_varchar(em_arena_strndup(c->arena, s, len), (int32_t)len);
        a->u.constant.is_string_literal = true;
    } else {
        a = em__ast_new(c, EM_AST_COLUMN, loc);
        a->u.column.name = em_arena_strdup(c->arena, s);
    }
    *out = a;
    return 0;
}

static int copy_value(em__pctx *c, const PgQuery__Node *v, int tok, int defloc, em_ast **out)
{
    int loc = tok >= 0 ? c->tokens[tok].start : -1;
    em_ast *a;
    switch (v->node_case) {
    case PG_QUERY__NODE__NODE_STRING:
        return copy_word(c, v->string->sval, tok, out);
    case PG_QUERY__NODE__NODE_INTEGER:
        a = em__ast_new(c, EM_AST_CONST, loc);
        a->u.constant.value = em_value_int(v->integer->ival);
        break;
    case PG_QUERY__NODE__NODE_FLOAT:
        a = em__ast_new(c, EM_AST_CONST, loc);
        em__numeric_value(c, v->float_->fval, &a->u.constant.value);
        break;
    case PG_QUERY__NODE__NODE_BOOLEAN:
        a = em__ast_new(c, EM_AST_CONST, loc);
        a->u.constant.value = em_value_bool(v->boolean->boolval);
        break;
    case PG_QUERY__NODE__NODE_A_STAR:
        a = em__ast_new(c, EM_AST_STAR, loc);
        break;
    default:
        return em__unsupported(c, defloc, "COPY option value %s", em__node_name(v));
    }
    *out = a;
    return 0;
}

/* Index of the token holding a DefElem's value: the one after its name,
 * skipping the AS of the old `DELIMITER AS ','` spelling; -1 when unknown. */
static int value_token(const em__pctx *c, int defloc)
{
    int t = em__token_at(c, defloc);
    if (t < 0 || t + 1 >= c->ntokens) return -1;
    t++;
    if (c->tokens[t].kind == PG_QUERY__TOKEN__AS && t + 1 < c->ntokens) t++;
    return t;
}

static int copy_list(em__pctx *c, const PgQuery__DefElem *d, em_ast_option *o)
{
    const PgQuery__List *l = d->arg->list;
    o->list.items = em_arena_alloc(c->arena, EM_MAX(l->n_items, (size_t)1) * sizeof(em_ast *));
    /* Item tokens: after the '(', each item starts after a comma. Signs make
       an item two tokens, hence the walk rather than fixed strides. */
    int t = value_token(c, d->location);
    bool tokens_ok = t >= 0 && c->tokens[t].kind == PG_QUERY__TOKEN__ASCII_40;
    if (tokens_ok) t++;
    for (size_t i = 0; i < l->n_items; i++) {
        int tok = tokens_ok && t < c->ntokens ? t : -1;
        EM_TRY(copy_value(c, l->items[i], tok, d->location, &o->list.items[i]));
        o->list.n++;
        if (tokens_ok) {
            while (t < c->ntokens && c->tokens[t].kind != PG_QUERY__TOKEN__ASCII_44 &&
                   c->tokens[t].kind != PG_QUERY__TOKEN__ASCII_41)
                t++;
            t++;
        }
    }
    return 0;
}

static int tr_copy(em__pctx *c, const PgQuery__CopyStmt *cs, int location, em_ast **out)
{
    if (cs->is_program) return em__unsupported(c, location, "COPY ... PROGRAM");
    if (!has_text(cs->filename))
        return em__unsupported(c, location, "COPY %s", cs->is_from ? "FROM STDIN" : "TO STDOUT");
    if (cs->n_attlist > 0) return em__unsupported(c, location, "COPY with a column list");
    if (cs->where_clause != NULL)
        return em__unsupported(c, em__subtree_location(&cs->where_clause->base), "COPY ... WHERE");
    em_ast *a = em__ast_new(c, EM_AST_COPY, location);
    if (cs->relation != NULL) EM_TRY(rel_name(c, cs->relation, &a->u.copy.table));
    if (cs->query != NULL) EM_TRY(em__translate_query(c, cs->query, -1, &a->u.copy.query));
    a->u.copy.path = em_arena_strdup(c->arena, cs->filename);
    a->u.copy.is_from = cs->is_from;
    size_t n = cs->n_options;
    a->u.copy.options = em_arena_calloc(c->arena, EM_MAX(n, (size_t)1) * sizeof(em_ast_option));
    for (size_t i = 0; i < n; i++) {
        const PgQuery__Node *on = cs->options[i];
        if (on->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
            return em__error_at(c, EM_EINTERNAL, location, "COPY option is not a DefElem");
        const PgQuery__DefElem *d = on->def_elem;
        em_ast_option *o = &a->u.copy.options[i];
        o->name = em__lower(c, d->defname);
        o->location = d->location;
        if (d->arg == NULL) {
            /* e.g. HEADER alone: present, no value. */
        } else if (d->arg->node_case == PG_QUERY__NODE__NODE_LIST) {
            EM_TRY(copy_list(c, d, o));
        } else {
            EM_TRY(copy_value(c, d->arg, value_token(c, d->location), d->location, &o->value));
        }
    }
    a->u.copy.noptions = (int)n;
    *out = a;
    return 0;
}

/* ---- SET / RESET ------------------------------------------------------------------- */

static int set_value_text(em__pctx *c, const PgQuery__Node *v, int location, em_strbuf *sb)
{
    if (v->node_case == PG_QUERY__NODE__NODE_A_CONST && !v->a_const->isnull) {
        const PgQuery__AConst *k = v->a_const;
        switch (k->val_case) {
        case PG_QUERY__A__CONST__VAL_IVAL:
            em_strbuf_printf(sb, "%d", k->ival ? k->ival->ival : 0);
            return 0;
        case PG_QUERY__A__CONST__VAL_FVAL:
            em_strbuf_puts(sb, k->fval->fval);
            return 0;
        case PG_QUERY__A__CONST__VAL_SVAL:
            em_strbuf_puts(sb, k->sval->sval);
            return 0;
        case PG_QUERY__A__CONST__VAL_BOOLVAL:
            em_strbuf_puts(sb, k->boolval && k->boolval->boolval ? "true" : "false");
            return 0;
        default:
            break;
        }
    }
    int loc = em__node_location(v);
    return em__unsupported(c, loc >= 0 ? loc : location, "SET value of this form (%s)",
                           em__node_name(v));
}

static int tr_set(em__pctx *c, const PgQuery__VariableSetStmt *vs, int location, em_ast **out)
{
    if (vs->is_local) return em__unsupported(c, location, "SET LOCAL");
    em_ast *a = em__ast_new(c, EM_AST_SET, location);
    switch (vs->kind) {
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE: {
        em_strbuf sb;
        em_strbuf_init(&sb);
        int rc = 0;
        for (size_t i = 0; i < vs->n_args && rc == 0; i++) {
            if (i > 0) em_strbuf_puts(&sb, ", ");
            rc = set_value_text(c, vs->args[i], location, &sb);
        }
        if (rc == 0) a->u.set.value = em_arena_strndup(c->arena, sb.data ? sb.data : "", sb.len);
        em_strbuf_release(&sb);
        EM_TRY(rc);
        break;
    }
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
        a->u.set.value = NULL;
        break;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
        return em__unsupported(c, location, "RESET ALL");
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_CURRENT:
        return em__unsupported(c, location, "SET ... FROM CURRENT");
    default:
        return em__unsupported(c, location, "SET TRANSACTION / SESSION CHARACTERISTICS");
    }
    a->u.set.name = em__lower(c, vs->name);
    *out = a;
    return 0;
}

int em__translate_stmt(em__pctx *c, const PgQuery__Node *n, int location, em_ast **out)
{
    if (n == NULL) return em__error_at(c, EM_EINTERNAL, location, "empty statement");
    if (location < 0 && n->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
        location = em__subtree_location(&n->base);
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT:
        return em__translate_select(c, n->select_stmt, location, out);
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        return tr_create(c, n->create_stmt, location, out);
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
        return tr_create_as(c, n->create_table_as_stmt, location, out);
    case PG_QUERY__NODE__NODE_VIEW_STMT:
        return tr_view(c, n->view_stmt, location, out);
    case PG_QUERY__NODE__NODE_INSERT_STMT:
        return tr_insert(c, n->insert_stmt, location, out);
    case PG_QUERY__NODE__NODE_DROP_STMT:
        return tr_drop(c, n->drop_stmt, location, out);
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
        return tr_explain(c, n->explain_stmt, location, out);
    case PG_QUERY__NODE__NODE_COPY_STMT:
        return tr_copy(c, n->copy_stmt, location, out);
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
        return tr_set(c, n->variable_set_stmt, location, out);
    default:
        return em__unsupported(c, location, "%s statement", em__node_name(n));
    }
}

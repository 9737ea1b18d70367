/*
 * binder.c — queries: FROM items, WHERE, GROUP BY / aggregates / HAVING, the
 * select list, DISTINCT, ORDER BY, LIMIT, VALUES and set operations, bound
 * into a logical plan (logical.h). Expressions are bound by bind_expr.c.
 *
 * Shape of a bound SELECT, bottom up:
 *   FROM item -> FILTER (WHERE) -> AGGREGATE (keys, aggs) -> FILTER (HAVING)
 *   -> PROJECT (select list + hidden ORDER BY columns) -> AGGREGATE (DISTINCT)
 *   -> SORT -> PROJECT (drop hidden columns) -> LIMIT
 */
#include "sql/binder/binder_int.h"

#include <string.h>
#include <sys/stat.h>

static int bind_query(em__binder *b, const em_ast *q, em_lop **out, em_error *err);

int em__bind_query(em__binder *b, const em_ast *q, em_lop **out, em_error *err)
{
    return bind_query(b, q, out, err);
}

void em_bind_ctx_release(em_bind_ctx *ctx)
{
    for (int i = 0; i < ctx->nscans; i++) em_scan_desc_destroy(ctx->scans[i]);
    em_free(ctx->scans);
    for (int i = 0; i < ctx->ntables; i++) em_table_unref(ctx->tables[i]);
    em_free(ctx->tables);
    ctx->scans = NULL;
    ctx->tables = NULL;
    ctx->nscans = ctx->ntables = 0;
}

static em_arena *arena(em__binder *b)
{
    return b->ctx->arena;
}

/* ---- helpers ------------------------------------------------------------- */

static em_lop *make_project(em__binder *b, em_lop *child, int n, em_expr **exprs,
                            const char *const *names)
{
    em_lop *p = em_lop_new(arena(b), EM_LOP_PROJECT, 1);
    p->children[0] = child;
    p->u.project.nexprs = n;
    p->u.project.exprs = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n ? n : 1));
    p->schema = em_lop_schema(arena(b), n);
    for (int i = 0; i < n; i++) {
        p->u.project.exprs[i] = exprs[i];
        p->schema->fields[i].name = em_arena_strdup(arena(b), names[i]);
        p->schema->fields[i].type = exprs[i]->type;
        p->schema->fields[i].nullable = true;
    }
    p->est_rows = child->est_rows;
    return p;
}

static em_lop *make_filter(em__binder *b, em_lop *child, em_expr *pred)
{
    em_lop *f = em_lop_new(arena(b), EM_LOP_FILTER, 1);
    f->children[0] = child;
    f->u.filter.pred = pred;
    f->schema = child->schema;
    f->est_rows = child->est_rows;
    return f;
}

static void scope_from_schema(em__binder *b, const em_schema *s, const char *qualifier,
                              em__scope *scope)
{
    scope->ncols = s->nfields;
    scope->prefer = 0;
    scope->cols = em_arena_alloc(arena(b), sizeof(em__scope_col) * (size_t)(s->nfields + 1));
    for (int i = 0; i < s->nfields; i++) {
        scope->cols[i].qualifier = qualifier;
        scope->cols[i].name = s->fields[i].name;
        scope->cols[i].type = s->fields[i].type;
        scope->cols[i].hidden = false;
    }
}

/* Index of the visible column `name` in a scope, -1 when absent, -2 when
 * there are several. */
static int lookup_visible(const em__scope *s, const char *name)
{
    int found = -1;
    for (int i = 0; i < s->ncols; i++) {
        if (s->cols[i].hidden || !em_str_ieq(s->cols[i].name, name)) continue;
        if (found >= 0) return -2;
        found = i;
    }
    return found;
}

/* Rename the output columns of a plan (FROM x AS t(a, b)). */
static int apply_column_aliases(em__binder *b, em_lop *plan, int n, const char **names,
                                const em_ast *at, em_error *err)
{
    if (n == 0) return 0;
    if (n > plan->schema->nfields)
        return em_error_set_pos(err, EM_EBIND, em__pos(at),
                                "%d column aliases given for a relation with %d columns", n,
                                plan->schema->nfields);
    em_schema *s = em_lop_schema(arena(b), plan->schema->nfields);
    for (int i = 0; i < s->nfields; i++) {
        s->fields[i] = plan->schema->fields[i];
        if (i < n) s->fields[i].name = em_arena_strdup(arena(b), names[i]);
    }
    plan->schema = s;
    return 0;
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* ---- file scans ---------------------------------------------------------- */

static const char *base_name_stem(em__binder *b, const char *path)
{
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    const char *dot = strchr(s, '.');
    return em_arena_strndup(arena(b), s, dot ? (size_t)(dot - s) : strlen(s));
}

/* Render a constant option value as text ("true", "|", "10"). */
static int option_text(em__binder *b, const em_ast *v, const char *name, const char **out,
                       em_error *err)
{
    if (v->kind == EM_AST_CONST) {
        if (v->u.constant.value.is_null)
            return em_error_set_pos(err, EM_EINVAL, em__pos(v), "option %s cannot be NULL", name);
        em_strbuf sb;
        em_strbuf_init(&sb);
        em_value_format(&v->u.constant.value, &sb);
        *out = em_arena_strdup(arena(b), sb.data ? sb.data : "");
        em_strbuf_release(&sb);
        return 0;
    }
    if (v->kind == EM_AST_COLUMN && !v->u.column.qualifier) {
        *out = v->u.column.name; /* a bare word: header = true arrives as a column "true"? */
        return 0;
    }
    return em_error_set_pos(err, EM_EINVAL, em__pos(v), "option %s must be a constant", name);
}

static int make_file_scan(em__binder *b, const char *format, const char *path, int noptions,
                          const em_ast_option *options, const em_ast *at, em_lop **out,
                          em_error *err)
{
    em_bind_ctx *ctx = b->ctx;
    if (!em_format_lookup(format))
        return em_error_set_pos(err, EM_EINVAL, em__pos(at), "unknown file format '%s'", format);
    em_scan_desc *d = em_scan_desc_create(format);
    ctx->scans = em_realloc(ctx->scans, sizeof(em_scan_desc *) * (size_t)(ctx->nscans + 1));
    ctx->scans[ctx->nscans++] = d;
    if (em_scan_desc_add_files(d, path, err) < 0) {
        if (!err->sql_pos) err->sql_pos = em__pos(at);
        return err->code;
    }
    for (int i = 0; i < noptions; i++) {
        const char *text = NULL;
        EM_TRY(option_text(b, options[i].value, options[i].name, &text, err));
        em_scan_desc_set_option(d, options[i].name, text);
    }
    /* Split size as Spark sizes it: at most maxPartitionBytes, at least 4 MiB,
     * otherwise the total spread over the executor threads. */
    int64_t total = 0;
    for (int i = 0; i < d->nfiles; i++) total += file_size(d->files[i]);
    int64_t per_core = total / (ctx->parallelism > 0 ? ctx->parallelism : 1);
    int64_t split = EM_MIN(ctx->max_partition_bytes, EM_MAX((int64_t)4 << 20, per_core));
    if (em_scan_desc_bind(d, split, ctx->pool, err) < 0) {
        if (!err->sql_pos) err->sql_pos = em__pos(at);
        return err->code;
    }
    em_lop *scan = em_lop_new(arena(b), EM_LOP_SCAN_FILE, 0);
    scan->u.scan.desc = d;
    int n = d->schema->nfields;
    scan->schema = em_lop_schema(arena(b), n);
    scan->u.scan.ncols = n;
    scan->u.scan.cols = em_arena_alloc(arena(b), sizeof(int) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        scan->schema->fields[i].name = em_arena_strdup(arena(b), d->schema->fields[i].name);
        scan->schema->fields[i].type = d->schema->fields[i].type;
        scan->schema->fields[i].nullable = true;
        scan->u.scan.cols[i] = i;
    }
    scan->est_rows = (double)total / 64.0;
    *out = scan;
    return 0;
}

static bool looks_like_path(const char *name)
{
    return strchr(name, '/') || strchr(name, '*') || em_format_guess(name) != NULL;
}

/* ---- FROM items ---------------------------------------------------------- */

static int table_not_found(em__binder *b, const em_ast *at, const char *name, em_error *err)
{
    const char *const *names = em_catalog_names(b->ctx->catalog);
    const char *best = NULL;
    int best_d = 3;
    for (int i = 0; names[i]; i++) {
        int d = em_edit_distance(name, names[i]);
        if (d < best_d) best_d = d, best = names[i];
    }
    for (em__cte_entry *c = b->ctes; c; c = c->outer) {
        int d = em_edit_distance(name, c->cte->name);
        if (d < best_d) best_d = d, best = c->cte->name;
    }
    if (best)
        em_error_set_pos(err, EM_ENOENT, em__pos(at),
                         "table \"%s\" does not exist; did you mean \"%s\"?", name, best);
    else
        em_error_set_pos(err, EM_ENOENT, em__pos(at), "table \"%s\" does not exist", name);
    memcpy(err->sqlstate, "42P01", 6);
    return EM_ENOENT;
}

static int bind_view(em__binder *b, em_view *v, const em_ast *at, em_lop **out, em_error *err)
{
    if (b->ctx->view_depth > 32)
        return em_error_set_pos(err, EM_EBIND, em__pos(at),
                                "view \"%s\" refers to itself (or nests too deeply)", v->name);
    em_parsed parsed;
    if (em_parse(v->sql, arena(b), &parsed, err) < 0 || parsed.nstmts != 1 ||
        parsed.stmts[0]->kind != EM_AST_CREATE_VIEW) {
        if (err->code == 0) em_error_set(err, EM_EINTERNAL, "stored view text is not a view");
        em_error_prefix(err, "in view \"%s\"", v->name);
        err->sql_pos = em__pos(at);
        return err->code;
    }
    em__binder inner = {.ctx = b->ctx, .ctes = NULL};
    b->ctx->view_depth++;
    int rc = bind_query(&inner, parsed.stmts[0]->u.create.query, out, err);
    b->ctx->view_depth--;
    if (rc < 0) {
        em_error_prefix(err, "in view \"%s\"", v->name);
        err->sql_pos = em__pos(at);
        return rc;
    }
    return apply_column_aliases(b, *out, v->ncolumns, (const char **)v->columns, at, err);
}

static int bind_table_ref(em__binder *b, const em_ast *at, em_lop **out, const char **qual,
                          em_error *err)
{
    const char *name = at->u.table_ref.name;
    *qual = at->u.table_ref.alias ? at->u.table_ref.alias : name;
    if (!at->u.table_ref.is_path && !at->u.table_ref.schema) {
        for (em__cte_entry *c = b->ctes; c; c = c->outer) {
            if (!em_str_ieq(c->cte->name, name)) continue;
            em__cte_entry *saved = b->ctes;
            b->ctes = c->outer; /* a CTE sees the CTEs defined before it */
            int rc = bind_query(b, c->cte->query, out, err);
            b->ctes = saved;
            EM_TRY(rc);
            EM_TRY(apply_column_aliases(b, *out, c->cte->ncolumns, c->cte->columns, at, err));
            goto aliases;
        }
        em_table *t = em_catalog_table(b->ctx->catalog, name);
        if (t) {
            em_bind_ctx *ctx = b->ctx;
            ctx->tables = em_realloc(ctx->tables, sizeof(em_table *) * (size_t)(ctx->ntables + 1));
            ctx->tables[ctx->ntables++] = em_table_ref(t);
            em_lop *scan = em_lop_new(arena(b), EM_LOP_SCAN_TABLE, 0);
            scan->u.scan.table = t;
            int n = t->schema->nfields;
            scan->schema = em_lop_schema(arena(b), n);
            scan->u.scan.ncols = n;
            scan->u.scan.cols = em_arena_alloc(arena(b), sizeof(int) * (size_t)(n ? n : 1));
            for (int i = 0; i < n; i++) {
                scan->schema->fields[i] = t->schema->fields[i];
                scan->schema->fields[i].name = em_arena_strdup(arena(b), t->schema->fields[i].name);
                scan->u.scan.cols[i] = i;
            }
            scan->est_rows = (double)t->data.rows;
            *out = scan;
            goto aliases;
        }
        em_view *v = em_catalog_view(b->ctx->catalog, name);
        if (v) {
            EM_TRY(bind_view(b, v, at, out, err));
            goto aliases;
        }
    }
    if (at->u.table_ref.is_path || looks_like_path(name)) {
        const char *fmt = em_format_guess(name);
        if (!fmt) fmt = "csv";
        EM_TRY(make_file_scan(b, fmt, name, 0, NULL, at, out, err));
        if (!at->u.table_ref.alias) *qual = base_name_stem(b, name);
        goto aliases;
    }
    return table_not_found(b, at, name, err);
aliases:
    return apply_column_aliases(b, *out, at->u.table_ref.ncolumns, at->u.table_ref.columns, at,
                                err);
}

static int bind_table_func(em__binder *b, const em_ast *at, em_lop **out, const char **qual,
                           em_error *err)
{
    const char *name = at->u.table_func.name;
    const char *format = NULL;
    if (!strcmp(name, "read_csv") || !strcmp(name, "read_csv_auto"))
        format = "csv";
    else if (!strcmp(name, "read_json") || !strcmp(name, "read_json_auto") ||
             !strcmp(name, "read_ndjson") || !strcmp(name, "read_ndjson_auto"))
        format = "json";
    else if (!strcmp(name, "read_parquet") || !strcmp(name, "parquet_scan"))
        format = "parquet";
    else
        return em_error_set_pos(err, EM_ENOENT, em__pos(at),
                                "table function %s does not exist (try read_csv, read_json or "
                                "read_parquet)",
                                name);
    if (at->u.table_func.args.n != 1)
        return em_error_set_pos(err, EM_EINVAL, em__pos(at),
                                "%s takes one path argument (a file, directory or glob)", name);
    const em_ast *p = at->u.table_func.args.items[0];
    if (p->kind != EM_AST_CONST || p->u.constant.value.type.id != EM_TYPE_VARCHAR ||
        p->u.constant.value.is_null)
        return em_error_set_pos(err, EM_EINVAL, em__pos(p), "%s: the path must be a string",
                                name);
    const char *path = em_arena_strndup(arena(b), p->u.constant.value.v.str.ptr,
                                        (size_t)p->u.constant.value.v.str.len);
    EM_TRY(make_file_scan(b, format, path, at->u.table_func.noptions, at->u.table_func.options,
                          at, out, err));
    *qual = at->u.table_func.alias ? at->u.table_func.alias : base_name_stem(b, path);
    return apply_column_aliases(b, *out, at->u.table_func.ncolumns, at->u.table_func.columns, at,
                                err);
}

static em_lop *make_join(em__binder *b, em_lop *l, em_lop *r, em_join_kind kind, em_expr *cond)
{
    em_lop *j = em_lop_new(arena(b), EM_LOP_JOIN, 2);
    j->children[0] = l;
    j->children[1] = r;
    j->u.join.kind = kind;
    j->u.join.cond = cond;
    int L = l->schema->nfields, R = kind < EM_JOIN_KIND_SEMI ? r->schema->nfields : 0;
    j->schema = em_lop_schema(arena(b), L + R);
    for (int i = 0; i < L; i++) j->schema->fields[i] = l->schema->fields[i];
    for (int i = 0; i < R; i++) j->schema->fields[L + i] = r->schema->fields[i];
    double le = l->est_rows >= 0 ? l->est_rows : 1e6, re = r->est_rows >= 0 ? r->est_rows : 1e6;
    if (kind >= EM_JOIN_KIND_SEMI)
        j->est_rows = le * 0.5;
    else if (!cond)
        j->est_rows = le * re;
    else
        j->est_rows = EM_MAX(le, re);
    return j;
}

static em__scope concat_scopes(em__binder *b, const em__scope *l, const em__scope *r)
{
    em__scope s = {.ncols = l->ncols + r->ncols};
    s.cols = em_arena_alloc(arena(b), sizeof(em__scope_col) * (size_t)(s.ncols + 1));
    for (int i = 0; i < l->ncols; i++) s.cols[i] = l->cols[i];
    for (int i = 0; i < r->ncols; i++) s.cols[l->ncols + i] = r->cols[i];
    return s;
}

static int bind_from_item(em__binder *b, const em_ast *item, em_lop **out, em__scope *scope,
                          em_error *err);

/* l.c = r.c for a USING / NATURAL column, with the sides' types reconciled. */
static int using_equality(em__binder *b, const em__scope *both, int li, int ri, const em_ast *at,
                          em_expr **out, em_error *err)
{
    em_expr *l = em_expr_column(arena(b), li, both->cols[li].type);
    em_expr *r = em_expr_column(arena(b), ri, both->cols[ri].type);
    EM_TRY(em__coerce_pair(b, &l, NULL, &r, NULL, err));
    em_expr *args[2] = {l, r};
    return em__make_call(b, "=", 2, args, at, out, err);
}

static int bind_join(em__binder *b, const em_ast *item, em_lop **out, em__scope *scope,
                     em_error *err)
{
    em_lop *l, *r;
    em__scope ls, rs;
    EM_TRY(bind_from_item(b, item->u.join.left, &l, &ls, err));
    EM_TRY(bind_from_item(b, item->u.join.right, &r, &rs, err));
    em__scope both = concat_scopes(b, &ls, &rs);
    static const em_join_kind kinds[] = {EM_JOIN_KIND_INNER, EM_JOIN_KIND_LEFT, EM_JOIN_KIND_RIGHT,
                                         EM_JOIN_KIND_FULL, EM_JOIN_KIND_INNER};
    em_join_kind kind = kinds[item->u.join.type <= EM_JOIN_CROSS ? item->u.join.type : 0];
    int L = ls.ncols;

    /* USING (a, b) or NATURAL: the named columns must exist once on each side. */
    int nusing = item->u.join.nusing;
    const char **using = item->u.join.using_cols;
    if (item->u.join.natural) {
        using = em_arena_alloc(arena(b), sizeof(char *) * (size_t)(L + 1));
        nusing = 0;
        for (int i = 0; i < L; i++)
            if (!ls.cols[i].hidden && lookup_visible(&rs, ls.cols[i].name) >= 0)
                using[nusing++] = ls.cols[i].name;
    }
    em_expr *cond = NULL;
    int *lidx = NULL, *ridx = NULL;
    if (nusing > 0) {
        lidx = em_arena_alloc(arena(b), sizeof(int) * (size_t)nusing);
        ridx = em_arena_alloc(arena(b), sizeof(int) * (size_t)nusing);
        em_expr **eqs = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)nusing);
        for (int k = 0; k < nusing; k++) {
            lidx[k] = lookup_visible(&ls, using[k]);
            int ri = lookup_visible(&rs, using[k]);
            if (lidx[k] < 0 || ri < 0)
                return em_error_set_pos(err, EM_EBIND, em__pos(item),
                                        "column \"%s\" in USING is not on %s side of the join",
                                        using[k], lidx[k] < 0 ? "the left" : "the right");
            if (lidx[k] == -2 || ri == -2)
                return em_error_set_pos(err, EM_EBIND, em__pos(item),
                                        "column \"%s\" in USING is ambiguous", using[k]);
            ridx[k] = L + ri;
            EM_TRY(using_equality(b, &both, lidx[k], ridx[k], item, &eqs[k], err));
        }
        if (nusing == 1)
            cond = eqs[0];
        else {
            cond = em_expr_new(arena(b), EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), nusing);
            memcpy(cond->args, eqs, sizeof(em_expr *) * (size_t)nusing);
        }
    } else if (item->u.join.on) {
        if (em__ast_has_agg(item->u.join.on))
            return em_error_set_pos(err, EM_EBIND, em__pos(item->u.join.on),
                                    "aggregate functions are not allowed in JOIN conditions");
        EM_TRY(em__bind_expr(b, &both, NULL, item->u.join.on, &cond, err));
        if (cond->type.id != EM_TYPE_BOOLEAN)
            return em_error_set_pos(err, EM_ETYPE, em__pos(item->u.join.on),
                                    "argument of JOIN/ON must be BOOLEAN");
    }
    em_lop *j = make_join(b, l, r, kind, cond);
    if (nusing == 0) {
        *out = j;
        *scope = both;
        return 0;
    }
    /* USING columns appear once, first; the sides' copies stay reachable by
     * qualified name (t1.a) but not by * or a bare name. */
    int n = both.ncols;
    em_expr **ex = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(nusing + n));
    const char **names = em_arena_alloc(arena(b), sizeof(char *) * (size_t)(nusing + n));
    em__scope ns = {.ncols = nusing + n};
    ns.cols = em_arena_alloc(arena(b), sizeof(em__scope_col) * (size_t)(nusing + n));
    for (int k = 0; k < nusing; k++) {
        const em_expr *eq = nusing == 1 ? cond : cond->args[k];
        em_expr *le = eq->args[0], *re = eq->args[1]; /* cast to the common type */
        em_expr *m;
        if (kind == EM_JOIN_KIND_RIGHT)
            m = re;
        else if (kind == EM_JOIN_KIND_FULL) {
            m = em_expr_new(arena(b), EM_EXPR_COALESCE, le->type, 2);
            m->args[0] = le;
            m->args[1] = re;
        } else
            m = le;
        ex[k] = m;
        names[k] = using[k];
        ns.cols[k] = (em__scope_col){.qualifier = NULL, .name = using[k], .type = m->type};
    }
    for (int i = 0; i < n; i++) {
        ex[nusing + i] = em_expr_column(arena(b), i, both.cols[i].type);
        names[nusing + i] = both.cols[i].name;
        ns.cols[nusing + i] = both.cols[i];
        for (int k = 0; k < nusing; k++)
            if (i == lidx[k] || i == ridx[k]) ns.cols[nusing + i].hidden = true;
    }
    *out = make_project(b, j, nusing + n, ex, names);
    *scope = ns;
    return 0;
}

static em_lop *single_row(em__binder *b);
static em_lop *add_unnest(em__binder *b, em_lop *plan, const em__gen_ctx *g, int nexprs,
                          em_expr **exprs);

static bool is_from_srf(const em_ast *item)
{
    if (item->kind != EM_AST_TABLE_FUNC) return false;
    const char *n = item->u.table_func.name;
    return !strcmp(n, "unnest") || !strcmp(n, "explode") || !strcmp(n, "regexp_split_to_table");
}

/* FROM ..., unnest(string_split(x, ' ')) [AS a[(c)]]: the set-returning function
 * over the rows of the FROM items before it (a lateral reference, which
 * PostgreSQL and DuckDB allow for functions), or over one row when *plan is
 * NULL. Its column is named by the column alias, else the table alias (as in
 * PostgreSQL), else the function. */
static int bind_from_unnest(em__binder *b, const em_ast *item, em_lop **plan, em__scope *scope,
                            em_error *err)
{
    const char *name = item->u.table_func.name, *alias = item->u.table_func.alias;
    if (item->u.table_func.noptions > 0)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(item),
                                "%s takes no named options", name);
    if (item->u.table_func.ncolumns > 1)
        return em_error_set_pos(err, EM_EBIND, em__pos(item),
                                "%s returns one column, but %d column names were given", name,
                                item->u.table_func.ncolumns);
    em__scope ls = {0};
    em_lop *left = *plan;
    if (left == NULL)
        left = single_row(b);
    else
        ls = *scope;
    em_ast *f = em_arena_calloc(arena(b), sizeof(em_ast));
    f->kind = EM_AST_FUNC;
    f->location = item->location;
    f->u.func.name = name;
    f->u.func.args = item->u.table_func.args;
    em__gen_ctx gen = {0};
    em__gen_ctx *saved = b->gen;
    b->gen = &gen;
    em_expr *ref;
    int rc = em__bind_expr(b, &ls, NULL, f, &ref, err);
    b->gen = saved;
    EM_TRY(rc);
    *plan = add_unnest(b, left, &gen, 0, NULL);
    em__scope rs = {.ncols = 1};
    rs.cols = em_arena_calloc(arena(b), sizeof(em__scope_col));
    rs.cols[0].qualifier = alias ? alias : name;
    rs.cols[0].name = item->u.table_func.ncolumns == 1 ? item->u.table_func.columns[0]
                      : alias                          ? alias
                                                       : name;
    rs.cols[0].type = em_type_make(EM_TYPE_VARCHAR);
    *scope = concat_scopes(b, &ls, &rs);
    return 0;
}

static int bind_from_item(em__binder *b, const em_ast *item, em_lop **out, em__scope *scope,
                          em_error *err)
{
    const char *qual = NULL;
    if (is_from_srf(item)) {
        *out = NULL;
        return bind_from_unnest(b, item, out, scope, err);
    }
    switch (item->kind) {
    case EM_AST_TABLE_REF:
        EM_TRY(bind_table_ref(b, item, out, &qual, err));
        break;
    case EM_AST_TABLE_FUNC:
        EM_TRY(bind_table_func(b, item, out, &qual, err));
        break;
    case EM_AST_DERIVED:
        EM_TRY(bind_query(b, item->u.derived.query, out, err));
        EM_TRY(apply_column_aliases(b, *out, item->u.derived.ncolumns, item->u.derived.columns,
                                    item, err));
        qual = item->u.derived.alias;
        break;
    case EM_AST_JOIN:
        return bind_join(b, item, out, scope, err);
    default:
        return em_error_set_pos(err, EM_EINTERNAL, em__pos(item), "unexpected FROM item");
    }
    scope_from_schema(b, (*out)->schema, qual, scope);
    return 0;
}

/* FROM a, b, c: cross joins, whose conditions the WHERE clause supplies (the
 * optimizer moves them into the joins and orders the joins). */
static int bind_from_list(em__binder *b, const em_ast_list *from, em_lop **out, em__scope *scope,
                          em_error *err)
{
    EM_TRY(bind_from_item(b, from->items[0], out, scope, err));
    for (int i = 1; i < from->n; i++) {
        if (is_from_srf(from->items[i])) { /* FROM t, unnest(string_split(t.s, ' ')) */
            EM_TRY(bind_from_unnest(b, from->items[i], out, scope, err));
            continue;
        }
        em_lop *r;
        em__scope rs;
        EM_TRY(bind_from_item(b, from->items[i], &r, &rs, err));
        *out = make_join(b, *out, r, EM_JOIN_KIND_INNER, NULL);
        *scope = concat_scopes(b, scope, &rs);
    }
    return 0;
}

/* ---- VALUES -------------------------------------------------------------- */

static int bind_values(em__binder *b, const em_ast *q, em_lop **out, em_error *err)
{
    int nrows = q->u.select.nvalues_rows;
    int ncols = q->u.select.values_rows[0].n;
    em__scope empty = {0};
    em_lop *v = em_lop_new(arena(b), EM_LOP_VALUES, 0);
    v->u.values.nrows = nrows;
    v->u.values.rows = em_arena_alloc(arena(b), sizeof(em_expr **) * (size_t)nrows);
    for (int r = 0; r < nrows; r++) {
        const em_ast_list *row = &q->u.select.values_rows[r];
        if (row->n != ncols)
            return em_error_set_pos(err, EM_EBIND, row->n ? em__pos(row->items[0]) : em__pos(q),
                                    "VALUES lists must all be the same length");
        v->u.values.rows[r] = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(ncols + 1));
        for (int c = 0; c < ncols; c++) {
            if (em__ast_has_agg(row->items[c]))
                return em_error_set_pos(err, EM_EBIND, em__pos(row->items[c]),
                                        "aggregate functions are not allowed in VALUES");
            EM_TRY(em__bind_expr(b, &empty, NULL, row->items[c], &v->u.values.rows[r][c], err));
        }
    }
    v->schema = em_lop_schema(arena(b), ncols);
    em_expr **col = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)nrows);
    const em_ast **asts = em_arena_alloc(arena(b), sizeof(em_ast *) * (size_t)nrows);
    for (int c = 0; c < ncols; c++) {
        em_type t = em_type_make(EM_TYPE_NULL);
        for (int r = 0; r < nrows; r++) {
            col[r] = v->u.values.rows[r][c];
            asts[r] = q->u.select.values_rows[r].items[c];
            em_type ct;
            bool lit = asts[r]->kind == EM_AST_CONST && asts[r]->u.constant.is_string_literal;
            if (lit && t.id != EM_TYPE_NULL) continue;
            if (!em_type_common(t, col[r]->type, &ct)) {
                char b1[64], b2[64];
                return em_error_set_pos(err, EM_ETYPE, em__pos(asts[r]),
                                        "VALUES column %d mixes %s and %s", c + 1,
                                        em_type_name(t, b1, sizeof b1),
                                        em_type_name(col[r]->type, b2, sizeof b2));
            }
            t = ct;
        }
        if (t.id == EM_TYPE_NULL) t = em_type_make(EM_TYPE_VARCHAR);
        for (int r = 0; r < nrows; r++) {
            em_expr *e = v->u.values.rows[r][c];
            if (em_type_equal(e->type, t)) continue;
            em_value val;
            EM_TRY(em_expr_eval_const(em_expr_cast(arena(b), e, t), arena(b), &val, err));
            v->u.values.rows[r][c] = em_expr_const(arena(b), val);
        }
        v->schema->fields[c].name = em_arena_printf(arena(b), "column%d", c + 1);
        v->schema->fields[c].type = t;
        v->schema->fields[c].nullable = true;
    }
    v->est_rows = nrows;
    *out = v;
    return 0;
}

/* One row, no columns: the input of SELECT without FROM. */
static em_lop *single_row(em__binder *b)
{
    em_lop *v = em_lop_new(arena(b), EM_LOP_VALUES, 0);
    v->u.values.nrows = 1;
    v->u.values.rows = em_arena_alloc(arena(b), sizeof(em_expr **));
    v->u.values.rows[0] = NULL;
    v->schema = em_lop_schema(arena(b), 0);
    v->est_rows = 1;
    return v;
}

/* ---- ORDER BY / LIMIT ---------------------------------------------------- */

static int const_int(em__binder *b, const em_ast *ast, const char *what, int64_t *out,
                     em_error *err)
{
    em__scope empty = {0};
    em_expr *e;
    EM_TRY(em__bind_expr(b, &empty, NULL, ast, &e, err));
    em_value v;
    if (!em_expr_is_foldable(e))
        return em_error_set_pos(err, EM_EINVAL, em__pos(ast), "%s must be a constant", what);
    EM_TRY(em_expr_eval_const(e, arena(b), &v, err));
    if (v.is_null) {
        *out = -1;
        return 0;
    }
    if (!em_type_is_integral(v.type))
        return em_error_set_pos(err, EM_ETYPE, em__pos(ast), "%s must be an integer", what);
    int64_t x = v.type.id == EM_TYPE_INTEGER ? v.v.i32 : v.v.i64;
    if (x < 0)
        return em_error_set_pos(err, EM_EINVAL, em__pos(ast), "%s must not be negative", what);
    *out = x;
    return 0;
}

static em_lop *make_sort(em__binder *b, em_lop *child, int n, em_sort_key *keys)
{
    em_lop *s = em_lop_new(arena(b), EM_LOP_SORT, 1);
    s->children[0] = child;
    s->schema = child->schema;
    s->u.sort.nkeys = n;
    s->u.sort.keys = keys;
    s->est_rows = child->est_rows;
    return s;
}

static int apply_limit(em__binder *b, const em_ast *q, em_lop **plan, em_error *err)
{
    if (!q->u.select.limit && !q->u.select.offset) return 0;
    int64_t limit = -1, offset = 0;
    if (q->u.select.limit) EM_TRY(const_int(b, q->u.select.limit, "LIMIT", &limit, err));
    if (q->u.select.offset) {
        EM_TRY(const_int(b, q->u.select.offset, "OFFSET", &offset, err));
        if (offset < 0) offset = 0;
    }
    em_lop *l = em_lop_new(arena(b), EM_LOP_LIMIT, 1);
    l->children[0] = *plan;
    l->schema = (*plan)->schema;
    l->u.limit.limit = limit;
    l->u.limit.offset = offset;
    l->est_rows = limit >= 0 ? (double)limit : (*plan)->est_rows;
    *plan = l;
    return 0;
}

static void sort_key_init(em_sort_key *k, int column, const em_ast_sort *s)
{
    k->column = column;
    k->desc = s->desc;
    /* PostgreSQL's default: NULLs sort as if larger than every value. */
    k->nulls_first = s->nulls_first < 0 ? s->desc : s->nulls_first == 1;
}

/* ORDER BY for a query whose output columns are all there is (set operations,
 * DISTINCT): by position or output name. */
static int output_column(em__binder *b, const em_schema *s, const em_ast *e, int *col,
                         em_error *err)
{
    if (e->kind == EM_AST_CONST && em_type_is_integral(e->u.constant.value.type)) {
        int64_t k = e->u.constant.value.type.id == EM_TYPE_INTEGER ? e->u.constant.value.v.i32
                                                                     : e->u.constant.value.v.i64;
        if (k < 1 || k > s->nfields)
            return em_error_set_pos(err, EM_EBIND, em__pos(e),
                                    "ORDER BY position %lld is not in select list", (long long)k);
        *col = (int)k - 1;
        return 1;
    }
    if (e->kind == EM_AST_COLUMN && !e->u.column.qualifier) {
        int found = -1;
        for (int i = 0; i < s->nfields; i++) {
            if (!em_str_ieq(s->fields[i].name, e->u.column.name)) continue;
            if (found >= 0)
                return em_error_set_pos(err, EM_EBIND, em__pos(e),
                                        "ORDER BY \"%s\" is ambiguous", e->u.column.name);
            found = i;
        }
        if (found >= 0) {
            *col = found;
            return 1;
        }
    }
    return 0;
}

/* ---- set operations ------------------------------------------------------ */

static em_expr *col_ref(em__binder *b, const em_schema *s, int i)
{
    return em_expr_column(arena(b), i, s->fields[i].type);
}

static em_lop *make_distinct(em__binder *b, em_lop *child)
{
    int n = child->schema->nfields;
    em_lop *agg = em_lop_new(arena(b), EM_LOP_AGGREGATE, 1);
    agg->children[0] = child;
    agg->u.agg.nkeys = n;
    agg->u.agg.keys = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) agg->u.agg.keys[i] = col_ref(b, child->schema, i);
    agg->schema = child->schema;
    agg->est_rows = child->est_rows;
    return agg;
}

/* Cast each side's columns to the common types; names come from the left. */
static int unify_sides(em__binder *b, const em_ast *q, em_lop **l, em_lop **r, em_error *err)
{
    int n = (*l)->schema->nfields;
    if ((*r)->schema->nfields != n)
        return em_error_set_pos(err, EM_EBIND, em__pos(q),
                                "each side of a set operation must have the same number of "
                                "columns (%d and %d)",
                                n, (*r)->schema->nfields);
    em_expr **le = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n + 1));
    em_expr **re = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n + 1));
    const char **names = em_arena_alloc(arena(b), sizeof(char *) * (size_t)(n + 1));
    bool lcast = false, rcast = false;
    for (int i = 0; i < n; i++) {
        em_type lt = (*l)->schema->fields[i].type, rt = (*r)->schema->fields[i].type, t;
        if (!em_type_common(lt, rt, &t)) {
            char b1[64], b2[64];
            return em_error_set_pos(err, EM_ETYPE, em__pos(q),
                                    "set operation column %d: types %s and %s cannot be matched",
                                    i + 1, em_type_name(lt, b1, sizeof b1),
                                    em_type_name(rt, b2, sizeof b2));
        }
        if (t.id == EM_TYPE_NULL) t = em_type_make(EM_TYPE_VARCHAR);
        le[i] = em_expr_cast(arena(b), col_ref(b, (*l)->schema, i), t);
        re[i] = em_expr_cast(arena(b), col_ref(b, (*r)->schema, i), t);
        lcast |= !em_type_equal(lt, t);
        rcast |= !em_type_equal(rt, t);
        names[i] = (*l)->schema->fields[i].name;
    }
    if (lcast) *l = make_project(b, *l, n, le, names);
    if (rcast) *r = make_project(b, *r, n, re, names);
    return 0;
}

static int bind_setop(em__binder *b, const em_ast *q, em_lop **out, em_error *err)
{
    em_lop *l, *r;
    EM_TRY(bind_query(b, q->u.select.left, &l, err));
    EM_TRY(bind_query(b, q->u.select.right, &r, err));
    EM_TRY(unify_sides(b, q, &l, &r, err));
    em_setop op = q->u.select.op;
    em_lop *plan;
    if (op == EM_SETOP_UNION) {
        plan = em_lop_new(arena(b), EM_LOP_UNION, 2);
        plan->children[0] = l;
        plan->children[1] = r;
        plan->schema = l->schema;
        plan->est_rows = l->est_rows + r->est_rows;
        if (!q->u.select.all) plan = make_distinct(b, plan);
    } else {
        if (q->u.select.all)
            return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(q), "%s ALL is not supported yet",
                                    op == EM_SETOP_INTERSECT ? "INTERSECT" : "EXCEPT");
        /* Tag each side's rows, group by all columns, and keep the groups seen on
         * the right sides: INTERSECT needs both, EXCEPT only the left. */
        int n = l->schema->nfields;
        em_lop *sides[2] = {l, r};
        em_lop *u = em_lop_new(arena(b), EM_LOP_UNION, 2);
        const char **names = em_arena_alloc(arena(b), sizeof(char *) * (size_t)(n + 2));
        for (int s = 0; s < 2; s++) {
            em_expr **ex = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n + 2));
            for (int i = 0; i < n; i++) {
                ex[i] = col_ref(b, sides[s]->schema, i);
                names[i] = l->schema->fields[i].name;
            }
            ex[n] = em_expr_const(arena(b), em_value_bigint(s == 0));
            ex[n + 1] = em_expr_const(arena(b), em_value_bigint(s == 1));
            names[n] = "__left";
            names[n + 1] = "__right";
            u->children[s] = make_project(b, sides[s], n + 2, ex, names);
        }
        u->schema = u->children[0]->schema;
        u->est_rows = l->est_rows + r->est_rows;
        em_lop *agg = em_lop_new(arena(b), EM_LOP_AGGREGATE, 1);
        agg->children[0] = u;
        agg->u.agg.nkeys = n;
        agg->u.agg.keys = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n + 1));
        for (int i = 0; i < n; i++) agg->u.agg.keys[i] = col_ref(b, u->schema, i);
        agg->u.agg.naggs = 2;
        agg->u.agg.aggs = em_arena_calloc(arena(b), sizeof(em_agg_call) * 2);
        agg->schema = em_lop_schema(arena(b), n + 2);
        for (int i = 0; i < n + 2; i++) {
            agg->schema->fields[i] = u->schema->fields[i];
            if (i >= n) {
                agg->u.agg.aggs[i - n].kind = EM_AGG_SUM;
                agg->u.agg.aggs[i - n].arg = col_ref(b, u->schema, i);
                agg->u.agg.aggs[i - n].type = em_type_make(EM_TYPE_BIGINT);
                agg->schema->fields[i].type = em_type_make(EM_TYPE_BIGINT);
            }
        }
        agg->est_rows = u->est_rows;
        /* keep: __right > 0 (INTERSECT) or __right = 0 (EXCEPT); __left > 0 always */
        em_expr *zero = em_expr_const(arena(b), em_value_bigint(0));
        em_expr *a1[2] = {col_ref(b, agg->schema, n), zero};
        em_expr *a2[2] = {col_ref(b, agg->schema, n + 1), zero};
        em_expr *c1, *c2;
        const em_func *f;
        em_type cast_to[2], ret, tt[2] = {a1[0]->type, zero->type};
        EM_TRY(em_func_resolve(">", 2, tt, &f, cast_to, &ret, err));
        c1 = em_expr_new(arena(b), EM_EXPR_CALL, ret, 2);
        c1->func = f;
        c1->args[0] = a1[0];
        c1->args[1] = a1[1];
        EM_TRY(em_func_resolve(op == EM_SETOP_INTERSECT ? ">" : "=", 2, tt, &f, cast_to, &ret,
                               err));
        c2 = em_expr_new(arena(b), EM_EXPR_CALL, ret, 2);
        c2->func = f;
        c2->args[0] = a2[0];
        c2->args[1] = a2[1];
        em_expr *both = em_expr_new(arena(b), EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), 2);
        both->args[0] = c1;
        both->args[1] = c2;
        em_lop *f2 = make_filter(b, agg, both);
        em_expr **keep = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n + 1));
        for (int i = 0; i < n; i++) keep[i] = col_ref(b, agg->schema, i);
        plan = make_project(b, f2, n, keep, names);
    }
    /* ORDER BY / LIMIT of the whole set operation: output columns only. */
    if (q->u.select.norder > 0) {
        em_sort_key *keys =
            em_arena_alloc(arena(b), sizeof(em_sort_key) * (size_t)q->u.select.norder);
        for (int i = 0; i < q->u.select.norder; i++) {
            const em_ast_sort *s = &q->u.select.order_by[i];
            int col, rc = output_column(b, plan->schema, s->expr, &col, err);
            EM_TRY(rc);
            if (rc == 0)
                return em_error_set_pos(err, EM_EBIND, em__pos(s->expr),
                                        "ORDER BY on a set operation must name an output column");
            sort_key_init(&keys[i], col, s);
        }
        plan = make_sort(b, plan, q->u.select.norder, keys);
    }
    EM_TRY(apply_limit(b, q, &plan, err));
    *out = plan;
    return 0;
}


/* ---- subqueries ---------------------------------------------------------- */

int em__bind_subquery(em__binder *b, const em__scope *outer, const em_ast *query, em_lop **out,
                      bool *correlated, em_error *err)
{
    em__outer o = {.scope = outer, .next = b->outer};
    bool saved = b->saw_outer;
    b->outer = &o;
    b->saw_outer = false;
    int rc = bind_query(b, query, out, err);
    *correlated = b->saw_outer;
    b->outer = o.next;
    b->saw_outer = saved;
    return rc;
}

int em__scalar_subquery(em__binder *b, const em__scope *outer, const em_ast *ast, em_expr **out,
                        em_error *err)
{
    em_lop *plan;
    bool corr;
    EM_TRY(em__bind_subquery(b, outer, ast->u.subquery.query, &plan, &corr, err));
    if (corr)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "correlated scalar subqueries are supported in WHERE conditions "
                                "(joined by AND) only");
    if (plan->schema->nfields != 1)
        return em_error_set_pos(err, EM_EBIND, em__pos(ast),
                                "subquery must return only one column");
    if (!b->ctx->run_scalar)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(ast),
                                "scalar subqueries cannot run here");
    em_value v;
    if (b->ctx->run_scalar(b->ctx->run_ctx, plan, &v, err) < 0) {
        if (!err->sql_pos) err->sql_pos = em__pos(ast);
        return err->code;
    }
    *out = em_expr_const(arena(b), v);
    (*out)->type = plan->schema->fields[0].type;
    return 0;
}

static em_ast *ast_new(em__binder *b, em_ast_kind kind, int location)
{
    em_ast *a = em_arena_calloc(arena(b), sizeof(em_ast));
    a->kind = kind;
    a->location = location;
    return a;
}

static void split_ast_and(em__binder *b, const em_ast *e, const em_ast ***items, int *n, int *cap)
{
    if (e->kind == EM_AST_AND) {
        for (int i = 0; i < e->u.bool_args.n; i++) split_ast_and(b, e->u.bool_args.items[i], items, n, cap);
        return;
    }
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        const em_ast **m = em_arena_alloc(arena(b), sizeof(em_ast *) * (size_t)ncap);
        if (*n) memcpy(m, *items, sizeof(em_ast *) * (size_t)*n);
        *items = m;
        *cap = ncap;
    }
    (*items)[(*n)++] = e;
}

/* Does binding `e` over `scope` (with the outer query's scope visible) refer
 * to the outer query? Binding errors other than that are reported. */
static int refers_outer(em__binder *b, const em__scope *scope, const em__scope *outer,
                        const em_ast *e, bool *result, em_error *err)
{
    em__outer o = {.scope = outer, .next = b->outer};
    bool saved = b->saw_outer;
    b->outer = &o;
    b->saw_outer = false;
    em_expr *tmp;
    int rc = em__bind_expr(b, scope, NULL, e, &tmp, err);
    *result = b->saw_outer;
    b->outer = o.next;
    b->saw_outer = saved;
    return rc;
}

/* A correlated subquery's FROM and WHERE, with the WHERE conditions that refer
 * to the outer query taken out (to become the join condition). */
typedef struct corr_parts {
    em_lop *plan;
    em__scope scope;
    int ncorr;
    const em_ast **corr;
    int ninner;
    const em_ast **inner;
} corr_parts;

static int split_correlated(em__binder *b, const em__scope *outer, const em_ast *q,
                            corr_parts *out, em_error *err)
{
    if (q->kind != EM_AST_SELECT || q->u.select.op != EM_SETOP_NONE ||
        q->u.select.nvalues_rows > 0 || q->u.select.from.n == 0 || q->u.select.having ||
        q->u.select.limit || q->u.select.offset || q->u.select.distinct || q->u.select.nctes)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(q),
                                "this correlated subquery form is not supported (only SELECT ... "
                                "FROM ... WHERE ...)");
    memset(out, 0, sizeof *out);
    EM_TRY(bind_from_list(b, &q->u.select.from, &out->plan, &out->scope, err));
    const em_ast **conj = NULL;
    int n = 0, cap = 0;
    if (q->u.select.where) split_ast_and(b, q->u.select.where, &conj, &n, &cap);
    out->corr = em_arena_alloc(arena(b), sizeof(em_ast *) * (size_t)(n + 1));
    out->inner = em_arena_alloc(arena(b), sizeof(em_ast *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        bool outer_ref;
        EM_TRY(refers_outer(b, &out->scope, outer, conj[i], &outer_ref, err));
        if (outer_ref)
            out->corr[out->ncorr++] = conj[i];
        else
            out->inner[out->ninner++] = conj[i];
    }
    return 0;
}

static int filter_by(em__binder *b, em_lop **plan, const em__scope *scope, int n,
                     const em_ast *const *conj, em_error *err)
{
    for (int i = 0; i < n; i++) {
        em_expr *e;
        EM_TRY(em__bind_expr(b, scope, NULL, conj[i], &e, err));
        if (e->type.id != EM_TYPE_BOOLEAN)
            return em_error_set_pos(err, EM_ETYPE, em__pos(conj[i]), "argument of WHERE must be BOOLEAN");
        *plan = make_filter(b, *plan, e);
    }
    return 0;
}

/* The join condition of a correlated subquery: its outer-referring conditions
 * over [outer columns..., subquery columns...], plus `extra` (IN's equality). */
static int corr_condition(em__binder *b, const em__scope *outer, const corr_parts *cp,
                          em_expr *extra, em_expr **out, em_error *err)
{
    em__scope both = concat_scopes(b, outer, &cp->scope);
    both.prefer = outer->ncols; /* the subquery's own names shadow the outer ones */
    int n = cp->ncorr + (extra != NULL);
    em_expr **items = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n + 1));
    int k = 0;
    if (extra) items[k++] = extra;
    for (int i = 0; i < cp->ncorr; i++) {
        EM_TRY(em__bind_expr(b, &both, NULL, cp->corr[i], &items[k], err));
        k++;
    }
    if (n == 1) {
        *out = items[0];
        return 0;
    }
    *out = em_expr_new(arena(b), EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), n);
    memcpy((*out)->args, items, sizeof(em_expr *) * (size_t)n);
    return 0;
}

static em_lop *limit_one(em__binder *b, em_lop *p)
{
    em_lop *l = em_lop_new(arena(b), EM_LOP_LIMIT, 1);
    l->children[0] = p;
    l->schema = p->schema;
    l->u.limit.limit = 1;
    l->est_rows = 1;
    return l;
}

/* outer_expr = sub column `col` (a column of the subquery plan, placed after the
 * L outer columns), with types reconciled. */
static int equal_to_column(em__binder *b, em_expr *left, const em_ast *left_ast, const em_lop *sub,
                           int col, int L, const em_ast *at, em_expr **out, em_error *err)
{
    em_expr *r = em_expr_column(arena(b), L + col, sub->schema->fields[col].type);
    EM_TRY(em__coerce_pair(b, &left, left_ast, &r, NULL, err));
    em_expr *args[2] = {left, r};
    return em__make_call(b, "=", 2, args, at, out, err);
}

/* WHERE [NOT] EXISTS (subquery): a semi (anti) join. */
static int rewrite_exists(em__binder *b, em_lop **plan, const em__scope *scope, const em_ast *sq,
                          bool negated, em_error *err)
{
    em_join_kind kind = negated ? EM_JOIN_KIND_ANTI : EM_JOIN_KIND_SEMI;
    em_lop *sp;
    bool corr;
    EM_TRY(em__bind_subquery(b, scope, sq->u.subquery.query, &sp, &corr, err));
    if (!corr) {
        *plan = make_join(b, *plan, limit_one(b, sp), kind, NULL);
        return 0;
    }
    corr_parts cp;
    EM_TRY(split_correlated(b, scope, sq->u.subquery.query, &cp, err));
    EM_TRY(filter_by(b, &cp.plan, &cp.scope, cp.ninner, cp.inner, err));
    em_expr *cond;
    EM_TRY(corr_condition(b, scope, &cp, NULL, &cond, err));
    *plan = make_join(b, *plan, cp.plan, kind, cond);
    return 0;
}

/* WHERE x [NOT] IN (subquery): a semi join on x = the subquery's column; NOT IN
 * is a null-aware anti join (NULLs make NOT IN unknown, as SQL requires). */
static int rewrite_in(em__binder *b, em_lop **plan, const em__scope *scope, const em_ast *sq,
                      em_error *err)
{
    bool negated = sq->u.subquery.negated;
    const em_ast *q = sq->u.subquery.query;
    em_expr *x;
    EM_TRY(em__bind_expr(b, scope, NULL, sq->u.subquery.arg, &x, err));
    int L = scope->ncols;
    em_lop *sp;
    bool corr;
    EM_TRY(em__bind_subquery(b, scope, q, &sp, &corr, err));
    if (!corr) {
        if (sp->schema->nfields != 1)
            return em_error_set_pos(err, EM_EBIND, em__pos(sq),
                                    "subquery has too many columns for IN");
        em_expr *cond;
        EM_TRY(equal_to_column(b, x, sq->u.subquery.arg, sp, 0, L, sq, &cond, err));
        *plan = make_join(b, *plan, sp,
                          negated ? EM_JOIN_KIND_ANTI_NULL_AWARE : EM_JOIN_KIND_SEMI, cond);
        return 0;
    }
    if (negated)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(sq),
                                "NOT IN with a correlated subquery is not supported; use NOT "
                                "EXISTS");
    if (q->u.select.ntargets != 1 || q->u.select.group_by.n)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(sq),
                                "this correlated IN subquery form is not supported");
    corr_parts cp;
    EM_TRY(split_correlated(b, scope, q, &cp, err));
    EM_TRY(filter_by(b, &cp.plan, &cp.scope, cp.ninner, cp.inner, err));
    /* The subquery's rows: its FROM columns plus the IN expression. */
    em_expr *ie;
    EM_TRY(em__bind_expr(b, &cp.scope, NULL, q->u.select.targets[0].expr, &ie, err));
    int n = cp.scope.ncols;
    em_expr **ex = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(n + 1));
    const char **names = em_arena_alloc(arena(b), sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        ex[i] = em_expr_column(arena(b), i, cp.scope.cols[i].type);
        names[i] = cp.scope.cols[i].name;
    }
    ex[n] = ie;
    names[n] = "__in";
    cp.plan = make_project(b, cp.plan, n + 1, ex, names);
    em_expr *eq, *cond;
    EM_TRY(equal_to_column(b, x, sq->u.subquery.arg, cp.plan, n, L, sq, &eq, err));
    EM_TRY(corr_condition(b, scope, &cp, eq, &cond, err));
    *plan = make_join(b, *plan, cp.plan, EM_JOIN_KIND_SEMI, cond);
    return 0;
}

static bool is_count(const em_ast *e)
{
    return e->kind == EM_AST_FUNC && !e->u.func.over && strcmp(e->u.func.name, "count") == 0;
}

/* A correlated scalar subquery (SELECT agg(...) FROM ... WHERE inner = outer AND
 * ...): aggregated per correlation key and left-joined; its value becomes a
 * column of the outer query. */
static int rewrite_scalar(em__binder *b, em_lop **plan, em__scope *scope, const em_ast *sq,
                          em_error *err)
{
    const em_ast *q = sq->u.subquery.query;
    if (q->u.select.ntargets != 1 || q->u.select.group_by.n ||
        q->u.select.targets[0].expr->kind == EM_AST_STAR)
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(sq),
                                "this correlated scalar subquery form is not supported (one "
                                "aggregate expression, no GROUP BY)");
    corr_parts cp;
    EM_TRY(split_correlated(b, scope, q, &cp, err));
    /* Every correlated condition must be inner_expr = outer_expr. */
    const em_ast **inner_keys = em_arena_alloc(arena(b), sizeof(em_ast *) * (size_t)(cp.ncorr + 1));
    const em_ast **outer_keys = em_arena_alloc(arena(b), sizeof(em_ast *) * (size_t)(cp.ncorr + 1));
    em__scope none = {0};
    for (int i = 0; i < cp.ncorr; i++) {
        const em_ast *c = cp.corr[i];
        bool ok = c->kind == EM_AST_BINARY && c->u.binary.op == EM_OP_EQ;
        if (ok) {
            bool lo, ro;
            em_error tmp = {0};
            ok = refers_outer(b, &cp.scope, scope, c->u.binary.left, &lo, &tmp) == 0 &&
                 refers_outer(b, &cp.scope, scope, c->u.binary.right, &ro, &tmp) == 0 && lo != ro;
            if (ok) {
                inner_keys[i] = lo ? c->u.binary.right : c->u.binary.left;
                outer_keys[i] = lo ? c->u.binary.left : c->u.binary.right;
                /* the outer side must not use the subquery's columns */
                em_expr *t;
                ok = em__bind_expr(b, scope, NULL, outer_keys[i], &t, &tmp) == 0;
            }
        }
        if (!ok)
            return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(c),
                                    "a correlated scalar subquery may refer to the outer query "
                                    "only in equalities (inner = outer)");
    }
    EM_UNUSED(none);
    /* SELECT k1, ..., kn, <expr> FROM ... WHERE <inner conditions> GROUP BY k1, ..., kn */
    em_ast *g = ast_new(b, EM_AST_SELECT, q->location);
    g->u.select.from = q->u.select.from;
    if (cp.ninner == 1)
        g->u.select.where = (em_ast *)cp.inner[0];
    else if (cp.ninner > 1) {
        em_ast *and = ast_new(b, EM_AST_AND, q->location);
        and->u.bool_args.n = cp.ninner;
        and->u.bool_args.items = (em_ast **)cp.inner;
        g->u.select.where = and;
    }
    g->u.select.ntargets = cp.ncorr + 1;
    g->u.select.targets = em_arena_calloc(arena(b), sizeof(em_ast_target) * (size_t)(cp.ncorr + 1));
    g->u.select.group_by.n = cp.ncorr;
    g->u.select.group_by.items = (em_ast **)inner_keys;
    for (int i = 0; i < cp.ncorr; i++) g->u.select.targets[i].expr = (em_ast *)inner_keys[i];
    g->u.select.targets[cp.ncorr] = q->u.select.targets[0];
    em_lop *sp;
    EM_TRY(bind_query(b, g, &sp, err));
    int L = scope->ncols;
    em_expr **eqs = em_arena_alloc(arena(b), sizeof(em_expr *) * (size_t)(cp.ncorr + 1));
    for (int i = 0; i < cp.ncorr; i++) {
        em_expr *ok;
        EM_TRY(em__bind_expr(b, scope, NULL, outer_keys[i], &ok, err));
        EM_TRY(equal_to_column(b, ok, outer_keys[i], sp, i, L, cp.corr[i], &eqs[i], err));
    }
    em_expr *cond = eqs[0];
    if (cp.ncorr > 1) {
        cond = em_expr_new(arena(b), EM_EXPR_AND, em_type_make(EM_TYPE_BOOLEAN), cp.ncorr);
        memcpy(cond->args, eqs, sizeof(em_expr *) * (size_t)cp.ncorr);
    }
    *plan = make_join(b, *plan, sp, EM_JOIN_KIND_LEFT, cond);
    em__scope ss;
    scope_from_schema(b, sp->schema, "__subquery", &ss);
    for (int i = 0; i < ss.ncols; i++) ss.cols[i].hidden = true;
    *scope = concat_scopes(b, scope, &ss);
    /* The value; a count over no rows is 0, not NULL. */
    em_type t = sp->schema->fields[cp.ncorr].type;
    em_expr *v = em_expr_column(arena(b), L + cp.ncorr, t);
    if (is_count(q->u.select.targets[0].expr)) {
        em_expr *co = em_expr_new(arena(b), EM_EXPR_COALESCE, t, 2);
        co->args[0] = v;
        co->args[1] = em_expr_const(arena(b), em_value_bigint(0));
        v = co;
    }
    em__subst *sb = em_arena_alloc(arena(b), sizeof(em__subst));
    sb->ast = sq;
    sb->expr = v;
    sb->next = b->subst;
    b->subst = sb;
    return 0;
}

/* Find correlated scalar subqueries inside a WHERE condition and plan them as
 * joins (uncorrelated ones are run ahead as constants when bound). */
static int rewrite_scalars_in(em__binder *b, em_lop **plan, em__scope *scope, const em_ast *e,
                              em_error *err)
{
    if (!e) return 0;
    switch (e->kind) {
    case EM_AST_SUBQUERY: {
        em_lop *sp;
        bool corr;
        EM_TRY(em__bind_subquery(b, scope, e->u.subquery.query, &sp, &corr, err));
        return corr ? rewrite_scalar(b, plan, scope, e, err) : 0;
    }
    case EM_AST_BINARY:
    case EM_AST_IS_DISTINCT:
        EM_TRY(rewrite_scalars_in(b, plan, scope, e->u.binary.left, err));
        return rewrite_scalars_in(b, plan, scope, e->u.binary.right, err);
    case EM_AST_UNARY:
    case EM_AST_NOT:
        return rewrite_scalars_in(b, plan, scope, e->u.unary.arg, err);
    case EM_AST_CAST:
        return rewrite_scalars_in(b, plan, scope, e->u.cast.arg, err);
    case EM_AST_BETWEEN:
        EM_TRY(rewrite_scalars_in(b, plan, scope, e->u.between.arg, err));
        EM_TRY(rewrite_scalars_in(b, plan, scope, e->u.between.low, err));
        return rewrite_scalars_in(b, plan, scope, e->u.between.high, err);
    case EM_AST_FUNC:
        for (int i = 0; i < e->u.func.args.n; i++)
            EM_TRY(rewrite_scalars_in(b, plan, scope, e->u.func.args.items[i], err));
        return 0;
    default:
        return 0;
    }
}

static bool has_subquery(const em_ast *e);

/* WHERE: subquery conditions become joins; the rest a filter over the result. */
static int bind_where(em__binder *b, const em_ast *where, em_lop **plan, em__scope *scope,
                      em_error *err)
{
    if (em__ast_has_agg(where))
        return em_error_set_pos(err, EM_EBIND, em__pos(where),
                                "aggregate functions are not allowed in WHERE");
    const em_ast **conj = NULL;
    int n = 0, cap = 0;
    split_ast_and(b, where, &conj, &n, &cap);
    const em_ast **rest = em_arena_alloc(arena(b), sizeof(em_ast *) * (size_t)(n + 1));
    int nrest = 0;
    for (int i = 0; i < n; i++) {
        const em_ast *c = conj[i];
        if (c->kind == EM_AST_EXISTS)
            EM_TRY(rewrite_exists(b, plan, scope, c, false, err));
        else if (c->kind == EM_AST_NOT && c->u.unary.arg->kind == EM_AST_EXISTS)
            EM_TRY(rewrite_exists(b, plan, scope, c->u.unary.arg, true, err));
        else if (c->kind == EM_AST_IN_SUBQUERY)
            EM_TRY(rewrite_in(b, plan, scope, c, err));
        else {
            if (has_subquery(c)) EM_TRY(rewrite_scalars_in(b, plan, scope, c, err));
            rest[nrest++] = c;
        }
    }
    return filter_by(b, plan, scope, nrest, rest, err);
}

static bool has_subquery(const em_ast *e)
{
    if (!e) return false;
    switch (e->kind) {
    case EM_AST_SUBQUERY:
    case EM_AST_IN_SUBQUERY:
    case EM_AST_EXISTS:
        return true;
    case EM_AST_BINARY:
    case EM_AST_IS_DISTINCT:
        return has_subquery(e->u.binary.left) || has_subquery(e->u.binary.right);
    case EM_AST_UNARY:
    case EM_AST_NOT:
        return has_subquery(e->u.unary.arg);
    case EM_AST_AND:
    case EM_AST_OR:
        for (int i = 0; i < e->u.bool_args.n; i++)
            if (has_subquery(e->u.bool_args.items[i])) return true;
        return false;
    case EM_AST_CAST:
        return has_subquery(e->u.cast.arg);
    case EM_AST_BETWEEN:
        return has_subquery(e->u.between.arg) || has_subquery(e->u.between.low) ||
               has_subquery(e->u.between.high);
    case EM_AST_FUNC:
        for (int i = 0; i < e->u.func.args.n; i++)
            if (has_subquery(e->u.func.args.items[i])) return true;
        return false;
    default:
        return false;
    }
}


/* ---- window functions ------------------------------------------------------ */

/* Renumber window-call placeholders (EM__WIN_BASE + k) to their columns. */
static void fix_window_refs(em_expr *e, int base, const int *pos)
{
    if (!e) return;
    if (e->kind == EM_EXPR_COLUMN && e->column >= EM__WIN_BASE)
        e->column = base + pos[e->column - EM__WIN_BASE];
    for (int i = 0; i < e->nargs; i++) fix_window_refs(e->args[i], base, pos);
}

/* One window operator per distinct PARTITION BY / ORDER BY, chained; their
 * calls' columns follow the input's, in spec order. */
static em_lop *add_windows(em__binder *b, em_lop *plan, const em__win_ctx *w, int nexprs,
                           em_expr **exprs)
{
    int nin = plan->schema->nfields;
    int *pos = em_arena_alloc(arena(b), sizeof(int) * (size_t)(w->ncalls + 1));
    int next = 0;
    for (int s = 0; s < w->nspecs; s++) {
        const em__win_spec *sp = &w->specs[s];
        int n = 0;
        for (int k = 0; k < w->ncalls; k++) n += w->spec_of[k] == s;
        em_lop *wl = em_lop_new(arena(b), EM_LOP_WINDOW, 1);
        wl->children[0] = plan;
        wl->u.window.npartition = sp->npart;
        wl->u.window.partition = sp->part;
        wl->u.window.norder = sp->norder;
        wl->u.window.order = sp->order;
        wl->u.window.order_dirs = sp->dirs;
        wl->u.window.ncalls = n;
        wl->u.window.calls = em_arena_alloc(arena(b), sizeof(em_window_call) * (size_t)(n + 1));
        int width = plan->schema->nfields;
        wl->schema = em_lop_schema(arena(b), width + n);
        for (int i = 0; i < width; i++) wl->schema->fields[i] = plan->schema->fields[i];
        int c = 0;
        for (int k = 0; k < w->ncalls; k++) {
            if (w->spec_of[k] != s) continue;
            wl->u.window.calls[c] = w->calls[k];
            wl->schema->fields[width + c].name = em_arena_printf(arena(b), "__win%d", k);
            wl->schema->fields[width + c].type = w->calls[k].type;
            wl->schema->fields[width + c].nullable = true;
            pos[k] = next++;
            c++;
        }
        wl->est_rows = plan->est_rows;
        plan = wl;
    }
    for (int i = 0; i < nexprs; i++) fix_window_refs(exprs[i], nin, pos);
    return plan;
}

/* ---- set-returning functions --------------------------------------------- */

static void fix_gen_refs(em_expr *e, int col)
{
    if (!e) return;
    if (e->kind == EM_EXPR_COLUMN && e->column == EM__GEN_COL) e->column = col;
    for (int i = 0; i < e->nargs; i++) fix_gen_refs(e->args[i], col);
}

/* The unnest node of a select list's set-returning function: every column of
 * its input passes through (pruning drops the ones nobody reads), the piece
 * follows them. */
static em_lop *add_unnest(em__binder *b, em_lop *plan, const em__gen_ctx *g, int nexprs,
                          em_expr **exprs)
{
    int nin = plan->schema->nfields;
    em_lop *u = em_lop_new(arena(b), EM_LOP_UNNEST, 1);
    u->children[0] = plan;
    u->u.unnest.spec = g->spec;
    u->u.unnest.npass = nin;
    u->u.unnest.pass = em_arena_alloc(arena(b), sizeof(int) * (size_t)(nin + 1));
    u->schema = em_lop_schema(arena(b), nin + 1);
    for (int i = 0; i < nin; i++) {
        u->u.unnest.pass[i] = i;
        u->schema->fields[i] = plan->schema->fields[i];
    }
    u->schema->fields[nin].name = "__unnest";
    u->schema->fields[nin].type = em_type_make(EM_TYPE_VARCHAR);
    u->schema->fields[nin].nullable = true;
    u->est_rows = plan->est_rows >= 0 ? plan->est_rows * 8 : -1;
    for (int i = 0; i < nexprs; i++) fix_gen_refs(exprs[i], nin);
    return u;
}

/* ---- SELECT -------------------------------------------------------------- */

typedef struct target {
    const em_ast *ast; /* NULL for expanded * columns */
    em_expr *expr;
    const char *name;
} target;

static int expand_targets(em__binder *b, const em_ast *q, const em__scope *scope, target **out,
                          int *nout, em_error *err)
{
    int cap = q->u.select.ntargets + scope->ncols + 1, n = 0;
    target *t = em_arena_calloc(arena(b), sizeof(target) * (size_t)cap);
    for (int i = 0; i < q->u.select.ntargets; i++) {
        const em_ast_target *tg = &q->u.select.targets[i];
        if (tg->expr->kind == EM_AST_STAR) {
            const char *ql = tg->expr->u.star.qualifier;
            int matched = 0;
            for (int c = 0; c < scope->ncols; c++) {
                if (ql && (!scope->cols[c].qualifier || !em_str_ieq(ql, scope->cols[c].qualifier)))
                    continue;
                if (!ql && scope->cols[c].hidden) continue; /* USING copies, subquery columns */
                if (n == cap) {
                    cap *= 2;
                    target *nt = em_arena_calloc(arena(b), sizeof(target) * (size_t)cap);
                    memcpy(nt, t, sizeof(target) * (size_t)n);
                    t = nt;
                }
                t[n].expr = em_expr_column(arena(b), c, scope->cols[c].type);
                t[n].name = scope->cols[c].name;
                n++;
                matched++;
            }
            if (ql && !matched)
                return em_error_set_pos(err, EM_EBIND, em__pos(tg->expr),
                                        "no table or alias named \"%s\" in FROM", ql);
            continue;
        }
        if (n == cap) {
            cap *= 2;
            target *nt = em_arena_calloc(arena(b), sizeof(target) * (size_t)cap);
            memcpy(nt, t, sizeof(target) * (size_t)n);
            t = nt;
        }
        t[n].ast = tg->expr;
        t[n].name = tg->alias ? tg->alias : em__expr_name(arena(b), tg->expr);
        n++;
    }
    *out = t;
    *nout = n;
    return 0;
}

/* Resolve one GROUP BY item: a position, a select alias, or an expression. */
static int bind_group_key(em__binder *b, const em_ast *g, const em__scope *scope, target *targets,
                          int ntargets, em_expr **out, em_error *err)
{
    if (g->kind == EM_AST_CONST && em_type_is_integral(g->u.constant.value.type)) {
        int64_t k = g->u.constant.value.type.id == EM_TYPE_INTEGER ? g->u.constant.value.v.i32
                                                                     : g->u.constant.value.v.i64;
        if (k < 1 || k > ntargets)
            return em_error_set_pos(err, EM_EBIND, em__pos(g),
                                    "GROUP BY position %lld is not in select list", (long long)k);
        target *t = &targets[k - 1];
        if (!t->ast) {
            *out = t->expr;
            return 0;
        }
        if (em__ast_has_agg(t->ast))
            return em_error_set_pos(err, EM_EBIND, em__pos(g),
                                    "GROUP BY position %lld refers to an aggregate", (long long)k);
        return em__bind_expr(b, scope, NULL, t->ast, out, err);
    }
    if (em__ast_has_agg(g))
        return em_error_set_pos(err, EM_EBIND, em__pos(g),
                                "aggregate functions are not allowed in GROUP BY");
    /* Input columns first, then select-list aliases (never an enclosing query's
     * columns: SELECT a AS k ... GROUP BY k means the alias even inside a subquery). */
    em_error tmp = {0};
    em__outer *outer = b->outer;
    b->outer = NULL;
    int rc = em__bind_expr(b, scope, NULL, g, out, &tmp);
    b->outer = outer;
    if (rc == 0) return 0;
    /* A bare name that is not an input column may be a select-list alias. */
    if (g->kind == EM_AST_COLUMN && !g->u.column.qualifier) {
        for (int i = 0; i < ntargets; i++) {
            if (targets[i].ast && em_str_ieq(targets[i].name, g->u.column.name) &&
                !em__ast_has_agg(targets[i].ast))
                return em__bind_expr(b, scope, NULL, targets[i].ast, out, err);
        }
    }
    *err = tmp;
    return rc;
}

static int bind_select_body(em__binder *b, const em_ast *q, em_lop **out, em_error *err);

/* A set-returning function belongs to the select list of its own query only. */
static int bind_select(em__binder *b, const em_ast *q, em_lop **out, em_error *err)
{
    em__gen_ctx *saved = b->gen;
    b->gen = NULL;
    int rc = bind_select_body(b, q, out, err);
    b->gen = saved;
    return rc;
}

static int bind_select_body(em__binder *b, const em_ast *q, em_lop **out, em_error *err)
{
    em_arena *a = arena(b);
    em_lop *plan;
    em__scope scope = {0};
    if (q->u.select.from.n == 0)
        plan = single_row(b);
    else
        EM_TRY(bind_from_list(b, &q->u.select.from, &plan, &scope, err));
    if (q->u.select.where) EM_TRY(bind_where(b, q->u.select.where, &plan, &scope, err));

    target *targets = NULL;
    int ntargets = 0;
    EM_TRY(expand_targets(b, q, &scope, &targets, &ntargets, err));

    bool aggregating = q->u.select.group_by.n > 0 || q->u.select.having != NULL;
    for (int i = 0; i < ntargets && !aggregating; i++)
        if (targets[i].ast && em__ast_has_agg(targets[i].ast)) aggregating = true;
    for (int i = 0; i < q->u.select.norder && !aggregating; i++)
        if (em__ast_has_agg(q->u.select.order_by[i].expr)) aggregating = true;

    em__agg_ctx agg = {.from = &scope};
    em__agg_ctx *actx = NULL;
    if (aggregating) {
        actx = &agg;
        int ng = q->u.select.group_by.n;
        agg.keys = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(ng + 1));
        for (int i = 0; i < ng; i++) {
            em_expr *k;
            EM_TRY(bind_group_key(b, q->u.select.group_by.items[i], &scope, targets, ntargets, &k,
                                  err));
            bool dup = false;
            for (int j = 0; j < agg.nkeys && !dup; j++) dup = em_expr_equal(agg.keys[j], k);
            if (!dup) agg.keys[agg.nkeys++] = k;
        }
        /* Expanded * columns must be group keys too. */
        for (int i = 0; i < ntargets; i++) {
            if (targets[i].ast) continue;
            int found = -1;
            for (int j = 0; j < agg.nkeys && found < 0; j++)
                if (em_expr_equal(agg.keys[j], targets[i].expr)) found = j;
            if (found < 0)
                return em_error_set_pos(err, EM_EBIND, em__pos(q),
                                        "column \"%s\" must appear in the GROUP BY clause or be "
                                        "used in an aggregate function",
                                        targets[i].name);
            targets[i].expr = em_expr_column(a, found, agg.keys[found]->type);
        }
    }

    const em__scope *tscope = &scope;
    em__win_ctx win = {0};
    em__win_ctx *saved_win = b->win;
    em__gen_ctx gen = {0};
    b->win = &win;
    b->gen = &gen;
    for (int i = 0; i < ntargets; i++) {
        if (!targets[i].ast) continue;
        int rc = em__bind_expr(b, tscope, actx, targets[i].ast, &targets[i].expr, err);
        if (rc < 0) {
            b->win = saved_win;
            b->gen = NULL;
            return rc;
        }
    }
    b->win = NULL;
    b->gen = NULL;
    em_expr *having = NULL;
    if (q->u.select.having) {
        int rc = em__bind_expr(b, tscope, actx, q->u.select.having, &having, err);
        if (rc < 0) {
            b->win = saved_win;
            return rc;
        }
        if (having->type.id != EM_TYPE_BOOLEAN)
            return em_error_set_pos(err, EM_ETYPE, em__pos(q->u.select.having),
                                    "argument of HAVING must be BOOLEAN");
    }

    /* ORDER BY: output position, output name, or an expression (added as a
     * hidden column when the select list does not already compute it). */
    int norder = q->u.select.norder;
    em_sort_key *keys = norder ? em_arena_alloc(a, sizeof(em_sort_key) * (size_t)norder) : NULL;
    int nout = ntargets;
    int cap = ntargets + norder + 1;
    em_expr **pexprs = em_arena_alloc(a, sizeof(em_expr *) * (size_t)cap);
    const char **pnames = em_arena_alloc(a, sizeof(char *) * (size_t)cap);
    for (int i = 0; i < ntargets; i++) {
        pexprs[i] = targets[i].expr;
        pnames[i] = targets[i].name;
    }
    b->win = &win;
    for (int i = 0; i < norder; i++) {
        const em_ast_sort *s = &q->u.select.order_by[i];
        em_schema tmp = {.nfields = ntargets};
        em_field *fs = em_arena_alloc(a, sizeof(em_field) * (size_t)(ntargets + 1));
        for (int j = 0; j < ntargets; j++) {
            fs[j].name = (char *)pnames[j];
            fs[j].type = pexprs[j]->type;
        }
        tmp.fields = fs;
        int col;
        int rc = output_column(b, &tmp, s->expr, &col, err);
        EM_TRY(rc);
        if (rc == 0) {
            em_expr *e;
            rc = em__bind_expr(b, tscope, actx, s->expr, &e, err);
            if (rc < 0) {
                b->win = saved_win;
                return rc;
            }
            col = -1;
            for (int j = 0; j < nout && col < 0; j++)
                if (em_expr_equal(pexprs[j], e)) col = j;
            if (col < 0) {
                if (q->u.select.distinct)
                    return em_error_set_pos(err, EM_EBIND, em__pos(s->expr),
                                            "for SELECT DISTINCT, ORDER BY expressions must "
                                            "appear in select list");
                col = nout;
                pexprs[nout] = e;
                pnames[nout] = em_arena_printf(a, "__order%d", i);
                nout++;
            }
        }
        sort_key_init(&keys[i], col, s);
    }
    b->win = saved_win;

    if (aggregating) {
        em_lop *ag = em_lop_new(a, EM_LOP_AGGREGATE, 1);
        ag->children[0] = plan;
        ag->u.agg.nkeys = agg.nkeys;
        ag->u.agg.keys = agg.keys;
        ag->u.agg.naggs = agg.naggs;
        ag->u.agg.aggs = agg.aggs;
        ag->schema = em_lop_schema(a, agg.nkeys + agg.naggs);
        for (int i = 0; i < agg.nkeys; i++) {
            ag->schema->fields[i].name = em_arena_printf(a, "__key%d", i);
            ag->schema->fields[i].type = agg.keys[i]->type;
            ag->schema->fields[i].nullable = true;
        }
        for (int i = 0; i < agg.naggs; i++) {
            em_field *f = &ag->schema->fields[agg.nkeys + i];
            f->name = em_arena_printf(a, "__agg%d", i);
            f->type = agg.aggs[i].type;
            f->nullable = true;
        }
        ag->est_rows = agg.nkeys ? plan->est_rows / 10 : 1;
        plan = ag;
        if (having) plan = make_filter(b, plan, having);
    }
    if (win.ncalls > 0) {
        /* The set-returning function's arguments may use window results too. */
        em_expr **all = em_arena_alloc(a, sizeof(em_expr *) * (size_t)(nout + 3));
        memcpy(all, pexprs, sizeof(em_expr *) * (size_t)nout);
        int nall = nout;
        if (gen.ast) {
            all[nall++] = (em_expr *)gen.spec.str;
            all[nall++] = (em_expr *)gen.spec.sep;
            if (gen.spec.extra) all[nall++] = (em_expr *)gen.spec.extra;
        }
        plan = add_windows(b, plan, &win, nall, all);
    }
    if (gen.ast) plan = add_unnest(b, plan, &gen, nout, pexprs);

    plan = make_project(b, plan, nout, pexprs, pnames);
    if (q->u.select.distinct) plan = make_distinct(b, plan);
    if (norder > 0) plan = make_sort(b, plan, norder, keys);
    if (nout > ntargets) {
        em_expr **keep = em_arena_alloc(a, sizeof(em_expr *) * (size_t)ntargets + 1);
        for (int i = 0; i < ntargets; i++) keep[i] = col_ref(b, plan->schema, i);
        plan = make_project(b, plan, ntargets, keep, pnames);
    }
    EM_TRY(apply_limit(b, q, &plan, err));
    *out = plan;
    return 0;
}

static int bind_query(em__binder *b, const em_ast *q, em_lop **out, em_error *err)
{
    if (q->kind != EM_AST_SELECT)
        return em_error_set_pos(err, EM_EINTERNAL, em__pos(q), "expected a query");
    em__cte_entry *saved = b->ctes;
    for (int i = 0; i < q->u.select.nctes; i++) {
        em__cte_entry *e = em_arena_alloc(arena(b), sizeof(em__cte_entry));
        e->cte = &q->u.select.ctes[i];
        e->outer = b->ctes;
        b->ctes = e;
    }
    int rc;
    if (q->u.select.op != EM_SETOP_NONE)
        rc = bind_setop(b, q, out, err);
    else if (q->u.select.nvalues_rows > 0) {
        rc = bind_values(b, q, out, err);
        if (rc == 0 && (q->u.select.norder || q->u.select.limit || q->u.select.offset)) {
            em_lop *plan = *out;
            if (q->u.select.norder) {
                em_sort_key *keys =
                    em_arena_alloc(arena(b), sizeof(em_sort_key) * (size_t)q->u.select.norder);
                for (int i = 0; i < q->u.select.norder && rc == 0; i++) {
                    int col;
                    rc = output_column(b, plan->schema, q->u.select.order_by[i].expr, &col, err);
                    if (rc == 0)
                        rc = em_error_set_pos(err, EM_EBIND,
                                              em__pos(q->u.select.order_by[i].expr),
                                              "ORDER BY on VALUES must name an output column");
                    else if (rc > 0) {
                        rc = 0;
                        sort_key_init(&keys[i], col, &q->u.select.order_by[i]);
                    }
                }
                if (rc == 0) plan = make_sort(b, plan, q->u.select.norder, keys);
            }
            if (rc == 0) rc = apply_limit(b, q, &plan, err);
            *out = plan;
        }
    } else
        rc = bind_select(b, q, out, err);
    b->ctes = saved;
    return rc;
}

int em_bind_query(em_bind_ctx *ctx, const em_ast *select, em_lop **out, em_error *err)
{
    em__binder b = {.ctx = ctx, .ctes = NULL};
    return bind_query(&b, select, out, err);
}

int em_bind_coerce_to(em_bind_ctx *ctx, em_lop *plan, const em_schema *schema, em_lop **out,
                      em_error *err)
{
    em__binder b = {.ctx = ctx};
    int n = schema->nfields;
    if (plan->schema->nfields != n)
        return em_error_set(err, EM_EBIND, "query has %d columns but the table has %d",
                            plan->schema->nfields, n);
    em_expr **ex = em_arena_alloc(ctx->arena, sizeof(em_expr *) * (size_t)(n + 1));
    const char **names = em_arena_alloc(ctx->arena, sizeof(char *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        ex[i] = em_expr_cast(ctx->arena, col_ref(&b, plan->schema, i), schema->fields[i].type);
        names[i] = schema->fields[i].name;
    }
    *out = make_project(&b, plan, n, ex, names);
    return 0;
}

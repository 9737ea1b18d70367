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
    scope->cols = em_arena_alloc(arena(b), sizeof(em__scope_col) * (size_t)(s->nfields + 1));
    for (int i = 0; i < s->nfields; i++) {
        scope->cols[i].qualifier = qualifier;
        scope->cols[i].name = s->fields[i].name;
        scope->cols[i].type = s->fields[i].type;
    }
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
    else
        return em_error_set_pos(err, EM_ENOENT, em__pos(at),
                                "table function %s does not exist (try read_csv or read_json)",
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

static int bind_from_item(em__binder *b, const em_ast *item, em_lop **out, em__scope *scope,
                          em_error *err)
{
    const char *qual = NULL;
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
        return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(item), "joins are not supported yet");
    default:
        return em_error_set_pos(err, EM_EINTERNAL, em__pos(item), "unexpected FROM item");
    }
    scope_from_schema(b, (*out)->schema, qual, scope);
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
    em_error tmp = {0};
    int rc = em__bind_expr(b, scope, NULL, g, out, &tmp);
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

static int bind_select(em__binder *b, const em_ast *q, em_lop **out, em_error *err)
{
    em_arena *a = arena(b);
    em_lop *plan;
    em__scope scope = {0};
    if (q->u.select.from.n == 0) {
        plan = single_row(b);
    } else {
        if (q->u.select.from.n > 1)
            return em_error_set_pos(err, EM_EUNSUPPORTED, em__pos(q->u.select.from.items[1]),
                                    "joins (several FROM items) are not supported yet");
        EM_TRY(bind_from_item(b, q->u.select.from.items[0], &plan, &scope, err));
    }

    if (q->u.select.where) {
        if (em__ast_has_agg(q->u.select.where))
            return em_error_set_pos(err, EM_EBIND, em__pos(q->u.select.where),
                                    "aggregate functions are not allowed in WHERE");
        em_expr *pred;
        EM_TRY(em__bind_expr(b, &scope, NULL, q->u.select.where, &pred, err));
        if (pred->type.id != EM_TYPE_BOOLEAN) {
            char buf[64];
            return em_error_set_pos(err, EM_ETYPE, em__pos(q->u.select.where),
                                    "argument of WHERE must be BOOLEAN, not %s",
                                    em_type_name(pred->type, buf, sizeof buf));
        }
        plan = make_filter(b, plan, pred);
    }

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
    for (int i = 0; i < ntargets; i++) {
        if (!targets[i].ast) continue;
        EM_TRY(em__bind_expr(b, tscope, actx, targets[i].ast, &targets[i].expr, err));
    }
    em_expr *having = NULL;
    if (q->u.select.having) {
        EM_TRY(em__bind_expr(b, tscope, actx, q->u.select.having, &having, err));
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
            EM_TRY(em__bind_expr(b, tscope, actx, s->expr, &e, err));
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

/*
 * test_plan_serde.c — task descriptions and stage fragments through bytes and back.
 *
 * Stages are built by hand so that every physical operator and every kind of
 * bound expression appears. Each one is serialized, rebuilt and serialized
 * again: the two byte strings must be identical, and the rebuilt tree must
 * carry the same kinds, types, values, columns and scan descriptions. Garbage,
 * truncated, mutated and hand-corrupted messages must fail cleanly. A second
 * pair of stages covers joins (every kind of key list, residuals, building
 * either side, broadcast reads and exchanges) and window functions (every
 * frame shape and function kind).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec/expr.h"
#include "format/format.h"
#include "net/plan_serde.h"
#include "plan.pb-c.h"
#include "sql/catalog/catalog.h"
#include "sql/physical/physical.h"

/* ---- building blocks ---------------------------------------------------- */

static em_type T(em_type_id id)
{
    return em_type_make(id);
}

static em_schema *schema_of(em_arena *a, int n, const char *const *names, const em_type *types)
{
    em_schema *s = em_arena_calloc(a, sizeof(*s));
    s->nfields = n;
    s->fields = em_arena_calloc(a, sizeof(em_field) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        s->fields[i].name = em_arena_strdup(a, names[i]);
        s->fields[i].type = types[i];
        s->fields[i].nullable = i % 2 == 0;
    }
    return s;
}

/* The common three-column layout (a BIGINT, b BIGINT, c VARCHAR). */
static em_schema *abc_schema(em_arena *a)
{
    static const char *const names[] = {"a", "b", "c"};
    em_type types[] = {T(EM_TYPE_BIGINT), T(EM_TYPE_BIGINT), T(EM_TYPE_VARCHAR)};
    return schema_of(a, 3, names, types);
}

static em_expr *col(em_arena *a, int c, em_type_id t)
{
    return em_expr_column(a, c, T(t));
}

static em_expr *str_const(em_arena *a, const char *s)
{
    return em_expr_const(a, em_value_varchar(s, (int32_t)strlen(s)));
}

/* A resolved function call, with the casts the overload asks for. */
static em_expr *call(em_arena *a, const char *name, int nargs, ...)
{
    em_expr *args[4];
    em_type types[4], cast_to[4], ret;
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++) {
        args[i] = va_arg(ap, em_expr *);
        types[i] = args[i]->type;
    }
    va_end(ap);
    const em_func *f = NULL;
    em_error err;
    int rc = em_func_resolve(name, nargs, types, &f, cast_to, &ret, &err);
    if (rc != 0) fail_msg("resolve %s: %s", name, err.message);
    em_expr *e = em_expr_new(a, EM_EXPR_CALL, ret, nargs);
    e->func = f;
    for (int i = 0; i < nargs; i++) e->args[i] = em_expr_cast(a, args[i], cast_to[i]);
    return e;
}

static em_expr *node(em_arena *a, em_expr_kind kind, em_type_id type, int nargs, ...)
{
    em_expr *e = em_expr_new(a, kind, T(type), nargs);
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs; i++) e->args[i] = va_arg(ap, em_expr *);
    va_end(ap);
    return e;
}

static em_pop *pop(em_arena *a, em_pop_kind kind, em_schema *schema, int nparts, int nchildren, ...)
{
    em_pop *p = em_pop_new(a, kind, nchildren);
    p->schema = schema;
    p->nparts = nparts;
    va_list ap;
    va_start(ap, nchildren);
    for (int i = 0; i < nchildren; i++) p->children[i] = va_arg(ap, em_pop *);
    va_end(ap);
    return p;
}

static em_sort_key *sort_keys(em_arena *a, int n, const em_sort_key *keys)
{
    em_sort_key *k = em_arena_alloc(a, sizeof(em_sort_key) * (size_t)n);
    memcpy(k, keys, sizeof(em_sort_key) * (size_t)n);
    return k;
}

static int *ints(em_arena *a, int n, const int *v)
{
    int *p = em_arena_alloc(a, sizeof(int) * (size_t)(n > 0 ? n : 1));
    memcpy(p, v, sizeof(int) * (size_t)n);
    return p;
}

/* ---- the table lookup ---------------------------------------------------- */

typedef struct lookup_ctx {
    em_table *table; /* answers to its own name */
    int calls;
} lookup_ctx;

static em_table *lookup(void *ctx, const char *name)
{
    lookup_ctx *l = ctx;
    l->calls++;
    return strcmp(name, l->table->name) == 0 ? l->table : NULL;
}

/* ---- fixtures: one stage with every operator and expression ------------ */

typedef struct fixture {
    em_arena *a;
    em_scan_desc *desc; /* owned by the fixture, as the query context would */
    em_table table;
    lookup_ctx lookup;
    em_stage stage;   /* LIMIT over SORT over PROJECT over FILTER over UNION of the sources */
    em_stage_dag dag; /* three stages: partial agg -> final agg -> exchange fragment */
    em_stage wstage;  /* WINDOW over a LEFT join of two shuffle reads */
    em_stage jstage;  /* EXCHANGE over three nested joins */
} fixture;

static em_scan_desc *make_desc(void)
{
    em_scan_desc *d = em_scan_desc_create("csv");
    d->nfiles = 2;
    d->files = em_malloc(2 * sizeof(char *));
    d->files[0] = em_strdup("/data/part-0.csv");
    d->files[1] = em_strdup("/data/part 1 \xe9t\xe9.csv"); /* not UTF-8: bytes on the wire */
    em_scan_desc_set_option(d, "header", "true");
    em_scan_desc_set_option(d, "delimiter", ";");
    em_scan_desc_set_option(d, "nullvalue", "");
    d->schema = em_schema_create(4);
    static const char *const names[] = {"a", "b", "c", "d"};
    em_type types[] = {T(EM_TYPE_BIGINT), T(EM_TYPE_BIGINT), T(EM_TYPE_VARCHAR),
                       em_type_decimal(12, 2)};
    for (int i = 0; i < 4; i++) {
        d->schema->fields[i].name = em_strdup(names[i]);
        d->schema->fields[i].type = types[i];
        d->schema->fields[i].nullable = true;
    }
    d->nsplits = 3;
    d->splits = em_malloc(3 * sizeof(em_split));
    d->splits[0] = (em_split){0, 0, 1 << 20};
    d->splits[1] = (em_split){0, 1 << 20, 1500000};
    d->splits[2] = (em_split){1, 0, 4242};
    return d;
}

/* Sources: SCAN_FILE, SCAN_TABLE, VALUES, SHUFFLE_READ, all (a, b, c). */
static em_pop *make_sources(fixture *f)
{
    em_arena *a = f->a;
    em_pop *scan = pop(a, EM_POP_SCAN_FILE, abc_schema(a), 3, 0);
    scan->u.scan.desc = f->desc;
    scan->u.scan.ncols = 3;
    scan->u.scan.cols = ints(a, 3, (int[]){0, 1, 2});
    /* a > 5 */
    scan->u.scan.filter =
        call(a, ">", 2, col(a, 0, EM_TYPE_BIGINT), em_expr_const(a, em_value_bigint(5)));

    em_pop *table = pop(a, EM_POP_SCAN_TABLE, abc_schema(a), 2, 0);
    table->u.scan.table = &f->table;
    table->u.scan.table_name = "t";
    table->u.scan.table_batches = 7;
    table->u.scan.ncols = 3;
    table->u.scan.cols = ints(a, 3, (int[]){2, 0, 1});

    em_pop *values = pop(a, EM_POP_VALUES, abc_schema(a), 1, 0);
    values->u.values.nrows = 2;
    values->u.values.rows = em_arena_alloc(a, 2 * sizeof(em_expr **));
    for (int r = 0; r < 2; r++) values->u.values.rows[r] = em_arena_alloc(a, 3 * sizeof(em_expr *));
    values->u.values.rows[0][0] = em_expr_const(a, em_value_bigint(INT64_MIN));
    values->u.values.rows[0][1] = em_expr_const(a, em_value_null(T(EM_TYPE_BIGINT)));
    values->u.values.rows[0][2] = str_const(a, "h\xc3\xa9llo, 'world'");
    values->u.values.rows[1][0] = em_expr_const(a, em_value_bigint(42));
    values->u.values.rows[1][1] = em_expr_const(a, em_value_bigint(-1));
    values->u.values.rows[1][2] = em_expr_const(a, em_value_null(T(EM_TYPE_VARCHAR)));

    em_pop *shuffle = pop(a, EM_POP_SHUFFLE_READ, abc_schema(a), 4, 0);
    shuffle->u.shuffle_read.shuffle_id = 3;
    shuffle->u.shuffle_read.nmaps = 5;
    shuffle->u.shuffle_read.nmerge = 2;
    shuffle->u.shuffle_read.merge_keys =
        sort_keys(a, 2, (em_sort_key[]){{2, true, false}, {0, false, true}});

    return pop(a, EM_POP_UNION, abc_schema(a), 10, 4, scan, table, values, shuffle);
}

/* A predicate with AND, OR, NOT, IS [NOT] NULL, IN, LIKE/ILIKE and a CALL. */
static em_expr *make_predicate(em_arena *a)
{
    em_expr *not_null = node(a, EM_EXPR_IS_NULL, EM_TYPE_BOOLEAN, 1, col(a, 0, EM_TYPE_BIGINT));
    not_null->negated = true;
    em_expr *not_ = node(a, EM_EXPR_NOT, EM_TYPE_BOOLEAN, 1,
                         node(a, EM_EXPR_IS_NULL, EM_TYPE_BOOLEAN, 1, col(a, 1, EM_TYPE_BIGINT)));
    em_expr *like = node(a, EM_EXPR_LIKE, EM_TYPE_BOOLEAN, 2, col(a, 2, EM_TYPE_VARCHAR),
                         str_const(a, "a\\%%"));
    like->escape = '\\';
    like->case_insensitive = true;
    like->negated = true;
    em_expr *in = node(a, EM_EXPR_IN_LIST, EM_TYPE_BOOLEAN, 4, col(a, 1, EM_TYPE_BIGINT),
                       em_expr_const(a, em_value_bigint(1)), em_expr_const(a, em_value_bigint(2)),
                       em_expr_const(a, em_value_null(T(EM_TYPE_BIGINT))));
    in->negated = true;
    em_expr *or_ = node(a, EM_EXPR_OR, EM_TYPE_BOOLEAN, 2, like, in);
    em_expr *eq = call(a, "=", 2, col(a, 2, EM_TYPE_VARCHAR), str_const(a, ""));
    return node(a, EM_EXPR_AND, EM_TYPE_BOOLEAN, 4, not_null, not_, or_, eq);
}

/* Projection: a + b, lower(c), CASE, COALESCE, CAST / TRY_CAST and constants of
 * every type. */
static em_expr **make_projection(em_arena *a, int *n)
{
    em_expr **e = em_arena_alloc(a, 12 * sizeof(em_expr *));
    int i = 0;
    e[i++] = call(a, "+", 2, col(a, 0, EM_TYPE_BIGINT), col(a, 1, EM_TYPE_BIGINT));
    e[i++] = call(a, "lower", 1, col(a, 2, EM_TYPE_VARCHAR));
    e[i++] = node(a, EM_EXPR_CASE, EM_TYPE_VARCHAR, 5,
                  node(a, EM_EXPR_IS_NULL, EM_TYPE_BOOLEAN, 1, col(a, 0, EM_TYPE_BIGINT)),
                  str_const(a, "none"), em_expr_const(a, em_value_bool(false)),
                  str_const(a, "never"), col(a, 2, EM_TYPE_VARCHAR));
    e[i++] = node(a, EM_EXPR_COALESCE, EM_TYPE_BIGINT, 2, col(a, 1, EM_TYPE_BIGINT),
                  em_expr_const(a, em_value_bigint(0)));
    em_expr *cast = em_expr_cast(a, col(a, 2, EM_TYPE_VARCHAR), T(EM_TYPE_INTEGER));
    cast->try_cast = true;
    e[i++] = cast;
    e[i++] = em_expr_cast(a, col(a, 0, EM_TYPE_BIGINT), em_type_decimal(18, 3));
    e[i++] = em_expr_const(a, em_value_bool(true));
    e[i++] = em_expr_const(a, em_value_int(-7));
    e[i++] = em_expr_const(a, em_value_double(-0.1));
    e[i++] = em_expr_const(a, em_value_decimal(-12345, 9, 2));
    e[i++] = em_expr_const(a, em_value_date(19000));
    e[i++] = em_expr_const(a, em_value_timestamp(1700000000123456LL));
    *n = i;
    return e;
}

static em_schema *schema_for(em_arena *a, int n, em_expr *const *exprs)
{
    em_schema *s = em_arena_calloc(a, sizeof(*s));
    s->nfields = n;
    s->fields = em_arena_calloc(a, sizeof(em_field) * (size_t)n);
    for (int i = 0; i < n; i++) {
        s->fields[i].name = em_arena_printf(a, "col%d", i);
        s->fields[i].type = exprs[i]->type;
        s->fields[i].nullable = true;
    }
    return s;
}

static void make_stage(fixture *f)
{
    em_arena *a = f->a;
    em_pop *filter = pop(a, EM_POP_FILTER, abc_schema(a), 10, 1, make_sources(f));
    filter->u.filter.pred = make_predicate(a);

    int n;
    em_expr **exprs = make_projection(a, &n);
    em_pop *project = pop(a, EM_POP_PROJECT, schema_for(a, n, exprs), 10, 1, filter);
    project->u.project.nexprs = n;
    project->u.project.exprs = exprs;

    em_pop *sort = pop(a, EM_POP_SORT, project->schema, 10, 1, project);
    sort->u.sort.nkeys = 3;
    sort->u.sort.keys =
        sort_keys(a, 3, (em_sort_key[]){{0, true, true}, {1, false, false}, {11, true, false}});
    sort->u.sort.limit = 12;

    em_pop *limit = pop(a, EM_POP_LIMIT, project->schema, 10, 1, sort);
    limit->u.limit.limit = 10;
    limit->u.limit.offset = 2;

    f->stage = (em_stage){.id = 4,
                          .root = limit,
                          .nparts = 10,
                          .is_result = false,
                          .shuffle_id = 6,
                          .out_kind = EM_EXCHANGE_HASH,
                          .out_nparts = 8,
                          .out_nkeys = 2,
                          .out_keys = ints(a, 2, (int[]){1, 0}),
                          .nparents = 2,
                          .parents = ints(a, 2, (int[]){1, 3})};
}

/* Stage 0: partial count(*), count(DISTINCT b) FILTER (a > 5), sum(a) grouped by
 * c over the file; stage 1: the final aggregation plus avg/min/max over a
 * shuffle read; stage 2: an exchange over a complete aggregation (a fragment
 * before stages are cut). */
static em_agg_call *make_aggs(em_arena *a, int *n)
{
    em_agg_call *g = em_arena_calloc(a, 6 * sizeof(em_agg_call));
    g[0] = (em_agg_call){EM_AGG_COUNT_STAR, NULL, false, NULL, T(EM_TYPE_BIGINT), 0, false, NULL};
    g[1] = (em_agg_call){
        EM_AGG_COUNT, col(a, 1, EM_TYPE_BIGINT), true,
        call(a, ">", 2, col(a, 0, EM_TYPE_BIGINT), em_expr_const(a, em_value_bigint(5))),
        T(EM_TYPE_BIGINT), 0, false, NULL};
    g[2] = (em_agg_call){EM_AGG_SUM, col(a, 0, EM_TYPE_BIGINT), false, NULL, T(EM_TYPE_BIGINT),
                         0, false, NULL};
    g[3] = (em_agg_call){EM_AGG_AVG, col(a, 1, EM_TYPE_BIGINT), false, NULL, T(EM_TYPE_DOUBLE),
                         0, false, NULL};
    g[4] = (em_agg_call){EM_AGG_MIN, col(a, 2, EM_TYPE_VARCHAR), false, NULL, T(EM_TYPE_VARCHAR),
                         0, false, NULL};
    g[5] = (em_agg_call){EM_AGG_MAX, col(a, 0, EM_TYPE_BIGINT), false, NULL, T(EM_TYPE_BIGINT),
                         0, false, NULL};
    *n = 6;
    return g;
}

static em_schema *agg_schema(em_arena *a, int n)
{
    em_schema *s = em_arena_calloc(a, sizeof(*s));
    s->nfields = n;
    s->fields = em_arena_calloc(a, sizeof(em_field) * (size_t)n);
    for (int i = 0; i < n; i++) {
        s->fields[i].name = em_arena_printf(a, "g%d", i);
        s->fields[i].type = T(i == 0 ? EM_TYPE_VARCHAR : EM_TYPE_BIGINT);
    }
    return s;
}

static void make_dag(fixture *f)
{
    em_arena *a = f->a;
    int naggs;
    em_agg_call *aggs = make_aggs(a, &naggs);

    em_pop *scan = pop(a, EM_POP_SCAN_FILE, abc_schema(a), 3, 0);
    scan->u.scan.desc = f->desc;
    scan->u.scan.ncols = 3;
    scan->u.scan.cols = ints(a, 3, (int[]){0, 1, 2});
    em_pop *partial = pop(a, EM_POP_HASH_AGG, agg_schema(a, 1 + 8), 3, 1, scan);
    partial->u.agg.mode = EM_AGG_MODE_PARTIAL;
    partial->u.agg.nkeys = 1;
    partial->u.agg.keys = em_arena_alloc(a, sizeof(em_expr *));
    partial->u.agg.keys[0] = col(a, 2, EM_TYPE_VARCHAR);
    partial->u.agg.naggs = naggs;
    partial->u.agg.aggs = aggs;

    em_pop *read = pop(a, EM_POP_SHUFFLE_READ, agg_schema(a, 1 + 8), 4, 0);
    read->u.shuffle_read.shuffle_id = 0;
    read->u.shuffle_read.nmaps = 3;
    em_pop *final = pop(a, EM_POP_HASH_AGG, agg_schema(a, 1 + naggs), 4, 1, read);
    final->u.agg.mode = EM_AGG_MODE_FINAL;
    final->u.agg.nkeys = 1;
    final->u.agg.keys = em_arena_alloc(a, sizeof(em_expr *));
    final->u.agg.keys[0] = col(a, 0, EM_TYPE_VARCHAR);
    final->u.agg.naggs = naggs;
    final->u.agg.aggs = aggs;

    em_pop *values = pop(a, EM_POP_VALUES, abc_schema(a), 1, 0);
    values->u.values.nrows = 1;
    values->u.values.rows = em_arena_alloc(a, sizeof(em_expr **));
    values->u.values.rows[0] = em_arena_alloc(a, 3 * sizeof(em_expr *));
    values->u.values.rows[0][0] = em_expr_const(a, em_value_bigint(1));
    values->u.values.rows[0][1] = em_expr_const(a, em_value_bigint(2));
    values->u.values.rows[0][2] = str_const(a, "three");
    em_pop *complete = pop(a, EM_POP_HASH_AGG, agg_schema(a, 1 + naggs), 1, 1, values);
    complete->u.agg.mode = EM_AGG_MODE_COMPLETE;
    complete->u.agg.nkeys = 1;
    complete->u.agg.keys = em_arena_alloc(a, sizeof(em_expr *));
    complete->u.agg.keys[0] = col(a, 2, EM_TYPE_VARCHAR);
    complete->u.agg.naggs = naggs;
    complete->u.agg.aggs = aggs;
    em_pop *exchange = pop(a, EM_POP_EXCHANGE, complete->schema, 1, 1, complete);
    exchange->u.exchange.kind = EM_EXCHANGE_SINGLE;
    exchange->u.exchange.nkeys = 1;
    exchange->u.exchange.keys = ints(a, 1, (int[]){0});
    exchange->u.exchange.nmerge = 1;
    exchange->u.exchange.merge_keys = sort_keys(a, 1, (em_sort_key[]){{3, true, true}});
    exchange->u.exchange.shuffle_id = 9;

    em_stage *s = em_arena_calloc(a, 3 * sizeof(em_stage));
    s[0] = (em_stage){.id = 0,
                      .root = partial,
                      .nparts = 3,
                      .shuffle_id = 0,
                      .out_kind = EM_EXCHANGE_HASH,
                      .out_nparts = 4,
                      .out_nkeys = 1,
                      .out_keys = ints(a, 1, (int[]){0})};
    s[1] = (em_stage){.id = 1,
                      .root = final,
                      .nparts = 4,
                      .shuffle_id = 1,
                      .out_kind = EM_EXCHANGE_SINGLE,
                      .out_nparts = 1,
                      .nparents = 1,
                      .parents = ints(a, 1, (int[]){0})};
    s[2] = (em_stage){.id = 2,
                      .root = exchange,
                      .nparts = 1,
                      .is_result = true,
                      .shuffle_id = -1,
                      .nparents = 1,
                      .parents = ints(a, 1, (int[]){1})};
    f->dag = (em_stage_dag){.nstages = 3, .stages = s, .nshuffles = 2};
}

/* ---- fixtures: joins and window functions ------------------------------ */

static em_schema *concat_schema(em_arena *a, const em_schema *l, const em_schema *r)
{
    em_schema *s = em_arena_calloc(a, sizeof(*s));
    s->nfields = l->nfields + r->nfields;
    s->fields = em_arena_calloc(a, sizeof(em_field) * (size_t)s->nfields);
    for (int i = 0; i < l->nfields; i++) s->fields[i] = l->fields[i];
    for (int i = 0; i < r->nfields; i++) {
        s->fields[l->nfields + i] = r->fields[i];
        s->fields[l->nfields + i].name = em_arena_printf(a, "r_%s", r->fields[i].name);
    }
    return s;
}

static em_type *schema_types(em_arena *a, const em_schema *s)
{
    em_type *t = em_arena_alloc(a, sizeof(em_type) * (size_t)s->nfields);
    for (int i = 0; i < s->nfields; i++) t[i] = s->fields[i].type;
    return t;
}

static em_pop *shuffle_read(em_arena *a, int id, int nparts, bool broadcast)
{
    em_pop *r = pop(a, EM_POP_SHUFFLE_READ, abc_schema(a), nparts, 0);
    r->u.shuffle_read.shuffle_id = id;
    r->u.shuffle_read.nmaps = 3;
    r->u.shuffle_read.broadcast = broadcast;
    return r;
}

/* A join node over [probe, build] whose left and right inputs follow from build_right. */
static em_pop *join(em_arena *a, em_join_kind kind, bool build_right, int nkeys, const int *lk,
                    const int *rk, em_expr *residual, em_pop *probe, em_pop *build)
{
    em_schema *ls = build_right ? probe->schema : build->schema;
    em_schema *rs = build_right ? build->schema : probe->schema;
    bool semi = kind >= EM_JOIN_KIND_SEMI;
    em_pop *j = pop(a, EM_POP_HASH_JOIN, semi ? ls : concat_schema(a, ls, rs), 4, 2, probe, build);
    em_join_spec *s = &j->u.join.spec;
    s->kind = kind;
    s->build_right = build_right;
    s->nkeys = nkeys;
    s->left_keys = nkeys > 0 ? ints(a, nkeys, lk) : NULL;
    s->right_keys = nkeys > 0 ? ints(a, nkeys, rk) : NULL;
    s->residual = residual;
    s->left_ncols = ls->nfields;
    s->left_types = schema_types(a, ls);
    s->right_ncols = rs->nfields;
    s->right_types = schema_types(a, rs);
    return j;
}

static em_window_frame frame(bool rows, em_frame_bound start, em_frame_bound end, em_value so,
                             em_value eo)
{
    em_window_frame f;
    memset(&f, 0, sizeof(f));
    f.rows = rows;
    f.start = start;
    f.end = end;
    f.start_offset = so;
    f.end_offset = eo;
    return f;
}

/* Every function kind and frame shape, over the join's six columns (a, b, c,
 * r_a, r_b, r_c). */
static em_window_call *make_window_calls(em_arena *a, int *n)
{
    em_window_call *w = em_arena_calloc(a, 9 * sizeof(em_window_call));
    em_value none;
    memset(&none, 0, sizeof(none));
    em_window_frame dflt =
        frame(false, EM_BOUND_UNBOUNDED_PRECEDING, EM_BOUND_CURRENT_ROW, none, none);
    w[0] = (em_window_call){.kind = EM_WINDOW_ROW_NUMBER, .frame = dflt, .type = T(EM_TYPE_BIGINT)};
    w[1] = (em_window_call){.kind = EM_WINDOW_LAG,
                            .arg = col(a, 2, EM_TYPE_VARCHAR),
                            .offset = 2,
                            .deflt = str_const(a, "x"),
                            .frame = dflt,
                            .type = T(EM_TYPE_VARCHAR)};
    w[2] = (em_window_call){.kind = EM_WINDOW_AGG,
                            .agg = EM_AGG_SUM,
                            .arg = col(a, 0, EM_TYPE_BIGINT),
                            .frame = frame(true, EM_BOUND_PRECEDING, EM_BOUND_FOLLOWING,
                                           em_value_bigint(3), em_value_bigint(1)),
                            .type = T(EM_TYPE_BIGINT)};
    w[3] = (em_window_call){.kind = EM_WINDOW_AGG,
                            .agg = EM_AGG_COUNT,
                            .distinct = true,
                            .arg = col(a, 1, EM_TYPE_BIGINT),
                            .frame = frame(false, EM_BOUND_UNBOUNDED_PRECEDING,
                                           EM_BOUND_UNBOUNDED_FOLLOWING, none, none),
                            .type = T(EM_TYPE_BIGINT)};
    w[4] = (em_window_call){.kind = EM_WINDOW_AGG,
                            .agg = EM_AGG_AVG,
                            .arg = col(a, 4, EM_TYPE_BIGINT),
                            .frame = frame(false, EM_BOUND_PRECEDING, EM_BOUND_CURRENT_ROW,
                                           em_value_decimal(25, 3, 1), none),
                            .type = T(EM_TYPE_DOUBLE)};
    w[5] = (em_window_call){
        .kind = EM_WINDOW_NTILE, .offset = 4, .frame = dflt, .type = T(EM_TYPE_BIGINT)};
    w[6] = (em_window_call){
        .kind = EM_WINDOW_NTH_VALUE,
        .arg = col(a, 5, EM_TYPE_VARCHAR),
        .offset = 2,
        .frame = frame(true, EM_BOUND_CURRENT_ROW, EM_BOUND_FOLLOWING, none, em_value_int(2)),
        .type = T(EM_TYPE_VARCHAR)};
    w[7] = (em_window_call){
        .kind = EM_WINDOW_AGG,
        .agg = EM_AGG_COUNT_STAR,
        .frame = frame(false, EM_BOUND_CURRENT_ROW, EM_BOUND_FOLLOWING, none, em_value_double(0.5)),
        .type = T(EM_TYPE_BIGINT)};
    w[8] = (em_window_call){.kind = EM_WINDOW_LEAD,
                            .arg = col(a, 1, EM_TYPE_BIGINT),
                            .offset = 1,
                            .frame = dflt,
                            .type = T(EM_TYPE_BIGINT)};
    *n = 9;
    return w;
}

/* Stage 5: WINDOW partitioned by (a, r_a), ordered by (b DESC NULLS FIRST, r_b),
 * over a LEFT join on a = r_b AND b < r_a, building the broadcast right side. */
static void make_window_stage(fixture *f)
{
    em_arena *a = f->a;
    em_expr *residual = call(a, "<", 2, col(a, 1, EM_TYPE_BIGINT), col(a, 3, EM_TYPE_BIGINT));
    em_pop *j = join(a, EM_JOIN_KIND_LEFT, true, 1, (int[]){0}, (int[]){1}, residual,
                     shuffle_read(a, 1, 4, false), shuffle_read(a, 2, 1, true));
    int ncalls;
    em_window_call *calls = make_window_calls(a, &ncalls);
    em_schema *ws = em_arena_calloc(a, sizeof(*ws));
    ws->nfields = 6 + ncalls;
    ws->fields = em_arena_calloc(a, sizeof(em_field) * (size_t)ws->nfields);
    for (int i = 0; i < 6; i++) ws->fields[i] = j->schema->fields[i];
    for (int i = 0; i < ncalls; i++) {
        ws->fields[6 + i].name = em_arena_printf(a, "w%d", i);
        ws->fields[6 + i].type = calls[i].type;
    }
    em_pop *w = pop(a, EM_POP_WINDOW, ws, 4, 1, j);
    w->u.window.npartition = 2;
    w->u.window.partition_cols = ints(a, 2, (int[]){0, 3});
    w->u.window.norder = 2;
    w->u.window.order = sort_keys(a, 2, (em_sort_key[]){{1, true, true}, {4, false, false}});
    w->u.window.ncalls = ncalls;
    w->u.window.calls = calls;
    f->wstage = (em_stage){.id = 5,
                           .root = w,
                           .nparts = 4,
                           .is_result = true,
                           .shuffle_id = -1,
                           .nparents = 2,
                           .parents = ints(a, 2, (int[]){1, 2})};
}

/* Stage 6: a broadcast SINGLE exchange over
 *   INNER cross join (residual r_c = c) of
 *     NOT IN (b of) the FULL join on (a, c) building the left side
 *     and a broadcast read. */
static void make_join_stage(fixture *f)
{
    em_arena *a = f->a;
    em_pop *full = join(a, EM_JOIN_KIND_FULL, false, 2, (int[]){0, 2}, (int[]){0, 2}, NULL,
                        shuffle_read(a, 3, 4, false), shuffle_read(a, 4, 4, false));
    em_pop *naaj = join(a, EM_JOIN_KIND_ANTI_NULL_AWARE, true, 1, (int[]){1}, (int[]){0}, NULL,
                        full, shuffle_read(a, 5, 1, true));
    em_expr *residual = call(a, "=", 2, col(a, 8, EM_TYPE_VARCHAR), col(a, 2, EM_TYPE_VARCHAR));
    em_pop *cross = join(a, EM_JOIN_KIND_INNER, true, 0, NULL, NULL, residual, naaj,
                         shuffle_read(a, 6, 1, true));
    em_pop *x = pop(a, EM_POP_EXCHANGE, cross->schema, 1, 1, cross);
    x->u.exchange.kind = EM_EXCHANGE_SINGLE;
    x->u.exchange.shuffle_id = 7;
    x->u.exchange.broadcast = true;
    f->jstage = (em_stage){.id = 6,
                           .root = x,
                           .nparts = 4,
                           .shuffle_id = 8,
                           .out_kind = EM_EXCHANGE_SINGLE,
                           .out_nparts = 1,
                           .nparents = 1,
                           .parents = ints(a, 1, (int[]){5})};
}

static int setup(void **state)
{
    fixture *f = em_calloc(1, sizeof(*f));
    f->a = em_arena_create(1 << 16);
    f->desc = make_desc();
    f->table.name = "t";
    f->lookup.table = &f->table;
    make_stage(f);
    make_dag(f);
    make_window_stage(f);
    make_join_stage(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    em_scan_desc_destroy(f->desc);
    em_arena_destroy(f->a);
    em_free(f);
    return 0;
}

static void serialize_task(const em_stage *s, int partition, int attempt, uint8_t **buf,
                           size_t *len)
{
    em_task_desc t = {s->id, partition, attempt, s};
    em_error err;
    int rc = em_task_desc_serialize(&t, buf, len, &err);
    if (rc != 0) fail_msg("serialize: %s", err.message);
}

/* ---- checks on rebuilt trees -------------------------------------------- */

static void assert_type(em_type a, em_type b)
{
    assert_int_equal(a.id, b.id);
    assert_int_equal(a.precision, b.precision);
    assert_int_equal(a.scale, b.scale);
}

static void assert_schema(const em_schema *a, const em_schema *b)
{
    assert_non_null(b);
    assert_int_equal(a->nfields, b->nfields);
    for (int i = 0; i < a->nfields; i++) {
        assert_string_equal(a->fields[i].name, b->fields[i].name);
        assert_type(a->fields[i].type, b->fields[i].type);
        assert_int_equal(a->fields[i].nullable, b->fields[i].nullable);
    }
}

static void assert_value(const em_value *a, const em_value *b)
{
    assert_type(a->type, b->type);
    assert_int_equal(a->is_null, b->is_null);
    if (a->is_null) return;
    switch ((em_type_id)a->type.id) {
    case EM_TYPE_BOOLEAN:
        assert_int_equal(a->v.b, b->v.b);
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        assert_int_equal(a->v.i32, b->v.i32);
        break;
    case EM_TYPE_DOUBLE:
        assert_memory_equal(&a->v.f64, &b->v.f64, sizeof(double));
        break;
    case EM_TYPE_VARCHAR:
        assert_int_equal(a->v.str.len, b->v.str.len);
        assert_memory_equal(a->v.str.ptr, b->v.str.ptr, (size_t)a->v.str.len);
        break;
    default:
        assert_true(a->v.i64 == b->v.i64);
        break;
    }
}

static void assert_expr(const em_expr *a, const em_expr *b)
{
    if (a == NULL) {
        assert_null(b);
        return;
    }
    assert_non_null(b);
    assert_int_equal(a->kind, b->kind);
    assert_type(a->type, b->type);
    assert_int_equal(a->nargs, b->nargs);
    assert_int_equal(a->negated, b->negated);
    assert_int_equal(a->case_insensitive, b->case_insensitive);
    assert_int_equal(a->try_cast, b->try_cast);
    assert_int_equal(a->escape, b->escape);
    if (a->kind == EM_EXPR_COLUMN) assert_int_equal(a->column, b->column);
    if (a->kind == EM_EXPR_CONST) assert_value(&a->value, &b->value);
    /* The same overload comes back: the registry's own entry. */
    if (a->kind == EM_EXPR_CALL) assert_ptr_equal(a->func, b->func);
    for (int i = 0; i < a->nargs; i++) assert_expr(a->args[i], b->args[i]);
    /* Structural equality as the engine defines it, too. */
    assert_true(em_expr_equal(a, b));
}

static void assert_sort_keys(int n, const em_sort_key *a, const em_sort_key *b)
{
    for (int i = 0; i < n; i++) {
        assert_int_equal(a[i].column, b[i].column);
        assert_int_equal(a[i].desc, b[i].desc);
        assert_int_equal(a[i].nulls_first, b[i].nulls_first);
    }
}

static void assert_ints(int n, const int *a, const int *b)
{
    for (int i = 0; i < n; i++) assert_int_equal(a[i], b[i]);
}

static void assert_desc(const em_scan_desc *a, const em_scan_desc *b)
{
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_string_equal(a->format, b->format);
    assert_int_equal(a->nfiles, b->nfiles);
    for (int i = 0; i < a->nfiles; i++) assert_string_equal(a->files[i], b->files[i]);
    assert_int_equal(a->noptions, b->noptions);
    for (int i = 0; i < a->noptions; i++) {
        assert_string_equal(a->options[i].key, b->options[i].key);
        assert_string_equal(a->options[i].value, b->options[i].value);
    }
    assert_string_equal(em_scan_desc_option(b, "delimiter"), ";");
    assert_schema(a->schema, b->schema);
    assert_int_equal(a->nsplits, b->nsplits);
    for (int i = 0; i < a->nsplits; i++) {
        assert_int_equal(a->splits[i].file, b->splits[i].file);
        assert_true(a->splits[i].start == b->splits[i].start);
        assert_true(a->splits[i].end == b->splits[i].end);
    }
}

static void assert_pop(const em_pop *a, const em_pop *b)
{
    assert_non_null(b);
    assert_int_equal(a->kind, b->kind);
    assert_schema(a->schema, b->schema);
    assert_int_equal(a->nparts, b->nparts);
    assert_int_equal(a->nchildren, b->nchildren);
    for (int i = 0; i < a->nchildren; i++) assert_pop(a->children[i], b->children[i]);
    switch (a->kind) {
    case EM_POP_HASH_JOIN: {
        const em_join_spec *x = &a->u.join.spec, *y = &b->u.join.spec;
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->build_right, y->build_right);
        assert_int_equal(x->nkeys, y->nkeys);
        assert_ints(x->nkeys, x->left_keys, y->left_keys);
        assert_ints(x->nkeys, x->right_keys, y->right_keys);
        assert_expr(x->residual, y->residual);
        assert_int_equal(x->left_ncols, y->left_ncols);
        for (int i = 0; i < x->left_ncols; i++) assert_type(x->left_types[i], y->left_types[i]);
        assert_int_equal(x->right_ncols, y->right_ncols);
        for (int i = 0; i < x->right_ncols; i++) assert_type(x->right_types[i], y->right_types[i]);
        break;
    }
    case EM_POP_WINDOW:
        assert_int_equal(a->u.window.npartition, b->u.window.npartition);
        assert_ints(a->u.window.npartition, a->u.window.partition_cols, b->u.window.partition_cols);
        assert_int_equal(a->u.window.norder, b->u.window.norder);
        assert_sort_keys(a->u.window.norder, a->u.window.order, b->u.window.order);
        assert_int_equal(a->u.window.ncalls, b->u.window.ncalls);
        for (int i = 0; i < a->u.window.ncalls; i++) {
            const em_window_call *x = &a->u.window.calls[i], *y = &b->u.window.calls[i];
            assert_int_equal(x->kind, y->kind);
            assert_int_equal(x->agg, y->agg);
            assert_int_equal(x->distinct, y->distinct);
            assert_expr(x->arg, y->arg);
            assert_true(x->offset == y->offset);
            assert_expr(x->deflt, y->deflt);
            assert_int_equal(x->frame.rows, y->frame.rows);
            assert_int_equal(x->frame.start, y->frame.start);
            assert_int_equal(x->frame.end, y->frame.end);
            assert_value(&x->frame.start_offset, &y->frame.start_offset);
            assert_value(&x->frame.end_offset, &y->frame.end_offset);
            assert_type(x->type, y->type);
        }
        break;
    case EM_POP_SCAN_FILE:
    case EM_POP_SCAN_TABLE:
        if (a->kind == EM_POP_SCAN_FILE) assert_desc(a->u.scan.desc, b->u.scan.desc);
        if (a->kind == EM_POP_SCAN_TABLE) {
            assert_ptr_equal(a->u.scan.table, b->u.scan.table);
            assert_string_equal(a->u.scan.table_name, b->u.scan.table_name);
        }
        assert_true(a->u.scan.table_batches == b->u.scan.table_batches);
        assert_int_equal(a->u.scan.ncols, b->u.scan.ncols);
        assert_ints(a->u.scan.ncols, a->u.scan.cols, b->u.scan.cols);
        assert_expr(a->u.scan.filter, b->u.scan.filter);
        break;
    case EM_POP_VALUES:
        assert_int_equal(a->u.values.nrows, b->u.values.nrows);
        for (int r = 0; r < a->u.values.nrows; r++)
            for (int c = 0; c < a->schema->nfields; c++)
                assert_expr(a->u.values.rows[r][c], b->u.values.rows[r][c]);
        break;
    case EM_POP_SHUFFLE_READ:
        assert_int_equal(a->u.shuffle_read.shuffle_id, b->u.shuffle_read.shuffle_id);
        assert_int_equal(a->u.shuffle_read.nmaps, b->u.shuffle_read.nmaps);
        assert_int_equal(a->u.shuffle_read.nmerge, b->u.shuffle_read.nmerge);
        assert_sort_keys(a->u.shuffle_read.nmerge, a->u.shuffle_read.merge_keys,
                         b->u.shuffle_read.merge_keys);
        assert_int_equal(a->u.shuffle_read.broadcast, b->u.shuffle_read.broadcast);
        break;
    case EM_POP_FILTER:
        assert_expr(a->u.filter.pred, b->u.filter.pred);
        break;
    case EM_POP_PROJECT:
        assert_int_equal(a->u.project.nexprs, b->u.project.nexprs);
        for (int i = 0; i < a->u.project.nexprs; i++)
            assert_expr(a->u.project.exprs[i], b->u.project.exprs[i]);
        break;
    case EM_POP_HASH_AGG:
        assert_int_equal(a->u.agg.mode, b->u.agg.mode);
        assert_int_equal(a->u.agg.nkeys, b->u.agg.nkeys);
        for (int i = 0; i < a->u.agg.nkeys; i++) assert_expr(a->u.agg.keys[i], b->u.agg.keys[i]);
        assert_int_equal(a->u.agg.naggs, b->u.agg.naggs);
        for (int i = 0; i < a->u.agg.naggs; i++) {
            const em_agg_call *x = &a->u.agg.aggs[i], *y = &b->u.agg.aggs[i];
            assert_int_equal(x->kind, y->kind);
            assert_expr(x->arg, y->arg);
            assert_expr(x->arg2, y->arg2);
            assert_int_equal(x->distinct, y->distinct);
            assert_expr(x->filter, y->filter);
            assert_type(x->type, y->type);
        }
        break;
    case EM_POP_SORT:
        assert_int_equal(a->u.sort.nkeys, b->u.sort.nkeys);
        assert_sort_keys(a->u.sort.nkeys, a->u.sort.keys, b->u.sort.keys);
        assert_true(a->u.sort.limit == b->u.sort.limit);
        break;
    case EM_POP_LIMIT:
        assert_true(a->u.limit.limit == b->u.limit.limit);
        assert_true(a->u.limit.offset == b->u.limit.offset);
        break;
    case EM_POP_UNION:
        break;
    case EM_POP_UNNEST: /* round trips in tests/unit/exec/test_unnest.c */
        assert_int_equal(a->u.unnest.spec.kind, b->u.unnest.spec.kind);
        assert_expr(a->u.unnest.spec.str, b->u.unnest.spec.str);
        assert_expr(a->u.unnest.spec.sep, b->u.unnest.spec.sep);
        assert_expr(a->u.unnest.spec.extra, b->u.unnest.spec.extra);
        assert_int_equal(a->u.unnest.npass, b->u.unnest.npass);
        assert_ints(a->u.unnest.npass, a->u.unnest.pass, b->u.unnest.pass);
        break;
    case EM_POP_EXCHANGE:
        assert_int_equal(a->u.exchange.kind, b->u.exchange.kind);
        assert_int_equal(a->u.exchange.nkeys, b->u.exchange.nkeys);
        assert_ints(a->u.exchange.nkeys, a->u.exchange.keys, b->u.exchange.keys);
        assert_int_equal(a->u.exchange.nmerge, b->u.exchange.nmerge);
        assert_sort_keys(a->u.exchange.nmerge, a->u.exchange.merge_keys, b->u.exchange.merge_keys);
        assert_int_equal(a->u.exchange.shuffle_id, b->u.exchange.shuffle_id);
        assert_int_equal(a->u.exchange.broadcast, b->u.exchange.broadcast);
        break;
    }
}

static void assert_stage(const em_stage *a, const em_stage *b)
{
    assert_int_equal(a->id, b->id);
    assert_pop(a->root, b->root);
    assert_int_equal(a->nparts, b->nparts);
    assert_int_equal(a->is_result, b->is_result);
    assert_int_equal(a->shuffle_id, b->shuffle_id);
    assert_int_equal(a->out_kind, b->out_kind);
    assert_int_equal(a->out_nparts, b->out_nparts);
    assert_int_equal(a->out_nkeys, b->out_nkeys);
    assert_ints(a->out_nkeys, a->out_keys, b->out_keys);
    assert_int_equal(a->nparents, b->nparents);
    assert_ints(a->nparents, a->parents, b->parents);
}

/* ---- round trips ------------------------------------------------------- */

static void test_task_round_trip(void **state)
{
    fixture *f = *state;
    uint8_t *buf;
    size_t len;
    serialize_task(&f->stage, 7, 2, &buf, &len);

    em_arena *a = em_arena_create(4096);
    em_task_desc t;
    em_stage *s = NULL;
    em_error err;
    int rc = em_task_desc_deserialize(buf, len, a, lookup, &f->lookup, &t, &s, &err);
    if (rc != 0) fail_msg("deserialize: %s", err.message);
    assert_int_equal(t.stage_id, 4);
    assert_int_equal(t.partition, 7);
    assert_int_equal(t.attempt, 2);
    assert_ptr_equal(t.stage, s);
    assert_int_equal(f->lookup.calls, 1);
    assert_stage(&f->stage, s);

    /* Spot checks that do not go through the generic comparison. */
    const em_pop *limit = s->root, *sort = limit->children[0], *project = sort->children[0];
    const em_pop *uni = project->children[0]->children[0];
    assert_int_equal(limit->kind, EM_POP_LIMIT);
    assert_int_equal(uni->kind, EM_POP_UNION);
    assert_int_equal(uni->nchildren, 4);
    const em_expr *plus = project->u.project.exprs[0];
    assert_int_equal(plus->kind, EM_EXPR_CALL);
    assert_string_equal(plus->func->name, "+");
    assert_int_equal(plus->type.id, EM_TYPE_BIGINT);
    assert_string_equal(project->u.project.exprs[1]->func->name, "lower");
    const em_pop *values = uni->children[2];
    assert_string_equal(values->u.values.rows[0][2]->value.v.str.ptr, "h\xc3\xa9llo, 'world'");
    assert_true(values->u.values.rows[0][1]->value.is_null);
    assert_true(values->u.values.rows[1][2]->value.is_null);
    assert_int_equal(values->u.values.rows[1][2]->value.type.id, EM_TYPE_VARCHAR);
    const em_scan_desc *d = uni->children[0]->u.scan.desc;
    assert_string_equal(d->files[1], "/data/part 1 \xe9t\xe9.csv");
    assert_string_equal(em_scan_desc_option(d, "header"), "true");
    assert_string_equal(em_scan_desc_option(d, "nullvalue"), "");
    assert_true(d->splits[1].end == 1500000);
    assert_int_equal(d->schema->fields[3].type.precision, 12);

    /* Serializing the rebuilt task gives the very same bytes. */
    uint8_t *buf2;
    size_t len2;
    em_task_desc t2 = {s->id, 7, 2, s};
    assert_int_equal(em_task_desc_serialize(&t2, &buf2, &len2, &err), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);

    em_plan_serde_release(s);
    assert_null(uni->children[0]->u.scan.desc);
    em_free(buf2);
    em_free(buf);
    em_arena_destroy(a);
}

/* Serialize a stage as a task, rebuild it, compare, and serialize again: the
 * same bytes. Returns the rebuilt stage (release with em_plan_serde_release). */
static em_stage *round_trip(fixture *f, const em_stage *stage, em_arena *a)
{
    uint8_t *buf, *buf2;
    size_t len, len2;
    serialize_task(stage, 3, 1, &buf, &len);
    em_task_desc t;
    em_stage *s = NULL;
    em_error err;
    int rc = em_task_desc_deserialize(buf, len, a, lookup, &f->lookup, &t, &s, &err);
    if (rc != 0) fail_msg("deserialize: %s", err.message);
    assert_int_equal(t.partition, 3);
    assert_int_equal(t.attempt, 1);
    assert_stage(stage, s);
    serialize_task(s, 3, 1, &buf2, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    em_free(buf);
    em_free(buf2);
    return s;
}

static void test_window_round_trip(void **state)
{
    fixture *f = *state;
    em_arena *a = em_arena_create(4096);
    em_stage *s = round_trip(f, &f->wstage, a);
    const em_pop *w = s->root, *j = w->children[0];
    assert_int_equal(w->kind, EM_POP_WINDOW);
    assert_int_equal(w->u.window.ncalls, 9);
    assert_int_equal(w->u.window.partition_cols[1], 3);
    assert_true(w->u.window.order[0].desc && w->u.window.order[0].nulls_first);
    const em_window_call *c = w->u.window.calls;
    assert_int_equal(c[1].kind, EM_WINDOW_LAG);
    assert_true(c[1].offset == 2);
    assert_string_equal(c[1].deflt->value.v.str.ptr, "x");
    assert_true(c[2].frame.rows);
    assert_int_equal(c[2].frame.start, EM_BOUND_PRECEDING);
    assert_true(c[2].frame.start_offset.v.i64 == 3 && c[2].frame.end_offset.v.i64 == 1);
    assert_true(c[3].distinct);
    assert_int_equal(c[3].agg, EM_AGG_COUNT);
    assert_int_equal(c[4].frame.start_offset.type.id, EM_TYPE_DECIMAL);
    assert_true(c[4].frame.start_offset.v.i64 == 25);
    assert_int_equal(c[4].frame.end_offset.type.id, EM_TYPE_NULL);
    assert_int_equal(c[6].frame.end_offset.v.i32, 2);
    assert_null(c[7].arg);
    assert_int_equal(c[7].agg, EM_AGG_COUNT_STAR);
    assert_true(c[7].frame.end_offset.v.f64 == 0.5);
    assert_int_equal(j->kind, EM_POP_HASH_JOIN);
    const em_join_spec *sp = &j->u.join.spec;
    assert_int_equal(sp->kind, EM_JOIN_KIND_LEFT);
    assert_true(sp->build_right);
    assert_int_equal(sp->nkeys, 1);
    assert_int_equal(sp->left_keys[0], 0);
    assert_int_equal(sp->right_keys[0], 1);
    assert_string_equal(sp->residual->func->name, "<");
    assert_int_equal(sp->right_types[2].id, EM_TYPE_VARCHAR);
    assert_false(j->children[0]->u.shuffle_read.broadcast);
    assert_true(j->children[1]->u.shuffle_read.broadcast);
    em_plan_serde_release(s);
    em_arena_destroy(a);
}

static void test_join_round_trip(void **state)
{
    fixture *f = *state;
    em_arena *a = em_arena_create(4096);
    em_stage *s = round_trip(f, &f->jstage, a);
    const em_pop *x = s->root, *cross = x->children[0], *naaj = cross->children[0];
    const em_pop *full = naaj->children[0];
    assert_true(x->u.exchange.broadcast);
    assert_int_equal(cross->u.join.spec.nkeys, 0);
    assert_null(cross->u.join.spec.left_keys);
    assert_int_equal(cross->u.join.spec.left_ncols, 6);
    assert_int_equal(cross->schema->nfields, 9);
    assert_int_equal(naaj->u.join.spec.kind, EM_JOIN_KIND_ANTI_NULL_AWARE);
    assert_int_equal(naaj->schema->nfields, 6);
    assert_int_equal(full->u.join.spec.kind, EM_JOIN_KIND_FULL);
    assert_false(full->u.join.spec.build_right);
    assert_int_equal(full->u.join.spec.right_keys[1], 2);
    /* Building the left side: the left input is the second child. */
    assert_int_equal(full->children[1]->u.shuffle_read.shuffle_id, 4);
    assert_null(full->u.join.spec.residual);
    em_plan_serde_release(s);

    /* Also inside a whole DAG. */
    em_stage stages[2] = {f->wstage, f->jstage};
    stages[0].nparents = 0;
    stages[1].parents = ints(f->a, 1, (int[]){0});
    em_stage_dag dag = {.nstages = 2, .stages = stages, .nshuffles = 9};
    uint8_t *buf, *buf2;
    size_t len, len2;
    em_error err;
    assert_int_equal(em_stage_dag_serialize(&dag, &buf, &len, &err), 0);
    em_stage_dag back;
    if (em_stage_dag_deserialize(buf, len, a, lookup, &f->lookup, &back, &err) != 0)
        fail_msg("deserialize: %s", err.message);
    for (int i = 0; i < 2; i++) assert_stage(&stages[i], &back.stages[i]);
    assert_int_equal(em_stage_dag_serialize(&back, &buf2, &len2, &err), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    em_plan_serde_release_dag(&back);
    em_free(buf);
    em_free(buf2);
    em_arena_destroy(a);
}

static void test_dag_round_trip(void **state)
{
    fixture *f = *state;
    uint8_t *buf, *buf2;
    size_t len, len2;
    em_error err;
    assert_int_equal(em_stage_dag_serialize(&f->dag, &buf, &len, &err), 0);

    em_arena *a = em_arena_create(4096);
    em_stage_dag dag;
    int rc = em_stage_dag_deserialize(buf, len, a, lookup, &f->lookup, &dag, &err);
    if (rc != 0) fail_msg("deserialize: %s", err.message);
    assert_int_equal(dag.nstages, 3);
    assert_int_equal(dag.nshuffles, 2);
    for (int i = 0; i < 3; i++) assert_stage(&f->dag.stages[i], &dag.stages[i]);
    assert_int_equal(dag.stages[0].root->u.agg.mode, EM_AGG_MODE_PARTIAL);
    assert_int_equal(dag.stages[1].root->u.agg.mode, EM_AGG_MODE_FINAL);
    assert_int_equal(dag.stages[2].root->kind, EM_POP_EXCHANGE);
    assert_int_equal(dag.stages[2].root->children[0]->u.agg.aggs[1].distinct, true);

    assert_int_equal(em_stage_dag_serialize(&dag, &buf2, &len2, &err), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);

    /* Each stage also travels alone as a task. */
    for (int i = 0; i < 3; i++) {
        uint8_t *tb, *tb2;
        size_t tl, tl2;
        serialize_task(&f->dag.stages[i], 0, 0, &tb, &tl);
        em_task_desc t;
        em_stage *s;
        assert_int_equal(em_task_desc_deserialize(tb, tl, a, lookup, &f->lookup, &t, &s, &err), 0);
        assert_stage(&f->dag.stages[i], s);
        serialize_task(s, 0, 0, &tb2, &tl2);
        assert_int_equal(tl, tl2);
        assert_memory_equal(tb, tb2, tl);
        em_plan_serde_release(s);
        em_free(tb);
        em_free(tb2);
    }

    em_plan_serde_release_dag(&dag);
    em_free(buf);
    em_free(buf2);
    em_arena_destroy(a);
}

static void test_expr_round_trip(void **state)
{
    fixture *f = *state;
    em_expr *pred = make_predicate(f->a);
    uint8_t *buf, *buf2;
    size_t len, len2;
    em_error err;
    assert_int_equal(em_expr_serialize(pred, &buf, &len, &err), 0);

    em_arena *a = em_arena_create(4096);
    em_expr *e;
    assert_int_equal(em_expr_deserialize(buf, len, a, 3, &e, &err), 0);
    assert_expr(pred, e);
    assert_int_equal(em_expr_serialize(e, &buf2, &len2, &err), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    em_free(buf2);

    /* The predicate reads column 2: an input of two columns cannot feed it. */
    assert_int_equal(em_expr_deserialize(buf, len, a, 2, &e, &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "malformed expression: "));
    assert_non_null(strstr(err.message, "out of range"));
    assert_int_equal(em_expr_deserialize(buf, len, a, -1, &e, &err), 0);
    em_free(buf);
    em_arena_destroy(a);
}

static void test_empty_values(void **state)
{
    /* Strings that are empty, NaN and -0.0 doubles, extreme integers. */
    em_arena *a = em_arena_create(4096);
    em_value vals[] = {
        em_value_varchar("", 0),     em_value_double(-0.0),
        em_value_double(NAN),        em_value_int(INT32_MIN),
        em_value_bigint(INT64_MAX),  em_value_null(T(EM_TYPE_NULL)),
        em_value_varchar("a\0b", 3), em_value_null(em_type_decimal(5, 5)),
    };
    for (size_t i = 0; i < EM_ARRAY_LEN(vals); i++) {
        em_expr *c = em_expr_const(a, vals[i]);
        uint8_t *buf, *buf2;
        size_t len, len2;
        em_error err;
        assert_int_equal(em_expr_serialize(c, &buf, &len, &err), 0);
        em_expr *e;
        assert_int_equal(em_expr_deserialize(buf, len, a, 0, &e, &err), 0);
        assert_value(&c->value, &e->value);
        assert_int_equal(em_expr_serialize(e, &buf2, &len2, &err), 0);
        assert_int_equal(len, len2);
        assert_memory_equal(buf, buf2, len);
        em_free(buf);
        em_free(buf2);
    }
    em_arena_destroy(a);
    (void)state;
}

/* ---- failures ---------------------------------------------------------- */

static void assert_malformed(int rc, const em_error *err)
{
    assert_int_equal(rc, EM_EINVAL);
    assert_true(strncmp(err->message, "malformed task description: ",
                        strlen("malformed task description: ")) == 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_garbage(void **state)
{
    fixture *f = *state;
    em_arena *a = em_arena_create(4096);
    uint8_t bytes[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = (size_t)(rng() % sizeof(bytes));
        for (size_t i = 0; i < len; i++) bytes[i] = (uint8_t)rng();
        /* Half of the inputs start like a real message (field 1 varint, field 2 bytes). */
        if (iter % 2 == 0 && len > 4) {
            bytes[0] = 0x08;
            bytes[1] = 0x04;
            bytes[2] = 0x12;
            bytes[3] = (uint8_t)(len - 4 > 127 ? 127 : len - 4);
        }
        em_task_desc t;
        em_stage *s = NULL;
        em_error err;
        int rc = em_task_desc_deserialize(bytes, len, a, lookup, &f->lookup, &t, &s, &err);
        assert_malformed(rc, &err);
        if (iter % 1000 == 0) em_arena_reset(a);
    }
    em_task_desc t;
    em_stage *s;
    em_error err;
    assert_malformed(em_task_desc_deserialize(NULL, 0, a, lookup, &f->lookup, &t, &s, &err), &err);
    em_arena_destroy(a);
}

static void truncated(fixture *f, const em_stage *stage)
{
    uint8_t *buf;
    size_t len;
    serialize_task(stage, 1, 0, &buf, &len);
    em_arena *a = em_arena_create(4096);
    for (size_t n = 0; n < len; n++) {
        /* A private copy of exactly n bytes so that ASan sees any overread. */
        uint8_t *cut = em_malloc(n > 0 ? n : 1);
        memcpy(cut, buf, n);
        em_task_desc t;
        em_stage *s = NULL;
        em_error err;
        int rc = em_task_desc_deserialize(cut, n, a, lookup, &f->lookup, &t, &s, &err);
        assert_malformed(rc, &err);
        em_free(cut);
        em_arena_reset(a);
    }
    em_free(buf);
    em_arena_destroy(a);
}

static void test_truncated(void **state)
{
    fixture *f = *state;
    truncated(f, &f->stage);
    truncated(f, &f->wstage);
    truncated(f, &f->jstage);
}

/* Random byte changes in a valid message: any outcome but a crash or a leak. */
static void mutated(fixture *f, const em_stage *stage)
{
    uint8_t *buf;
    size_t len;
    serialize_task(stage, 1, 0, &buf, &len);
    em_arena *a = em_arena_create(4096);
    uint8_t *copy = em_malloc(len);
    int ok = 0;
    for (int iter = 0; iter < 6000; iter++) {
        memcpy(copy, buf, len);
        int nflips = 1 + (int)(rng() % 3);
        for (int k = 0; k < nflips; k++) copy[rng() % len] ^= (uint8_t)(1 + rng() % 255);
        em_task_desc t;
        em_stage *s = NULL;
        em_error err;
        int rc = em_task_desc_deserialize(copy, len, a, lookup, &f->lookup, &t, &s, &err);
        if (rc == 0) {
            ok++;
            /* Whatever came back serializes again. */
            uint8_t *again;
            size_t alen;
            em_task_desc t2 = {s->id, t.partition, t.attempt, s};
            if (em_task_desc_serialize(&t2, &again, &alen, &err) == 0) em_free(again);
            em_plan_serde_release(s);
        } else {
            assert_true(rc < 0);
            assert_true(err.message[0] != '\0');
            if (rc == EM_EINVAL) assert_malformed(rc, &err);
        }
        em_arena_reset(a);
    }
    print_message("mutated: %d of 6000 still decoded\n", ok);
    em_free(copy);
    em_free(buf);
    em_arena_destroy(a);
}

static void test_mutated(void **state)
{
    fixture *f = *state;
    mutated(f, &f->stage);
    mutated(f, &f->wstage);
    mutated(f, &f->jstage);
}

/* Decode the fixture's task into protobuf structs, let `edit` corrupt them,
 * pack again and deserialize: must be malformed with `needle` in the message. */
typedef void (*edit_fn)(Emberpb__TaskDescription *m);

/* An edit that shrinks a repeated field records it here: the count is put back
 * after packing so that free_unpacked frees every element. */
static size_t *restore_count;
static size_t restore_value;

static void shrink(size_t *count, size_t n)
{
    restore_count = count;
    restore_value = *count;
    *count = n;
}

static void expect_rejected_in(fixture *f, const em_stage *stage, edit_fn edit, int code,
                               const char *needle)
{
    uint8_t *buf;
    size_t len;
    serialize_task(stage, 1, 0, &buf, &len);
    Emberpb__TaskDescription *m = emberpb__task_description__unpack(NULL, len, buf);
    assert_non_null(m);
    edit(m);
    size_t n = emberpb__task_description__get_packed_size(m);
    uint8_t *out = em_malloc(n + 1);
    emberpb__task_description__pack(m, out);
    if (restore_count != NULL) *restore_count = restore_value;
    restore_count = NULL;
    emberpb__task_description__free_unpacked(m, NULL);

    em_arena *a = em_arena_create(4096);
    em_task_desc t;
    em_stage *s = NULL;
    em_error err;
    int rc = em_task_desc_deserialize(out, n, a, lookup, &f->lookup, &t, &s, &err);
    assert_int_equal(rc, code);
    if (code == EM_EINVAL) assert_malformed(rc, &err);
    if (strstr(err.message, needle) == NULL) fail_msg("'%s' lacks '%s'", err.message, needle);
    em_free(out);
    em_free(buf);
    em_arena_destroy(a);
}

static void expect_rejected(fixture *f, edit_fn edit, int code, const char *needle)
{
    expect_rejected_in(f, &f->stage, edit, code, needle);
}

/* Path to nodes of the fixture: LIMIT > SORT > PROJECT > FILTER > UNION > sources. */
static Emberpb__PlanNode *pb_node(Emberpb__TaskDescription *m, int depth)
{
    Emberpb__PlanNode *n = m->stage->root;
    for (int i = 0; i < depth; i++) n = n->children[0];
    return n;
}

static void edit_version(Emberpb__TaskDescription *m)
{
    m->protocol_version = 2;
}
static void edit_kind(Emberpb__TaskDescription *m)
{
    pb_node(m, 1)->kind = (Emberpb__PopKind)42;
}
static void edit_expr_kind(Emberpb__TaskDescription *m)
{
    pb_node(m, 3)->filter->pred->args[0]->kind = (Emberpb__ExprKind)99;
}
static void edit_type(Emberpb__TaskDescription *m)
{
    pb_node(m, 2)->schema->fields[0]->type->id = (Emberpb__TypeId)77;
}
static void edit_no_children(Emberpb__TaskDescription *m)
{
    /* FILTER without its child. */
    shrink(&pb_node(m, 3)->n_children, 0);
}
static void edit_column(Emberpb__TaskDescription *m)
{
    pb_node(m, 3)->filter->pred->args[0]->args[0]->column = 3;
}
static void edit_sort_key(Emberpb__TaskDescription *m)
{
    pb_node(m, 1)->sort->keys[2]->column = 12;
}
static void edit_missing_schema(Emberpb__TaskDescription *m)
{
    Emberpb__PlanNode *n = pb_node(m, 2);
    emberpb__schema__free_unpacked(n->schema, NULL);
    n->schema = NULL;
}
static void edit_body(Emberpb__TaskDescription *m)
{
    /* A SORT whose body says LIMIT. */
    pb_node(m, 1)->kind = EMBERPB__POP_KIND__POP_LIMIT;
}
static void edit_partition(Emberpb__TaskDescription *m)
{
    m->partition = 10;
}
static void edit_table(Emberpb__TaskDescription *m)
{
    Emberpb__PlanNode *scan = pb_node(m, 4)->children[1];
    scan->scan->table_name.data[0] = 'u';
}
static void edit_split(Emberpb__TaskDescription *m)
{
    pb_node(m, 4)->children[0]->scan->desc->splits[2]->file = 2;
}
static void edit_values_width(Emberpb__TaskDescription *m)
{
    shrink(&pb_node(m, 4)->children[2]->values->rows[1]->n_values, 2);
}
static void edit_out_keys(Emberpb__TaskDescription *m)
{
    m->stage->out_keys[0] = 12;
}
static void edit_stage_id(Emberpb__TaskDescription *m)
{
    m->stage_id = 5;
}
static void edit_func(Emberpb__TaskDescription *m)
{
    /* lower(BIGINT) has no overload. */
    pb_node(m, 2)->project->exprs[1]->func_arg_types[0]->id = EMBERPB__TYPE_ID__TYPE_BIGINT;
}
static void edit_exchange_kind(Emberpb__TaskDescription *m)
{
    m->stage->out_kind = (Emberpb__ExchangeKind)5;
}
static void edit_value_case(Emberpb__TaskDescription *m)
{
    /* A BIGINT constant carrying a string. */
    Emberpb__Value *v = pb_node(m, 4)->children[2]->values->rows[1]->values[0]->value;
    v->v_case = EMBERPB__VALUE__V_I32;
}

static void test_rejected(void **state)
{
    fixture *f = *state;
    expect_rejected(f, edit_version, EM_EINVAL, "protocol version 2");
    expect_rejected(f, edit_kind, EM_EINVAL, "unknown plan node kind 42");
    expect_rejected(f, edit_no_children, EM_EINVAL, "FILTER node with 0 children");
    expect_rejected(f, edit_expr_kind, EM_EINVAL, "unknown expression kind 99");
    expect_rejected(f, edit_type, EM_EINVAL, "unknown type id 77");
    expect_rejected(f, edit_column, EM_EINVAL, "column 3 out of range (input has 3 columns)");
    expect_rejected(f, edit_sort_key, EM_EINVAL, "sort key column 12 out of range");
    expect_rejected(f, edit_missing_schema, EM_EINVAL, "missing schema");
    expect_rejected(f, edit_body, EM_EINVAL, "without its");
    expect_rejected(f, edit_partition, EM_EINVAL, "partition 10 of a stage with 10 tasks");
    expect_rejected(f, edit_table, EM_ENOENT, "table 'u' not found");
    expect_rejected(f, edit_split, EM_EINVAL, "split of file 2");
    expect_rejected(f, edit_values_width, EM_EINVAL, "VALUES row of 2 values for 3 columns");
    expect_rejected(f, edit_out_keys, EM_EINVAL, "output key column 12 out of range");
    expect_rejected(f, edit_stage_id, EM_EINVAL, "stage id 5 does not match");
    expect_rejected(f, edit_exchange_kind, EM_EINVAL, "unknown exchange kind 5");
    expect_rejected(f, edit_value_case, EM_EINVAL, "value does not match its type");
}

/* The window stage: WINDOW > HASH_JOIN > [read, read]; the join stage:
 * EXCHANGE > INNER > [NAAJ > [FULL > [read, read], read], read]. */
static Emberpb__HashJoinNode *pb_join(Emberpb__TaskDescription *m)
{
    return m->stage->root->children[0]->join;
}
static Emberpb__WindowCall *pb_call(Emberpb__TaskDescription *m, int i)
{
    return m->stage->root->window->calls[i];
}
static void edit_join_left_key(Emberpb__TaskDescription *m)
{
    pb_join(m)->left_keys[0] = 3;
}
static void edit_join_right_key(Emberpb__TaskDescription *m)
{
    pb_join(m)->right_keys[0] = -1;
}
static void edit_join_kind(Emberpb__TaskDescription *m)
{
    pb_join(m)->kind = (Emberpb__JoinKind)42;
}
static void edit_join_children(Emberpb__TaskDescription *m)
{
    shrink(&m->stage->root->children[0]->n_children, 1);
}
static void edit_join_key_count(Emberpb__TaskDescription *m)
{
    shrink(&pb_join(m)->n_right_keys, 0);
}
static void edit_join_types(Emberpb__TaskDescription *m)
{
    pb_join(m)->left_types[1]->id = EMBERPB__TYPE_ID__TYPE_DATE;
}
static void edit_join_type_count(Emberpb__TaskDescription *m)
{
    shrink(&pb_join(m)->n_right_types, 2);
}
static void edit_join_key_types(Emberpb__TaskDescription *m)
{
    pb_join(m)->right_keys[0] = 2; /* BIGINT = VARCHAR */
}
static void edit_join_semi_left(Emberpb__TaskDescription *m)
{
    pb_join(m)->kind = EMBERPB__JOIN_KIND__JOIN_ANTI_NULL_AWARE;
    pb_join(m)->build_right = false;
}
static void edit_join_residual(Emberpb__TaskDescription *m)
{
    pb_join(m)->residual->args[1]->column = 6;
}
static void edit_join_width(Emberpb__TaskDescription *m)
{
    /* A SEMI join outputs the left columns only: six are too many. */
    pb_join(m)->kind = EMBERPB__JOIN_KIND__JOIN_SEMI;
}
static void edit_naaj_keys(Emberpb__TaskDescription *m)
{
    /* The FULL join under the NOT IN has two keys. */
    Emberpb__HashJoinNode *full = m->stage->root->children[0]->children[0]->children[0]->join;
    full->kind = EMBERPB__JOIN_KIND__JOIN_ANTI_NULL_AWARE;
    full->build_right = true;
}
static void edit_window_partition(Emberpb__TaskDescription *m)
{
    m->stage->root->window->partition_cols[1] = 6;
}
static void edit_window_order(Emberpb__TaskDescription *m)
{
    m->stage->root->window->order[0]->column = 9;
}
static void edit_window_kind(Emberpb__TaskDescription *m)
{
    pb_call(m, 0)->kind = (Emberpb__WindowKind)99;
}
static void edit_window_agg(Emberpb__TaskDescription *m)
{
    pb_call(m, 2)->agg = (Emberpb__AggKind)17;
}
static void edit_window_bound(Emberpb__TaskDescription *m)
{
    pb_call(m, 2)->frame->end = (Emberpb__FrameBound)9;
}
static void edit_window_no_offset(Emberpb__TaskDescription *m)
{
    Emberpb__WindowFrame *f = pb_call(m, 2)->frame;
    emberpb__value__free_unpacked(f->start_offset, NULL);
    f->start_offset = NULL;
}
static void edit_window_extra_offset(Emberpb__TaskDescription *m)
{
    /* CURRENT ROW carries no offset. */
    pb_call(m, 4)->frame->end = EMBERPB__FRAME_BOUND__BOUND_CURRENT_ROW;
    pb_call(m, 2)->frame->end = EMBERPB__FRAME_BOUND__BOUND_CURRENT_ROW;
}
static void edit_window_null_offset(Emberpb__TaskDescription *m)
{
    Emberpb__Value *v = pb_call(m, 2)->frame->start_offset;
    v->is_null = true;
    v->v_case = EMBERPB__VALUE__V__NOT_SET;
}
static void edit_window_ntile(Emberpb__TaskDescription *m)
{
    pb_call(m, 5)->offset = 0;
}
static void edit_window_no_arg(Emberpb__TaskDescription *m)
{
    Emberpb__WindowCall *c = pb_call(m, 1);
    emberpb__expr__free_unpacked(c->arg, NULL);
    c->arg = NULL;
}
static void edit_window_count_star_arg(Emberpb__TaskDescription *m)
{
    pb_call(m, 3)->agg = EMBERPB__AGG_KIND__AGG_COUNT_STAR;
}
static void edit_window_deflt(Emberpb__TaskDescription *m)
{
    /* A default value on first_value-like functions is meaningless. */
    Emberpb__WindowCall *lag = pb_call(m, 1), *nth = pb_call(m, 6);
    nth->deflt = lag->deflt;
    lag->deflt = NULL;
}
static void edit_window_no_frame(Emberpb__TaskDescription *m)
{
    Emberpb__WindowCall *c = pb_call(m, 0);
    emberpb__window_frame__free_unpacked(c->frame, NULL);
    c->frame = NULL;
}
static void edit_window_arg_column(Emberpb__TaskDescription *m)
{
    pb_call(m, 2)->arg->column = 6;
}
static void edit_window_width(Emberpb__TaskDescription *m)
{
    shrink(&m->stage->root->window->n_calls, 8);
}

static void test_rejected_join_window(void **state)
{
    fixture *f = *state;
    const em_stage *w = &f->wstage, *j = &f->jstage;
    expect_rejected_in(f, w, edit_join_left_key, EM_EINVAL,
                       "left join key column 3 out of range (input has 3 columns)");
    expect_rejected_in(f, w, edit_join_right_key, EM_EINVAL,
                       "right join key column -1 out of range");
    expect_rejected_in(f, w, edit_join_kind, EM_EINVAL, "unknown join kind 42");
    expect_rejected_in(f, w, edit_join_children, EM_EINVAL, "HASH_JOIN node with 1 children");
    expect_rejected_in(f, w, edit_join_key_count, EM_EINVAL,
                       "join with 1 left keys and 0 right keys");
    expect_rejected_in(f, w, edit_join_types, EM_EINVAL,
                       "join left type 1 does not match its input");
    expect_rejected_in(f, w, edit_join_type_count, EM_EINVAL,
                       "join with 2 right types for an input of 3 columns");
    expect_rejected_in(f, w, edit_join_key_types, EM_EINVAL,
                       "join key 0 compares columns of different types");
    expect_rejected_in(f, w, edit_join_semi_left, EM_EINVAL, "builds the left side");
    expect_rejected_in(f, w, edit_join_residual, EM_EINVAL,
                       "column 6 out of range (input has 6 columns)");
    expect_rejected_in(f, w, edit_join_width, EM_EINVAL,
                       "HASH_JOIN node with 6 columns over inputs of 3 and 3");
    expect_rejected_in(f, j, edit_naaj_keys, EM_EINVAL, "null-aware anti join with 2 keys");
    expect_rejected_in(f, w, edit_window_partition, EM_EINVAL,
                       "window partition column 6 out of range (input has 6 columns)");
    expect_rejected_in(f, w, edit_window_order, EM_EINVAL, "sort key column 9 out of range");
    expect_rejected_in(f, w, edit_window_kind, EM_EINVAL, "unknown window function kind 99");
    expect_rejected_in(f, w, edit_window_agg, EM_EINVAL, "unknown aggregate kind 17");
    expect_rejected_in(f, w, edit_window_bound, EM_EINVAL, "unknown window frame bounds 1, 9");
    expect_rejected_in(f, w, edit_window_no_offset, EM_EINVAL,
                       "window frame start without an offset");
    expect_rejected_in(f, w, edit_window_extra_offset, EM_EINVAL,
                       "window frame end with an offset");
    expect_rejected_in(f, w, edit_window_null_offset, EM_EINVAL,
                       "window frame start with a NULL offset");
    expect_rejected_in(f, w, edit_window_ntile, EM_EINVAL, "with offset 0");
    expect_rejected_in(f, w, edit_window_no_arg, EM_EINVAL, "without an argument");
    expect_rejected_in(f, w, edit_window_count_star_arg, EM_EINVAL,
                       "window aggregate count(*) with an argument");
    expect_rejected_in(f, w, edit_window_deflt, EM_EINVAL, "with a default value");
    expect_rejected_in(f, w, edit_window_no_frame, EM_EINVAL, "window function without a frame");
    expect_rejected_in(f, w, edit_window_arg_column, EM_EINVAL,
                       "column 6 out of range (input has 6 columns)");
    expect_rejected_in(f, w, edit_window_width, EM_EINVAL,
                       "WINDOW node with 15 columns over an input of 6 and 8 functions");
}

/* Bad join and window nodes are refused on the way out, too. */
static void test_serialize_join_errors(void **state)
{
    fixture *f = *state;
    em_pop *w = f->wstage.root, *j = w->children[0];
    uint8_t *buf;
    size_t len;
    em_error err;
    em_task_desc t = {f->wstage.id, 0, 0, &f->wstage};

    em_join_kind kind = j->u.join.spec.kind;
    j->u.join.spec.kind = (em_join_kind)77;
    assert_int_equal(em_task_desc_serialize(&t, &buf, &len, &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "invalid join kind 77"));
    j->u.join.spec.kind = kind;

    const em_type *types = j->u.join.spec.left_types;
    j->u.join.spec.left_types = NULL;
    assert_int_equal(em_task_desc_serialize(&t, &buf, &len, &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "missing type list"));
    j->u.join.spec.left_types = types;

    em_window_call *c = &w->u.window.calls[2];
    em_value off = c->frame.start_offset;
    memset(&c->frame.start_offset, 0, sizeof(off)); /* PRECEDING without an offset */
    assert_int_equal(em_task_desc_serialize(&t, &buf, &len, &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "non-NULL value of type NULL"));
    c->frame.start_offset = off;

    em_frame_bound end = c->frame.end;
    c->frame.end = (em_frame_bound)12;
    assert_int_equal(em_task_desc_serialize(&t, &buf, &len, &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "invalid frame bounds"));
    c->frame.end = end;

    assert_int_equal(em_task_desc_serialize(&t, &buf, &len, &err), 0);
    em_free(buf);
}

static void test_unknown_function(void **state)
{
    fixture *f = *state;
    uint8_t *buf;
    size_t len;
    serialize_task(&f->stage, 1, 0, &buf, &len);
    Emberpb__TaskDescription *m = emberpb__task_description__unpack(NULL, len, buf);
    edit_func(m);
    size_t n = emberpb__task_description__get_packed_size(m);
    uint8_t *out = em_malloc(n);
    emberpb__task_description__pack(m, out);
    emberpb__task_description__free_unpacked(m, NULL);
    em_arena *a = em_arena_create(4096);
    em_task_desc t;
    em_stage *s;
    em_error err;
    int rc = em_task_desc_deserialize(out, n, a, lookup, &f->lookup, &t, &s, &err);
    assert_true(rc < 0);
    assert_non_null(strstr(err.message, "lower"));
    em_free(out);
    em_free(buf);
    em_arena_destroy(a);
}

/* A missing table after a file scan was rebuilt: the description must not leak
 * (ASan checks), and the error names the table. */
static void test_missing_table(void **state)
{
    fixture *f = *state;
    uint8_t *buf;
    size_t len;
    serialize_task(&f->stage, 1, 0, &buf, &len);
    em_table other = {.name = "other"};
    lookup_ctx l = {&other, 0};
    em_arena *a = em_arena_create(4096);
    em_task_desc t;
    em_stage *s = NULL;
    em_error err;
    assert_int_equal(em_task_desc_deserialize(buf, len, a, lookup, &l, &t, &s, &err), EM_ENOENT);
    assert_string_equal(err.message, "table 't' not found");
    assert_int_equal(em_task_desc_deserialize(buf, len, a, NULL, NULL, &t, &s, &err), EM_ENOENT);
    em_free(buf);
    em_arena_destroy(a);
}

/* ---- nesting limits ---------------------------------------------------- */

static void test_deep_nesting(void **state)
{
    em_arena *a = em_arena_create(1 << 16);
    em_error err;
    uint8_t *buf;
    size_t len;

    /* Just under the limit is fine (each NOT is one level, its type one more). */
    em_expr *e = col(a, 0, EM_TYPE_BOOLEAN);
    for (int i = 0; i < 990; i++) e = node(a, EM_EXPR_NOT, EM_TYPE_BOOLEAN, 1, e);
    assert_int_equal(em_expr_serialize(e, &buf, &len, &err), 0);
    em_expr *back;
    assert_int_equal(em_expr_deserialize(buf, len, a, 1, &back, &err), 0);
    em_free(buf);

    /* Deeper is refused on the way out ... */
    for (int i = 0; i < 20; i++) e = node(a, EM_EXPR_NOT, EM_TYPE_BOOLEAN, 1, e);
    assert_int_equal(em_expr_serialize(e, &buf, &len, &err), EM_EUNSUPPORTED);

    /* ... and a crafted message nested 100000 deep is refused without
     * recursing into it (args is field 7 of Expr). inner[i] is the length of
     * the message inside level i, counted from the innermost. */
    enum { DEPTH = 100000 };
    size_t *inner = em_malloc(DEPTH * sizeof(size_t));
    inner[0] = 0;
    for (int i = 1; i < DEPTH; i++) {
        size_t l = inner[i - 1], vs = 1;
        while (l >= ((size_t)1 << (7 * vs))) vs++;
        inner[i] = 1 + vs + l;
    }
    size_t cap = inner[DEPTH - 1] + 16, n = 0;
    uint8_t *wire = em_malloc(cap);
    for (int i = DEPTH - 1; i >= 0; i--) {
        wire[n++] = (7 << 3) | 2;
        size_t v = inner[i];
        do {
            wire[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
            v >>= 7;
        } while (v > 0);
    }
    assert_true(n <= cap);
    int rc = em_expr_deserialize(wire, n, a, 1, &back, &err);
    assert_int_equal(rc, EM_EINVAL);
    assert_non_null(strstr(err.message, "malformed expression"));
    em_free(wire);
    em_free(inner);
    em_arena_destroy(a);
    (void)state;
}

static void test_serialize_errors(void **state)
{
    fixture *f = *state;
    uint8_t *buf;
    size_t len;
    em_error err;
    em_task_desc t = {3, 0, 0, &f->stage}; /* stage_id does not match */
    assert_int_equal(em_task_desc_serialize(&t, &buf, &len, &err), EM_EINVAL);
    t.stage = NULL;
    assert_int_equal(em_task_desc_serialize(&t, &buf, &len, &err), EM_EINVAL);

    em_expr *c = em_expr_new(f->a, EM_EXPR_CALL, T(EM_TYPE_BIGINT), 0);
    assert_int_equal(em_expr_serialize(c, &buf, &len, &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "cannot serialize expression"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_task_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dag_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expr_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_round_trip, setup, teardown),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected_join_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serialize_join_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_function, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_table, setup, teardown),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test_setup_teardown(test_serialize_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_plan_serde.c — task descriptions and stage fragments through bytes and back.
 *
 * Stages are built by hand so that every physical operator and every kind of
 * bound expression appears. Each one is serialized, rebuilt and serialized
 * again: the two byte strings must be identical, and the rebuilt tree must
 * carry the same kinds, types, values, columns and scan descriptions. Garbage,
 * truncated, mutated and hand-corrupted messages must fail cleanly.
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
    g[0] = (em_agg_call){EM_AGG_COUNT_STAR, NULL, false, NULL, T(EM_TYPE_BIGINT)};
    g[1] = (em_agg_call){
        EM_AGG_COUNT, col(a, 1, EM_TYPE_BIGINT), true,
        call(a, ">", 2, col(a, 0, EM_TYPE_BIGINT), em_expr_const(a, em_value_bigint(5))),
        T(EM_TYPE_BIGINT)};
    g[2] = (em_agg_call){EM_AGG_SUM, col(a, 0, EM_TYPE_BIGINT), false, NULL, T(EM_TYPE_BIGINT)};
    g[3] = (em_agg_call){EM_AGG_AVG, col(a, 1, EM_TYPE_BIGINT), false, NULL, T(EM_TYPE_DOUBLE)};
    g[4] = (em_agg_call){EM_AGG_MIN, col(a, 2, EM_TYPE_VARCHAR), false, NULL, T(EM_TYPE_VARCHAR)};
    g[5] = (em_agg_call){EM_AGG_MAX, col(a, 0, EM_TYPE_BIGINT), false, NULL, T(EM_TYPE_BIGINT)};
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

static int setup(void **state)
{
    fixture *f = em_calloc(1, sizeof(*f));
    f->a = em_arena_create(1 << 16);
    f->desc = make_desc();
    f->table.name = "t";
    f->lookup.table = &f->table;
    make_stage(f);
    make_dag(f);
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
    case EM_POP_HASH_JOIN:
    case EM_POP_WINDOW:
        fail_msg("no serialization of %s yet", em_pop_kind_name(a->kind));
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
    case EM_POP_EXCHANGE:
        assert_int_equal(a->u.exchange.kind, b->u.exchange.kind);
        assert_int_equal(a->u.exchange.nkeys, b->u.exchange.nkeys);
        assert_ints(a->u.exchange.nkeys, a->u.exchange.keys, b->u.exchange.keys);
        assert_int_equal(a->u.exchange.nmerge, b->u.exchange.nmerge);
        assert_sort_keys(a->u.exchange.nmerge, a->u.exchange.merge_keys, b->u.exchange.merge_keys);
        assert_int_equal(a->u.exchange.shuffle_id, b->u.exchange.shuffle_id);
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

static void test_truncated(void **state)
{
    fixture *f = *state;
    uint8_t *buf;
    size_t len;
    serialize_task(&f->stage, 1, 0, &buf, &len);
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

/* Random byte changes in a valid message: any outcome but a crash or a leak. */
static void test_mutated(void **state)
{
    fixture *f = *state;
    uint8_t *buf;
    size_t len;
    serialize_task(&f->stage, 1, 0, &buf, &len);
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

static void expect_rejected(fixture *f, edit_fn edit, int code, const char *needle)
{
    uint8_t *buf;
    size_t len;
    serialize_task(&f->stage, 1, 0, &buf, &len);
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
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_function, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_table, setup, teardown),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test_setup_teardown(test_serialize_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_join.c — the hash join operator: every join kind with duplicate and
 * NULL keys on both sides, multi-column and string keys, empty build and
 * probe sides, building either side (same answers), residual predicates,
 * cross joins, NOT IN's NULL rules, outputs far larger than a batch, early
 * stop and bad specs; and, on random data, every combination checked against
 * a naive nested-loop reference. With EMBER_JOIN_BENCH=1 it also measures the
 * probe throughput of a 10M-row probe against a 1M-row build.
 */
#include <math.h>
#include <time.h>

#include "exec_test_util.h"

static em_task_ctx g_ctx;
static em_arena *g_arena;

static int setup(void **state)
{
    g_arena = em_arena_create(1 << 16);
    return 0;
}

static int teardown(void **state)
{
    em_arena_destroy(g_arena);
    return 0;
}

static em_type T(em_type_id id)
{
    return em_type_make(id);
}

/* A resolved binary function call over two expressions (as the binder builds it). */
static em_expr *call2(const char *name, em_expr *a, em_expr *b)
{
    em_type types[2] = {a->type, b->type}, cast_to[2], ret;
    const em_func *f = NULL;
    em_error err = {0};
    if (em_func_resolve(name, 2, types, &f, cast_to, &ret, &err) != 0)
        fail_msg("resolve %s: %s", name, err.message);
    em_expr *e = em_expr_new(g_arena, EM_EXPR_CALL, ret, 2);
    e->func = f;
    e->args[0] = em_expr_cast(g_arena, a, cast_to[0]);
    e->args[1] = em_expr_cast(g_arena, b, cast_to[1]);
    return e;
}

static em_expr *col(int c, em_type_id t)
{
    return em_expr_column(g_arena, c, T(t));
}

/* ---- running a join ------------------------------------------------------ */

typedef struct side {
    em_batch_list batches;
    int ncols;
    em_type types[8];
} side;

static void side_init(side *s, int ncols, const em_type *types)
{
    em_batch_list_init(&s->batches);
    s->ncols = ncols;
    memcpy(s->types, types, sizeof(em_type) * (size_t)ncols);
}

static em_join_spec make_spec(em_join_kind kind, bool build_right, int nkeys, const int *lk,
                              const int *rk, const em_expr *residual, const side *l, const side *r)
{
    em_join_spec s = {kind,     build_right, nkeys,    lk,       rk,
                      residual, l->ncols,    l->types, r->ncols, r->types};
    return s;
}

/* Join with the spec's build side built; output collected into *out. */
static int run_join(const em_join_spec *spec, const side *l, const side *r, em_batch_list *out,
                    em_error *err)
{
    const side *build = spec->build_right ? r : l, *probe = spec->build_right ? l : r;
    em_batch_list_init(out);
    em_source *bsrc = em_source_list_create(&build->batches, 0, build->batches.count);
    em_op *op = em_op_hash_join_create(&g_ctx, spec, bsrc);
    op->next = em_op_collect_create(&g_ctx, out);
    return tp_run(&probe->batches, op, err);
}

/* The answer as sorted row strings, also checking every batch is bounded. */
static trows sorted_rows(const em_batch_list *l, int ncols)
{
    for (int64_t b = 0; b < l->count; b++) {
        assert_true(l->items[b]->nrows <= EM_BATCH_ROWS);
        assert_int_equal(l->items[b]->ncols, ncols);
    }
    trows r = tr_collect(l);
    tr_sort(&r);
    return r;
}

/* Run with the build on the right and, when the kind allows, on the left too;
 * both must give `expected` (unordered). */
static void expect_join(em_join_kind kind, int nkeys, const int *lk, const int *rk,
                        const em_expr *residual, const side *l, const side *r,
                        const char *const *expected)
{
    bool semi = kind == EM_JOIN_KIND_SEMI || kind == EM_JOIN_KIND_ANTI ||
                kind == EM_JOIN_KIND_ANTI_NULL_AWARE;
    for (int pass = 0; pass < (semi ? 1 : 2); pass++) {
        em_join_spec spec = make_spec(kind, pass == 0, nkeys, lk, rk, residual, l, r);
        em_batch_list out;
        em_error err = {0};
        int rc = run_join(&spec, l, r, &out, &err);
        if (rc != 0) fail_msg("join: %s", err.message);
        for (int64_t b = 0; b < out.count; b++)
            assert_int_equal(out.items[b]->ncols, semi ? l->ncols : l->ncols + r->ncols);
        tr_expect_unordered(&out, expected);
        em_batch_list_release(&out);
    }
}

static void side_release(side *s)
{
    em_batch_list_release(&s->batches);
}

/* ---- a small fixed example ---------------------------------------------- */

/* L(k, a): (1,'a') (1,'b') (2,'c') (NULL,'d') (3,'e')   — in two batches
 * R(k, b): (1,10) (2,20) (2,21) (NULL,30) (4,40) (1,11) — in two batches */
static void small_sides(side *l, side *r)
{
    em_type lt[] = {T(EM_TYPE_BIGINT), T(EM_TYPE_VARCHAR)};
    em_type rt[] = {T(EM_TYPE_BIGINT), T(EM_TYPE_BIGINT)};
    side_init(l, 2, lt);
    side_init(r, 2, rt);
    int64_t lk1[] = {1, 1, 2}, lk2[] = {TNULL, 3};
    const char *la1[] = {"a", "b", "c"}, *la2[] = {"d", "e"};
    em_batch_list_push(&l->batches, tb_make(2, tv_i64(3, lk1), tv_str(3, la1)));
    em_batch_list_push(&l->batches, tb_make(2, tv_i64(2, lk2), tv_str(2, la2)));
    int64_t rk1[] = {1, 2, 2, TNULL}, rb1[] = {10, 20, 21, 30};
    int64_t rk2[] = {4, 1}, rb2[] = {40, 11};
    em_batch_list_push(&r->batches, tb_make(2, tv_i64(4, rk1), tv_i64(4, rb1)));
    em_batch_list_push(&r->batches, tb_make(2, tv_i64(2, rk2), tv_i64(2, rb2)));
}

static const int K0[] = {0};

static void test_kinds_small(void **state)
{
    side l, r;
    small_sides(&l, &r);
    const char *inner[] = {"1|'a'|1|10", "1|'a'|1|11", "1|'b'|1|10", "1|'b'|1|11",
                           "2|'c'|2|20", "2|'c'|2|21", NULL};
    expect_join(EM_JOIN_KIND_INNER, 1, K0, K0, NULL, &l, &r, inner);
    const char *left[] = {"1|'a'|1|10",         "1|'a'|1|11",      "1|'b'|1|10",
                          "1|'b'|1|11",         "2|'c'|2|20",      "2|'c'|2|21",
                          "NULL|'d'|NULL|NULL", "3|'e'|NULL|NULL", NULL};
    expect_join(EM_JOIN_KIND_LEFT, 1, K0, K0, NULL, &l, &r, left);
    const char *right[] = {"1|'a'|1|10",        "1|'a'|1|11",     "1|'b'|1|10",
                           "1|'b'|1|11",        "2|'c'|2|20",     "2|'c'|2|21",
                           "NULL|NULL|NULL|30", "NULL|NULL|4|40", NULL};
    expect_join(EM_JOIN_KIND_RIGHT, 1, K0, K0, NULL, &l, &r, right);
    const char *full[] = {"1|'a'|1|10",
                          "1|'a'|1|11",
                          "1|'b'|1|10",
                          "1|'b'|1|11",
                          "2|'c'|2|20",
                          "2|'c'|2|21",
                          "NULL|'d'|NULL|NULL",
                          "3|'e'|NULL|NULL",
                          "NULL|NULL|NULL|30",
                          "NULL|NULL|4|40",
                          NULL};
    expect_join(EM_JOIN_KIND_FULL, 1, K0, K0, NULL, &l, &r, full);
    const char *semi[] = {"1|'a'", "1|'b'", "2|'c'", NULL};
    expect_join(EM_JOIN_KIND_SEMI, 1, K0, K0, NULL, &l, &r, semi);
    const char *anti[] = {"NULL|'d'", "3|'e'", NULL};
    expect_join(EM_JOIN_KIND_ANTI, 1, K0, K0, NULL, &l, &r, anti);
    /* NOT IN with a NULL on the build side: nothing. */
    const char *none[] = {NULL};
    expect_join(EM_JOIN_KIND_ANTI_NULL_AWARE, 1, K0, K0, NULL, &l, &r, none);
    side_release(&l);
    side_release(&r);
}

/* Output order within a probe batch follows the probe rows, and a key's
 * matches come in build order. */
static void test_order(void **state)
{
    side l, r;
    small_sides(&l, &r);
    em_join_spec spec = make_spec(EM_JOIN_KIND_LEFT, true, 1, K0, K0, NULL, &l, &r);
    em_batch_list out;
    em_error err = {0};
    assert_int_equal(run_join(&spec, &l, &r, &out, &err), 0);
    const char *want[] = {"1|'a'|1|10",         "1|'a'|1|11",      "1|'b'|1|10",
                          "1|'b'|1|11",         "2|'c'|2|20",      "2|'c'|2|21",
                          "NULL|'d'|NULL|NULL", "3|'e'|NULL|NULL", NULL};
    tr_expect(&out, want);
    em_batch_list_release(&out);
    side_release(&l);
    side_release(&r);
}

/* Two keys (BIGINT, VARCHAR): all must be equal, a NULL in either never matches. */
static void test_multi_key(void **state)
{
    em_type lt[] = {T(EM_TYPE_BIGINT), T(EM_TYPE_VARCHAR), T(EM_TYPE_INTEGER)};
    em_type rt[] = {T(EM_TYPE_VARCHAR), T(EM_TYPE_BIGINT), T(EM_TYPE_INTEGER)};
    side l, r;
    side_init(&l, 3, lt);
    side_init(&r, 3, rt);
    int64_t lk[] = {1, 1, 2, 2, TNULL, 1}, lv[] = {1, 2, 3, 4, 5, 6};
    const char *ls[] = {"x", "y", "x", NULL, "x", "x"};
    em_batch_list_push(&l.batches, tb_make(3, tv_i64(6, lk), tv_str(6, ls), tv_i32(6, lv)));
    int64_t rk[] = {1, 1, 2, 2, TNULL, 1}, rv[] = {10, 20, 30, 40, 50, 60};
    const char *rs[] = {"x", "x", "y", NULL, "x", "y"};
    em_batch_list_push(&r.batches, tb_make(3, tv_str(6, rs), tv_i64(6, rk), tv_i32(6, rv)));
    const int lkeys[] = {0, 1}, rkeys[] = {1, 0};
    const char *inner[] = {"1|'x'|1|'x'|1|10", "1|'x'|1|'x'|1|20", "1|'y'|2|'y'|1|60",
                           "1|'x'|6|'x'|1|10", "1|'x'|6|'x'|1|20", NULL};
    expect_join(EM_JOIN_KIND_INNER, 2, lkeys, rkeys, NULL, &l, &r, inner);
    const char *anti[] = {"2|'x'|3", "2|NULL|4", "NULL|'x'|5", NULL};
    expect_join(EM_JOIN_KIND_ANTI, 2, lkeys, rkeys, NULL, &l, &r, anti);
    const char *full[] = {
        "1|'x'|1|'x'|1|10",         "1|'x'|1|'x'|1|20",           "1|'y'|2|'y'|1|60",
        "1|'x'|6|'x'|1|10",         "1|'x'|6|'x'|1|20",           "2|'x'|3|NULL|NULL|NULL",
        "2|NULL|4|NULL|NULL|NULL",  "NULL|'x'|5|NULL|NULL|NULL",  "NULL|NULL|NULL|'y'|2|30",
        "NULL|NULL|NULL|NULL|2|40", "NULL|NULL|NULL|'x'|NULL|50", NULL};
    expect_join(EM_JOIN_KIND_FULL, 2, lkeys, rkeys, NULL, &l, &r, full);
    side_release(&l);
    side_release(&r);
}

/* INTEGER, DOUBLE (-0 = 0, NaN = NaN) and VARCHAR keys alone. */
static void test_key_types(void **state)
{
    {
        em_type t[] = {T(EM_TYPE_INTEGER)};
        side l, r;
        side_init(&l, 1, t);
        side_init(&r, 1, t);
        int64_t a[] = {-1, 0, 7, TNULL, 7}, b[] = {7, TNULL, -1, 8};
        em_batch_list_push(&l.batches, tb_make(1, tv_i32(5, a)));
        em_batch_list_push(&r.batches, tb_make(1, tv_i32(4, b)));
        const char *want[] = {"-1|-1", "7|7", "7|7", NULL};
        expect_join(EM_JOIN_KIND_INNER, 1, K0, K0, NULL, &l, &r, want);
        side_release(&l);
        side_release(&r);
    }
    {
        em_type t[] = {T(EM_TYPE_DOUBLE)};
        side l, r;
        side_init(&l, 1, t);
        side_init(&r, 1, t);
        double a[] = {-0.0, NAN, 1.5, 2.0}, b[] = {0.0, NAN, 2.0, 1.25};
        bool an[] = {false, false, false, true};
        em_batch_list_push(&l.batches, tb_make(1, tv_f64(4, a, an)));
        em_batch_list_push(&r.batches, tb_make(1, tv_f64(4, b, NULL)));
        const char *want[] = {"-0|0", "nan|nan", NULL};
        expect_join(EM_JOIN_KIND_INNER, 1, K0, K0, NULL, &l, &r, want);
        side_release(&l);
        side_release(&r);
    }
    {
        /* Intervals are equal by span: '1 month' = '30 days'. */
        em_type t[] = {T(EM_TYPE_INTERVAL)};
        side l, r;
        side_init(&l, 1, t);
        side_init(&r, 1, t);
        em_vector *a = em_vector_create(t[0], 3), *b = em_vector_create(t[0], 3);
        em_value iv[] = {em_value_interval((em_interval){1, 0, 0}),
                         em_value_interval((em_interval){0, 1, 0}),
                         em_value_interval((em_interval){0, 0, 5})};
        em_value jv[] = {em_value_interval((em_interval){0, 30, 0}),
                         em_value_interval((em_interval){0, 0, 86400000000LL}),
                         em_value_interval((em_interval){0, 0, 6})};
        for (int i = 0; i < 3; i++) {
            em_vector_append_value(a, &iv[i]);
            em_vector_append_value(b, &jv[i]);
        }
        em_batch_list_push(&l.batches, tb_make(1, a));
        em_batch_list_push(&r.batches, tb_make(1, b));
        em_join_spec spec = make_spec(EM_JOIN_KIND_INNER, true, 1, K0, K0, NULL, &l, &r);
        em_batch_list out;
        em_error err = {0};
        assert_int_equal(run_join(&spec, &l, &r, &out, &err), 0);
        assert_int_equal(out.rows, 2);
        /* The build side's 16-byte values are gathered whole. */
        const em_interval *got = (const em_interval *)out.items[0]->cols[1]->data;
        assert_int_equal(got[0].days, 30);
        assert_true(got[1].micros == 86400000000LL);
        em_batch_list_release(&out);
        side_release(&l);
        side_release(&r);
    }
    {
        em_type t[] = {T(EM_TYPE_VARCHAR)};
        side l, r;
        side_init(&l, 1, t);
        side_init(&r, 1, t);
        const char *a[] = {"", "abc", NULL, "ab"}, *b[] = {"abc", "", NULL, "abcd"};
        em_batch_list_push(&l.batches, tb_make(1, tv_str(4, a)));
        em_batch_list_push(&r.batches, tb_make(1, tv_str(4, b)));
        const char *want[] = {"''|''", "'abc'|'abc'", NULL};
        expect_join(EM_JOIN_KIND_INNER, 1, K0, K0, NULL, &l, &r, want);
        const char *semi[] = {"''", "'abc'", NULL};
        expect_join(EM_JOIN_KIND_SEMI, 1, K0, K0, NULL, &l, &r, semi);
        side_release(&l);
        side_release(&r);
    }
}

/* Empty build side: as batches with no rows and as no batches at all. */
static void test_empty_build(void **state)
{
    for (int variant = 0; variant < 2; variant++) {
        side l, r;
        small_sides(&l, &r);
        em_batch_list_release(&r.batches);
        em_batch_list_init(&r.batches);
        if (variant == 1) {
            int64_t none[] = {0};
            em_batch_list_push(&r.batches, tb_make(2, tv_i64(0, none), tv_i64(0, none)));
        }
        const char *empty[] = {NULL};
        const char *left[] = {"1|'a'|NULL|NULL",    "1|'b'|NULL|NULL", "2|'c'|NULL|NULL",
                              "NULL|'d'|NULL|NULL", "3|'e'|NULL|NULL", NULL};
        const char *probe[] = {"1|'a'", "1|'b'", "2|'c'", "NULL|'d'", "3|'e'", NULL};
        expect_join(EM_JOIN_KIND_INNER, 1, K0, K0, NULL, &l, &r, empty);
        expect_join(EM_JOIN_KIND_RIGHT, 1, K0, K0, NULL, &l, &r, empty);
        expect_join(EM_JOIN_KIND_LEFT, 1, K0, K0, NULL, &l, &r, left);
        expect_join(EM_JOIN_KIND_FULL, 1, K0, K0, NULL, &l, &r, left);
        expect_join(EM_JOIN_KIND_SEMI, 1, K0, K0, NULL, &l, &r, empty);
        expect_join(EM_JOIN_KIND_ANTI, 1, K0, K0, NULL, &l, &r, probe);
        /* NOT IN (empty set) is true even for a NULL left key. */
        expect_join(EM_JOIN_KIND_ANTI_NULL_AWARE, 1, K0, K0, NULL, &l, &r, probe);
        expect_join(EM_JOIN_KIND_INNER, 0, NULL, NULL, NULL, &l, &r, empty);
        expect_join(EM_JOIN_KIND_LEFT, 0, NULL, NULL, NULL, &l, &r, left);
        side_release(&l);
        side_release(&r);
    }
}

/* Empty probe side: the preserved build rows still come out (at finish). */
static void test_empty_probe(void **state)
{
    side l, r;
    small_sides(&l, &r);
    em_batch_list_release(&l.batches);
    em_batch_list_init(&l.batches);
    const char *empty[] = {NULL};
    const char *right[] = {"NULL|NULL|1|10",
                           "NULL|NULL|2|20",
                           "NULL|NULL|2|21",
                           "NULL|NULL|NULL|30",
                           "NULL|NULL|4|40",
                           "NULL|NULL|1|11",
                           NULL};
    expect_join(EM_JOIN_KIND_INNER, 1, K0, K0, NULL, &l, &r, empty);
    expect_join(EM_JOIN_KIND_LEFT, 1, K0, K0, NULL, &l, &r, empty);
    expect_join(EM_JOIN_KIND_RIGHT, 1, K0, K0, NULL, &l, &r, right);
    expect_join(EM_JOIN_KIND_FULL, 1, K0, K0, NULL, &l, &r, right);
    expect_join(EM_JOIN_KIND_SEMI, 1, K0, K0, NULL, &l, &r, empty);
    expect_join(EM_JOIN_KIND_ANTI, 1, K0, K0, NULL, &l, &r, empty);
    expect_join(EM_JOIN_KIND_RIGHT, 0, NULL, NULL, NULL, &l, &r, right);
    side_release(&l);
    side_release(&r);
}

/* Residuals, also for SEMI, ANTI and the outer kinds: L.k = R.k AND R.b > 10. */
static void test_residual(void **state)
{
    side l, r;
    small_sides(&l, &r);
    em_expr *res = call2(">", col(3, EM_TYPE_BIGINT), em_expr_const(g_arena, em_value_bigint(10)));
    const char *inner[] = {"1|'a'|1|11", "1|'b'|1|11", "2|'c'|2|20", "2|'c'|2|21", NULL};
    expect_join(EM_JOIN_KIND_INNER, 1, K0, K0, res, &l, &r, inner);
    const char *left[] = {"1|'a'|1|11",         "1|'b'|1|11",      "2|'c'|2|20", "2|'c'|2|21",
                          "NULL|'d'|NULL|NULL", "3|'e'|NULL|NULL", NULL};
    expect_join(EM_JOIN_KIND_LEFT, 1, K0, K0, res, &l, &r, left);
    const char *right[] = {"1|'a'|1|11",     "1|'b'|1|11",        "2|'c'|2|20",     "2|'c'|2|21",
                           "NULL|NULL|1|10", "NULL|NULL|NULL|30", "NULL|NULL|4|40", NULL};
    expect_join(EM_JOIN_KIND_RIGHT, 1, K0, K0, res, &l, &r, right);

    /* b > 20 leaves key 1 without a match. */
    em_expr *res2 = call2(">", col(3, EM_TYPE_BIGINT), em_expr_const(g_arena, em_value_bigint(20)));
    const char *semi[] = {"2|'c'", NULL};
    expect_join(EM_JOIN_KIND_SEMI, 1, K0, K0, res2, &l, &r, semi);
    const char *anti[] = {"1|'a'", "1|'b'", "NULL|'d'", "3|'e'", NULL};
    expect_join(EM_JOIN_KIND_ANTI, 1, K0, K0, res2, &l, &r, anti);
    /* A residual over both sides: a = 'b' OR b = 20. */
    em_expr *res3 = em_expr_new(g_arena, EM_EXPR_OR, T(EM_TYPE_BOOLEAN), 2);
    res3->args[0] =
        call2("=", col(1, EM_TYPE_VARCHAR), em_expr_const(g_arena, em_value_varchar("b", 1)));
    res3->args[1] = call2("=", col(3, EM_TYPE_BIGINT), em_expr_const(g_arena, em_value_bigint(20)));
    const char *full[] = {"1|'b'|1|10",         "1|'b'|1|11",
                          "2|'c'|2|20",         "1|'a'|NULL|NULL",
                          "NULL|'d'|NULL|NULL", "3|'e'|NULL|NULL",
                          "NULL|NULL|2|21",     "NULL|NULL|NULL|30",
                          "NULL|NULL|4|40",     NULL};
    expect_join(EM_JOIN_KIND_FULL, 1, K0, K0, res3, &l, &r, full);
    side_release(&l);
    side_release(&r);
}

/* No keys: every pair, with and without a residual. */
static void test_cross(void **state)
{
    side l, r;
    small_sides(&l, &r);
    em_join_spec spec = make_spec(EM_JOIN_KIND_INNER, true, 0, NULL, NULL, NULL, &l, &r);
    em_batch_list out;
    em_error err = {0};
    assert_int_equal(run_join(&spec, &l, &r, &out, &err), 0);
    assert_int_equal(out.rows, 30);
    em_batch_list_release(&out);
    /* L.k < R.k */
    em_expr *lt = call2("<", col(0, EM_TYPE_BIGINT), col(2, EM_TYPE_BIGINT));
    const char *inner[] = {"1|'a'|2|20", "1|'a'|2|21", "1|'a'|4|40", "1|'b'|2|20", "1|'b'|2|21",
                           "1|'b'|4|40", "2|'c'|4|40", "3|'e'|4|40", NULL};
    expect_join(EM_JOIN_KIND_INNER, 0, NULL, NULL, lt, &l, &r, inner);
    const char *semi[] = {"1|'a'", "1|'b'", "2|'c'", "3|'e'", NULL};
    expect_join(EM_JOIN_KIND_SEMI, 0, NULL, NULL, lt, &l, &r, semi);
    const char *anti[] = {"NULL|'d'", NULL};
    expect_join(EM_JOIN_KIND_ANTI, 0, NULL, NULL, lt, &l, &r, anti);
    const char *left[] = {"1|'a'|2|20",         "1|'a'|2|21", "1|'a'|4|40", "1|'b'|2|20",
                          "1|'b'|2|21",         "1|'b'|4|40", "2|'c'|4|40", "3|'e'|4|40",
                          "NULL|'d'|NULL|NULL", NULL};
    expect_join(EM_JOIN_KIND_LEFT, 0, NULL, NULL, lt, &l, &r, left);
    side_release(&l);
    side_release(&r);
}

/* NOT IN: a NULL on the build side excludes everything, a NULL probe key is
 * excluded by a non-empty build side, and an empty build keeps every row. */
static void test_anti_null_aware(void **state)
{
    em_type t[] = {T(EM_TYPE_BIGINT)};
    side l, r;
    side_init(&l, 1, t);
    side_init(&r, 1, t);
    int64_t a[] = {1, 2, TNULL, 3};
    em_batch_list_push(&l.batches, tb_make(1, tv_i64(4, a)));
    int64_t b[] = {2, 5};
    em_batch_list_push(&r.batches, tb_make(1, tv_i64(2, b)));
    const char *no_null[] = {"1", "3", NULL};
    expect_join(EM_JOIN_KIND_ANTI_NULL_AWARE, 1, K0, K0, NULL, &l, &r, no_null);
    /* Plain ANTI keeps the NULL row. */
    const char *anti[] = {"1", "3", "NULL", NULL};
    expect_join(EM_JOIN_KIND_ANTI, 1, K0, K0, NULL, &l, &r, anti);

    int64_t c[] = {TNULL};
    em_batch_list_push(&r.batches, tb_make(1, tv_i64(1, c)));
    const char *none[] = {NULL};
    expect_join(EM_JOIN_KIND_ANTI_NULL_AWARE, 1, K0, K0, NULL, &l, &r, none);

    /* With a residual (a correlated NOT IN), only the build rows passing it
     * count: here L.k > 2 passes for no build row with L.k = 1 or 2... */
    em_expr *res = call2(">", col(0, EM_TYPE_BIGINT), em_expr_const(g_arena, em_value_bigint(2)));
    /* For k = 1, 2 and NULL the residual fails every pair: the set is empty,
     * so they qualify; for k = 3 the NULL build row passes: excluded. */
    const char *corr[] = {"1", "2", "NULL", NULL};
    expect_join(EM_JOIN_KIND_ANTI_NULL_AWARE, 1, K0, K0, res, &l, &r, corr);

    em_batch_list_release(&r.batches);
    em_batch_list_init(&r.batches);
    const char *all[] = {"1", "2", "NULL", "3", NULL};
    expect_join(EM_JOIN_KIND_ANTI_NULL_AWARE, 1, K0, K0, NULL, &l, &r, all);
    expect_join(EM_JOIN_KIND_ANTI_NULL_AWARE, 1, K0, K0, res, &l, &r, all);
    side_release(&l);
    side_release(&r);
}

/* ---- large outputs ------------------------------------------------------- */

/* A sink that counts rows and checks batch sizes without keeping anything. */
typedef struct count_sink {
    em_op base;
    int64_t rows, batches, max_batch;
    int64_t sums[2]; /* of BIGINT columns 1 and 3, when present */
    int finishes;
} count_sink;

static int count_push(em_op *op, em_batch *b, em_error *err)
{
    count_sink *c = (count_sink *)op;
    c->rows += b->nrows;
    c->batches++;
    if (b->nrows > c->max_batch) c->max_batch = b->nrows;
    for (int s = 0; s < 2; s++) {
        int col = 1 + 2 * s;
        if (col >= b->ncols || b->cols[col]->type.id != EM_TYPE_BIGINT) continue;
        const int64_t *d = EM_VEC_I64(b->cols[col]);
        for (int64_t i = 0; i < b->nrows; i++) c->sums[s] += d[i];
    }
    em_batch_destroy(b);
    return 0;
}

static int count_finish(em_op *op, em_error *err)
{
    ((count_sink *)op)->finishes++;
    return 0;
}

static void count_destroy(em_op *op)
{
    EM_UNUSED(op); /* lives on the test's stack */
}

static const em_op_vtable count_vt = {"Count", count_push, count_finish, count_destroy};

/* Batches of n rows of (key, i) with the given key for every row. */
static void const_key_batches(em_batch_list *l, int64_t n, int64_t key)
{
    em_batch_list_init(l);
    for (int64_t off = 0; off < n; off += 1000) {
        int64_t cnt = EM_MIN(1000, n - off);
        em_vector *k = em_vector_create(T(EM_TYPE_BIGINT), cnt);
        em_vector *v = em_vector_create(T(EM_TYPE_BIGINT), cnt);
        for (int64_t i = 0; i < cnt; i++) {
            em_vector_append_i64(k, key);
            em_vector_append_i64(v, off + i);
        }
        em_batch_list_push(l, tb_make(2, k, v));
    }
}

/* One key with 5000 rows on each side: 25M output rows, in bounded batches,
 * counted and summed as they pass (never held). */
static void test_large_output(void **state)
{
    em_type t[] = {T(EM_TYPE_BIGINT), T(EM_TYPE_BIGINT)};
    side l, r;
    side_init(&l, 2, t);
    side_init(&r, 2, t);
    const_key_batches(&l.batches, 5000, 42);
    const_key_batches(&r.batches, 5000, 42);
    {
        em_join_spec spec = make_spec(EM_JOIN_KIND_INNER, true, 1, K0, K0, NULL, &l, &r);
        const side *build = &r, *probe = &l;
        count_sink sink = {.base = {.vt = &count_vt, .ctx = &g_ctx}};
        em_source *bsrc = em_source_list_create(&build->batches, 0, build->batches.count);
        em_op *op = em_op_hash_join_create(&g_ctx, &spec, bsrc);
        op->next = &sink.base;
        em_source *psrc = em_source_list_create(&probe->batches, 0, probe->batches.count);
        em_error err = {0};
        int rc = em_pipeline_run(&g_ctx, psrc, op, &err);
        psrc->destroy(psrc);
        op->vt->destroy(op);
        if (rc != 0) fail_msg("join: %s", err.message);
        assert_true(sink.rows == 25000000);
        assert_true(sink.max_batch <= EM_BATCH_ROWS);
        assert_int_equal(sink.finishes, 1);
        /* Every pair once: each side's values 0..4999 come 5000 times each. */
        assert_true(sink.sums[0] == 5000LL * 12497500LL);
        assert_true(sink.sums[1] == 5000LL * 12497500LL);
    }
    side_release(&l);
    side_release(&r);
}

/* A probe batch larger than EM_BATCH_ROWS, and a LIMIT that stops the join early. */
static void test_big_probe_batch_and_limit(void **state)
{
    em_type t[] = {T(EM_TYPE_BIGINT)};
    side l, r;
    side_init(&l, 1, t);
    side_init(&r, 1, t);
    em_vector *lv = em_vector_create(T(EM_TYPE_BIGINT), 10000);
    for (int i = 0; i < 10000; i++) em_vector_append_i64(lv, i % 100);
    em_batch_list_push(&l.batches, tb_make(1, lv));
    int64_t b[] = {5, 7, 7};
    em_batch_list_push(&r.batches, tb_make(1, tv_i64(3, b)));
    em_join_spec spec = make_spec(EM_JOIN_KIND_INNER, true, 1, K0, K0, NULL, &l, &r);
    em_batch_list out;
    em_error err = {0};
    assert_int_equal(run_join(&spec, &l, &r, &out, &err), 0);
    assert_int_equal(out.rows, 300);
    for (int64_t i = 0; i < out.count; i++) assert_true(out.items[i]->nrows <= EM_BATCH_ROWS);
    em_batch_list_release(&out);

    /* A cross join of 10000 x 3: chunks of EM_BATCH_ROWS pairs end at every
     * position within a probe row's candidates; each pair comes out once. */
    em_join_spec cross = make_spec(EM_JOIN_KIND_INNER, true, 0, NULL, NULL, NULL, &l, &r);
    assert_int_equal(run_join(&cross, &l, &r, &out, &err), 0);
    assert_int_equal(out.rows, 30000);
    /* Pairs come probe row by probe row, each with the build rows in order. */
    static const int64_t bv[3] = {5, 7, 7};
    int64_t pos = 0;
    for (int64_t i = 0; i < out.count; i++) {
        const em_batch *ob = out.items[i];
        assert_true(ob->nrows <= EM_BATCH_ROWS);
        for (int64_t k = 0; k < ob->nrows; k++, pos++) {
            assert_true(EM_VEC_I64(ob->cols[0])[k] == (pos / 3) % 100);
            assert_true(EM_VEC_I64(ob->cols[1])[k] == bv[pos % 3]);
        }
    }
    em_batch_list_release(&out);

    /* LIMIT 3 over the same cross join: the join answers EM_OP_DONE. */
    em_batch_list_init(&out);
    em_source *bsrc = em_source_list_create(&r.batches, 0, r.batches.count);
    em_op *op = em_op_hash_join_create(&g_ctx, &cross, bsrc);
    op->next = em_op_limit_create(&g_ctx, 3, 0);
    op->next->next = em_op_collect_create(&g_ctx, &out);
    em_batch *in = em_batch_ref_copy(l.batches.items[0]);
    assert_int_equal(op->vt->push(op, in, &err), EM_OP_DONE);
    assert_int_equal(op->vt->finish(op, &err), 0);
    em_op_chain_destroy(op);
    assert_int_equal(out.rows, 3);
    em_batch_list_release(&out);
    side_release(&l);
    side_release(&r);
}

/* An INNER join with an empty build side stops its probe source. */
static void test_futile_probe(void **state)
{
    side l, r;
    small_sides(&l, &r);
    em_batch_list_release(&r.batches);
    em_batch_list_init(&r.batches);
    em_join_spec spec = make_spec(EM_JOIN_KIND_INNER, true, 1, K0, K0, NULL, &l, &r);
    em_batch_list out;
    em_batch_list_init(&out);
    em_source *bsrc = em_source_list_create(&r.batches, 0, 0);
    em_op *op = em_op_hash_join_create(&g_ctx, &spec, bsrc);
    op->next = em_op_collect_create(&g_ctx, &out);
    em_error err = {0};
    assert_int_equal(op->vt->push(op, em_batch_ref_copy(l.batches.items[0]), &err), EM_OP_DONE);
    assert_int_equal(op->vt->finish(op, &err), 0);
    em_op_chain_destroy(op);
    assert_int_equal(out.rows, 0);
    em_batch_list_release(&out);
    side_release(&l);
    side_release(&r);
}

/* Bad specs fail at push/finish with an error, not a crash. */
static void test_bad_spec(void **state)
{
    side l, r;
    small_sides(&l, &r);
    const int bad[] = {5};
    em_join_spec specs[] = {
        make_spec(EM_JOIN_KIND_ANTI_NULL_AWARE, false, 1, K0, K0, NULL, &l, &r),
        make_spec(EM_JOIN_KIND_ANTI_NULL_AWARE, true, 0, NULL, NULL, NULL, &l, &r),
        make_spec(EM_JOIN_KIND_INNER, true, 1, bad, K0, NULL, &l, &r),
        make_spec((em_join_kind)99, true, 1, K0, K0, NULL, &l, &r),
    };
    for (size_t i = 0; i < EM_ARRAY_LEN(specs); i++) {
        em_batch_list out;
        em_error err = {0};
        int rc = run_join(&specs[i], &l, &r, &out, &err);
        assert_int_equal(rc, EM_EINTERNAL);
        assert_non_null(strstr(err.message, "hash join"));
        em_batch_list_release(&out);
    }
    /* A probe batch of the wrong width. */
    em_join_spec spec = make_spec(EM_JOIN_KIND_INNER, false, 1, K0, K0, NULL, &l, &r);
    em_batch_list out;
    em_error err = {0};
    side wrong;
    side_init(&wrong, 2, r.types);
    int64_t x[] = {1};
    em_batch_list_push(&wrong.batches, tb_make(1, tv_i64(1, x)));
    assert_int_equal(run_join(&spec, &l, &wrong, &out, &err), EM_EINTERNAL);
    em_batch_list_release(&out);
    side_release(&wrong);
    side_release(&l);
    side_release(&r);
}

/* ---- random data against a nested-loop reference ------------------------ */

/* Rows of (k1 BIGINT, k2 VARCHAR, v BIGINT) on both sides, kept as C values. */
typedef struct rrows {
    int n;
    int64_t *k1, *v;
    int *k2; /* index into STRS, -1 = NULL */
    bool *k1null, *vnull;
} rrows;

static const char *const STRS[] = {"", "a", "b", "ab", "ba", "abc"};

static void rrows_make(rrows *r, int n, uint64_t *seed, int kdom)
{
    r->n = n;
    r->k1 = calloc((size_t)n + 1, sizeof(int64_t));
    r->v = calloc((size_t)n + 1, sizeof(int64_t));
    r->k2 = calloc((size_t)n + 1, sizeof(int));
    r->k1null = calloc((size_t)n + 1, sizeof(bool));
    r->vnull = calloc((size_t)n + 1, sizeof(bool));
    for (int i = 0; i < n; i++) {
        r->k1[i] = (int64_t)(trand(seed) % (uint64_t)kdom);
        r->k1null[i] = trand(seed) % 10 == 0;
        r->k2[i] = trand(seed) % 12 == 0 ? -1 : (int)(trand(seed) % 3);
        r->v[i] = (int64_t)(trand(seed) % 50);
        r->vnull[i] = trand(seed) % 15 == 0;
    }
}

static void rrows_free(rrows *r)
{
    free(r->k1);
    free(r->v);
    free(r->k2);
    free(r->k1null);
    free(r->vnull);
}

/* Split into batches of random sizes (some empty). */
static void rrows_batches(const rrows *r, em_batch_list *l, uint64_t *seed)
{
    em_batch_list_init(l);
    int i = 0;
    while (i < r->n) {
        int cnt = (int)(trand(seed) % 90);
        if (cnt > r->n - i) cnt = r->n - i;
        em_vector *k1 = em_vector_create(T(EM_TYPE_BIGINT), cnt);
        em_vector *k2 = em_vector_create(T(EM_TYPE_VARCHAR), cnt);
        em_vector *v = em_vector_create(T(EM_TYPE_BIGINT), cnt);
        for (int j = i; j < i + cnt; j++) {
            if (r->k1null[j])
                em_vector_append_null(k1);
            else
                em_vector_append_i64(k1, r->k1[j]);
            if (r->k2[j] < 0)
                em_vector_append_null(k2);
            else
                em_vector_append_str(k2, STRS[r->k2[j]], (int32_t)strlen(STRS[r->k2[j]]));
            if (r->vnull[j])
                em_vector_append_null(v);
            else
                em_vector_append_i64(v, r->v[j]);
        }
        em_batch_list_push(l, tb_make(3, k1, k2, v));
        i += cnt;
    }
}

static void fmt_row(const rrows *r, int i, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    if (i < 0) {
        snprintf(buf + len, cap - len, "NULL|NULL|NULL");
        return;
    }
    char k1[32], v[32], k2[16];
    snprintf(k1, sizeof(k1), r->k1null[i] ? "NULL" : "%lld", (long long)r->k1[i]);
    snprintf(v, sizeof(v), r->vnull[i] ? "NULL" : "%lld", (long long)r->v[i]);
    if (r->k2[i] < 0)
        snprintf(k2, sizeof(k2), "NULL");
    else
        snprintf(k2, sizeof(k2), "'%s'", STRS[r->k2[i]]);
    snprintf(buf + len, cap - len, "%s|%s|%s", k1, k2, v);
}

typedef struct rcfg {
    int nkeys;
    int keys[2];   /* columns, same on both sides */
    bool residual; /* L.v < R.v */
} rcfg;

/* Keys equal under SQL rules (a NULL never matches). */
static bool ref_keys(const rcfg *c, const rrows *l, int i, const rrows *r, int j)
{
    for (int k = 0; k < c->nkeys; k++) {
        if (c->keys[k] == 0) {
            if (l->k1null[i] || r->k1null[j] || l->k1[i] != r->k1[j]) return false;
        } else {
            if (l->k2[i] < 0 || r->k2[j] < 0 || l->k2[i] != r->k2[j]) return false;
        }
    }
    return true;
}

static bool ref_resid(const rcfg *c, const rrows *l, int i, const rrows *r, int j)
{
    return !c->residual || (!l->vnull[i] && !r->vnull[j] && l->v[i] < r->v[j]);
}

static bool key_null(const rcfg *c, const rrows *x, int i)
{
    return c->keys[0] == 0 ? x->k1null[i] : x->k2[i] < 0;
}

static void push_row(trows *t, const char *s)
{
    /* Capacity doubles at powers of two (realloc per row is quadratic under ASan). */
    if ((t->n & (t->n - 1)) == 0)
        t->rows = realloc(t->rows, sizeof(char *) * (size_t)(t->n > 0 ? 2 * t->n : 1));
    t->rows[t->n++] = strdup(s);
}

static trows reference(em_join_kind kind, const rcfg *c, const rrows *l, const rrows *r)
{
    trows t = {NULL, 0};
    bool *rmatched = calloc((size_t)r->n + 1, sizeof(bool));
    for (int i = 0; i < l->n; i++) {
        bool any = false, naaj_out = false;
        for (int j = 0; j < r->n; j++) {
            bool res = ref_resid(c, l, i, r, j);
            if (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && res &&
                (key_null(c, l, i) || key_null(c, r, j) || ref_keys(c, l, i, r, j)))
                naaj_out = true;
            if (!(res && ref_keys(c, l, i, r, j))) continue;
            any = true;
            rmatched[j] = true;
            if (kind == EM_JOIN_KIND_INNER || kind == EM_JOIN_KIND_LEFT ||
                kind == EM_JOIN_KIND_RIGHT || kind == EM_JOIN_KIND_FULL) {
                char buf[256] = "";
                fmt_row(l, i, buf, sizeof(buf));
                strcat(buf, "|");
                fmt_row(r, j, buf, sizeof(buf));
                push_row(&t, buf);
            }
        }
        char buf[256] = "";
        fmt_row(l, i, buf, sizeof(buf));
        if ((kind == EM_JOIN_KIND_SEMI && any) || (kind == EM_JOIN_KIND_ANTI && !any) ||
            (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && !naaj_out))
            push_row(&t, buf);
        if (!any && (kind == EM_JOIN_KIND_LEFT || kind == EM_JOIN_KIND_FULL)) {
            strcat(buf, "|");
            fmt_row(r, -1, buf, sizeof(buf));
            push_row(&t, buf);
        }
    }
    if (kind == EM_JOIN_KIND_RIGHT || kind == EM_JOIN_KIND_FULL) {
        for (int j = 0; j < r->n; j++) {
            if (rmatched[j]) continue;
            char buf[256] = "";
            fmt_row(l, -1, buf, sizeof(buf));
            strcat(buf, "|");
            fmt_row(r, j, buf, sizeof(buf));
            push_row(&t, buf);
        }
    }
    free(rmatched);
    if (t.n > 0) tr_sort(&t); /* qsort wants a buffer even for nothing */
    return t;
}

static void compare_rows(const trows *got, const trows *want, const char *what)
{
    for (int64_t i = 0; i < got->n && i < want->n; i++)
        if (strcmp(got->rows[i], want->rows[i]) != 0)
            fail_msg("%s: sorted row %lld: got \"%s\", expected \"%s\"", what, (long long)i,
                     got->rows[i], want->rows[i]);
    if (got->n != want->n)
        fail_msg("%s: got %lld rows, expected %lld", what, (long long)got->n, (long long)want->n);
}

static void test_random_reference(void **state)
{
    static const rcfg cfgs[] = {
        {1, {0, 0}, false}, {1, {0, 0}, true}, {1, {1, 0}, false}, {1, {1, 0}, true},
        {2, {0, 1}, false}, {2, {1, 0}, true}, {0, {0, 0}, false}, {0, {0, 0}, true},
    };
    static const em_join_kind kinds[] = {
        EM_JOIN_KIND_INNER, EM_JOIN_KIND_LEFT, EM_JOIN_KIND_RIGHT,           EM_JOIN_KIND_FULL,
        EM_JOIN_KIND_SEMI,  EM_JOIN_KIND_ANTI, EM_JOIN_KIND_ANTI_NULL_AWARE,
    };
    em_type t[] = {T(EM_TYPE_BIGINT), T(EM_TYPE_VARCHAR), T(EM_TYPE_BIGINT)};
    uint64_t seed = 12345;
    int runs = 0;
    for (int round = 0; round < 3; round++) {
        for (size_t ci = 0; ci < EM_ARRAY_LEN(cfgs); ci++) {
            const rcfg *c = &cfgs[ci];
            bool cross = c->nkeys == 0;
            /* Sizes include empty sides; key domains make duplicates likely. */
            int ln = round == 2 && ci % 3 == 0 ? 0 : (int)(trand(&seed) % (cross ? 60 : 400));
            int rn = round == 2 && ci % 3 == 1 ? 0 : (int)(trand(&seed) % (cross ? 40 : 300));
            int kdom = 1 + (int)(trand(&seed) % 40);
            rrows lr, rr;
            rrows_make(&lr, ln, &seed, kdom);
            rrows_make(&rr, rn, &seed, kdom);
            side l, r;
            side_init(&l, 3, t);
            side_init(&r, 3, t);
            rrows_batches(&lr, &l.batches, &seed);
            rrows_batches(&rr, &r.batches, &seed);
            em_expr *res =
                c->residual ? call2("<", col(2, EM_TYPE_BIGINT), col(5, EM_TYPE_BIGINT)) : NULL;
            for (size_t ki = 0; ki < EM_ARRAY_LEN(kinds); ki++) {
                em_join_kind kind = kinds[ki];
                if (kind == EM_JOIN_KIND_ANTI_NULL_AWARE && c->nkeys != 1) continue;
                bool semi = kind >= EM_JOIN_KIND_SEMI;
                trows want = reference(kind, c, &lr, &rr);
                /* SEMI and ANTI build either side; NOT IN only the right one. */
                int nsides = kind == EM_JOIN_KIND_ANTI_NULL_AWARE ? 1 : 2;
                for (int side_ = 0; side_ < nsides; side_++) {
                    em_join_spec spec =
                        make_spec(kind, side_ == 0, c->nkeys, c->keys, c->keys, res, &l, &r);
                    em_batch_list out;
                    em_error err = {0};
                    int rc = run_join(&spec, &l, &r, &out, &err);
                    if (rc != 0) fail_msg("join: %s", err.message);
                    trows got = sorted_rows(&out, semi ? 3 : 6);
                    char what[128];
                    snprintf(what, sizeof(what), "round %d cfg %zu kind %d build %s", round, ci,
                             (int)kind, side_ == 0 ? "right" : "left");
                    compare_rows(&got, &want, what);
                    tr_free(&got);
                    em_batch_list_release(&out);
                    runs++;
                }
                tr_free(&want);
            }
            side_release(&l);
            side_release(&r);
            rrows_free(&lr);
            rrows_free(&rr);
        }
    }
    print_message("random: %d joins checked against the reference\n", runs);
}

/* ---- throughput ---------------------------------------------------------- */

/* Thread CPU time: the machine may be shared, and waiting for a core is not
 * the join's cost. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 1M build rows (distinct BIGINT keys, one payload column), 10M probe rows with
 * keys drawn from the build's keys: every probe row matches once. */
static void test_bench(void **state)
{
    const char *env = getenv("EMBER_JOIN_BENCH");
    if (env == NULL || strcmp(env, "1") != 0) skip();
    int64_t nbuild = 1000000;
    const int64_t nprobe = 10000000, pool = 256;
    const char *nb = getenv("EMBER_JOIN_BENCH_BUILD");
    if (nb != NULL && atoll(nb) > 0) nbuild = atoll(nb);
    em_type t[] = {T(EM_TYPE_BIGINT), T(EM_TYPE_BIGINT)};
    side l, r;
    side_init(&l, 2, t);
    side_init(&r, 2, t);
    uint64_t seed = 7;
    /* Build keys: a permutation of 0..nbuild-1 times a stride (not dense). */
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)nbuild);
    for (int64_t i = 0; i < nbuild; i++) perm[i] = i;
    for (int64_t i = nbuild - 1; i > 0; i--) {
        int64_t j = (int64_t)(trand(&seed) % (uint64_t)(i + 1));
        int64_t x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    for (int64_t off = 0; off < nbuild; off += EM_BATCH_ROWS) {
        int64_t cnt = EM_MIN((int64_t)EM_BATCH_ROWS, nbuild - off);
        em_vector *k = em_vector_create(T(EM_TYPE_BIGINT), cnt);
        em_vector *v = em_vector_create(T(EM_TYPE_BIGINT), cnt);
        for (int64_t i = 0; i < cnt; i++) {
            em_vector_append_i64(k, perm[off + i] * 7 + 3);
            em_vector_append_i64(v, off + i);
        }
        em_batch_list_push(&r.batches, tb_make(2, k, v));
    }
    free(perm);
    for (int64_t b = 0; b < pool; b++) {
        em_vector *k = em_vector_create(T(EM_TYPE_BIGINT), EM_BATCH_ROWS);
        em_vector *v = em_vector_create(T(EM_TYPE_BIGINT), EM_BATCH_ROWS);
        for (int64_t i = 0; i < EM_BATCH_ROWS; i++) {
            em_vector_append_i64(k, (int64_t)(trand(&seed) % (uint64_t)nbuild) * 7 + 3);
            em_vector_append_i64(v, i);
        }
        em_batch_list_push(&l.batches, tb_make(2, k, v));
    }
    for (int kind = 0; kind < 2; kind++) {
        em_join_kind jk = kind == 0 ? EM_JOIN_KIND_INNER : EM_JOIN_KIND_SEMI;
        em_join_spec spec = make_spec(jk, true, 1, K0, K0, NULL, &l, &r);
        count_sink sink = {.base = {.vt = &count_vt, .ctx = &g_ctx}};
        em_source *bsrc = em_source_list_create(&r.batches, 0, r.batches.count);
        em_op *op = em_op_hash_join_create(&g_ctx, &spec, bsrc);
        op->next = &sink.base;
        em_error err = {0};
        double t0 = now_s();
        /* The first push builds; time it with an empty batch. */
        em_batch *first = em_batch_slice(l.batches.items[0], 0, 0);
        assert_int_equal(op->vt->push(op, first, &err), 0);
        double t1 = now_s();
        int64_t pushed = 0;
        for (int64_t b = 0; pushed < nprobe; b++) {
            em_batch *in = em_batch_ref_copy(l.batches.items[b % pool]);
            pushed += in->nrows;
            assert_int_equal(op->vt->push(op, in, &err), 0);
        }
        assert_int_equal(op->vt->finish(op, &err), 0);
        double t2 = now_s();
        op->vt->destroy(op);
        assert_true(sink.rows == pushed);
        print_message("%s: build %lld rows in %.3f s (%.1f M rows/s); probe %lld rows in %.3f s: "
                      "%.1f M rows/s\n",
                      jk == EM_JOIN_KIND_INNER ? "inner" : "semi", (long long)nbuild, t1 - t0,
                      (double)nbuild / (t1 - t0) / 1e6, (long long)pushed, t2 - t1,
                      (double)pushed / (t2 - t1) / 1e6);
    }
    side_release(&l);
    side_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds_small),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_multi_key),
        cmocka_unit_test(test_key_types),
        cmocka_unit_test(test_empty_build),
        cmocka_unit_test(test_empty_probe),
        cmocka_unit_test(test_residual),
        cmocka_unit_test(test_cross),
        cmocka_unit_test(test_anti_null_aware),
        cmocka_unit_test(test_large_output),
        cmocka_unit_test(test_big_probe_batch_and_limit),
        cmocka_unit_test(test_futile_probe),
        cmocka_unit_test(test_bad_spec),
        cmocka_unit_test(test_random_reference),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

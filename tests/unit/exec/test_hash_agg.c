/*
 * test_hash_agg.c — hash aggregation: grouping on every key type with NULL
 * keys, every aggregate's NULL and empty-input semantics, FILTER, DISTINCT,
 * overflow, many groups, and PARTIAL -> FINAL equivalence with COMPLETE on
 * random data split across several partial operators.
 */
#include <math.h>

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

static em_expr *col(int c, em_type t)
{
    return em_expr_column(g_arena, c, t);
}

static em_type T(em_type_id id)
{
    return em_type_make(id);
}

/* An aggregate call as the binder would build it (result type from the registry). */
static em_agg_call call(const char *name, em_expr *arg, bool distinct, em_expr *filter)
{
    em_agg_call c;
    memset(&c, 0, sizeof(c));
    em_error err = {0};
    em_type ret;
    int rc = em_agg_resolve(name, arg == NULL, arg != NULL ? arg->type : T(EM_TYPE_NULL), &c.kind,
                            &ret, &err);
    if (rc != 0) fail_msg("em_agg_resolve(%s): %s", name, err.message);
    c.arg = arg;
    c.distinct = distinct;
    c.filter = filter;
    c.type = ret;
    return c;
}

/* Run an aggregation over `in` into *out; returns the pipeline's code. */
static int agg_run(const em_batch_list *in, em_agg_mode mode, int nkeys, em_expr *const *keys,
                   int naggs, const em_agg_call *aggs, em_batch_list *out, em_error *err)
{
    em_batch_list_init(out);
    em_op *op = em_op_hash_agg_create(&g_ctx, mode, nkeys, keys, naggs, aggs);
    op->next = em_op_collect_create(&g_ctx, out);
    return tp_run(in, op, err);
}

/* ---- grouping --------------------------------------------------------------- */

static void test_group_int_key(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    int64_t k1[] = {1, 2, 1, 3, TNULL}, v1[] = {10, 20, TNULL, 30, 5};
    int64_t k2[] = {2, 1, TNULL, 4}, v2[] = {2, 1, 7, TNULL};
    em_batch_list_push(&in, tb_make(2, tv_i32(5, k1), tv_i64(5, v1)));
    em_batch_list_push(&in, tb_make(2, tv_i32(4, k2), tv_i64(4, v2)));
    em_expr *keys[] = {col(0, T(EM_TYPE_INTEGER))};
    em_expr *v = col(1, T(EM_TYPE_BIGINT));
    em_agg_call aggs[] = {call("count", NULL, false, NULL), call("count", v, false, NULL),
                          call("sum", v, false, NULL),      call("avg", v, false, NULL),
                          call("min", v, false, NULL),      call("max", v, false, NULL)};
    em_error err = {0};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 6, aggs, &out, &err), 0);
    /* Groups come out in first-seen order; NULL keys form one group. */
    const char *exp[] = {"1|3|2|11|5.5|1|10", "2|2|2|22|11|2|20",          "3|1|1|30|30|30|30",
                         "NULL|2|2|12|6|5|7", "4|1|0|NULL|NULL|NULL|NULL", NULL};
    tr_expect(&out, exp);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void test_group_string_and_multi_key(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    const char *s1[] = {"x", "y", NULL, "x", "", "y"};
    int64_t k1[] = {1, 1, 1, TNULL, 2, 1};
    int64_t v1[] = {1, 2, 3, 4, 5, 6};
    const char *s2[] = {"", NULL, "x", "x", "a longer string key!"};
    int64_t k2[] = {2, 1, TNULL, 1, 9};
    int64_t v2[] = {10, 20, 30, 40, 50};
    em_batch_list_push(&in, tb_make(3, tv_str(6, s1), tv_i64(6, k1), tv_i64(6, v1)));
    em_batch_list_push(&in, tb_make(3, tv_str(5, s2), tv_i64(5, k2), tv_i64(5, v2)));
    em_expr *skey[] = {col(0, T(EM_TYPE_VARCHAR))};
    em_expr *v = col(2, T(EM_TYPE_BIGINT));
    em_agg_call aggs[] = {call("sum", v, false, NULL), call("count", NULL, false, NULL)};
    em_error err = {0};

    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, skey, 2, aggs, &out, &err), 0);
    const char *e1[] = {
        "'x'|75|4", "'y'|8|2", "NULL|23|2", "''|15|2", "'a longer string key!'|50|1", NULL};
    tr_expect(&out, e1);
    em_batch_list_release(&out);

    em_expr *mkey[] = {col(0, T(EM_TYPE_VARCHAR)), col(1, T(EM_TYPE_BIGINT))};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 2, mkey, 2, aggs, &out, &err), 0);
    const char *e2[] = {"'x'|1|41|2",  "'y'|1|8|2",
                        "NULL|1|23|2", "'x'|NULL|34|2",
                        "''|2|15|2",   "'a longer string key!'|9|50|1",
                        NULL};
    tr_expect(&out, e2);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void test_double_and_bool_keys(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    double d[] = {0.0, -0.0, NAN, 1.5, -NAN, 0.0, 1.5};
    bool dn[] = {false, false, false, false, false, true, false};
    int b[] = {1, 0, -1, 1, 0, 1, 1};
    int64_t v[] = {1, 2, 3, 4, 5, 6, 7};
    em_batch_list_push(&in, tb_make(3, tv_f64(7, d, dn), tv_bool(7, b), tv_i64(7, v)));
    em_expr *dkey[] = {col(0, T(EM_TYPE_DOUBLE))};
    em_agg_call aggs[] = {call("sum", col(2, T(EM_TYPE_BIGINT)), false, NULL)};
    em_error err = {0};
    /* -0 groups with 0, every NaN with every other NaN. */
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, dkey, 1, aggs, &out, &err), 0);
    const char *e1[] = {"0|3", "nan|8", "1.5|11", "NULL|6", NULL};
    trows r = tr_collect(&out);
    assert_int_equal(r.n, 4);
    assert_string_equal(r.rows[0], e1[0]);
    assert_true(strstr(r.rows[1], "nan") != NULL && strstr(r.rows[1], "|8") != NULL);
    assert_string_equal(r.rows[2], e1[2]);
    assert_string_equal(r.rows[3], e1[3]);
    tr_free(&r);
    em_batch_list_release(&out);

    em_expr *bkey[] = {col(1, T(EM_TYPE_BOOLEAN))};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, bkey, 1, aggs, &out, &err), 0);
    const char *e2[] = {"t|18", "f|7", "NULL|3", NULL};
    tr_expect(&out, e2);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

/* ---- aggregates ------------------------------------------------------------- */

static void test_empty_and_null_inputs(void **state)
{
    em_batch_list empty, nulls, out;
    em_batch_list_init(&empty);
    em_batch_list_init(&nulls);
    int64_t k[] = {1, 1, 2}, x[] = {TNULL, TNULL, TNULL};
    const char *s[] = {NULL, NULL, NULL};
    em_batch_list_push(&nulls, tb_make(3, tv_i64(3, k), tv_i64(3, x), tv_str(3, s)));
    em_expr *v = col(1, T(EM_TYPE_BIGINT));
    em_expr *sv = col(2, T(EM_TYPE_VARCHAR));
    em_agg_call aggs[] = {call("count", NULL, false, NULL), call("count", v, false, NULL),
                          call("sum", v, false, NULL),      call("avg", v, false, NULL),
                          call("min", v, false, NULL),      call("max", sv, false, NULL)};
    em_error err = {0};

    /* No GROUP BY, no rows: exactly one row; count is 0, the rest NULL. */
    assert_int_equal(agg_run(&empty, EM_AGG_MODE_COMPLETE, 0, NULL, 6, aggs, &out, &err), 0);
    const char *e1[] = {"0|0|NULL|NULL|NULL|NULL", NULL};
    tr_expect(&out, e1);
    em_batch_list_release(&out);

    /* Also through PARTIAL -> FINAL. */
    em_batch_list partial;
    assert_int_equal(agg_run(&empty, EM_AGG_MODE_PARTIAL, 0, NULL, 6, aggs, &partial, &err), 0);
    assert_int_equal(agg_run(&partial, EM_AGG_MODE_FINAL, 0, NULL, 6, aggs, &out, &err), 0);
    tr_expect(&out, e1);
    em_batch_list_release(&out);
    em_batch_list_release(&partial);
    /* FINAL alone over nothing (no partial reached this partition). */
    assert_int_equal(agg_run(&empty, EM_AGG_MODE_FINAL, 0, NULL, 6, aggs, &out, &err), 0);
    tr_expect(&out, e1);
    em_batch_list_release(&out);

    /* Only NULL inputs. */
    assert_int_equal(agg_run(&nulls, EM_AGG_MODE_COMPLETE, 0, NULL, 6, aggs, &out, &err), 0);
    const char *e2[] = {"3|0|NULL|NULL|NULL|NULL", NULL};
    tr_expect(&out, e2);
    em_batch_list_release(&out);

    /* With GROUP BY: no rows in, no rows out. */
    em_expr *keys[] = {col(0, T(EM_TYPE_BIGINT))};
    assert_int_equal(agg_run(&empty, EM_AGG_MODE_COMPLETE, 1, keys, 6, aggs, &out, &err), 0);
    assert_int_equal(out.count, 0);
    em_batch_list_release(&out);
    assert_int_equal(agg_run(&nulls, EM_AGG_MODE_COMPLETE, 1, keys, 6, aggs, &out, &err), 0);
    const char *e3[] = {"1|2|0|NULL|NULL|NULL|NULL", "2|1|0|NULL|NULL|NULL|NULL", NULL};
    tr_expect(&out, e3);
    em_batch_list_release(&out);

    em_batch_list_release(&nulls);
}

static void test_aggregate_types(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    int n = 5;
    int64_t i32[] = {3, TNULL, -7, 2000000000, 2000000000};
    double dv[] = {1.5, 2.25, NAN, -4, 0};
    bool dn[] = {false, false, false, false, true};
    const char *sv[] = {"pear", "apple", NULL, "apples", "Zebra"};
    em_vector *dec = em_vector_create(em_type_decimal(10, 2), n);
    int64_t decv[] = {125, -50, TNULL, 1000, 1};
    for (int i = 0; i < n; i++) {
        if (decv[i] == TNULL)
            em_vector_append_null(dec);
        else
            em_vector_append_i64(dec, decv[i]);
    }
    em_vector *date = em_vector_create(T(EM_TYPE_DATE), n);
    int32_t dates[] = {19000, 18000, 20000, -5, 0};
    for (int i = 0; i < n; i++) em_vector_append_i32(date, dates[i]);
    em_batch_list_push(&in,
                       tb_make(5, tv_i32(n, i32), tv_f64(n, dv, dn), tv_str(n, sv), dec, date));

    em_expr *ci = col(0, T(EM_TYPE_INTEGER));
    em_expr *cd = col(1, T(EM_TYPE_DOUBLE));
    em_expr *cs = col(2, T(EM_TYPE_VARCHAR));
    em_expr *cdec = col(3, em_type_decimal(10, 2));
    em_expr *cdate = col(4, T(EM_TYPE_DATE));
    em_agg_call aggs[] = {
        call("sum", ci, false, NULL), /* INTEGER sums widen: no overflow at 4e9 */
        call("avg", ci, false, NULL),    call("min", ci, false, NULL),
        call("max", ci, false, NULL),    call("sum", cd, false, NULL),
        call("min", cd, false, NULL),    call("max", cd, false, NULL), /* NaN is the largest */
        call("min", cs, false, NULL),    call("max", cs, false, NULL),
        call("sum", cdec, false, NULL),  call("avg", cdec, false, NULL),
        call("min", cdec, false, NULL),  call("max", cdec, false, NULL),
        call("min", cdate, false, NULL), call("max", cdate, false, NULL),
    };
    int naggs = (int)EM_ARRAY_LEN(aggs);
    em_error err = {0};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 0, NULL, naggs, aggs, &out, &err), 0);
    trows r = tr_collect(&out);
    assert_int_equal(r.n, 1);
    /* avg(int) = 3999999996 / 4; avg(decimal) = 10.76 / 4 = 2.69. */
    const char *exp = "3999999996|999999999|-7|2000000000|nan|-4|nan|'Zebra'|'pear'|10.76|2.69|"
                      "-0.50|10.00|-5|20000";
    if (strcmp(r.rows[0], exp) != 0) {
        /* The sum of doubles is NaN (NaN propagates); compare around it. */
        fail_msg("got %s\nexpected %s", r.rows[0], exp);
    }
    tr_free(&r);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

/* SUM tracks "has a value" lazily while every batch is NULL-free and
 * unfiltered; batches that break that must still leave all-NULL groups NULL. */
static void test_sum_dense_then_sparse(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    int64_t k1[] = {1, 2}, x1[] = {10, 20};
    int f1[] = {1, 1};
    int64_t k2[] = {3, 1, 4, 6}, x2[] = {TNULL, 5, 7, 100};
    int f2[] = {1, 1, 1, 0};
    int64_t k3[] = {5, 3}, x3[] = {1, TNULL};
    int f3[] = {1, 1};
    double d1[] = {10, 20}, d2[] = {0, 5, 7, 100}, d3[] = {1, 0};
    bool n1[] = {false, false}, n2[] = {true, false, false, false}, n3[] = {false, true};
    em_batch_list_push(&in,
                       tb_make(4, tv_i64(2, k1), tv_i64(2, x1), tv_bool(2, f1), tv_f64(2, d1, n1)));
    em_batch_list_push(&in,
                       tb_make(4, tv_i64(4, k2), tv_i64(4, x2), tv_bool(4, f2), tv_f64(4, d2, n2)));
    em_batch_list_push(&in,
                       tb_make(4, tv_i64(2, k3), tv_i64(2, x3), tv_bool(2, f3), tv_f64(2, d3, n3)));
    em_expr *keys[] = {col(0, T(EM_TYPE_BIGINT))};
    em_expr *v = col(1, T(EM_TYPE_BIGINT));
    em_expr *d = col(3, T(EM_TYPE_DOUBLE));
    em_expr *f = col(2, T(EM_TYPE_BOOLEAN));
    em_agg_call aggs[] = {call("sum", v, false, NULL), call("sum", v, false, f),
                          call("sum", d, false, NULL), call("sum", d, false, f),
                          call("min", v, false, NULL), call("max", d, false, f)};
    em_error err = {0};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 6, aggs, &out, &err), 0);
    const char *exp[] = {"1|15|15|15|15|5|10",
                         "2|20|20|20|20|20|20",
                         "3|NULL|NULL|NULL|NULL|NULL|NULL",
                         "4|7|7|7|7|7|7",
                         "6|100|NULL|100|NULL|100|NULL",
                         "5|1|1|1|1|1|1",
                         NULL};
    tr_expect(&out, exp);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

/* MIN/MAX start from sentinels; values equal to them and NaN must survive. */
static void test_minmax_extremes(void **state)
{
    struct {
        double d[2];
        int n;
        const char *expect;
    } cases[] = {
        {{NAN, 0}, 1, "nan|nan"}, {{-INFINITY, 0}, 1, "-inf|-inf"}, {{NAN, 1}, 2, "1|nan"},
        {{1, NAN}, 2, "1|nan"},   {{INFINITY, NAN}, 2, "inf|nan"},
    };
    em_expr *d = col(0, T(EM_TYPE_DOUBLE));
    em_agg_call aggs[] = {call("min", d, false, NULL), call("max", d, false, NULL)};
    for (size_t c = 0; c < EM_ARRAY_LEN(cases); c++) {
        em_batch_list in, out;
        em_batch_list_init(&in);
        em_batch_list_push(&in, tb_make(1, tv_f64(cases[c].n, cases[c].d, NULL)));
        em_error err = {0};
        assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 0, NULL, 2, aggs, &out, &err), 0);
        const char *exp[] = {cases[c].expect, NULL};
        tr_expect(&out, exp);
        em_batch_list_release(&out);
        em_batch_list_release(&in);
    }
    em_batch_list in, out;
    em_batch_list_init(&in);
    /* (tv_i64 would read INT64_MIN as NULL.) */
    for (int b = 0; b < 2; b++) {
        em_vector *x = em_vector_create(T(EM_TYPE_BIGINT), 1);
        em_vector_append_i64(x, b == 0 ? INT64_MIN : INT64_MAX);
        em_batch_list_push(&in, tb_make(1, x));
    }
    em_expr *v = col(0, T(EM_TYPE_BIGINT));
    em_agg_call iaggs[] = {call("min", v, false, NULL), call("max", v, false, NULL)};
    em_error err = {0};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 0, NULL, 2, iaggs, &out, &err), 0);
    const char *exp[] = {"-9223372036854775808|9223372036854775807", NULL};
    tr_expect(&out, exp);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void test_filter_clause(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    int64_t k[] = {1, 1, 1, 2, 2, 3};
    int64_t x[] = {10, 20, 30, 40, TNULL, 60};
    int f[] = {1, 0, 1, -1, 1, 0};
    em_batch_list_push(&in, tb_make(3, tv_i64(6, k), tv_i64(6, x), tv_bool(6, f)));
    em_expr *keys[] = {col(0, T(EM_TYPE_BIGINT))};
    em_expr *v = col(1, T(EM_TYPE_BIGINT));
    em_expr *pred = col(2, T(EM_TYPE_BOOLEAN));
    em_agg_call aggs[] = {call("count", NULL, false, pred), call("sum", v, false, pred),
                          call("sum", v, false, NULL), call("max", v, false, pred),
                          call("count", v, true, pred)};
    em_error err = {0};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 5, aggs, &out, &err), 0);
    const char *exp[] = {"1|2|40|60|30|2", "2|1|NULL|40|NULL|0", "3|0|NULL|60|NULL|0", NULL};
    tr_expect(&out, exp);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void test_distinct(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    int64_t k1[] = {1, 1, 1, 2, 2, 1};
    int64_t x1[] = {5, 5, 7, 5, TNULL, 7};
    const char *s1[] = {"a", "a", "b", "a", NULL, "c"};
    int64_t k2[] = {2, 1, 2, 2};
    int64_t x2[] = {5, 9, 6, 6};
    const char *s2[] = {"a", "a", "b", "a"};
    em_batch_list_push(&in, tb_make(3, tv_i64(6, k1), tv_i64(6, x1), tv_str(6, s1)));
    em_batch_list_push(&in, tb_make(3, tv_i64(4, k2), tv_i64(4, x2), tv_str(4, s2)));
    em_expr *keys[] = {col(0, T(EM_TYPE_BIGINT))};
    em_expr *v = col(1, T(EM_TYPE_BIGINT));
    em_expr *s = col(2, T(EM_TYPE_VARCHAR));
    em_agg_call aggs[] = {call("count", v, true, NULL), call("sum", v, true, NULL),
                          call("sum", v, false, NULL), call("count", s, true, NULL),
                          call("avg", v, true, NULL)};
    em_error err = {0};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 5, aggs, &out, &err), 0);
    /* group 1: x = 5,5,7,7,9 -> distinct 5,7,9; s = a,a,b,c,a -> 3 distinct.
     * group 2: x = 5,NULL,5,6,6 -> distinct 5,6; s = a,NULL,a,b,a -> 2. */
    const char *exp[] = {"1|3|21|33|3|7", "2|2|11|22|2|5.5", NULL};
    tr_expect(&out, exp);
    em_batch_list_release(&out);

    /* Without keys too. */
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 0, NULL, 5, aggs, &out, &err), 0);
    const char *e2[] = {"4|27|55|3|6.75", NULL};
    tr_expect(&out, e2);
    em_batch_list_release(&out);

    /* DISTINCT cannot be split into phases. */
    err.code = 0;
    assert_int_equal(agg_run(&in, EM_AGG_MODE_PARTIAL, 1, keys, 5, aggs, &out, &err), EM_EINTERNAL);
    assert_int_equal(err.code, EM_EINTERNAL);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void test_overflow(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    int64_t k[] = {1, 2, 1};
    int64_t x[] = {INT64_MAX - 5, 1, 10};
    em_batch_list_push(&in, tb_make(2, tv_i64(3, k), tv_i64(3, x)));
    em_expr *keys[] = {col(0, T(EM_TYPE_BIGINT))};
    em_expr *v = col(1, T(EM_TYPE_BIGINT));
    em_agg_call sum[] = {call("sum", v, false, NULL)};
    em_agg_call avg[] = {call("avg", v, false, NULL)};
    em_error err = {0};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 1, sum, &out, &err), EM_EOVERFLOW);
    assert_int_equal(err.code, EM_EOVERFLOW);
    assert_non_null(strstr(err.message, "out of range"));
    em_batch_list_release(&out);
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 0, NULL, 1, avg, &out, &err), EM_EOVERFLOW);
    em_batch_list_release(&out);

    /* Overflow found while merging partial states. */
    em_batch_list a, b, pa, pb, both;
    em_batch_list_init(&a);
    em_batch_list_init(&b);
    int64_t ka[] = {1}, xa[] = {INT64_MAX - 1};
    int64_t kb[] = {1}, xb[] = {2};
    em_batch_list_push(&a, tb_make(2, tv_i64(1, ka), tv_i64(1, xa)));
    em_batch_list_push(&b, tb_make(2, tv_i64(1, kb), tv_i64(1, xb)));
    assert_int_equal(agg_run(&a, EM_AGG_MODE_PARTIAL, 1, keys, 1, sum, &pa, &err), 0);
    assert_int_equal(agg_run(&b, EM_AGG_MODE_PARTIAL, 1, keys, 1, sum, &pb, &err), 0);
    em_batch_list_init(&both);
    em_batch_list_move(&both, &pa);
    em_batch_list_move(&both, &pb);
    em_expr *fkeys[] = {col(0, T(EM_TYPE_BIGINT))};
    assert_int_equal(agg_run(&both, EM_AGG_MODE_FINAL, 1, fkeys, 1, sum, &out, &err), EM_EOVERFLOW);
    em_batch_list_release(&out);
    em_batch_list_release(&both);
    em_batch_list_release(&pa);
    em_batch_list_release(&pb);
    em_batch_list_release(&a);
    em_batch_list_release(&b);
    em_batch_list_release(&in);
}

static void test_many_groups(void **state)
{
    /* 200k rows, 50k groups: the table grows many times and output spans
     * many batches, each at most EM_BATCH_ROWS rows, in first-seen order. */
    enum { N = 200000, G = 50000, PER = 2048 };
    em_batch_list in, out;
    em_batch_list_init(&in);
    static int64_t keys_seen[G];
    int nseen = 0;
    static bool seen[G];
    static int64_t expect_sum[G], expect_cnt[G];
    uint64_t s = 1;
    for (int start = 0; start < N; start += PER) {
        int m = EM_MIN(PER, N - start);
        int64_t k[PER], x[PER];
        for (int i = 0; i < m; i++) {
            k[i] = (int64_t)(trand(&s) % G) * 7919 - 100000000; /* spread out, some negative */
            x[i] = (int64_t)(trand(&s) % 1000);
            int64_t g = (k[i] + 100000000) / 7919;
            if (!seen[g]) {
                seen[g] = true;
                keys_seen[nseen++] = k[i];
            }
            expect_sum[g] += x[i];
            expect_cnt[g]++;
        }
        em_batch_list_push(&in, tb_make(2, tv_i64(m, k), tv_i64(m, x)));
    }
    em_expr *keys[] = {col(0, T(EM_TYPE_BIGINT))};
    em_expr *v = col(1, T(EM_TYPE_BIGINT));
    em_agg_call aggs[] = {call("sum", v, false, NULL), call("count", NULL, false, NULL)};
    em_error err = {0};
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 2, aggs, &out, &err), 0);
    int64_t row = 0;
    for (int64_t b = 0; b < out.count; b++) {
        const em_batch *bt = out.items[b];
        assert_true(bt->nrows <= EM_BATCH_ROWS);
        for (int64_t i = 0; i < bt->nrows; i++, row++) {
            int64_t k = EM_VEC_I64(bt->cols[0])[i];
            assert_int_equal(k, keys_seen[row]);
            int64_t g = (k + 100000000) / 7919;
            assert_int_equal(EM_VEC_I64(bt->cols[1])[i], expect_sum[g]);
            assert_int_equal(EM_VEC_I64(bt->cols[2])[i], expect_cnt[g]);
        }
    }
    assert_int_equal(row, nseen);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

/* Aggregation followed by a satisfied LIMIT: emission stops, finish still flows. */
static void test_agg_then_limit(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    int64_t k[6000];
    for (int i = 0; i < 6000; i++) k[i] = i;
    em_batch_list_push(&in, tb_make(1, tv_i64(6000, k)));
    em_expr *keys[] = {col(0, T(EM_TYPE_BIGINT))};
    em_agg_call aggs[] = {call("count", NULL, false, NULL)};
    em_batch_list_init(&out);
    em_op *op = em_op_hash_agg_create(&g_ctx, EM_AGG_MODE_COMPLETE, 1, keys, 1, aggs);
    op->next = em_op_limit_create(&g_ctx, 10, 2);
    op->next->next = em_op_collect_create(&g_ctx, &out);
    em_error err = {0};
    assert_int_equal(tp_run(&in, op, &err), 0);
    const char *exp[] = {"2|1", "3|1", "4|1",  "5|1",  "6|1", "7|1",
                         "8|1", "9|1", "10|1", "11|1", NULL};
    tr_expect(&out, exp);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

/* ---- PARTIAL -> FINAL == COMPLETE ------------------------------------------ */

static void random_input(em_batch_list *l, int n, int per, uint64_t seed)
{
    em_batch_list_init(l);
    uint64_t s = seed;
    static const char *words[] = {"alpha", "beta", "gamma", "", "delta-delta-delta", "é"};
    for (int start = 0; start < n; start += per) {
        int m = EM_MIN(per, n - start);
        em_vector *k1 = em_vector_create(T(EM_TYPE_INTEGER), m);
        em_vector *k2 = em_vector_create(T(EM_TYPE_VARCHAR), m);
        em_vector *x = em_vector_create(T(EM_TYPE_BIGINT), m);
        em_vector *d = em_vector_create(T(EM_TYPE_DOUBLE), m);
        em_vector *dec = em_vector_create(em_type_decimal(12, 3), m);
        em_vector *str = em_vector_create(T(EM_TYPE_VARCHAR), m);
        em_vector *flag = em_vector_create(T(EM_TYPE_BOOLEAN), m);
        em_vector *i32 = em_vector_create(T(EM_TYPE_INTEGER), m);
        for (int i = 0; i < m; i++) {
            uint64_t r = trand(&s);
            if (r % 13 == 0)
                em_vector_append_null(k1);
            else
                em_vector_append_i32(k1, (int32_t)(r % 9));
            r = trand(&s);
            if (r % 11 == 0)
                em_vector_append_null(k2);
            else
                em_vector_append_str(k2, words[r % 6], (int32_t)strlen(words[r % 6]));
            r = trand(&s);
            if (r % 7 == 0)
                em_vector_append_null(x);
            else
                em_vector_append_i64(x, (int64_t)(r % 2000001) - 1000000);
            r = trand(&s);
            if (r % 5 == 0)
                em_vector_append_null(d);
            else
                em_vector_append_f64(d, (double)((int64_t)(r % 20001) - 10000));
            r = trand(&s);
            if (r % 6 == 0)
                em_vector_append_null(dec);
            else
                em_vector_append_i64(dec, (int64_t)(r % 2000001) - 1000000);
            r = trand(&s);
            if (r % 4 == 0)
                em_vector_append_null(str);
            else {
                char buf[16];
                int len = snprintf(buf, sizeof(buf), "s%llu", (unsigned long long)(r % 1000));
                em_vector_append_str(str, buf, len);
            }
            r = trand(&s);
            if (r % 9 == 0)
                em_vector_append_null(flag);
            else
                em_vector_append_bool(flag, r % 2);
            r = trand(&s);
            if (r % 8 == 0)
                em_vector_append_null(i32);
            else
                em_vector_append_i32(i32, (int32_t)(r % 100000));
        }
        em_batch_list_push(l, tb_make(8, k1, k2, x, d, dec, str, flag, i32));
    }
}

static void check_partial_final(int nkeys, int nparts, int n, uint64_t seed)
{
    em_batch_list in;
    random_input(&in, n, 700, seed);
    em_expr *keys[] = {col(0, T(EM_TYPE_INTEGER)), col(1, T(EM_TYPE_VARCHAR))};
    em_expr *x = col(2, T(EM_TYPE_BIGINT));
    em_expr *d = col(3, T(EM_TYPE_DOUBLE));
    em_expr *dec = col(4, em_type_decimal(12, 3));
    em_expr *str = col(5, T(EM_TYPE_VARCHAR));
    em_expr *flag = col(6, T(EM_TYPE_BOOLEAN));
    em_expr *i32 = col(7, T(EM_TYPE_INTEGER));
    em_agg_call aggs[] = {
        call("count", NULL, false, NULL), call("count", x, false, NULL),
        call("sum", x, false, NULL),      call("avg", x, false, NULL),
        call("min", x, false, NULL),      call("max", x, false, NULL),
        call("sum", d, false, NULL),      call("avg", d, false, NULL),
        call("min", d, false, NULL),      call("max", d, false, NULL),
        call("sum", dec, false, NULL),    call("avg", dec, false, NULL),
        call("min", dec, false, NULL),    call("max", dec, false, NULL),
        call("min", str, false, NULL),    call("max", str, false, NULL),
        call("count", str, false, NULL),  call("count", NULL, false, flag),
        call("sum", x, false, flag),      call("max", str, false, flag),
        call("sum", i32, false, NULL),    call("avg", i32, false, flag),
    };
    int naggs = (int)EM_ARRAY_LEN(aggs);
    em_error err = {0};

    em_batch_list complete;
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, nkeys, keys, naggs, aggs, &complete, &err),
                     0);

    /* Deal the input batches round-robin to `nparts` partial operators. */
    em_batch_list partials;
    em_batch_list_init(&partials);
    for (int p = 0; p < nparts; p++) {
        em_batch_list part, pout;
        em_batch_list_init(&part);
        for (int64_t b = p; b < in.count; b += nparts)
            em_batch_list_push(&part, em_batch_ref_copy(in.items[b]));
        assert_int_equal(agg_run(&part, EM_AGG_MODE_PARTIAL, nkeys, keys, naggs, aggs, &pout, &err),
                         0);
        em_batch_list_move(&partials, &pout);
        em_batch_list_release(&pout);
        em_batch_list_release(&part);
    }
    em_expr *fkeys[] = {col(0, T(EM_TYPE_INTEGER)), col(1, T(EM_TYPE_VARCHAR))};
    em_batch_list final;
    assert_int_equal(agg_run(&partials, EM_AGG_MODE_FINAL, nkeys, fkeys, naggs, aggs, &final, &err),
                     0);

    trows rc = tr_collect(&complete), rf = tr_collect(&final);
    tr_sort(&rc);
    tr_sort(&rf);
    assert_int_equal(rc.n, rf.n);
    assert_true(rc.n > 0);
    for (int64_t i = 0; i < rc.n; i++) assert_string_equal(rc.rows[i], rf.rows[i]);
    tr_free(&rc);
    tr_free(&rf);
    em_batch_list_release(&complete);
    em_batch_list_release(&final);
    em_batch_list_release(&partials);
    em_batch_list_release(&in);
}

static void test_partial_final_equivalence(void **state)
{
    check_partial_final(2, 3, 20000, 11);
    check_partial_final(1, 4, 9000, 12);
    check_partial_final(0, 3, 5000, 13);
    check_partial_final(2, 1, 3000, 14);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_int_key),
        cmocka_unit_test(test_group_string_and_multi_key),
        cmocka_unit_test(test_double_and_bool_keys),
        cmocka_unit_test(test_empty_and_null_inputs),
        cmocka_unit_test(test_aggregate_types),
        cmocka_unit_test(test_sum_dense_then_sparse),
        cmocka_unit_test(test_minmax_extremes),
        cmocka_unit_test(test_filter_clause),
        cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_many_groups),
        cmocka_unit_test(test_agg_then_limit),
        cmocka_unit_test(test_partial_final_equivalence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

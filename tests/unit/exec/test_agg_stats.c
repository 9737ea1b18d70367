/*
 * test_agg_stats.c — the statistical aggregates' states: stddev/variance
 * (Welford, merged with Chan's formula) and approx_count_distinct (the
 * HyperLogLog sketch and its serialized partial state) give the same answers
 * through PARTIAL -> FINAL as in one phase; percentiles (holistic, one phase
 * only) interpolate like PostgreSQL; INTERVAL works as a group key, in
 * MIN/MAX, and on the wire.
 */
#include <math.h>

#include "exec/agg_state.h"
#include "exec_test_util.h"
#include "net/plan_serde.h"

static em_task_ctx g_ctx;
static em_arena *g_arena;

static int setup(void **state)
{
    (void)state;
    g_arena = em_arena_create(1 << 16);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
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

/* An aggregate call as the binder builds it. */
static em_agg_call call(const char *name, em_expr *arg, double fraction, bool desc)
{
    em_agg_call c;
    memset(&c, 0, sizeof(c));
    em_error err = {0};
    em_type ret;
    int rc = em_agg_resolve(name, arg == NULL, arg != NULL ? arg->type : T(EM_TYPE_NULL), &c.kind,
                            &ret, &err);
    if (rc != 0) fail_msg("em_agg_resolve(%s): %s", name, err.message);
    c.arg = arg;
    c.type = ret;
    c.fraction = fraction;
    c.desc = desc;
    return c;
}

static int agg_run(const em_batch_list *in, em_agg_mode mode, int nkeys, em_expr *const *keys,
                   int naggs, const em_agg_call *aggs, em_batch_list *out, em_error *err)
{
    em_batch_list_init(out);
    em_op *op = em_op_hash_agg_create(&g_ctx, mode, nkeys, keys, naggs, aggs);
    op->next = em_op_collect_create(&g_ctx, out);
    return tp_run(in, op, err);
}

/* Rows of a one-batch result, sorted, as "v|v|..." strings joined by "\n". */
static char *rows_text(const em_batch_list *l)
{
    trows r = tr_collect(l);
    tr_sort(&r);
    em_strbuf sb;
    em_strbuf_init(&sb);
    for (int64_t i = 0; i < r.n; i++) em_strbuf_printf(&sb, "%s%s", i ? "\n" : "", r.rows[i]);
    tr_free(&r);
    return em_strbuf_detach(&sb);
}

/* ---- random input: key INTEGER, x BIGINT, d DOUBLE, dec DECIMAL(12,3), s VARCHAR ---- */

static void random_input(em_batch_list *l, int n, int per, uint64_t seed)
{
    em_batch_list_init(l);
    uint64_t s = seed;
    for (int start = 0; start < n; start += per) {
        int m = EM_MIN(per, n - start);
        em_vector *k = em_vector_create(T(EM_TYPE_INTEGER), m);
        em_vector *x = em_vector_create(T(EM_TYPE_BIGINT), m);
        em_vector *d = em_vector_create(T(EM_TYPE_DOUBLE), m);
        em_vector *dec = em_vector_create(em_type_decimal(12, 3), m);
        em_vector *str = em_vector_create(T(EM_TYPE_VARCHAR), m);
        for (int i = 0; i < m; i++) {
            uint64_t r = trand(&s);
            if (r % 17 == 0)
                em_vector_append_null(k);
            else
                em_vector_append_i32(k, (int32_t)(r % 6));
            r = trand(&s);
            if (r % 7 == 0)
                em_vector_append_null(x);
            else
                em_vector_append_i64(x, (int64_t)(r % 200001) - 100000);
            r = trand(&s);
            if (r % 5 == 0)
                em_vector_append_null(d);
            else
                em_vector_append_f64(d, (double)((int64_t)(r % 20001) - 10000) / 8.0 + 1e6);
            r = trand(&s);
            if (r % 6 == 0)
                em_vector_append_null(dec);
            else
                em_vector_append_i64(dec, (int64_t)(r % 2000001) - 1000000);
            r = trand(&s);
            char buf[24];
            int len = snprintf(buf, sizeof(buf), "v%llu", (unsigned long long)(r % 5000));
            em_vector_append_str(str, buf, len);
        }
        em_batch_list_push(l, tb_make(5, k, x, d, dec, str));
    }
}

/* Aggregate `in` with PARTIAL operators over `nparts` round-robin slices and
 * one FINAL operator. */
static int partial_final(const em_batch_list *in, int nparts, int nkeys, em_expr *const *keys,
                         int naggs, const em_agg_call *aggs, em_batch_list *out)
{
    em_error err = {0};
    em_batch_list partials;
    em_batch_list_init(&partials);
    for (int p = 0; p < nparts; p++) {
        em_batch_list part, pout;
        em_batch_list_init(&part);
        for (int64_t b = p; b < in->count; b += nparts)
            em_batch_list_push(&part, em_batch_ref_copy(in->items[b]));
        assert_int_equal(agg_run(&part, EM_AGG_MODE_PARTIAL, nkeys, keys, naggs, aggs, &pout, &err),
                         0);
        em_batch_list_move(&partials, &pout);
        em_batch_list_release(&pout);
        em_batch_list_release(&part);
    }
    em_expr *fkeys[] = {col(0, T(EM_TYPE_INTEGER))};
    int rc = agg_run(&partials, EM_AGG_MODE_FINAL, nkeys, fkeys, naggs, aggs, out, &err);
    em_batch_list_release(&partials);
    return rc;
}

/* Column c of a result as doubles, indexed by the INTEGER key in column 0
 * (key NULL -> slot 6); NaN for NULL results. */
static void by_key(const em_batch_list *l, int c, double out[7])
{
    for (int i = 0; i < 7; i++) out[i] = NAN;
    for (int64_t b = 0; b < l->count; b++) {
        const em_batch *bt = l->items[b];
        for (int64_t i = 0; i < bt->nrows; i++) {
            int k = em_vector_is_valid(bt->cols[0], i) ? EM_VEC_I32(bt->cols[0])[i] : 6;
            const em_vector *v = bt->cols[c];
            if (!em_vector_is_valid(v, i)) continue;
            out[k] = v->type.id == EM_TYPE_DOUBLE ? EM_VEC_F64(v)[i] : (double)EM_VEC_I64(v)[i];
        }
    }
}

static void assert_close(double a, double b)
{
    if (isnan(a) || isnan(b)) {
        if (isnan(a) != isnan(b)) fail_msg("%.17g vs %.17g", a, b);
        return;
    }
    if (fabs(a - b) > 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)))) fail_msg("%.17g vs %.17g", a, b);
}

/* ---- stddev / variance ------------------------------------------------------ */

/* Two-pass reference: sample or population variance of the non-NULL rows of
 * column c (as doubles) with key k (k = 6: NULL key). */
static double reference_var(const em_batch_list *l, int c, int k, bool samp)
{
    double sum = 0;
    int64_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        double mean = n > 0 ? sum / (double)n : 0, ss = 0;
        for (int64_t b = 0; b < l->count; b++) {
            const em_batch *bt = l->items[b];
            for (int64_t i = 0; i < bt->nrows; i++) {
                int key = em_vector_is_valid(bt->cols[0], i) ? EM_VEC_I32(bt->cols[0])[i] : 6;
                const em_vector *v = bt->cols[c];
                if (key != k || !em_vector_is_valid(v, i)) continue;
                double x = v->type.id == EM_TYPE_DOUBLE    ? EM_VEC_F64(v)[i]
                           : v->type.id == EM_TYPE_DECIMAL ? (double)EM_VEC_I64(v)[i] / 1000.0
                                                           : (double)EM_VEC_I64(v)[i];
                if (pass == 0) {
                    sum += x;
                    n++;
                } else {
                    ss += (x - mean) * (x - mean);
                }
            }
        }
        if (pass == 1) {
            if (n == 0 || (samp && n == 1)) return NAN;
            return ss / (double)(samp ? n - 1 : n);
        }
    }
    return NAN;
}

static void test_variance_partial_final(void **state)
{
    (void)state;
    em_batch_list in;
    random_input(&in, 12000, 500, 42);
    em_expr *keys[] = {col(0, T(EM_TYPE_INTEGER))};
    em_expr *x = col(1, T(EM_TYPE_BIGINT)), *d = col(2, T(EM_TYPE_DOUBLE)),
            *dec = col(3, em_type_decimal(12, 3));
    em_agg_call aggs[] = {
        call("var_samp", x, 0, false),   call("var_pop", x, 0, false),
        call("stddev", d, 0, false),     call("stddev_pop", d, 0, false),
        call("variance", dec, 0, false),
    };
    int naggs = (int)EM_ARRAY_LEN(aggs);
    em_type st[EM_AGG_MAX_STATES];
    assert_int_equal(em_agg_state_types(&aggs[0], st), 3);
    assert_int_equal(st[0].id, EM_TYPE_BIGINT);
    assert_int_equal(st[1].id, EM_TYPE_DOUBLE);
    assert_int_equal(st[2].id, EM_TYPE_DOUBLE);

    em_error err = {0};
    em_batch_list complete;
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, naggs, aggs, &complete, &err), 0);
    for (int nparts = 1; nparts <= 5; nparts += 2) {
        em_batch_list final;
        assert_int_equal(partial_final(&in, nparts, 1, keys, naggs, aggs, &final), 0);
        for (int c = 1; c <= naggs; c++) {
            double a[7], b[7];
            by_key(&complete, c, a);
            by_key(&final, c, b);
            for (int k = 0; k < 7; k++) assert_close(a[k], b[k]);
        }
        em_batch_list_release(&final);
    }
    /* against the two-pass formula (the DOUBLE column sits near 1e6: a naive
     * sum of squares would lose the digits Welford keeps) */
    double got[7];
    by_key(&complete, 1, got);
    for (int k = 0; k < 7; k++) assert_close(got[k], reference_var(&in, 1, k, true));
    by_key(&complete, 2, got);
    for (int k = 0; k < 7; k++) assert_close(got[k], reference_var(&in, 1, k, false));
    by_key(&complete, 3, got);
    for (int k = 0; k < 7; k++) assert_close(got[k], sqrt(reference_var(&in, 2, k, true)));
    by_key(&complete, 5, got);
    for (int k = 0; k < 7; k++) assert_close(got[k], reference_var(&in, 3, k, true));
    em_batch_list_release(&complete);
    em_batch_list_release(&in);
}

static void test_variance_edges(void **state)
{
    (void)state;
    /* one value: sample NULL, population 0; no value: NULL */
    int64_t k[] = {1, 2, 2, 2};
    int64_t x[] = {5, TNULL, 7, 7};
    em_batch_list in;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(2, tv_i32(4, k), tv_i64(4, x)));
    em_expr *keys[] = {col(0, T(EM_TYPE_INTEGER))};
    em_expr *a = col(1, T(EM_TYPE_BIGINT));
    em_agg_call aggs[] = {call("stddev", a, 0, false), call("var_pop", a, 0, false),
                          call("stddev_pop", a, 0, false)};
    em_error err = {0};
    em_batch_list out;
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 3, aggs, &out, &err), 0);
    char *t = rows_text(&out);
    assert_string_equal(t, "1|NULL|0|0\n2|0|0|0");
    em_free(t);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

/* ---- HyperLogLog -------------------------------------------------------------- */

static uint64_t mix(uint64_t i)
{
    return em_hash_u64(i, 0x1234);
}

static void test_hll_sketch(void **state)
{
    (void)state;
    /* exact while sparse, repeats ignored */
    em__hll h = {0};
    assert_true(em__hll_estimate(&h) == 0);
    for (int rep = 0; rep < 3; rep++)
        for (uint64_t i = 0; i < 200; i++) em__hll_add(&h, mix(i));
    assert_true(em__hll_estimate(&h) == 200);
    assert_null(h.dense);
    /* then within 3% over a wide range of cardinalities */
    uint64_t next = 200;
    const uint64_t checkpoints[] = {300, 1000, 5000, 20000, 100000, 1000000};
    for (size_t c = 0; c < EM_ARRAY_LEN(checkpoints); c++) {
        for (; next < checkpoints[c]; next++) em__hll_add(&h, mix(next));
        double est = (double)em__hll_estimate(&h), n = (double)checkpoints[c];
        if (fabs(est - n) > 0.03 * n) fail_msg("estimate %.0f for %.0f distinct", est, n);
    }
    assert_non_null(h.dense);
    em__hll_release(&h);
}

/* Split values [0, n) over k sketches (value i to sketch i % k), serialize
 * each, merge them in the given order; the estimate equals one sketch's. */
static void check_merge(uint64_t n, int k, bool reverse)
{
    em__hll whole = {0};
    em__hll *parts = em_calloc((size_t)k, sizeof(em__hll));
    for (uint64_t i = 0; i < n; i++) {
        em__hll_add(&whole, mix(i));
        em__hll_add(&parts[i % (uint64_t)k], mix(i));
        em__hll_add(&parts[(i * 7) % (uint64_t)k], mix(i)); /* overlaps */
    }
    em__hll merged = {0};
    for (int j = 0; j < k; j++) {
        const em__hll *p = &parts[reverse ? k - 1 - j : j];
        int32_t len = em__hll_size(p);
        char *buf = em_malloc((size_t)len);
        em__hll_write(p, buf);
        assert_int_equal(em__hll_merge_bytes(&merged, buf, len), 0);
        em_free(buf);
    }
    assert_true(em__hll_estimate(&merged) == em__hll_estimate(&whole));
    assert_true((merged.dense == NULL) == (whole.dense == NULL));
    if (whole.dense != NULL) assert_memory_equal(merged.dense, whole.dense, 1 << EM__HLL_P);
    for (int j = 0; j < k; j++) em__hll_release(&parts[j]);
    em_free(parts);
    em__hll_release(&merged);
    em__hll_release(&whole);
}

static void test_hll_merge(void **state)
{
    (void)state;
    check_merge(0, 3, false);
    check_merge(100, 4, false);  /* all sparse */
    check_merge(300, 3, true);   /* sparse parts, dense union */
    check_merge(5000, 2, false); /* dense parts */
    check_merge(5000, 7, true);

    /* corrupt states are rejected */
    em__hll h = {0};
    assert_int_equal(em__hll_merge_bytes(&h, "", 0), -1);
    assert_int_equal(em__hll_merge_bytes(&h, "X", 1), -1);
    assert_int_equal(em__hll_merge_bytes(&h, "S1234", 5), -1);
    char dense[1 + (1 << EM__HLL_P)];
    memset(dense, 0, sizeof(dense));
    dense[0] = 'D';
    dense[5] = 60; /* above the largest rank */
    assert_int_equal(em__hll_merge_bytes(&h, dense, (int32_t)sizeof(dense)), -1);
    assert_int_equal(em__hll_merge_bytes(&h, "S", 1), 0);
    em__hll_release(&h);
}

static void test_approx_count_distinct_partial_final(void **state)
{
    (void)state;
    em_batch_list in;
    random_input(&in, 30000, 700, 7);
    em_expr *keys[] = {col(0, T(EM_TYPE_INTEGER))};
    em_agg_call aggs[] = {
        call("approx_count_distinct", col(1, T(EM_TYPE_BIGINT)), 0, false),
        call("approx_count_distinct", col(4, T(EM_TYPE_VARCHAR)), 0, false),
        call("approx_count_distinct", col(2, T(EM_TYPE_DOUBLE)), 0, false),
    };
    em_error err = {0};
    em_batch_list complete;
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 3, aggs, &complete, &err), 0);
    char *want = rows_text(&complete);
    for (int nparts = 2; nparts <= 6; nparts += 4) {
        em_batch_list final;
        assert_int_equal(partial_final(&in, nparts, 1, keys, 3, aggs, &final), 0);
        char *got = rows_text(&final);
        assert_string_equal(got, want); /* exactly: the sketch is deterministic */
        em_free(got);
        em_batch_list_release(&final);
    }
    /* the string column has at most 5000 distinct values per key */
    double est[7];
    by_key(&complete, 2, est);
    for (int k = 0; k < 6; k++) assert_true(est[k] > 2500 && est[k] <= 5150);
    em_free(want);
    em_batch_list_release(&complete);
    em_batch_list_release(&in);
}

/* The memory a state reports grows with what it keeps. */
static void test_state_bytes(void **state)
{
    (void)state;
    em_batch_list in;
    random_input(&in, 6000, 2000, 3);
    em_agg_call c[] = {call("approx_count_distinct", col(4, T(EM_TYPE_VARCHAR)), 0, false),
                       call("median", col(1, T(EM_TYPE_BIGINT)), 0.5, false)};
    uint32_t gids[2000] = {0};
    for (int k = 0; k < 2; k++) {
        em_error err = {0};
        em__agg_state *s = em__agg_state_create(&c[k], EM_AGG_MODE_COMPLETE, &err);
        assert_non_null(s);
        em__agg_state_reserve(s, 1);
        int64_t empty = em__agg_state_bytes(s);
        for (int64_t b = 0; b < in.count; b++)
            assert_int_equal(em__agg_state_update(s, in.items[b], gids, NULL, &err), 0);
        int64_t full = em__agg_state_bytes(s);
        /* a dense sketch (4 KiB), or about 5000 kept values of 12 bytes */
        assert_true(full - empty >= (k == 0 ? 4096 : 5000 * 12));
        em__agg_state_destroy(s);
    }
    em_batch_list_release(&in);
}

/* ---- percentiles ---------------------------------------------------------------- */

static void test_percentiles(void **state)
{
    (void)state;
    int64_t k[] = {1, 1, 1, 1, 2, 2, 2, 3, 3};
    int64_t x[] = {4, 1, 3, 2, 10, TNULL, 20, TNULL, TNULL};
    em_batch_list in;
    em_batch_list_init(&in);
    /* two batches, so that a group's values arrive in pieces */
    em_batch_list_push(&in, tb_make(2, tv_i32(5, k), tv_i64(5, x)));
    em_batch_list_push(&in, tb_make(2, tv_i32(4, k + 5), tv_i64(4, x + 5)));
    em_expr *keys[] = {col(0, T(EM_TYPE_INTEGER))};
    em_expr *a = col(1, T(EM_TYPE_BIGINT));
    em_agg_call aggs[] = {
        call("median", a, 0.5, false),          call("percentile_cont", a, 0.3, false),
        call("percentile_cont", a, 0.3, true),  call("percentile_disc", a, 0.5, false),
        call("percentile_disc", a, 0.5, true),  call("percentile_disc", a, 0.26, false),
        call("percentile_disc", a, 0.0, false), call("percentile_cont", a, 1.0, false),
    };
    assert_true(em_agg_is_holistic(aggs[0].kind));
    assert_false(em_agg_is_holistic(call("stddev", a, 0, false).kind));
    em_error err = {0};
    em_batch_list out;
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 8, aggs, &out, &err), 0);
    char *t = rows_text(&out);
    assert_string_equal(t, "1|2.5|1.9|3.1|2|3|2|1|4\n"
                           "2|15|13|17|10|20|10|10|20\n"
                           "3|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL");
    em_free(t);
    em_batch_list_release(&out);

    /* holistic aggregates have no partial phase */
    assert_int_not_equal(agg_run(&in, EM_AGG_MODE_PARTIAL, 1, keys, 1, aggs, &out, &err), 0);
    assert_non_null(strstr(err.message, "one phase"));
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void test_percentile_types(void **state)
{
    (void)state;
    /* DOUBLE (with NaN last), DECIMAL and DATE inputs */
    double d[] = {1.5, NAN, -2.0, 0.5};
    int64_t dec[] = {125, -50, 300, 10}; /* DECIMAL(6,2) */
    int64_t day[] = {0, 3, 10, 1};
    em_vector *vd = tv_f64(4, d, NULL);
    em_vector *vdec = em_vector_create(em_type_decimal(6, 2), 4);
    em_vector *vday = em_vector_create(T(EM_TYPE_DATE), 4);
    for (int i = 0; i < 4; i++) {
        em_vector_append_i64(vdec, dec[i]);
        em_vector_append_i32(vday, (int32_t)day[i]);
    }
    em_batch_list in;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(3, vd, vdec, vday));
    em_expr *ed = col(0, T(EM_TYPE_DOUBLE)), *edec = col(1, em_type_decimal(6, 2)),
            *eday = col(2, T(EM_TYPE_DATE));
    em_agg_call aggs[] = {
        call("percentile_disc", ed, 1.0, false), call("percentile_disc", ed, 0.0, false),
        call("median", edec, 0.5, false),        call("percentile_disc", edec, 0.5, false),
        call("median", eday, 0.5, false),        call("percentile_disc", eday, 0.75, false),
    };
    assert_int_equal(aggs[2].type.id, EM_TYPE_DOUBLE);
    assert_int_equal(aggs[3].type.id, EM_TYPE_DECIMAL);
    assert_int_equal(aggs[4].type.id, EM_TYPE_TIMESTAMP);
    assert_int_equal(aggs[5].type.id, EM_TYPE_DATE);
    em_error err = {0};
    em_batch_list out;
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 0, NULL, 6, aggs, &out, &err), 0);
    char *t = rows_text(&out);
    /* median of 0, 1, 3, 10 days is day 2, i.e. 2 * 86400e6 microseconds */
    assert_string_equal(t, "nan|-2|0.675|0.10|172800000000|3");
    em_free(t);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

/* ---- INTERVAL in aggregation ------------------------------------------------------ */

static void test_interval_groups(void **state)
{
    (void)state;
    em_interval ivs[] = {{1, 0, 0}, {0, 30, 0}, {0, 1, 0}, {0, 0, 86400000000LL}, {0, 0, -5}};
    em_vector *k = em_vector_create(T(EM_TYPE_INTERVAL), 6);
    em_vector *v = em_vector_create(T(EM_TYPE_INTERVAL), 6);
    for (int i = 0; i < 5; i++) {
        em_vector_append_interval(k, ivs[i]);
        em_vector_append_interval(v, ivs[4 - i]);
    }
    em_vector_append_null(k);
    em_vector_append_null(v);
    em_batch_list in;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(2, k, v));
    em_expr *keys[] = {col(0, T(EM_TYPE_INTERVAL))};
    em_expr *e = col(1, T(EM_TYPE_INTERVAL));
    em_agg_call aggs[] = {call("count", NULL, 0, false), call("min", e, 0, false),
                          call("max", e, 0, false)};
    assert_int_equal(aggs[1].type.id, EM_TYPE_INTERVAL);
    em_error err = {0};
    em_batch_list out;
    assert_int_equal(agg_run(&in, EM_AGG_MODE_COMPLETE, 1, keys, 3, aggs, &out, &err), 0);
    /* 1 month = 30 days and 1 day = 24 hours: three groups and the NULL one */
    int64_t rows = 0;
    for (int64_t b = 0; b < out.count; b++) rows += out.items[b]->nrows;
    assert_int_equal(rows, 4);
    const em_batch *r = out.items[0];
    /* groups in first-seen order: 1 month, 1 day, -5us, NULL */
    assert_true(EM_VEC_I64(r->cols[1])[0] == 2);
    assert_true(EM_VEC_I64(r->cols[1])[1] == 2);
    assert_true(EM_VEC_I64(r->cols[1])[3] == 1);
    em_interval mn = EM_VEC_IV(r->cols[2])[0], mx = EM_VEC_IV(r->cols[3])[0];
    /* group "1 month" holds rows 0 and 1, whose values are -5us and 24h */
    assert_true(mn.micros == -5 && mn.days == 0);
    assert_true(mx.micros == 86400000000LL);
    assert_false(em_vector_is_valid(r->cols[2], 3));
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void test_interval_on_the_wire(void **state)
{
    (void)state;
    em_interval iv = {-14, 3, 4000001};
    em_expr *e = em_expr_const(g_arena, em_value_interval(iv));
    uint8_t *buf;
    size_t len;
    em_error err = {0};
    assert_int_equal(em_expr_serialize(e, &buf, &len, &err), 0);
    em_expr *back;
    assert_int_equal(em_expr_deserialize(buf, len, g_arena, -1, &back, &err), 0);
    em_free(buf);
    assert_int_equal(back->type.id, EM_TYPE_INTERVAL);
    assert_int_equal(back->value.v.iv.months, -14);
    assert_int_equal(back->value.v.iv.days, 3);
    assert_true(back->value.v.iv.micros == 4000001);
    assert_true(em_expr_equal(e, back));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variance_partial_final),
        cmocka_unit_test(test_variance_edges),
        cmocka_unit_test(test_hll_sketch),
        cmocka_unit_test(test_hll_merge),
        cmocka_unit_test(test_approx_count_distinct_partial_final),
        cmocka_unit_test(test_state_bytes),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test(test_percentile_types),
        cmocka_unit_test(test_interval_groups),
        cmocka_unit_test(test_interval_on_the_wire),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_ops.c — streaming operators (filter, project, limit, collect), the
 * pipeline driver (early stop, cancellation, statistics), sort (every key
 * type, DESC, NULL placement, stability, top-N) and the k-way merge source.
 */
#include <math.h>

#include "exec_test_util.h"

/* ---- a source that counts how many batches were pulled -------------------- */

typedef struct count_source {
    em_source base;
    em_source *inner;
    int pulled;
} count_source;

static int count_next(em_source *src, em_batch **out, em_error *err)
{
    count_source *c = (count_source *)src;
    int rc = c->inner->next(c->inner, out, err);
    if (rc == 0 && *out != NULL) c->pulled++;
    return rc;
}

static void count_destroy(em_source *src)
{
    count_source *c = (count_source *)src;
    c->inner->destroy(c->inner);
}

/* A sink that records how often finish was called. */
typedef struct finish_probe {
    em_op base;
    int finishes;
    int64_t rows;
} finish_probe;

static int probe_push(em_op *op, em_batch *b, em_error *err)
{
    ((finish_probe *)op)->rows += b->nrows;
    em_batch_destroy(b);
    return 0;
}

static int probe_finish(em_op *op, em_error *err)
{
    ((finish_probe *)op)->finishes++;
    return 0;
}

static void probe_destroy(em_op *op)
{
    EM_UNUSED(op); /* lives on the test's stack */
}

static const em_op_vtable probe_vt = {"Probe", probe_push, probe_finish, probe_destroy};

/* Batches of `per` rows holding 0..n-1 in column 0 and i % 3 == 0 in column 1. */
static void seq_batches(em_batch_list *l, int n, int per)
{
    em_batch_list_init(l);
    for (int start = 0; start < n; start += per) {
        int m = EM_MIN(per, n - start);
        int64_t x[4096];
        int f[4096];
        for (int i = 0; i < m; i++) {
            x[i] = start + i;
            f[i] = (start + i) % 3 == 0;
        }
        em_batch_list_push(l, tb_make(2, tv_i64(m, x), tv_bool(m, f)));
    }
}

static em_task_ctx g_ctx;

/* ---- filter / project ------------------------------------------------------ */

static void test_filter(void **state)
{
    em_arena *a = em_arena_create(4096);
    em_batch_list in, out;
    em_batch_list_init(&in);
    em_batch_list_init(&out);
    int64_t x1[] = {1, 2, 3, 4};
    int f1[] = {1, -1, 0, 1}; /* NULL and false both drop */
    int64_t x2[] = {5, 6};
    int f2[] = {0, 0}; /* nothing survives: no batch at all */
    int64_t x3[] = {7, 8, 9};
    int f3[] = {1, 1, 1}; /* everything survives: passed through */
    em_batch_list_push(&in, tb_make(2, tv_i64(4, x1), tv_bool(4, f1)));
    em_batch_list_push(&in, tb_make(2, tv_i64(2, x2), tv_bool(2, f2)));
    em_batch_list_push(&in, tb_make(2, tv_i64(3, x3), tv_bool(3, f3)));

    em_op *filter =
        em_op_filter_create(&g_ctx, em_expr_column(a, 1, em_type_make(EM_TYPE_BOOLEAN)));
    filter->next = em_op_collect_create(&g_ctx, &out);
    em_error err = {0};
    assert_int_equal(tp_run(&in, filter, &err), 0);
    assert_int_equal(out.count, 2);
    assert_ptr_equal(out.items[1]->cols[0], in.items[2]->cols[0]);
    const char *exp[] = {"1|t", "4|t", "7|t", "8|t", "9|t", NULL};
    tr_expect(&out, exp);
    em_batch_list_release(&in);
    em_batch_list_release(&out);
    em_arena_destroy(a);
}

static void test_project(void **state)
{
    em_arena *a = em_arena_create(4096);
    em_batch_list in, out;
    seq_batches(&in, 5, 2);
    em_batch_list_init(&out);
    em_expr *exprs[3] = {em_expr_column(a, 1, em_type_make(EM_TYPE_BOOLEAN)),
                         em_expr_column(a, 0, em_type_make(EM_TYPE_BIGINT)),
                         em_expr_column(a, 0, em_type_make(EM_TYPE_BIGINT))};
    em_op *p = em_op_project_create(&g_ctx, 3, exprs);
    p->next = em_op_collect_create(&g_ctx, &out);
    em_error err = {0};
    assert_int_equal(tp_run(&in, p, &err), 0);
    const char *exp[] = {"t|0|0", "f|1|1", "f|2|2", "t|3|3", "f|4|4", NULL};
    tr_expect(&out, exp);
    em_batch_list_release(&in);
    em_batch_list_release(&out);
    em_arena_destroy(a);
}

/* ---- limit ----------------------------------------------------------------- */

static void run_limit(int n, int per, int64_t limit, int64_t offset, int expect_pulled)
{
    em_batch_list in, out;
    seq_batches(&in, n, per);
    em_batch_list_init(&out);
    em_op *lim = em_op_limit_create(&g_ctx, limit, offset);
    em_op *col = em_op_collect_create(&g_ctx, &out);
    lim->next = col;
    count_source cs = {{count_next, count_destroy}, em_source_list_create(&in, 0, in.count), 0};
    em_error err = {0};
    assert_int_equal(em_pipeline_run(&g_ctx, &cs.base, lim, &err), 0);
    cs.base.destroy(&cs.base);
    em_op_chain_destroy(lim);

    trows r = tr_collect(&out);
    int64_t lo = EM_MIN(offset, n);
    int64_t hi = limit < 0 ? n : EM_MIN(n, offset + limit);
    assert_int_equal(r.n, hi - lo);
    for (int64_t i = 0; i < r.n; i++) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%lld|%s", (long long)(lo + i), (lo + i) % 3 == 0 ? "t" : "f");
        assert_string_equal(r.rows[i], buf);
    }
    tr_free(&r);
    if (expect_pulled >= 0) assert_int_equal(cs.pulled, expect_pulled);
    em_batch_list_release(&in);
    em_batch_list_release(&out);
}

static void test_limit_offset(void **state)
{
    run_limit(15, 5, 8, 3, 3);   /* rows 3..10: slices the first and third batch */
    run_limit(15, 5, 4, 0, 1);   /* satisfied inside batch 1: the source stops early */
    run_limit(15, 5, 5, 5, 2);   /* exactly batch 2 */
    run_limit(15, 5, -1, 7, 3);  /* offset only */
    run_limit(15, 5, 100, 0, 3); /* more than there is */
    run_limit(15, 5, 3, 20, 3);  /* offset past the end */
    run_limit(15, 5, 0, 0, 1);   /* LIMIT 0: done at the first batch */
    for (int off = 0; off < 12; off++)
        for (int lim = 0; lim < 12; lim++) run_limit(11, 3, lim, off, -1);
}

static void test_limit_done_still_finishes(void **state)
{
    em_batch_list in;
    seq_batches(&in, 10, 4);
    em_op *lim = em_op_limit_create(&g_ctx, 2, 0);
    finish_probe probe = {{&probe_vt, NULL, &g_ctx, {0}, -1, NULL}, 0, 0};
    lim->next = &probe.base;
    em_error err = {0};
    em_source *src = em_source_list_create(&in, 0, in.count);
    assert_int_equal(em_pipeline_run(&g_ctx, src, lim, &err), 0);
    src->destroy(src);
    assert_int_equal(probe.finishes, 1);
    assert_int_equal(probe.rows, 2);
    /* Statistics: the limit saw one batch of 4 rows and let 2 through. */
    assert_int_equal(lim->stats.rows_in, 4);
    assert_int_equal(lim->stats.batches_in, 1);
    assert_int_equal(lim->stats.rows_out, 2);
    assert_int_equal(probe.base.stats.rows_in, 2);
    assert_true(lim->stats.nanos >= 0);
    lim->vt->destroy(lim);
    em_batch_list_release(&in);
}

static void test_cancel(void **state)
{
    em_batch_list in, out;
    seq_batches(&in, 10, 4);
    em_batch_list_init(&out);
    volatile int cancel = 1;
    em_task_ctx ctx = {0};
    ctx.cancel = &cancel;
    em_op *col = em_op_collect_create(&ctx, &out);
    em_source *src = em_source_list_create(&in, 0, in.count);
    em_error err = {0};
    assert_int_equal(em_pipeline_run(&ctx, src, col, &err), EM_ECANCELED);
    assert_int_equal(err.code, EM_ECANCELED);
    assert_int_equal(out.count, 0);
    src->destroy(src);
    em_op_chain_destroy(col);
    em_batch_list_release(&in);
    em_batch_list_release(&out);
}

static void test_source_list_range(void **state)
{
    em_batch_list in, out;
    seq_batches(&in, 10, 2); /* 5 batches */
    em_batch_list_init(&out);
    em_op *col = em_op_collect_create(&g_ctx, &out);
    em_source *src = em_source_list_create(&in, 1, 2);
    em_error err = {0};
    assert_int_equal(em_pipeline_run(&g_ctx, src, col, &err), 0);
    src->destroy(src);
    em_op_chain_destroy(col);
    const char *exp[] = {"2|f", "3|t", "4|f", "5|f", NULL};
    tr_expect(&out, exp);
    assert_ptr_equal(out.items[0]->cols[0], in.items[1]->cols[0]); /* shared, not copied */
    em_batch_list_release(&in);
    em_batch_list_release(&out);
}

/* ---- sort ------------------------------------------------------------------ */

static int sort_into(const em_batch_list *in, int nkeys, const em_sort_key *keys, int64_t limit,
                     em_batch_list *out)
{
    em_batch_list_init(out);
    em_op *s = em_op_sort_create(&g_ctx, nkeys, keys, limit);
    s->next = em_op_collect_create(&g_ctx, out);
    em_error err = {0};
    return tp_run(in, s, &err);
}

static void test_sort_basic_types(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    /* Column 0 is the row's input position, to observe stability. */
    int64_t pos1[] = {0, 1, 2, 3, 4};
    int64_t iv1[] = {5, TNULL, -3, 5, 0};
    const char *sv1[] = {"b", "ab", NULL, "a", "b"};
    double dv1[] = {1.5, NAN, -0.0, -INFINITY, 2};
    int64_t pos2[] = {5, 6, 7, 8};
    int64_t iv2[] = {-3, 7, TNULL, 5};
    const char *sv2[] = {"", "a\xff", "abc", "b"};
    double dv2[] = {0.0, INFINITY, 1.5, 0};
    bool dn2[] = {false, false, true, false};
    em_batch_list_push(
        &in, tb_make(4, tv_i64(5, pos1), tv_i32(5, iv1), tv_str(5, sv1), tv_f64(5, dv1, NULL)));
    em_batch_list_push(
        &in, tb_make(4, tv_i64(4, pos2), tv_i32(4, iv2), tv_str(4, sv2), tv_f64(4, dv2, dn2)));

    /* INTEGER ascending, NULLS LAST: equal keys keep input order. */
    em_sort_key k1[] = {{1, false, false}};
    assert_int_equal(sort_into(&in, 1, k1, -1, &out), 0);
    const char *e1[] = {"2", "5", "4", "0", "3", "8", "6", "1", "7", NULL};
    trows r = tr_collect(&out);
    assert_int_equal(r.n, 9);
    for (int i = 0; i < 9; i++) assert_int_equal(atoi(r.rows[i]), atoi(e1[i]));
    tr_free(&r);
    em_batch_list_release(&out);

    /* INTEGER DESC NULLS FIRST. */
    em_sort_key k2[] = {{1, true, true}};
    assert_int_equal(sort_into(&in, 1, k2, -1, &out), 0);
    const char *e2[] = {"1", "7", "6", "0", "3", "8", "4", "2", "5", NULL};
    r = tr_collect(&out);
    for (int i = 0; i < 9; i++) assert_int_equal(atoi(r.rows[i]), atoi(e2[i]));
    tr_free(&r);
    em_batch_list_release(&out);

    /* VARCHAR bytewise (0xff after ASCII), shorter prefix first, NULLS FIRST. */
    em_sort_key k3[] = {{2, false, true}};
    assert_int_equal(sort_into(&in, 1, k3, -1, &out), 0);
    const char *e3[] = {"2", "5", "3", "1", "7", "6", "0", "4", "8", NULL};
    r = tr_collect(&out);
    for (int i = 0; i < 9; i++) assert_int_equal(atoi(r.rows[i]), atoi(e3[i]));
    tr_free(&r);
    em_batch_list_release(&out);

    /* DOUBLE: -inf < -0 = 0 = 0 < 1.5 < 2 < inf < NaN, NULLS LAST. */
    em_sort_key k4[] = {{3, false, false}};
    assert_int_equal(sort_into(&in, 1, k4, -1, &out), 0);
    const char *e4[] = {"3", "2", "5", "8", "0", "4", "6", "1", "7", NULL};
    r = tr_collect(&out);
    for (int i = 0; i < 9; i++) assert_int_equal(atoi(r.rows[i]), atoi(e4[i]));
    tr_free(&r);
    em_batch_list_release(&out);

    /* DOUBLE DESC NULLS LAST: NaN first. */
    em_sort_key k5[] = {{3, true, false}};
    assert_int_equal(sort_into(&in, 1, k5, -1, &out), 0);
    const char *e5[] = {"1", "6", "4", "0", "2", "5", "8", "3", "7", NULL};
    r = tr_collect(&out);
    for (int i = 0; i < 9; i++) assert_int_equal(atoi(r.rows[i]), atoi(e5[i]));
    tr_free(&r);
    em_batch_list_release(&out);

    /* Two keys: INTEGER DESC NULLS LAST, then VARCHAR DESC. */
    em_sort_key k6[] = {{1, true, false}, {2, true, false}};
    assert_int_equal(sort_into(&in, 2, k6, -1, &out), 0);
    const char *e6[] = {"6", "0", "8", "3", "4", "5", "2", "7", "1", NULL};
    r = tr_collect(&out);
    for (int i = 0; i < 9; i++) assert_int_equal(atoi(r.rows[i]), atoi(e6[i]));
    tr_free(&r);
    em_batch_list_release(&out);

    /* Top-3 of the same. */
    assert_int_equal(sort_into(&in, 2, k6, 3, &out), 0);
    r = tr_collect(&out);
    assert_int_equal(r.n, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(atoi(r.rows[i]), atoi(e6[i]));
    tr_free(&r);
    em_batch_list_release(&out);

    em_batch_list_release(&in);
}

/* Random data with every key type: position, BIGINT, INTEGER, VARCHAR,
 * DOUBLE, DATE, DECIMAL, BOOLEAN, TIMESTAMP (few distinct values each so
 * that ties and multi-key ordering matter), NULLs everywhere but column 0. */
#define RCOLS 9
static void random_batches(em_batch_list *l, int n, int per, uint64_t seed)
{
    em_batch_list_init(l);
    uint64_t s = seed;
    int64_t pos = 0;
    for (int start = 0; start < n; start += per) {
        int m = EM_MIN(per, n - start);
        em_vector *v[RCOLS];
        v[0] = em_vector_create(em_type_make(EM_TYPE_BIGINT), m);
        v[1] = em_vector_create(em_type_make(EM_TYPE_BIGINT), m);
        v[2] = em_vector_create(em_type_make(EM_TYPE_INTEGER), m);
        v[3] = em_vector_create(em_type_make(EM_TYPE_VARCHAR), m);
        v[4] = em_vector_create(em_type_make(EM_TYPE_DOUBLE), m);
        v[5] = em_vector_create(em_type_make(EM_TYPE_DATE), m);
        v[6] = em_vector_create(em_type_decimal(12, 2), m);
        v[7] = em_vector_create(em_type_make(EM_TYPE_BOOLEAN), m);
        v[8] = em_vector_create(em_type_make(EM_TYPE_TIMESTAMP), m);
        /* Shared 8- and 16-byte prefixes, embedded NULs ("ab" < "ab\0" <
         * "ab\0\1"), bytes above 0x7f. */
        static const struct {
            const char *p;
            int32_t len;
        } words[] = {
            {"", 0},
            {"a", 1},
            {"ab", 2},
            {"ab\0", 3},
            {"ab\0\1", 4},
            {"abcdefgh", 8},
            {"abcdefghi", 9},
            {"abcdefghj", 9},
            {"b", 1},
            {"zz", 2},
            {"\xc3\xa9t\xc3\xa9", 6},
            {"common-prefix-16-bytes-a", 24},
            {"common-prefix-16-bytes-b", 24},
            {"common-prefix-16-bytes", 22},
            {"common-prefix-16-bytes\0", 23},
        };
        enum { NWORDS = sizeof(words) / sizeof(words[0]) };
        static const double dbl[] = {-1e300, -2.5, -0.0, 0.0, 1.0, 3.25, INFINITY, NAN};
        for (int i = 0; i < m; i++) {
            em_vector_append_i64(v[0], pos++);
            for (int c = 1; c < RCOLS; c++) {
                uint64_t r = trand(&s);
                if (r % 10 == 0) {
                    em_vector_append_null(v[c]);
                    continue;
                }
                r /= 10;
                switch (c) {
                case 1:
                    em_vector_append_i64(v[c], (int64_t)(r % 7) - 3 + (r % 2 ? INT64_MIN / 2 : 0));
                    break;
                case 2:
                    em_vector_append_i32(v[c], (int32_t)(r % 5) - 2);
                    break;
                case 3:
                    em_vector_append_str(v[c], words[r % NWORDS].p, words[r % NWORDS].len);
                    break;
                case 4:
                    em_vector_append_f64(v[c], dbl[r % 8]);
                    break;
                case 5:
                    em_vector_append_i32(v[c], (int32_t)(r % 4) * 1000 - 1500);
                    break;
                case 6:
                    em_vector_append_i64(v[c], (int64_t)(r % 6) * 125 - 300);
                    break;
                case 7:
                    em_vector_append_bool(v[c], r % 2);
                    break;
                case 8:
                    em_vector_append_i64(v[c], (int64_t)(r % 3) * 86400000000LL);
                    break;
                }
            }
        }
        em_batch *b = em_batch_create(RCOLS);
        for (int c = 0; c < RCOLS; c++) em_batch_set_col(b, c, v[c]);
        b->nrows = m;
        em_batch_list_push(l, b);
    }
}

/* Reference: insertion order of (batch, row) pairs sorted with a plain
 * comparison on em_sort_compare_rows plus position, i.e. a stable sort. */
typedef struct ref_row {
    const em_batch *b;
    int64_t i;
    int64_t seq;
} ref_row;
static int g_ref_nkeys;
static const em_sort_key *g_ref_keys;
static int ref_cmp(const void *x, const void *y)
{
    const ref_row *a = x, *b = y;
    int r = em_sort_compare_rows(a->b, a->i, b->b, b->i, g_ref_nkeys, g_ref_keys);
    if (r != 0) return r;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/* Expected positions (column 0) after a stable sort of the concatenated lists. */
static int64_t *reference_order(const em_batch_list *const *lists, int nlists, int nkeys,
                                const em_sort_key *keys, int64_t *n_out)
{
    int64_t n = 0;
    for (int li = 0; li < nlists; li++)
        for (int64_t b = 0; b < lists[li]->count; b++) n += lists[li]->items[b]->nrows;
    ref_row *rows = calloc((size_t)n + 1, sizeof(ref_row));
    int64_t k = 0;
    for (int li = 0; li < nlists; li++)
        for (int64_t b = 0; b < lists[li]->count; b++)
            for (int64_t i = 0; i < lists[li]->items[b]->nrows; i++) {
                rows[k].b = lists[li]->items[b];
                rows[k].i = i;
                rows[k].seq = k;
                k++;
            }
    g_ref_nkeys = nkeys;
    g_ref_keys = keys;
    qsort(rows, (size_t)k, sizeof(ref_row), ref_cmp);
    int64_t *pos = calloc((size_t)k + 1, sizeof(int64_t));
    for (int64_t i = 0; i < k; i++) pos[i] = EM_VEC_I64(rows[i].b->cols[0])[rows[i].i];
    free(rows);
    *n_out = k;
    return pos;
}

static void check_positions(const em_batch_list *out, const int64_t *expect, int64_t n)
{
    int64_t k = 0;
    for (int64_t b = 0; b < out->count; b++) {
        assert_true(out->items[b]->nrows <= EM_BATCH_ROWS);
        for (int64_t i = 0; i < out->items[b]->nrows; i++) {
            assert_true(k < n);
            int64_t got = EM_VEC_I64(out->items[b]->cols[0])[i];
            if (got != expect[k])
                fail_msg("row %lld: position %lld, expected %lld", (long long)k, (long long)got,
                         (long long)expect[k]);
            k++;
        }
    }
    assert_int_equal(k, n);
}

static void test_sort_random_all_types(void **state)
{
    em_batch_list in;
    random_batches(&in, 5000, 777, 42);
    const em_batch_list *lists[] = {&in};
    uint64_t s = 7;
    for (int trial = 0; trial < 40; trial++) {
        int nkeys = 1 + (int)(trand(&s) % 3);
        em_sort_key keys[3];
        for (int k = 0; k < nkeys; k++) {
            keys[k].column = 1 + (int)(trand(&s) % (RCOLS - 1));
            keys[k].desc = trand(&s) % 2;
            keys[k].nulls_first = trand(&s) % 2;
        }
        int64_t n;
        int64_t *exp = reference_order(lists, 1, nkeys, keys, &n);
        int64_t limits[] = {-1, 0, 1, 10, 4096, 4999, 5000, 7000, INT64_MAX};
        int64_t limit = limits[trial % 9];
        em_batch_list out;
        assert_int_equal(sort_into(&in, nkeys, keys, limit, &out), 0);
        check_positions(&out, exp, limit >= 0 ? EM_MIN(limit, n) : n);
        em_batch_list_release(&out);
        free(exp);
    }
    em_batch_list_release(&in);
}

static void test_sort_large(void **state)
{
    /* Past the cache-sized radix pieces, with string and multi-key ties. */
    em_batch_list in;
    random_batches(&in, 80000, 2048, 5);
    const em_batch_list *lists[] = {&in};
    em_sort_key k1[] = {{3, false, true}, {2, true, false}};
    em_sort_key k2[] = {{1, true, true}, {4, false, false}, {3, true, true}};
    em_sort_key k3[] = {{6, false, false}};
    const em_sort_key *ks[] = {k1, k2, k3};
    int nks[] = {2, 3, 1};
    for (int t = 0; t < 3; t++) {
        int64_t n;
        int64_t *exp = reference_order(lists, 1, nks[t], ks[t], &n);
        em_batch_list out;
        assert_int_equal(sort_into(&in, nks[t], ks[t], -1, &out), 0);
        check_positions(&out, exp, n);
        em_batch_list_release(&out);
        free(exp);
    }
    em_batch_list_release(&in);
}

static void test_sort_top_n_large(void **state)
{
    /* Enough rows for several compactions of the top-N buffer. */
    em_batch_list in;
    random_batches(&in, 60000, 2048, 99);
    const em_batch_list *lists[] = {&in};
    em_sort_key keys[] = {{3, true, true}, {1, false, false}, {4, false, true}};
    int64_t n;
    int64_t *exp = reference_order(lists, 1, 3, keys, &n);
    int64_t limits[] = {1, 7, 100, 5000, 20000};
    for (int t = 0; t < 5; t++) {
        em_batch_list out;
        assert_int_equal(sort_into(&in, 3, keys, limits[t], &out), 0);
        check_positions(&out, exp, limits[t]);
        em_batch_list_release(&out);
    }
    free(exp);
    em_batch_list_release(&in);
}

static void test_sort_empty(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    em_sort_key keys[] = {{0, false, false}};
    assert_int_equal(sort_into(&in, 1, keys, -1, &out), 0);
    assert_int_equal(out.count, 0);
    em_batch_list_release(&out);
}

/* ---- merge ----------------------------------------------------------------- */

static void test_merge_runs(void **state)
{
    em_sort_key keys[] = {{2, false, true}, {3, true, false}};
    enum { NRUNS = 5 };
    em_batch_list raw[NRUNS], sorted[NRUNS];
    const em_batch_list *raw_ptrs[NRUNS], *sorted_ptrs[NRUNS];
    for (int r = 0; r < NRUNS; r++) {
        /* Uneven runs, one of them empty. */
        int n = r == 2 ? 0 : 500 + 1700 * r;
        random_batches(&raw[r], n, 600, 1000 + (uint64_t)r);
        /* Make positions global across runs. */
        for (int64_t b = 0; b < raw[r].count; b++) {
            em_vector *p = raw[r].items[b]->cols[0];
            for (int64_t i = 0; i < p->length; i++) EM_VEC_I64(p)[i] += 100000 * r;
        }
        assert_int_equal(sort_into(&raw[r], 2, keys, -1, &sorted[r]), 0);
        raw_ptrs[r] = &raw[r];
        sorted_ptrs[r] = &sorted[r];
    }
    int64_t n;
    int64_t *exp = reference_order(raw_ptrs, NRUNS, 2, keys, &n);

    em_source *m = em_source_merge_create(NRUNS, sorted_ptrs, 2, keys);
    em_batch_list out;
    em_batch_list_init(&out);
    em_op *col = em_op_collect_create(&g_ctx, &out);
    em_error err = {0};
    assert_int_equal(em_pipeline_run(&g_ctx, m, col, &err), 0);
    m->destroy(m);
    em_op_chain_destroy(col);
    check_positions(&out, exp, n);
    for (int64_t b = 0; b + 1 < out.count; b++)
        assert_int_equal(out.items[b]->nrows, EM_BATCH_ROWS);

    free(exp);
    em_batch_list_release(&out);
    for (int r = 0; r < NRUNS; r++) {
        em_batch_list_release(&raw[r]);
        em_batch_list_release(&sorted[r]);
    }
}

static void test_merge_no_runs(void **state)
{
    em_sort_key keys[] = {{0, false, false}};
    em_source *m = em_source_merge_create(0, NULL, 1, keys);
    em_batch *b = (em_batch *)1;
    em_error err = {0};
    assert_int_equal(m->next(m, &b, &err), 0);
    assert_null(b);
    m->destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter),           cmocka_unit_test(test_project),
        cmocka_unit_test(test_limit_offset),     cmocka_unit_test(test_limit_done_still_finishes),
        cmocka_unit_test(test_cancel),           cmocka_unit_test(test_source_list_range),
        cmocka_unit_test(test_sort_basic_types), cmocka_unit_test(test_sort_random_all_types),
        cmocka_unit_test(test_sort_large),       cmocka_unit_test(test_sort_top_n_large),
        cmocka_unit_test(test_sort_empty),       cmocka_unit_test(test_merge_runs),
        cmocka_unit_test(test_merge_no_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

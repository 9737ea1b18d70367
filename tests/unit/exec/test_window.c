/*
 * test_window.c — the window operator: every function and frame kind on small
 * hand-checked inputs (ties, NULL values and keys, DESC, several partitions,
 * partitions spread over input batches), output batch boundaries, a LIMIT
 * downstream, errors, large random inputs checked against a naive reference
 * computed here from the definitions (every row's frame found by testing
 * every row of its partition), and spilling under a small memory pool.
 */
#include <math.h>
#include <unistd.h>

#include "exec_test_util.h"

static em_task_ctx g_ctx;

#define TY(id) em_type_make(EM_TYPE_##id)

/* ---- building calls ---------------------------------------------------------------- */

static em_window_frame frame_of(bool rows, em_frame_bound s, em_value so, em_frame_bound e,
                                em_value eo)
{
    em_window_frame f;
    memset(&f, 0, sizeof(f));
    f.rows = rows;
    f.start = s;
    f.end = e;
    f.start_offset = so;
    f.end_offset = eo;
    return f;
}

#define BI(x) em_value_bigint(x)
#define FR_ROWS(s, so, e, eo) frame_of(true, EM_BOUND_##s, BI(so), EM_BOUND_##e, BI(eo))
#define FR_RANGE(s, so, e, eo) frame_of(false, EM_BOUND_##s, BI(so), EM_BOUND_##e, BI(eo))
#define FR_RANGE_V(s, so, e, eo) frame_of(false, EM_BOUND_##s, so, EM_BOUND_##e, eo)
#define FR_DEFAULT FR_RANGE(UNBOUNDED_PRECEDING, 0, CURRENT_ROW, 0)
#define FR_WHOLE FR_RANGE(UNBOUNDED_PRECEDING, 0, UNBOUNDED_FOLLOWING, 0)

static em_window_call wc_rank(em_window_kind k)
{
    em_window_call c;
    memset(&c, 0, sizeof(c));
    c.kind = k;
    c.type = (k == EM_WINDOW_PERCENT_RANK || k == EM_WINDOW_CUME_DIST) ? TY(DOUBLE) : TY(BIGINT);
    c.frame = FR_DEFAULT;
    return c;
}

static em_window_call wc_ntile(int64_t buckets)
{
    em_window_call c = wc_rank(EM_WINDOW_NTILE);
    c.offset = buckets;
    return c;
}

static em_window_call wc_value(em_window_kind k, const em_expr *arg, int64_t offset,
                               const em_expr *deflt, em_window_frame f)
{
    em_window_call c;
    memset(&c, 0, sizeof(c));
    c.kind = k;
    c.arg = arg;
    c.offset = offset;
    c.deflt = deflt;
    c.frame = f;
    c.type = arg->type;
    return c;
}

/* An aggregate with the result type em_agg_resolve gives it. */
static em_window_call wc_agg(em_agg_kind k, const em_expr *arg, em_window_frame f)
{
    em_window_call c;
    memset(&c, 0, sizeof(c));
    c.kind = EM_WINDOW_AGG;
    c.agg = k;
    c.arg = arg;
    c.frame = f;
    em_error err;
    em_type ret = TY(BIGINT);
    if (k != EM_AGG_COUNT_STAR) {
        em_agg_kind got;
        assert_int_equal(em_agg_resolve(em_agg_name(k), false, arg->type, &got, &ret, &err), 0);
    }
    c.type = ret;
    return c;
}

static em_window_call wc_distinct(em_agg_kind k, const em_expr *arg, em_window_frame f)
{
    em_window_call c = wc_agg(k, arg, f);
    c.distinct = true;
    return c;
}

static em_sort_key okey(int column, bool desc, bool nulls_first)
{
    em_sort_key k = {column, desc, nulls_first};
    return k;
}

/* Run calls over `in` into *out (initialised here). */
static int run_window(const em_batch_list *in, int npart, const int *part, int norder,
                      const em_sort_key *order, int ncalls, const em_window_call *calls,
                      em_batch_list *out, em_error *err)
{
    em_batch_list_init(out);
    em_op *w = em_op_window_create(&g_ctx, npart, part, norder, order, ncalls, calls);
    w->next = em_op_collect_create(&g_ctx, out);
    return tp_run(in, w, err);
}

static void run_ok(const em_batch_list *in, int npart, const int *part, int norder,
                   const em_sort_key *order, int ncalls, const em_window_call *calls,
                   em_batch_list *out)
{
    em_error err;
    memset(&err, 0, sizeof(err));
    int rc = run_window(in, npart, part, norder, order, ncalls, calls, out, &err);
    if (rc != 0) fail_msg("window failed: %s", err.message);
}

/* Split the rows of one batch into batches of `per` rows. */
static void split_into(em_batch_list *l, em_batch *b, int64_t per)
{
    em_batch_list_init(l);
    for (int64_t at = 0; at < b->nrows; at += per)
        em_batch_list_push(l, em_batch_slice(b, at, EM_MIN(per, b->nrows - at)));
    em_batch_destroy(b);
}

/* ---- ranking ------------------------------------------------------------------------------- */

/* (id, p, o): p = NULL forms its own (first) partition; o has ties and a NULL. */
static em_batch *rank_data(void)
{
    int64_t id[] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t p[] = {1, 1, 1, 1, 1, 2, 2, TNULL};
    int64_t o[] = {10, 20, 20, TNULL, 30, 5, 5, 1};
    return tb_make(3, tv_i64(8, id), tv_i64(8, p), tv_i64(8, o));
}

static void test_ranking(void **state)
{
    em_window_call calls[] = {wc_rank(EM_WINDOW_ROW_NUMBER), wc_rank(EM_WINDOW_RANK),
                              wc_rank(EM_WINDOW_DENSE_RANK), wc_rank(EM_WINDOW_PERCENT_RANK),
                              wc_rank(EM_WINDOW_CUME_DIST),  wc_ntile(3)};
    int part[] = {1};
    em_sort_key order[] = {okey(2, false, false)};
    const char *expected[] = {
        "8|NULL|1|1|1|1|0|1|1",    "1|1|10|1|1|1|0|0.2|1",    "2|1|20|2|2|2|0.25|0.6|1",
        "3|1|20|3|2|2|0.25|0.6|2", "5|1|30|4|4|3|0.75|0.8|2", "4|1|NULL|5|5|4|1|1|3",
        "6|2|5|1|1|1|0|1|1",       "7|2|5|2|1|1|0|1|2",       NULL};
    /* One batch, then batches of 3 rows so that partitions span batches. */
    for (int per = 8; per >= 3; per -= 5) {
        em_batch_list in, out;
        split_into(&in, rank_data(), per);
        run_ok(&in, 1, part, 1, order, 6, calls, &out);
        tr_expect(&out, expected);
        em_batch_list_release(&in);
        em_batch_list_release(&out);
    }
}

static void test_ranking_desc(void **state)
{
    /* DESC NULLS FIRST: the NULL key ranks first in partition 1. */
    em_window_call calls[] = {wc_rank(EM_WINDOW_ROW_NUMBER), wc_rank(EM_WINDOW_RANK),
                              wc_rank(EM_WINDOW_DENSE_RANK), wc_rank(EM_WINDOW_CUME_DIST)};
    int part[] = {1};
    em_sort_key order[] = {okey(2, true, true)};
    const char *expected[] = {"8|NULL|1|1|1|1|1", "4|1|NULL|1|1|1|0.2", "5|1|30|2|2|2|0.4",
                              "2|1|20|3|3|3|0.8", "3|1|20|4|3|3|0.8",   "1|1|10|5|5|4|1",
                              "6|2|5|1|1|1|1",    "7|2|5|2|1|1|1",      NULL};
    em_batch_list in, out;
    split_into(&in, rank_data(), 2);
    run_ok(&in, 1, part, 1, order, 4, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&in);
    em_batch_list_release(&out);
}

static void test_ntile(void **state)
{
    /* 7 rows: NTILE(3) gives buckets of 3, 2, 2; NTILE(10) one row per
     * bucket; NTILE(7) likewise; NTILE(2) 4 + 3. */
    int64_t id[] = {1, 2, 3, 4, 5, 6, 7};
    em_batch_list in, out;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(1, tv_i64(7, id)));
    em_window_call calls[] = {wc_ntile(3), wc_ntile(10), wc_ntile(7), wc_ntile(2), wc_ntile(1)};
    em_sort_key order[] = {okey(0, false, false)};
    const char *expected[] = {"1|1|1|1|1|1", "2|1|2|2|1|1", "3|1|3|3|1|1", "4|2|4|4|1|1",
                              "5|2|5|5|2|1", "6|3|6|6|2|1", "7|3|7|7|2|1", NULL};
    run_ok(&in, 0, NULL, 1, order, 5, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);

    /* The bucket count as a constant argument; NULL gives NULL. */
    em_arena *a = em_arena_create(1024);
    em_window_call c2[] = {wc_rank(EM_WINDOW_NTILE), wc_rank(EM_WINDOW_NTILE)};
    c2[0].arg = em_expr_const(a, em_value_int(4));
    c2[1].arg = em_expr_const(a, em_value_null(TY(INTEGER)));
    const char *expected2[] = {"1|1|NULL", "2|1|NULL", "3|2|NULL", "4|2|NULL",
                               "5|3|NULL", "6|3|NULL", "7|4|NULL", NULL};
    run_ok(&in, 0, NULL, 1, order, 2, c2, &out);
    tr_expect(&out, expected2);
    em_batch_list_release(&out);
    em_arena_destroy(a);
    em_batch_list_release(&in);
}

/* ---- LAG / LEAD ------------------------------------------------------------------------- */

static void test_lag_lead(void **state)
{
    int64_t id[] = {4, 1, 6, 2, 5, 3};
    int64_t p[] = {1, 1, 2, 1, 2, 1};
    int64_t v[] = {40, 10, 60, TNULL, 50, 30};
    const char *s[] = {"d", "a", "f", NULL, "e", "c"};
    em_batch *b = tb_make(4, tv_i64(6, id), tv_i64(6, p), tv_i32(6, v), tv_str(6, s));
    em_batch_list in, out;
    split_into(&in, b, 4);
    em_arena *a = em_arena_create(1024);
    const em_expr *vx = em_expr_column(a, 2, TY(INTEGER));
    const em_expr *sx = em_expr_column(a, 3, TY(VARCHAR));
    const em_expr *m1 = em_expr_const(a, em_value_int(-1));
    const em_expr *none = em_expr_const(a, em_value_varchar("none", 4));
    em_window_call calls[] = {
        wc_value(EM_WINDOW_LAG, vx, 1, NULL, FR_DEFAULT),
        wc_value(EM_WINDOW_LAG, vx, 2, m1, FR_DEFAULT),
        wc_value(EM_WINDOW_LEAD, vx, 1, NULL, FR_DEFAULT),
        wc_value(EM_WINDOW_LEAD, vx, 2, m1, FR_DEFAULT),
        wc_value(EM_WINDOW_LAG, vx, 0, NULL, FR_DEFAULT),
        wc_value(EM_WINDOW_LAG, vx, -1, NULL, FR_DEFAULT),
        wc_value(EM_WINDOW_LEAD, vx, INT64_MAX, m1, FR_DEFAULT),
        wc_value(EM_WINDOW_LAG, vx, INT64_MIN, m1, FR_DEFAULT),
        wc_value(EM_WINDOW_LAG, sx, 1, none, FR_DEFAULT),
        wc_value(EM_WINDOW_LEAD, vx, 1, NULL, FR_DEFAULT),
    };
    /* The last call returns BIGINT: the INTEGER argument is cast. */
    calls[9].type = TY(BIGINT);
    int part[] = {1};
    em_sort_key order[] = {okey(0, false, false)};
    const char *expected[] = {"1|1|10|'a'|NULL|-1|NULL|30|10|NULL|-1|-1|'none'|NULL",
                              "2|1|NULL|NULL|10|-1|30|40|NULL|30|-1|-1|'a'|30",
                              "3|1|30|'c'|NULL|10|40|-1|30|40|-1|-1|NULL|40",
                              "4|1|40|'d'|30|NULL|NULL|-1|40|NULL|-1|-1|'c'|NULL",
                              "5|2|50|'e'|NULL|-1|60|-1|50|60|-1|-1|'none'|60",
                              "6|2|60|'f'|50|-1|NULL|-1|60|NULL|-1|-1|'e'|NULL",
                              NULL};
    run_ok(&in, 1, part, 1, order, 10, calls, &out);
    tr_expect(&out, expected);
    assert_int_equal(out.items[0]->cols[13]->type.id, EM_TYPE_BIGINT);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

/* ---- FIRST_VALUE / LAST_VALUE / NTH_VALUE ---------------------------------------------- */

static void test_first_last_nth(void **state)
{
    int64_t id[] = {3, 5, 1, 4, 2};
    int64_t p[] = {1, 2, 1, 1, 1};
    int64_t o[] = {2, 1, 1, 3, 2};
    int64_t v[] = {30, 50, TNULL, 40, 20};
    em_batch_list in, out;
    split_into(&in, tb_make(4, tv_i64(5, id), tv_i64(5, p), tv_i64(5, o), tv_i64(5, v)), 2);
    em_arena *a = em_arena_create(1024);
    const em_expr *vx = em_expr_column(a, 3, TY(BIGINT));
    em_window_call calls[] = {
        wc_value(EM_WINDOW_FIRST_VALUE, vx, 0, NULL, FR_DEFAULT),
        wc_value(EM_WINDOW_LAST_VALUE, vx, 0, NULL, FR_DEFAULT),
        wc_value(EM_WINDOW_NTH_VALUE, vx, 2, NULL, FR_DEFAULT),
        wc_value(EM_WINDOW_FIRST_VALUE, vx, 0, NULL, FR_ROWS(PRECEDING, 1, FOLLOWING, 1)),
        wc_value(EM_WINDOW_LAST_VALUE, vx, 0, NULL, FR_ROWS(PRECEDING, 1, FOLLOWING, 1)),
        wc_value(EM_WINDOW_NTH_VALUE, vx, 3, NULL,
                 FR_ROWS(UNBOUNDED_PRECEDING, 0, UNBOUNDED_FOLLOWING, 0)),
        wc_value(EM_WINDOW_FIRST_VALUE, vx, 0, NULL, FR_ROWS(FOLLOWING, 1, FOLLOWING, 2)),
    };
    int part[] = {1};
    em_sort_key order[] = {okey(2, false, false)};
    /* id 2 and 3 are peers: the default frame of both ends at id 3. */
    const char *expected[] = {
        "1|1|1|NULL|NULL|NULL|NULL|NULL|20|30|20", "2|1|2|20|NULL|30|20|NULL|30|30|30",
        "3|1|2|30|NULL|30|20|20|40|30|40",         "4|1|3|40|NULL|40|20|30|40|30|NULL",
        "5|2|1|50|50|50|NULL|50|50|NULL|NULL",     NULL};
    /* Stable sort: id 2 comes before id 3 only if it is first in the input;
     * make it so by sorting on (o, id). */
    em_sort_key order2[] = {okey(2, false, false), okey(0, false, false)};
    run_ok(&in, 1, part, 2, order2, 7, calls, &out);
    /* With two ORDER BY keys id 2 and 3 are no longer peers: the default
     * frame of id 2 ends at id 2. */
    const char *expected_two_keys[] = {
        "1|1|1|NULL|NULL|NULL|NULL|NULL|20|30|20", "2|1|2|20|NULL|20|20|NULL|30|30|30",
        "3|1|2|30|NULL|30|20|20|40|30|40",         "4|1|3|40|NULL|40|20|30|40|30|NULL",
        "5|2|1|50|50|50|NULL|50|50|NULL|NULL",     NULL};
    tr_expect(&out, expected_two_keys);
    em_batch_list_release(&out);
    em_batch_list_release(&in);

    /* Peers with a single key: feed id 2 before id 3. */
    int64_t id2[] = {2, 3, 5, 1, 4};
    int64_t p2[] = {1, 1, 2, 1, 1};
    int64_t o2[] = {2, 2, 1, 1, 3};
    int64_t v2[] = {20, 30, 50, TNULL, 40};
    split_into(&in, tb_make(4, tv_i64(5, id2), tv_i64(5, p2), tv_i64(5, o2), tv_i64(5, v2)), 3);
    run_ok(&in, 1, part, 1, order, 7, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

/* ---- aggregates over ROWS frames --------------------------------------------------------- */

static void test_agg_rows(void **state)
{
    int64_t id[] = {1, 2, 3, 4, 5, 6};
    int64_t v[] = {1, 2, TNULL, 4, 5, 6};
    em_batch_list in, out;
    split_into(&in, tb_make(2, tv_i64(6, id), tv_i64(6, v)), 4);
    em_arena *a = em_arena_create(1024);
    const em_expr *vx = em_expr_column(a, 1, TY(BIGINT));
    em_window_frame r11 = FR_ROWS(PRECEDING, 1, FOLLOWING, 1);
    em_window_call calls[] = {
        wc_agg(EM_AGG_SUM, vx, r11),
        wc_agg(EM_AGG_COUNT, vx, r11),
        wc_agg(EM_AGG_COUNT_STAR, vx, r11),
        wc_agg(EM_AGG_AVG, vx, r11),
        wc_agg(EM_AGG_MIN, vx, FR_ROWS(PRECEDING, 2, CURRENT_ROW, 0)),
        wc_agg(EM_AGG_MAX, vx, FR_ROWS(CURRENT_ROW, 0, FOLLOWING, 1)),
        wc_agg(EM_AGG_SUM, vx, FR_ROWS(PRECEDING, 2, PRECEDING, 1)),
        wc_agg(EM_AGG_SUM, vx, FR_ROWS(FOLLOWING, 1, FOLLOWING, 3)),
        wc_agg(EM_AGG_SUM, vx, FR_ROWS(UNBOUNDED_PRECEDING, 0, CURRENT_ROW, 0)),
        wc_agg(EM_AGG_COUNT_STAR, vx, FR_ROWS(UNBOUNDED_PRECEDING, 0, UNBOUNDED_FOLLOWING, 0)),
        wc_agg(EM_AGG_SUM, vx, FR_ROWS(CURRENT_ROW, 0, UNBOUNDED_FOLLOWING, 0)),
    };
    calls[2].arg = NULL;
    em_sort_key order[] = {okey(0, false, false)};
    const char *expected[] = {"1|1|3|2|2|1.5|1|2|NULL|6|1|6|18",
                              "2|2|3|2|3|1.5|1|2|1|9|3|6|17",
                              "3|NULL|6|2|3|3|1|4|3|15|3|6|15",
                              "4|4|9|2|3|4.5|2|5|2|11|7|6|15",
                              "5|5|15|3|3|5|4|6|4|6|12|6|11",
                              "6|6|11|2|2|5.5|4|6|9|NULL|18|6|6",
                              NULL};
    run_ok(&in, 0, NULL, 1, order, 11, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

/* ---- aggregates over RANGE frames ----------------------------------------------------------- */

static em_batch *range_data(void)
{
    int64_t id[] = {5, 1, 7, 2, 6, 3, 4};
    int64_t o[] = {TNULL, 1, 8, 2, TNULL, 2, 5};
    return tb_make(3, tv_i64(7, id), tv_i64(7, o), tv_i64(7, id));
}

static void test_agg_range(void **state)
{
    em_batch_list in, out;
    split_into(&in, range_data(), 3);
    em_arena *a = em_arena_create(1024);
    const em_expr *vx = em_expr_column(a, 2, TY(BIGINT));
    em_window_call calls[] = {
        wc_agg(EM_AGG_SUM, vx, FR_DEFAULT),
        wc_agg(EM_AGG_SUM, vx, FR_RANGE(PRECEDING, 1, FOLLOWING, 1)),
        wc_agg(EM_AGG_COUNT_STAR, vx, FR_RANGE(CURRENT_ROW, 0, CURRENT_ROW, 0)),
        wc_agg(EM_AGG_SUM, vx, FR_RANGE(PRECEDING, 3, PRECEDING, 1)),
        wc_agg(EM_AGG_SUM, vx, FR_RANGE(CURRENT_ROW, 0, UNBOUNDED_FOLLOWING, 0)),
        wc_agg(EM_AGG_SUM, vx, FR_RANGE(PRECEDING, 2, UNBOUNDED_FOLLOWING, 0)),
        wc_agg(EM_AGG_SUM, vx, FR_RANGE(UNBOUNDED_PRECEDING, 0, FOLLOWING, 2)),
        wc_value(EM_WINDOW_FIRST_VALUE, vx, 0, NULL,
                 FR_RANGE(FOLLOWING, 1, UNBOUNDED_FOLLOWING, 0)),
        wc_agg(EM_AGG_COUNT, vx, FR_RANGE(PRECEDING, 0, FOLLOWING, 0)),
    };
    calls[2].arg = NULL;
    em_sort_key asc[] = {okey(1, false, false)};
    const char *expected[] = {
        "1|1|1|1|6|1|NULL|28|28|6|2|1",     "2|2|2|6|6|2|1|27|28|6|4|2",
        "3|2|3|6|6|2|1|27|28|6|4|2",        "4|5|4|10|4|1|5|22|22|10|7|1",
        "7|8|7|17|7|1|4|18|18|17|5|1",      "5|NULL|5|28|11|2|11|11|11|28|5|2",
        "6|NULL|6|28|11|2|11|11|11|28|5|2", NULL};
    run_ok(&in, 0, NULL, 1, asc, 9, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);

    /* DESC NULLS FIRST: PRECEDING rows hold larger keys. */
    em_window_call dcalls[] = {calls[0], calls[1], calls[3], calls[6]};
    em_sort_key desc[] = {okey(1, true, true)};
    const char *dexpected[] = {
        "5|NULL|5|11|11|11|11", "6|NULL|6|11|11|11|11", "7|8|7|18|7|NULL|18", "4|5|4|22|4|7|22",
        "2|2|2|27|6|4|28",      "3|2|3|27|6|4|28",      "1|1|1|28|6|5|28",    NULL};
    run_ok(&in, 0, NULL, 1, desc, 4, dcalls, &out);
    tr_expect(&out, dexpected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

static void test_range_double(void **state)
{
    /* -0 and 0 are peers; NaN sorts last and is a peer of NaN only. */
    double o[] = {NAN, 1.0, -0.0, INFINITY, -1.5, 0.0, -INFINITY, NAN};
    int64_t id[] = {7, 5, 3, 6, 2, 4, 1, 8};
    em_batch_list in, out;
    split_into(&in, tb_make(2, tv_i64(8, id), tv_f64(8, o, NULL)), 3);
    em_arena *a = em_arena_create(1024);
    const em_expr *ix = em_expr_column(a, 0, TY(BIGINT));
    em_window_call calls[] = {
        wc_agg(EM_AGG_COUNT_STAR, ix, FR_RANGE(PRECEDING, 1, FOLLOWING, 1)),
        wc_agg(EM_AGG_SUM, ix, FR_RANGE(PRECEDING, 1, FOLLOWING, 1)),
        wc_agg(EM_AGG_COUNT_STAR, ix,
               FR_RANGE_V(PRECEDING, em_value_double(INFINITY), CURRENT_ROW, BI(0))),
        wc_agg(EM_AGG_COUNT_STAR, ix,
               FR_RANGE_V(PRECEDING, em_value_double(0.5), FOLLOWING, em_value_double(1.5))),
    };
    calls[0].arg = calls[2].arg = calls[3].arg = NULL;
    em_sort_key order[] = {okey(1, false, false)};
    /* inf PRECEDING from +inf reaches every row (PostgreSQL's rule for
     * inf - inf); from NaN only the NaNs. */
    const char *expected[] = {"1|-inf|1|1|1|1", "2|-1.5|1|2|2|3", "3|-0|3|12|4|3",
                              "4|0|3|12|4|3",   "5|1|3|12|5|1",   "6|inf|1|6|6|1",
                              "7|nan|2|15|2|2", "8|nan|2|15|2|2", NULL};
    run_ok(&in, 0, NULL, 1, order, 4, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

static void test_range_decimal_and_fractions(void **state)
{
    em_arena *a = em_arena_create(1024);
    /* DECIMAL(5,2) keys, a DECIMAL(2,1) offset of 0.5. */
    em_vector *k = em_vector_create(em_type_decimal(5, 2), 5);
    int64_t dk[] = {100, 125, 150, 200, 310};
    for (int i = 0; i < 5; i++) em_vector_append_i64(k, dk[i]);
    int64_t id[] = {1, 2, 3, 4, 5};
    em_batch_list in, out;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(2, tv_i64(5, id), k));
    em_value half = em_value_decimal(5, 2, 1);
    em_window_call calls[] = {
        wc_agg(EM_AGG_COUNT_STAR, em_expr_column(a, 0, TY(BIGINT)),
               FR_RANGE_V(PRECEDING, half, FOLLOWING, half)),
        wc_agg(EM_AGG_SUM, em_expr_column(a, 1, em_type_decimal(5, 2)),
               FR_RANGE_V(PRECEDING, half, FOLLOWING, half)),
    };
    calls[0].arg = NULL;
    em_sort_key order[] = {okey(1, false, false)};
    const char *expected[] = {"1|1.00|3|3.75", "2|1.25|3|3.75", "3|1.50|4|5.75",
                              "4|2.00|2|3.50", "5|3.10|1|3.10", NULL};
    run_ok(&in, 0, NULL, 1, order, 2, calls, &out);
    tr_expect(&out, expected);
    assert_int_equal(out.items[0]->cols[3]->type.id, EM_TYPE_DECIMAL);
    em_batch_list_release(&out);
    em_batch_list_release(&in);

    /* INTEGER keys, DOUBLE offsets: 1.5 PRECEDING AND 1.5 FOLLOWING is
     * within 1 either way; 1.5 PRECEDING AND 0.5 PRECEDING is exactly 1
     * before. */
    int64_t ik[] = {1, 2, 3, 4, 6};
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(1, tv_i32(5, ik)));
    em_value f15 = em_value_double(1.5), f05 = em_value_double(0.5);
    em_window_call c2[] = {
        wc_agg(EM_AGG_COUNT_STAR, em_expr_column(a, 0, TY(INTEGER)),
               FR_RANGE_V(PRECEDING, f15, FOLLOWING, f15)),
        wc_agg(EM_AGG_COUNT_STAR, em_expr_column(a, 0, TY(INTEGER)),
               FR_RANGE_V(PRECEDING, f15, PRECEDING, f05)),
        wc_agg(EM_AGG_SUM, em_expr_column(a, 0, TY(INTEGER)),
               FR_RANGE_V(FOLLOWING, f05, FOLLOWING, em_value_decimal(25, 2, 1))),
    };
    c2[0].arg = c2[1].arg = NULL;
    em_sort_key o1[] = {okey(0, false, false)};
    const char *expected2[] = {"1|2|0|5", "2|3|1|7", "3|3|1|4", "4|2|1|6", "6|1|0|NULL", NULL};
    run_ok(&in, 0, NULL, 1, o1, 3, c2, &out);
    tr_expect(&out, expected2);
    em_batch_list_release(&out);
    /* The same DESC: mirror image. */
    em_sort_key o1d[] = {okey(0, true, false)};
    const char *expected3[] = {"6|1|0|4", "4|2|0|5", "3|3|1|3", "2|3|1|1", "1|2|1|NULL", NULL};
    run_ok(&in, 0, NULL, 1, o1d, 3, c2, &out);
    tr_expect(&out, expected3);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

static void test_range_dates(void **state)
{
    em_arena *a = em_arena_create(1024);
    em_vector *d = em_vector_create(TY(DATE), 5);
    int md[][2] = {{1, 1}, {1, 2}, {1, 5}, {2, 1}, {3, 1}};
    for (int i = 0; i < 5; i++)
        em_vector_append_i32(d, em_days_from_civil(2024, md[i][0], md[i][1]));
    em_batch_list in, out;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(1, d));
    em_interval month = {1, 0, 0};
    em_window_call calls[] = {
        wc_agg(EM_AGG_COUNT_STAR, em_expr_column(a, 0, TY(DATE)),
               FR_RANGE(PRECEDING, 3, CURRENT_ROW, 0)),
        wc_agg(EM_AGG_COUNT_STAR, em_expr_column(a, 0, TY(DATE)),
               FR_RANGE_V(PRECEDING, em_value_interval(month), CURRENT_ROW, BI(0))),
        wc_agg(EM_AGG_COUNT_STAR, em_expr_column(a, 0, TY(DATE)),
               FR_RANGE_V(PRECEDING, em_value_int(3), CURRENT_ROW, BI(0))),
    };
    calls[0].arg = calls[1].arg = calls[2].arg = NULL;
    em_sort_key order[] = {okey(0, false, false)};
    char rows[5][64];
    int counts[5][2] = {{1, 1}, {2, 2}, {2, 3}, {1, 4}, {1, 2}};
    const char *expected[6];
    for (int i = 0; i < 5; i++) {
        snprintf(rows[i], sizeof(rows[i]), "%d|%d|%d|%d",
                 em_days_from_civil(2024, md[i][0], md[i][1]), counts[i][0], counts[i][1],
                 counts[i][0]);
        expected[i] = rows[i];
    }
    expected[5] = NULL;
    run_ok(&in, 0, NULL, 1, order, 3, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);

    /* TIMESTAMP keys and a month FOLLOWING: Jan 31 + 1 month is Feb 29 (2024). */
    em_vector *t = em_vector_create(TY(TIMESTAMP), 3);
    const char *ts[] = {"2024-01-31 00:00:00", "2024-02-29 00:00:00", "2024-03-31 12:00:00"};
    for (int i = 0; i < 3; i++) {
        int64_t us;
        assert_int_equal(em_parse_timestamp(ts[i], strlen(ts[i]), &us), 0);
        em_vector_append_i64(t, us);
    }
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(1, t));
    em_window_call c2[] = {
        wc_agg(EM_AGG_COUNT_STAR, em_expr_column(a, 0, TY(TIMESTAMP)),
               FR_RANGE_V(CURRENT_ROW, BI(0), FOLLOWING, em_value_interval(month))),
        /* A BIGINT offset counts microseconds: 31 days. */
        wc_agg(EM_AGG_COUNT_STAR, em_expr_column(a, 0, TY(TIMESTAMP)),
               FR_RANGE_V(PRECEDING, BI(86400000000LL * 31), CURRENT_ROW, BI(0))),
    };
    c2[0].arg = c2[1].arg = NULL;
    em_batch_list_release(&out);
    run_ok(&in, 0, NULL, 1, order, 2, c2, &out);
    trows r = tr_collect(&out);
    assert_int_equal(r.n, 3);
    const char *tail[] = {"|2|1", "|1|2", "|1|1"};
    for (int i = 0; i < 3; i++) {
        size_t lr = strlen(r.rows[i]), lt = strlen(tail[i]);
        if (lr < lt || strcmp(r.rows[i] + lr - lt, tail[i]) != 0)
            fail_msg("row %d: %s", i, r.rows[i]);
    }
    tr_free(&r);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

/* ---- DISTINCT, strings, special doubles --------------------------------------------------- */

static void test_distinct(void **state)
{
    int64_t id[] = {1, 2, 3, 4, 5, 6};
    int64_t v[] = {1, 1, 2, TNULL, 2, 3};
    double dv[] = {0.5, 0.5, 1.0, 0, 1.0, NAN};
    bool dn[] = {false, false, false, true, false, false};
    em_batch_list in, out;
    split_into(&in, tb_make(3, tv_i64(6, id), tv_i64(6, v), tv_f64(6, dv, dn)), 4);
    em_arena *a = em_arena_create(1024);
    const em_expr *vx = em_expr_column(a, 1, TY(BIGINT));
    const em_expr *dx = em_expr_column(a, 2, TY(DOUBLE));
    em_window_frame f = FR_ROWS(PRECEDING, 2, CURRENT_ROW, 0);
    em_window_call calls[] = {
        wc_distinct(EM_AGG_COUNT, vx, f),        wc_distinct(EM_AGG_SUM, vx, f),
        wc_distinct(EM_AGG_AVG, vx, f),          wc_distinct(EM_AGG_SUM, dx, f),
        wc_distinct(EM_AGG_COUNT, vx, FR_WHOLE), wc_distinct(EM_AGG_SUM, vx, FR_WHOLE),
        wc_distinct(EM_AGG_MAX, vx, f),
    };
    em_sort_key order[] = {okey(0, false, false)};
    const char *expected[] = {"1|1|0.5|1|1|1|0.5|3|6|1",
                              "2|1|0.5|1|1|1|0.5|3|6|1",
                              "3|2|1|2|3|1.5|1.5|3|6|2",
                              "4|NULL|NULL|2|3|1.5|1.5|3|6|2",
                              "5|2|1|1|2|2|1|3|6|2",
                              "6|3|nan|2|5|2.5|nan|3|6|3",
                              NULL};
    run_ok(&in, 0, NULL, 1, order, 7, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

static void test_strings_and_null_partitions(void **state)
{
    const char *p[] = {"x", NULL, "y", "x", NULL, "x", "y"};
    const char *s[] = {"pear", "fig", NULL, "apple", "kiwi", "plum", "date"};
    int64_t id[] = {1, 2, 3, 4, 5, 6, 7};
    em_batch_list in, out;
    split_into(&in, tb_make(3, tv_i64(7, id), tv_str(7, p), tv_str(7, s)), 2);
    em_arena *a = em_arena_create(1024);
    const em_expr *sx = em_expr_column(a, 2, TY(VARCHAR));
    em_window_call calls[] = {
        wc_agg(EM_AGG_MIN, sx, FR_DEFAULT),
        wc_agg(EM_AGG_MAX, sx, FR_DEFAULT),
        wc_value(EM_WINDOW_LAST_VALUE, sx, 0, NULL, FR_WHOLE),
        wc_distinct(EM_AGG_COUNT, sx, FR_WHOLE),
        wc_rank(EM_WINDOW_ROW_NUMBER),
    };
    int part[] = {1};
    em_sort_key order[] = {okey(0, false, false)};
    const char *expected[] = {
        "2|NULL|'fig'|'fig'|'fig'|'kiwi'|2|1",    "5|NULL|'kiwi'|'fig'|'kiwi'|'kiwi'|2|2",
        "1|'x'|'pear'|'pear'|'pear'|'plum'|3|1",  "4|'x'|'apple'|'apple'|'pear'|'plum'|3|2",
        "6|'x'|'plum'|'apple'|'plum'|'plum'|3|3", "3|'y'|NULL|NULL|NULL|'date'|1|1",
        "7|'y'|'date'|'date'|'date'|'date'|1|2",  NULL};
    run_ok(&in, 1, part, 1, order, 5, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

static void test_double_specials(void **state)
{
    double v[] = {1, INFINITY, 2, NAN, 3, 4, 1e20, 1, 1, 1};
    int64_t id[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    em_batch_list in, out;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(2, tv_i64(10, id), tv_f64(10, v, NULL)));
    em_arena *a = em_arena_create(1024);
    const em_expr *vx = em_expr_column(a, 1, TY(DOUBLE));
    em_window_frame f = FR_ROWS(PRECEDING, 1, CURRENT_ROW, 0);
    em_window_call calls[] = {
        wc_agg(EM_AGG_SUM, vx, f),
        wc_agg(EM_AGG_AVG, vx, f),
        wc_agg(EM_AGG_MIN, vx, FR_ROWS(UNBOUNDED_PRECEDING, 0, CURRENT_ROW, 0)),
        wc_agg(EM_AGG_MAX, vx, f),
        wc_agg(EM_AGG_SUM, vx, FR_ROWS(UNBOUNDED_PRECEDING, 0, CURRENT_ROW, 0)),
    };
    em_sort_key order[] = {okey(0, false, false)};
    /* The moving sum forgets the infinity, the NaN and 1e20 once they leave
     * the frame; the running sum keeps them. */
    const char *expected[] = {"1|1|1|1|1|1|1",
                              "2|inf|inf|inf|1|inf|inf",
                              "3|2|inf|inf|1|inf|inf",
                              "4|nan|nan|nan|1|nan|nan",
                              "5|3|nan|nan|1|nan|nan",
                              "6|4|7|3.5|1|4|nan",
                              "7|1e+20|1e+20|5e+19|1|1e+20|nan",
                              "8|1|1e+20|5e+19|1|1e+20|nan",
                              "9|1|2|1|1|1|nan",
                              "10|1|2|1|1|1|nan",
                              NULL};
    run_ok(&in, 0, NULL, 1, order, 5, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

static void test_variance(void **state)
{
    int64_t id[] = {1, 2, 3, 4, 5};
    int64_t v[] = {1, 3, 5, 7, TNULL};
    em_batch_list in, out;
    split_into(&in, tb_make(2, tv_i64(5, id), tv_i64(5, v)), 2);
    em_arena *a = em_arena_create(1024);
    const em_expr *vx = em_expr_column(a, 1, TY(BIGINT));
    em_window_frame f = FR_ROWS(PRECEDING, 1, CURRENT_ROW, 0);
    em_window_call calls[] = {
        wc_agg(EM_AGG_VAR_SAMP, vx, f),
        wc_agg(EM_AGG_VAR_POP, vx, f),
        wc_agg(EM_AGG_STDDEV_POP, vx, f),
        wc_agg(EM_AGG_STDDEV_SAMP, vx, FR_ROWS(PRECEDING, 1, CURRENT_ROW, 0)),
        wc_agg(EM_AGG_VAR_SAMP, vx, FR_ROWS(UNBOUNDED_PRECEDING, 0, CURRENT_ROW, 0)),
        wc_agg(EM_AGG_APPROX_COUNT_DISTINCT, vx, FR_WHOLE),
    };
    em_sort_key order[] = {okey(0, false, false)};
    /* Pairs 2 apart: sample variance 2, population variance 1; the running
     * sample variance of 1, 3, 5 is 4. */
    const char *expected[] = {"1|1|NULL|0|0|NULL|NULL|4",
                              "2|3|2|1|1|1.4142135623730951|2|4",
                              "3|5|2|1|1|1.4142135623730951|4|4",
                              "4|7|2|1|1|1.4142135623730951|6.666666666666667|4",
                              "5|NULL|NULL|0|0|NULL|6.666666666666667|4",
                              NULL};
    run_ok(&in, 0, NULL, 1, order, 6, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

static void test_no_partition_no_order(void **state)
{
    int64_t id[] = {3, 1, 2};
    int64_t v[] = {30, 10, TNULL};
    em_batch_list in, out;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(2, tv_i64(3, id), tv_i64(3, v)));
    em_arena *a = em_arena_create(1024);
    const em_expr *vx = em_expr_column(a, 1, TY(BIGINT));
    em_window_call calls[] = {wc_rank(EM_WINDOW_ROW_NUMBER), wc_rank(EM_WINDOW_RANK),
                              wc_rank(EM_WINDOW_CUME_DIST), wc_agg(EM_AGG_SUM, vx, FR_DEFAULT),
                              wc_agg(EM_AGG_COUNT, vx, FR_ROWS(CURRENT_ROW, 0, CURRENT_ROW, 0))};
    /* No ORDER BY: input order, every row a peer of every other. */
    const char *expected[] = {"3|30|1|1|1|40|1", "1|10|2|1|1|40|1", "2|NULL|3|1|1|40|0", NULL};
    run_ok(&in, 0, NULL, 0, NULL, 5, calls, &out);
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

/* ---- batches out, empty input, errors -------------------------------------------------------- */

static void test_output_batches(void **state)
{
    /* 5000 rows in batches of 1000, in descending order: the output comes
     * sorted in batches of 2048, 2048 and 904 rows. */
    int64_t *x = malloc(5000 * sizeof(int64_t));
    for (int i = 0; i < 5000; i++) x[i] = 4999 - i;
    em_batch_list in, out;
    split_into(&in, tb_make(1, tv_i64(5000, x)), 1000);
    free(x);
    em_arena *a = em_arena_create(1024);
    const em_expr *c0 = em_expr_column(a, 0, TY(BIGINT));
    em_window_call calls[] = {wc_rank(EM_WINDOW_ROW_NUMBER),
                              wc_agg(EM_AGG_SUM, c0, FR_ROWS(PRECEDING, 1, CURRENT_ROW, 0)),
                              wc_value(EM_WINDOW_LAG, c0, 1, NULL, FR_DEFAULT)};
    em_sort_key order[] = {okey(0, false, false)};
    run_ok(&in, 0, NULL, 1, order, 3, calls, &out);
    assert_int_equal(out.count, 3);
    assert_int_equal(out.items[0]->nrows, 2048);
    assert_int_equal(out.items[1]->nrows, 2048);
    assert_int_equal(out.items[2]->nrows, 904);
    int64_t r = 0;
    for (int64_t b = 0; b < out.count; b++) {
        const em_batch *bt = out.items[b];
        assert_int_equal(bt->ncols, 4);
        for (int64_t i = 0; i < bt->nrows; i++, r++) {
            assert_int_equal(EM_VEC_I64(bt->cols[0])[i], r);
            assert_int_equal(EM_VEC_I64(bt->cols[1])[i], r + 1);
            assert_int_equal(EM_VEC_I64(bt->cols[2])[i], r == 0 ? 0 : 2 * r - 1);
            if (r == 0)
                assert_false(em_vector_is_valid(bt->cols[3], i));
            else
                assert_int_equal(EM_VEC_I64(bt->cols[3])[i], r - 1);
        }
    }
    assert_int_equal(r, 5000);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
    em_arena_destroy(a);
}

/* A LIMIT downstream that is satisfied stops the output early. */
static void test_limit_downstream(void **state)
{
    int64_t *x = malloc(10000 * sizeof(int64_t));
    for (int i = 0; i < 10000; i++) x[i] = 9999 - i;
    em_batch_list in, out;
    split_into(&in, tb_make(1, tv_i64(10000, x)), 2048);
    free(x);
    em_window_call calls[] = {wc_rank(EM_WINDOW_ROW_NUMBER)};
    em_sort_key order[] = {okey(0, false, false)};
    em_batch_list_init(&out);
    em_op *w = em_op_window_create(&g_ctx, 0, NULL, 1, order, 1, calls);
    em_op *limit = em_op_limit_create(&g_ctx, 3, 2);
    w->next = limit;
    limit->next = em_op_collect_create(&g_ctx, &out);
    em_error err;
    assert_int_equal(tp_run(&in, w, &err), 0);
    const char *expected[] = {"2|3", "3|4", "4|5", NULL};
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void test_empty_input(void **state)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    em_batch_list_push(&in, tb_make(1, tv_i64(0, NULL)));
    em_window_call calls[] = {wc_rank(EM_WINDOW_ROW_NUMBER)};
    em_sort_key order[] = {okey(0, false, false)};
    run_ok(&in, 0, NULL, 1, order, 1, calls, &out);
    assert_int_equal(out.rows, 0);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void expect_error(const em_window_call *call, int norder, const em_sort_key *order,
                         em_batch *b, int code, const char *fragment)
{
    em_batch_list in, out;
    em_batch_list_init(&in);
    em_batch_list_push(&in, b);
    em_error err;
    memset(&err, 0, sizeof(err));
    int rc = run_window(&in, 0, NULL, norder, order, 1, call, &out, &err);
    if (rc != code) fail_msg("got %d (%s), expected %d", rc, err.message, code);
    if (strstr(err.message, fragment) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.message, fragment);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

static void test_errors(void **state)
{
    em_arena *a = em_arena_create(1024);
    int64_t x[] = {1, 2, 3};
    const char *s[] = {"a", "b", "c"};
    const em_expr *c0 = em_expr_column(a, 0, TY(BIGINT));
    em_sort_key o1[] = {okey(0, false, false)};
    em_sort_key o2[] = {okey(0, false, false), okey(1, false, false)};
    em_sort_key os[] = {okey(1, false, false)};

    em_window_call c = wc_agg(EM_AGG_SUM, c0, FR_ROWS(PRECEDING, -1, CURRENT_ROW, 0));
    expect_error(&c, 1, o1, tb_make(1, tv_i64(3, x)), EM_EINVAL, "must not be negative");
    c = wc_agg(EM_AGG_SUM, c0, FR_RANGE(PRECEDING, 1, CURRENT_ROW, 0));
    expect_error(&c, 2, o2, tb_make(2, tv_i64(3, x), tv_i64(3, x)), EM_EINVAL,
                 "exactly one ORDER BY column");
    expect_error(&c, 1, os, tb_make(2, tv_i64(3, x), tv_str(3, s)), EM_ETYPE, "VARCHAR");
    c = wc_agg(EM_AGG_SUM, c0,
               FR_RANGE_V(PRECEDING, em_value_null(TY(BIGINT)), CURRENT_ROW, BI(0)));
    expect_error(&c, 1, o1, tb_make(1, tv_i64(3, x)), EM_EINVAL, "must not be null");
    c = wc_agg(EM_AGG_SUM, c0, FR_RANGE_V(PRECEDING, em_value_varchar("x", 1), CURRENT_ROW, BI(0)));
    expect_error(&c, 1, o1, tb_make(1, tv_i64(3, x)), EM_ETYPE, "does not fit");
    c = wc_agg(EM_AGG_SUM, c0, FR_ROWS(CURRENT_ROW, 0, PRECEDING, 1));
    expect_error(&c, 1, o1, tb_make(1, tv_i64(3, x)), EM_EINVAL, "current row");
    c = wc_ntile(0);
    expect_error(&c, 1, o1, tb_make(1, tv_i64(3, x)), EM_EINVAL, "greater than zero");
    c = wc_value(EM_WINDOW_NTH_VALUE, c0, 0, NULL, FR_DEFAULT);
    expect_error(&c, 1, o1, tb_make(1, tv_i64(3, x)), EM_EINVAL, "greater than zero");
    /* The frame's own sum overflows; each value alone does not. */
    int64_t big[] = {INT64_MAX, 1, -5};
    c = wc_agg(EM_AGG_SUM, c0, FR_ROWS(UNBOUNDED_PRECEDING, 0, CURRENT_ROW, 0));
    expect_error(&c, 0, NULL, tb_make(1, tv_i64(3, big)), EM_EOVERFLOW, "out of range");
    /* ... but a frame whose sum fits is fine even if a prefix would not be. */
    em_batch_list in, out;
    em_batch_list_init(&in);
    int64_t big2[] = {INT64_MAX, -5, INT64_MAX};
    em_batch_list_push(&in, tb_make(1, tv_i64(3, big2)));
    em_window_call ok = wc_agg(EM_AGG_SUM, c0, FR_ROWS(PRECEDING, 1, CURRENT_ROW, 0));
    run_ok(&in, 0, NULL, 0, NULL, 1, &ok, &out);
    const char *expected[] = {"9223372036854775807|9223372036854775807", "-5|9223372036854775802",
                              "9223372036854775807|9223372036854775802", NULL};
    tr_expect(&out, expected);
    em_batch_list_release(&out);
    em_batch_list_release(&in);

    /* A creation error shows even without input. */
    em_batch_list_init(&in);
    em_error err;
    memset(&err, 0, sizeof(err));
    em_window_call bad = wc_ntile(-3);
    assert_int_equal(run_window(&in, 0, NULL, 1, o1, 1, &bad, &out, &err), EM_EINVAL);
    em_batch_list_release(&out);
    bad = wc_agg(EM_AGG_SUM, c0, FR_ROWS(PRECEDING, -2, CURRENT_ROW, 0));
    assert_int_equal(run_window(&in, 0, NULL, 1, o1, 1, &bad, &out, &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "must not be negative"));
    em_batch_list_release(&out);
    em_arena_destroy(a);
}

/* ---- large inputs against a naive reference ---------------------------------------------- */

typedef struct rrow {
    int64_t id, p, o, v;
    double d;
    bool pn, on, vn, dn;
} rrow;

typedef struct rcfg {
    bool desc, nulls_first;
} rcfg;

/* Order on o alone (NULL placement absolute, as the sort does). */
static int ref_ocmp(const rrow *a, const rrow *b, const rcfg *c)
{
    if (a->on || b->on) {
        if (a->on && b->on) return 0;
        if (a->on) return c->nulls_first ? -1 : 1;
        return c->nulls_first ? 1 : -1;
    }
    int r = a->o < b->o ? -1 : (a->o > b->o ? 1 : 0);
    return c->desc ? -r : r;
}

static const rcfg *g_cfg;
static const rrow *g_rows;

static int ref_sort_cmp(const void *x, const void *y)
{
    const rrow *a = &g_rows[*(const int64_t *)x], *b = &g_rows[*(const int64_t *)y];
    if (a->pn != b->pn) return a->pn ? -1 : 1;
    if (!a->pn && a->p != b->p) return a->p < b->p ? -1 : 1;
    int r = ref_ocmp(a, b, g_cfg);
    if (r != 0) return r;
    return a->id < b->id ? -1 : (a->id > b->id ? 1 : 0);
}

/* Whether row j (position pj) is in row i's (position pi) frame, from the
 * definitions. */
static bool ref_in_frame(const em_window_frame *f, const rcfg *c, const rrow *ri, int64_t pi,
                         const rrow *rj, int64_t pj)
{
    int64_t so = f->start_offset.v.i64, eo = f->end_offset.v.i64;
    bool s_ok = true, e_ok = true;
    if (f->rows) {
        if (f->start == EM_BOUND_PRECEDING) s_ok = pj >= pi - so;
        if (f->start == EM_BOUND_CURRENT_ROW) s_ok = pj >= pi;
        if (f->start == EM_BOUND_FOLLOWING) s_ok = pj >= pi + so;
        if (f->end == EM_BOUND_PRECEDING) e_ok = pj <= pi - eo;
        if (f->end == EM_BOUND_CURRENT_ROW) e_ok = pj <= pi;
        if (f->end == EM_BOUND_FOLLOWING) e_ok = pj <= pi + eo;
        return s_ok && e_ok;
    }
    int sgn = c->desc ? -1 : 1;
    switch (f->start) {
    case EM_BOUND_CURRENT_ROW:
        s_ok = ref_ocmp(rj, ri, c) >= 0;
        break;
    case EM_BOUND_PRECEDING:
    case EM_BOUND_FOLLOWING: {
        int64_t t = f->start == EM_BOUND_PRECEDING ? -so : so;
        if (ri->on)
            s_ok = c->nulls_first ? true : rj->on;
        else if (rj->on)
            s_ok = !c->nulls_first;
        else
            s_ok = sgn * rj->o >= sgn * ri->o + t;
        break;
    }
    default:
        break;
    }
    switch (f->end) {
    case EM_BOUND_CURRENT_ROW:
        e_ok = ref_ocmp(rj, ri, c) <= 0;
        break;
    case EM_BOUND_PRECEDING:
    case EM_BOUND_FOLLOWING: {
        int64_t t = f->end == EM_BOUND_PRECEDING ? -eo : eo;
        if (ri->on)
            e_ok = c->nulls_first ? rj->on : true;
        else if (rj->on)
            e_ok = c->nulls_first;
        else
            e_ok = sgn * rj->o <= sgn * ri->o + t;
        break;
    }
    default:
        break;
    }
    return s_ok && e_ok;
}

/* Input columns: id, p, o, v, d. */
static void make_rows(rrow *rows, int64_t n, int64_t nparts, int64_t orange, uint64_t seed)
{
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        rrow *r = &rows[i];
        r->id = i;
        r->pn = nparts > 1 && trand(&s) % 100 == 0;
        r->p = (int64_t)(trand(&s) % (uint64_t)nparts);
        r->on = trand(&s) % 20 == 0;
        r->o = (int64_t)(trand(&s) % (uint64_t)orange);
        r->vn = trand(&s) % 10 == 0;
        r->v = (int64_t)(trand(&s) % 2001) - 1000;
        r->dn = trand(&s) % 10 == 0;
        r->d = (double)((int64_t)(trand(&s) % 2001) - 1000) / 4.0;
    }
}

static void rows_to_batches(const rrow *rows, int64_t n, em_batch_list *l, uint64_t seed)
{
    em_batch_list_init(l);
    uint64_t s = seed;
    for (int64_t at = 0; at < n;) {
        /* Random sizes (EM_MIN evaluates its arguments twice). */
        int64_t size = (int64_t)(1 + trand(&s) % 3000);
        int64_t m = EM_MIN(n - at, size);
        em_vector *c[5];
        c[0] = em_vector_create(TY(BIGINT), m);
        c[1] = em_vector_create(TY(BIGINT), m);
        c[2] = em_vector_create(TY(BIGINT), m);
        c[3] = em_vector_create(TY(BIGINT), m);
        c[4] = em_vector_create(TY(DOUBLE), m);
        for (int64_t i = at; i < at + m; i++) {
            const rrow *r = &rows[i];
            em_vector_append_i64(c[0], r->id);
            if (r->pn)
                em_vector_append_null(c[1]);
            else
                em_vector_append_i64(c[1], r->p);
            if (r->on)
                em_vector_append_null(c[2]);
            else
                em_vector_append_i64(c[2], r->o);
            if (r->vn)
                em_vector_append_null(c[3]);
            else
                em_vector_append_i64(c[3], r->v);
            if (r->dn)
                em_vector_append_null(c[4]);
            else
                em_vector_append_f64(c[4], r->d);
        }
        em_batch_list_push(l, tb_make(5, c[0], c[1], c[2], c[3], c[4]));
        at += m;
    }
}

/* Read row r of column c of the output (batches of EM_BATCH_ROWS rows). */
static bool out_i64(const em_batch_list *l, int c, int64_t r, int64_t *x)
{
    const em_batch *b = l->items[r / EM_BATCH_ROWS];
    int64_t i = r % EM_BATCH_ROWS;
    if (!em_vector_is_valid(b->cols[c], i)) return false;
    *x = EM_VEC_I64(b->cols[c])[i];
    return true;
}

static bool out_f64(const em_batch_list *l, int c, int64_t r, double *x)
{
    const em_batch *b = l->items[r / EM_BATCH_ROWS];
    int64_t i = r % EM_BATCH_ROWS;
    if (!em_vector_is_valid(b->cols[c], i)) return false;
    *x = EM_VEC_F64(b->cols[c])[i];
    return true;
}

static void check_i64(const em_batch_list *l, int c, int64_t r, bool has, int64_t want,
                      const char *what)
{
    int64_t got = 0;
    bool ok = out_i64(l, c, r, &got);
    if (ok != has || (has && got != want))
        fail_msg("%s, row %lld: got %s%lld, expected %s%lld", what, (long long)r, ok ? "" : "NULL ",
                 (long long)got, has ? "" : "NULL ", (long long)want);
}

static void check_f64(const em_batch_list *l, int c, int64_t r, bool has, double want,
                      const char *what)
{
    double got = 0;
    bool ok = out_f64(l, c, r, &got);
    if (ok != has || (has && !(got == want || fabs(got - want) <= 1e-9 * EM_MAX(1, fabs(want)))))
        fail_msg("%s, row %lld: got %s%.17g, expected %s%.17g", what, (long long)r,
                 ok ? "" : "NULL ", got, has ? "" : "NULL ", want);
}

#define NFRAME_CALLS 17

static void frame_calls(em_arena *a, em_window_frame f, em_window_call *calls)
{
    const em_expr *v = em_expr_column(a, 3, TY(BIGINT));
    const em_expr *d = em_expr_column(a, 4, TY(DOUBLE));
    int k = 0;
    calls[k] = wc_agg(EM_AGG_COUNT_STAR, v, f);
    calls[k++].arg = NULL;
    calls[k++] = wc_agg(EM_AGG_COUNT, v, f);
    calls[k++] = wc_agg(EM_AGG_SUM, v, f);
    calls[k++] = wc_agg(EM_AGG_AVG, v, f);
    calls[k++] = wc_agg(EM_AGG_MIN, v, f);
    calls[k++] = wc_agg(EM_AGG_MAX, v, f);
    calls[k++] = wc_value(EM_WINDOW_FIRST_VALUE, v, 0, NULL, f);
    calls[k++] = wc_value(EM_WINDOW_LAST_VALUE, v, 0, NULL, f);
    calls[k++] = wc_value(EM_WINDOW_NTH_VALUE, v, 3, NULL, f);
    calls[k++] = wc_distinct(EM_AGG_COUNT, v, f);
    calls[k++] = wc_distinct(EM_AGG_SUM, v, f);
    calls[k++] = wc_agg(EM_AGG_SUM, d, f);
    calls[k++] = wc_agg(EM_AGG_AVG, d, f);
    calls[k++] = wc_agg(EM_AGG_MAX, d, f);
    calls[k++] = wc_agg(EM_AGG_VAR_SAMP, v, f);
    calls[k++] = wc_agg(EM_AGG_STDDEV_POP, d, f);
    calls[k++] = wc_agg(EM_AGG_APPROX_COUNT_DISTINCT, v, f);
    assert_int_equal(k, NFRAME_CALLS);
}

/* Check row r (position pi of partition [ps, pe) of the rows in reference
 * order, `srt`) against the definitions, for the calls of frame_calls. */
static void check_frame_row(const em_batch_list *out, int64_t r, const rrow *srt, int64_t ps,
                            int64_t pe, int64_t pi, const em_window_frame *f, const rcfg *c)
{
    const rrow *ri = &srt[pi];
    int64_t cnt_star = 0, cnt = 0, sum = 0, mn = 0, mx = 0, dcnt = 0;
    double dsum = 0, dmax = 0;
    bool first_set = false, have_mn = false;
    int64_t first = -1, last = -1, third = -1, nseen = 0;
    /* Distinct values: v lies in [-1000, 1000]; a value was seen in this
     * frame when its stamp is this call's. */
    static int64_t stamp[2001], gen;
    gen++;
    int64_t nd = 0, dsumd = 0;
    /* The frame's values, for the two-pass variances. */
    static double *vs, *ds;
    static int64_t vcap;
    if (vcap < pe - ps) {
        vcap = pe - ps;
        vs = realloc(vs, (size_t)vcap * sizeof(double));
        ds = realloc(ds, (size_t)vcap * sizeof(double));
    }
    for (int64_t pj = ps; pj < pe; pj++) {
        const rrow *rj = &srt[pj];
        if (!ref_in_frame(f, c, ri, pi, rj, pj)) continue;
        cnt_star++;
        if (!first_set) {
            first = pj;
            first_set = true;
        }
        last = pj;
        if (++nseen == 3) third = pj;
        if (!rj->vn) {
            vs[cnt] = (double)rj->v;
            cnt++;
            sum += rj->v;
            if (!have_mn || rj->v < mn) mn = rj->v;
            if (!have_mn || rj->v > mx) mx = rj->v;
            have_mn = true;
            if (stamp[rj->v + 1000] != gen) {
                stamp[rj->v + 1000] = gen;
                nd++;
                dsumd += rj->v;
            }
        }
        if (!rj->dn) {
            ds[dcnt] = rj->d;
            if (dcnt == 0 || rj->d > dmax) dmax = rj->d;
            dcnt++;
            dsum += rj->d;
        }
    }
    int col = 5;
    check_i64(out, col++, r, true, cnt_star, "count(*)");
    check_i64(out, col++, r, true, cnt, "count");
    check_i64(out, col++, r, cnt > 0, sum, "sum");
    check_f64(out, col++, r, cnt > 0, cnt ? (double)sum / (double)cnt : 0, "avg");
    check_i64(out, col++, r, cnt > 0, mn, "min");
    check_i64(out, col++, r, cnt > 0, mx, "max");
    const rrow *fr = first >= 0 ? &srt[first] : NULL;
    const rrow *lr = last >= 0 ? &srt[last] : NULL;
    const rrow *tr = third >= 0 ? &srt[third] : NULL;
    check_i64(out, col++, r, fr && !fr->vn, fr ? fr->v : 0, "first_value");
    check_i64(out, col++, r, lr && !lr->vn, lr ? lr->v : 0, "last_value");
    check_i64(out, col++, r, tr && !tr->vn, tr ? tr->v : 0, "nth_value");
    check_i64(out, col++, r, true, nd, "count(distinct)");
    check_i64(out, col++, r, nd > 0, dsumd, "sum(distinct)");
    check_f64(out, col++, r, dcnt > 0, dsum, "sum(double)");
    check_f64(out, col++, r, dcnt > 0, dcnt ? dsum / (double)dcnt : 0, "avg(double)");
    check_f64(out, col++, r, dcnt > 0, dmax, "max(double)");
    double vm2 = 0, dm2 = 0, vmean = cnt ? (double)sum / (double)cnt : 0;
    double dmean = dcnt ? dsum / (double)dcnt : 0;
    for (int64_t j = 0; j < cnt; j++) vm2 += (vs[j] - vmean) * (vs[j] - vmean);
    for (int64_t j = 0; j < dcnt; j++) dm2 += (ds[j] - dmean) * (ds[j] - dmean);
    check_f64(out, col++, r, cnt > 1, cnt > 1 ? vm2 / (double)(cnt - 1) : 0, "var_samp");
    check_f64(out, col++, r, dcnt > 0, dcnt ? sqrt(dm2 / (double)dcnt) : 0, "stddev_pop(double)");
    check_i64(out, col++, r, true, nd, "approx_count_distinct");
}

/* The rows in reference window order (a sorted copy). */
static rrow *ref_sorted(const rrow *rows, int64_t n, const rcfg *c)
{
    int64_t *ord = malloc((size_t)n * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) ord[i] = i;
    g_rows = rows;
    g_cfg = c;
    qsort(ord, (size_t)n, sizeof(int64_t), ref_sort_cmp);
    rrow *srt = malloc((size_t)n * sizeof(rrow));
    for (int64_t i = 0; i < n; i++) srt[i] = rows[ord[i]];
    free(ord);
    return srt;
}

static bool same_partition(const rrow *a, const rrow *b)
{
    return a->pn == b->pn && (a->pn || a->p == b->p);
}

static void check_ids(const em_batch_list *out, const rrow *srt, int64_t n)
{
    int64_t total = 0;
    for (int64_t b = 0; b < out->count; b++) {
        if (b + 1 < out->count) assert_int_equal(out->items[b]->nrows, EM_BATCH_ROWS);
        total += out->items[b]->nrows;
    }
    assert_int_equal(total, n);
    for (int64_t r = 0; r < n; r++) check_i64(out, 0, r, true, srt[r].id, "sorted id");
}

static const em_window_frame *random_frames(int *count)
{
    static em_window_frame f[14];
    int k = 0;
    f[k++] = FR_ROWS(UNBOUNDED_PRECEDING, 0, CURRENT_ROW, 0);
    f[k++] = FR_ROWS(PRECEDING, 3, FOLLOWING, 2);
    f[k++] = FR_ROWS(CURRENT_ROW, 0, UNBOUNDED_FOLLOWING, 0);
    f[k++] = FR_ROWS(PRECEDING, 5, PRECEDING, 2);
    f[k++] = FR_ROWS(FOLLOWING, 1, FOLLOWING, 4);
    f[k++] = FR_ROWS(UNBOUNDED_PRECEDING, 0, UNBOUNDED_FOLLOWING, 0);
    f[k++] = FR_RANGE(UNBOUNDED_PRECEDING, 0, CURRENT_ROW, 0);
    f[k++] = FR_RANGE(CURRENT_ROW, 0, CURRENT_ROW, 0);
    f[k++] = FR_RANGE(PRECEDING, 2, FOLLOWING, 3);
    f[k++] = FR_RANGE(PRECEDING, 5, PRECEDING, 1);
    f[k++] = FR_RANGE(CURRENT_ROW, 0, UNBOUNDED_FOLLOWING, 0);
    f[k++] = FR_RANGE(PRECEDING, 0, FOLLOWING, 0);
    f[k++] = FR_RANGE(UNBOUNDED_PRECEDING, 0, FOLLOWING, 2);
    f[k++] = FR_RANGE(FOLLOWING, 1, UNBOUNDED_FOLLOWING, 0);
    *count = k;
    return f;
}

/* Every frame of random_frames and the ranking and navigation functions over
 * n random rows in about n / 64 partitions, checked row by row. */
static void random_vs_reference(int64_t n, const rcfg *c, uint64_t seed)
{
    rrow *rows = malloc((size_t)n * sizeof(rrow));
    make_rows(rows, n, n / 64, 40, seed);
    em_batch_list in;
    rows_to_batches(rows, n, &in, seed + 1);
    rrow *srt = ref_sorted(rows, n, c);
    int64_t *pstart = malloc((size_t)n * sizeof(int64_t)),
            *pend = malloc((size_t)n * sizeof(int64_t));
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && same_partition(&srt[i], &srt[j])) j++;
        for (int64_t k = i; k < j; k++) {
            pstart[k] = i;
            pend[k] = j;
        }
        i = j;
    }
    int part[] = {1};
    em_sort_key order[] = {okey(2, c->desc, c->nulls_first)};
    em_arena *a = em_arena_create(4096);

    /* Ranking and navigation. */
    const em_expr *v = em_expr_column(a, 3, TY(BIGINT));
    const em_expr *m1 = em_expr_const(a, em_value_bigint(-1));
    em_window_call rc[] = {wc_rank(EM_WINDOW_ROW_NUMBER),
                           wc_rank(EM_WINDOW_RANK),
                           wc_rank(EM_WINDOW_DENSE_RANK),
                           wc_rank(EM_WINDOW_PERCENT_RANK),
                           wc_rank(EM_WINDOW_CUME_DIST),
                           wc_ntile(7),
                           wc_value(EM_WINDOW_LAG, v, 2, m1, FR_DEFAULT),
                           wc_value(EM_WINDOW_LEAD, v, 3, NULL, FR_DEFAULT)};
    em_batch_list out;
    run_ok(&in, 1, part, 1, order, 8, rc, &out);
    check_ids(&out, srt, n);
    for (int64_t pi = 0; pi < n; pi++) {
        int64_t ps = pstart[pi], pe = pend[pi], m = pe - ps;
        const rrow *ri = &srt[pi];
        int64_t before = 0, upto = 0, distinct_before = 0;
        for (int64_t pj = ps; pj < pe; pj++) {
            int cmp = ref_ocmp(&srt[pj], ri, c);
            if (cmp < 0) {
                before++;
                /* a new distinct key: the first row of its peer group */
                if (pj == ps || ref_ocmp(&srt[pj - 1], &srt[pj], c) != 0) distinct_before++;
            }
            if (cmp <= 0) upto++;
        }
        check_i64(&out, 5, pi, true, pi - ps + 1, "row_number");
        check_i64(&out, 6, pi, true, before + 1, "rank");
        check_i64(&out, 7, pi, true, distinct_before + 1, "dense_rank");
        check_f64(&out, 8, pi, true, m > 1 ? (double)before / (double)(m - 1) : 0, "percent_rank");
        check_f64(&out, 9, pi, true, (double)upto / (double)m, "cume_dist");
        /* NTILE from bucket sizes. */
        int64_t bucket = 0, filled = 0;
        for (int64_t b = 0; b < 7; b++) {
            int64_t size = m / 7 + (b < m % 7 ? 1 : 0);
            if (pi - ps < filled + size) {
                bucket = b + 1;
                break;
            }
            filled += size;
        }
        check_i64(&out, 10, pi, true, bucket, "ntile");
        const rrow *lag = pi - 2 >= ps ? &srt[pi - 2] : NULL;
        check_i64(&out, 11, pi, lag == NULL || !lag->vn, lag ? lag->v : -1, "lag");
        const rrow *lead = pi + 3 < pe ? &srt[pi + 3] : NULL;
        check_i64(&out, 12, pi, lead != NULL && !lead->vn, lead ? lead->v : 0, "lead");
    }
    em_batch_list_release(&out);

    int nframes;
    const em_window_frame *frames = random_frames(&nframes);
    for (int fi = 0; fi < nframes; fi++) {
        em_window_call calls[NFRAME_CALLS];
        frame_calls(a, frames[fi], calls);
        run_ok(&in, 1, part, 1, order, NFRAME_CALLS, calls, &out);
        check_ids(&out, srt, n);
        for (int64_t pi = 0; pi < n; pi++)
            check_frame_row(&out, pi, srt, pstart[pi], pend[pi], pi, &frames[fi], c);
        em_batch_list_release(&out);
    }
    em_arena_destroy(a);
    em_batch_list_release(&in);
    free(pstart);
    free(pend);
    free(srt);
    free(rows);
}

static void test_random_asc_nulls_last(void **state)
{
    rcfg c = {false, false};
    random_vs_reference(100000, &c, 42);
}

static void test_random_desc_nulls_first(void **state)
{
    rcfg c = {true, true};
    random_vs_reference(60000, &c, 7);
}

static void test_random_other_null_placements(void **state)
{
    rcfg c1 = {false, true}, c2 = {true, false};
    random_vs_reference(12000, &c1, 99);
    random_vs_reference(12000, &c2, 123);
}

/* One partition of 100k rows: large frames (running, moving, shrinking),
 * checked at every 797th row. */
static void test_large_partition(void **state)
{
    int64_t n = 100000;
    rrow *rows = malloc((size_t)n * sizeof(rrow));
    make_rows(rows, n, 1, 20000, 5);
    em_batch_list in;
    rows_to_batches(rows, n, &in, 6);
    rcfg c = {false, false};
    rrow *srt = ref_sorted(rows, n, &c);
    em_sort_key order[] = {okey(2, false, false)};
    em_arena *a = em_arena_create(4096);
    em_window_frame frames[] = {
        FR_ROWS(PRECEDING, 100, CURRENT_ROW, 0),   FR_ROWS(CURRENT_ROW, 0, UNBOUNDED_FOLLOWING, 0),
        FR_RANGE(PRECEDING, 50, FOLLOWING, 50),    FR_RANGE(UNBOUNDED_PRECEDING, 0, CURRENT_ROW, 0),
        FR_ROWS(PRECEDING, 3000, FOLLOWING, 2000),
    };
    for (size_t fi = 0; fi < EM_ARRAY_LEN(frames); fi++) {
        em_window_call calls[NFRAME_CALLS];
        frame_calls(a, frames[fi], calls);
        em_batch_list out;
        /* No PARTITION BY: a single partition. */
        run_ok(&in, 0, NULL, 1, order, NFRAME_CALLS, calls, &out);
        check_ids(&out, srt, n);
        for (int64_t pi = 0; pi < n; pi += 797)
            check_frame_row(&out, pi, srt, 0, n, pi, &frames[fi], &c);
        check_frame_row(&out, n - 1, srt, 0, n, n - 1, &frames[fi], &c);
        em_batch_list_release(&out);
    }
    em_arena_destroy(a);
    em_batch_list_release(&in);
    free(srt);
    free(rows);
}

/* Under a small memory pool the operator spills sorted runs and computes the
 * merged stream a few partitions at a time: the answer must not change. */
static void test_spill(void **state)
{
    int64_t n = 60000;
    rrow *rows = malloc((size_t)n * sizeof(rrow));
    make_rows(rows, n, 300, 40, 17);
    em_batch_list in;
    rows_to_batches(rows, n, &in, 18);
    char dir[] = "/tmp/ember_window_XXXXXX";
    assert_non_null(mkdtemp(dir));
    em_arena *a = em_arena_create(4096);
    const em_expr *v = em_expr_column(a, 3, TY(BIGINT));
    em_window_call calls[NFRAME_CALLS + 3];
    frame_calls(a, FR_RANGE(PRECEDING, 2, FOLLOWING, 3), calls);
    calls[NFRAME_CALLS] = wc_rank(EM_WINDOW_DENSE_RANK);
    calls[NFRAME_CALLS + 1] = wc_value(EM_WINDOW_LEAD, v, 2, NULL, FR_DEFAULT);
    calls[NFRAME_CALLS + 2] = wc_agg(EM_AGG_SUM, v, FR_ROWS(PRECEDING, 50, FOLLOWING, 50));
    int part[] = {1};
    em_sort_key order[] = {okey(2, true, false)};
    em_batch_list plain, spilled;
    run_ok(&in, 1, part, 1, order, NFRAME_CALLS + 3, calls, &plain);

    em_memory_pool *pool = em_memory_pool_create(256 * 1024, dir);
    em_memory_task_begin(pool);
    g_ctx.memory = pool;
    run_ok(&in, 1, part, 1, order, NFRAME_CALLS + 3, calls, &spilled);
    g_ctx.memory = NULL;
    assert_true(em_memory_pool_spill_files(pool) > 1);
    assert_int_equal(em_memory_pool_used(pool), 0);
    em_memory_task_end(pool);
    em_memory_pool_destroy(pool);

    trows x = tr_collect(&plain), y = tr_collect(&spilled);
    assert_int_equal(x.n, n);
    assert_int_equal(y.n, n);
    for (int64_t i = 0; i < n; i++)
        if (strcmp(x.rows[i], y.rows[i]) != 0)
            fail_msg("row %lld: in memory \"%s\", spilled \"%s\"", (long long)i, x.rows[i],
                     y.rows[i]);
    tr_free(&x);
    tr_free(&y);
    for (int64_t b = 0; b + 1 < spilled.count; b++)
        assert_true(spilled.items[b]->nrows <= EM_BATCH_ROWS);
    em_batch_list_release(&plain);
    em_batch_list_release(&spilled);
    em_batch_list_release(&in);
    em_arena_destroy(a);
    free(rows);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranking),
        cmocka_unit_test(test_ranking_desc),
        cmocka_unit_test(test_ntile),
        cmocka_unit_test(test_lag_lead),
        cmocka_unit_test(test_first_last_nth),
        cmocka_unit_test(test_agg_rows),
        cmocka_unit_test(test_agg_range),
        cmocka_unit_test(test_range_double),
        cmocka_unit_test(test_range_decimal_and_fractions),
        cmocka_unit_test(test_range_dates),
        cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_strings_and_null_partitions),
        cmocka_unit_test(test_double_specials),
        cmocka_unit_test(test_variance),
        cmocka_unit_test(test_no_partition_no_order),
        cmocka_unit_test(test_output_batches),
        cmocka_unit_test(test_limit_downstream),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_random_asc_nulls_last),
        cmocka_unit_test(test_random_desc_nulls_first),
        cmocka_unit_test(test_random_other_null_placements),
        cmocka_unit_test(test_large_partition),
        cmocka_unit_test(test_spill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_agg_merge.c — the MERGE aggregation mode behind adaptive execution's
 * split of a skewed aggregation partition: partial states of several maps,
 * merged in two steps (consecutive ranges of maps merged into states again,
 * then the pieces finalized in order), give exactly the answers of merging
 * them all at once, for every aggregate whose states merge exactly — also when
 * a merging piece runs short of memory and emits early.
 */
#include <math.h>

#include "exec_test_util.h"

#include "memory/memory.h"

#define NMAPS 6
#define NROWS 4000

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

static em_agg_call call(const char *name, em_expr *arg)
{
    em_agg_call c;
    memset(&c, 0, sizeof c);
    em_error err = {0};
    em_type ret;
    if (em_agg_resolve(name, arg == NULL, arg ? arg->type : em_type_make(EM_TYPE_NULL), &c.kind,
                       &ret, &err) != 0)
        fail_msg("em_agg_resolve(%s): %s", name, err.message);
    c.arg = arg;
    c.type = ret;
    return c;
}

/* Run one aggregation over batches [first, end) of `in`, appending to *out. */
static void agg(em_task_ctx *ctx, const em_batch_list *in, int64_t first, int64_t end,
                em_agg_mode mode, int nkeys, em_expr **keys, int naggs, const em_agg_call *aggs,
                em_batch_list *out)
{
    em_op *op = em_op_hash_agg_create(ctx, mode, nkeys, keys, naggs, aggs);
    op->next = em_op_collect_create(ctx, out);
    em_source *src = em_source_list_create(in, first, end - first);
    em_error err = {0};
    int rc = em_pipeline_run(ctx, src, op, &err);
    if (rc != 0) fail_msg("aggregation: %s", err.message);
    src->destroy(src);
    em_op_chain_destroy(op);
}

/* One map's rows: a hot key 0 (most rows), a few others, NULL keys; values
 * with ties, NULLs, NaN and -0 among the doubles, strings with ties. */
static em_batch *map_rows(int m)
{
    int64_t k[NROWS], v[NROWS], dec[NROWS];
    double d[NROWS];
    bool dn[NROWS];
    const char *s[NROWS];
    static const char *words[] = {"pear", "apple", "Apple", "zebra", "apple", ""};
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(m + 1);
    for (int i = 0; i < NROWS; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int r = (int)(x % 1000);
        k[i] = r < 800 ? 0 : r < 990 ? r % 37 : TNULL;
        v[i] = r % 11 == 0 ? TNULL : (int64_t)(x >> 20) % 100000 - 50000;
        dec[i] = r % 13 == 0 ? TNULL : (int64_t)(x >> 24) % 1000000;
        d[i] = r % 17 == 0 ? NAN : r % 19 == 0 ? -0.0 : (double)(r % 50) * 0.5;
        dn[i] = r % 23 == 0;
        s[i] = r % 29 == 0 ? NULL : words[r % 6];
    }
    em_vector *dv = em_vector_create(em_type_decimal(12, 2), NROWS);
    for (int i = 0; i < NROWS; i++) {
        if (dec[i] == TNULL)
            em_vector_append_null(dv);
        else
            em_vector_append_i64(dv, dec[i]);
    }
    return tb_make(5, tv_i64(NROWS, k), tv_i64(NROWS, v), tv_f64(NROWS, d, dn), tv_str(NROWS, s),
                   dv);
}

static void check_two_step(int64_t merge_memory)
{
    em_task_ctx ctx = {0};
    em_expr *ck = em_expr_column(g_arena, 0, em_type_make(EM_TYPE_BIGINT));
    em_expr *cv = em_expr_column(g_arena, 1, em_type_make(EM_TYPE_BIGINT));
    em_expr *cd = em_expr_column(g_arena, 2, em_type_make(EM_TYPE_DOUBLE));
    em_expr *cs = em_expr_column(g_arena, 3, em_type_make(EM_TYPE_VARCHAR));
    em_expr *cdec = em_expr_column(g_arena, 4, em_type_decimal(12, 2));
    em_agg_call aggs[] = {
        call("count", NULL),
        call("count", cv),
        call("sum", cv),
        call("avg", cv),
        call("min", cv),
        call("max", cv),
        call("min", cd),
        call("max", cd),
        call("min", cs),
        call("max", cs),
        call("sum", cdec),
        call("avg", cdec),
        call("approx_count_distinct", cv),
        call("approx_count_distinct", cs),
    };
    int naggs = (int)EM_ARRAY_LEN(aggs);
    em_expr *keys[] = {ck};
    em_expr *refs[] = {ck}; /* FINAL and MERGE read the keys as columns 0.. */

    /* The map side: one partial aggregation per map. */
    em_batch_list partial;
    em_batch_list_init(&partial);
    int64_t bounds[NMAPS + 1];
    for (int m = 0; m < NMAPS; m++) {
        em_batch_list raw;
        em_batch_list_init(&raw);
        em_batch_list_push(&raw, map_rows(m));
        bounds[m] = partial.count;
        agg(&ctx, &raw, 0, raw.count, EM_AGG_MODE_PARTIAL, 1, keys, naggs, aggs, &partial);
        em_batch_list_release(&raw);
    }
    bounds[NMAPS] = partial.count;

    /* All at once. */
    em_batch_list want;
    em_batch_list_init(&want);
    agg(&ctx, &partial, 0, partial.count, EM_AGG_MODE_FINAL, 1, refs, naggs, aggs, &want);

    /* In two steps: maps [0, 1), [1, 4), [4, 6) merged, then finalized in order. */
    em_memory_pool *pool = merge_memory > 0 ? em_memory_pool_create(merge_memory, "/tmp") : NULL;
    em_task_ctx mctx = {.memory = pool};
    em_batch_list pieces;
    em_batch_list_init(&pieces);
    int cuts[] = {0, 1, 4, NMAPS};
    for (int i = 0; i < 3; i++)
        agg(&mctx, &partial, bounds[cuts[i]], bounds[cuts[i + 1]], EM_AGG_MODE_MERGE, 1, refs,
            naggs, aggs, &pieces);
    em_batch_list got;
    em_batch_list_init(&got);
    agg(&ctx, &pieces, 0, pieces.count, EM_AGG_MODE_FINAL, 1, refs, naggs, aggs, &got);

    trows w = tr_collect(&want), g = tr_collect(&got);
    tr_sort(&w);
    tr_sort(&g);
    assert_int_equal(g.n, w.n);
    assert_int_equal(w.n, 38); /* keys 0..36 (0 hot) and NULL */
    for (int64_t i = 0; i < w.n; i++) assert_string_equal(g.rows[i], w.rows[i]);
    tr_free(&w);
    tr_free(&g);
    em_batch_list_release(&got);
    em_batch_list_release(&pieces);
    em_batch_list_release(&want);
    em_batch_list_release(&partial);
    if (pool) em_memory_pool_destroy(pool);
}

static void test_two_step_merge(void **state)
{
    (void)state;
    check_two_step(0);
}

static void test_two_step_merge_short_of_memory(void **state)
{
    (void)state;
    check_two_step(4096); /* the merging pieces emit early, several times */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_step_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_step_merge_short_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

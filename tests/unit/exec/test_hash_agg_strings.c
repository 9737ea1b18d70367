/*
 * test_hash_agg_strings.c — GROUP BY a lone VARCHAR key, whose fast path keeps
 * each string's length (up to 254) and first 15 bytes beside the table and
 * compares the rest only when those agree. Every run is checked group by
 * group against counts and sums computed here row by row, over a dictionary
 * of keys built to trip a wrong comparison: strings that differ only after 15
 * bytes, only in bytes 7..14, only in length (trailing bytes 0, or lengths
 * past 254), '' and NULL, bytes 0 and 0xff, strings of thousands of bytes.
 * The runs cover the switch from packed short keys to the string path with
 * groups already present, every key hash forced equal (so that the bytes
 * alone decide), PARTIAL -> FINAL, spilling, and filtered batches.
 */
#include <stdlib.h>

#include "exec/key_hash.h"
#include "exec_test_util.h"
#include "memory/memory.h"

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
    em__hash_agg_test_mask = UINT64_MAX;
    return 0;
}

static em_type T(em_type_id id)
{
    return em_type_make(id);
}

static em_agg_call call(const char *name, em_expr *arg)
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
    return c;
}

/* ---- the dictionary of keys ------------------------------------------------------- */

typedef struct dkey {
    char *p;
    int32_t len; /* -1: NULL */
} dkey;

static dkey *g_dict;
static int g_ndict;

static int dkey_cmp(const void *x, const void *y)
{
    const dkey *a = x, *b = y;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    return a->len <= 0 ? 0 : memcmp(a->p, b->p, (size_t)a->len);
}

static void dict_add(const char *p, int32_t len)
{
    g_dict = realloc(g_dict, sizeof(dkey) * (size_t)(g_ndict + 1));
    dkey *k = &g_dict[g_ndict++];
    k->len = len;
    k->p = malloc((size_t)(len > 0 ? len : 1));
    if (len > 0) memcpy(k->p, p, (size_t)len);
}

/* Keys in families that share as much as possible: for each length, strings
 * of 'a' with one or two bytes changed (to 'b', 0 or 0xff) at positions that
 * straddle the 7- and 15-byte boundaries; then deduplicated and sorted, with
 * NULL (len -1) first and '' next. */
static void dict_build(void)
{
    static const int32_t lens[] = {1,  2,  3,  4,  5,  6,  7,  8,   9,   11,  12,  13,
                                   14, 15, 16, 17, 20, 31, 64, 253, 254, 255, 256, 4000};
    static const char subst[] = {'b', 0, (char)0xff};
    char buf[4000];
    g_ndict = 0;
    dict_add(NULL, -1);
    dict_add("", 0);
    for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
        int32_t len = lens[li];
        memset(buf, 'a', (size_t)len);
        dict_add(buf, len);
        int32_t pos[] = {0, 3, 4, 6, 7, 8, 11, 12, 14, 15, 16, len / 2, len - 2, len - 1};
        for (size_t x = 0; x < sizeof(pos) / sizeof(pos[0]); x++) {
            if (pos[x] < 0 || pos[x] >= len) continue;
            for (size_t s = 0; s < sizeof(subst); s++) {
                memset(buf, 'a', (size_t)len);
                buf[pos[x]] = subst[s];
                dict_add(buf, len);
                /* And a second change further on. */
                for (size_t y = x + 1; y < sizeof(pos) / sizeof(pos[0]); y++) {
                    if (pos[y] <= pos[x] || pos[y] >= len) continue;
                    buf[pos[y]] = 'c';
                    dict_add(buf, len);
                    buf[pos[y]] = 'a';
                }
            }
        }
    }
    qsort(g_dict, (size_t)g_ndict, sizeof(dkey), dkey_cmp);
    int n = 0;
    for (int i = 0; i < g_ndict; i++) {
        if (n > 0 && dkey_cmp(&g_dict[n - 1], &g_dict[i]) == 0) {
            free(g_dict[i].p);
            continue;
        }
        g_dict[n++] = g_dict[i];
    }
    g_ndict = n;
}

static void dict_free(void)
{
    for (int i = 0; i < g_ndict; i++) free(g_dict[i].p);
    free(g_dict);
    g_dict = NULL;
    g_ndict = 0;
}

/* Index of the key at row i of v in the dictionary, or -1. */
static int dict_find(const em_vector *v, int64_t i)
{
    dkey k = {NULL, -1};
    if (em_vector_is_valid(v, i)) k.p = (char *)em_vector_str(v, i, &k.len);
    dkey *hit = bsearch(&k, g_dict, (size_t)g_ndict, sizeof(dkey), dkey_cmp);
    return hit != NULL ? (int)(hit - g_dict) : -1;
}

/* ---- input and checking ---------------------------------------------------------- */

typedef struct ref {
    int64_t cnt, sum;
} ref;

enum { ROWS = 2048 };

static uint64_t g_seed;

/* `nbatches` batches of (key, value). The first `short_batches` use only keys
 * of at most 7 bytes (packed), so later ones switch paths with groups present.
 * Rows whose `keep` flag is off (every 5th) are dropped by the filtered runs
 * and not counted in ref_kept. */
static void make_input(em_batch_list *in, int nbatches, int short_batches, ref *ref_all,
                       ref *ref_kept)
{
    em_batch_list_init(in);
    int nshort = 0;
    while (nshort < g_ndict && g_dict[nshort].len <= 7) nshort++;
    for (int b = 0; b < nbatches; b++) {
        em_vector *k = em_vector_create(T(EM_TYPE_VARCHAR), ROWS);
        em_vector *v = em_vector_create(T(EM_TYPE_BIGINT), ROWS);
        for (int i = 0; i < ROWS; i++) {
            uint64_t r = trand(&g_seed);
            int d = (int)(r % (uint64_t)(b < short_batches ? nshort : g_ndict));
            if (g_dict[d].len < 0)
                em_vector_append_null(k);
            else
                em_vector_append_str(k, g_dict[d].p, g_dict[d].len);
            int64_t x = (int64_t)((r >> 20) % 1000);
            em_vector_append_i64(v, x);
            ref_all[d].cnt++;
            ref_all[d].sum += x;
            if (i % 5 != 0) {
                ref_kept[d].cnt++;
                ref_kept[d].sum += x;
            }
        }
        em_batch_list_push(in, tb_make(2, k, v));
    }
}

/* The output (key, count(*), sum(v)) has one row per dictionary key with rows,
 * and that row's figures. */
static void check(const em_batch_list *out, const ref *want)
{
    int *seen = calloc((size_t)g_ndict, sizeof(int));
    int64_t groups = 0;
    for (int64_t b = 0; b < out->count; b++) {
        const em_batch *o = out->items[b];
        for (int64_t i = 0; i < o->nrows; i++) {
            int d = dict_find(o->cols[0], i);
            if (d < 0) fail_msg("an output key that no input row has (row %lld)", (long long)i);
            if (seen[d]++) fail_msg("key %d (length %d) in two groups", d, g_dict[d].len);
            assert_int_equal(EM_VEC_I64(o->cols[1])[i], want[d].cnt);
            assert_int_equal(EM_VEC_I64(o->cols[2])[i], want[d].sum);
            groups++;
        }
    }
    int64_t expect = 0;
    for (int d = 0; d < g_ndict; d++) expect += want[d].cnt > 0;
    assert_int_equal(groups, expect);
    free(seen);
}

/* Run the batches through PARTIAL aggregations over `nparts` slices (1:
 * COMPLETE), a FINAL one over their output when nparts > 1; `filtered` pushes
 * each batch with every 5th row deselected; `pool` limits memory (NULL: none). */
static void run(const em_batch_list *in, int nparts, bool filtered, em_memory_pool *pool,
                em_batch_list *out)
{
    em_task_ctx ctx = {.memory = pool};
    em_expr *keys[] = {em_expr_column(g_arena, 0, T(EM_TYPE_VARCHAR))};
    em_expr *v = em_expr_column(g_arena, 1, T(EM_TYPE_BIGINT));
    em_agg_call aggs[] = {call("count", NULL), call("sum", v)};
    em_error err = {0};
    em_batch_list mid;
    em_batch_list_init(&mid);
    em_agg_mode mode = nparts > 1 ? EM_AGG_MODE_PARTIAL : EM_AGG_MODE_COMPLETE;
    em_batch_list *dst = nparts > 1 ? &mid : out;
    em_batch_list_init(out);
    for (int p = 0; p < nparts; p++) {
        em_op *op = em_op_hash_agg_create(&ctx, mode, 1, keys, 2, aggs);
        op->next = em_op_collect_create(&ctx, dst);
        int32_t sel[ROWS];
        for (int64_t b = p; b < in->count; b += nparts) {
            em_batch *x = em_batch_ref_copy(in->items[b]);
            int rc;
            if (filtered) {
                int64_t n = 0;
                for (int64_t i = 0; i < x->nrows; i++)
                    if (i % 5 != 0) sel[n++] = (int32_t)i;
                rc = op->push_sel(op, x, sel, n, &err);
            } else {
                rc = op->vt->push(op, x, &err);
            }
            if (rc != 0) fail_msg("push: %s", err.message);
        }
        if (op->vt->finish(op, &err) != 0) fail_msg("finish: %s", err.message);
        em_op_chain_destroy(op);
    }
    if (nparts > 1) {
        /* The FINAL aggregation reads the keys and the partial states. */
        em_op *op = em_op_hash_agg_create(&ctx, EM_AGG_MODE_FINAL, 1, NULL, 2, aggs);
        op->next = em_op_collect_create(&ctx, out);
        assert_int_equal(tp_run(&mid, op, &err), 0);
    }
    em_batch_list_release(&mid);
}

/* Every configuration, with the key hashes as they are and masked by `mask`. */
static void check_all(uint64_t mask, int nbatches)
{
    dict_build();
    assert_true(g_ndict > 1000);
    ref *all = calloc((size_t)g_ndict, sizeof(ref)), *kept = calloc((size_t)g_ndict, sizeof(ref));
    em_batch_list in, out;
    g_seed = 42;
    make_input(&in, nbatches, 2, all, kept);
    em__hash_agg_test_mask = mask;

    run(&in, 1, false, NULL, &out);
    check(&out, all);
    em_batch_list_release(&out);

    run(&in, 3, false, NULL, &out);
    check(&out, all);
    em_batch_list_release(&out);

    run(&in, 1, true, NULL, &out);
    check(&out, kept);
    em_batch_list_release(&out);

    run(&in, 2, true, NULL, &out);
    check(&out, kept);
    em_batch_list_release(&out);

    /* Too little memory: COMPLETE spills its groups and merges them back;
     * PARTIAL emits early and starts over. */
    em_memory_pool *pool = em_memory_pool_create(96 * 1024, "/tmp");
    run(&in, 1, false, pool, &out);
    check(&out, all);
    em_batch_list_release(&out);
    run(&in, 2, false, pool, &out);
    check(&out, all);
    em_batch_list_release(&out);
    em_memory_pool_destroy(pool);

    em__hash_agg_test_mask = UINT64_MAX;
    em_batch_list_release(&in);
    free(all);
    free(kept);
    dict_free();
}

static void test_string_keys(void **state)
{
    (void)state;
    check_all(UINT64_MAX, 12);
}

/* Every key hashes alike: one probe chain, the bytes alone decide. */
static void test_string_keys_all_hashes_equal(void **state)
{
    (void)state;
    check_all(0, 4);
}

/* A few hash values, in the bits the table and the spill partitions use. */
static void test_string_keys_few_hashes(void **state)
{
    (void)state;
    check_all(0xf00000000000000fULL, 6);
}

/* Many distinct long keys that agree in their first 12 bytes and length, over
 * several table growths (the first 15 bytes agree for runs of ten keys). */
static void test_string_keys_shared_prefix_growth(void **state)
{
    (void)state;
    em_batch_list in, out;
    em_batch_list_init(&in);
    enum { N = 20000 };
    for (int b = 0; b < 2 * N / ROWS + 1; b++) {
        em_vector *k = em_vector_create(T(EM_TYPE_VARCHAR), ROWS);
        em_vector *v = em_vector_create(T(EM_TYPE_BIGINT), ROWS);
        for (int i = 0; i < ROWS; i++) {
            int x = (b * ROWS + i) % N;
            char s[64];
            int len = snprintf(s, sizeof(s), "same-prefix-%08d", x);
            em_vector_append_str(k, s, len);
            em_vector_append_i64(v, x);
        }
        em_batch_list_push(&in, tb_make(2, k, v));
    }
    em_expr *keys[] = {em_expr_column(g_arena, 0, T(EM_TYPE_VARCHAR))};
    em_expr *v = em_expr_column(g_arena, 1, T(EM_TYPE_BIGINT));
    em_agg_call aggs[] = {call("count", NULL), call("sum", v)};
    em_error err = {0};
    em_batch_list_init(&out);
    em_op *op = em_op_hash_agg_create(&g_ctx, EM_AGG_MODE_COMPLETE, 1, keys, 2, aggs);
    op->next = em_op_collect_create(&g_ctx, &out);
    assert_int_equal(tp_run(&in, op, &err), 0);
    int64_t rows = 0, total = 0;
    int64_t want_total = (int64_t)(in.count * ROWS);
    for (int64_t b = 0; b < out.count; b++) {
        const em_batch *o = out.items[b];
        for (int64_t i = 0; i < o->nrows; i++) {
            int32_t len;
            const char *s = em_vector_str(o->cols[0], i, &len);
            assert_int_equal(len, 20);
            int x = 0;
            for (int j = 12; j < len; j++) x = x * 10 + (s[j] - '0');
            int64_t cnt = EM_VEC_I64(o->cols[1])[i];
            /* Key x appears once per pass over 0..N-1 that reaches it. */
            int64_t expect = want_total / N + (x < want_total % N);
            assert_int_equal(cnt, expect);
            assert_int_equal(EM_VEC_I64(o->cols[2])[i], cnt * x);
            total += cnt;
            rows++;
        }
    }
    assert_int_equal(rows, N);
    assert_int_equal(total, want_total);
    em_batch_list_release(&out);
    em_batch_list_release(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_keys),
        cmocka_unit_test(test_string_keys_all_hashes_equal),
        cmocka_unit_test(test_string_keys_few_hashes),
        cmocka_unit_test(test_string_keys_shared_prefix_growth),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

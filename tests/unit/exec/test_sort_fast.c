/*
 * test_sort_fast.c — the sort's fast paths against plain references: a lone
 * integer key column sorted as bare values (every integer type, extremes,
 * duplicates, NULLs in some batches, ASC/DESC, NULLS FIRST/LAST, top-N,
 * spilling runs), the radix sort on row entries for large inputs, and the
 * k-way merge (packed single-key tree, normalized first key with ties going
 * to later keys, string keys) checked for exact, stable output.
 */
#include <dirent.h>
#include <math.h>
#include <unistd.h>

#include "exec_test_util.h"
#include "memory/memory.h"

static em_task_ctx g_ctx;
static char g_dir[] = "/tmp/ember_sort_fast_XXXXXX";

static int setup(void **state)
{
    EM_UNUSED(state);
    return mkdtemp(g_dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    EM_UNUSED(state);
    rmdir(g_dir);
    return 0;
}

/* ---- a lone integer key column ------------------------------------------------ */

typedef struct ival {
    bool null;
    int64_t v;
} ival;

static bool g_desc, g_nulls_first;

static int ival_cmp(const void *x, const void *y)
{
    const ival *a = x, *b = y;
    if (a->null || b->null) {
        if (a->null && b->null) return 0;
        return a->null ? (g_nulls_first ? -1 : 1) : (g_nulls_first ? 1 : -1);
    }
    int r = a->v < b->v ? -1 : (a->v > b->v);
    return g_desc ? -r : r;
}

/* A value of distribution `dist` for a column `width` bytes wide. */
static int64_t draw(uint64_t *seed, int dist, int width)
{
    uint64_t r = trand(seed);
    int64_t lo = width == 4 ? INT32_MIN : INT64_MIN, hi = width == 4 ? INT32_MAX : INT64_MAX;
    switch (dist) {
    case 0: /* the whole range, extremes included */
        if (r % 50 == 0) return lo;
        if (r % 50 == 1) return hi;
        return width == 4 ? (int64_t)(int32_t)(r >> 7) : (int64_t)(r >> 1) * (r & 1 ? 1 : -1);
    case 1: /* many duplicates around zero */
        return (int64_t)(r % 21) - 10;
    case 2: /* near the extremes: the high bytes agree within each end */
        return (r & 1) ? hi - (int64_t)(r % 300) : lo + (int64_t)(r % 300);
    default: /* positive, clustered: only low bytes differ */
        return 1000000 + (int64_t)(r % 5000);
    }
}

/* Batches of one column of type t; rows listed in *vals (NULLs too). Some
 * batches carry NULLs, others none (no validity bitmap at all). */
static void make_column(em_batch_list *l, em_type t, int64_t n, int dist, uint64_t seed,
                        ival **vals)
{
    int width = (int)em_type_width(t);
    em_batch_list_init(l);
    *vals = calloc((size_t)n + 1, sizeof(ival));
    int64_t k = 0;
    while (k < n) {
        /* (EM_MIN evaluates its arguments twice: draw first.) */
        int64_t m = (int64_t)(1 + trand(&seed) % EM_BATCH_ROWS);
        m = EM_MIN(m, n - k);
        bool nulls = trand(&seed) % 3 == 0;
        em_vector *v = em_vector_create(t, m);
        for (int64_t i = 0; i < m; i++, k++) {
            if (nulls && trand(&seed) % 7 == 0) {
                em_vector_append_null(v);
                (*vals)[k].null = true;
                continue;
            }
            int64_t x = draw(&seed, dist, width);
            (*vals)[k].v = x;
            if (width == 4)
                em_vector_append_i32(v, (int32_t)x);
            else
                em_vector_append_i64(v, x);
        }
        em_batch_list_push(l, tb_make(1, v));
    }
}

/* Sort `in` on its column under a pool of `pool_bytes` (0: none). */
static void sort_column(const em_batch_list *in, em_sort_key key, int64_t limit, int64_t pool_bytes,
                        em_batch_list *out, int64_t *spilled)
{
    em_memory_pool *pool = pool_bytes > 0 ? em_memory_pool_create(pool_bytes, g_dir) : NULL;
    if (pool) em_memory_task_begin(pool);
    g_ctx.memory = pool;
    em_batch_list_init(out);
    em_op *s = em_op_sort_create(&g_ctx, 1, &key, limit);
    s->next = em_op_collect_create(&g_ctx, out);
    em_source *src = em_source_list_create(in, 0, in->count);
    em_error err = {0};
    assert_int_equal(em_pipeline_run(&g_ctx, src, s, &err), 0);
    *spilled = s->stats.spilled;
    src->destroy(src);
    em_op_chain_destroy(s);
    g_ctx.memory = NULL;
    if (pool) {
        assert_int_equal(em_memory_pool_used(pool), 0);
        em_memory_task_end(pool);
        em_memory_pool_destroy(pool);
    }
}

static void check_column(const em_batch_list *out, em_type t, const ival *exp, int64_t n)
{
    int64_t k = 0;
    for (int64_t b = 0; b < out->count; b++) {
        const em_batch *bt = out->items[b];
        assert_int_equal(bt->ncols, 1);
        assert_true(bt->nrows <= EM_BATCH_ROWS);
        const em_vector *v = bt->cols[0];
        assert_int_equal(v->type.id, t.id);
        assert_int_equal(v->type.scale, t.scale);
        for (int64_t i = 0; i < bt->nrows; i++, k++) {
            assert_true(k < n);
            bool null = !em_vector_is_valid(v, i);
            if (null != exp[k].null)
                fail_msg("row %lld: NULL %d, expected %d", (long long)k, null, exp[k].null);
            if (null) continue;
            int64_t got = em_type_width(t) == 4 ? EM_VEC_I32(v)[i] : EM_VEC_I64(v)[i];
            if (got != exp[k].v)
                fail_msg("row %lld of %lld (type %d %s, nulls %s): %lld, expected %lld",
                         (long long)k, (long long)n, (int)t.id, g_desc ? "DESC" : "ASC",
                         g_nulls_first ? "first" : "last", (long long)got, (long long)exp[k].v);
        }
    }
    assert_int_equal(k, n);
}

static void one_column_case(em_type t, int64_t n, int dist, int64_t limit, int64_t pool_bytes,
                            uint64_t seed, bool expect_spill)
{
    em_batch_list in;
    ival *vals;
    make_column(&in, t, n, dist, seed, &vals);
    for (int mode = 0; mode < 4; mode++) {
        g_desc = mode & 1;
        g_nulls_first = mode & 2;
        em_sort_key key = {0, g_desc, g_nulls_first};
        ival *exp = malloc(sizeof(ival) * (size_t)(n + 1));
        memcpy(exp, vals, sizeof(ival) * (size_t)n);
        qsort(exp, (size_t)n, sizeof(ival), ival_cmp);
        em_batch_list out;
        int64_t spilled;
        sort_column(&in, key, limit, pool_bytes, &out, &spilled);
        check_column(&out, t, exp, limit >= 0 ? EM_MIN(limit, n) : n);
        if (expect_spill) assert_true(spilled > 0);
        em_batch_list_release(&out);
        free(exp);
    }
    free(vals);
    em_batch_list_release(&in);
}

static void test_key_column_types(void **state)
{
    EM_UNUSED(state);
    const em_type types[] = {em_type_make(EM_TYPE_BIGINT), em_type_make(EM_TYPE_INTEGER),
                             em_type_make(EM_TYPE_DATE), em_type_make(EM_TYPE_TIMESTAMP),
                             em_type_decimal(18, 3)};
    for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++)
        for (int dist = 0; dist < 4; dist++) {
            uint64_t seed = 100 * ti + (uint64_t)dist;
            one_column_case(types[ti], 1, dist, -1, 0, seed, false);
            one_column_case(types[ti], 37, dist, -1, 0, seed, false);
            one_column_case(types[ti], 6000, dist, -1, 0, seed, false);
        }
}

/* Enough rows for several radix levels and the insertion sorts below them. */
static void test_key_column_large(void **state)
{
    EM_UNUSED(state);
    for (int dist = 0; dist < 4; dist++) {
        one_column_case(em_type_make(EM_TYPE_BIGINT), 300000, dist, -1, 0, 7 + (uint64_t)dist,
                        false);
        one_column_case(em_type_make(EM_TYPE_INTEGER), 120000, dist, -1, 0, 9 + (uint64_t)dist,
                        false);
    }
}

static void test_key_column_top_n(void **state)
{
    EM_UNUSED(state);
    const int64_t limits[] = {0, 1, 7, 2048, 5000, 70000};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        one_column_case(em_type_make(EM_TYPE_BIGINT), 60000, 0, limits[i], 0, 11 + i, false);
        one_column_case(em_type_make(EM_TYPE_INTEGER), 60000, 1, limits[i], 0, 13 + i, false);
    }
}

/* A small pool: the sort writes runs and merges them (one fast key, NULL
 * ranks included). */
static void test_key_column_spill(void **state)
{
    EM_UNUSED(state);
    one_column_case(em_type_make(EM_TYPE_BIGINT), 150000, 0, -1, 256 << 10, 21, true);
    one_column_case(em_type_make(EM_TYPE_BIGINT), 150000, 1, -1, 256 << 10, 22, true);
    one_column_case(em_type_make(EM_TYPE_INTEGER), 150000, 2, 40000, 256 << 10, 23, false);
}

/* Merging runs of a lone integer key column (bare keys in the tree; NULLs
 * or a key at the top of the range hand over to the packed tree mid-way). */
static void test_merge_key_column(void **state)
{
    EM_UNUSED(state);
    const em_type types[] = {em_type_make(EM_TYPE_BIGINT), em_type_make(EM_TYPE_INTEGER),
                             em_type_decimal(18, 2)};
    const int nruns[] = {1, 2, 3, 16, 17};
    for (size_t ti = 0; ti < 3; ti++)
        for (size_t ri = 0; ri < 5; ri++)
            for (int dist = 0; dist < 4; dist++)
                for (int mode = 0; mode < 4; mode++) {
                    g_desc = mode & 1;
                    g_nulls_first = mode & 2;
                    em_sort_key key = {0, g_desc, g_nulls_first};
                    int nr = nruns[ri];
                    em_batch_list *raw = calloc((size_t)nr, sizeof(em_batch_list));
                    em_batch_list *sorted = calloc((size_t)nr, sizeof(em_batch_list));
                    const em_batch_list **ptrs = calloc((size_t)nr, sizeof(em_batch_list *));
                    ival *all = calloc(40000, sizeof(ival));
                    int64_t total = 0;
                    uint64_t seed = 7000 + 100 * ti + 10 * ri + (uint64_t)dist;
                    for (int r = 0; r < nr; r++) {
                        int64_t n = (int64_t)(trand(&seed) % 2000);
                        ival *vals;
                        make_column(&raw[r], types[ti], n, dist, seed + (uint64_t)r, &vals);
                        /* Most runs without NULLs, so that the bare-key tree runs. */
                        if (r % 3 != 1) {
                            for (int64_t b = 0; b < raw[r].count; b++) {
                                em_vector *v = raw[r].items[b]->cols[0];
                                em_free(v->validity);
                                v->validity = NULL;
                                v->null_count = 0;
                            }
                            for (int64_t i = 0; i < n; i++) vals[i].null = false;
                        }
                        memcpy(all + total, vals, sizeof(ival) * (size_t)n);
                        total += n;
                        free(vals);
                        int64_t spilled;
                        sort_column(&raw[r], key, -1, 0, &sorted[r], &spilled);
                        ptrs[r] = &sorted[r];
                    }
                    qsort(all, (size_t)total, sizeof(ival), ival_cmp);
                    em_source *m = em_source_merge_create(nr, ptrs, 1, &key);
                    em_batch_list out;
                    em_batch_list_init(&out);
                    em_op *col = em_op_collect_create(&g_ctx, &out);
                    em_error err = {0};
                    assert_int_equal(em_pipeline_run(&g_ctx, m, col, &err), 0);
                    m->destroy(m);
                    em_op_chain_destroy(col);
                    check_column(&out, types[ti], all, total);
                    em_batch_list_release(&out);
                    for (int r = 0; r < nr; r++) {
                        em_batch_list_release(&raw[r]);
                        em_batch_list_release(&sorted[r]);
                    }
                    free(raw);
                    free(sorted);
                    free(ptrs);
                    free(all);
                }
}

/* ---- rows with payload: radix sort of entries, merge of runs ------------------ */

/* Batches of (position BIGINT, key0, key1 BIGINT) rows; key0 of type `kt`. */
static void make_rows(em_batch_list *l, em_type_id kt, int64_t n, int64_t base, uint64_t seed)
{
    static const double dbl[] = {0.0, -0.0, 1.5, -1.5, INFINITY, -INFINITY, NAN, 1e300, -1e-300};
    static const char *const words[] = {"",
                                        "a",
                                        "ab",
                                        "ab\x01",
                                        "abcdefgh",
                                        "abcdefghi",
                                        "abcdefgh\x7f",
                                        "zz",
                                        "\xc3\xa9t\xc3\xa9"};
    em_batch_list_init(l);
    int64_t k = 0;
    while (k < n) {
        /* (EM_MIN evaluates its arguments twice: draw first.) */
        int64_t m = (int64_t)(1 + trand(&seed) % EM_BATCH_ROWS);
        m = EM_MIN(m, n - k);
        bool nulls = trand(&seed) % 2 == 0;
        em_vector *p = em_vector_create(em_type_make(EM_TYPE_BIGINT), m);
        em_vector *a = em_vector_create(em_type_make(kt), m);
        em_vector *b = em_vector_create(em_type_make(EM_TYPE_BIGINT), m);
        for (int64_t i = 0; i < m; i++, k++) {
            uint64_t r = trand(&seed);
            em_vector_append_i64(p, base + k);
            if (nulls && r % 9 == 0) {
                em_vector_append_null(a);
            } else if (kt == EM_TYPE_DOUBLE) {
                em_vector_append_f64(a, dbl[(r >> 8) % 9]);
            } else if (kt == EM_TYPE_VARCHAR) {
                const char *w = words[(r >> 8) % 9];
                em_vector_append_str(a, w, (int32_t)strlen(w));
            } else {
                int64_t x = (int64_t)((r >> 8) % 40) - 20;
                if ((r >> 20) % 10 == 0) x = (r >> 30) & 1 ? INT64_MAX : INT64_MIN;
                em_vector_append_i64(a, x);
            }
            if (nulls && (r >> 40) % 11 == 0)
                em_vector_append_null(b);
            else
                em_vector_append_i64(b, (int64_t)((r >> 44) % 5));
        }
        em_batch_list_push(l, tb_make(3, p, a, b));
    }
}

typedef struct ref_row {
    const em_batch *b;
    int64_t i;
    int64_t seq;
} ref_row;
static int g_nkeys;
static const em_sort_key *g_keys;

static int ref_cmp(const void *x, const void *y)
{
    const ref_row *a = x, *b = y;
    int r = em_sort_compare_rows(a->b, a->i, b->b, b->i, g_nkeys, g_keys);
    if (r != 0) return r;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/* Positions (column 0) after a stable sort of the lists taken in order. */
static int64_t *reference(const em_batch_list *lists, int nlists, int nkeys,
                          const em_sort_key *keys, int64_t *n_out)
{
    int64_t n = 0;
    for (int li = 0; li < nlists; li++) n += lists[li].rows;
    ref_row *rows = calloc((size_t)n + 1, sizeof(ref_row));
    int64_t k = 0;
    for (int li = 0; li < nlists; li++)
        for (int64_t b = 0; b < lists[li].count; b++)
            for (int64_t i = 0; i < lists[li].items[b]->nrows; i++, k++) {
                rows[k].b = lists[li].items[b];
                rows[k].i = i;
                rows[k].seq = k;
            }
    g_nkeys = nkeys;
    g_keys = keys;
    qsort(rows, (size_t)k, sizeof(ref_row), ref_cmp);
    int64_t *pos = calloc((size_t)k + 1, sizeof(int64_t));
    for (int64_t i = 0; i < k; i++) pos[i] = EM_VEC_I64(rows[i].b->cols[0])[rows[i].i];
    free(rows);
    *n_out = k;
    return pos;
}

static void check_positions(const em_batch_list *out, const int64_t *exp, int64_t n)
{
    int64_t k = 0;
    for (int64_t b = 0; b < out->count; b++) {
        const em_batch *bt = out->items[b];
        /* Full batches except the last one. */
        if (b + 1 < out->count) assert_int_equal(bt->nrows, EM_BATCH_ROWS);
        for (int64_t i = 0; i < bt->nrows; i++, k++) {
            assert_true(k < n);
            int64_t got = EM_VEC_I64(bt->cols[0])[i];
            if (got != exp[k])
                fail_msg("row %lld: position %lld, expected %lld", (long long)k, (long long)got,
                         (long long)exp[k]);
        }
    }
    assert_int_equal(k, n);
}

static void sort_rows(const em_batch_list *in, int nkeys, const em_sort_key *keys,
                      em_batch_list *out)
{
    em_batch_list_init(out);
    em_op *s = em_op_sort_create(&g_ctx, nkeys, keys, -1);
    s->next = em_op_collect_create(&g_ctx, out);
    em_error err = {0};
    assert_int_equal(tp_run(in, s, &err), 0);
}

/* Large inputs with few distinct first keys: radix passes, runs of equal
 * pieces refined by the next key, stability on full ties. */
static void test_entries_large(void **state)
{
    EM_UNUSED(state);
    const em_type_id kts[] = {EM_TYPE_BIGINT, EM_TYPE_DOUBLE, EM_TYPE_VARCHAR};
    for (int t = 0; t < 3; t++)
        for (int mode = 0; mode < 4; mode++) {
            em_sort_key keys[] = {{1, mode & 1, (mode & 2) != 0}, {2, (mode & 2) != 0, mode & 1}};
            em_batch_list in, out;
            make_rows(&in, kts[t], 50000, 0, 31 + (uint64_t)(4 * t + mode));
            for (int nk = 1; nk <= 2; nk++) {
                int64_t n;
                int64_t *exp = reference(&in, 1, nk, keys, &n);
                sort_rows(&in, nk, keys, &out);
                check_positions(&out, exp, n);
                em_batch_list_release(&out);
                free(exp);
            }
            em_batch_list_release(&in);
        }
}

static void merge_case(em_type_id kt, int nruns, int nkeys, const em_sort_key *keys, uint64_t seed)
{
    em_batch_list *raw = calloc((size_t)nruns, sizeof(em_batch_list));
    em_batch_list *sorted = calloc((size_t)nruns, sizeof(em_batch_list));
    const em_batch_list **ptrs = calloc((size_t)nruns, sizeof(em_batch_list *));
    int64_t base = 0;
    for (int r = 0; r < nruns; r++) {
        /* Uneven runs, some empty. */
        int64_t n = r % 4 == 3 ? 0 : (int64_t)(trand(&seed) % 7000);
        make_rows(&raw[r], kt, n, base, seed + (uint64_t)r);
        base += n;
        sort_rows(&raw[r], nkeys, keys, &sorted[r]);
        ptrs[r] = &sorted[r];
    }
    int64_t n;
    int64_t *exp = reference(raw, nruns, nkeys, keys, &n);
    em_source *m = em_source_merge_create(nruns, ptrs, nkeys, keys);
    em_batch_list out;
    em_batch_list_init(&out);
    em_op *col = em_op_collect_create(&g_ctx, &out);
    em_error err = {0};
    assert_int_equal(em_pipeline_run(&g_ctx, m, col, &err), 0);
    m->destroy(m);
    em_op_chain_destroy(col);
    check_positions(&out, exp, n);
    em_batch_list_release(&out);
    free(exp);
    for (int r = 0; r < nruns; r++) {
        em_batch_list_release(&raw[r]);
        em_batch_list_release(&sorted[r]);
    }
    free(raw);
    free(sorted);
    free(ptrs);
}

static void test_merge_fast_keys(void **state)
{
    EM_UNUSED(state);
    const em_type_id kts[] = {EM_TYPE_BIGINT, EM_TYPE_DOUBLE, EM_TYPE_VARCHAR};
    const int nruns[] = {1, 2, 3, 5, 16, 17};
    for (int t = 0; t < 3; t++)
        for (size_t ri = 0; ri < sizeof(nruns) / sizeof(nruns[0]); ri++)
            for (int mode = 0; mode < 4; mode++) {
                em_sort_key keys[] = {{1, mode & 1, (mode & 2) != 0},
                                      {2, (mode & 2) != 0, mode & 1}};
                uint64_t seed = 1000 * (uint64_t)t + 10 * ri + (uint64_t)mode;
                merge_case(kts[t], nruns[ri], 1, keys, seed); /* packed tree when fixed-width */
                merge_case(kts[t], nruns[ri], 2, keys, seed); /* ties go to the second key */
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_column_types), cmocka_unit_test(test_key_column_large),
        cmocka_unit_test(test_key_column_top_n), cmocka_unit_test(test_key_column_spill),
        cmocka_unit_test(test_merge_key_column), cmocka_unit_test(test_entries_large),
        cmocka_unit_test(test_merge_fast_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

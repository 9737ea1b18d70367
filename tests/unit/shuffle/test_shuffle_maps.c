/*
 * test_shuffle_maps.c — what adaptive execution reads from a shuffle: the
 * outputs of a range of maps for one reduce partition (a skewed partition
 * split into tasks), every partition at once (a side switched to a broadcast
 * join), and the bytes of each (map, reduce) block, with the maps' outputs in
 * memory and in indexed files alike.
 */
#include "../exec/exec_test_util.h"

#include "shuffle/shuffle.h"

#define NMAPS 5
#define NREDUCE 3
#define NROWS 3000

/* Map m writes rows k = m * NROWS + i, v = k * 3, hash-partitioned on k. */
static void write_map(em_shuffle_store *s, em_memory_pool *pool, int map)
{
    em_task_ctx ctx = {.memory = pool};
    int keys[1] = {0};
    em_op *w = em_shuffle_writer_create(&ctx, s, 0, map, 1, keys);
    int64_t k[NROWS], v[NROWS];
    for (int i = 0; i < NROWS; i++) {
        k[i] = (int64_t)map * NROWS + i;
        v[i] = k[i] * 3;
    }
    em_batch *b = tb_make(2, tv_i64(NROWS, k), tv_i64(NROWS, v));
    em_error err = {0};
    assert_int_equal(w->vt->push(w, b, &err), 0);
    assert_int_equal(w->vt->finish(w, &err), 0);
    w->vt->destroy(w);
}

/* Rows of a source; every row must come from maps [m0, m1) and reduce r
 * (r < 0: any), in map order. */
static int64_t drain(em_source *src, int r, int m0, int m1)
{
    em_error err = {0};
    int64_t rows = 0, last = -1;
    for (;;) {
        em_batch *b;
        assert_int_equal(src->next(src, &b, &err), 0);
        if (!b) break;
        uint64_t *h = malloc(sizeof(uint64_t) * (size_t)b->nrows);
        int key = 0;
        em_shuffle_hash_rows(b, 1, &key, h);
        for (int64_t i = 0; i < b->nrows; i++) {
            int64_t k = EM_VEC_I64(b->cols[0])[i];
            assert_int_equal(EM_VEC_I64(b->cols[1])[i], 3 * k);
            assert_true(k / NROWS >= m0 && k / NROWS < m1);
            if (r >= 0) {
                assert_int_equal((int)(h[i] % NREDUCE), r);
                assert_true(k / NROWS >= last / NROWS); /* maps in order */
            }
            last = k;
        }
        free(h);
        rows += b->nrows;
        em_batch_destroy(b);
    }
    src->destroy(src);
    return rows;
}

static void check_store(int64_t memory)
{
    em_memory_pool *pool = em_memory_pool_create(memory, "/tmp");
    em_shuffle_store *s = em_shuffle_store_create(1, pool);
    em_shuffle_register(s, 0, NMAPS, NREDUCE);
    for (int m = 0; m < NMAPS; m++) write_map(s, pool, m);
    assert_int_equal(em_shuffle_nmaps(s, 0), NMAPS);
    int64_t all = 0;
    for (int r = 0; r < NREDUCE; r++) {
        int64_t bytes = 0;
        for (int m = 0; m < NMAPS; m++) {
            int64_t b = em_shuffle_block_bytes(s, 0, m, r);
            assert_true(b > 0);
            bytes += b;
        }
        assert_int_equal(bytes, em_shuffle_partition_bytes(s, 0, r));
        /* The map ranges of a split partition add up to the partition. */
        int64_t whole = drain(em_shuffle_reader_range(s, 0, r, r + 1), r, 0, NMAPS);
        int64_t parts = drain(em_shuffle_reader_maps(s, 0, r, 0, 2), r, 0, 2) +
                        drain(em_shuffle_reader_maps(s, 0, r, 2, 3), r, 2, 3) +
                        drain(em_shuffle_reader_maps(s, 0, r, 3, NMAPS), r, 3, NMAPS);
        assert_int_equal(parts, whole);
        assert_int_equal(drain(em_shuffle_reader_maps(s, 0, r, 4, 4), r, 0, 0), 0);
        all += whole;
    }
    assert_int_equal(all, (int64_t)NMAPS * NROWS);
    assert_int_equal(drain(em_shuffle_reader_all(s, 0), -1, 0, NMAPS), all);
    /* Out of range: nothing, not a crash. */
    assert_int_equal(em_shuffle_block_bytes(s, 0, NMAPS, 0), 0);
    assert_int_equal(em_shuffle_block_bytes(s, 0, 0, NREDUCE), 0);
    em_shuffle_store_destroy(s);
    em_memory_pool_destroy(pool);
}

static void test_in_memory(void **state)
{
    (void)state;
    check_store((int64_t)64 << 20);
}

static void test_in_files(void **state)
{
    (void)state;
    check_store(1024); /* no room: every map goes to an indexed file */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_memory),
        cmocka_unit_test(test_in_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_shuffle_remote.c — the cluster side of the shuffle store: map outputs
 * served as encoded blocks (from memory and from an indexed file) and read back
 * by a store that only knows where they live; the driver's map-output tracker
 * (sizes, lost executors); and the fault-injection rules.
 */
#include "../exec/exec_test_util.h"

#include "sched/sched.h"
#include "shuffle/shuffle.h"

#define NROWS 5000
#define NREDUCE 4

/* Write map `map` of shuffle 0: rows k = map*NROWS + i, v = k * 3. */
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
    em_batch *b = em_batch_create(2);
    em_batch_set_col(b, 0, tv_i64(NROWS, k));
    em_batch_set_col(b, 1, tv_i64(NROWS, v));
    b->nrows = NROWS;
    em_error err = {0};
    assert_int_equal(w->vt->push(w, b, &err), 0);
    assert_int_equal(w->vt->finish(w, &err), 0);
    w->vt->destroy(w);
}

/* Sum of k and count of rows a source yields; checks v == 3k on every row. */
static void drain(em_source *src, int64_t *rows, int64_t *ksum)
{
    em_error err = {0};
    for (;;) {
        em_batch *b;
        assert_int_equal(src->next(src, &b, &err), 0);
        if (!b) break;
        for (int64_t i = 0; i < b->nrows; i++) {
            int64_t k = EM_VEC_I64(b->cols[0])[i], v = EM_VEC_I64(b->cols[1])[i];
            assert_int_equal(v, 3 * k);
            *ksum += k;
        }
        *rows += b->nrows;
        em_batch_destroy(b);
    }
    src->destroy(src);
}

/* The "network": fetches go straight to the serving store. */
typedef struct fake_net {
    em_shuffle_store *server;
    int fetches;
    bool fail;
} fake_net;

static int fake_fetch(void *ctx, const em_shuffle_location *loc, int shuffle_id, int map, int first,
                      int end, em_batch_list *out, em_error *err)
{
    fake_net *net = ctx;
    assert_string_equal(loc->executor, "exec-1");
    net->fetches++;
    if (net->fail) return em_error_set(err, EM_EFETCH, "injected");
    em_strbuf bytes;
    em_strbuf_init(&bytes);
    int64_t nblocks;
    int rc = em_shuffle_read_encoded(net->server, shuffle_id, map, first, end, &bytes, &nblocks, err);
    size_t off = 0;
    while (rc == 0 && off < bytes.len) {
        em_batch *b;
        size_t used;
        rc = em_batch_decode((const uint8_t *)bytes.data + off, bytes.len - off, &b, &used, err);
        if (rc == 0) em_batch_list_push(out, b);
        off += used;
    }
    em_strbuf_release(&bytes);
    return rc;
}

/* A reducer store that holds map 1 itself and fetches map 0 from the server,
 * whether the server kept it in memory or in a file. */
static void check_remote_read(int64_t server_memory)
{
    em_memory_pool *pool = em_memory_pool_create(server_memory, "/tmp");
    em_shuffle_store *server = em_shuffle_store_create(1, pool);
    em_shuffle_register(server, 0, 2, NREDUCE);
    write_map(server, pool, 0);

    em_memory_pool *rpool = em_memory_pool_create((int64_t)64 << 20, "/tmp");
    em_shuffle_store *reducer = em_shuffle_store_create(1, rpool);
    em_shuffle_register(reducer, 0, 2, NREDUCE);
    write_map(reducer, rpool, 1);
    fake_net net = {.server = server};
    em_shuffle_store_set_fetch(reducer, fake_fetch, &net);
    em_shuffle_location loc = {.executor = "exec-1", .host = "127.0.0.1", .port = 1};
    em_shuffle_set_remote(reducer, 0, 0, &loc, NULL, 0);
    assert_true(em_shuffle_map_ready(reducer, 0, 0));
    assert_true(em_shuffle_map_ready(reducer, 0, 1));

    int64_t rows = 0, ksum = 0;
    for (int r = 0; r < NREDUCE; r++) drain(em_shuffle_reader_range(reducer, 0, r, r + 1), &rows, &ksum);
    int64_t n = 2 * NROWS;
    assert_int_equal(rows, n);
    assert_int_equal(ksum, n * (n - 1) / 2);
    assert_int_equal(net.fetches, NREDUCE); /* one per (remote map, partition) */

    /* A fetch that fails surfaces as EM_EFETCH from the reader. */
    net.fail = true;
    em_source *src = em_shuffle_reader_range(reducer, 0, 0, NREDUCE);
    em_batch *b = NULL;
    em_error err = {0};
    int rc;
    do {
        rc = src->next(src, &b, &err);
        if (rc == 0 && b) em_batch_destroy(b);
    } while (rc == 0 && b);
    assert_int_equal(rc, EM_EFETCH);
    src->destroy(src);

    /* Serving a map this store does not hold is an error, not a crash. */
    em_strbuf bytes;
    em_strbuf_init(&bytes);
    int64_t nblocks;
    assert_int_equal(em_shuffle_read_encoded(server, 0, 1, 0, 1, &bytes, &nblocks, &err), EM_ENOENT);
    assert_int_equal(em_shuffle_read_encoded(server, 0, 0, 0, 9, &bytes, &nblocks, &err), EM_ENOENT);
    em_strbuf_release(&bytes);

    em_shuffle_store_destroy(reducer);
    em_shuffle_store_destroy(server);
    em_memory_pool_destroy(rpool);
    em_memory_pool_destroy(pool);
}

static void test_remote_read_memory(void **state)
{
    (void)state;
    check_remote_read((int64_t)64 << 20);
}

static void test_remote_read_file(void **state)
{
    (void)state;
    check_remote_read(1024); /* the map output cannot stay in memory */
}

/* The driver's tracker: sizes per partition, and an executor's outputs lost. */
static void test_tracker(void **state)
{
    (void)state;
    em_shuffle_store *s = em_shuffle_store_create(2, NULL);
    em_shuffle_register(s, 0, 3, 2);
    em_shuffle_register(s, 1, 1, 2);
    em_shuffle_location a = {.executor = "a", .host = "h", .port = 1};
    em_shuffle_location b = {.executor = "b", .host = "h", .port = 2};
    int64_t s0[2] = {100, 5}, s1[2] = {0, 7}, s2[2] = {1, 1};
    em_shuffle_set_remote(s, 0, 0, &a, s0, 10);
    em_shuffle_set_remote(s, 0, 1, &b, s1, 11);
    em_shuffle_set_remote(s, 1, 0, &a, s2, 12);
    assert_int_equal(em_shuffle_partition_bytes(s, 0, 0), 100);
    assert_int_equal(em_shuffle_partition_bytes(s, 0, 1), 12);
    assert_int_equal(em_shuffle_rows(s, 0), 21);
    assert_false(em_shuffle_map_ready(s, 0, 2));
    em_shuffle_location got;
    assert_true(em_shuffle_remote_location(s, 0, 1, &got));
    assert_string_equal(got.executor, "b");
    assert_int_equal(em_shuffle_lose_executor(s, "a"), 2);
    assert_false(em_shuffle_map_ready(s, 0, 0));
    assert_true(em_shuffle_map_ready(s, 0, 1));
    assert_false(em_shuffle_map_ready(s, 1, 0));
    assert_int_equal(em_shuffle_partition_bytes(s, 0, 0), 0);
    assert_int_equal(em_shuffle_lose_executor(s, "a"), 0);
    em_shuffle_store_destroy(s);
}

static void test_inject(void **state)
{
    (void)state;
    em_error err = {0};
    assert_int_equal(em_inject_check("fail:stage=1,task=2,attempt=0;exit:executor=3,after=2", &err), 0);
    assert_int_equal(em_inject_check("", &err), 0);
    assert_int_equal(em_inject_check("explode:stage=1", &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "unknown action 'explode'"));
    assert_int_equal(em_inject_check("fail:stage", &err), EM_EINVAL);
    assert_int_equal(em_inject_check("fail:colour=red", &err), EM_EINVAL);

    const char *spec = "fail:stage=1,task=2,attempt=0";
    assert_int_equal(em_inject_task_start(spec, 1, 2, 0, &err), EM_EIO);
    assert_int_equal(em_inject_task_start(spec, 1, 2, 1, &err), 0);
    assert_int_equal(em_inject_task_start(spec, 1, 3, 0, &err), 0);
    assert_int_equal(em_inject_task_start("fail:stage=0", 0, 7, 5, &err), EM_EIO);

    assert_true(em_inject_executor_exit("exit:executor=3,after=2", "3", 2));
    assert_false(em_inject_executor_exit("exit:executor=3,after=2", "3", 1));
    assert_false(em_inject_executor_exit("exit:executor=3,after=2", "13", 5));
    assert_true(em_inject_executor_exit("exit:after=1", "exec-9", 1));

    assert_true(em_inject_fetch_fail("fetchfail:shuffle=0,map=2", 0, 2));
    assert_false(em_inject_fetch_fail("fetchfail:shuffle=0,map=2", 0, 1));
    assert_false(em_inject_fetch_fail("fail:stage=0", 0, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_read_memory),
        cmocka_unit_test(test_remote_read_file),
        cmocka_unit_test(test_tracker),
        cmocka_unit_test(test_inject),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

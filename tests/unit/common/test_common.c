/*
 * test_common.c — unit tests for the base layer: errors, arena, strbuf,
 * hashing, thread pool and waitgroup, and the small utilities.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/common.h"

static void test_error_set_and_prefix(void **state)
{
    (void)state;
    em_error err;
    em_error_clear(&err);
    assert_int_equal(err.code, 0);
    assert_string_equal(err.message, "");

    int rc = em_error_set(&err, EM_ENOENT, "table '%s' not found", "t1");
    assert_int_equal(rc, EM_ENOENT);
    assert_int_equal(err.code, EM_ENOENT);
    assert_string_equal(err.message, "table 't1' not found");
    assert_int_equal(err.sql_pos, 0);
    assert_string_equal(err.sqlstate, "42P01");

    em_error_prefix(&err, "query %d", 7);
    assert_string_equal(err.message, "query 7: table 't1' not found");
    assert_int_equal(err.code, EM_ENOENT);

    rc = em_error_set_pos(&err, EM_ESYNTAX, 12, "syntax error at or near \"%s\"", "FORM");
    assert_int_equal(rc, EM_ESYNTAX);
    assert_int_equal(err.sql_pos, 12);
    assert_string_equal(err.sqlstate, "42601");
    assert_string_equal(err.message, "syntax error at or near \"FORM\"");

    assert_int_equal(em_error_oom(&err), EM_ENOMEM);
    assert_string_equal(err.message, "out of memory");

    /* A NULL error is tolerated and the code still comes back. */
    assert_int_equal(em_error_set(NULL, EM_EIO, "x"), EM_EIO);

    assert_string_equal(em_error_code_name(EM_EOVERFLOW), "EOVERFLOW");
    assert_string_equal(em_error_code_name(EM_OK), "OK");
    assert_string_equal(em_error_code_name(-999), "EUNKNOWN");
}

static void test_error_prefix_truncates(void **state)
{
    (void)state;
    em_error err;
    char big[2000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    em_error_set(&err, EM_EINVAL, "%s", big);
    assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
    em_error_prefix(&err, "ctx");
    assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
    assert_memory_equal(err.message, "ctx: aaa", 8);
}

static int try_inner(int code)
{
    return code;
}

static int try_outer(int code, int *after)
{
    EM_TRY(try_inner(code));
    *after = 1;
    return 5;
}

static void test_em_try(void **state)
{
    (void)state;
    int after = 0;
    assert_int_equal(try_outer(EM_EIO, &after), EM_EIO);
    assert_int_equal(after, 0);
    assert_int_equal(try_outer(0, &after), 5);
    assert_int_equal(after, 1);
}

static void test_arena(void **state)
{
    (void)state;
    em_arena *a = em_arena_create(1024);
    assert_int_equal(em_arena_bytes(a), 0);
    char *p1 = em_arena_alloc(a, 3);
    char *p2 = em_arena_alloc(a, 5);
    assert_int_equal((uintptr_t)p1 % 16, 0);
    assert_int_equal((uintptr_t)p2 % 16, 0);
    assert_ptr_not_equal(p1, p2);
    assert_int_equal(em_arena_bytes(a), 8);
    memcpy(p1, "ab", 3);
    memcpy(p2, "cdef", 5);
    assert_string_equal(p1, "ab");

    /* Many allocations spanning several chunks, plus one oversized block. */
    int64_t *arr[500];
    for (int i = 0; i < 500; i++) {
        arr[i] = em_arena_alloc(a, sizeof(int64_t) * 4);
        assert_int_equal((uintptr_t)arr[i] % 16, 0);
        for (int k = 0; k < 4; k++) arr[i][k] = i * 4 + k;
    }
    char *huge = em_arena_alloc(a, 100000);
    memset(huge, 'x', 100000);
    for (int i = 0; i < 500; i++)
        for (int k = 0; k < 4; k++) assert_int_equal(arr[i][k], i * 4 + k);
    assert_string_equal(p2, "cdef");

    char *z = em_arena_calloc(a, 64);
    for (int i = 0; i < 64; i++) assert_int_equal(z[i], 0);

    assert_string_equal(em_arena_strdup(a, "hello"), "hello");
    assert_string_equal(em_arena_strndup(a, "hello world", 5), "hello");
    assert_string_equal(em_arena_printf(a, "%d-%s-%.2f", 42, "x", 1.5), "42-x-1.50");

    em_arena_reset(a);
    assert_int_equal(em_arena_bytes(a), 0);
    char *q = em_arena_alloc(a, 16);
    memcpy(q, "after reset", 12);
    assert_string_equal(q, "after reset");
    em_arena_destroy(a);
    em_arena_destroy(NULL);
}

static void test_strbuf(void **state)
{
    (void)state;
    em_strbuf sb;
    em_strbuf_init(&sb);
    assert_int_equal(sb.len, 0);
    em_strbuf_puts(&sb, "SELECT");
    em_strbuf_putc(&sb, ' ');
    em_strbuf_append(&sb, "1234567", 3);
    em_strbuf_printf(&sb, " + %d", 45);
    assert_string_equal(sb.data, "SELECT 123 + 45");
    assert_int_equal(sb.len, 15);

    /* Growth across many appends, including printf beyond the capacity. */
    em_strbuf_clear(&sb);
    assert_string_equal(sb.data, "");
    for (int i = 0; i < 1000; i++) em_strbuf_printf(&sb, "%04d,", i);
    assert_int_equal(sb.len, 5000);
    assert_memory_equal(sb.data + 4995, "0999,", 5);
    assert_int_equal(sb.data[5000], '\0');
    char long_arg[3000];
    memset(long_arg, 'q', sizeof(long_arg) - 1);
    long_arg[sizeof(long_arg) - 1] = '\0';
    em_strbuf_clear(&sb);
    em_strbuf_printf(&sb, "<%s>", long_arg);
    assert_int_equal(sb.len, 3001);
    assert_int_equal(sb.data[0], '<');
    assert_int_equal(sb.data[3000], '>');

    char *s = em_strbuf_detach(&sb);
    assert_int_equal(strlen(s), 3001);
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    em_free(s);

    /* Detaching an empty buffer still gives a string. */
    s = em_strbuf_detach(&sb);
    assert_string_equal(s, "");
    em_free(s);
    em_strbuf_release(&sb);
}

static void test_hash(void **state)
{
    (void)state;
    const char *a = "hello";
    uint64_t h1 = em_hash_bytes(a, 5, 0);
    assert_int_equal(h1, em_hash_bytes("hello", 5, 0));
    assert_int_not_equal(h1, em_hash_bytes("hellp", 5, 0));
    assert_int_not_equal(h1, em_hash_bytes(a, 5, 1));
    assert_int_equal(em_hash_u64(42, 7), em_hash_u64(42, 7));
    assert_int_not_equal(em_hash_u64(42, 7), em_hash_u64(43, 7));
    uint64_t v = 42;
    assert_int_equal(em_hash_u64(42, 7), em_hash_bytes(&v, 8, 7));
    assert_int_not_equal(em_hash_combine(1, 2), em_hash_combine(2, 1));

    /* Partitioning consecutive integers spreads them over every bucket. */
    int buckets[8] = {0};
    for (uint64_t i = 0; i < 8000; i++) buckets[em_hash_u64(i, 0) % 8]++;
    for (int b = 0; b < 8; b++) {
        assert_true(buckets[b] > 800);
        assert_true(buckets[b] < 1200);
    }
}

typedef struct job_ctx {
    em_waitgroup *wg;
    int *slots;
    int index;
    int64_t *sum;
} job_ctx;

static void add_job(void *p)
{
    job_ctx *c = p;
    c->slots[c->index] += c->index + 1;
    __atomic_add_fetch(c->sum, c->index, __ATOMIC_RELAXED);
    em_waitgroup_done(c->wg);
}

static void test_threadpool(void **state)
{
    (void)state;
    em_threadpool *tp = em_threadpool_create(4);
    assert_int_equal(em_threadpool_size(tp), 4);
    em_waitgroup *wg = em_waitgroup_create();
    enum { N = 1000 };
    static int slots[N];
    static job_ctx ctx[N];
    int64_t sum = 0;
    memset(slots, 0, sizeof(slots));
    em_waitgroup_add(wg, N);
    for (int i = 0; i < N; i++) {
        ctx[i] = (job_ctx){wg, slots, i, &sum};
        em_threadpool_submit(tp, add_job, &ctx[i]);
    }
    em_waitgroup_wait(wg);
    for (int i = 0; i < N; i++) assert_int_equal(slots[i], i + 1);
    assert_int_equal(sum, (int64_t)N * (N - 1) / 2);

    /* A second round on the same pool and waitgroup. */
    em_waitgroup_add(wg, N);
    for (int i = 0; i < N; i++) em_threadpool_submit(tp, add_job, &ctx[i]);
    em_waitgroup_wait(wg);
    for (int i = 0; i < N; i++) assert_int_equal(slots[i], 2 * (i + 1));

    /* Waiting on a group with nothing pending returns at once. */
    em_waitgroup_wait(wg);
    em_waitgroup_destroy(wg);
    em_threadpool_destroy(tp);
}

static void count_job(void *p)
{
    __atomic_add_fetch((int *)p, 1, __ATOMIC_RELAXED);
}

static void test_threadpool_destroy_drains(void **state)
{
    (void)state;
    int count = 0;
    em_threadpool *tp = em_threadpool_create(2);
    for (int i = 0; i < 500; i++) em_threadpool_submit(tp, count_job, &count);
    em_threadpool_destroy(tp);
    assert_int_equal(count, 500);

    /* A nonsensical size still gives a working pool. */
    tp = em_threadpool_create(0);
    assert_int_equal(em_threadpool_size(tp), 1);
    em_threadpool_submit(tp, count_job, &count);
    em_threadpool_destroy(tp);
    assert_int_equal(count, 501);
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(em_edit_distance("", ""), 0);
    assert_int_equal(em_edit_distance("abc", ""), 3);
    assert_int_equal(em_edit_distance("", "abcd"), 4);
    assert_int_equal(em_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(em_edit_distance("flaw", "lawn"), 2);
    assert_int_equal(em_edit_distance("amount", "AMOUNT"), 0);
    assert_int_equal(em_edit_distance("custmer_id", "customer_id"), 1);
    assert_int_equal(em_edit_distance("abc", "acb"), 2);
}

static void test_str_ieq(void **state)
{
    (void)state;
    assert_true(em_str_ieq("Hello", "hELLO"));
    assert_true(em_str_ieq("", ""));
    assert_false(em_str_ieq("abc", "abcd"));
    assert_false(em_str_ieq("abcd", "abc"));
    assert_false(em_str_ieq("abc", "abd"));
    assert_false(em_str_ieq("abc", NULL));
    assert_true(em_str_ieq(NULL, NULL));
}

static void test_parse_size(void **state)
{
    (void)state;
    assert_int_equal(em_parse_size("1024"), 1024);
    assert_int_equal(em_parse_size("0"), 0);
    assert_int_equal(em_parse_size("512m"), 512LL << 20);
    assert_int_equal(em_parse_size("512M"), 512LL << 20);
    assert_int_equal(em_parse_size("2g"), 2LL << 30);
    assert_int_equal(em_parse_size("2GB"), 2LL << 30);
    assert_int_equal(em_parse_size("4k"), 4096);
    assert_int_equal(em_parse_size("1t"), 1LL << 40);
    assert_int_equal(em_parse_size("10b"), 10);
    assert_int_equal(em_parse_size(" 8m "), 8LL << 20);
    assert_int_equal(em_parse_size(""), -1);
    assert_int_equal(em_parse_size("abc"), -1);
    assert_int_equal(em_parse_size("12x"), -1);
    assert_int_equal(em_parse_size("-5m"), -1);
    assert_int_equal(em_parse_size("1.5g"), -1);
    assert_int_equal(em_parse_size("99999999999999999999"), -1);
    assert_int_equal(em_parse_size("9999999999999t"), -1);
    assert_int_equal(em_parse_size(NULL), -1);
}

static void test_alloc_and_time(void **state)
{
    (void)state;
    char *s = em_strdup("abc");
    assert_string_equal(s, "abc");
    s = em_realloc(s, 100);
    assert_string_equal(s, "abc");
    em_free(s);
    s = em_strndup("abcdef", 2);
    assert_string_equal(s, "ab");
    em_free(s);
    int *z = em_calloc(10, sizeof(int));
    for (int i = 0; i < 10; i++) assert_int_equal(z[i], 0);
    em_free(z);
    /* Large zeroed buffers are cleared by em_calloc itself (not left to fresh pages):
     * they must be zero even where the allocator hands back memory just written. */
    for (int round = 0; round < 3; round++) {
        size_t n = ((size_t)1 << 20) + (size_t)round * 4096;
        unsigned char *dirty = em_malloc(n);
        memset(dirty, 0xab, n);
        em_free(dirty);
        int64_t *big = em_calloc(n / sizeof(int64_t), sizeof(int64_t));
        for (size_t i = 0; i < n / sizeof(int64_t); i++) assert_true(big[i] == 0);
        em_free(big);
    }
    void *m = em_malloc(0); /* a valid, freeable pointer */
    assert_non_null(m);
    em_free(m);

    assert_true(em_cpu_count() >= 1);
    double t0 = em_now_seconds();
    int64_t u0 = em_now_micros();
    double t1 = em_now_seconds();
    int64_t u1 = em_now_micros();
    assert_true(t1 >= t0);
    assert_true(u1 >= u0);
}

static void test_log_level(void **state)
{
    (void)state;
    em_log_level old = em_log_get_level();
    em_log_set_level(EM_LOG_ERROR);
    assert_int_equal(em_log_get_level(), EM_LOG_ERROR);
    em_log_info("not printed %d", 1);
    em_log_set_level(EM_LOG_OFF);
    em_log_error("not printed either");
    em_log_set_level(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_set_and_prefix),
        cmocka_unit_test(test_error_prefix_truncates),
        cmocka_unit_test(test_em_try),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_strbuf),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_threadpool),
        cmocka_unit_test(test_threadpool_destroy_drains),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_str_ieq),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_alloc_and_time),
        cmocka_unit_test(test_log_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

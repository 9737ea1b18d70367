/*
 * test_memory.c — the memory pool (reservations, fair shares), batch blocks
 * (round trips, corruption detection) and spill files (write, read back, removal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "memory/memory.h"

static void test_reservations(void **state)
{
    (void)state;
    em_memory_pool *p = em_memory_pool_create(1000, "/tmp");
    em_memory_task_begin(p);
    em_memory_task_begin(p);
    em_memory_reservation a, b;
    em_memory_reservation_init(&a, p);
    em_memory_reservation_init(&b, p);
    /* two tasks: each may hold half */
    assert_true(em_memory_try_reserve(&a, 400));
    assert_false(em_memory_try_reserve(&a, 200)); /* past the fair share */
    assert_true(em_memory_try_reserve(&b, 500));
    assert_false(em_memory_try_reserve(&b, 1));
    assert_int_equal(em_memory_pool_used(p), 900);
    em_memory_shrink(&a, 100);
    assert_int_equal(a.bytes, 300);
    em_memory_task_end(p);
    /* one task left: its share is the whole pool, but the pool is not empty */
    assert_true(em_memory_try_reserve(&a, 200));
    assert_false(em_memory_try_reserve(&a, 1));
    em_memory_force_reserve(&a, 50); /* over the limit, on purpose */
    assert_int_equal(em_memory_pool_used(p), 1050);
    assert_int_equal(em_memory_pool_peak(p), 1050);
    em_memory_reservation_release(&a);
    em_memory_reservation_release(&b);
    assert_int_equal(em_memory_pool_used(p), 0);
    em_memory_task_end(p);
    em_memory_pool_destroy(p);
}

static em_batch *sample_batch(int64_t n)
{
    em_batch *b = em_batch_create(4);
    em_vector *i = em_vector_create(em_type_make(EM_TYPE_BIGINT), n);
    em_vector *s = em_vector_create(em_type_make(EM_TYPE_VARCHAR), n);
    em_vector *d = em_vector_create(em_type_decimal(10, 2), n);
    em_vector *f = em_vector_create(em_type_make(EM_TYPE_BOOLEAN), n);
    for (int64_t r = 0; r < n; r++) {
        em_vector_append_i64(i, r * 7);
        if (r % 5 == 0)
            em_vector_append_null(s);
        else {
            char buf[32];
            int len = snprintf(buf, sizeof buf, "row-%lld", (long long)r);
            em_vector_append_str(s, buf, len);
        }
        em_vector_append_i64(d, r * 101);
        em_vector_append_bool(f, r % 3 == 0);
    }
    em_batch_set_col(b, 0, i);
    em_batch_set_col(b, 1, s);
    em_batch_set_col(b, 2, d);
    em_batch_set_col(b, 3, f);
    b->nrows = n;
    return b;
}

static void assert_same(const em_batch *a, const em_batch *b)
{
    assert_int_equal(a->ncols, b->ncols);
    assert_int_equal(a->nrows, b->nrows);
    for (int c = 0; c < a->ncols; c++) {
        assert_true(em_type_equal(a->cols[c]->type, b->cols[c]->type));
        for (int64_t r = 0; r < a->nrows; r++) {
            em_value x = em_vector_get(a->cols[c], r), y = em_vector_get(b->cols[c], r);
            assert_int_equal(em_vector_is_valid(a->cols[c], r), em_vector_is_valid(b->cols[c], r));
            if (em_vector_is_valid(a->cols[c], r)) assert_int_equal(em_value_compare(&x, &y), 0);
        }
    }
}

static void test_blocks(void **state)
{
    (void)state;
    em_batch *b = sample_batch(1000);
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_batch_encode(b, &sb);
    em_batch *back;
    size_t used;
    em_error err;
    assert_int_equal(em_batch_decode((const uint8_t *)sb.data, sb.len, &back, &used, &err), 0);
    assert_int_equal(used, sb.len);
    assert_same(b, back);
    em_batch_destroy(back);
    /* every truncation and a flipped payload byte are caught, never trusted */
    for (size_t cut = 0; cut < sb.len; cut += 7)
        assert_int_equal(em_batch_decode((const uint8_t *)sb.data, cut, &back, &used, &err),
                         EM_EFORMAT);
    sb.data[sb.len - 3] ^= 0x40;
    assert_int_equal(em_batch_decode((const uint8_t *)sb.data, sb.len, &back, &used, &err),
                     EM_EFORMAT);
    assert_non_null(strstr(err.message, "checksum"));
    em_strbuf_release(&sb);
    /* an empty batch */
    em_batch *e = sample_batch(0);
    em_strbuf_init(&sb);
    em_batch_encode(e, &sb);
    assert_int_equal(em_batch_decode((const uint8_t *)sb.data, sb.len, &back, &used, &err), 0);
    assert_int_equal(back->nrows, 0);
    em_batch_destroy(back);
    em_strbuf_release(&sb);
    em_batch_destroy(e);
    em_batch_destroy(b);
}

static void test_spill_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/ember-memtest-XXXXXX";
    assert_non_null(mkdtemp(dir));
    em_memory_pool *p = em_memory_pool_create(1 << 20, dir);
    em_spill_file *f, *g;
    em_error err;
    assert_int_equal(em_spill_create(p, &f, &err), 0);
    assert_int_equal(em_spill_create(p, &g, &err), 0);
    em_batch *b = sample_batch(2048);
    for (int i = 0; i < 5; i++) assert_int_equal(em_spill_write(f, b, &err), 0);
    assert_int_equal(em_spill_rows(f), 5 * 2048);
    assert_true(em_memory_pool_spilled_bytes(p) > 0);
    assert_int_equal(em_spill_rewind(f, &err), 0);
    int n = 0;
    for (;;) {
        em_batch *r;
        assert_int_equal(em_spill_read(f, &r, &err), 0);
        if (!r) break;
        assert_same(b, r);
        em_batch_destroy(r);
        n++;
    }
    assert_int_equal(n, 5);
    em_spill_close(f);
    em_batch_destroy(b);
    /* g is still open: the pool's cleanup removes it */
    em_memory_pool_destroy(p);
    assert_int_equal(rmdir(dir), 0); /* empty: no file left behind */
    /* an unwritable directory is a clear error */
    p = em_memory_pool_create(1 << 20, "/nonexistent/dir");
    assert_int_equal(em_spill_create(p, &f, &err), EM_EIO);
    assert_non_null(strstr(err.message, "/nonexistent/dir"));
    em_memory_pool_destroy(p);
    (void)g;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reservations),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_spill_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_vector.c — unit tests for vectors (every type, NULLs, growth,
 * gather/slice, reference counts, VARCHAR offsets), schemas, batches and
 * batch lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vector/vector.h"

static bool bit(const em_vector *v, int64_t i)
{
    return em_vector_is_valid(v, i);
}

static void test_create_empty(void **state)
{
    (void)state;
    for (int id = 0; id < EM_TYPE_COUNT_; id++) {
        em_type t = id == EM_TYPE_DECIMAL ? em_type_decimal(10, 2) : em_type_make(id);
        em_vector *v = em_vector_create(t, 0);
        assert_int_equal(v->refcount, 1);
        assert_int_equal(v->length, 0);
        assert_int_equal(em_vector_null_count(v), 0);
        if (id == EM_TYPE_VARCHAR) assert_int_equal(EM_VEC_OFFSETS(v)[0], 0);
        /* Growing from zero capacity works for every type. */
        for (int i = 0; i < 100; i++) em_vector_append_null(v);
        assert_int_equal(v->length, 100);
        assert_int_equal(em_vector_null_count(v), 100);
        assert_false(bit(v, 0));
        assert_false(bit(v, 99));
        em_vector_unref(v);
    }
}

static void test_int_vector_nulls(void **state)
{
    (void)state;
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_INTEGER), 4);
    for (int i = 0; i < 1000; i++) {
        if (i % 7 == 3)
            em_vector_append_null(v);
        else
            em_vector_append_i32(v, i * 3);
    }
    assert_int_equal(v->length, 1000);
    assert_true(v->capacity >= 1000);
    assert_non_null(v->validity);
    int64_t nulls = 0;
    for (int i = 0; i < 1000; i++) {
        if (i % 7 == 3) {
            nulls++;
            assert_false(bit(v, i));
            assert_int_equal(EM_VEC_I32(v)[i], 0); /* NULL slots are zeroed */
            em_value val = em_vector_get(v, i);
            assert_true(val.is_null);
            assert_int_equal(val.type.id, EM_TYPE_INTEGER);
        } else {
            assert_true(bit(v, i));
            assert_int_equal(EM_VEC_I32(v)[i], i * 3);
            em_value val = em_vector_get(v, i);
            assert_false(val.is_null);
            assert_int_equal(val.v.i32, i * 3);
        }
    }
    assert_int_equal(em_vector_null_count(v), nulls);
    /* Recounting from the bitmap gives the same answer. */
    v->null_count = -1;
    assert_int_equal(em_vector_null_count(v), nulls);

    em_vector_set_valid(v, 3);
    assert_true(bit(v, 3));
    assert_int_equal(em_vector_null_count(v), nulls - 1);
    em_vector_set_null(v, 4);
    em_vector_set_null(v, 4); /* idempotent */
    assert_false(bit(v, 4));
    assert_int_equal(em_vector_null_count(v), nulls);
    em_vector_unref(v);
}

static void test_lazy_validity(void **state)
{
    (void)state;
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_BIGINT), 0);
    for (int i = 0; i < 37; i++) em_vector_append_i64(v, (int64_t)i << 40);
    assert_null(v->validity);
    em_vector_append_null(v);
    assert_non_null(v->validity);
    for (int i = 0; i < 37; i++) assert_true(bit(v, i));
    assert_false(bit(v, 37));
    /* Rows appended after the bitmap exists, across further growth. */
    for (int i = 38; i < 300; i++) em_vector_append_i64(v, -i);
    for (int i = 38; i < 300; i++) {
        assert_true(bit(v, i));
        assert_int_equal(EM_VEC_I64(v)[i], -i);
    }
    assert_int_equal(EM_VEC_I64(v)[36], 36LL << 40);
    assert_int_equal(em_vector_null_count(v), 1);

    /* set_null on a vector without a bitmap, filled through `data`. */
    em_vector *w = em_vector_create(em_type_make(EM_TYPE_DOUBLE), 20);
    for (int i = 0; i < 20; i++) EM_VEC_F64(w)[i] = i + 0.5;
    w->length = 20;
    assert_int_equal(em_vector_null_count(w), 0);
    em_vector_set_null(w, 19);
    for (int i = 0; i < 19; i++) assert_true(bit(w, i));
    assert_false(bit(w, 19));
    assert_int_equal(em_vector_null_count(w), 1);
    em_vector_unref(w);
    em_vector_unref(v);
}

static void test_all_types_roundtrip(void **state)
{
    (void)state;
    em_value samples[] = {
        em_value_bool(true),           em_value_int(-17),
        em_value_bigint(INT64_MIN),    em_value_double(-2.75),
        em_value_decimal(-1205, 8, 2), em_value_varchar("héllo", 6),
        em_value_date(-365),           em_value_timestamp(-1),
    };
    for (size_t k = 0; k < EM_ARRAY_LEN(samples); k++) {
        em_value *s = &samples[k];
        em_vector *v = em_vector_create(s->type, 2);
        for (int i = 0; i < 50; i++) {
            if (i % 3 == 1)
                em_vector_append_value(v, &(em_value){.type = s->type, .is_null = true});
            else
                em_vector_append_value(v, s);
        }
        assert_int_equal(v->length, 50);
        assert_int_equal(em_vector_null_count(v), 17);
        for (int i = 0; i < 50; i++) {
            em_value g = em_vector_get(v, i);
            assert_int_equal(g.is_null, i % 3 == 1);
            assert_true(em_type_equal(g.type, s->type));
            if (!g.is_null) assert_int_equal(em_value_compare(&g, s), 0);
        }
        /* append_from copies values and NULLs alike. */
        em_vector *c = em_vector_create(s->type, 0);
        for (int i = 49; i >= 0; i--) em_vector_append_from(c, v, i);
        for (int i = 0; i < 50; i++) {
            em_value a = em_vector_get(c, i), b = em_vector_get(v, 49 - i);
            assert_int_equal(a.is_null, b.is_null);
            if (!a.is_null) assert_int_equal(em_value_compare(&a, &b), 0);
        }
        em_vector_unref(c);
        em_vector_unref(v);
    }
}

static void test_bool_vector(void **state)
{
    (void)state;
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_BOOLEAN), 1);
    em_vector_append_bool(v, true);
    em_vector_append_bool(v, false);
    em_vector_append_null(v);
    em_vector_append_bool(v, true);
    assert_int_equal(v->length, 4);
    assert_int_equal(EM_VEC_BOOL(v)[0], 1);
    assert_int_equal(EM_VEC_BOOL(v)[1], 0);
    assert_int_equal(EM_VEC_BOOL(v)[3], 1);
    assert_false(bit(v, 2));
    em_value g = em_vector_get(v, 1);
    assert_false(g.v.b);
    assert_false(g.is_null);
    em_vector_unref(v);
}

static void test_varchar_layout(void **state)
{
    (void)state;
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_VARCHAR), 2);
    em_vector_append_str(v, "ab", 2);
    em_vector_append_str(v, "", 0);
    em_vector_append_null(v);
    em_vector_append_str(v, "cde", 3);
    const int32_t *off = EM_VEC_OFFSETS(v);
    assert_int_equal(off[0], 0);
    assert_int_equal(off[1], 2);
    assert_int_equal(off[2], 2);
    assert_int_equal(off[3], 2); /* NULL rows take no bytes */
    assert_int_equal(off[4], 5);
    assert_int_equal(v->chars_len, 5);
    assert_memory_equal(v->chars, "abcde", 5);
    int32_t len;
    const char *p = em_vector_str(v, 3, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(p, "cde", 3);
    p = em_vector_str(v, 1, &len);
    assert_int_equal(len, 0);
    assert_false(bit(v, 2));
    assert_true(bit(v, 1));

    /* Many strings force both offset and character growth. */
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof(buf), "row-%d", i);
        em_vector_append_str(v, buf, n);
    }
    assert_int_equal(v->length, 5004);
    for (int i = 0; i < 5000; i += 997) {
        int n = snprintf(buf, sizeof(buf), "row-%d", i);
        p = em_vector_str(v, 4 + i, &len);
        assert_int_equal(len, n);
        assert_memory_equal(p, buf, (size_t)n);
    }
    assert_int_equal(EM_VEC_OFFSETS(v)[v->length], v->chars_len);
    assert_true(v->chars_cap >= v->chars_len);

    /* reserve_chars guarantees room beyond the bytes already used. */
    int64_t used = v->chars_len;
    em_vector_reserve_chars(v, 100000);
    assert_true(v->chars_cap >= used + 100000);
    assert_int_equal(v->chars_len, used);
    em_vector_unref(v);
}

static em_vector *make_varchar(int n)
{
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_VARCHAR), 0);
    char buf[32];
    for (int i = 0; i < n; i++) {
        if (i % 5 == 2) {
            em_vector_append_null(v);
        } else {
            int len = snprintf(buf, sizeof(buf), "s%d", i * i);
            em_vector_append_str(v, buf, len);
        }
    }
    return v;
}

/* Appending selections, as the shuffle writer and the spilling hash join do:
 * each append lands after the last, NULLs travel, empty strings need no
 * character buffer, and the vector grows past its first capacity. */
static void test_append_rows(void **state)
{
    (void)state;
    em_vector *src = em_vector_create(em_type_make(EM_TYPE_VARCHAR), 0);
    for (int i = 0; i < 3000; i++) {
        if (i % 7 == 0)
            em_vector_append_null(src);
        else
            em_vector_append_str(src, i % 2 ? "" : "ab", i % 2 ? 0 : 2);
    }
    em_vector *dst = em_vector_create(em_type_make(EM_TYPE_VARCHAR), 4);
    int32_t sel[3000];
    for (int i = 0; i < 3000; i++) sel[i] = 2999 - i;
    em_vector_append_rows(dst, src, sel, 10);
    em_vector_append_rows(dst, src, sel + 10, 2990);
    assert_int_equal(dst->length, 3000);
    for (int i = 0; i < 3000; i++) {
        int r = 2999 - i;
        assert_int_equal(em_vector_is_valid(dst, i), r % 7 != 0);
        int32_t len;
        const char *p = em_vector_str(dst, i, &len);
        if (r % 7 != 0) assert_int_equal(len, r % 2 ? 0 : 2);
        if (r % 7 != 0 && r % 2 == 0) assert_memory_equal(p, "ab", 2);
    }
    em_vector_unref(dst);
    em_vector_unref(src);

    /* Only empty strings: the source has no character buffer at all. */
    em_vector *empty = em_vector_create(em_type_make(EM_TYPE_VARCHAR), 0);
    for (int i = 0; i < 5; i++) em_vector_append_str(empty, "", 0);
    em_vector *out = em_vector_create(em_type_make(EM_TYPE_VARCHAR), 0);
    int32_t all[5] = {4, 3, 2, 1, 0};
    em_vector_append_rows(out, empty, all, 5);
    assert_int_equal(out->length, 5);
    assert_int_equal(out->chars_len, 0);
    em_vector_unref(out);
    em_vector_unref(empty);

    /* Fixed widths, including the 16-byte INTERVAL. */
    em_vector *iv = em_vector_create(em_type_make(EM_TYPE_INTERVAL), 0);
    for (int i = 0; i < 4; i++) em_vector_append_interval(iv, (em_interval){i, i * 2, i * 3});
    em_vector *ivo = em_vector_create(em_type_make(EM_TYPE_INTERVAL), 1);
    int32_t pick[3] = {3, 0, 3};
    em_vector_append_rows(ivo, iv, pick, 3);
    assert_int_equal(ivo->length, 3);
    assert_int_equal(EM_VEC_IV(ivo)[0].months, 3);
    assert_int_equal(EM_VEC_IV(ivo)[1].days, 0);
    assert_int_equal(EM_VEC_IV(ivo)[2].micros, 9);
    em_vector_unref(ivo);
    em_vector_unref(iv);
}

static void test_gather(void **state)
{
    (void)state;
    em_vector *ints = em_vector_create(em_type_make(EM_TYPE_INTEGER), 0);
    for (int i = 0; i < 100; i++) {
        if (i % 10 == 0)
            em_vector_append_null(ints);
        else
            em_vector_append_i32(ints, i);
    }
    int32_t sel[] = {99, 0, 5, 5, 10, 42};
    em_vector *g = em_vector_gather(ints, sel, 6);
    assert_int_equal(g->length, 6);
    assert_int_equal(EM_VEC_I32(g)[0], 99);
    assert_false(bit(g, 1));
    assert_int_equal(EM_VEC_I32(g)[2], 5);
    assert_int_equal(EM_VEC_I32(g)[3], 5);
    assert_false(bit(g, 4));
    assert_int_equal(EM_VEC_I32(g)[5], 42);
    assert_int_equal(em_vector_null_count(g), 2);
    em_vector_unref(g);

    /* Selecting only valid rows leaves no bitmap. */
    int32_t valid_sel[] = {1, 2, 3};
    g = em_vector_gather(ints, valid_sel, 3);
    assert_null(g->validity);
    assert_int_equal(em_vector_null_count(g), 0);
    em_vector_append_null(g);
    assert_false(bit(g, 3));
    em_vector_unref(g);

    /* Empty selection. */
    g = em_vector_gather(ints, sel, 0);
    assert_int_equal(g->length, 0);
    em_vector_append_i32(g, 8);
    assert_int_equal(EM_VEC_I32(g)[0], 8);
    em_vector_unref(g);
    em_vector_unref(ints);

    em_vector *s = make_varchar(50);
    int32_t ssel[] = {49, 2, 1, 0, 1};
    g = em_vector_gather(s, ssel, 5);
    int32_t len;
    const char *p = em_vector_str(g, 0, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(p, "s2401", 5);
    assert_false(bit(g, 1));
    p = em_vector_str(g, 2, &len);
    assert_memory_equal(p, "s1", 2);
    p = em_vector_str(g, 3, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(p, "s0", 2);
    p = em_vector_str(g, 4, &len);
    assert_memory_equal(p, "s1", 2);
    assert_int_equal(EM_VEC_OFFSETS(g)[5], g->chars_len);
    assert_int_equal(g->chars_len, 5 + 0 + 2 + 2 + 2);
    em_vector_unref(g);
    em_vector_unref(s);

    em_vector *d = em_vector_create(em_type_make(EM_TYPE_DOUBLE), 0);
    for (int i = 0; i < 10; i++) em_vector_append_f64(d, i / 4.0);
    int32_t dsel[] = {9, 1};
    g = em_vector_gather(d, dsel, 2);
    assert_true(EM_VEC_F64(g)[0] == 2.25);
    assert_true(EM_VEC_F64(g)[1] == 0.25);
    em_vector_unref(g);
    em_vector_unref(d);
}

/* Gathering strings of every length from 0 to 40, the last of them ending
 * exactly where the source's character buffer ends (short strings move as
 * 16-byte copies only when the source has 16 bytes left). */
static void test_gather_strings_to_buffer_end(void **state)
{
    (void)state;
    em_vector *s = em_vector_create(em_type_make(EM_TYPE_VARCHAR), 0);
    char text[64];
    for (int i = 0; i < 64; i++) text[i] = (char)('A' + i % 26);
    for (int len = 0; len <= 40; len++) em_vector_append_str(s, text + len % 7, len);
    while (s->chars_len < s->chars_cap) em_vector_append_str(s, text + s->length % 20, 1);
    assert_int_equal(s->chars_len, s->chars_cap);
    int64_t n = s->length;
    int32_t *sel = malloc(sizeof(int32_t) * (size_t)n * 2);
    for (int64_t i = 0; i < n; i++) {
        sel[i] = (int32_t)(n - 1 - i);
        sel[n + i] = (int32_t)((i * 7) % n);
    }
    em_vector *g = em_vector_gather(s, sel, 2 * n);
    assert_int_equal(g->length, 2 * n);
    int64_t total = 0;
    for (int64_t i = 0; i < 2 * n; i++) {
        int32_t la, lb;
        const char *a = em_vector_str(g, i, &la), *b = em_vector_str(s, sel[i], &lb);
        assert_int_equal(la, lb);
        if (la > 0) assert_memory_equal(a, b, (size_t)la);
        total += la;
    }
    assert_int_equal(EM_VEC_OFFSETS(g)[2 * n], g->chars_len);
    assert_int_equal(g->chars_len, total);
    em_vector_unref(g);
    free(sel);
    em_vector_unref(s);
}

static void test_slice(void **state)
{
    (void)state;
    em_vector *s = make_varchar(100);
    /* Unaligned and aligned offsets take different bitmap paths. */
    int64_t offsets[] = {0, 3, 8, 13, 95};
    for (size_t k = 0; k < EM_ARRAY_LEN(offsets); k++) {
        int64_t off = offsets[k], n = 100 - off < 20 ? 100 - off : 20;
        em_vector *sl = em_vector_slice(s, off, n);
        assert_int_equal(sl->length, n);
        assert_int_equal(EM_VEC_OFFSETS(sl)[0], 0);
        int64_t nulls = 0;
        for (int64_t i = 0; i < n; i++) {
            em_value a = em_vector_get(sl, i), b = em_vector_get(s, off + i);
            assert_int_equal(a.is_null, b.is_null);
            nulls += a.is_null;
            if (!a.is_null) {
                assert_int_equal(a.v.str.len, b.v.str.len);
                assert_memory_equal(a.v.str.ptr, b.v.str.ptr, (size_t)a.v.str.len);
            }
        }
        assert_int_equal(em_vector_null_count(sl), nulls);
        /* The slice is an independent vector: appends land after it. */
        em_vector_append_str(sl, "tail", 4);
        assert_true(bit(sl, n));
        int32_t len;
        const char *p = em_vector_str(sl, n, &len);
        assert_memory_equal(p, "tail", 4);
        em_vector_unref(sl);
    }
    em_vector *empty = em_vector_slice(s, 100, 0);
    assert_int_equal(empty->length, 0);
    em_vector_unref(empty);
    em_vector_unref(s);

    em_vector *ts = em_vector_create(em_type_make(EM_TYPE_TIMESTAMP), 0);
    for (int i = 0; i < 40; i++) em_vector_append_i64(ts, (int64_t)i * 1000000);
    em_vector *sl = em_vector_slice(ts, 17, 5);
    assert_null(sl->validity);
    for (int i = 0; i < 5; i++) assert_int_equal(EM_VEC_I64(sl)[i], (int64_t)(17 + i) * 1000000);
    em_vector_unref(sl);
    em_vector_unref(ts);
}

static void test_refcount(void **state)
{
    (void)state;
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_INTEGER), 8);
    em_vector_append_i32(v, 1);
    assert_ptr_equal(em_vector_ref(v), v);
    assert_int_equal(v->refcount, 2);
    em_vector_ref(v);
    assert_int_equal(v->refcount, 3);
    em_vector_unref(v);
    em_vector_unref(v);
    assert_int_equal(v->refcount, 1);
    assert_int_equal(EM_VEC_I32(v)[0], 1);
    em_vector_unref(v); /* freed; ASan would flag a leak otherwise */
    em_vector_unref(NULL);
}

static void test_from_value(void **state)
{
    (void)state;
    em_value s = em_value_varchar("xyz", 3);
    em_vector *v = em_vector_from_value(&s, 4);
    assert_int_equal(v->length, 4);
    assert_int_equal(v->chars_len, 12);
    for (int i = 0; i < 4; i++) {
        int32_t len;
        const char *p = em_vector_str(v, i, &len);
        assert_int_equal(len, 3);
        assert_memory_equal(p, "xyz", 3);
    }
    assert_int_equal(em_vector_null_count(v), 0);
    em_vector_unref(v);

    em_value d = em_value_decimal(-995, 5, 2);
    v = em_vector_from_value(&d, 3);
    assert_int_equal(v->type.id, EM_TYPE_DECIMAL);
    assert_int_equal(v->type.scale, 2);
    for (int i = 0; i < 3; i++) assert_int_equal(EM_VEC_I64(v)[i], -995);
    em_vector_unref(v);

    em_value b = em_value_bool(true);
    v = em_vector_from_value(&b, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(EM_VEC_BOOL(v)[i], 1);
    em_vector_unref(v);

    em_value n = em_value_null(em_type_make(EM_TYPE_DATE));
    v = em_vector_from_value(&n, 10);
    assert_int_equal(v->length, 10);
    assert_int_equal(em_vector_null_count(v), 10);
    for (int i = 0; i < 10; i++) assert_false(bit(v, i));
    /* Appending a value afterwards marks that row valid. */
    em_vector_append_i32(v, 77);
    assert_true(bit(v, 10));
    assert_int_equal(EM_VEC_I32(v)[10], 77);
    em_vector_unref(v);

    em_value nn = em_value_null(em_type_make(EM_TYPE_NULL));
    v = em_vector_from_value(&nn, 3);
    assert_int_equal(em_vector_null_count(v), 3);
    assert_true(em_vector_get(v, 2).is_null);
    em_vector_unref(v);

    em_value e = em_value_varchar("", 0);
    v = em_vector_from_value(&e, 0);
    assert_int_equal(v->length, 0);
    em_vector_unref(v);
}

static void test_reserve(void **state)
{
    (void)state;
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_INTEGER), 2);
    em_vector_append_i32(v, 1);
    em_vector_append_null(v);
    em_vector_reserve(v, 1000);
    assert_true(v->capacity >= 1000);
    assert_int_equal(EM_VEC_I32(v)[0], 1);
    assert_false(bit(v, 1));
    /* Rows past the old capacity start valid once written. */
    for (int i = 2; i < 1000; i++) EM_VEC_I32(v)[i] = i;
    v->length = 1000;
    for (int i = 2; i < 1000; i++) assert_true(bit(v, i));
    assert_int_equal(em_vector_null_count(v), 1);
    em_vector_reserve(v, 10); /* never shrinks */
    assert_true(v->capacity >= 1000);
    em_vector_unref(v);
}

/* ---- schema, batch, batch list ------------------------------------------ */

static em_schema *two_col_schema(void)
{
    em_schema *s = em_schema_create(2);
    s->fields[0].name = em_strdup("Id");
    s->fields[0].type = em_type_make(EM_TYPE_BIGINT);
    s->fields[1].name = em_strdup("name");
    s->fields[1].type = em_type_make(EM_TYPE_VARCHAR);
    s->fields[1].nullable = true;
    return s;
}

static em_batch *fill_batch(const em_schema *s, int n, int base)
{
    em_batch *b = em_batch_create_for(s, 4);
    char buf[16];
    for (int i = 0; i < n; i++) {
        em_vector_append_i64(b->cols[0], base + i);
        if (i % 4 == 3) {
            em_vector_append_null(b->cols[1]);
        } else {
            int len = snprintf(buf, sizeof(buf), "n%d", base + i);
            em_vector_append_str(b->cols[1], buf, len);
        }
    }
    b->nrows = n;
    return b;
}

static void test_schema(void **state)
{
    (void)state;
    em_schema *s = two_col_schema();
    assert_int_equal(em_schema_find(s, "id"), 0);
    assert_int_equal(em_schema_find(s, "NAME"), 1);
    assert_int_equal(em_schema_find(s, "nope"), -1);
    em_schema *c = em_schema_copy(s);
    assert_ptr_not_equal(c->fields[0].name, s->fields[0].name);
    assert_string_equal(c->fields[0].name, "Id");
    assert_true(c->fields[1].nullable);
    assert_int_equal(c->fields[1].type.id, EM_TYPE_VARCHAR);
    em_schema_destroy(s);
    assert_string_equal(c->fields[1].name, "name");
    em_schema_destroy(c);
    em_schema_destroy(NULL);
}

static void test_batch(void **state)
{
    (void)state;
    em_schema *s = two_col_schema();
    em_batch *b = fill_batch(s, 10, 100);
    assert_int_equal(b->ncols, 2);
    assert_int_equal(b->cols[0]->length, 10);
    assert_true(em_batch_bytes(b) >= 10 * 8 + 11 * 4);

    int32_t sel[] = {9, 3, 0};
    em_batch *g = em_batch_gather(b, sel, 3);
    assert_int_equal(g->nrows, 3);
    assert_int_equal(EM_VEC_I64(g->cols[0])[0], 109);
    assert_false(em_vector_is_valid(g->cols[1], 1));
    int32_t len;
    const char *p = em_vector_str(g->cols[1], 2, &len);
    assert_memory_equal(p, "n100", 4);
    em_batch_destroy(g);

    em_batch *sl = em_batch_slice(b, 6, 4);
    assert_int_equal(sl->nrows, 4);
    assert_int_equal(EM_VEC_I64(sl->cols[0])[0], 106);
    assert_false(em_vector_is_valid(sl->cols[1], 1)); /* row 7 */
    em_batch_destroy(sl);

    em_batch *r = em_batch_ref_copy(b);
    assert_ptr_equal(r->cols[0], b->cols[0]);
    assert_int_equal(b->cols[0]->refcount, 2);
    assert_int_equal(r->nrows, 10);
    em_batch_destroy(b);
    assert_int_equal(r->cols[0]->refcount, 1);
    assert_int_equal(EM_VEC_I64(r->cols[0])[9], 109);

    /* set_col releases the previous column and takes the new one. */
    em_vector *nv = em_vector_create(em_type_make(EM_TYPE_BIGINT), 10);
    for (int i = 0; i < 10; i++) em_vector_append_i64(nv, -i);
    em_batch_set_col(r, 0, nv);
    assert_ptr_equal(r->cols[0], nv);
    assert_int_equal(r->nrows, 10);
    em_batch_destroy(r);

    em_batch *e = em_batch_create(3);
    assert_null(e->cols[2]);
    em_batch_destroy(e);
    em_batch_destroy(NULL);
    em_schema_destroy(s);
}

static void test_batch_list(void **state)
{
    (void)state;
    em_schema *s = two_col_schema();
    em_batch_list a, b;
    em_batch_list_init(&a);
    em_batch_list_init(&b);
    for (int i = 0; i < 20; i++) em_batch_list_push(&a, fill_batch(s, i + 1, i * 100));
    assert_int_equal(a.count, 20);
    assert_int_equal(a.rows, 20 * 21 / 2);
    for (int i = 0; i < 3; i++) em_batch_list_push(&b, fill_batch(s, 5, 0));
    em_batch_list_move(&b, &a);
    assert_int_equal(a.count, 0);
    assert_int_equal(a.rows, 0);
    assert_int_equal(b.count, 23);
    assert_int_equal(b.rows, 15 + 210);
    assert_int_equal(EM_VEC_I64(b.items[3]->cols[0])[0], 0);
    assert_int_equal(EM_VEC_I64(b.items[22]->cols[0])[0], 1900);
    em_batch_list_move(&b, &a); /* moving an empty list is a no-op */
    assert_int_equal(b.count, 23);
    em_batch_list_release(&a);
    em_batch_list_release(&b);
    assert_int_equal(b.count, 0);
    em_schema_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_empty),  cmocka_unit_test(test_int_vector_nulls),
        cmocka_unit_test(test_lazy_validity), cmocka_unit_test(test_all_types_roundtrip),
        cmocka_unit_test(test_bool_vector),   cmocka_unit_test(test_varchar_layout),
        cmocka_unit_test(test_gather),        cmocka_unit_test(test_gather_strings_to_buffer_end),
        cmocka_unit_test(test_append_rows),
        cmocka_unit_test(test_slice),         cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_from_value),    cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_schema),        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_batch_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

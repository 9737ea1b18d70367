/*
 * test_arrow.c — exports batches, schemas and streams through the Arrow C
 * Data Interface and reads them back with a small consumer that checks
 * formats, buffers and release callbacks (leaks show up under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vector/vector.h"

/* Arrow bitmap test as a consumer would do it. */
static bool arrow_valid(const struct ArrowArray *a, int64_t i)
{
    const uint8_t *bits = a->buffers[0];
    if (bits == NULL) return true;
    int64_t k = i + a->offset;
    return (bits[k >> 3] >> (k & 7)) & 1;
}

static bool arrow_bit(const void *buf, int64_t i)
{
    return (((const uint8_t *)buf)[i >> 3] >> (i & 7)) & 1;
}

/* A schema with one column of each type and a batch of `n` rows where every
 * fifth row is NULL. */
static em_schema *all_types_schema(void)
{
    static const char *names[] = {"b", "i", "l", "g", "d", "u", "date", "ts"};
    em_type types[] = {em_type_make(EM_TYPE_BOOLEAN), em_type_make(EM_TYPE_INTEGER),
                       em_type_make(EM_TYPE_BIGINT),  em_type_make(EM_TYPE_DOUBLE),
                       em_type_decimal(12, 3),        em_type_make(EM_TYPE_VARCHAR),
                       em_type_make(EM_TYPE_DATE),    em_type_make(EM_TYPE_TIMESTAMP)};
    em_schema *s = em_schema_create(8);
    for (int i = 0; i < 8; i++) {
        s->fields[i].name = em_strdup(names[i]);
        s->fields[i].type = types[i];
        s->fields[i].nullable = i != 1;
    }
    return s;
}

static em_batch *all_types_batch(const em_schema *s, int n)
{
    em_batch *b = em_batch_create_for(s, 0);
    char buf[32];
    for (int r = 0; r < n; r++) {
        if (r % 5 == 4) {
            for (int c = 0; c < 8; c++) em_vector_append_null(b->cols[c]);
            continue;
        }
        em_vector_append_bool(b->cols[0], r % 2 == 0);
        em_vector_append_i32(b->cols[1], r * 10);
        em_vector_append_i64(b->cols[2], -(int64_t)r * 1000000000LL);
        em_vector_append_f64(b->cols[3], r + 0.25);
        em_vector_append_i64(b->cols[4], r % 2 ? -(int64_t)r * 1001 : (int64_t)r * 1001);
        int len = snprintf(buf, sizeof(buf), "str%d", r);
        em_vector_append_str(b->cols[5], buf, len);
        em_vector_append_i32(b->cols[6], -r);
        em_vector_append_i64(b->cols[7], (int64_t)r * 1000001);
    }
    b->nrows = n;
    return b;
}

static void check_schema(const struct ArrowSchema *sc)
{
    static const char *formats[] = {"b", "i", "l", "g", "d:12,3", "u", "tdD", "tsu:"};
    static const char *names[] = {"b", "i", "l", "g", "d", "u", "date", "ts"};
    assert_non_null(sc->release);
    assert_string_equal(sc->format, "+s");
    assert_int_equal(sc->n_children, 8);
    assert_null(sc->dictionary);
    for (int i = 0; i < 8; i++) {
        const struct ArrowSchema *c = sc->children[i];
        assert_string_equal(c->format, formats[i]);
        assert_string_equal(c->name, names[i]);
        assert_int_equal(c->n_children, 0);
        assert_int_equal(c->flags, i == 1 ? 0 : ARROW_FLAG_NULLABLE);
        assert_non_null(c->release);
    }
}

/* Check every value of an exported all-types array against the generator. */
static void check_array(const struct ArrowArray *a, int n)
{
    assert_non_null(a->release);
    assert_int_equal(a->length, n);
    assert_int_equal(a->null_count, 0);
    assert_int_equal(a->n_buffers, 1);
    assert_null(a->buffers[0]);
    assert_int_equal(a->n_children, 8);
    int64_t nulls = n / 5;
    static const int64_t nbuf[] = {2, 2, 2, 2, 2, 3, 2, 2};
    for (int c = 0; c < 8; c++) {
        const struct ArrowArray *ch = a->children[c];
        assert_int_equal(ch->length, n);
        assert_int_equal(ch->offset, 0);
        assert_int_equal(ch->null_count, nulls);
        assert_int_equal(ch->n_buffers, nbuf[c]);
        assert_int_equal(ch->n_children, 0);
        assert_non_null(ch->buffers[1]);
        if (nulls > 0) assert_non_null(ch->buffers[0]);
    }
    const struct ArrowArray *const *ch = (const struct ArrowArray *const *)a->children;
    const int32_t *off = ch[5]->buffers[1];
    const char *chars = ch[5]->buffers[2];
    assert_int_equal(off[0], 0);
    for (int r = 0; r < n; r++) {
        bool valid = r % 5 != 4;
        for (int c = 0; c < 8; c++) assert_int_equal(arrow_valid(ch[c], r), valid);
        if (!valid) {
            assert_int_equal(off[r + 1], off[r]);
            continue;
        }
        assert_int_equal(arrow_bit(ch[0]->buffers[1], r), r % 2 == 0);
        assert_int_equal(((const int32_t *)ch[1]->buffers[1])[r], r * 10);
        assert_int_equal(((const int64_t *)ch[2]->buffers[1])[r], -(int64_t)r * 1000000000LL);
        assert_true(((const double *)ch[3]->buffers[1])[r] == r + 0.25);
        /* decimal128: low 64 bits then the sign extension. */
        const uint64_t *dec = ch[4]->buffers[1];
        int64_t want = r % 2 ? -(int64_t)r * 1001 : (int64_t)r * 1001;
        assert_int_equal((int64_t)dec[2 * r], want);
        assert_int_equal(dec[2 * r + 1], want < 0 ? UINT64_MAX : 0);
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "str%d", r);
        assert_int_equal(off[r + 1] - off[r], len);
        assert_memory_equal(chars + off[r], buf, (size_t)len);
        assert_int_equal(((const int32_t *)ch[6]->buffers[1])[r], -r);
        assert_int_equal(((const int64_t *)ch[7]->buffers[1])[r], (int64_t)r * 1000001);
    }
}

static void test_export_batch(void **state)
{
    (void)state;
    em_schema *s = all_types_schema();
    em_batch *b = all_types_batch(s, 103);
    struct ArrowSchema sc;
    struct ArrowArray arr;
    em_error err;
    em_error_clear(&err);
    assert_int_equal(em_arrow_export_batch(s, b, &sc, &arr, &err), 0);
    /* The export holds references: the engine's objects can go first. */
    assert_int_equal(b->cols[2]->refcount, 2);
    em_batch_destroy(b);
    em_schema_destroy(s);
    check_schema(&sc);
    check_array(&arr, 103);
    arr.release(&arr);
    assert_null(arr.release);
    sc.release(&sc);
    assert_null(sc.release);
}

static void test_export_moved_child(void **state)
{
    (void)state;
    em_schema *s = all_types_schema();
    em_batch *b = all_types_batch(s, 12);
    struct ArrowArray arr;
    em_error err;
    assert_int_equal(em_arrow_export_batch(s, b, NULL, &arr, &err), 0);
    /* A consumer may move a child out and release it on its own schedule. */
    struct ArrowArray moved = *arr.children[5];
    arr.children[5]->release = NULL;
    arr.release(&arr);
    em_batch_destroy(b);
    int32_t len = ((const int32_t *)moved.buffers[1])[1] - ((const int32_t *)moved.buffers[1])[0];
    assert_int_equal(len, 4);
    assert_memory_equal((const char *)moved.buffers[2], "str0", 4);
    moved.release(&moved);
    assert_null(moved.release);
    em_schema_destroy(s);
}

static void test_export_no_nulls_and_empty(void **state)
{
    (void)state;
    em_schema *s = em_schema_create(2);
    s->fields[0].name = em_strdup("x");
    s->fields[0].type = em_type_make(EM_TYPE_INTEGER);
    s->fields[1].name = em_strdup("s");
    s->fields[1].type = em_type_make(EM_TYPE_VARCHAR);
    em_batch *b = em_batch_create_for(s, 0);
    struct ArrowArray arr;
    em_error err;
    assert_int_equal(em_arrow_export_batch(s, b, NULL, &arr, &err), 0);
    assert_int_equal(arr.length, 0);
    assert_int_equal(arr.children[1]->length, 0);
    assert_non_null(arr.children[1]->buffers[1]);
    assert_non_null(arr.children[1]->buffers[2]);
    assert_int_equal(((const int32_t *)arr.children[1]->buffers[1])[0], 0);
    arr.release(&arr);

    for (int i = 0; i < 3; i++) {
        em_vector_append_i32(b->cols[0], i);
        em_vector_append_str(b->cols[1], "", 0);
    }
    b->nrows = 3;
    assert_int_equal(em_arrow_export_batch(s, b, NULL, &arr, &err), 0);
    assert_int_equal(arr.children[0]->null_count, 0);
    assert_null(arr.children[0]->buffers[0]);
    assert_int_equal(((const int32_t *)arr.children[0]->buffers[1])[2], 2);
    assert_non_null(arr.children[1]->buffers[2]);
    arr.release(&arr);
    em_batch_destroy(b);
    em_schema_destroy(s);
}

static void test_export_null_column(void **state)
{
    (void)state;
    /* A NULL-typed vector under a schema of type NULL, and under a concrete
     * type (e.g. a column of NULL literals coerced to BIGINT). */
    em_schema *s = em_schema_create(2);
    s->fields[0].name = em_strdup("n");
    s->fields[0].type = em_type_make(EM_TYPE_NULL);
    s->fields[1].name = em_strdup("nb");
    s->fields[1].type = em_type_make(EM_TYPE_BIGINT);
    em_batch *b = em_batch_create(2);
    em_value nv = em_value_null(em_type_make(EM_TYPE_NULL));
    em_batch_set_col(b, 0, em_vector_from_value(&nv, 9));
    em_batch_set_col(b, 1, em_vector_from_value(&nv, 9));
    struct ArrowSchema sc;
    struct ArrowArray arr;
    em_error err;
    assert_int_equal(em_arrow_export_batch(s, b, &sc, &arr, &err), 0);
    assert_string_equal(sc.children[0]->format, "n");
    assert_string_equal(sc.children[1]->format, "l");
    assert_int_equal(arr.children[0]->n_buffers, 0);
    assert_int_equal(arr.children[0]->null_count, 9);
    assert_int_equal(arr.children[1]->n_buffers, 2);
    assert_int_equal(arr.children[1]->null_count, 9);
    for (int i = 0; i < 9; i++) assert_false(arrow_valid(arr.children[1], i));
    arr.release(&arr);
    sc.release(&sc);
    em_batch_destroy(b);
    em_schema_destroy(s);
}

static void test_export_errors(void **state)
{
    (void)state;
    em_schema *s = all_types_schema();
    em_batch *b = all_types_batch(s, 10);
    struct ArrowArray arr;
    em_error err;
    /* Column count mismatch. */
    s->nfields = 7;
    assert_int_equal(em_arrow_export_batch(s, b, NULL, &arr, &err), EM_EINTERNAL);
    s->nfields = 8;
    /* Type mismatch. */
    s->fields[2].type = em_type_make(EM_TYPE_DOUBLE);
    assert_int_equal(em_arrow_export_batch(s, b, NULL, &arr, &err), EM_EINTERNAL);
    assert_non_null(strstr(err.message, "BIGINT"));
    s->fields[2].type = em_type_make(EM_TYPE_BIGINT);
    /* Row count mismatch. */
    b->nrows = 11;
    assert_int_equal(em_arrow_export_batch(s, b, NULL, &arr, &err), EM_EINTERNAL);
    b->nrows = 10;
    assert_int_equal(em_arrow_export_batch(s, b, NULL, &arr, &err), 0);
    arr.release(&arr);
    /* Without a schema the vectors' types are used. */
    struct ArrowSchema sc;
    assert_int_equal(em_arrow_export_batch(NULL, b, &sc, &arr, &err), 0);
    assert_string_equal(sc.children[4]->format, "d:12,3");
    assert_string_equal(sc.children[0]->name, "col0");
    sc.release(&sc);
    arr.release(&arr);
    em_batch_destroy(b);
    em_schema_destroy(s);
}

static void test_export_stream(void **state)
{
    (void)state;
    em_schema *s = all_types_schema();
    em_batch_list list;
    em_batch_list_init(&list);
    int sizes[] = {20, 7, 0, 64};
    for (size_t i = 0; i < EM_ARRAY_LEN(sizes); i++)
        em_batch_list_push(&list, all_types_batch(s, sizes[i]));
    struct ArrowArrayStream st;
    em_error err;
    assert_int_equal(em_arrow_export_stream(s, &list, &st, &err), 0);
    /* The stream holds its own references. */
    em_batch_list_release(&list);
    em_schema_destroy(s);

    struct ArrowSchema sc;
    assert_int_equal(st.get_schema(&st, &sc), 0);
    check_schema(&sc);
    sc.release(&sc);
    assert_null(st.get_last_error(&st));

    struct ArrowArray held[4];
    for (size_t i = 0; i < EM_ARRAY_LEN(sizes); i++) {
        assert_int_equal(st.get_next(&st, &held[i]), 0);
        assert_non_null(held[i].release);
        check_array(&held[i], sizes[i]);
    }
    struct ArrowArray end;
    assert_int_equal(st.get_next(&st, &end), 0);
    assert_null(end.release);
    /* Releasing the stream before its arrays is allowed. */
    st.release(&st);
    assert_null(st.release);
    for (size_t i = 0; i < EM_ARRAY_LEN(sizes); i++) {
        check_array(&held[i], sizes[i]);
        held[i].release(&held[i]);
    }
}

static void test_export_stream_partial(void **state)
{
    (void)state;
    /* A consumer that stops early must not leak the remaining batches. */
    em_schema *s = all_types_schema();
    em_batch_list list;
    em_batch_list_init(&list);
    for (int i = 0; i < 3; i++) em_batch_list_push(&list, all_types_batch(s, 10));
    struct ArrowArrayStream st;
    em_error err;
    assert_int_equal(em_arrow_export_stream(s, &list, &st, &err), 0);
    struct ArrowArray a;
    assert_int_equal(st.get_next(&st, &a), 0);
    a.release(&a);
    st.release(&st);
    em_batch_list_release(&list);
    em_schema_destroy(s);

    /* An empty list gives an immediately finished stream. */
    em_schema *s2 = all_types_schema();
    em_batch_list empty;
    em_batch_list_init(&empty);
    assert_int_equal(em_arrow_export_stream(s2, &empty, &st, &err), 0);
    assert_int_equal(st.get_next(&st, &a), 0);
    assert_null(a.release);
    st.release(&st);
    em_schema_destroy(s2);
}

static void test_export_schema_only(void **state)
{
    (void)state;
    em_schema *s = all_types_schema();
    struct ArrowSchema sc;
    em_error err;
    assert_int_equal(em_arrow_export_schema(s, &sc, &err), 0);
    em_schema_destroy(s);
    check_schema(&sc);
    /* Children can be moved out and released separately too. */
    struct ArrowSchema child = *sc.children[0];
    sc.children[0]->release = NULL;
    sc.release(&sc);
    assert_string_equal(child.format, "b");
    child.release(&child);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_batch),
        cmocka_unit_test(test_export_moved_child),
        cmocka_unit_test(test_export_no_nulls_and_empty),
        cmocka_unit_test(test_export_null_column),
        cmocka_unit_test(test_export_errors),
        cmocka_unit_test(test_export_stream),
        cmocka_unit_test(test_export_stream_partial),
        cmocka_unit_test(test_export_schema_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_unnest.c — the unnest operator (exec/op_unnest.c): pieces with their
 * passed-through columns, NULL strings, PostgreSQL's string_to_array rules,
 * patterns that vary by row, output batches that fill and flush, a LIMIT
 * downstream that stops the split; and an UNNEST node and a corr aggregate
 * travelling through the task wire format.
 */
#include "exec_test_util.h"
#include "net/plan_serde.h"

static em_task_ctx g_ctx;

static em_type T(em_type_id id)
{
    return em_type_make(id);
}

/* Run one batch through unnest (then an optional LIMIT) into *out. */
static void run(em_arena *a, em_unnest_kind kind, const em_expr *sep, const em_expr *extra,
                int npass, const int *pass, em_batch *in, int64_t limit, em_batch_list *out)
{
    em_batch_list l;
    em_batch_list_init(&l);
    em_batch_list_push(&l, in);
    em_batch_list_init(out);
    em_unnest_spec spec = {kind, em_expr_column(a, 1, T(EM_TYPE_VARCHAR)), sep, extra};
    em_op *sink = em_op_collect_create(&g_ctx, out);
    em_op *head = sink;
    if (limit >= 0) {
        em_op *lim = em_op_limit_create(&g_ctx, limit, 0);
        lim->next = head;
        head = lim;
    }
    em_op *u = em_op_unnest_create(&g_ctx, &spec, npass, pass);
    u->next = head;
    em_error err = {0};
    int rc = tp_run(&l, u, &err);
    if (rc != 0) fail_msg("%s", err.message);
    em_batch_list_release(&l);
}

static em_expr *str(em_arena *a, const char *s)
{
    return em_expr_const(a, s ? em_value_varchar(s, (int32_t)strlen(s))
                              : em_value_null(T(EM_TYPE_VARCHAR)));
}

static void test_split(void **state)
{
    (void)state;
    em_arena *a = em_arena_create(4096);
    const char *s[] = {"a b", NULL, "", " c ", "d"};
    em_batch *in = tb_make(2, tv_i64(5, (int64_t[]){1, 2, 3, 4, 5}), tv_str(5, s));
    em_batch_list out;
    run(a, EM_UNNEST_SPLIT, str(a, " "), NULL, 1, (int[]){0}, in, -1, &out);
    tr_expect(&out, (const char *const[]){"1|'a'", "1|'b'", "3|''", "4|''", "4|'c'", "4|''",
                                          "5|'d'", NULL});
    em_batch_list_release(&out);

    /* string_to_array: '' has no pieces; pieces equal to the third argument are NULL */
    in = tb_make(2, tv_i64(5, (int64_t[]){1, 2, 3, 4, 5}), tv_str(5, s));
    run(a, EM_UNNEST_STRING_TO_ARRAY, str(a, " "), str(a, "c"), 0, NULL, in, -1, &out);
    tr_expect(&out, (const char *const[]){"'a'", "'b'", "''", "NULL", "''", "'d'", NULL});
    em_batch_list_release(&out);

    /* a NULL delimiter: DuckDB keeps the string whole, PostgreSQL splits characters */
    in = tb_make(2, tv_i64(1, (int64_t[]){1}), tv_str(1, (const char *[]){"xy"}));
    run(a, EM_UNNEST_SPLIT, str(a, NULL), NULL, 0, NULL, in, -1, &out);
    tr_expect(&out, (const char *const[]){"'xy'", NULL});
    em_batch_list_release(&out);
    in = tb_make(2, tv_i64(1, (int64_t[]){1}), tv_str(1, (const char *[]){"xy"}));
    run(a, EM_UNNEST_STRING_TO_ARRAY, str(a, NULL), NULL, 0, NULL, in, -1, &out);
    tr_expect(&out, (const char *const[]){"'x'", "'y'", NULL});
    em_batch_list_release(&out);

    /* regexp_split_to_table is strict: a NULL pattern gives nothing */
    in = tb_make(2, tv_i64(1, (int64_t[]){1}), tv_str(1, (const char *[]){"xy"}));
    run(a, EM_UNNEST_REGEXP, str(a, NULL), NULL, 0, NULL, in, -1, &out);
    assert_int_equal(out.rows, 0);
    em_batch_list_release(&out);
    em_arena_destroy(a);
}

static void test_varying_pattern(void **state)
{
    (void)state;
    em_arena *a = em_arena_create(4096);
    const char *s[] = {"a1b", "a-b", "a1b-c", "x y"};
    const char *p[] = {"[0-9]", "-", NULL, "(y| )"};
    em_batch *in = tb_make(3, tv_i64(4, (int64_t[]){1, 2, 3, 4}), tv_str(4, s), tv_str(4, p));
    em_batch_list out;
    run(a, EM_UNNEST_REGEXP, em_expr_column(a, 2, T(EM_TYPE_VARCHAR)), NULL, 1, (int[]){0}, in, -1,
        &out);
    tr_expect(&out, (const char *const[]){"1|'a'", "1|'b'", "2|'a'", "2|'b'", "4|'x'", "4|''",
                                          "4|''", NULL});
    em_batch_list_release(&out);
    em_arena_destroy(a);
}

/* 1000 strings of 7 pieces: 7000 rows leave in batches of at most EM_BATCH_ROWS,
 * each row with its own string's number. */
static void test_batches(void **state)
{
    (void)state;
    em_arena *a = em_arena_create(4096);
    em_vector *n = em_vector_create(T(EM_TYPE_BIGINT), 1000);
    em_vector *s = em_vector_create(T(EM_TYPE_VARCHAR), 1000);
    for (int i = 0; i < 1000; i++) {
        char buf[64];
        int len = snprintf(buf, sizeof(buf), "%d,%d,%d,%d,%d,%d,%d", i, i, i, i, i, i, i);
        em_vector_append_i64(n, i);
        em_vector_append_str(s, buf, len);
    }
    em_batch_list out;
    run(a, EM_UNNEST_SPLIT, str(a, ","), NULL, 1, (int[]){0}, tb_make(2, n, s), -1, &out);
    assert_int_equal(out.rows, 7000);
    int64_t seen = 0;
    for (int64_t b = 0; b < out.count; b++) {
        const em_batch *bt = out.items[b];
        assert_true(bt->nrows <= EM_BATCH_ROWS);
        for (int64_t i = 0; i < bt->nrows; i++, seen++) {
            int32_t len;
            const char *p = em_vector_str(bt->cols[1], i, &len);
            char buf[16];
            snprintf(buf, sizeof(buf), "%lld", (long long)EM_VEC_I64(bt->cols[0])[i]);
            assert_int_equal(len, (int32_t)strlen(buf));
            assert_memory_equal(p, buf, (size_t)len);
            assert_int_equal(EM_VEC_I64(bt->cols[0])[i], seen / 7);
        }
    }
    em_batch_list_release(&out);

    /* A LIMIT downstream stops the split. */
    em_vector *one = em_vector_create(T(EM_TYPE_VARCHAR), 1);
    em_vector_append_str(one, "a b c d e", 9);
    run(a, EM_UNNEST_SPLIT, str(a, " "), NULL, 0, NULL, tb_make(2, tv_i64(1, (int64_t[]){1}), one),
        2, &out);
    tr_expect(&out, (const char *const[]){"'a'", "'b'", NULL});
    em_batch_list_release(&out);
    em_arena_destroy(a);
}

/* An UNNEST node over a scan, under a PARTIAL aggregation with corr: both
 * survive the task wire format. */
static void test_wire(void **state)
{
    (void)state;
    em_arena *a = em_arena_create(1 << 14);
    em_schema *in = em_lop_schema(a, 3);
    in->fields[0] = (em_field){"n", T(EM_TYPE_DOUBLE), true};
    in->fields[1] = (em_field){"s", T(EM_TYPE_VARCHAR), true};
    in->fields[2] = (em_field){"p", T(EM_TYPE_VARCHAR), true};
    em_pop *values = em_pop_new(a, EM_POP_VALUES, 0);
    values->schema = in;
    values->nparts = 1;
    em_expr **row = em_arena_alloc(a, sizeof(em_expr *) * 3);
    row[0] = em_expr_const(a, em_value_double(1.5));
    row[1] = str(a, "a b");
    row[2] = str(a, "\\s+");
    values->u.values.nrows = 1;
    values->u.values.rows = em_arena_alloc(a, sizeof(em_expr **));
    values->u.values.rows[0] = row;

    em_pop *u = em_pop_new(a, EM_POP_UNNEST, 1);
    u->children[0] = values;
    u->nparts = 1;
    u->schema = em_lop_schema(a, 2);
    u->schema->fields[0] = in->fields[0];
    u->schema->fields[1] = (em_field){"__unnest", T(EM_TYPE_VARCHAR), true};
    u->u.unnest.spec = (em_unnest_spec){EM_UNNEST_REGEXP, em_expr_column(a, 1, T(EM_TYPE_VARCHAR)),
                                        em_expr_column(a, 2, T(EM_TYPE_VARCHAR)), str(a, "i")};
    u->u.unnest.npass = 1;
    u->u.unnest.pass = em_arena_alloc(a, sizeof(int));
    u->u.unnest.pass[0] = 0;

    em_agg_call *c = em_arena_calloc(a, sizeof(em_agg_call));
    c->kind = EM_AGG_CORR;
    c->arg = em_expr_column(a, 0, T(EM_TYPE_DOUBLE));
    c->arg2 = em_expr_column(a, 0, T(EM_TYPE_DOUBLE));
    c->type = T(EM_TYPE_DOUBLE);
    em_pop *g = em_pop_new(a, EM_POP_HASH_AGG, 1);
    g->children[0] = u;
    g->nparts = 1;
    g->schema = em_lop_schema(a, 6);
    for (int i = 0; i < 6; i++)
        g->schema->fields[i] = (em_field){"st", T(i == 0 ? EM_TYPE_BIGINT : EM_TYPE_DOUBLE), true};
    g->u.agg.mode = EM_AGG_MODE_PARTIAL;
    g->u.agg.naggs = 1;
    g->u.agg.aggs = c;

    em_stage st = {.id = 0, .root = g, .nparts = 1, .is_result = true, .shuffle_id = -1};
    em_task_desc t = {0, 0, 0, &st};
    uint8_t *buf;
    size_t len;
    em_error err = {0};
    if (em_task_desc_serialize(&t, &buf, &len, &err) != 0) fail_msg("%s", err.message);
    em_task_desc back;
    em_stage *sb;
    if (em_task_desc_deserialize(buf, len, a, NULL, NULL, &back, &sb, &err) != 0)
        fail_msg("%s", err.message);
    em_free(buf);
    const em_pop *g2 = sb->root, *u2 = g2->children[0];
    assert_int_equal(g2->u.agg.aggs[0].kind, EM_AGG_CORR);
    assert_non_null(g2->u.agg.aggs[0].arg2);
    assert_int_equal(u2->kind, EM_POP_UNNEST);
    assert_int_equal(u2->u.unnest.spec.kind, EM_UNNEST_REGEXP);
    assert_int_equal(u2->u.unnest.spec.sep->column, 2);
    assert_non_null(u2->u.unnest.spec.extra);
    assert_int_equal(u2->u.unnest.npass, 1);
    assert_int_equal(u2->u.unnest.pass[0], 0);

    /* A second argument where the aggregate takes none is refused. */
    c->kind = EM_AGG_SUM;
    if (em_task_desc_serialize(&t, &buf, &len, &err) != 0) fail_msg("%s", err.message);
    assert_int_equal(em_task_desc_deserialize(buf, len, a, NULL, NULL, &back, &sb, &err),
                     EM_EINVAL);
    em_free(buf);
    em_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_varying_pattern),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

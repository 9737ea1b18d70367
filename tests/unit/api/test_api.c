/*
 * test_api.c — the public C API (include/ember.h) as a program linking libember
 * would use it: sessions, configuration, statements, results, Arrow export.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ember.h"

static em_session *open_session(const char *master)
{
    em_session *s = NULL;
    em_error err;
    assert_int_equal(em_session_create(master, &s, &err), 0);
    return s;
}

static void test_masters(void **state)
{
    (void)state;
    em_session *s;
    em_error err;
    assert_int_equal(em_session_create("local[3]", &s, &err), 0);
    em_session_destroy(s);
    assert_int_equal(em_session_create("local", &s, &err), 0);
    em_session_destroy(s);
    assert_int_equal(em_session_create("local[0]", &s, &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "local[0]"));
    assert_int_equal(em_session_create("yarn", &s, &err), EM_EINVAL);
    /* A cluster master: the session connects with its first statement. */
    assert_int_equal(em_session_create("ember://127.0.0.1:1", &s, &err), 0);
    em_result *r = NULL;
    assert_true(em_sql(s, "SELECT 1", &r, &err) < 0);
    assert_non_null(strstr(err.message, "cannot register with master ember://127.0.0.1:1"));
    assert_null(r);
    em_session_destroy(s);
    assert_int_equal(em_session_create("ember://", &s, &err), EM_EINVAL);
    assert_int_equal(em_session_create("ember://h", &s, &err), EM_EINVAL);
}

static void test_conf(void **state)
{
    (void)state;
    em_session *s = open_session("local[2]");
    em_error err;
    assert_int_equal(em_session_set_conf(s, "ember.sql.shuffle.partitions", "9", &err), 0);
    assert_string_equal(em_session_get_conf(s, "ember.sql.shuffle.partitions"), "9");
    assert_int_equal(em_session_set_conf(s, "ember.sql.shuffle.partitions", "x", &err), EM_EINVAL);
    /* Cluster keys: counts may be 0 ("all") but not negative; speculation's
     * numbers must be in range; fault-injection rules must parse. */
    assert_int_equal(em_session_set_conf(s, "ember.executor.cores", "0", &err), 0);
    assert_int_equal(em_session_set_conf(s, "ember.executor.cores", "-1", &err), EM_EINVAL);
    assert_int_equal(em_session_set_conf(s, "ember.speculation.quantile", "0.5", &err), 0);
    assert_int_equal(em_session_set_conf(s, "ember.speculation.quantile", "1.5", &err), EM_EINVAL);
    assert_int_equal(em_session_set_conf(s, "ember.speculation.multiplier", "0.9", &err), EM_EINVAL);
    assert_int_equal(em_session_set_conf(s, "ember.speculation.multiplier", "x", &err), EM_EINVAL);
    assert_int_equal(em_session_set_conf(s, "ember.test.inject", "fail:stage=2", &err), 0);
    assert_int_equal(em_session_set_conf(s, "ember.test.inject", "fail:stage=x", &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "stage expects a number, not 'x'"));
    assert_int_equal(em_session_set_conf(s, "ember.test.inject", "boom", &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "unknown action 'boom'"));
    assert_int_equal(em_session_set_conf(s, "ember.sql.autoBroadcastJoinThreshold", "-1", &err), 0);
    assert_int_equal(em_session_set_conf(s, "ember.no.such.key", "1", &err), EM_EINVAL);
    assert_null(em_session_get_conf(s, "ember.no.such.key"));
    em_session_destroy(s);
}

static void test_query_values(void **state)
{
    (void)state;
    em_session *s = open_session("local[2]");
    em_error err;
    em_result *r = NULL;
    assert_int_equal(em_sql(s,
                            "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a', 2.5), (2, NULL, NULL), "
                            "(3, 'c', 4.25)) v(id, s, d);"
                            "SELECT id, s, d, id * 10 AS big FROM t ORDER BY id",
                            &r, &err),
                     0);
    assert_string_equal(em_result_statement(r), "SELECT");
    assert_int_equal(em_result_column_count(r), 4);
    assert_int_equal(em_result_row_count(r), 3);
    assert_string_equal(em_result_column_name(r, 3), "big");
    assert_string_equal(em_result_column_type(r, 0), "INTEGER");
    assert_int_equal(em_result_int64(r, 2, 3), 30);
    assert_string_equal(em_result_string(r, 0, 1), "a");
    assert_true(em_result_is_null(r, 1, 1));
    assert_null(em_result_string(r, 1, 2));
    assert_true(em_result_double(r, 2, 2) == 4.25);
    assert_null(em_result_string(r, 5, 0)); /* out of range: no crash */
    em_result_destroy(r);
    em_session_destroy(s);
}

typedef struct each_ctx {
    int calls;
    char kinds[4][16];
} each_ctx;

static int on_result(void *ctx, const char *sql, int len, em_result *r)
{
    each_ctx *c = ctx;
    (void)sql;
    (void)len;
    if (c->calls < 4) strncpy(c->kinds[c->calls], em_result_statement(r), 15);
    c->calls++;
    return 0;
}

static void test_each_and_errors(void **state)
{
    (void)state;
    em_session *s = open_session("local[2]");
    em_error err;
    each_ctx c = {0};
    assert_int_equal(em_sql_each(s, "CREATE TABLE x (a INT); INSERT INTO x VALUES (1); SELECT * FROM x",
                                 on_result, &c, &err),
                     0);
    assert_int_equal(c.calls, 3);
    assert_string_equal(c.kinds[0], "CREATE TABLE");
    assert_string_equal(c.kinds[1], "INSERT");
    assert_string_equal(c.kinds[2], "SELECT");

    /* The error position is relative to the whole script. */
    const char *script = "SELECT 1; SELECT nope FROM x";
    em_result *r = NULL;
    assert_int_equal(em_sql(s, script, &r, &err), EM_EBIND);
    assert_int_equal(err.sql_pos, (int)(strstr(script, "nope") - script) + 1);
    assert_string_equal(err.sqlstate, "42703");
    assert_int_equal(em_sql(s, "SELEC 1", &r, &err), EM_ESYNTAX);
    assert_int_equal(err.sql_pos, 1);
    em_session_destroy(s);
}

static void test_arrow_stream(void **state)
{
    (void)state;
    em_session *s = open_session("local[2]");
    em_error err;
    em_result *r = NULL;
    assert_int_equal(em_sql(s,
                            "SELECT x, CAST(x AS VARCHAR) AS s, x % 2 = 0 AS even FROM "
                            "(VALUES (1), (2), (3), (NULL)) t(x) ORDER BY x NULLS LAST",
                            &r, &err),
                     0);
    struct ArrowArrayStream stream;
    assert_int_equal(em_result_export_arrow(r, &stream, &err), 0);
    em_result_destroy(r); /* the stream holds its own references */
    struct ArrowSchema schema;
    assert_int_equal(stream.get_schema(&stream, &schema), 0);
    assert_string_equal(schema.format, "+s");
    assert_int_equal(schema.n_children, 3);
    assert_string_equal(schema.children[0]->format, "i");
    assert_string_equal(schema.children[1]->format, "u");
    assert_string_equal(schema.children[2]->format, "b");
    assert_string_equal(schema.children[1]->name, "s");
    schema.release(&schema);
    int64_t rows = 0, nulls = 0, sum = 0;
    for (;;) {
        struct ArrowArray a;
        assert_int_equal(stream.get_next(&stream, &a), 0);
        if (a.release == NULL) break;
        rows += a.length;
        const struct ArrowArray *x = a.children[0];
        const uint8_t *valid = x->buffers[0];
        const int32_t *vals = x->buffers[1];
        for (int64_t i = 0; i < x->length; i++) {
            if (valid && !((valid[i >> 3] >> (i & 7)) & 1)) {
                nulls++;
                continue;
            }
            sum += vals[i];
        }
        const struct ArrowArray *str = a.children[1];
        const int32_t *off = str->buffers[1];
        const char *chars = str->buffers[2];
        assert_memory_equal(chars + off[0], "1", 1);
        a.release(&a);
    }
    assert_int_equal(rows, 4);
    assert_int_equal(nulls, 1);
    assert_int_equal(sum, 6);
    stream.release(&stream);
    em_session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_masters),         cmocka_unit_test(test_conf),
        cmocka_unit_test(test_query_values),    cmocka_unit_test(test_each_and_errors),
        cmocka_unit_test(test_arrow_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

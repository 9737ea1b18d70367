/*
 * test_result_format.c — the table, CSV and JSON printers on small in-memory
 * tables (exact output, NULLs, quoting and escaping, UTF-8 alignment), and
 * once through the adapter over a real engine result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ui/ui.h"

/* A table held in arrays: names[c], types[c], values[r * ncols + c]. */
typedef struct fake_table {
    int ncols;
    int64_t nrows;
    const char *const *names;
    const char *const *types;
    const char *const *values;
} fake_table;

static const char *fake_name(void *ctx, int col)
{
    return ((fake_table *)ctx)->names[col];
}

static const char *fake_type(void *ctx, int col)
{
    return ((fake_table *)ctx)->types[col];
}

static const char *fake_value(void *ctx, int64_t row, int col)
{
    fake_table *t = ctx;
    return t->values[row * t->ncols + col];
}

/* Print the table in `fmt` and return the output (free with free()). */
static char *render(fake_table *t, em_ui_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    em_ui_rows rows = {t->ncols, t->nrows, t, fake_name, fake_type, fake_value};
    assert_int_equal(em_ui_print_rows(f, &rows, fmt), 0);
    fclose(f);
    return buf;
}

static const char *const names3[] = {"id", "name", "price"};
static const char *const types3[] = {"INTEGER", "VARCHAR", "DECIMAL(10,2)"};
static const char *const values3[] = {
    "1",  "a,\"b",        "1.50",  /* */
    NULL, NULL,           "-2.00", /* */
    "10", "h\xc3\xa9llo", NULL,
};

static void test_table(void **state)
{
    (void)state;
    fake_table t = {3, 3, names3, types3, values3};
    char *out = render(&t, EM_UI_TABLE);
    assert_string_equal(out, "┌─────────┬─────────┬───────────────┐\n"
                             "│   id    │  name   │     price     │\n"
                             "│ INTEGER │ VARCHAR │ DECIMAL(10,2) │\n"
                             "├─────────┼─────────┼───────────────┤\n"
                             "│       1 │ a,\"b    │          1.50 │\n"
                             "│    NULL │ NULL    │         -2.00 │\n"
                             "│      10 │ héllo   │          NULL │\n"
                             "└─────────┴─────────┴───────────────┘\n"
                             "(3 rows)\n");
    free(out);
}

static void test_table_wide_and_control(void **state)
{
    (void)state;
    static const char *const names[] = {"s"};
    static const char *const types[] = {"VARCHAR"};
    /* Two wide characters (4 columns), and a newline shown as \n. */
    static const char *const values[] = {"\xe6\x97\xa5\xe6\x9c\xac", "a\nb"};
    fake_table t = {1, 2, names, types, values};
    char *out = render(&t, EM_UI_TABLE);
    assert_string_equal(out, "┌─────────┐\n"
                             "│    s    │\n"
                             "│ VARCHAR │\n"
                             "├─────────┤\n"
                             "│ 日本    │\n"
                             "│ a\\nb    │\n"
                             "└─────────┘\n"
                             "(2 rows)\n");
    free(out);
}

static void test_table_one_and_zero_rows(void **state)
{
    (void)state;
    static const char *const names[] = {"n"};
    static const char *const types[] = {"BIGINT"};
    static const char *const values[] = {"42"};
    fake_table t = {1, 1, names, types, values};
    char *out = render(&t, EM_UI_TABLE);
    assert_string_equal(out, "┌────────┐\n"
                             "│   n    │\n"
                             "│ BIGINT │\n"
                             "├────────┤\n"
                             "│     42 │\n"
                             "└────────┘\n"
                             "(1 row)\n");
    free(out);
    t.nrows = 0;
    out = render(&t, EM_UI_TABLE);
    assert_string_equal(out, "┌────────┐\n"
                             "│   n    │\n"
                             "│ BIGINT │\n"
                             "├────────┤\n"
                             "└────────┘\n"
                             "(0 rows)\n");
    free(out);
}

static void test_csv(void **state)
{
    (void)state;
    fake_table t = {3, 3, names3, types3, values3};
    char *out = render(&t, EM_UI_CSV);
    assert_string_equal(out, "id,name,price\n"
                             "1,\"a,\"\"b\",1.50\n"
                             ",,-2.00\n"
                             "10,héllo,\n");
    free(out);
}

static void test_csv_empty_string_and_newline(void **state)
{
    (void)state;
    static const char *const names[] = {"a,b", "c"};
    static const char *const types[] = {"VARCHAR", "VARCHAR"};
    static const char *const values[] = {"", "x\ny"};
    fake_table t = {2, 1, names, types, values};
    char *out = render(&t, EM_UI_CSV);
    assert_string_equal(out, "\"a,b\",c\n"
                             "\"\",\"x\ny\"\n");
    free(out);
}

static void test_json(void **state)
{
    (void)state;
    fake_table t = {3, 3, names3, types3, values3};
    char *out = render(&t, EM_UI_JSON);
    assert_string_equal(out, "[\n"
                             "{\"id\":1,\"name\":\"a,\\\"b\",\"price\":1.50},\n"
                             "{\"id\":null,\"name\":null,\"price\":-2.00},\n"
                             "{\"id\":10,\"name\":\"héllo\",\"price\":null}\n"
                             "]\n");
    free(out);
}

static void test_json_types_and_escapes(void **state)
{
    (void)state;
    static const char *const names[] = {"b", "d", "s", "t"};
    static const char *const types[] = {"BOOLEAN", "DOUBLE", "VARCHAR", "DATE"};
    static const char *const values[] = {
        "true",  "1.5e-07", "tab\there \\ \x01", "2026-01-01", /* */
        "false", "inf",     "bad \xff byte",     NULL,
    };
    fake_table t = {4, 2, names, types, values};
    char *out = render(&t, EM_UI_JSON);
    assert_string_equal(
        out, "[\n"
             "{\"b\":true,\"d\":1.5e-07,\"s\":\"tab\\there \\\\ \\u0001\",\"t\":\"2026-01-01\"},\n"
             "{\"b\":false,\"d\":\"inf\",\"s\":\"bad \\ufffd byte\",\"t\":null}\n"
             "]\n");
    free(out);
    t.nrows = 0;
    out = render(&t, EM_UI_JSON);
    assert_string_equal(out, "[]\n");
    free(out);
}

static void test_display_width(void **state)
{
    (void)state;
    assert_int_equal(em_ui_display_width("abc", 3), 3);
    assert_int_equal(em_ui_display_width("h\xc3\xa9llo", 6), 5);
    /* e + COMBINING ACUTE ACCENT is one column. */
    assert_int_equal(em_ui_display_width("e\xcc\x81", 3), 1);
    assert_int_equal(em_ui_display_width("\xe6\x97\xa5\xe6\x9c\xac", 6), 4);
    /* A truncated sequence counts one column per byte. */
    assert_int_equal(em_ui_display_width("\xe6\x97", 2), 2);
}

static void test_format_names(void **state)
{
    (void)state;
    em_ui_format fmt;
    assert_int_equal(em_ui_format_parse("CSV", &fmt), 0);
    assert_int_equal(fmt, EM_UI_CSV);
    assert_int_equal(em_ui_format_parse("json", &fmt), 0);
    assert_int_equal(fmt, EM_UI_JSON);
    assert_int_equal(em_ui_format_parse("table", &fmt), 0);
    assert_int_equal(fmt, EM_UI_TABLE);
    assert_int_equal(em_ui_format_parse("xml", &fmt), -1);
    assert_string_equal(em_ui_format_name(EM_UI_JSON), "json");
    assert_true(em_ui_type_is_numeric("DECIMAL(18,3)"));
    assert_true(em_ui_type_is_numeric("bigint"));
    assert_false(em_ui_type_is_numeric("VARCHAR"));
    assert_false(em_ui_type_is_numeric("TIMESTAMP"));
    assert_false(em_ui_type_is_numeric(NULL));
}

/* The adapter over engine results: names, types and values come from em_result. */
static void test_engine_result(void **state)
{
    (void)state;
    em_session *s;
    em_error err;
    assert_int_equal(em_session_create("local[1]", &s, &err), 0);
    em_result *r;
    int rc = em_sql(s, "SELECT * FROM (VALUES (1, 'a,b'), (NULL, 'x')) AS t(n, s)", &r, &err);
    if (rc < 0) fail_msg("%s", err.message);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(em_ui_print_result(f, r, EM_UI_JSON), 0);
    assert_int_equal(em_ui_print_result(f, r, EM_UI_CSV), 0);
    fclose(f);
    assert_string_equal(buf, "[\n"
                             "{\"n\":1,\"s\":\"a,b\"},\n"
                             "{\"n\":null,\"s\":\"x\"}\n"
                             "]\n"
                             "n,s\n"
                             "1,\"a,b\"\n"
                             ",x\n");
    free(buf);
    em_result_destroy(r);
    em_session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_wide_and_control),
        cmocka_unit_test(test_table_one_and_zero_rows),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_empty_string_and_newline),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_types_and_escapes),
        cmocka_unit_test(test_display_width),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_engine_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

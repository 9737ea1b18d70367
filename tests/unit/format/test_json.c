/*
 * test_json.c — the JSON reader: inference from JSON types, first-appearance
 * column order, missing keys, nested values as text, escapes (including
 * surrogate pairs), top-level arrays, malformed input with line and column,
 * explicit schemas, and split reads equal to a single-split read.
 */
#include "format_test_util.h"

static em_scan_desc *bind_ok(const char *file, const char *text, ...)
{
    const char *path = ft_write(file, text);
    em_scan_desc *d = em_scan_desc_create("json");
    va_list ap;
    va_start(ap, text);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL) break;
        em_scan_desc_set_option(d, k, va_arg(ap, const char *));
    }
    va_end(ap);
    em_error err;
    if (em_scan_desc_add_files(d, path, &err) < 0 || em_scan_desc_bind(d, 0, NULL, &err) < 0)
        fail_msg("bind failed: %s", err.message);
    return d;
}

static void bind_fails(const char *file, const char *text, int code, const char *msg)
{
    const char *path = ft_write(file, text);
    em_scan_desc *d;
    em_error err;
    int rc = ft_bind(&d, "json", path, 0, NULL, &err, NULL);
    assert_int_equal(rc, code);
    char expect[1024];
    snprintf(expect, sizeof expect, msg, ft_dir);
    assert_string_equal(err.message, expect);
}

static void read_fails(em_scan_desc *d, const char *msg)
{
    em_error err;
    int rc;
    char *rows = ft_read_all(d, &err, &rc);
    em_free(rows);
    assert_int_equal(rc, EM_EFORMAT);
    char expect[1024];
    snprintf(expect, sizeof expect, msg, ft_dir);
    assert_string_equal(err.message, expect);
    em_scan_desc_destroy(d);
}

static void test_inference(void **state)
{
    (void)state;
    em_scan_desc *d = bind_ok(
        "a.json",
        "{\"id\": 1, \"name\": \"alice\", \"score\": 2, \"ok\": true, \"day\": \"2024-01-02\"}\n"
        "{\"id\": 2, \"name\": \"bob\", \"score\": 2.5, \"ok\": false, \"day\": null, "
        "\"tags\": [1, {\"a\": \"b\"}], \"ts\": \"2024-01-02 03:04:05\"}\n"
        "\n"
        "{\"ID\": 3, \"mixed\": 1, \"ts\": \"2024-01-03\", \"nested\": {\"x\": [true]}}\r\n"
        "{\"mixed\": \"one\", \"id\": -4, \"big\": 123456789012345678901}\n",
        NULL);
    FT_EXPECT(d,
              "id BIGINT, name VARCHAR, score DOUBLE, ok BOOLEAN, day DATE, tags VARCHAR, "
              "ts TIMESTAMP, mixed VARCHAR, nested VARCHAR, big DOUBLE",
              "1|alice|2.0|true|2024-01-02|NULL|NULL|NULL|NULL|NULL\n"
              "2|bob|2.5|false|NULL|[1, {\"a\": \"b\"}]|2024-01-02 03:04:05|NULL|NULL|NULL\n"
              "3|NULL|NULL|NULL|NULL|NULL|2024-01-03 00:00:00|1|{\"x\": [true]}|NULL\n"
              "-4|NULL|NULL|NULL|NULL|NULL|NULL|one|NULL|1.2345678901234568e+20\n");
    em_scan_desc_destroy(d);

    /* Booleans mixed with numbers, and columns that are only null. */
    d = bind_ok("b.json", "{\"a\": true, \"b\": null}\n{\"a\": 1, \"b\": null}\n", NULL);
    FT_EXPECT(d, "a VARCHAR, b VARCHAR", "true|NULL\n1|NULL\n");
    em_scan_desc_destroy(d);
}

static void test_escapes(void **state)
{
    (void)state;
    em_scan_desc *d = bind_ok("e.json",
                              "{\"s\": \"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u4e2d\\ud83d\\ude00\"}\n"
                              "{\"s\": \"\", \"k\\u0065y\": 5}\n",
                              NULL);
    FT_EXPECT(d, "s VARCHAR, key BIGINT",
              "a\"b\\c/d\n\t\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80|NULL\n|5\n");
    em_scan_desc_destroy(d);
}

static void test_array(void **state)
{
    (void)state;
    em_scan_desc *d = bind_ok(
        "arr.json", "\xEF\xBB\xBF[\n  {\"a\": 1,\n   \"b\": \"x\"},\n  {\"a\": 2}\n]\n", NULL);
    FT_EXPECT(d, "a BIGINT, b VARCHAR", "1|x\n2|NULL\n");
    assert_int_equal(d->nsplits, 1);
    em_scan_desc_destroy(d);
    d = bind_ok("arr1.json", "[{\"a\": 1}]", "format", "array", "auto_detect", "false", NULL);
    FT_EXPECT(d, "a VARCHAR", "1\n");
    em_scan_desc_destroy(d);
    em_error err;
    assert_int_equal(ft_bind(&d, "json", ft_path("arr1.json"), 0, NULL, &err, "format",
                             "newline_delimited", NULL),
                     EM_EFORMAT);
    char expect[512];
    snprintf(expect, sizeof expect,
             "'%s/arr1.json' is a JSON array, not newline-delimited (format='newline_delimited')",
             ft_dir);
    assert_string_equal(err.message, expect);
    d = bind_ok("arr2.json", "[]", "schema", "a INT", NULL);
    FT_EXPECT(d, "a INTEGER", "");
    em_scan_desc_destroy(d);
    bind_fails("arr3.json", "[{\"a\": 1},\n {\"a\": 2}\n", EM_EFORMAT,
               "%s/arr3.json:3:1: invalid JSON: unterminated array");
    bind_fails("arr4.json", "[{\"a\": 1}, 5]", EM_EFORMAT,
               "%s/arr4.json:1:12: invalid JSON: expected a JSON object as array element");
}

static void test_malformed(void **state)
{
    (void)state;
    bind_fails("m1.json", "{\"a\": 1}\n{\"a\" 2}\n", EM_EFORMAT,
               "%s/m1.json:2:6: invalid JSON: expected ':' after object key");
    bind_fails("m2.json", "{\"a\": 1}\n\n{\"a\": [1, 2}\n", EM_EFORMAT,
               "%s/m2.json:3:12: invalid JSON: expected ',' or ']' in array");
    bind_fails("m3.json", "{\"a\": \"x\\q\"}\n", EM_EFORMAT,
               "%s/m3.json:1:9: invalid JSON: invalid escape in string");
    bind_fails("m4.json", "{\"a\": \"\\ud800x\"}\n", EM_EFORMAT,
               "%s/m4.json:1:8: invalid JSON: high surrogate not followed by a low surrogate");
    bind_fails("m5.json", "{\"a\": 01}\n", EM_EFORMAT,
               "%s/m5.json:1:7: invalid JSON: invalid number");
    bind_fails("m6.json", "{\"a\": 1} {\"a\": 2}\n", EM_EFORMAT,
               "%s/m6.json:1:10: invalid JSON: unexpected text after the object (one object per "
               "line)");
    bind_fails("m7.json", "{\"a\": \"abc\n", EM_EFORMAT,
               "%s/m7.json:1:11: invalid JSON: control character in string");
    bind_fails("m8.json", "[1]\n", EM_EFORMAT,
               "%s/m8.json:1:2: invalid JSON: expected a JSON object as array element");
    bind_fails("m9.json", "{\"a\": tru}\n", EM_EFORMAT,
               "%s/m9.json:1:7: invalid JSON: invalid literal");
    bind_fails("empty.json", "\n\n", EM_EFORMAT, "no columns in empty file '%s/empty.json'");
    bind_fails("nokeys.json", "{}\n{}\n", EM_EFORMAT,
               "no columns: the objects in '%s/nokeys.json' have no keys");

    /* A malformed line after the sample is found by the reader. */
    em_scan_desc *d =
        bind_ok("late.json", "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3,}\n", "sample_size", "2", NULL);
    read_fails(d, "%s/late.json:3:9: invalid JSON: expected a string as object key");
}

static void test_schema_and_conversion(void **state)
{
    (void)state;
    em_scan_desc *d =
        bind_ok("s.json",
                "{\"a\": \"12\", \"b\": 1.5, \"c\": \"2024-02-29\", \"d\": true, "
                "\"e\": {\"n\": 1}}\n"
                "{\"a\": 7, \"b\": 2, \"c\": null, \"d\": false, \"e\": \"s\"}\n",
                "columns", "a INT, b DECIMAL(5,1), c DATE, d BOOLEAN, e VARCHAR", NULL);
    FT_EXPECT(d, "a INTEGER, b DECIMAL(5,1), c DATE, d BOOLEAN, e VARCHAR",
              "12|1.5|2024-02-29|true|{\"n\": 1}\n7|2.0|NULL|false|s\n");
    em_scan_desc_destroy(d);

    /* After the sample, a value of another type is an error naming it. */
    em_strbuf sb;
    em_strbuf_init(&sb);
    for (int i = 0; i < 30; i++) em_strbuf_printf(&sb, "{\"n\": %d, \"amount\": %d.25}\n", i, i);
    em_strbuf_puts(&sb, "{\"n\": 30, \"amount\": \"abc\"}\n");
    d = bind_ok("c.json", sb.data, "sample_size", "5", NULL);
    em_strbuf_release(&sb);
    read_fails(d, "%s/c.json:31: column 'amount' (2): could not convert 'abc' to DOUBLE");
    d = bind_ok("c2.json", "{\"n\": 1}\n{\"n\": 2.5}\n", "sample_size", "1", NULL);
    read_fails(d, "%s/c2.json:2: column 'n' (1): could not convert '2.5' to BIGINT");

    em_error err;
    assert_int_equal(
        ft_bind(&d, "json", ft_write("o.json", "{}"), 0, NULL, &err, "sampel_size", "5", NULL),
        EM_EINVAL);
    assert_string_equal(err.message,
                        "unknown JSON option 'sampel_size' (did you mean 'sample_size'?)");
}

static void test_splits(void **state)
{
    (void)state;
    em_strbuf sb;
    em_strbuf_init(&sb);
    uint64_t x = 777;
    int64_t n = 0;
    while (sb.len < 2000000) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        em_strbuf_printf(&sb, "{\"id\": %lld, ", (long long)n);
        switch ((x >> 33) % 5) {
        case 0:
            em_strbuf_puts(&sb, "\"s\": \"multi\\nline, \\\"quoted\\\" \\u00e9\", ");
            break;
        case 1:
            em_strbuf_puts(&sb, "\"s\": null, ");
            break;
        case 2:
            em_strbuf_puts(&sb, "\"nested\": {\"a\": [1, 2, {\"b\": \"}\"}]}, ");
            break;
        case 3:
            break;
        default:
            em_strbuf_printf(&sb, "\"s\": \"w%llu\", ", (unsigned long long)(x >> 50));
            break;
        }
        em_strbuf_printf(&sb, "\"v\": %lld.%02d}%s", (long long)(x >> 45), (int)(x % 100),
                         n % 7 == 0 ? "\r\n" : "\n");
        if (n % 500 == 0) em_strbuf_puts(&sb, "\n  \n");
        n++;
    }
    const char *path = ft_write_n("big.json", sb.data, sb.len);
    em_strbuf_release(&sb);

    em_error err;
    em_scan_desc *one, *many;
    assert_int_equal(ft_bind(&one, "json", path, 0, NULL, &err, NULL), 0);
    assert_int_equal(ft_bind(&many, "json", path, 64 << 10, NULL, &err, NULL), 0);
    char *s = ft_schema_text(one->schema);
    assert_string_equal(s, "id BIGINT, s VARCHAR, v DOUBLE, nested VARCHAR");
    em_free(s);
    assert_true(many->nsplits > 16);
    em_strbuf a, b;
    em_strbuf_init(&a);
    em_strbuf_init(&b);
    int64_t ra = 0, rb = 0;
    if (ft_read_splits(one, 0, 1, NULL, 0, &a, &ra, &err) < 0) fail_msg("%s", err.message);
    if (ft_read_splits(many, 0, many->nsplits, NULL, 0, &b, &rb, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(ra, n);
    assert_int_equal(rb, n);
    assert_int_equal(a.len, b.len);
    assert_int_equal(em_hash_bytes(a.data, a.len, 0), em_hash_bytes(b.data, b.len, 0));
    em_strbuf_release(&a);
    em_strbuf_release(&b);
    em_scan_desc_destroy(one);
    em_scan_desc_destroy(many);

    /* A pretty-printed file is never split. */
    em_strbuf_init(&sb);
    for (int i = 0; i < 20000; i++) em_strbuf_printf(&sb, "{\n  \"i\": %d\n}\n", i);
    path = ft_write_n("pretty.json", sb.data, sb.len);
    em_strbuf_release(&sb);
    assert_int_equal(ft_bind(&many, "json", path, 4096, NULL, &err, NULL), 0);
    assert_int_equal(many->nsplits, 1);
    em_strbuf_init(&b);
    rb = 0;
    int cols[] = {0};
    assert_int_equal(ft_read_splits(many, 0, 1, cols, 1, &b, &rb, &err), 0);
    assert_int_equal(rb, 20000);
    em_strbuf_release(&b);
    em_scan_desc_destroy(many);
}

static void test_glob(void **state)
{
    (void)state;
    ft_write("p1.jsonl", "{\"a\": 1}\n");
    ft_write("p2.jsonl", "{\"a\": 2, \"b\": \"x\"}\n");
    ft_write("p3.ndjson", "{\"b\": \"y\"}\n");
    em_scan_desc *d;
    em_error err;
    assert_int_equal(ft_bind(&d, NULL, ft_path("p*.*json*"), 0, NULL, &err, NULL), 0);
    assert_string_equal(d->format, "json");
    assert_int_equal(d->nfiles, 3);
    FT_EXPECT(d, "a BIGINT, b VARCHAR", "1|NULL\n2|x\nNULL|y\n");
    em_scan_desc_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_inference, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_escapes, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_array, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_malformed, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_schema_and_conversion, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_splits, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_glob, ft_setup, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

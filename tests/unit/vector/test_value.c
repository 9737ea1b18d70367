/*
 * test_value.c — unit tests for SQL types, scalar values, the text parsers
 * and formatters, and casts with their error codes and messages.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vector/vector.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---- types -------------------------------------------------------------- */

static void expect_type(const char *name, em_type_id id, int p, int s)
{
    em_type t;
    em_error err;
    em_error_clear(&err);
    int rc = em_type_parse(name, &t, &err);
    if (rc != 0) fail_msg("parsing '%s': %s", name, err.message);
    assert_int_equal(t.id, id);
    if (id == EM_TYPE_DECIMAL) {
        assert_int_equal(t.precision, p);
        assert_int_equal(t.scale, s);
    }
}

static void expect_type_error(const char *name, int code)
{
    em_type t;
    em_error err;
    em_error_clear(&err);
    assert_int_equal(em_type_parse(name, &t, &err), code);
    assert_int_equal(err.code, code);
    assert_true(strlen(err.message) > 0);
}

static void test_type_parse(void **state)
{
    (void)state;
    expect_type("int", EM_TYPE_INTEGER, 0, 0);
    expect_type("INTEGER", EM_TYPE_INTEGER, 0, 0);
    expect_type("int4", EM_TYPE_INTEGER, 0, 0);
    expect_type("smallint", EM_TYPE_INTEGER, 0, 0);
    expect_type("TinyInt", EM_TYPE_INTEGER, 0, 0);
    expect_type("bigint", EM_TYPE_BIGINT, 0, 0);
    expect_type("int8", EM_TYPE_BIGINT, 0, 0);
    expect_type("long", EM_TYPE_BIGINT, 0, 0);
    expect_type("double", EM_TYPE_DOUBLE, 0, 0);
    expect_type("float8", EM_TYPE_DOUBLE, 0, 0);
    expect_type("float", EM_TYPE_DOUBLE, 0, 0);
    expect_type("real", EM_TYPE_DOUBLE, 0, 0);
    expect_type("float4", EM_TYPE_DOUBLE, 0, 0);
    expect_type("double precision", EM_TYPE_DOUBLE, 0, 0);
    expect_type("decimal", EM_TYPE_DECIMAL, 18, 3);
    expect_type("numeric", EM_TYPE_DECIMAL, 18, 3);
    expect_type("decimal(10,2)", EM_TYPE_DECIMAL, 10, 2);
    expect_type("NUMERIC ( 12 , 4 )", EM_TYPE_DECIMAL, 12, 4);
    expect_type("decimal(7)", EM_TYPE_DECIMAL, 7, 0);
    expect_type("decimal(18,18)", EM_TYPE_DECIMAL, 18, 18);
    expect_type("varchar", EM_TYPE_VARCHAR, 0, 0);
    expect_type("VARCHAR(255)", EM_TYPE_VARCHAR, 0, 0);
    expect_type("text", EM_TYPE_VARCHAR, 0, 0);
    expect_type("string", EM_TYPE_VARCHAR, 0, 0);
    expect_type("char(3)", EM_TYPE_VARCHAR, 0, 0);
    expect_type("character varying(20)", EM_TYPE_VARCHAR, 0, 0);
    expect_type("bool", EM_TYPE_BOOLEAN, 0, 0);
    expect_type("BOOLEAN", EM_TYPE_BOOLEAN, 0, 0);
    expect_type("date", EM_TYPE_DATE, 0, 0);
    expect_type("timestamp", EM_TYPE_TIMESTAMP, 0, 0);
    expect_type("datetime", EM_TYPE_TIMESTAMP, 0, 0);
    expect_type("TIMESTAMP  WITHOUT TIME ZONE", EM_TYPE_TIMESTAMP, 0, 0);
    expect_type("  int  ", EM_TYPE_INTEGER, 0, 0);
    expect_type("interval", EM_TYPE_INTERVAL, 0, 0);

    expect_type_error("decimal(38,2)", EM_EUNSUPPORTED);
    expect_type_error("decimal(19)", EM_EUNSUPPORTED);
    expect_type_error("decimal(5,6)", EM_ETYPE);
    expect_type_error("decimal(0)", EM_ETYPE);
    expect_type_error("decimal(10,", EM_ETYPE);
    expect_type_error("decimal(1,2,3)", EM_ETYPE);
    expect_type_error("int(5)", EM_ETYPE);
    expect_type_error("frobnicate", EM_ETYPE);
    expect_type_error("", EM_ETYPE);
    expect_type_error("interval(3)", EM_ETYPE);
    expect_type_error("timestamp with time zone", EM_EUNSUPPORTED);

    em_type t;
    em_error err;
    em_type_parse("decimal(38,2)", &t, &err);
    assert_non_null(strstr(err.message, "38"));
    em_type_parse("frobnicate", &t, &err);
    assert_non_null(strstr(err.message, "frobnicate"));
}

static void test_type_name_and_width(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(em_type_name(em_type_make(EM_TYPE_BIGINT), buf, sizeof(buf)), "BIGINT");
    assert_string_equal(em_type_name(em_type_decimal(12, 2), buf, sizeof(buf)), "DECIMAL(12,2)");
    assert_string_equal(em_type_name(em_type_make(EM_TYPE_TIMESTAMP), buf, sizeof(buf)),
                        "TIMESTAMP");
    assert_string_equal(em_type_name(em_type_make(EM_TYPE_NULL), buf, sizeof(buf)), "NULL");
    assert_int_equal(em_type_width(em_type_make(EM_TYPE_BOOLEAN)), 1);
    assert_int_equal(em_type_width(em_type_make(EM_TYPE_INTEGER)), 4);
    assert_int_equal(em_type_width(em_type_make(EM_TYPE_DATE)), 4);
    assert_int_equal(em_type_width(em_type_make(EM_TYPE_BIGINT)), 8);
    assert_int_equal(em_type_width(em_type_decimal(10, 2)), 8);
    assert_int_equal(em_type_width(em_type_make(EM_TYPE_VARCHAR)), 4);
    assert_int_equal(em_type_width(em_type_make(EM_TYPE_NULL)), 0);
    assert_true(em_type_is_numeric(em_type_decimal(5, 1)));
    assert_true(em_type_is_numeric(em_type_make(EM_TYPE_DOUBLE)));
    assert_false(em_type_is_numeric(em_type_make(EM_TYPE_DATE)));
    assert_true(em_type_is_integral(em_type_make(EM_TYPE_INTEGER)));
    assert_false(em_type_is_integral(em_type_decimal(5, 0)));
    assert_true(em_type_equal(em_type_decimal(5, 1), em_type_decimal(5, 1)));
    assert_false(em_type_equal(em_type_decimal(5, 1), em_type_decimal(6, 1)));
    assert_true(em_type_equal(em_type_make(EM_TYPE_DATE), em_type_make(EM_TYPE_DATE)));
}

static void expect_common(em_type a, em_type b, bool ok, em_type want)
{
    em_type out = em_type_make(EM_TYPE_COUNT_);
    assert_int_equal(em_type_common(a, b, &out), ok);
    if (ok) {
        char x[32], y[32];
        if (!em_type_equal(out, want))
            fail_msg("common type %s, wanted %s", em_type_name(out, x, 32),
                     em_type_name(want, y, 32));
    }
    /* The rule is symmetric. */
    em_type out2;
    assert_int_equal(em_type_common(b, a, &out2), ok);
    if (ok) assert_true(em_type_equal(out, out2));
}

static void test_type_common(void **state)
{
    (void)state;
    em_type i = em_type_make(EM_TYPE_INTEGER), l = em_type_make(EM_TYPE_BIGINT);
    em_type d = em_type_make(EM_TYPE_DOUBLE), v = em_type_make(EM_TYPE_VARCHAR);
    em_type n = em_type_make(EM_TYPE_NULL), dt = em_type_make(EM_TYPE_DATE);
    em_type ts = em_type_make(EM_TYPE_TIMESTAMP), b = em_type_make(EM_TYPE_BOOLEAN);
    expect_common(i, i, true, i);
    expect_common(i, l, true, l);
    expect_common(i, d, true, d);
    expect_common(l, d, true, d);
    expect_common(em_type_decimal(10, 2), d, true, d);
    expect_common(i, em_type_decimal(5, 2), true, em_type_decimal(12, 2));
    expect_common(i, em_type_decimal(15, 2), true, em_type_decimal(15, 2));
    expect_common(i, em_type_decimal(18, 10), true, d); /* 10 + 10 digits > 18 */
    expect_common(l, em_type_decimal(10, 2), true, d);
    expect_common(em_type_decimal(10, 2), em_type_decimal(8, 4), true, em_type_decimal(12, 4));
    expect_common(em_type_decimal(18, 0), em_type_decimal(18, 18), true, d);
    expect_common(n, i, true, i);
    expect_common(n, v, true, v);
    expect_common(n, n, true, n);
    expect_common(v, v, true, v);
    expect_common(dt, ts, true, ts);
    expect_common(b, b, true, b);
    expect_common(dt, b, false, n);
    expect_common(v, i, false, n);
    expect_common(v, dt, false, n);
    expect_common(b, i, false, n);
}

/* ---- values ------------------------------------------------------------- */

static char *fmt(const em_value *v, char *buf, size_t cap)
{
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_value_format(v, &sb);
    snprintf(buf, cap, "%s", sb.data);
    em_strbuf_release(&sb);
    return buf;
}

static void test_value_format(void **state)
{
    (void)state;
    char buf[64];
    em_value v = em_value_int(-42);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "-42");
    v = em_value_bigint(INT64_MIN);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "-9223372036854775808");
    v = em_value_double(2.5);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "2.5");
    v = em_value_double(3.0);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "3.0");
    v = em_value_decimal(-1234, 10, 2);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "-12.34");
    v = em_value_bool(true);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "true");
    v = em_value_varchar("hello world", 5);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "hello");
    v = em_value_date(0);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "1970-01-01");
    v = em_value_timestamp(1500000);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "1970-01-01 00:00:01.5");
    v = em_value_null(em_type_make(EM_TYPE_INTEGER));
    assert_true(v.is_null);
    assert_string_equal(fmt(&v, buf, sizeof(buf)), "NULL");
}

static void test_value_compare(void **state)
{
    (void)state;
    em_value a = em_value_int(1), b = em_value_int(2);
    assert_int_equal(em_value_compare(&a, &b), -1);
    assert_int_equal(em_value_compare(&b, &a), 1);
    assert_int_equal(em_value_compare(&a, &a), 0);

    a = em_value_varchar("abc", 3);
    b = em_value_varchar("abd", 3);
    assert_true(em_value_compare(&a, &b) < 0);
    b = em_value_varchar("ab", 2);
    assert_true(em_value_compare(&a, &b) > 0);
    b = em_value_varchar("abcdef", 3);
    assert_int_equal(em_value_compare(&a, &b), 0);
    /* Bytes compare unsigned: UTF-8 sorts after ASCII. */
    b = em_value_varchar("\xc3\xa9", 2);
    assert_true(em_value_compare(&a, &b) < 0);

    a = em_value_double(NAN);
    b = em_value_double(INFINITY);
    assert_int_equal(em_value_compare(&a, &b), 1);
    assert_int_equal(em_value_compare(&a, &a), 0);
    a = em_value_double(-0.0);
    b = em_value_double(0.0);
    assert_int_equal(em_value_compare(&a, &b), 0);

    a = em_value_decimal(150, 10, 2); /* 1.50 */
    b = em_value_decimal(15, 10, 1);  /* 1.5 */
    assert_int_equal(em_value_compare(&a, &b), 0);
    b = em_value_decimal(16, 10, 1);
    assert_int_equal(em_value_compare(&a, &b), -1);

    a = em_value_bigint(INT64_MAX);
    b = em_value_bigint(INT64_MIN);
    assert_int_equal(em_value_compare(&a, &b), 1);
    a = em_value_bool(false);
    b = em_value_bool(true);
    assert_int_equal(em_value_compare(&a, &b), -1);
    a = em_value_date(-1);
    b = em_value_date(0);
    assert_int_equal(em_value_compare(&a, &b), -1);

    /* Mixed integral operands. */
    a = em_value_int(5);
    b = em_value_bigint(5);
    assert_int_equal(em_value_compare(&a, &b), 0);
}

static void test_value_copy(void **state)
{
    (void)state;
    em_arena *ar = em_arena_create(1024);
    char src[] = "transient";
    em_value v = em_value_varchar(src, 9);
    em_value c = em_value_copy(ar, v);
    memset(src, 'x', 9);
    assert_int_equal(c.v.str.len, 9);
    assert_memory_equal(c.v.str.ptr, "transient", 9);
    em_value i = em_value_copy(ar, em_value_int(7));
    assert_int_equal(i.v.i32, 7);
    em_arena_destroy(ar);
}

/* ---- parsing and formatting --------------------------------------------- */

static void test_parse_int64(void **state)
{
    (void)state;
    int64_t x;
    assert_int_equal(em_parse_int64(S("0"), &x), 0);
    assert_int_equal(x, 0);
    assert_int_equal(em_parse_int64(S("-123"), &x), 0);
    assert_int_equal(x, -123);
    assert_int_equal(em_parse_int64(S("+77"), &x), 0);
    assert_int_equal(x, 77);
    assert_int_equal(em_parse_int64(S("9223372036854775807"), &x), 0);
    assert_int_equal(x, INT64_MAX);
    assert_int_equal(em_parse_int64(S("-9223372036854775808"), &x), 0);
    assert_int_equal(x, INT64_MIN);
    assert_int_equal(em_parse_int64(S("9223372036854775808"), &x), -1);
    assert_int_equal(em_parse_int64(S("-9223372036854775809"), &x), -1);
    assert_int_equal(em_parse_int64(S(""), &x), -1);
    assert_int_equal(em_parse_int64(S("-"), &x), -1);
    assert_int_equal(em_parse_int64(S("12a"), &x), -1);
    assert_int_equal(em_parse_int64(S(" 12"), &x), -1);
    assert_int_equal(em_parse_int64(S("1.0"), &x), -1);
    /* Only n bytes are read. */
    assert_int_equal(em_parse_int64("12345", 3, &x), 0);
    assert_int_equal(x, 123);
}

static void test_parse_double(void **state)
{
    (void)state;
    double d;
    assert_int_equal(em_parse_double(S("1.5"), &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(em_parse_double(S("-0.001"), &d), 0);
    assert_true(d == -0.001);
    assert_int_equal(em_parse_double(S("3e4"), &d), 0);
    assert_true(d == 30000.0);
    assert_int_equal(em_parse_double(S("1E-3"), &d), 0);
    assert_true(d == 0.001);
    assert_int_equal(em_parse_double(S(".5"), &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(em_parse_double(S("7."), &d), 0);
    assert_true(d == 7.0);
    assert_int_equal(em_parse_double(S("42"), &d), 0);
    assert_true(d == 42.0);
    assert_int_equal(em_parse_double(S("0.1"), &d), 0);
    assert_true(d == 0.1);
    /* Beyond the fast path: long mantissas and large exponents. */
    assert_int_equal(em_parse_double(S("3.14159265358979323846"), &d), 0);
    assert_true(d == 3.14159265358979323846);
    assert_int_equal(em_parse_double(S("1.7976931348623157e308"), &d), 0);
    assert_true(d == 1.7976931348623157e308);
    assert_int_equal(em_parse_double(S("4.9e-324"), &d), 0);
    assert_true(d == 4.9e-324);
    assert_int_equal(em_parse_double(S("inf"), &d), 0);
    assert_true(isinf(d) && d > 0);
    assert_int_equal(em_parse_double(S("-Infinity"), &d), 0);
    assert_true(isinf(d) && d < 0);
    assert_int_equal(em_parse_double(S("NaN"), &d), 0);
    assert_true(isnan(d));
    assert_int_equal(em_parse_double(S("-0"), &d), 0);
    assert_true(d == 0 && signbit(d));

    assert_int_equal(em_parse_double(S(""), &d), -1);
    assert_int_equal(em_parse_double(S("abc"), &d), -1);
    assert_int_equal(em_parse_double(S("1.5x"), &d), -1);
    assert_int_equal(em_parse_double(S(" 1.5"), &d), -1);
    assert_int_equal(em_parse_double(S("0x10"), &d), -1);
    assert_int_equal(em_parse_double(S("1e"), &d), -1);
    assert_int_equal(em_parse_double(S("."), &d), -1);
    assert_int_equal(em_parse_double(S("-"), &d), -1);
    assert_int_equal(em_parse_double("2.25xyz", 4, &d), 0);
    assert_true(d == 2.25);
}

static void test_format_double(void **state)
{
    (void)state;
    char buf[64];
    em_format_double(0.1, buf, sizeof(buf));
    assert_string_equal(buf, "0.1");
    em_format_double(3.0, buf, sizeof(buf));
    assert_string_equal(buf, "3.0");
    em_format_double(-2.0, buf, sizeof(buf));
    assert_string_equal(buf, "-2.0");
    em_format_double(0.0, buf, sizeof(buf));
    assert_string_equal(buf, "0.0");
    em_format_double(1.0 / 3.0, buf, sizeof(buf));
    assert_string_equal(buf, "0.3333333333333333");
    em_format_double(0.1 + 0.2, buf, sizeof(buf));
    assert_string_equal(buf, "0.30000000000000004");
    em_format_double(1e20, buf, sizeof(buf));
    assert_string_equal(buf, "1e+20");
    em_format_double(123456.789, buf, sizeof(buf));
    assert_string_equal(buf, "123456.789");
    em_format_double(NAN, buf, sizeof(buf));
    assert_string_equal(buf, "nan");
    em_format_double(INFINITY, buf, sizeof(buf));
    assert_string_equal(buf, "inf");
    em_format_double(-INFINITY, buf, sizeof(buf));
    assert_string_equal(buf, "-inf");

    /* Every printed form parses back to the same double. */
    const double samples[] = {
        0.1,  1.0 / 7,  2.0 / 3,           1e-300, 5e-324, 1.7976931348623157e308, -123.45,
        1e15, 12345678, 9007199254740993.0};
    for (size_t i = 0; i < EM_ARRAY_LEN(samples); i++) {
        double back;
        em_format_double(samples[i], buf, sizeof(buf));
        assert_int_equal(em_parse_double(buf, strlen(buf), &back), 0);
        assert_true(back == samples[i]);
    }
}

static void test_parse_format_decimal(void **state)
{
    (void)state;
    int64_t x;
    char buf[64];
    assert_int_equal(em_parse_decimal(S("12.34"), 10, 2, &x), 0);
    assert_int_equal(x, 1234);
    assert_int_equal(em_parse_decimal(S("-12.34"), 10, 2, &x), 0);
    assert_int_equal(x, -1234);
    assert_int_equal(em_parse_decimal(S("12"), 10, 2, &x), 0);
    assert_int_equal(x, 1200);
    assert_int_equal(em_parse_decimal(S("12.3"), 10, 2, &x), 0);
    assert_int_equal(x, 1230);
    assert_int_equal(em_parse_decimal(S(".5"), 10, 2, &x), 0);
    assert_int_equal(x, 50);
    assert_int_equal(em_parse_decimal(S("-0.05"), 10, 2, &x), 0);
    assert_int_equal(x, -5);
    /* Extra fraction digits round half away from zero. */
    assert_int_equal(em_parse_decimal(S("1.005"), 10, 2, &x), 0);
    assert_int_equal(x, 101);
    assert_int_equal(em_parse_decimal(S("-1.005"), 10, 2, &x), 0);
    assert_int_equal(x, -101);
    assert_int_equal(em_parse_decimal(S("1.00499"), 10, 2, &x), 0);
    assert_int_equal(x, 100);
    assert_int_equal(em_parse_decimal(S("2.5"), 10, 0, &x), 0);
    assert_int_equal(x, 3);
    /* Exponents move the point. */
    assert_int_equal(em_parse_decimal(S("1.5e2"), 10, 2, &x), 0);
    assert_int_equal(x, 15000);
    assert_int_equal(em_parse_decimal(S("125e-3"), 10, 2, &x), 0);
    assert_int_equal(x, 13);
    /* Precision limits. */
    assert_int_equal(em_parse_decimal(S("999.99"), 5, 2, &x), 0);
    assert_int_equal(x, 99999);
    assert_int_equal(em_parse_decimal(S("1000.00"), 5, 2, &x), -2);
    assert_int_equal(em_parse_decimal(S("999.995"), 5, 2, &x), -2);
    assert_int_equal(em_parse_decimal(S("999999999999999999"), 18, 0, &x), 0);
    assert_int_equal(x, 999999999999999999LL);
    assert_int_equal(em_parse_decimal(S("0001.50"), 3, 2, &x), 0);
    assert_int_equal(x, 150);
    assert_int_equal(em_parse_decimal(S(""), 10, 2, &x), -1);
    assert_int_equal(em_parse_decimal(S("1.2.3"), 10, 2, &x), -1);
    assert_int_equal(em_parse_decimal(S("abc"), 10, 2, &x), -1);
    assert_int_equal(em_parse_decimal(S("-"), 10, 2, &x), -1);
    assert_int_equal(em_parse_decimal(S("1e"), 10, 2, &x), -1);
    assert_int_equal(em_parse_decimal(S("1e-999999"), 10, 2, &x), 0);
    assert_int_equal(x, 0);
    assert_int_equal(em_parse_decimal(S("1e999999"), 10, 2, &x), -2);

    em_format_decimal(1234, 2, buf, sizeof(buf));
    assert_string_equal(buf, "12.34");
    em_format_decimal(-1234, 2, buf, sizeof(buf));
    assert_string_equal(buf, "-12.34");
    em_format_decimal(5, 3, buf, sizeof(buf));
    assert_string_equal(buf, "0.005");
    em_format_decimal(-5, 3, buf, sizeof(buf));
    assert_string_equal(buf, "-0.005");
    em_format_decimal(0, 2, buf, sizeof(buf));
    assert_string_equal(buf, "0.00");
    em_format_decimal(42, 0, buf, sizeof(buf));
    assert_string_equal(buf, "42");
    em_format_decimal(INT64_MIN, 4, buf, sizeof(buf));
    assert_string_equal(buf, "-922337203685477.5808");
    em_format_decimal(123456789012345678LL, 18, buf, sizeof(buf));
    assert_string_equal(buf, "0.123456789012345678");

    /* Round trips. */
    const char *texts[] = {"0.00", "-0.01", "12345.67", "-99999.99", "1.10"};
    for (size_t i = 0; i < EM_ARRAY_LEN(texts); i++) {
        assert_int_equal(em_parse_decimal(texts[i], strlen(texts[i]), 7, 2, &x), 0);
        em_format_decimal(x, 2, buf, sizeof(buf));
        assert_string_equal(buf, texts[i]);
    }
}

static void test_civil_days(void **state)
{
    (void)state;
    assert_int_equal(em_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(em_days_from_civil(1970, 1, 2), 1);
    assert_int_equal(em_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(em_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(em_days_from_civil(2024, 2, 29), 19782);
    assert_int_equal(em_days_from_civil(1900, 1, 1), -25567);
    assert_int_equal(em_days_from_civil(1, 1, 1), -719162);
    int y, m, d;
    em_civil_from_days(19782, &y, &m, &d);
    assert_int_equal(y, 2024);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
    em_civil_from_days(-1, &y, &m, &d);
    assert_int_equal(y, 1969);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);
    /* Every day over a wide range survives the round trip, and consecutive
     * days are consecutive numbers. */
    int32_t prev = em_days_from_civil(1599, 12, 31);
    for (int yy = 1600; yy <= 2400; yy++) {
        bool leap = (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0;
        static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        for (int mm = 1; mm <= 12; mm++) {
            int days = dim[mm - 1] + (mm == 2 && leap);
            for (int dd = 1; dd <= days; dd++) {
                int32_t z = em_days_from_civil(yy, (unsigned)mm, (unsigned)dd);
                assert_int_equal(z, prev + 1);
                prev = z;
                int y2, m2, d2;
                em_civil_from_days(z, &y2, &m2, &d2);
                if (y2 != yy || m2 != mm || d2 != dd) fail_msg("day %d broke", z);
            }
        }
    }
}

static void test_parse_format_date(void **state)
{
    (void)state;
    int32_t days;
    char buf[32];
    assert_int_equal(em_parse_date(S("1970-01-01"), &days), 0);
    assert_int_equal(days, 0);
    assert_int_equal(em_parse_date(S("1969-12-31"), &days), 0);
    assert_int_equal(days, -1);
    assert_int_equal(em_parse_date(S("1900-03-01"), &days), 0);
    em_format_date(days, buf, sizeof(buf));
    assert_string_equal(buf, "1900-03-01");
    assert_int_equal(em_parse_date(S("2024-02-29"), &days), 0);
    assert_int_equal(days, 19782);
    assert_int_equal(em_parse_date(S("2000-02-29"), &days), 0);
    assert_int_equal(em_parse_date(S("2023-2-5"), &days), 0);
    em_format_date(days, buf, sizeof(buf));
    assert_string_equal(buf, "2023-02-05");
    assert_int_equal(em_parse_date(S("2023-02-29"), &days), -1);
    assert_int_equal(em_parse_date(S("1900-02-29"), &days), -1);
    assert_int_equal(em_parse_date(S("2023-13-01"), &days), -1);
    assert_int_equal(em_parse_date(S("2023-00-10"), &days), -1);
    assert_int_equal(em_parse_date(S("2023-04-31"), &days), -1);
    assert_int_equal(em_parse_date(S("2023-04-00"), &days), -1);
    assert_int_equal(em_parse_date(S("2023/04/01"), &days), -1);
    assert_int_equal(em_parse_date(S("2023-04-01 "), &days), -1);
    assert_int_equal(em_parse_date(S("2023-04-01 10:00"), &days), -1);
    assert_int_equal(em_parse_date(S(""), &days), -1);

    const char *dates[] = {"0001-01-01", "1066-10-14", "1600-02-29", "1969-07-20",
                           "1999-12-31", "2038-01-19", "9999-12-31"};
    for (size_t i = 0; i < EM_ARRAY_LEN(dates); i++) {
        assert_int_equal(em_parse_date(dates[i], strlen(dates[i]), &days), 0);
        em_format_date(days, buf, sizeof(buf));
        assert_string_equal(buf, dates[i]);
    }
}

static void test_parse_format_timestamp(void **state)
{
    (void)state;
    int64_t t;
    char buf[64];
    assert_int_equal(em_parse_timestamp(S("1970-01-01 00:00:00"), &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(em_parse_timestamp(S("1970-01-01T00:00:01.5"), &t), 0);
    assert_int_equal(t, 1500000);
    assert_int_equal(em_parse_timestamp(S("2024-02-29 13:45"), &t), 0);
    assert_int_equal(t, (19782LL * 86400 + 13 * 3600 + 45 * 60) * 1000000);
    assert_int_equal(em_parse_timestamp(S("1969-12-31 23:59:59.999999"), &t), 0);
    assert_int_equal(t, -1);
    em_format_timestamp(t, buf, sizeof(buf));
    assert_string_equal(buf, "1969-12-31 23:59:59.999999");
    assert_int_equal(em_parse_timestamp(S("2020-05-01 12:00:00.1234567"), &t), 0);
    em_format_timestamp(t, buf, sizeof(buf));
    assert_string_equal(buf, "2020-05-01 12:00:00.123457");
    assert_int_equal(em_parse_timestamp(S("2020-05-01T12:00:00Z"), &t), 0);
    em_format_timestamp(t, buf, sizeof(buf));
    assert_string_equal(buf, "2020-05-01 12:00:00");
    assert_int_equal(em_parse_timestamp(S("2020-05-01T12:00:00+02:00"), &t), 0);
    em_format_timestamp(t, buf, sizeof(buf));
    assert_string_equal(buf, "2020-05-01 10:00:00");

    assert_int_equal(em_parse_timestamp(S("2020-05-01"), &t), -1);
    assert_int_equal(em_parse_timestamp(S("2020-05-01 24:00:00"), &t), -1);
    assert_int_equal(em_parse_timestamp(S("2020-05-01 12:60:00"), &t), -1);
    assert_int_equal(em_parse_timestamp(S("2020-05-01 12:00:61"), &t), -1);
    assert_int_equal(em_parse_timestamp(S("2020-05-01 12:00:00."), &t), -1);
    assert_int_equal(em_parse_timestamp(S("2020-05-01 12"), &t), -1);
    assert_int_equal(em_parse_timestamp(S("2020-05-01 12:00:00 x"), &t), -1);
    /* Years whose microseconds do not fit in 64 bits. */
    assert_int_equal(em_parse_timestamp(S("999999-01-01 00:00:00"), &t), -1);
    assert_int_equal(em_parse_timestamp(S("99999-01-01 00:00:00"), &t), 0);

    const char *stamps[] = {"1970-01-01 00:00:00",        "1900-01-01 06:30:15.25",
                            "1969-12-31 23:59:59",        "2000-02-29 12:34:56.000001",
                            "2262-04-11 23:47:16.854775", "1583-10-15 01:02:03.45"};
    for (size_t i = 0; i < EM_ARRAY_LEN(stamps); i++) {
        assert_int_equal(em_parse_timestamp(stamps[i], strlen(stamps[i]), &t), 0);
        em_format_timestamp(t, buf, sizeof(buf));
        assert_string_equal(buf, stamps[i]);
    }
}

static void test_parse_bool(void **state)
{
    (void)state;
    bool b;
    const char *truthy[] = {"true", "TRUE", "t", "1", "yes", "Y"};
    const char *falsy[] = {"false", "False", "f", "0", "no", "N"};
    for (size_t i = 0; i < EM_ARRAY_LEN(truthy); i++) {
        b = false;
        assert_int_equal(em_parse_bool(truthy[i], strlen(truthy[i]), &b), 0);
        assert_true(b);
        b = true;
        assert_int_equal(em_parse_bool(falsy[i], strlen(falsy[i]), &b), 0);
        assert_false(b);
    }
    assert_int_equal(em_parse_bool(S("tru"), &b), -1);
    assert_int_equal(em_parse_bool(S("truex"), &b), -1);
    assert_int_equal(em_parse_bool(S(""), &b), -1);
    assert_int_equal(em_parse_bool(S("2"), &b), -1);
}

static void test_pow10(void **state)
{
    (void)state;
    int64_t p = 1;
    for (int i = 0; i < 19; i++) {
        assert_int_equal(em_pow10[i], p);
        if (i < 18) p *= 10;
    }
}

/* ---- casts -------------------------------------------------------------- */

typedef struct cast_fixture {
    em_arena *arena;
    em_error err;
} cast_fixture;

static int cast_setup(void **state)
{
    cast_fixture *f = em_calloc(1, sizeof(*f));
    f->arena = em_arena_create(4096);
    *state = f;
    return 0;
}

static int cast_teardown(void **state)
{
    cast_fixture *f = *state;
    em_arena_destroy(f->arena);
    em_free(f);
    return 0;
}

static em_value str(const char *s)
{
    return em_value_varchar(s, (int32_t)strlen(s));
}

/* Cast and return the result printed, or the error message prefixed by "!". */
static const char *cast_text(cast_fixture *f, em_value in, em_type to)
{
    em_value out;
    em_error_clear(&f->err);
    if (em_value_cast(f->arena, in, to, &out, &f->err) < 0)
        return em_arena_printf(f->arena, "!%s", f->err.message);
    assert_int_equal(out.type.id, to.id);
    if (to.id == EM_TYPE_DECIMAL) {
        assert_int_equal(out.type.precision, to.precision);
        assert_int_equal(out.type.scale, to.scale);
    }
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_value_format(&out, &sb);
    const char *r = em_arena_strdup(f->arena, sb.data);
    em_strbuf_release(&sb);
    return r;
}

static void test_cast_from_string(void **state)
{
    cast_fixture *f = *state;
    em_type I = em_type_make(EM_TYPE_INTEGER), L = em_type_make(EM_TYPE_BIGINT);
    em_type D = em_type_make(EM_TYPE_DOUBLE), B = em_type_make(EM_TYPE_BOOLEAN);
    em_type DT = em_type_make(EM_TYPE_DATE), TS = em_type_make(EM_TYPE_TIMESTAMP);
    assert_string_equal(cast_text(f, str("42"), I), "42");
    assert_string_equal(cast_text(f, str("  -7 "), I), "-7");
    assert_string_equal(cast_text(f, str("abc"), I), "!could not convert string 'abc' to INTEGER");
    assert_int_equal(f->err.code, EM_ETYPE);
    assert_string_equal(cast_text(f, str("1.5"), I), "!could not convert string '1.5' to INTEGER");
    assert_string_equal(cast_text(f, str("3000000000"), I),
                        "!value 3000000000 is out of range for type INTEGER");
    assert_int_equal(f->err.code, EM_EOVERFLOW);
    assert_string_equal(cast_text(f, str("3000000000"), L), "3000000000");
    assert_string_equal(cast_text(f, str("99999999999999999999"), L),
                        "!value 99999999999999999999 is out of range for type BIGINT");
    assert_int_equal(f->err.code, EM_EOVERFLOW);
    assert_string_equal(cast_text(f, str("2.5e3"), D), "2500.0");
    assert_string_equal(cast_text(f, str("x1"), D), "!could not convert string 'x1' to DOUBLE");
    assert_string_equal(cast_text(f, str("12.345"), em_type_decimal(10, 2)), "12.35");
    assert_string_equal(cast_text(f, str("-12.345"), em_type_decimal(10, 2)), "-12.35");
    assert_string_equal(cast_text(f, str("123456"), em_type_decimal(5, 2)),
                        "!value 123456 is out of range for type DECIMAL(5,2)");
    assert_int_equal(f->err.code, EM_EOVERFLOW);
    assert_string_equal(cast_text(f, str("1,5"), em_type_decimal(5, 2)),
                        "!could not convert string '1,5' to DECIMAL(5,2)");
    assert_string_equal(cast_text(f, str("yes"), B), "true");
    assert_string_equal(cast_text(f, str("maybe"), B),
                        "!could not convert string 'maybe' to BOOLEAN");
    assert_string_equal(cast_text(f, str("2024-02-29"), DT), "2024-02-29");
    assert_string_equal(cast_text(f, str("2023-02-29"), DT),
                        "!could not convert string '2023-02-29' to DATE");
    assert_int_equal(f->err.code, EM_ETYPE);
    assert_string_equal(cast_text(f, str("2024-02-29 10:11:12.5"), TS), "2024-02-29 10:11:12.5");
    assert_string_equal(cast_text(f, str("2024-02-29"), TS), "2024-02-29 00:00:00");
    assert_string_equal(cast_text(f, str("noon"), TS),
                        "!could not convert string 'noon' to TIMESTAMP");
}

static void test_cast_numeric(void **state)
{
    cast_fixture *f = *state;
    em_type I = em_type_make(EM_TYPE_INTEGER), L = em_type_make(EM_TYPE_BIGINT);
    em_type D = em_type_make(EM_TYPE_DOUBLE), B = em_type_make(EM_TYPE_BOOLEAN);
    assert_string_equal(cast_text(f, em_value_bigint(3000000000LL), I),
                        "!value 3000000000 is out of range for type INTEGER");
    assert_int_equal(f->err.code, EM_EOVERFLOW);
    assert_string_equal(cast_text(f, em_value_bigint(-2147483648LL), I), "-2147483648");
    assert_string_equal(cast_text(f, em_value_bigint(-2147483649LL), I),
                        "!value -2147483649 is out of range for type INTEGER");
    assert_string_equal(cast_text(f, em_value_int(5), L), "5");
    assert_string_equal(cast_text(f, em_value_int(5), D), "5.0");
    /* DOUBLE to integer rounds half away from zero. */
    assert_string_equal(cast_text(f, em_value_double(2.5), I), "3");
    assert_string_equal(cast_text(f, em_value_double(-2.5), I), "-3");
    assert_string_equal(cast_text(f, em_value_double(2.4999), L), "2");
    assert_string_equal(cast_text(f, em_value_double(-0.4), L), "0");
    assert_string_equal(cast_text(f, em_value_double(1e19), L),
                        "!value 1e+19 is out of range for type BIGINT");
    assert_int_equal(f->err.code, EM_EOVERFLOW);
    assert_string_equal(cast_text(f, em_value_double(9.2233720368547758e18), L),
                        "!value 9.223372036854776e+18 is out of range for type BIGINT");
    assert_string_equal(cast_text(f, em_value_double(NAN), I),
                        "!value nan is out of range for type INTEGER");
    assert_string_equal(cast_text(f, em_value_double(2147483647.4), I), "2147483647");
    assert_string_equal(cast_text(f, em_value_double(2147483647.5), I),
                        "!value 2147483647.5 is out of range for type INTEGER");
    /* Into DECIMAL. */
    assert_string_equal(cast_text(f, em_value_int(12), em_type_decimal(5, 2)), "12.00");
    assert_string_equal(cast_text(f, em_value_int(1234), em_type_decimal(5, 2)),
                        "!value 1234 is out of range for type DECIMAL(5,2)");
    assert_string_equal(cast_text(f, em_value_bigint(INT64_MAX), em_type_decimal(18, 0)),
                        "!value 9223372036854775807 is out of range for type DECIMAL(18,0)");
    assert_string_equal(cast_text(f, em_value_double(1.005), em_type_decimal(10, 2)), "1.01");
    assert_string_equal(cast_text(f, em_value_double(-1.005), em_type_decimal(10, 2)), "-1.01");
    assert_string_equal(cast_text(f, em_value_double(0.1), em_type_decimal(18, 17)),
                        "0.10000000000000000");
    assert_string_equal(cast_text(f, em_value_double(1e20), em_type_decimal(18, 2)),
                        "!value 1e+20 is out of range for type DECIMAL(18,2)");
    assert_int_equal(f->err.code, EM_EOVERFLOW);
    assert_string_equal(cast_text(f, em_value_double(INFINITY), em_type_decimal(18, 2)),
                        "!value inf is out of range for type DECIMAL(18,2)");
    /* Out of DECIMAL. */
    assert_string_equal(cast_text(f, em_value_decimal(1250, 10, 2), I), "13");
    assert_string_equal(cast_text(f, em_value_decimal(-1250, 10, 2), I), "-13");
    assert_string_equal(cast_text(f, em_value_decimal(-1249, 10, 2), L), "-12");
    assert_string_equal(cast_text(f, em_value_decimal(-1234, 10, 2), D), "-12.34");
    assert_string_equal(cast_text(f, em_value_decimal(500000000000LL, 18, 2), I),
                        "!value 5000000000.00 is out of range for type INTEGER");
    /* DECIMAL rescale rounds half away from zero. */
    assert_string_equal(cast_text(f, em_value_decimal(12345, 10, 3), em_type_decimal(10, 2)),
                        "12.35");
    assert_string_equal(cast_text(f, em_value_decimal(-12345, 10, 3), em_type_decimal(10, 2)),
                        "-12.35");
    assert_string_equal(cast_text(f, em_value_decimal(-12344, 10, 3), em_type_decimal(10, 1)),
                        "-12.3");
    assert_string_equal(cast_text(f, em_value_decimal(1234, 10, 2), em_type_decimal(12, 5)),
                        "12.34000");
    assert_string_equal(cast_text(f, em_value_decimal(123456, 10, 2), em_type_decimal(5, 2)),
                        "!value 1234.56 is out of range for type DECIMAL(5,2)");
    assert_string_equal(
        cast_text(f, em_value_decimal(999999999999999999LL, 18, 0), em_type_decimal(18, 2)),
        "!value 999999999999999999 is out of range for type DECIMAL(18,2)");
    /* Booleans. */
    assert_string_equal(cast_text(f, em_value_int(0), B), "false");
    assert_string_equal(cast_text(f, em_value_bigint(-3), B), "true");
    assert_string_equal(cast_text(f, em_value_bool(true), I), "1");
    assert_string_equal(cast_text(f, em_value_bool(true), em_type_decimal(4, 2)), "1.00");
    assert_string_equal(cast_text(f, em_value_bool(false), D), "0.0");
}

static void test_cast_other(void **state)
{
    cast_fixture *f = *state;
    em_type I = em_type_make(EM_TYPE_INTEGER), V = em_type_make(EM_TYPE_VARCHAR);
    em_type DT = em_type_make(EM_TYPE_DATE), TS = em_type_make(EM_TYPE_TIMESTAMP);
    em_type B = em_type_make(EM_TYPE_BOOLEAN);
    /* Temporal conversions, including instants before 1970. */
    assert_string_equal(cast_text(f, em_value_date(-1), TS), "1969-12-31 00:00:00");
    assert_string_equal(cast_text(f, em_value_timestamp(-1), DT), "1969-12-31");
    assert_string_equal(cast_text(f, em_value_timestamp(86400000000LL + 5), DT), "1970-01-02");
    assert_string_equal(cast_text(f, em_value_date(200000000), TS),
                        "!value 549551-05-28 is out of range for type TIMESTAMP");
    assert_int_equal(f->err.code, EM_EOVERFLOW);
    assert_string_equal(cast_text(f, str("999999-01-01"), TS),
                        "!value 999999-01-01 is out of range for type TIMESTAMP");
    /* Everything prints to VARCHAR. */
    assert_string_equal(cast_text(f, em_value_int(-5), V), "-5");
    assert_string_equal(cast_text(f, em_value_double(0.5), V), "0.5");
    assert_string_equal(cast_text(f, em_value_decimal(-5, 4, 2), V), "-0.05");
    assert_string_equal(cast_text(f, em_value_date(19782), V), "2024-02-29");
    assert_string_equal(cast_text(f, em_value_bool(false), V), "false");
    /* Impossible casts are type errors naming both types. */
    assert_string_equal(cast_text(f, em_value_date(1), I), "!cannot cast DATE to INTEGER");
    assert_int_equal(f->err.code, EM_ETYPE);
    assert_string_equal(cast_text(f, em_value_int(1), DT), "!cannot cast INTEGER to DATE");
    assert_string_equal(cast_text(f, em_value_date(1), B), "!cannot cast DATE to BOOLEAN");

    /* NULL casts to NULL of the target type; identity keeps the value. */
    em_value out;
    assert_int_equal(em_value_cast(f->arena, em_value_null(I), DT, &out, &f->err), 0);
    assert_true(out.is_null);
    assert_int_equal(out.type.id, EM_TYPE_DATE);
    assert_int_equal(em_value_cast(f->arena, em_value_int(9), I, &out, &f->err), 0);
    assert_int_equal(out.v.i32, 9);
    /* Casting to VARCHAR copies into the arena. */
    assert_int_equal(em_value_cast(f->arena, em_value_bigint(123), V, &out, &f->err), 0);
    assert_int_equal(out.v.str.len, 3);
    assert_memory_equal(out.v.str.ptr, "123", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_parse),
        cmocka_unit_test(test_type_name_and_width),
        cmocka_unit_test(test_type_common),
        cmocka_unit_test(test_value_format),
        cmocka_unit_test(test_value_compare),
        cmocka_unit_test(test_value_copy),
        cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_parse_double),
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_parse_format_decimal),
        cmocka_unit_test(test_civil_days),
        cmocka_unit_test(test_parse_format_date),
        cmocka_unit_test(test_parse_format_timestamp),
        cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_pow10),
        cmocka_unit_test_setup_teardown(test_cast_from_string, cast_setup, cast_teardown),
        cmocka_unit_test_setup_teardown(test_cast_numeric, cast_setup, cast_teardown),
        cmocka_unit_test_setup_teardown(test_cast_other, cast_setup, cast_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

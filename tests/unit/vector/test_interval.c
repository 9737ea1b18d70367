/*
 * test_interval.c — the INTERVAL type: parsing PostgreSQL's text forms,
 * DuckDB's output form, ordering by span, hashing consistent with equality,
 * arithmetic (month clamping, fractions carried down, overflow), values,
 * casts, vectors and the Arrow export as month_day_nano.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vector/vector.h"

#define US 1000000LL
#define HOUR (3600 * US)
#define DAY EM_MICROS_PER_DAY

static em_interval IV(int32_t months, int32_t days, int64_t micros)
{
    em_interval iv = {months, days, micros};
    return iv;
}

static void assert_iv(em_interval got, int32_t months, int32_t days, int64_t micros)
{
    if (got.months != months || got.days != days || got.micros != micros)
        fail_msg("got {%d, %d, %lld}, expected {%d, %d, %lld}", got.months, got.days,
                 (long long)got.micros, months, days, (long long)micros);
}

/* Parse `text` (with an optional field keyword) and check the fields. */
static void expect_parse(const char *text, const char *unit, int32_t months, int32_t days,
                         int64_t micros)
{
    em_interval iv;
    int rc = em_parse_interval(text, strlen(text), unit, &iv);
    if (rc != 0) fail_msg("parsing '%s' (%s) failed: %d", text, unit ? unit : "-", rc);
    assert_iv(iv, months, days, micros);
}

static void expect_parse_error(const char *text, const char *unit, int code)
{
    em_interval iv;
    int rc = em_parse_interval(text, strlen(text), unit, &iv);
    if (rc != code) fail_msg("parsing '%s': got %d, expected %d", text, rc, code);
}

static void expect_format(em_interval iv, const char *want)
{
    char buf[128];
    em_format_interval(iv, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_parse(void **state)
{
    (void)state;
    expect_parse("1 day", NULL, 0, 1, 0);
    expect_parse("3 months", NULL, 3, 0, 0);
    expect_parse("1 year 2 mons", NULL, 14, 0, 0);
    expect_parse("  1 YEAR   2 Months  ", NULL, 14, 0, 0);
    expect_parse("-1 week", NULL, 0, -7, 0);
    expect_parse("01:30:00", NULL, 0, 0, 90 * 60 * US);
    expect_parse("-01:30", NULL, 0, 0, -90 * 60 * US);
    expect_parse("1:02:03.5", NULL, 0, 0, 3723 * US + 500000);
    expect_parse("1:02.5", NULL, 0, 0, 62 * US + 500000); /* minutes:seconds */
    expect_parse("100:00:00", NULL, 0, 0, 100 * HOUR);
    expect_parse("1 day 02:00", NULL, 0, 1, 2 * HOUR);
    expect_parse("3 04:05:06", NULL, 0, 3, 4 * HOUR + 306 * US); /* days before a time */
    expect_parse("1 days -1 hours", NULL, 0, 1, -HOUR);
    expect_parse("2 weeks ago", NULL, 0, -14, 0);
    expect_parse("1 year 1 day ago", NULL, -12, -1, 0);
    expect_parse("@ 3 hours", NULL, 0, 0, 3 * HOUR);
    expect_parse("10d", NULL, 0, 10, 0);
    expect_parse("1m", NULL, 0, 0, 60 * US); /* m is minutes, as in PostgreSQL */
    expect_parse("5 us 3 ms", NULL, 0, 0, 3005);
    expect_parse("1 decade 1 century 1 millennium", NULL, 1110 * 12, 0, 0);
    expect_parse("1-2", NULL, 14, 0, 0);
    expect_parse("-1-6", NULL, -18, 0, 0);
    expect_parse("30", NULL, 0, 0, 30 * US); /* a bare number: seconds */
    /* fractions cascade down */
    expect_parse("1.5 months", NULL, 1, 15, 0);
    expect_parse("1.5 years", NULL, 18, 0, 0);
    expect_parse("1.5 days", NULL, 0, 1, 12 * HOUR);
    expect_parse("-0.5 days", NULL, 0, 0, -12 * HOUR);
    expect_parse("1.5 weeks", NULL, 0, 10, 12 * HOUR);
    expect_parse("1.5 seconds", NULL, 0, 0, 1500000);
    expect_parse("0.0000005 seconds", NULL, 0, 0, 1); /* rounds to the microsecond */
    /* ISO 8601 */
    expect_parse("P1Y2M3DT4H5M6S", NULL, 14, 3, 4 * HOUR + 306 * US);
    expect_parse("P2W", NULL, 0, 14, 0);
    expect_parse("PT1.5S", NULL, 0, 0, 1500000);
    expect_parse("P-1D", NULL, 0, -1, 0);
}

static void test_parse_with_unit(void **state)
{
    (void)state;
    expect_parse("90", "day", 0, 90, 0);
    expect_parse("1", "year", 12, 0, 0);
    expect_parse("2", "month", 2, 0, 0);
    expect_parse("36", "hour", 0, 0, 36 * HOUR);
    expect_parse("90", "minute", 0, 0, 90 * 60 * US);
    expect_parse("45", "second", 0, 0, 45 * US);
    expect_parse("1-2", "year to month", 14, 0, 0);
    expect_parse("3 4:05:06", "day to second", 0, 3, 4 * HOUR + 306 * US);
    expect_parse("10", "hour to minute", 0, 0, 10 * 60 * US);
    expect_parse("1:30", "minute to second", 0, 0, 90 * US);
    /* fields below the unit are dropped */
    expect_parse("1 day 02:03:04", "day", 0, 1, 0);
    expect_parse("1 day 02:03:04", "hour", 0, 1, 2 * HOUR);
    expect_parse("1 day 02:03:04", "hour to minute", 0, 1, 2 * HOUR + 3 * 60 * US);
    expect_parse("1.5", "day", 0, 1, 0);
    expect_parse("14 months 3 days", "year", 12, 0, 0);
    expect_parse("1 year 2 months 3 days", "month", 14, 0, 0);
    expect_parse_error("1", "fortnight", -1);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("", NULL, -1);
    expect_parse_error("   ", NULL, -1);
    expect_parse_error("day", NULL, -1);
    expect_parse_error("1 fortnight", NULL, -1);
    expect_parse_error("1 day foo", NULL, -1);
    expect_parse_error("ago", NULL, -1);
    expect_parse_error("1 day ago 2 days", NULL, -1);
    expect_parse_error("1:60", NULL, -1);
    expect_parse_error("1:2:3:4", NULL, -1);
    expect_parse_error("1:", NULL, -1);
    expect_parse_error("P", NULL, -1);
    expect_parse_error("P1X", NULL, -1);
    expect_parse_error("PT1D", NULL, -1);
    expect_parse_error("1.2.3 days", NULL, -1);
    expect_parse_error("--1 day", NULL, -1);
    expect_parse_error("3000000000 days", NULL, -2);
    expect_parse_error("200000000 years", NULL, -2);
    expect_parse_error("3000000000 hours", NULL, -2);
    expect_parse_error("99999999999999999999 seconds", NULL, -1); /* too many digits */
}

static void test_format(void **state)
{
    (void)state;
    expect_format(IV(14, 3, 4 * HOUR + 5 * 60 * US + 6 * US), "1 year 2 months 3 days 04:05:06");
    expect_format(IV(0, 0, 0), "00:00:00");
    expect_format(IV(12, 0, 0), "1 year");
    expect_format(IV(-14, 0, 0), "-1 year -2 months");
    expect_format(IV(1, -1, -HOUR), "1 month -1 day -01:00:00");
    expect_format(IV(0, 1, 0), "1 day");
    expect_format(IV(0, -7, 0), "-7 days");
    expect_format(IV(0, 0, 1500000), "00:00:01.5");
    expect_format(IV(0, 0, 1), "00:00:00.000001");
    expect_format(IV(0, 0, 100 * HOUR), "100:00:00");
    expect_format(IV(0, 0, -12 * HOUR), "-12:00:00");
    expect_format(IV(INT32_MIN, INT32_MIN, INT64_MIN),
                  "-178956970 years -8 months -2147483648 days -2562047788:00:54.775808");
    /* parse(format(x)) == x */
    em_interval samples[] = {IV(14, 3, 4 * HOUR + 1), IV(-1, 40, -5), IV(0, 0, 0),
                             IV(INT32_MAX, INT32_MAX, INT64_MAX), IV(7, -2, 123456789)};
    for (size_t i = 0; i < EM_ARRAY_LEN(samples); i++) {
        char buf[128];
        em_format_interval(samples[i], buf, sizeof(buf));
        em_interval back;
        if (em_parse_interval(buf, strlen(buf), NULL, &back) != 0) fail_msg("re-parsing %s", buf);
        assert_iv(back, samples[i].months, samples[i].days, samples[i].micros);
    }
}

static void test_compare_and_hash(void **state)
{
    (void)state;
    /* a month is 30 days, a day 24 hours */
    assert_int_equal(em_interval_compare(IV(1, 0, 0), IV(0, 30, 0)), 0);
    assert_int_equal(em_interval_compare(IV(0, 1, 0), IV(0, 0, 24 * HOUR)), 0);
    assert_int_equal(em_interval_compare(IV(1, 0, 0), IV(0, 31, 0)), -1);
    assert_int_equal(em_interval_compare(IV(12, 0, 0), IV(0, 359, 0)), 1);
    assert_int_equal(em_interval_compare(IV(12, 0, 0), IV(0, 364, 0)), -1);
    assert_int_equal(em_interval_compare(IV(0, -1, 0), IV(0, 0, 0)), -1);
    assert_int_equal(em_interval_compare(IV(1, -1, 0), IV(0, 29, 0)), 0);
    /* extremes do not overflow the comparison */
    assert_int_equal(em_interval_compare(IV(INT32_MAX, INT32_MAX, INT64_MAX),
                                         IV(INT32_MIN, INT32_MIN, INT64_MIN)),
                     1);
    /* equal spans hash alike */
    assert_true(em_interval_hash(IV(1, 0, 0), 7) == em_interval_hash(IV(0, 30, 0), 7));
    assert_true(em_interval_hash(IV(0, 2, 0), 7) == em_interval_hash(IV(0, 0, 48 * HOUR), 7));
    assert_true(em_interval_hash(IV(0, 2, 0), 7) != em_interval_hash(IV(0, 3, 0), 7));

    /* values: SQL equality by span, but em_value_compare tells spellings apart */
    em_value a = em_value_interval(IV(1, 0, 0)), b = em_value_interval(IV(0, 30, 0));
    assert_int_not_equal(em_value_compare(&a, &b), 0);
    assert_int_equal(em_value_compare(&a, &a), 0);
    em_value c = em_value_interval(IV(0, 31, 0));
    assert_int_equal(em_value_compare(&a, &c), -1);
    assert_int_equal(em_value_compare(&c, &b), 1);
}

static void test_arithmetic(void **state)
{
    (void)state;
    em_interval r;
    assert_int_equal(em_interval_add(IV(1, 2, 3), IV(4, 5, 6), &r), 0);
    assert_iv(r, 5, 7, 9);
    assert_int_equal(em_interval_sub(IV(1, 2, 3), IV(4, 5, 6), &r), 0);
    assert_iv(r, -3, -3, -3);
    assert_int_equal(em_interval_neg(IV(1, -2, 3), &r), 0);
    assert_iv(r, -1, 2, -3);
    assert_int_equal(em_interval_add(IV(INT32_MAX, 0, 0), IV(1, 0, 0), &r), -1);
    assert_int_equal(em_interval_add(IV(0, 0, INT64_MAX), IV(0, 0, 1), &r), -1);
    assert_int_equal(em_interval_neg(IV(INT32_MIN, 0, 0), &r), -1);

    /* fractions carry down, rounded to the microsecond */
    assert_int_equal(em_interval_mul(IV(0, 1, 0), 1.5, &r), 0);
    assert_iv(r, 0, 1, 12 * HOUR);
    assert_int_equal(em_interval_div(IV(1, 0, 0), 3, &r), 0);
    assert_iv(r, 0, 10, 0);
    assert_int_equal(em_interval_mul(IV(1, 0, 0), 1.0 / 3.0, &r), 0);
    assert_iv(r, 0, 10, 0);
    assert_int_equal(em_interval_div(IV(0, 1, 0), 7, &r), 0);
    assert_iv(r, 0, 0, 12342857143LL);
    assert_int_equal(em_interval_div(IV(12, 0, 0), 5, &r), 0);
    assert_iv(r, 2, 12, 0);
    assert_int_equal(em_interval_mul(IV(1, 0, 0), 0.1, &r), 0);
    assert_iv(r, 0, 3, 0);
    assert_int_equal(em_interval_mul(IV(0, 3, 0), -1, &r), 0);
    assert_iv(r, 0, -3, 0);
    assert_int_equal(em_interval_mul(IV(INT32_MAX, 0, 0), 2, &r), -1);
    assert_int_equal(em_interval_div(IV(1, 0, 0), 0, &r), -1);
    assert_int_equal(em_interval_mul(IV(0, 0, INT64_MAX), 2, &r), -1);

    /* TIMESTAMP + INTERVAL clamps to the end of the month */
    int32_t jan31 = em_days_from_civil(2020, 1, 31);
    int64_t ts = (int64_t)jan31 * DAY + 10 * HOUR, out;
    assert_int_equal(em_timestamp_add_interval(ts, IV(1, 0, 0), &out), 0);
    assert_true(out == (int64_t)em_days_from_civil(2020, 2, 29) * DAY + 10 * HOUR);
    assert_int_equal(em_timestamp_add_interval(ts, IV(13, 0, 0), &out), 0);
    assert_true(out == (int64_t)em_days_from_civil(2021, 2, 28) * DAY + 10 * HOUR);
    assert_int_equal(em_timestamp_add_interval(ts, IV(-2, 0, 0), &out), 0);
    assert_true(out == (int64_t)em_days_from_civil(2019, 11, 30) * DAY + 10 * HOUR);
    /* months, then days, then time */
    assert_int_equal(em_timestamp_add_interval(ts, IV(1, 1, 14 * HOUR), &out), 0);
    assert_true(out == (int64_t)em_days_from_civil(2020, 3, 2) * DAY);
    /* before 1970 */
    int64_t early = (int64_t)em_days_from_civil(1969, 12, 31) * DAY + 23 * HOUR;
    assert_int_equal(em_timestamp_add_interval(early, IV(1, 0, 0), &out), 0);
    assert_true(out == (int64_t)em_days_from_civil(1970, 1, 31) * DAY + 23 * HOUR);
    assert_int_equal(em_timestamp_add_interval(0, IV(INT32_MAX, 0, 0), &out), -1);
    assert_int_equal(em_timestamp_add_interval(INT64_MAX - 5, IV(0, 0, 10), &out), -1);

    em_interval d;
    assert_int_equal(em_timestamp_diff(ts + DAY + HOUR, ts, &d), 0);
    assert_iv(d, 0, 1, HOUR);
    assert_int_equal(em_timestamp_diff(ts, ts + DAY + HOUR, &d), 0);
    assert_iv(d, 0, -1, -HOUR);
}

static void test_values_and_casts(void **state)
{
    (void)state;
    em_arena *a = em_arena_create(4096);
    em_error err;
    em_error_clear(&err);
    em_value s = em_value_varchar("  1 day 02:00:00 ", 17), v;
    assert_int_equal(em_value_cast(a, s, em_type_make(EM_TYPE_INTERVAL), &v, &err), 0);
    assert_int_equal(v.type.id, EM_TYPE_INTERVAL);
    assert_iv(v.v.iv, 0, 1, 2 * HOUR);
    em_value t;
    assert_int_equal(em_value_cast(a, v, em_type_make(EM_TYPE_VARCHAR), &t, &err), 0);
    assert_int_equal(t.v.str.len, 14);
    assert_memory_equal(t.v.str.ptr, "1 day 02:00:00", 14);
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_value_format(&v, &sb);
    assert_string_equal(sb.data, "1 day 02:00:00");
    em_strbuf_release(&sb);

    em_value bad = em_value_varchar("soon", 4);
    assert_int_equal(em_value_cast(a, bad, em_type_make(EM_TYPE_INTERVAL), &v, &err), EM_ETYPE);
    assert_non_null(strstr(err.message, "could not convert string 'soon' to INTERVAL"));
    em_value big = em_value_varchar("3000000000 days", 15);
    assert_int_equal(em_value_cast(a, big, em_type_make(EM_TYPE_INTERVAL), &v, &err), EM_EOVERFLOW);
    em_value iv = em_value_interval(IV(1, 0, 0));
    assert_int_equal(em_value_cast(a, iv, em_type_make(EM_TYPE_BIGINT), &v, &err), EM_ETYPE);

    /* the type itself */
    em_type ty;
    assert_int_equal(em_type_parse("Interval", &ty, &err), 0);
    assert_int_equal(ty.id, EM_TYPE_INTERVAL);
    char name[32];
    assert_string_equal(em_type_name(ty, name, sizeof(name)), "INTERVAL");
    assert_int_equal((int)em_type_width(ty), 16);
    em_type common;
    assert_true(em_type_common(ty, em_type_make(EM_TYPE_NULL), &common));
    assert_int_equal(common.id, EM_TYPE_INTERVAL);
    assert_false(em_type_common(ty, em_type_make(EM_TYPE_BIGINT), &common));
    em_arena_destroy(a);
}

static void test_vectors(void **state)
{
    (void)state;
    em_vector *v = em_vector_create(em_type_make(EM_TYPE_INTERVAL), 2);
    em_vector_append_interval(v, IV(1, 2, 3));
    em_vector_append_null(v);
    em_value x = em_value_interval(IV(-4, 5, -6));
    em_vector_append_value(v, &x);
    for (int i = 0; i < 40; i++) em_vector_append_interval(v, IV(i, i, i)); /* grows */
    assert_int_equal(v->length, 43);
    assert_iv(EM_VEC_IV(v)[0], 1, 2, 3);
    assert_iv(EM_VEC_IV(v)[1], 0, 0, 0); /* NULL slots are zeroed */
    assert_false(em_vector_is_valid(v, 1));
    em_value g = em_vector_get(v, 2);
    assert_iv(g.v.iv, -4, 5, -6);
    assert_true(em_vector_get(v, 1).is_null);

    int32_t sel[] = {2, 1, 42};
    em_vector *gv = em_vector_gather(v, sel, 3);
    assert_iv(EM_VEC_IV(gv)[0], -4, 5, -6);
    assert_false(em_vector_is_valid(gv, 1));
    assert_iv(EM_VEC_IV(gv)[2], 39, 39, 39);
    em_vector *sv = em_vector_slice(v, 1, 3);
    assert_false(em_vector_is_valid(sv, 0));
    assert_iv(EM_VEC_IV(sv)[1], -4, 5, -6);
    assert_iv(EM_VEC_IV(sv)[2], 0, 0, 0);
    em_vector *cp = em_vector_create(em_type_make(EM_TYPE_INTERVAL), 1);
    em_vector_append_from(cp, v, 0);
    em_vector_append_from(cp, v, 1);
    assert_iv(EM_VEC_IV(cp)[0], 1, 2, 3);
    assert_false(em_vector_is_valid(cp, 1));
    em_vector *fv = em_vector_from_value(&x, 5);
    assert_int_equal(fv->length, 5);
    assert_iv(EM_VEC_IV(fv)[4], -4, 5, -6);

    /* Arrow: month_day_nano */
    em_batch *b = em_batch_create(1);
    em_batch_set_col(b, 0, em_vector_ref(sv));
    b->nrows = 3;
    struct ArrowSchema schema;
    struct ArrowArray array;
    em_error err;
    em_error_clear(&err);
    assert_int_equal(em_arrow_export_batch(NULL, b, &schema, &array, &err), 0);
    assert_string_equal(schema.children[0]->format, "tin");
    const struct ArrowArray *c = array.children[0];
    assert_int_equal(c->null_count, 1);
    const em_interval *mdn = c->buffers[1];
    assert_int_equal(mdn[1].months, -4);
    assert_int_equal(mdn[1].days, 5);
    assert_true(mdn[1].micros == -6000); /* nanoseconds */
    schema.release(&schema);
    array.release(&array);
    em_batch_destroy(b);

    em_vector_unref(fv);
    em_vector_unref(cp);
    em_vector_unref(sv);
    em_vector_unref(gv);
    em_vector_unref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_with_unit),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_compare_and_hash),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_values_and_casts),
        cmocka_unit_test(test_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

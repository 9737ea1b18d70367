/*
 * test_str_split.c — splitting a string into pieces (exec/str_split.c): plain
 * delimiters (the 16-byte block scan included), characters, the patterns that
 * need no regex engine, and the general case with PostgreSQL's rules for
 * empty matches; bad patterns and flags are errors, not crashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "exec/str_split.h"

/* The pieces of s joined with '|', for compact expectations. */
static const char *joined(const em__splitter *sp, const char *s)
{
    static char buf[4096];
    em__pieces p = {0};
    em__split(sp, s, (int32_t)strlen(s), &p);
    size_t n = 0;
    for (int64_t k = 0; k < p.n; k++) {
        int32_t a = p.pos[2 * k], b = p.pos[2 * k + 1];
        assert_true(a >= 0 && a <= b && b <= (int32_t)strlen(s));
        if (k) buf[n++] = '|';
        memcpy(buf + n, s + a, (size_t)(b - a));
        n += (size_t)(b - a);
    }
    buf[n] = '\0';
    em__pieces_release(&p);
    return buf;
}

static const char *literal(const char *delim, const char *s)
{
    em__splitter sp;
    em__splitter_simple(&sp, EM__SPLIT_LITERAL, delim, (int32_t)strlen(delim));
    return joined(&sp, s);
}

static const char *regex(const char *pattern, const char *flags, const char *s, em__split_mode mode)
{
    em__splitter sp;
    em_error err = {0};
    int rc = em__splitter_regex(&sp, pattern, (int32_t)strlen(pattern), flags,
                                (int32_t)strlen(flags), &err);
    if (rc != 0) fail_msg("%s: %s", pattern, err.message);
    assert_int_equal(sp.mode, mode);
    const char *r = joined(&sp, s);
    assert_true(
        em__splitter_is(&sp, pattern, (int32_t)strlen(pattern), flags, (int32_t)strlen(flags)));
    em__splitter_release(&sp);
    return r;
}

static void test_literal(void **state)
{
    (void)state;
    assert_string_equal(literal(" ", "a  b"), "a||b");
    assert_string_equal(literal(" ", " a "), "|a|");
    assert_string_equal(literal(" ", ""), "");
    assert_string_equal(literal("--", "a--b----c"), "a|b||c");
    assert_string_equal(literal("abc", "a"), "a");
    /* separators on both sides of 16-byte block boundaries */
    assert_string_equal(literal(",", "0123456789abcde,0123456789abcdef,,x,0123456789abcdef,"),
                        "0123456789abcde|0123456789abcdef||x|0123456789abcdef|");
    em__splitter sp;
    em__splitter_simple(&sp, EM__SPLIT_CHARS, NULL, 0);
    assert_string_equal(joined(&sp, "h\xc3\xa9llo"), "h|\xc3\xa9|l|l|o");
    em__splitter_simple(&sp, EM__SPLIT_WHOLE, NULL, 0);
    assert_string_equal(joined(&sp, "a b"), "a b");
}

static void test_simple_patterns(void **state)
{
    (void)state;
    assert_string_equal(regex("\\s+", "", " a \t b ", EM__SPLIT_CLASS), "|a|b|");
    assert_string_equal(regex(" +", "", "a   b", EM__SPLIT_CLASS), "a|b");
    assert_string_equal(regex("\\s", "", "a  b", EM__SPLIT_CLASS), "a||b");
    assert_string_equal(regex("[,;]", "", "a,b;;c", EM__SPLIT_CLASS), "a|b||c");
    assert_string_equal(regex("[^a-z]+", "", "ab12cd-e", EM__SPLIT_CLASS), "ab|cd|e");
    assert_string_equal(regex("\\d+", "", "a1b22c", EM__SPLIT_CLASS), "a|b|c");
    assert_string_equal(regex("[[:space:][:punct:]]+", "", "a, b!c", EM__SPLIT_CLASS), "a|b|c");
    /* a negated class without '+' takes whole UTF-8 characters */
    assert_string_equal(regex("\\W", "", "x-\xc3\xa9y", EM__SPLIT_CLASS), "x||y");
    assert_string_equal(regex("\\.", "", "a.b", EM__SPLIT_LITERAL), "a|b");
    assert_string_equal(regex("ab", "", "xabyab", EM__SPLIT_LITERAL), "x|y|");
    assert_string_equal(regex("\\t", "", "a\tb", EM__SPLIT_LITERAL), "a|b");
    assert_string_equal(regex("", "", "abc", EM__SPLIT_CHARS), "a|b|c");
    assert_string_equal(regex("", "", "", EM__SPLIT_CHARS), "");
}

static void test_general_patterns(void **state)
{
    (void)state;
    assert_string_equal(regex("(X|Y)", "", "aXbYc", EM__SPLIT_REGEX), "a|b|c");
    /* empty matches at either end or right after a match do not split */
    assert_string_equal(regex("x*", "", "abc", EM__SPLIT_REGEX), "a|b|c");
    assert_string_equal(regex("^", "", "abc", EM__SPLIT_REGEX), "abc");
    assert_string_equal(regex("$", "", "abc", EM__SPLIT_REGEX), "abc");
    assert_string_equal(regex("b*", "", "abbc", EM__SPLIT_REGEX), "a|c");
    assert_string_equal(regex("[\\d,]+", "", "a1,2b", EM__SPLIT_CLASS), "a|b");
    assert_string_equal(regex("([\\d,]+)", "", "a1,2b", EM__SPLIT_REGEX), "a|b");
    assert_string_equal(regex("\\s*,\\s*", "", "a , b,c", EM__SPLIT_REGEX), "a|b|c");
    assert_string_equal(regex("o", "i", "fOo", EM__SPLIT_REGEX), "f||");
    assert_string_equal(regex("\\d{2}", "", "a12b345", EM__SPLIT_REGEX), "a|b|5");
}

static void test_errors(void **state)
{
    (void)state;
    const char *bad[][2] = {{"(", ""}, {"[a", ""}, {"\\y", ""}, {"a", "g"}, {"[\\S]x", ""}};
    int codes[] = {EM_EINVAL, EM_EINVAL, EM_EUNSUPPORTED, EM_EUNSUPPORTED, EM_EUNSUPPORTED};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        em__splitter sp;
        em_error err = {0};
        int rc = em__splitter_regex(&sp, bad[i][0], (int32_t)strlen(bad[i][0]), bad[i][1],
                                    (int32_t)strlen(bad[i][1]), &err);
        em__splitter_release(&sp);
        assert_int_equal(rc, codes[i]);
        assert_true(err.message[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal),
        cmocka_unit_test(test_simple_patterns),
        cmocka_unit_test(test_general_patterns),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_like_segments.c — LIKE with a constant pattern of literals joined by %
 * ('%special%requests%', 'a%b', 'ab%ba%'), which searches for each literal in
 * turn (the first across the whole batch when the pattern starts with %),
 * checked row by row against the general matcher, which a pattern that
 * differs per row takes: thousands of random patterns (with escapes, ILIKE
 * and NOT) over random strings, and hand-picked cases where literals overlap
 * or the last one is anchored at the end.
 */
#include "exec/expr_int.h"
#include "exec_test_util.h"

static em_arena *g_arena;

static int setup(void **state)
{
    (void)state;
    g_arena = em_arena_create(1 << 16);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    em_arena_destroy(g_arena);
    return 0;
}

static em_expr *like_expr(bool ci, bool negated, char esc)
{
    em_expr *e = em_expr_new(g_arena, EM_EXPR_LIKE, em_type_make(EM_TYPE_BOOLEAN), 2);
    e->case_insensitive = ci;
    e->negated = negated;
    e->escape = esc;
    return e;
}

/* LIKE over the strings s[0..n) with pattern p, once with p as a constant
 * (the compiled fast paths) and once repeated per row (the general matcher);
 * both answers must agree row by row. Returns the constant path's answers. */
static void like_both(const char *const *s, int n, const char *p, bool ci, bool negated, char esc,
                      uint8_t *got)
{
    em_vector *sv = tv_str(n, s);
    em_vector *pc = em_vector_create(em_type_make(EM_TYPE_VARCHAR), 1);
    em_vector_append_str(pc, p, (int32_t)strlen(p));
    em_vector *pr = em_vector_create(em_type_make(EM_TYPE_VARCHAR), n);
    for (int i = 0; i < n; i++) em_vector_append_str(pr, p, (int32_t)strlen(p));
    em_expr *e = like_expr(ci, negated, esc);
    em_vector *a = NULL, *b = NULL;
    em_error err = {0};
    assert_int_equal(em__like_eval(e, sv, pc, n, &a, &err), 0);
    assert_int_equal(em__like_eval(e, sv, pr, n, &b, &err), 0);
    for (int i = 0; i < n; i++) {
        if (EM_VEC_BOOL(a)[i] != EM_VEC_BOOL(b)[i])
            fail_msg("'%s' %sLIKE '%s' (escape %d): %d by the fast path, %d row by row", s[i],
                     ci ? "I" : "", p, esc, EM_VEC_BOOL(a)[i], EM_VEC_BOOL(b)[i]);
        if (got != NULL) got[i] = EM_VEC_BOOL(a)[i];
    }
    em_vector_unref(a);
    em_vector_unref(b);
    em_vector_unref(sv);
    em_vector_unref(pc);
    em_vector_unref(pr);
}

static void test_hand_picked(void **state)
{
    (void)state;
    const char *s[] = {"",
                       "ab",
                       "aba",
                       "abba",
                       "abxba",
                       "special requests",
                       "requests special",
                       "specialrequests",
                       "very special, urgent requests!",
                       "specia lrequests",
                       "special requests special",
                       "a%b",
                       "xx special yy requests zz"};
    enum { N = sizeof(s) / sizeof(s[0]) };
    struct {
        const char *p;
        uint8_t want[N];
    } cases[] = {
        {"%special%requests%", {0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1}},
        {"a%b", {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}},
        {"ab%ba", {0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}},
        {"ab%ba%", {0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}},
        {"%b%a", {0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}},
        {"special%requests", {0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0}},
        {"%special%requests", {0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0}},
        {"%s%s%s%", {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1}},
        {"%requests%special%", {0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0}},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        uint8_t got[N];
        like_both(s, N, cases[c].p, false, false, 0, got);
        for (int i = 0; i < N; i++)
            if (got[i] != cases[c].want[i])
                fail_msg("'%s' LIKE '%s' gave %d", s[i], cases[c].p, got[i]);
    }
    /* An escaped % is a literal inside a segment. */
    uint8_t got[N];
    like_both(s, N, "a!%%b", false, false, '!', got);
    assert_int_equal(got[11], 1);
    assert_int_equal(got[1], 0);
    like_both(s, N, "%SPECIAL%Requests%", true, true, 0, got);
    assert_int_equal(got[5], 0);
    assert_int_equal(got[6], 1);
}

/* Random patterns of literals and % (some with _, escapes, ILIKE, NOT) over
 * random strings of a small alphabet, so that literals often overlap and
 * repeat. */
static void test_random_against_general(void **state)
{
    (void)state;
    uint64_t seed = 7;
    enum { ROWS = 300 };
    static const char alpha[] = "abcA%!";
    char *strs[ROWS];
    for (int i = 0; i < ROWS; i++) {
        int len = (int)(trand(&seed) % 24);
        strs[i] = malloc((size_t)len + 1);
        for (int j = 0; j < len; j++) strs[i][j] = alpha[trand(&seed) % (sizeof(alpha) - 1)];
        strs[i][len] = 0;
    }
    for (int t = 0; t < 3000; t++) {
        char p[64];
        int pl = 0;
        int tokens = 1 + (int)(trand(&seed) % 6);
        char esc = trand(&seed) % 4 == 0 ? '!' : 0;
        for (int k = 0; k < tokens && pl < 50; k++) {
            uint64_t r = trand(&seed) % 10;
            if (r < 4) {
                p[pl++] = '%';
                if (r == 0) p[pl++] = '%';
            } else if (r == 4 && esc != 0) {
                p[pl++] = '!';
                p[pl++] = trand(&seed) % 2 ? '%' : '!';
            } else if (r == 5 && t % 3 == 0) {
                p[pl++] = '_';
            } else {
                int len = 1 + (int)(trand(&seed) % 3);
                for (int j = 0; j < len; j++) p[pl++] = "abcaB"[trand(&seed) % 5];
            }
        }
        p[pl] = 0;
        bool ci = trand(&seed) % 4 == 0, neg = trand(&seed) % 3 == 0;
        like_both((const char *const *)strs, ROWS, p, ci, neg, esc, NULL);
    }
    for (int i = 0; i < ROWS; i++) free(strs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_picked),
        cmocka_unit_test(test_random_against_general),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

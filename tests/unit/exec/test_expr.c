/*
 * test_expr.c — the expression evaluator and the function registries:
 * arithmetic with NULLs, overflow and division by zero, three-valued logic,
 * CASE/COALESCE laziness, LIKE, casts, overload resolution, selection
 * vectors, constant folding, string/math/date functions and formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/expr.h"
#include "exec/expr_int.h" /* the overload tables, for the NULL sweep */

/* ---- helpers ------------------------------------------------------------------ */

static em_arena *A;

static int setup(void **state)
{
    (void)state;
    A = em_arena_create(4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    em_arena_destroy(A);
    A = NULL;
    return 0;
}

#define NUL INT32_MIN /* marks a NULL in the int helpers below */

static em_vector *ints(int n, const int32_t *v)
{
    em_vector *x = em_vector_create(em_type_make(EM_TYPE_INTEGER), n);
    for (int i = 0; i < n; i++) {
        if (v[i] == NUL)
            em_vector_append_null(x);
        else
            em_vector_append_i32(x, v[i]);
    }
    return x;
}

static em_vector *bigints(int n, const int64_t *v, const bool *null)
{
    em_vector *x = em_vector_create(em_type_make(EM_TYPE_BIGINT), n);
    for (int i = 0; i < n; i++) {
        if (null && null[i])
            em_vector_append_null(x);
        else
            em_vector_append_i64(x, v[i]);
    }
    return x;
}

static em_vector *doubles(int n, const double *v)
{
    em_vector *x = em_vector_create(em_type_make(EM_TYPE_DOUBLE), n);
    for (int i = 0; i < n; i++) em_vector_append_f64(x, v[i]);
    return x;
}

static em_vector *strs(int n, const char *const *v)
{
    em_vector *x = em_vector_create(em_type_make(EM_TYPE_VARCHAR), n);
    for (int i = 0; i < n; i++) {
        if (v[i] == NULL)
            em_vector_append_null(x);
        else
            em_vector_append_str(x, v[i], (int32_t)strlen(v[i]));
    }
    return x;
}

static em_vector *bools(int n, const int *v) /* 0, 1, or -1 for NULL */
{
    em_vector *x = em_vector_create(em_type_make(EM_TYPE_BOOLEAN), n);
    for (int i = 0; i < n; i++) {
        if (v[i] < 0)
            em_vector_append_null(x);
        else
            em_vector_append_bool(x, v[i] != 0);
    }
    return x;
}

/* A batch taking ownership of the given columns. */
static em_batch *batch(int ncols, ...)
{
    em_batch *b = em_batch_create(ncols);
    va_list ap;
    va_start(ap, ncols);
    for (int i = 0; i < ncols; i++) em_batch_set_col(b, i, va_arg(ap, em_vector *));
    va_end(ap);
    return b;
}

static em_expr *col(const em_batch *b, int i)
{
    return em_expr_column(A, i, b->cols[i]->type);
}

static em_expr *cint(int32_t v)
{
    return em_expr_const(A, em_value_int(v));
}

static em_expr *cbig(int64_t v)
{
    return em_expr_const(A, em_value_bigint(v));
}

static em_expr *cdbl(double v)
{
    return em_expr_const(A, em_value_double(v));
}

static em_expr *cstr(const char *s)
{
    return em_expr_const(A, em_value_varchar(s, (int32_t)strlen(s)));
}

static em_expr *cnull(em_type_id t)
{
    return em_expr_const(A, em_value_null(em_type_make(t)));
}

static em_expr *cbool(bool b)
{
    return em_expr_const(A, em_value_bool(b));
}

/* Resolve and build a call the way the binder does (casts included). */
static em_expr *call_n(const char *name, int nargs, em_expr **args)
{
    em_type types[16] = {{0}}, cast_to[16], ret;
    const em_func *f;
    em_error err;
    for (int i = 0; i < nargs; i++) types[i] = args[i]->type;
    int rc = em_func_resolve(name, nargs, types, &f, cast_to, &ret, &err);
    if (rc != 0) fail_msg("resolve %s: %s", name, err.message);
    em_expr *e = em_expr_new(A, EM_EXPR_CALL, ret, nargs);
    e->func = f;
    for (int i = 0; i < nargs; i++) e->args[i] = em_expr_cast(A, args[i], cast_to[i]);
    return e;
}

#define CALL(name, ...)                                                                            \
    call_n(name, (int)(sizeof((em_expr *[]){__VA_ARGS__}) / sizeof(em_expr *)),                    \
           (em_expr *[]){__VA_ARGS__})
#define CALL0(name) call_n(name, 0, NULL)

static em_expr *node(em_expr_kind kind, em_type t, int nargs, em_expr **args)
{
    em_expr *e = em_expr_new(A, kind, t, nargs);
    for (int i = 0; i < nargs; i++) e->args[i] = args[i];
    return e;
}

#define BOOLT em_type_make(EM_TYPE_BOOLEAN)
#define NODE(kind, type, ...)                                                                      \
    node(kind, type, (int)(sizeof((em_expr *[]){__VA_ARGS__}) / sizeof(em_expr *)),                \
         (em_expr *[]){__VA_ARGS__})

static em_vector *eval_ok(const em_expr *e, const em_batch *b)
{
    em_vector *v = NULL;
    em_error err;
    int rc = em_expr_eval(e, b, &v, &err);
    if (rc != 0) fail_msg("eval failed: %s", err.message);
    assert_int_equal(v->length, b->nrows);
    return v;
}

static int eval_err(const em_expr *e, const em_batch *b, em_error *err)
{
    em_vector *v = NULL;
    int rc = em_expr_eval(e, b, &v, err);
    if (rc == 0) em_vector_unref(v);
    return rc;
}

/* Constant evaluation (no columns) to a value. */
static em_value fold(const em_expr *e)
{
    em_value v;
    em_error err;
    int rc = em_expr_eval_const(e, A, &v, &err);
    if (rc != 0) {
        em_strbuf sb;
        em_strbuf_init(&sb);
        em_expr_format(e, NULL, &sb);
        print_error("while folding %s\n", sb.data);
        em_strbuf_release(&sb);
        fail_msg("fold failed: %s", err.message);
    }
    return v;
}

static int fold_err(const em_expr *e, em_error *err)
{
    em_value v;
    return em_expr_eval_const(e, A, &v, err);
}

static void expect_str_value(em_value v, const char *want)
{
    assert_false(v.is_null);
    assert_int_equal(v.type.id, EM_TYPE_VARCHAR);
    assert_int_equal(v.v.str.len, (int)strlen(want));
    assert_memory_equal(v.v.str.ptr, want, strlen(want));
}

static void expect_row_str(const em_vector *v, int64_t i, const char *want)
{
    if (want == NULL) {
        assert_false(em_vector_is_valid(v, i));
        return;
    }
    assert_true(em_vector_is_valid(v, i));
    int32_t len;
    const char *p = em_vector_str(v, i, &len);
    if (len != (int32_t)strlen(want) || memcmp(p, want, (size_t)len) != 0)
        fail_msg("row %lld: got '%.*s', want '%s'", (long long)i, (int)len, p, want);
}

/* Rows of an INTEGER/BIGINT/DATE result; NUL expects NULL. */
static void expect_ints(const em_vector *v, int n, const int64_t *want)
{
    for (int i = 0; i < n; i++) {
        if (want[i] == NUL) {
            if (em_vector_is_valid(v, i)) fail_msg("row %d: expected NULL", i);
            continue;
        }
        if (!em_vector_is_valid(v, i)) fail_msg("row %d: unexpected NULL", i);
        int64_t got = v->type.id == EM_TYPE_INTEGER || v->type.id == EM_TYPE_DATE
                          ? EM_VEC_I32(v)[i]
                          : EM_VEC_I64(v)[i];
        if (got != want[i])
            fail_msg("row %d: got %lld, want %lld", i, (long long)got, (long long)want[i]);
    }
}

/* Rows of a BOOLEAN result: 0, 1, -1 = NULL. */
static void expect_bools(const em_vector *v, int n, const int *want)
{
    assert_int_equal(v->type.id, EM_TYPE_BOOLEAN);
    for (int i = 0; i < n; i++) {
        int got = em_vector_is_valid(v, i) ? EM_VEC_BOOL(v)[i] : -1;
        if (got != want[i]) fail_msg("row %d: got %d, want %d", i, got, want[i]);
    }
}

static void expect_sel(const em_expr *e, const em_batch *b, int n, const int32_t *want)
{
    int32_t sel[64];
    int64_t k = -1;
    em_error err;
    int rc = em_expr_select(e, b, sel, &k, &err);
    if (rc != 0) fail_msg("select failed: %s", err.message);
    if (k != n) fail_msg("selected %lld rows, want %d", (long long)k, n);
    for (int i = 0; i < n; i++)
        if (sel[i] != want[i]) fail_msg("sel[%d] = %d, want %d", i, sel[i], want[i]);
}

/* ---- arithmetic ------------------------------------------------------------------- */

static void test_arith_nulls(void **state)
{
    (void)state;
    em_batch *b =
        batch(2, ints(4, (int32_t[]){1, 2, NUL, 4}), ints(4, (int32_t[]){10, NUL, 30, 40}));
    em_vector *v = eval_ok(CALL("+", col(b, 0), col(b, 1)), b);
    assert_int_equal(v->type.id, EM_TYPE_INTEGER);
    expect_ints(v, 4, (int64_t[]){11, NUL, NUL, 44});
    em_vector_unref(v);
    v = eval_ok(CALL("*", col(b, 0), cint(3)), b);
    expect_ints(v, 4, (int64_t[]){3, 6, NUL, 12});
    em_vector_unref(v);
    v = eval_ok(CALL("-", cint(100), col(b, 1)), b);
    expect_ints(v, 4, (int64_t[]){90, NUL, 70, 60});
    em_vector_unref(v);
    /* INTEGER and BIGINT widen to BIGINT. */
    v = eval_ok(CALL("+", col(b, 0), cbig(5000000000LL)), b);
    assert_int_equal(v->type.id, EM_TYPE_BIGINT);
    expect_ints(v, 4, (int64_t[]){5000000001LL, 5000000002LL, NUL, 5000000004LL});
    em_vector_unref(v);
    v = eval_ok(CALL("neg", col(b, 0)), b);
    expect_ints(v, 4, (int64_t[]){-1, -2, NUL, -4});
    em_vector_unref(v);
    v = eval_ok(CALL("%", col(b, 1), cint(7)), b);
    expect_ints(v, 4, (int64_t[]){3, NUL, 2, 5});
    em_vector_unref(v);
    /* NULL + x is NULL. */
    v = eval_ok(CALL("+", col(b, 0), cnull(EM_TYPE_NULL)), b);
    expect_ints(v, 4, (int64_t[]){NUL, NUL, NUL, NUL});
    em_vector_unref(v);
    em_batch_destroy(b);
}

static void test_division(void **state)
{
    (void)state;
    em_batch *b = batch(2, ints(3, (int32_t[]){7, 1, 9}), ints(3, (int32_t[]){2, NUL, 3}));
    em_vector *v = eval_ok(CALL("/", col(b, 0), col(b, 1)), b);
    assert_int_equal(v->type.id, EM_TYPE_DOUBLE);
    assert_true(EM_VEC_F64(v)[0] == 3.5);
    assert_false(em_vector_is_valid(v, 1)); /* the NULL slot holds 0: no error */
    assert_true(EM_VEC_F64(v)[2] == 3.0);
    em_vector_unref(v);
    em_batch_destroy(b);

    em_error err;
    b = batch(1, ints(3, (int32_t[]){1, 0, 2}));
    assert_int_equal(eval_err(CALL("/", cint(10), col(b, 0)), b, &err), EM_EDIVZERO);
    assert_string_equal(err.message, "division by zero");
    assert_int_equal(eval_err(CALL("%", cint(10), col(b, 0)), b, &err), EM_EDIVZERO);
    assert_int_equal(eval_err(CALL("mod", cbig(10), col(b, 0)), b, &err), EM_EDIVZERO);
    assert_int_equal(eval_err(CALL("/", cdbl(1.0), col(b, 0)), b, &err), EM_EDIVZERO);
    em_batch_destroy(b);
    /* INT_MIN % -1 is 0, not a trap. */
    em_value r = fold(CALL("%", cint(INT32_MIN), cint(-1)));
    assert_int_equal(r.v.i32, 0);
}

static void test_overflow(void **state)
{
    (void)state;
    em_error err;
    em_batch *b = batch(1, ints(2, (int32_t[]){1, INT32_MAX}));
    assert_int_equal(eval_err(CALL("+", col(b, 0), cint(1)), b, &err), EM_EOVERFLOW);
    assert_string_equal(err.message, "integer out of range");
    /* The same value under a NULL bit does not fail. */
    em_vector_set_null(b->cols[0], 1);
    em_vector *v = eval_ok(CALL("+", col(b, 0), cint(1)), b);
    expect_ints(v, 2, (int64_t[]){2, NUL});
    em_vector_unref(v);
    em_batch_destroy(b);

    assert_int_equal(fold_err(CALL("*", cbig(INT64_MAX / 2), cbig(3)), &err), EM_EOVERFLOW);
    assert_int_equal(fold_err(CALL("-", cbig(INT64_MIN), cbig(1)), &err), EM_EOVERFLOW);
    assert_int_equal(fold_err(CALL("neg", cint(INT32_MIN)), &err), EM_EOVERFLOW);
    assert_int_equal(fold_err(CALL("abs", cbig(INT64_MIN)), &err), EM_EOVERFLOW);
    assert_int_equal(fold_err(CALL("*", cdbl(1e300), cdbl(1e300)), &err), EM_EOVERFLOW);
    em_expr *d = em_expr_const(A, em_value_decimal(5000000000000000000LL, 18, 0));
    assert_int_equal(fold_err(CALL("+", d, d), &err), EM_EOVERFLOW);
    assert_string_equal(err.message, "DECIMAL out of range");
}

static void test_decimal_arith(void **state)
{
    (void)state;
    /* 1.50 + 2 = 3.50 as DECIMAL(13,2); 1.50 * 0.5 = 0.750 */
    em_expr *x = em_expr_const(A, em_value_decimal(150, 10, 2));
    em_expr *e = CALL("+", x, cint(2));
    assert_int_equal(e->type.id, EM_TYPE_DECIMAL);
    assert_int_equal(e->type.precision, 13);
    assert_int_equal(e->type.scale, 2);
    em_value v = fold(e);
    assert_int_equal(v.v.i64, 350);
    em_expr *h = em_expr_const(A, em_value_decimal(5, 2, 1));
    e = CALL("*", x, h);
    assert_int_equal(e->type.scale, 3);
    assert_int_equal(e->type.precision, 12);
    v = fold(e);
    assert_int_equal(v.v.i64, 750);
    /* Subtraction of different scales aligns them first. */
    v = fold(CALL("-", x, h));
    assert_int_equal(v.type.scale, 2);
    assert_int_equal(v.v.i64, 100);
    /* Division goes through DOUBLE. */
    v = fold(CALL("/", x, h));
    assert_int_equal(v.type.id, EM_TYPE_DOUBLE);
    assert_true(v.v.f64 == 3.0);
}

static void test_date_arith(void **state)
{
    (void)state;
    em_expr *d = em_expr_const(A, em_value_date(em_days_from_civil(2024, 2, 28)));
    em_value v = fold(CALL("+", d, cint(2)));
    assert_int_equal(v.type.id, EM_TYPE_DATE);
    assert_int_equal(v.v.i32, em_days_from_civil(2024, 3, 1));
    v = fold(CALL("+", cint(1), d));
    assert_int_equal(v.v.i32, em_days_from_civil(2024, 2, 29));
    v = fold(CALL("-", d, cint(28)));
    assert_int_equal(v.v.i32, em_days_from_civil(2024, 1, 31));
    em_expr *d2 = em_expr_const(A, em_value_date(em_days_from_civil(2023, 2, 28)));
    v = fold(CALL("-", d, d2));
    assert_int_equal(v.type.id, EM_TYPE_BIGINT);
    assert_int_equal(v.v.i64, 365);
}

/* ---- resolution ------------------------------------------------------------------ */

static void test_resolve(void **state)
{
    (void)state;
    em_type args[3], cast_to[3], ret;
    const em_func *f;
    em_error err;
    args[0] = em_type_make(EM_TYPE_INTEGER);
    args[1] = em_type_decimal(10, 2);
    assert_int_equal(em_func_resolve("+", 2, args, &f, cast_to, &ret, &err), 0);
    assert_true(em_type_equal(cast_to[0], em_type_decimal(12, 2)));
    assert_true(em_type_equal(cast_to[1], em_type_decimal(12, 2)));
    assert_true(em_type_equal(ret, em_type_decimal(13, 2)));

    args[0] = em_type_make(EM_TYPE_BIGINT);
    args[1] = em_type_make(EM_TYPE_INTEGER);
    assert_int_equal(em_func_resolve("*", 2, args, &f, cast_to, &ret, &err), 0);
    assert_int_equal(cast_to[0].id, EM_TYPE_BIGINT);
    assert_int_equal(cast_to[1].id, EM_TYPE_BIGINT);
    assert_int_equal(ret.id, EM_TYPE_BIGINT);

    args[0] = em_type_make(EM_TYPE_DOUBLE);
    args[1] = em_type_decimal(10, 2);
    assert_int_equal(em_func_resolve("<", 2, args, &f, cast_to, &ret, &err), 0);
    assert_int_equal(cast_to[1].id, EM_TYPE_DOUBLE);
    assert_int_equal(ret.id, EM_TYPE_BOOLEAN);

    /* DATE widens to TIMESTAMP; NULL matches anything. */
    args[0] = em_type_make(EM_TYPE_DATE);
    args[1] = em_type_make(EM_TYPE_TIMESTAMP);
    assert_int_equal(em_func_resolve("=", 2, args, &f, cast_to, &ret, &err), 0);
    assert_int_equal(cast_to[0].id, EM_TYPE_TIMESTAMP);
    args[0] = em_type_make(EM_TYPE_NULL);
    assert_int_equal(em_func_resolve("lower", 1, args, &f, cast_to, &ret, &err), 0);
    assert_int_equal(cast_to[0].id, EM_TYPE_VARCHAR);

    /* No implicit number -> VARCHAR, except for || and concat. */
    args[0] = em_type_make(EM_TYPE_BIGINT);
    assert_int_equal(em_func_resolve("lower", 1, args, &f, cast_to, &ret, &err), EM_EBIND);
    assert_string_equal(err.message,
                        "no function matches lower(BIGINT); candidates: lower(VARCHAR)");
    args[1] = em_type_make(EM_TYPE_VARCHAR);
    assert_int_equal(em_func_resolve("||", 2, args, &f, cast_to, &ret, &err), 0);
    assert_int_equal(cast_to[0].id, EM_TYPE_VARCHAR);
    assert_int_equal(em_func_resolve("concat", 2, args, &f, cast_to, &ret, &err), 0);

    assert_int_equal(em_func_resolve("foo", 1, args, &f, cast_to, &ret, &err), EM_ENOENT);
    assert_string_equal(err.message, "function foo does not exist");
    assert_false(em_func_exists("foo"));
    assert_true(em_func_exists("lower"));
    assert_true(em_func_exists("+"));

    /* A product with more than 18 digits gives up scale (keeping 6), not an error. */
    args[0] = em_type_decimal(18, 10);
    args[1] = em_type_decimal(18, 10);
    assert_int_equal(em_func_resolve("*", 2, args, &f, cast_to, &ret, &err), 0);
    assert_true(em_type_equal(ret, em_type_decimal(18, 6)));
    args[0] = em_type_decimal(18, 2);
    args[1] = em_type_decimal(11, 10);
    assert_int_equal(em_func_resolve("*", 2, args, &f, cast_to, &ret, &err), 0);
    assert_true(em_type_equal(ret, em_type_decimal(18, 6)));

    /* round(DECIMAL(10,3)) -> DECIMAL(8,0); abs keeps the type. */
    args[0] = em_type_decimal(10, 3);
    assert_int_equal(em_func_resolve("round", 1, args, &f, cast_to, &ret, &err), 0);
    assert_true(em_type_equal(ret, em_type_decimal(8, 0)));
    assert_int_equal(em_func_resolve("abs", 1, args, &f, cast_to, &ret, &err), 0);
    assert_true(em_type_equal(ret, em_type_decimal(10, 3)));

    /* greatest over mixed exact types unifies to one DECIMAL. */
    args[0] = em_type_make(EM_TYPE_INTEGER);
    args[1] = em_type_decimal(5, 2);
    args[2] = em_type_make(EM_TYPE_NULL);
    assert_int_equal(em_func_resolve("greatest", 3, args, &f, cast_to, &ret, &err), 0);
    assert_true(em_type_equal(ret, em_type_decimal(12, 2)));
    assert_true(em_type_equal(cast_to[2], em_type_decimal(12, 2)));

    /* ... but never for operators: INTEGER + VARCHAR has no match. */
    args[0] = em_type_make(EM_TYPE_INTEGER);
    args[1] = em_type_make(EM_TYPE_VARCHAR);
    assert_int_equal(em_func_resolve("+", 2, args, &f, cast_to, &ret, &err), EM_EBIND);
    assert_non_null(strstr(err.message, "no function matches +(INTEGER, VARCHAR)"));
    /* A string literal can become a TIMESTAMP for date functions. */
    args[0] = em_type_make(EM_TYPE_VARCHAR);
    assert_int_equal(em_func_resolve("year", 1, args, &f, cast_to, &ret, &err), 0);
    assert_int_equal(cast_to[0].id, EM_TYPE_TIMESTAMP);

    const char *const *names = em_func_names();
    bool saw_lower = false, saw_plus = false;
    for (int i = 0; names[i]; i++) {
        saw_lower |= strcmp(names[i], "lower") == 0;
        saw_plus |= strcmp(names[i], "+") == 0;
    }
    assert_true(saw_lower);
    assert_false(saw_plus);
}

static void test_agg_registry(void **state)
{
    (void)state;
    em_agg_kind k;
    em_type ret;
    em_error err;
    assert_int_equal(em_agg_resolve("count", true, em_type_make(EM_TYPE_NULL), &k, &ret, &err), 0);
    assert_int_equal(k, EM_AGG_COUNT_STAR);
    assert_int_equal(ret.id, EM_TYPE_BIGINT);
    assert_int_equal(em_agg_resolve("count", false, em_type_make(EM_TYPE_VARCHAR), &k, &ret, &err),
                     0);
    assert_int_equal(k, EM_AGG_COUNT);
    assert_int_equal(em_agg_resolve("sum", false, em_type_make(EM_TYPE_INTEGER), &k, &ret, &err),
                     0);
    assert_int_equal(ret.id, EM_TYPE_BIGINT);
    assert_int_equal(em_agg_resolve("sum", false, em_type_decimal(10, 2), &k, &ret, &err), 0);
    assert_true(em_type_equal(ret, em_type_decimal(18, 2)));
    assert_int_equal(em_agg_resolve("sum", false, em_type_make(EM_TYPE_DOUBLE), &k, &ret, &err), 0);
    assert_int_equal(ret.id, EM_TYPE_DOUBLE);
    assert_int_equal(em_agg_resolve("avg", false, em_type_make(EM_TYPE_BIGINT), &k, &ret, &err), 0);
    assert_int_equal(ret.id, EM_TYPE_DOUBLE);
    assert_int_equal(em_agg_resolve("max", false, em_type_make(EM_TYPE_DATE), &k, &ret, &err), 0);
    assert_int_equal(k, EM_AGG_MAX);
    assert_int_equal(ret.id, EM_TYPE_DATE);
    assert_int_equal(em_agg_resolve("sum", false, em_type_make(EM_TYPE_VARCHAR), &k, &ret, &err),
                     EM_EBIND);
    assert_non_null(strstr(err.message, "no function matches sum(VARCHAR)"));
    assert_int_equal(em_agg_resolve("median", false, em_type_make(EM_TYPE_INTEGER), &k, &ret, &err),
                     0);
    assert_int_equal(k, EM_AGG_PERCENTILE_CONT);
    assert_int_equal(ret.id, EM_TYPE_DOUBLE);
    assert_int_equal(em_agg_resolve("mode", false, em_type_make(EM_TYPE_INTEGER), &k, &ret, &err),
                     EM_ENOENT);
    assert_true(em_agg_exists("SUM"));
    assert_false(em_agg_exists("lower"));
    assert_string_equal(em_agg_name(EM_AGG_AVG), "avg");

    em_type st[EM_AGG_MAX_STATES];
    em_agg_call c = {0};
    c.kind = EM_AGG_AVG;
    c.arg = em_expr_column(A, 0, em_type_decimal(10, 2));
    c.type = em_type_make(EM_TYPE_DOUBLE);
    assert_int_equal(em_agg_state_types(&c, st), 2);
    assert_true(em_type_equal(st[0], em_type_decimal(18, 2)));
    assert_int_equal(st[1].id, EM_TYPE_BIGINT);
    c.arg = em_expr_column(A, 0, em_type_make(EM_TYPE_INTEGER));
    assert_int_equal(em_agg_state_types(&c, st), 2);
    assert_int_equal(st[0].id, EM_TYPE_BIGINT);
    c.arg = em_expr_column(A, 0, em_type_make(EM_TYPE_DOUBLE));
    em_agg_state_types(&c, st);
    assert_int_equal(st[0].id, EM_TYPE_DOUBLE);
    c.kind = EM_AGG_COUNT_STAR;
    c.arg = NULL;
    assert_int_equal(em_agg_state_types(&c, st), 1);
    assert_int_equal(st[0].id, EM_TYPE_BIGINT);
    c.kind = EM_AGG_SUM;
    c.type = em_type_decimal(18, 2);
    assert_int_equal(em_agg_state_types(&c, st), 1);
    assert_true(em_type_equal(st[0], c.type));
}

/* ---- logic ------------------------------------------------------------------------ */

static void test_three_valued(void **state)
{
    (void)state;
    /* All nine combinations of {true, false, NULL}. */
    em_batch *b = batch(2, bools(9, (int[]){1, 1, 1, 0, 0, 0, -1, -1, -1}),
                        bools(9, (int[]){1, 0, -1, 1, 0, -1, 1, 0, -1}));
    em_vector *v = eval_ok(NODE(EM_EXPR_AND, BOOLT, col(b, 0), col(b, 1)), b);
    expect_bools(v, 9, (int[]){1, 0, -1, 0, 0, 0, -1, 0, -1});
    em_vector_unref(v);
    v = eval_ok(NODE(EM_EXPR_OR, BOOLT, col(b, 0), col(b, 1)), b);
    expect_bools(v, 9, (int[]){1, 1, 1, 1, 0, -1, 1, -1, -1});
    em_vector_unref(v);
    v = eval_ok(NODE(EM_EXPR_NOT, BOOLT, col(b, 0)), b);
    expect_bools(v, 9, (int[]){0, 0, 0, 1, 1, 1, -1, -1, -1});
    em_vector_unref(v);
    em_expr *isn = NODE(EM_EXPR_IS_NULL, BOOLT, col(b, 1));
    v = eval_ok(isn, b);
    expect_bools(v, 9, (int[]){0, 0, 1, 0, 0, 1, 0, 0, 1});
    em_vector_unref(v);
    isn->negated = true;
    v = eval_ok(isn, b);
    expect_bools(v, 9, (int[]){1, 1, 0, 1, 1, 0, 1, 1, 0});
    em_vector_unref(v);
    /* Selection drops both false and NULL. */
    expect_sel(NODE(EM_EXPR_AND, BOOLT, col(b, 0), col(b, 1)), b, 1, (int32_t[]){0});
    expect_sel(NODE(EM_EXPR_OR, BOOLT, col(b, 0), col(b, 1)), b, 5, (int32_t[]){0, 1, 2, 3, 6});
    expect_sel(NODE(EM_EXPR_NOT, BOOLT, col(b, 0)), b, 3, (int32_t[]){3, 4, 5});
    /* Constants combine with columns; a NULL constant behaves as NULL. */
    v = eval_ok(NODE(EM_EXPR_AND, BOOLT, col(b, 0), cnull(EM_TYPE_BOOLEAN)), b);
    expect_bools(v, 9, (int[]){-1, -1, -1, 0, 0, 0, -1, -1, -1});
    em_vector_unref(v);
    v = eval_ok(NODE(EM_EXPR_OR, BOOLT, cbool(true), col(b, 1)), b);
    expect_bools(v, 9, (int[]){1, 1, 1, 1, 1, 1, 1, 1, 1});
    em_vector_unref(v);
    em_batch_destroy(b);
}

static void test_and_short_circuit(void **state)
{
    (void)state;
    /* x <> 0 AND 10 / x > 1: the division never sees x = 0. */
    em_batch *b = batch(1, ints(5, (int32_t[]){0, 2, NUL, 20, 0}));
    em_expr *p = NODE(EM_EXPR_AND, BOOLT, CALL("<>", col(b, 0), cint(0)),
                      CALL(">", CALL("/", cint(10), col(b, 0)), cint(1)));
    em_vector *v = eval_ok(p, b);
    expect_bools(v, 5, (int[]){0, 1, -1, 0, 0});
    em_vector_unref(v);
    expect_sel(p, b, 1, (int32_t[]){1});
    /* x = 0 OR 10 / x > 1 */
    em_expr *q = NODE(EM_EXPR_OR, BOOLT, CALL("=", col(b, 0), cint(0)),
                      CALL(">", CALL("/", cint(10), col(b, 0)), cint(1)));
    v = eval_ok(q, b);
    expect_bools(v, 5, (int[]){1, 1, -1, 0, 1});
    em_vector_unref(v);
    expect_sel(q, b, 3, (int32_t[]){0, 1, 4});
    em_batch_destroy(b);
}

static void test_case_lazy(void **state)
{
    (void)state;
    em_batch *b = batch(1, ints(5, (int32_t[]){0, 2, NUL, 5, 0}));
    /* CASE WHEN x <> 0 THEN 10 / x ELSE 0 END */
    em_expr *div = CALL("/", cint(10), col(b, 0));
    em_expr *e = NODE(EM_EXPR_CASE, div->type, CALL("<>", col(b, 0), cint(0)), div,
                      em_expr_cast(A, cint(0), div->type));
    em_vector *v = eval_ok(e, b);
    assert_int_equal(v->type.id, EM_TYPE_DOUBLE);
    double want[5] = {0, 5, 0, 2, 0};
    for (int i = 0; i < 5; i++) {
        assert_true(em_vector_is_valid(v, i));
        assert_true(EM_VEC_F64(v)[i] == want[i]);
    }
    em_vector_unref(v);
    /* Several branches, no ELSE match -> ELSE NULL; strings are assembled too. */
    em_expr *s =
        NODE(EM_EXPR_CASE, em_type_make(EM_TYPE_VARCHAR), CALL(">", col(b, 0), cint(3)),
             cstr("big"), CALL("=", col(b, 0), cint(2)), cstr("two"), cnull(EM_TYPE_VARCHAR));
    v = eval_ok(s, b);
    expect_row_str(v, 0, NULL);
    expect_row_str(v, 1, "two");
    expect_row_str(v, 2, NULL);
    expect_row_str(v, 3, "big");
    em_vector_unref(v);
    /* A branch that errors on a row that reaches it still errors. */
    em_error err;
    em_expr *bad = NODE(EM_EXPR_CASE, div->type, CALL(">=", col(b, 0), cint(0)), div,
                        em_expr_cast(A, cint(0), div->type));
    assert_int_equal(eval_err(bad, b, &err), EM_EDIVZERO);
    /* CASE as a predicate. */
    em_expr *pred = NODE(EM_EXPR_CASE, BOOLT, CALL("<>", col(b, 0), cint(0)),
                         CALL(">", div, cdbl(2.5)), cbool(false));
    expect_sel(pred, b, 1, (int32_t[]){1});
    em_batch_destroy(b);
}

static void test_coalesce(void **state)
{
    (void)state;
    em_batch *b =
        batch(2, ints(4, (int32_t[]){NUL, 2, NUL, NUL}), ints(4, (int32_t[]){0, 0, 5, NUL}));
    em_expr *e =
        NODE(EM_EXPR_COALESCE, em_type_make(EM_TYPE_INTEGER), col(b, 0), col(b, 1), cint(-1));
    em_vector *v = eval_ok(e, b);
    expect_ints(v, 4, (int64_t[]){0, 2, 5, -1});
    em_vector_unref(v);
    /* Lazy: 10 / y only for rows where x is NULL... and y = 0 there is an error. */
    em_expr *lazy = NODE(EM_EXPR_COALESCE, em_type_make(EM_TYPE_DOUBLE),
                         em_expr_cast(A, col(b, 1), em_type_make(EM_TYPE_DOUBLE)),
                         CALL("/", cint(10), col(b, 1)));
    v = eval_ok(lazy, b); /* division only for row 3, where y is NULL */
    assert_false(em_vector_is_valid(v, 3));
    assert_true(EM_VEC_F64(v)[2] == 5.0);
    em_vector_unref(v);
    /* Strings. */
    em_batch *s = batch(1, strs(3, (const char *[]){NULL, "b", NULL}));
    v = eval_ok(NODE(EM_EXPR_COALESCE, em_type_make(EM_TYPE_VARCHAR), col(s, 0), cstr("zz")), s);
    expect_row_str(v, 0, "zz");
    expect_row_str(v, 1, "b");
    expect_row_str(v, 2, "zz");
    em_vector_unref(v);
    em_batch_destroy(s);
    em_batch_destroy(b);
}

static void test_in_list(void **state)
{
    (void)state;
    em_batch *b = batch(1, ints(4, (int32_t[]){1, 5, NUL, 7}));
    em_expr *e = NODE(EM_EXPR_IN_LIST, BOOLT, col(b, 0), cint(5), cint(7), cint(9));
    em_vector *v = eval_ok(e, b);
    expect_bools(v, 4, (int[]){0, 1, -1, 1});
    em_vector_unref(v);
    e->negated = true;
    v = eval_ok(e, b);
    expect_bools(v, 4, (int[]){1, 0, -1, 0});
    em_vector_unref(v);
    /* A NULL in the list: not found means NULL. */
    e = NODE(EM_EXPR_IN_LIST, BOOLT, col(b, 0), cint(5), cnull(EM_TYPE_INTEGER));
    v = eval_ok(e, b);
    expect_bools(v, 4, (int[]){-1, 1, -1, -1});
    em_vector_unref(v);
    /* A long list takes the sorted path. */
    em_expr *big = em_expr_new(A, EM_EXPR_IN_LIST, BOOLT, 21);
    big->args[0] = col(b, 0);
    for (int i = 1; i <= 20; i++) big->args[i] = cint(i * 2 - 1); /* odd numbers 1..39 */
    v = eval_ok(big, b);
    expect_bools(v, 4, (int[]){1, 1, -1, 1});
    em_vector_unref(v);
    expect_sel(big, b, 3, (int32_t[]){0, 1, 3});
    em_batch_destroy(b);

    em_batch *s = batch(1, strs(3, (const char *[]){"a", "bb", NULL}));
    v = eval_ok(NODE(EM_EXPR_IN_LIST, BOOLT, col(s, 0), cstr("bb"), cstr("c")), s);
    expect_bools(v, 3, (int[]){0, 1, -1});
    em_vector_unref(v);
    em_batch_destroy(s);
}

static void test_distinct_greatest_nullif(void **state)
{
    (void)state;
    em_batch *b =
        batch(2, ints(4, (int32_t[]){1, NUL, NUL, 3}), ints(4, (int32_t[]){1, 2, NUL, 4}));
    em_vector *v = eval_ok(CALL("is_distinct", col(b, 0), col(b, 1)), b);
    expect_bools(v, 4, (int[]){0, 1, 0, 1});
    em_vector_unref(v);
    v = eval_ok(CALL("is_not_distinct", col(b, 0), col(b, 1)), b);
    expect_bools(v, 4, (int[]){1, 0, 1, 0});
    em_vector_unref(v);
    v = eval_ok(CALL("greatest", col(b, 0), col(b, 1)), b);
    expect_ints(v, 4, (int64_t[]){1, 2, NUL, 4});
    em_vector_unref(v);
    v = eval_ok(CALL("least", col(b, 0), col(b, 1), cint(2)), b);
    expect_ints(v, 4, (int64_t[]){1, 2, 2, 2});
    em_vector_unref(v);
    v = eval_ok(CALL("nullif", col(b, 1), cint(2)), b);
    expect_ints(v, 4, (int64_t[]){1, NUL, NUL, 4});
    em_vector_unref(v);
    em_batch_destroy(b);
    em_value s = fold(CALL("greatest", cstr("apple"), cstr("pear"), cnull(EM_TYPE_NULL)));
    expect_str_value(s, "pear");
}

/* ---- comparisons and selection -------------------------------------------------- */

static void test_select(void **state)
{
    (void)state;
    em_batch *b = batch(3, ints(6, (int32_t[]){1, 10, NUL, 7, 5, 200}),
                        strs(6, (const char *[]){"a", "b", "c", NULL, "b", "bb"}),
                        doubles(6, (double[]){0.5, 1.5, 2.5, 3.5, 4.5, 5.5}));
    expect_sel(CALL(">", col(b, 0), cint(5)), b, 3, (int32_t[]){1, 3, 5});
    expect_sel(CALL("<=", cint(5), col(b, 0)), b, 4, (int32_t[]){1, 3, 4, 5});
    expect_sel(CALL("=", col(b, 1), cstr("b")), b, 2, (int32_t[]){1, 4});
    expect_sel(CALL("<>", col(b, 1), cstr("b")), b, 3, (int32_t[]){0, 2, 5});
    expect_sel(CALL(">", col(b, 1), cstr("b")), b, 2, (int32_t[]){2, 5});
    expect_sel(CALL("<", col(b, 2), cdbl(2.0)), b, 2, (int32_t[]){0, 1});
    expect_sel(CALL("=", col(b, 0), cnull(EM_TYPE_INTEGER)), b, 0, NULL);
    /* BETWEEN-like conjunction narrows progressively. */
    expect_sel(NODE(EM_EXPR_AND, BOOLT, CALL(">=", col(b, 0), cint(5)),
                    CALL("<=", col(b, 0), cint(10)), CALL("=", col(b, 1), cstr("b"))),
               b, 2, (int32_t[]){1, 4});
    expect_sel(NODE(EM_EXPR_OR, BOOLT, CALL("=", col(b, 0), cint(1)),
                    CALL("=", col(b, 1), cstr("c")), CALL(">", col(b, 2), cdbl(5.0))),
               b, 3, (int32_t[]){0, 2, 5});
    em_expr *isn = NODE(EM_EXPR_IS_NULL, BOOLT, col(b, 1));
    expect_sel(isn, b, 1, (int32_t[]){3});
    expect_sel(NODE(EM_EXPR_NOT, BOOLT, isn), b, 5, (int32_t[]){0, 1, 2, 4, 5});
    expect_sel(NODE(EM_EXPR_NOT, BOOLT, CALL(">", col(b, 0), cint(5))), b, 2, (int32_t[]){0, 4});
    expect_sel(cbool(true), b, 6, (int32_t[]){0, 1, 2, 3, 4, 5});
    expect_sel(cbool(false), b, 0, NULL);
    /* Column against column, and a general expression. */
    expect_sel(CALL(">", col(b, 0), CALL("*", col(b, 2), cdbl(2.0))), b, 2, (int32_t[]){1, 5});
    expect_sel(CALL("=", CALL("length", col(b, 1)), cint(2)), b, 1, (int32_t[]){5});
    /* Comparisons as values. */
    em_vector *v = eval_ok(CALL(">", col(b, 0), cint(5)), b);
    expect_bools(v, 6, (int[]){0, 1, -1, 1, 0, 1});
    em_vector_unref(v);
    em_batch_destroy(b);
}

/* ---- LIKE ----------------------------------------------------------------------- */

static em_expr *like(em_expr *s, const char *pattern, bool ci, bool neg, char esc)
{
    em_expr *e = NODE(EM_EXPR_LIKE, BOOLT, s, cstr(pattern));
    e->case_insensitive = ci;
    e->negated = neg;
    e->escape = esc;
    return e;
}

static void test_like(void **state)
{
    (void)state;
    em_batch *b = batch(1, strs(6, (const char *[]){"abc", "xabcx", "ab", NULL, "a%c", "ÄbC"}));
    struct {
        const char *pattern;
        int want[6];
    } cases[] = {
        {"abc", {1, 0, 0, -1, 0, 0}},  {"ab%", {1, 0, 1, -1, 0, 0}},
        {"%bc", {1, 0, 0, -1, 0, 0}},  {"%abc%", {1, 1, 0, -1, 0, 0}},
        {"%", {1, 1, 1, -1, 1, 1}},    {"a_c", {1, 0, 0, -1, 1, 0}},
        {"_b_", {1, 0, 0, -1, 0, 1}},  {"%b%c%", {1, 1, 0, -1, 0, 0}},
        {"x%x", {0, 1, 0, -1, 0, 0}},  {"", {0, 0, 0, -1, 0, 0}},
        {"a%%c", {1, 0, 0, -1, 1, 0}}, {"%_", {1, 1, 1, -1, 1, 1}},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        em_vector *v = eval_ok(like(col(b, 0), cases[k].pattern, false, false, 0), b);
        for (int i = 0; i < 6; i++) {
            int got = em_vector_is_valid(v, i) ? EM_VEC_BOOL(v)[i] : -1;
            if (got != cases[k].want[i])
                fail_msg("'%s' row %d: got %d want %d", cases[k].pattern, i, got, cases[k].want[i]);
        }
        em_vector_unref(v);
    }
    /* Escapes make % and _ literal. */
    em_vector *v = eval_ok(like(col(b, 0), "a\\%c", false, false, '\\'), b);
    expect_bools(v, 6, (int[]){0, 0, 0, -1, 1, 0});
    em_vector_unref(v);
    v = eval_ok(like(col(b, 0), "%\\%%", false, false, '\\'), b);
    expect_bools(v, 6, (int[]){0, 0, 0, -1, 1, 0});
    em_vector_unref(v);
    /* ILIKE folds ASCII case; NOT LIKE keeps NULLs NULL. */
    v = eval_ok(like(col(b, 0), "%BC", true, false, 0), b);
    expect_bools(v, 6, (int[]){1, 0, 0, -1, 0, 1});
    em_vector_unref(v);
    v = eval_ok(like(col(b, 0), "A_C", true, false, 0), b);
    expect_bools(v, 6, (int[]){1, 0, 0, -1, 1, 0});
    em_vector_unref(v);
    v = eval_ok(like(col(b, 0), "ab%", false, true, 0), b);
    expect_bools(v, 6, (int[]){0, 1, 0, -1, 1, 1});
    em_vector_unref(v);
    expect_sel(like(col(b, 0), "%abc%", false, false, 0), b, 2, (int32_t[]){0, 1});
    /* A pattern ending in the escape character is an error. */
    em_error err;
    assert_int_equal(eval_err(like(col(b, 0), "ab\\", false, false, '\\'), b, &err), EM_EINVAL);
    em_batch_destroy(b);
    /* Non-constant patterns. */
    em_batch *c = batch(2, strs(3, (const char *[]){"hello", "world", "x"}),
                        strs(3, (const char *[]){"h%", "%r_d", NULL}));
    em_expr *e = NODE(EM_EXPR_LIKE, BOOLT, col(c, 0), col(c, 1));
    v = eval_ok(e, c);
    expect_bools(v, 3, (int[]){1, 1, -1});
    em_vector_unref(v);
    em_batch_destroy(c);
}

/* ---- casts ----------------------------------------------------------------------- */

static em_expr *cast(em_expr *x, em_type to, bool try_cast)
{
    em_expr *e = em_expr_new(A, EM_EXPR_CAST, to, 1);
    e->args[0] = x;
    e->try_cast = try_cast;
    return e;
}

static void test_casts(void **state)
{
    (void)state;
    em_type INT = em_type_make(EM_TYPE_INTEGER), BIG = em_type_make(EM_TYPE_BIGINT),
            DBL = em_type_make(EM_TYPE_DOUBLE), STR = em_type_make(EM_TYPE_VARCHAR),
            DATE = em_type_make(EM_TYPE_DATE), TS = em_type_make(EM_TYPE_TIMESTAMP),
            BOOL = em_type_make(EM_TYPE_BOOLEAN);
    em_batch *b = batch(1, strs(5, (const char *[]){" 42 ", "abc", NULL, "-7", "99999999999"}));
    em_error err;
    assert_int_equal(eval_err(cast(col(b, 0), INT, false), b, &err), EM_ETYPE);
    assert_string_equal(err.message, "could not convert string 'abc' to INTEGER");
    em_vector *v = eval_ok(cast(col(b, 0), INT, true), b);
    expect_ints(v, 5, (int64_t[]){42, NUL, NUL, -7, NUL});
    em_vector_unref(v);
    v = eval_ok(cast(col(b, 0), BIG, true), b);
    expect_ints(v, 5, (int64_t[]){42, NUL, NUL, -7, 99999999999LL});
    em_vector_unref(v);
    em_batch_destroy(b);

    b = batch(1, strs(1, (const char *[]){"99999999999"}));
    assert_int_equal(eval_err(cast(col(b, 0), INT, false), b, &err), EM_EOVERFLOW);
    em_batch_destroy(b);

    /* Numbers to text and back. */
    assert_int_equal(fold(cast(cint(-123), STR, false)).v.str.len, 4);
    expect_str_value(fold(cast(cint(-123), STR, false)), "-123");
    expect_str_value(fold(cast(cdbl(2.5), STR, false)), "2.5");
    expect_str_value(fold(cast(cdbl(3.0), STR, false)), "3.0");
    expect_str_value(fold(cast(em_expr_const(A, em_value_decimal(-5, 10, 2)), STR, false)),
                     "-0.05");
    expect_str_value(fold(cast(cbool(true), STR, false)), "true");
    expect_str_value(fold(cast(em_expr_const(A, em_value_date(19723)), STR, false)), "2024-01-01");
    expect_str_value(fold(cast(cast(cstr("2024-01-01 10:30:00"), TS, false), STR, false)),
                     "2024-01-01 10:30:00");
    /* Rounding half away from zero. */
    assert_int_equal(fold(cast(cdbl(2.5), INT, false)).v.i32, 3);
    assert_int_equal(fold(cast(cdbl(-2.5), INT, false)).v.i32, -3);
    assert_int_equal(fold(cast(cdbl(1e12), BIG, false)).v.i64, 1000000000000LL);
    assert_int_equal(fold_err(cast(cdbl(1e12), INT, false), &err), EM_EOVERFLOW);
    assert_true(fold(cast(cdbl(1e12), INT, true)).is_null);
    em_expr *dec = em_expr_const(A, em_value_decimal(12345, 10, 3)); /* 12.345 */
    assert_int_equal(fold(cast(dec, em_type_decimal(10, 2), false)).v.i64, 1235);
    assert_int_equal(fold(cast(dec, em_type_decimal(10, 5), false)).v.i64, 1234500);
    assert_int_equal(fold(cast(dec, INT, false)).v.i32, 12);
    assert_true(fold(cast(dec, DBL, false)).v.f64 == 12.345);
    assert_int_equal(fold_err(cast(dec, em_type_decimal(3, 2), false), &err), EM_EOVERFLOW);
    assert_int_equal(fold(cast(cdbl(1.005), em_type_decimal(10, 2), false)).v.i64, 101);
    assert_int_equal(fold(cast(cdbl(-0.125), em_type_decimal(10, 2), false)).v.i64, -13);
    assert_int_equal(fold(cast(cint(7), em_type_decimal(5, 2), false)).v.i64, 700);
    assert_int_equal(fold(cast(cstr("3.14159"), em_type_decimal(10, 2), false)).v.i64, 314);
    assert_true(fold(cast(cstr(" 1.5e3 "), DBL, false)).v.f64 == 1500.0);
    /* Booleans. */
    assert_true(fold(cast(cint(5), BOOL, false)).v.b);
    assert_int_equal(fold(cast(cbool(true), INT, false)).v.i32, 1);
    assert_true(fold(cast(cstr("yes"), BOOL, false)).v.b);
    assert_int_equal(fold_err(cast(cstr("maybe"), BOOL, false), &err), EM_ETYPE);
    /* Dates and timestamps. */
    em_value d = fold(cast(cstr("2024-02-29"), DATE, false));
    assert_int_equal(d.v.i32, em_days_from_civil(2024, 2, 29));
    assert_int_equal(fold_err(cast(cstr("2023-02-29"), DATE, false), &err), EM_ETYPE);
    /* A timestamp string keeps its date. */
    assert_int_equal(fold(cast(cstr("2026-01-24 12:29:16"), DATE, false)).v.i32,
                     em_days_from_civil(2026, 1, 24));
    em_value t = fold(cast(em_expr_const(A, d), TS, false));
    assert_int_equal(t.v.i64, (int64_t)d.v.i32 * 86400000000LL);
    em_value t2 = fold(cast(cstr("1969-12-31 23:00:00"), TS, false));
    assert_int_equal(fold(cast(em_expr_const(A, t2), DATE, false)).v.i32, -1);
    assert_int_equal(fold(cast(cstr("2024-01-01"), TS, false)).v.i64, 19723LL * 86400000000LL);
    /* Impossible pairs fail even under TRY_CAST. */
    assert_int_equal(fold_err(cast(em_expr_const(A, d), INT, true), &err), EM_ETYPE);
    assert_string_equal(err.message, "cannot cast DATE to INTEGER");
    /* NULL casts to anything. */
    assert_true(fold(cast(cnull(EM_TYPE_NULL), DATE, false)).is_null);
    /* em_expr_cast is a no-op for equal types and retypes NULL literals. */
    em_expr *x = cint(1);
    assert_ptr_equal(em_expr_cast(A, x, INT), x);
    em_expr *n = em_expr_cast(A, cnull(EM_TYPE_NULL), STR);
    assert_int_equal(n->kind, EM_EXPR_CONST);
    assert_int_equal(n->type.id, EM_TYPE_VARCHAR);
}

static void test_cast_vectors(void **state)
{
    (void)state;
    em_batch *b = batch(1, bigints(4, (int64_t[]){1, 3000000000LL, 0, -5}, (bool[]){0, 0, 1, 0}));
    em_error err;
    em_type INT = em_type_make(EM_TYPE_INTEGER);
    assert_int_equal(eval_err(cast(col(b, 0), INT, false), b, &err), EM_EOVERFLOW);
    assert_non_null(strstr(err.message, "3000000000"));
    em_vector *v = eval_ok(cast(col(b, 0), INT, true), b);
    expect_ints(v, 4, (int64_t[]){1, NUL, NUL, -5});
    em_vector_unref(v);
    v = eval_ok(cast(col(b, 0), em_type_make(EM_TYPE_VARCHAR), false), b);
    expect_row_str(v, 0, "1");
    expect_row_str(v, 1, "3000000000");
    expect_row_str(v, 2, NULL);
    expect_row_str(v, 3, "-5");
    em_vector_unref(v);
    v = eval_ok(cast(col(b, 0), em_type_decimal(18, 2), false), b);
    expect_ints(v, 4, (int64_t[]){100, 300000000000LL, NUL, -500});
    em_vector_unref(v);
    em_batch_destroy(b);
    /* Digit counts at the edges. */
    int64_t edge[] = {0, 9, 10, -10, 99999, INT64_MAX, INT64_MIN, 1000000000000000000LL};
    const char *text[] = {"0",
                          "9",
                          "10",
                          "-10",
                          "99999",
                          "9223372036854775807",
                          "-9223372036854775808",
                          "1000000000000000000"};
    b = batch(1, bigints(8, edge, NULL));
    v = eval_ok(cast(col(b, 0), em_type_make(EM_TYPE_VARCHAR), false), b);
    for (int i = 0; i < 8; i++) expect_row_str(v, i, text[i]);
    em_vector_unref(v);
    em_batch_destroy(b);
}

/* ---- constant folding ------------------------------------------------------------- */

static void test_eval_const(void **state)
{
    (void)state;
    em_value v = fold(CALL("+", cint(1), CALL("*", cint(2), cint(3))));
    assert_int_equal(v.type.id, EM_TYPE_INTEGER);
    assert_int_equal(v.v.i32, 7);
    v = fold(CALL("||", cstr("ab"), cint(12)));
    expect_str_value(v, "ab12");
    v = fold(CALL("||", cstr("ab"), cnull(EM_TYPE_NULL)));
    assert_true(v.is_null);
    assert_int_equal(v.type.id, EM_TYPE_VARCHAR);
    em_expr *e = CALL("+", cint(1), cint(1));
    assert_true(em_expr_is_foldable(e));
    em_batch *b = batch(1, ints(1, (int32_t[]){1}));
    assert_false(em_expr_is_foldable(CALL("+", col(b, 0), cint(1))));
    assert_false(em_expr_is_foldable(CALL0("random")));
    assert_false(em_expr_is_foldable(CALL0("now")));
    em_error err;
    em_value out;
    assert_true(em_expr_eval_const(col(b, 0), A, &out, &err) < 0);
    em_batch_destroy(b);
    /* Constants broadcast over a batch. */
    b = batch(1, ints(3, (int32_t[]){1, 2, 3}));
    em_vector *r = eval_ok(CALL("+", cint(1), cint(1)), b);
    expect_ints(r, 3, (int64_t[]){2, 2, 2});
    em_vector_unref(r);
    r = eval_ok(cstr("k"), b);
    expect_row_str(r, 2, "k");
    em_vector_unref(r);
    r = eval_ok(CALL0("pi"), b);
    assert_true(EM_VEC_F64(r)[2] > 3.14 && EM_VEC_F64(r)[2] < 3.15);
    em_vector_unref(r);
    r = eval_ok(CALL0("random"), b);
    for (int i = 0; i < 3; i++) assert_true(EM_VEC_F64(r)[i] >= 0 && EM_VEC_F64(r)[i] < 1);
    em_vector_unref(r);
    /* An empty batch evaluates nothing (and so cannot fail). */
    em_batch *empty = batch(1, ints(0, NULL));
    r = eval_ok(CALL("/", cint(1), cint(0)), empty);
    assert_int_equal(r->length, 0);
    em_vector_unref(r);
    em_batch_destroy(empty);
    em_batch_destroy(b);
}

/* ---- strings ---------------------------------------------------------------------- */

static void expect_fold_str(em_expr *e, const char *want)
{
    em_value v = fold(e);
    if (want == NULL) {
        assert_true(v.is_null);
        return;
    }
    if (v.is_null) fail_msg("got NULL, want '%s'", want);
    if (v.v.str.len != (int32_t)strlen(want) || memcmp(v.v.str.ptr, want, strlen(want)) != 0)
        fail_msg("got '%.*s', want '%s'", (int)v.v.str.len, v.v.str.ptr, want);
}

static int64_t fold_int(em_expr *e)
{
    em_value v = fold(e);
    assert_false(v.is_null);
    return v.type.id == EM_TYPE_INTEGER || v.type.id == EM_TYPE_DATE ? v.v.i32 : v.v.i64;
}

static void test_strings(void **state)
{
    (void)state;
    expect_fold_str(CALL("lower", cstr("HeLLo ÄÖÜ ΣΑΣ Жук")), "hello äöü σασ жук");
    expect_fold_str(CALL("upper", cstr("straße ÿ")), "STRAßE Ÿ");
    assert_int_equal(fold_int(CALL("length", cstr("héllo"))), 5);
    assert_int_equal(fold_int(CALL("char_length", cstr(""))), 0);
    assert_int_equal(fold_int(CALL("octet_length", cstr("héllo"))), 6);
    expect_fold_str(CALL("substring", cstr("héllo"), cint(2), cint(3)), "éll");
    expect_fold_str(CALL("substring", cstr("hello"), cint(0), cint(3)), "he");
    expect_fold_str(CALL("substring", cstr("hello"), cint(-5), cint(3)), "");
    expect_fold_str(CALL("substr", cstr("hello"), cint(3)), "llo");
    expect_fold_str(CALL("substring", cstr("hello"), cint(9)), "");
    em_error err;
    assert_int_equal(fold_err(CALL("substring", cstr("x"), cint(1), cint(-1)), &err), EM_EINVAL);
    assert_int_equal(fold_int(CALL("position", cstr("héllo"), cstr("llo"))), 3);
    assert_int_equal(fold_int(CALL("strpos", cstr("hello"), cstr("z"))), 0);
    assert_int_equal(fold_int(CALL("strpos", cstr("hello"), cstr(""))), 1);
    expect_fold_str(CALL("trim", cstr("  a b  ")), "a b");
    expect_fold_str(CALL("ltrim", cstr("  a  ")), "a  ");
    expect_fold_str(CALL("rtrim", cstr("  a  ")), "  a");
    expect_fold_str(CALL("btrim", cstr("xxaxyx"), cstr("xy")), "a");
    expect_fold_str(CALL("trim", cstr("ééaé"), cstr("é")), "a");
    expect_fold_str(CALL("replace", cstr("abcabc"), cstr("b"), cstr("XX")), "aXXcaXXc");
    expect_fold_str(CALL("replace", cstr("abc"), cstr(""), cstr("X")), "abc");
    expect_fold_str(CALL("concat", cstr("a"), cnull(EM_TYPE_NULL), cint(1), cdbl(2.5)), "a12.5");
    expect_fold_str(CALL("concat_ws", cstr("-"), cstr("a"), cnull(EM_TYPE_VARCHAR), cstr("b")),
                    "a-b");
    expect_fold_str(CALL("left", cstr("héllo"), cint(2)), "hé");
    expect_fold_str(CALL("left", cstr("hello"), cint(-2)), "hel");
    expect_fold_str(CALL("right", cstr("hello"), cint(2)), "lo");
    expect_fold_str(CALL("right", cstr("hello"), cint(-2)), "llo");
    expect_fold_str(CALL("reverse", cstr("héllo")), "olléh");
    expect_fold_str(CALL("repeat", cstr("ab"), cint(3)), "ababab");
    expect_fold_str(CALL("repeat", cstr("ab"), cint(-1)), "");
    expect_fold_str(CALL("lpad", cstr("hi"), cint(5), cstr("xy")), "xyxhi");
    expect_fold_str(CALL("rpad", cstr("hi"), cint(5)), "hi   ");
    expect_fold_str(CALL("lpad", cstr("hello"), cint(3)), "hel");
    expect_fold_str(CALL("split_part", cstr("a,b,,c"), cstr(","), cint(2)), "b");
    expect_fold_str(CALL("split_part", cstr("a,b,,c"), cstr(","), cint(3)), "");
    expect_fold_str(CALL("split_part", cstr("a,b,,c"), cstr(","), cint(-1)), "c");
    expect_fold_str(CALL("split_part", cstr("a,b"), cstr(","), cint(5)), "");
    assert_int_equal(fold_err(CALL("split_part", cstr("a"), cstr(","), cint(0)), &err), EM_EINVAL);
    assert_true(fold(CALL("starts_with", cstr("hello"), cstr("he"))).v.b);
    assert_false(fold(CALL("starts_with", cstr("hello"), cstr("lo"))).v.b);
    assert_true(fold(CALL("ends_with", cstr("hello"), cstr("lo"))).v.b);
    assert_true(fold(CALL("contains", cstr("hello"), cstr("ell"))).v.b);
    assert_false(fold(CALL("contains", cstr("hello"), cstr("elo"))).v.b);
    assert_int_equal(fold_int(CALL("ascii", cstr("é"))), 0xE9);
    expect_fold_str(CALL("chr", cint(0x20AC)), "€");
    expect_fold_str(CALL("lower", cnull(EM_TYPE_NULL)), NULL);

    /* Over a column with NULLs and a constant argument. */
    em_batch *b = batch(1, strs(4, (const char *[]){"Alpha", NULL, "", "bÉta"}));
    em_vector *v = eval_ok(CALL("upper", col(b, 0)), b);
    expect_row_str(v, 0, "ALPHA");
    expect_row_str(v, 1, NULL);
    expect_row_str(v, 2, "");
    expect_row_str(v, 3, "BÉTA");
    em_vector_unref(v);
    v = eval_ok(CALL("substring", col(b, 0), cint(2), cint(2)), b);
    expect_row_str(v, 0, "lp");
    expect_row_str(v, 1, NULL);
    expect_row_str(v, 2, "");
    expect_row_str(v, 3, "Ét");
    em_vector_unref(v);
    v = eval_ok(CALL("||", col(b, 0), cstr("!")), b);
    expect_row_str(v, 0, "Alpha!");
    expect_row_str(v, 1, NULL);
    em_vector_unref(v);
    v = eval_ok(CALL("length", col(b, 0)), b);
    expect_ints(v, 4, (int64_t[]){5, NUL, 0, 4});
    em_vector_unref(v);
    em_batch_destroy(b);
}

/* ---- math -------------------------------------------------------------------------- */

static double fold_dbl(em_expr *e)
{
    em_value v = fold(e);
    assert_false(v.is_null);
    assert_int_equal(v.type.id, EM_TYPE_DOUBLE);
    return v.v.f64;
}

static void test_math(void **state)
{
    (void)state;
    em_error err;
    assert_int_equal(fold_int(CALL("abs", cint(-4))), 4);
    assert_true(fold_dbl(CALL("abs", cdbl(-2.5))) == 2.5);
    assert_int_equal(fold_int(CALL("sign", cdbl(-2.5))), -1);
    assert_int_equal(fold_int(CALL("sign", cint(0))), 0);
    assert_true(fold_dbl(CALL("round", cdbl(2.5))) == 3.0);
    assert_true(fold_dbl(CALL("round", cdbl(-2.5))) == -3.0);
    assert_true(fold_dbl(CALL("round", cdbl(1.2345), cint(2))) == 1.23);
    assert_true(fold_dbl(CALL("round", cdbl(1234.5), cint(-2))) == 1200.0);
    assert_int_equal(fold_int(CALL("round", cint(1250), cint(-2))), 1300);
    assert_int_equal(fold_int(CALL("round", cint(17))), 17);
    em_expr *dec = em_expr_const(A, em_value_decimal(-12345, 10, 3)); /* -12.345 */
    em_value v = fold(CALL("round", dec));
    assert_true(em_type_equal(v.type, em_type_decimal(8, 0)));
    assert_int_equal(v.v.i64, -12);
    v = fold(CALL("round", dec, cint(2)));
    assert_true(em_type_equal(v.type, em_type_decimal(10, 3)));
    assert_int_equal(v.v.i64, -12350);
    assert_int_equal(fold(CALL("floor", dec)).v.i64, -13);
    assert_int_equal(fold(CALL("ceil", dec)).v.i64, -12);
    assert_int_equal(fold(CALL("trunc", dec)).v.i64, -12);
    assert_int_equal(fold(CALL("abs", dec)).v.i64, 12345);
    assert_true(fold_dbl(CALL("floor", cdbl(-1.5))) == -2.0);
    assert_true(fold_dbl(CALL("ceiling", cdbl(1.2))) == 2.0);
    assert_true(fold_dbl(CALL("sqrt", cint(16))) == 4.0);
    assert_int_equal(fold_err(CALL("sqrt", cdbl(-1)), &err), EM_EINVAL);
    assert_string_equal(err.message, "cannot take square root of a negative number");
    assert_true(fold_dbl(CALL("power", cint(2), cint(10))) == 1024.0);
    assert_true(fold_dbl(CALL("pow", cdbl(4), cdbl(0.5))) == 2.0);
    assert_int_equal(fold_err(CALL("power", cint(0), cint(-1)), &err), EM_EINVAL);
    assert_int_equal(fold_err(CALL("power", cdbl(10), cdbl(400)), &err), EM_EOVERFLOW);
    assert_true(fold_dbl(CALL("ln", CALL("exp", cint(1)))) == 1.0);
    assert_true(fold_dbl(CALL("log10", cint(1000))) == 3.0);
    assert_true(fold_dbl(CALL("log", cint(2), cint(8))) == 3.0);
    assert_int_equal(fold_err(CALL("ln", cint(0)), &err), EM_EINVAL);
    assert_string_equal(err.message, "cannot take logarithm of zero");
    assert_int_equal(fold_err(CALL("exp", cint(1000)), &err), EM_EOVERFLOW);
    assert_int_equal(fold_int(CALL("mod", cint(17), cint(5))), 2);
    assert_int_equal(fold_int(CALL("mod", cint(-17), cint(5))), -2);
    assert_true(fold(CALL("sqrt", cnull(EM_TYPE_NULL))).is_null);

    /* NULL rows never fail: sqrt over a column whose NULL slot is negative. */
    em_vector *x = doubles(2, (double[]){4.0, -1.0});
    em_vector_set_null(x, 1);
    em_batch *b = batch(1, x);
    em_vector *r = eval_ok(CALL("sqrt", col(b, 0)), b);
    assert_true(EM_VEC_F64(r)[0] == 2.0);
    assert_false(em_vector_is_valid(r, 1));
    em_vector_unref(r);
    em_batch_destroy(b);
}

/* ---- dates ---------------------------------------------------------------------- */

static void test_dates(void **state)
{
    (void)state;
    em_value ts;
    em_error err;
    assert_int_equal(em_value_cast(A, em_value_varchar("2024-03-15 13:45:30.250", 23),
                                   em_type_make(EM_TYPE_TIMESTAMP), &ts, &err),
                     0);
    em_expr *t = em_expr_const(A, ts);
    em_expr *d = em_expr_const(A, em_value_date(em_days_from_civil(2024, 3, 15))); /* a Friday */
    struct {
        const char *part;
        int64_t want_ts, want_date;
    } parts[] = {
        {"year", 2024, 2024},
        {"quarter", 1, 1},
        {"month", 3, 3},
        {"week", 11, 11},
        {"day", 15, 15},
        {"dow", 5, 5},
        {"isodow", 5, 5},
        {"doy", 75, 75},
        {"hour", 13, 0},
        {"minute", 45, 0},
        {"second", 30, 0},
        {"millisecond", 30250, 0},
        {"microsecond", 30250000, 0},
        {"epoch", 1710510330, 1710460800},
        {"YEAR", 2024, 2024},
    };
    for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
        int64_t a = fold_int(CALL("date_part", cstr(parts[k].part), t));
        int64_t b = fold_int(CALL("date_part", cstr(parts[k].part), d));
        if (a != parts[k].want_ts || b != parts[k].want_date)
            fail_msg("%s: got %lld / %lld", parts[k].part, (long long)a, (long long)b);
    }
    assert_int_equal(fold_int(CALL("year", d)), 2024);
    assert_int_equal(fold_int(CALL("month", t)), 3);
    assert_int_equal(fold_int(CALL("dayofweek", d)), 5);
    assert_int_equal(fold_int(CALL("dayofyear", d)), 75);
    assert_int_equal(fold_int(CALL("year", cstr("1999-12-31"))), 1999);
    assert_int_equal(fold_err(CALL("date_part", cstr("fortnight"), d), &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "fortnight"));
    /* ISO week edge: 2021-01-03 belongs to week 53 of 2020. */
    em_expr *jan3 = em_expr_const(A, em_value_date(em_days_from_civil(2021, 1, 3)));
    assert_int_equal(fold_int(CALL("week", jan3)), 53);
    assert_int_equal(fold_int(CALL("dayofweek", jan3)), 0);
    assert_int_equal(fold_int(CALL("isodow", jan3)), 7);

    /* date_trunc keeps DATE for DATE input. */
    em_value v = fold(CALL("date_trunc", cstr("month"), d));
    assert_int_equal(v.type.id, EM_TYPE_DATE);
    assert_int_equal(v.v.i32, em_days_from_civil(2024, 3, 1));
    v = fold(CALL("date_trunc", cstr("week"), d));
    assert_int_equal(v.v.i32, em_days_from_civil(2024, 3, 11));
    v = fold(CALL("date_trunc", cstr("quarter"), d));
    assert_int_equal(v.v.i32, em_days_from_civil(2024, 1, 1));
    v = fold(CALL("date_trunc", cstr("hour"), t));
    assert_int_equal(v.type.id, EM_TYPE_TIMESTAMP);
    assert_int_equal(v.v.i64, (int64_t)em_days_from_civil(2024, 3, 15) * 86400000000LL +
                                  13LL * 3600000000LL);
    v = fold(CALL("date_trunc", cstr("year"), t));
    assert_int_equal(v.v.i64, (int64_t)em_days_from_civil(2024, 1, 1) * 86400000000LL);
    assert_int_equal(fold_err(CALL("date_trunc", cstr("dow"), d), &err), EM_EINVAL);

    em_expr *d2 = em_expr_const(A, em_value_date(em_days_from_civil(2025, 1, 2)));
    assert_int_equal(fold_int(CALL("date_diff", cstr("day"), d, d2)), 293);
    assert_int_equal(fold_int(CALL("date_diff", cstr("month"), d, d2)), 10);
    assert_int_equal(fold_int(CALL("date_diff", cstr("year"), d, d2)), 1);
    assert_int_equal(fold_int(CALL("datediff", cstr("year"), d2, d)), -1);
    v = fold(CALL("make_date", cint(2024), cint(2), cint(29)));
    assert_int_equal(v.v.i32, em_days_from_civil(2024, 2, 29));
    assert_int_equal(fold_err(CALL("make_date", cint(2023), cint(2), cint(29)), &err), EM_EINVAL);
    v = fold(CALL("date_add", d, cint(20)));
    assert_int_equal(v.v.i32, em_days_from_civil(2024, 4, 4));
    v = fold(CALL("last_day", d));
    assert_int_equal(v.v.i32, em_days_from_civil(2024, 3, 31));
    v = fold(CALL0("current_date"));
    assert_int_equal(v.type.id, EM_TYPE_DATE);
    assert_true(v.v.i32 > em_days_from_civil(2020, 1, 1));
    v = fold(CALL0("now"));
    assert_int_equal(v.type.id, EM_TYPE_TIMESTAMP);

    /* Over a column with NULLs (and a non-constant part). */
    em_vector *dv = em_vector_create(em_type_make(EM_TYPE_DATE), 3);
    em_vector_append_i32(dv, em_days_from_civil(1969, 12, 31));
    em_vector_append_null(dv);
    em_vector_append_i32(dv, em_days_from_civil(2000, 2, 29));
    em_batch *b = batch(2, dv, strs(3, (const char *[]){"month", "day", "year"}));
    em_vector *r = eval_ok(CALL("year", col(b, 0)), b);
    expect_ints(r, 3, (int64_t[]){1969, NUL, 2000});
    em_vector_unref(r);
    r = eval_ok(CALL("date_part", col(b, 1), col(b, 0)), b);
    expect_ints(r, 3, (int64_t[]){12, NUL, 2000});
    em_vector_unref(r);
    em_batch_destroy(b);
}

/* ---- structure --------------------------------------------------------------------- */

static void test_format_equal_copy(void **state)
{
    (void)state;
    em_batch *b = batch(2, ints(1, (int32_t[]){1}), strs(1, (const char *[]){"x"}));
    const char *names[] = {"amount", "name"};
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_expr *p = CALL(">", col(b, 0), cint(100));
    em_expr_format(p, names, &sb);
    assert_string_equal(sb.data, "(amount > 100)");
    em_strbuf_clear(&sb);
    em_expr_format(p, NULL, &sb);
    assert_string_equal(sb.data, "(#0 > 100)");
    em_strbuf_clear(&sb);
    em_expr *c = NODE(EM_EXPR_CASE, em_type_make(EM_TYPE_VARCHAR), p, cstr("it's"),
                      CALL("lower", col(b, 1)));
    em_expr_format(c, names, &sb);
    assert_string_equal(sb.data, "CASE WHEN (amount > 100) THEN 'it''s' ELSE lower(name) END");
    em_strbuf_clear(&sb);
    em_expr_format(cast(col(b, 1), em_type_make(EM_TYPE_DATE), false), names, &sb);
    assert_string_equal(sb.data, "CAST(name AS DATE)");
    em_strbuf_clear(&sb);
    em_expr *l = like(col(b, 1), "a%", false, true, 0);
    em_expr *conj = NODE(EM_EXPR_AND, BOOLT, l, NODE(EM_EXPR_IS_NULL, BOOLT, col(b, 0)));
    em_expr_format(conj, names, &sb);
    assert_string_equal(sb.data, "((name NOT LIKE 'a%') AND (amount IS NULL))");
    em_strbuf_clear(&sb);
    em_expr_format(CALL("neg", col(b, 0)), names, &sb);
    assert_string_equal(sb.data, "(- amount)");
    em_strbuf_clear(&sb);
    em_expr_format(em_expr_const(A, em_value_date(0)), names, &sb);
    assert_string_equal(sb.data, "DATE '1970-01-01'");
    em_strbuf_release(&sb);

    /* Equality, copies and column remapping. */
    em_expr *p2 = CALL(">", col(b, 0), cint(100));
    assert_true(em_expr_equal(p, p2));
    assert_false(em_expr_equal(p, CALL(">", col(b, 0), cint(101))));
    assert_false(em_expr_equal(p, CALL(">=", col(b, 0), cint(100))));
    em_expr *cp = em_expr_copy(A, c);
    assert_true(em_expr_equal(cp, c));
    int map[2] = {1, 0};
    em_expr_remap_columns(cp, map);
    assert_false(em_expr_equal(cp, c));
    assert_int_equal(cp->args[0]->args[0]->column, 1);
    assert_int_equal(c->args[0]->args[0]->column, 0);
    assert_true(em_expr_is_const(cint(1)));
    em_batch_destroy(b);
}

/* A batch bigger than one bitmap word, with NULLs, through several paths. */
static void test_larger_batch(void **state)
{
    (void)state;
    const int n = 2048;
    em_vector *x = em_vector_create(em_type_make(EM_TYPE_INTEGER), n);
    em_vector *s = em_vector_create(em_type_make(EM_TYPE_VARCHAR), n);
    for (int i = 0; i < n; i++) {
        if (i % 7 == 3)
            em_vector_append_null(x);
        else
            em_vector_append_i32(x, i % 100);
        char buf[16];
        int len = snprintf(buf, sizeof(buf), "k%d", i % 10);
        em_vector_append_str(s, buf, len);
    }
    em_batch *b = batch(2, x, s);
    int32_t *sel = malloc(sizeof(int32_t) * n);
    int64_t k;
    em_error err;
    em_expr *p =
        NODE(EM_EXPR_AND, BOOLT, CALL(">=", col(b, 0), cint(50)), CALL("=", col(b, 1), cstr("k5")));
    assert_int_equal(em_expr_select(p, b, sel, &k, &err), 0);
    int64_t want = 0;
    for (int i = 0; i < n; i++) want += i % 7 != 3 && i % 100 >= 50 && i % 10 == 5;
    assert_int_equal(k, want);
    for (int64_t j = 0; j < k; j++) {
        assert_true(sel[j] % 100 >= 50 && sel[j] % 10 == 5);
        if (j > 0) assert_true(sel[j] > sel[j - 1]);
    }
    /* CASE over the whole batch with a lazy division. */
    em_expr *div = CALL("/", cint(1000), col(b, 0));
    em_expr *c =
        NODE(EM_EXPR_CASE, div->type, CALL("<>", col(b, 0), cint(0)), div, cnull(EM_TYPE_DOUBLE));
    em_vector *v = eval_ok(c, b);
    for (int i = 0; i < n; i++) {
        bool valid = i % 7 != 3 && i % 100 != 0;
        assert_int_equal(em_vector_is_valid(v, i), valid);
        if (valid) assert_true(EM_VEC_F64(v)[i] == 1000.0 / (i % 100));
    }
    em_vector_unref(v);
    free(sel);
    em_batch_destroy(b);
}

/* Every overload of every function, with NULL arguments (as constants and as
 * columns of NULLs): no crash, no error, and a NULL result unless the
 * function is one of the few non-strict ones. */
static void test_null_sweep(void **state)
{
    (void)state;
    const em__func_table *tables[] = {&em__funcs_arith, &em__funcs_compare, &em__funcs_string,
                                      &em__funcs_date, &em__funcs_math};
    int checked = 0;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (int k = 0; k < tables[t]->count; k++) {
            const em_func *f = &tables[t]->defs[k].f;
            if (f->nargs == 0) continue;
            int nargs = f->nargs < 0 ? 3 : f->nargs;
            for (int as_column = 0; as_column < 2; as_column++) {
                em_batch *b = em_batch_create(nargs);
                em_type types[4], cast_to[4], ret;
                for (int i = 0; i < nargs; i++) {
                    em_type pt = f->nargs < 0 ? f->arg_types[0] : f->arg_types[i];
                    if (pt.id == EM_TYPE_DECIMAL) pt = em_type_decimal(10, 2);
                    types[i] = pt;
                    em_vector *v = em_vector_create(pt, 3);
                    for (int r = 0; r < 3; r++) em_vector_append_null(v);
                    em_batch_set_col(b, i, v);
                }
                const em_func *g;
                em_error err;
                if (em_func_resolve(f->name, nargs, types, &g, cast_to, &ret, &err) != 0)
                    fail_msg("%s: %s", f->name, err.message);
                /* Resolution may pick an earlier overload; call this one directly. */
                em_expr *e = em_expr_new(A, EM_EXPR_CALL, ret, nargs);
                e->func = f;
                for (int i = 0; i < nargs; i++) {
                    em_value nv = em_value_null(types[i]);
                    e->args[i] = as_column ? em_expr_column(A, i, types[i]) : em_expr_const(A, nv);
                }
                if (!em_type_equal(g->ret, f->ret) && g->ret.id != EM_TYPE_DECIMAL)
                    e->type = f->ret;
                em_vector *v = NULL;
                int rc = em_expr_eval(e, b, &v, &err);
                if (rc != 0) fail_msg("%s over NULLs failed: %s", f->name, err.message);
                bool strict = strcmp(f->name, "concat") != 0 &&
                              strcmp(f->name, "is_distinct") != 0 &&
                              strcmp(f->name, "is_not_distinct") != 0;
                for (int r = 0; r < 3; r++)
                    if (strict && em_vector_is_valid(v, r))
                        fail_msg("%s(NULL...) row %d is not NULL", f->name, r);
                if (!strict && !em_vector_is_valid(v, 0))
                    fail_msg("%s(NULL...) should not be NULL", f->name);
                em_vector_unref(v);
                em_batch_destroy(b);
                checked++;
            }
        }
    }
    assert_true(checked > 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arith_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_division, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decimal_arith, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_arith, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agg_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_valued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_and_short_circuit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_lazy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coalesce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_distinct_greatest_nullif, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_like, setup, teardown),
        cmocka_unit_test_setup_teardown(test_casts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cast_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_const, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_math, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_equal_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_larger_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_sweep, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

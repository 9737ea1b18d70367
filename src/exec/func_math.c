/*
 * func_math.c — numeric functions: abs, sign, round, floor, ceil, trunc,
 * sqrt, cbrt, power, logarithms, exp, trigonometry, pi and random.
 *
 * Exact types stay exact: round/floor/ceil/trunc of INTEGER and BIGINT keep
 * the type; of DECIMAL(p,s) they give DECIMAL(p-s+1, 0) (one more digit for a
 * carry), except round(x, d), whose result type must be known before d is,
 * so it keeps DECIMAL(p,s) and zeroes the digits below 10^-d. DOUBLE rounding
 * is half away from zero, like the exact types.
 *
 * Domain errors are reported like PostgreSQL (square root of a negative
 * number, logarithm of zero, ...) and DOUBLE overflow to infinity is an error.
 */
#include <math.h>
#include <time.h>

#include "exec/expr_int.h"

#define MSG_INT "integer out of range"
#define MSG_DEC "DECIMAL out of range"

/* Unary kernel over a typed loop with a failure flag; CHECK(v) gives an
 * error code (0 ok), MSG(v) its message. The flagged batch is re-checked
 * row by row so that NULL slots never fail. */
#define UNARY(NAME, TA, TR, EXPR, CHECK, CODE, MSG)                                                \
    static EM__KERNEL(NAME)                                                                        \
    {                                                                                              \
        em_vector *a = args[0];                                                                    \
        em_vector *r = em__vec_new(call->type, n);                                                 \
        em__vec_copy_validity(r, a, n);                                                            \
        const TA *x = (const TA *)a->data;                                                         \
        TR *z = (TR *)r->data;                                                                     \
        int bad = 0;                                                                               \
        for (int64_t i = 0; i < n; i++) {                                                          \
            TA v = x[EM__IX(a, i)];                                                                \
            int b = (CHECK);                                                                       \
            bad |= b;                                                                              \
            z[i] = b ? (TR)0 : (TR)(EXPR);                                                         \
        }                                                                                          \
        if (EM_UNLIKELY(bad)) {                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TA v = x[EM__IX(a, i)];                                                            \
                (void)v;                                                                           \
                if (em_vector_is_valid(r, i) && (CHECK)) {                                         \
                    em_vector_unref(r);                                                            \
                    return em_error_set(err, CODE, "%s", MSG);                                     \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        *out = r;                                                                                  \
        return 0;                                                                                  \
    }

/* ---- abs / sign ---------------------------------------------------------------------- */

UNARY(k_abs_i32, int32_t, int32_t, v < 0 ? -v : v, v == INT32_MIN, EM_EOVERFLOW, MSG_INT)
UNARY(k_abs_i64, int64_t, int64_t, v < 0 ? -v : v, v == INT64_MIN, EM_EOVERFLOW, MSG_INT)
UNARY(k_abs_dec, int64_t, int64_t, v < 0 ? -v : v, v == INT64_MIN, EM_EOVERFLOW, MSG_DEC)
UNARY(k_abs_f64, double, double, fabs(v), 0, EM_EOVERFLOW, "")
UNARY(k_sign_i32, int32_t, int32_t, (v > 0) - (v < 0), 0, EM_EOVERFLOW, "")
UNARY(k_sign_i64, int64_t, int32_t, (v > 0) - (v < 0), 0, EM_EOVERFLOW, "")
UNARY(k_sign_f64, double, int32_t, (v > 0) - (v < 0), 0, EM_EOVERFLOW, "")

/* ---- rounding -------------------------------------------------------------------------- */

/* Identity for integers rounded to an integer. */
static EM__KERNEL(k_identity)
{
    EM_UNUSED(n);
    EM_UNUSED(call);
    EM_UNUSED(err);
    *out = em_vector_ref(args[0]);
    return 0;
}

static inline int64_t floor_pow10(int64_t v, int k)
{
    return em__floor_div(v, em_pow10[k]);
}

static inline int64_t ceil_pow10(int64_t v, int k)
{
    return -em__floor_div(-v, em_pow10[k]);
}

/* DECIMAL(p,s) to an integral DECIMAL(p', 0); the scale comes from the argument. */
#define DEC_TO_INT(NAME, FN)                                                                       \
    static EM__KERNEL(NAME)                                                                        \
    {                                                                                              \
        EM_UNUSED(err);                                                                            \
        em_vector *a = args[0];                                                                    \
        const int s = a->type.scale;                                                               \
        em_vector *r = em__vec_new(call->type, n);                                                 \
        em__vec_copy_validity(r, a, n);                                                            \
        const int64_t *x = EM_VEC_I64(a);                                                          \
        int64_t *z = EM_VEC_I64(r);                                                                \
        for (int64_t i = 0; i < n; i++) z[i] = FN(x[EM__IX(a, i)], s);                             \
        *out = r;                                                                                  \
        return 0;                                                                                  \
    }

static inline int64_t trunc_pow10(int64_t v, int k)
{
    return v / em_pow10[k];
}

DEC_TO_INT(k_round_dec, em__div_round_pow10)
DEC_TO_INT(k_floor_dec, floor_pow10)
DEC_TO_INT(k_ceil_dec, ceil_pow10)
DEC_TO_INT(k_trunc_dec, trunc_pow10)

UNARY(k_round_f64, double, double, round(v), 0, EM_EOVERFLOW, "")
UNARY(k_floor_f64, double, double, floor(v), 0, EM_EOVERFLOW, "")
UNARY(k_ceil_f64, double, double, ceil(v), 0, EM_EOVERFLOW, "")
UNARY(k_trunc_f64, double, double, trunc(v), 0, EM_EOVERFLOW, "")

static double round_digits(double x, int64_t d)
{
    if (!isfinite(x)) return x;
    if (d >= 0) {
        if (d > 22) return x;
        double p = pow(10.0, (double)d);
        double y = x * p;
        if (!isfinite(y)) return x;
        return round(y) / p;
    }
    if (d < -308) return 0.0;
    double p = pow(10.0, (double)-d);
    return round(x / p) * p;
}

/* round(DOUBLE, d) */
static EM__KERNEL(k_round_f64_d)
{
    EM_UNUSED(err);
    em_vector *a = args[0], *dv = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    const double *x = EM_VEC_F64(a);
    const int32_t *d = EM_VEC_I32(dv);
    double *z = EM_VEC_F64(r);
    for (int64_t i = 0; i < n; i++) z[i] = round_digits(x[EM__IX(a, i)], d[EM__IX(dv, i)]);
    *out = r;
    return 0;
}

/* Round an unscaled value to a multiple of 10^k, half away from zero. */
static inline int round_to_pow10(int64_t v, int64_t k, int64_t *z)
{
    if (k <= 0) {
        *z = v;
        return 0;
    }
    if (k > 18) {
        *z = 0;
        return 0;
    }
    return __builtin_mul_overflow(em__div_round_pow10(v, (int)k), em_pow10[k], z);
}

/* round(DECIMAL(p,s), d): same type, digits below 10^-d zeroed; round(INTEGER
 * or BIGINT, d): d < 0 rounds to tens, hundreds, ... */
static int round_exact(const em_expr *call, em_vector **args, int64_t n, em_vector **out,
                       em_error *err, int scale, bool narrow, const char *msg)
{
    em_vector *a = args[0], *dv = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    const int32_t *d = EM_VEC_I32(dv);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = narrow ? EM_VEC_I32(a)[EM__IX(a, i)] : EM_VEC_I64(a)[EM__IX(a, i)];
        int64_t t;
        int bad = round_to_pow10(v, (int64_t)scale - d[EM__IX(dv, i)], &t);
        if (narrow && !bad) bad = t < INT32_MIN || t > INT32_MAX;
        if (bad && em_vector_is_valid(r, i)) {
            em_vector_unref(r);
            return em_error_set(err, EM_EOVERFLOW, "%s", msg);
        }
        if (narrow)
            EM_VEC_I32(r)[i] = bad ? 0 : (int32_t)t;
        else
            EM_VEC_I64(r)[i] = bad ? 0 : t;
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_round_dec_d)
{
    return round_exact(call, args, n, out, err, args[0]->type.scale, false, MSG_DEC);
}

static EM__KERNEL(k_round_i64_d)
{
    return round_exact(call, args, n, out, err, 0, false, MSG_INT);
}

static EM__KERNEL(k_round_i32_d)
{
    return round_exact(call, args, n, out, err, 0, true, MSG_INT);
}

/* ---- powers and logarithms ---------------------------------------------------------- */

UNARY(k_sqrt, double, double, sqrt(v), v < 0, EM_EINVAL,
      "cannot take square root of a negative number")
UNARY(k_cbrt, double, double, cbrt(v), 0, EM_EINVAL, "")
UNARY(k_exp, double, double, exp(v), isfinite(v) && !isfinite(exp(v)), EM_EOVERFLOW,
      "value out of range: overflow")
UNARY(k_ln, double, double, log(v), v <= 0, EM_EINVAL,
      v == 0 ? "cannot take logarithm of zero" : "cannot take logarithm of a negative number")
UNARY(k_log10, double, double, log10(v), v <= 0, EM_EINVAL,
      v == 0 ? "cannot take logarithm of zero" : "cannot take logarithm of a negative number")
UNARY(k_log2, double, double, log2(v), v <= 0, EM_EINVAL,
      v == 0 ? "cannot take logarithm of zero" : "cannot take logarithm of a negative number")

/* 0 when x^y is defined, else an EM_E* code with *msg set. */
static inline int pow_check(double x, double y, const char **msg)
{
    if (x == 0 && y < 0) {
        *msg = "zero raised to a negative power is undefined";
        return EM_EINVAL;
    }
    if (x < 0 && isfinite(y) && floor(y) != y) {
        *msg = "a negative number raised to a non-integer power yields a complex result";
        return EM_EINVAL;
    }
    if (isfinite(x) && isfinite(y) && !isfinite(pow(x, y))) {
        *msg = "value out of range: overflow";
        return EM_EOVERFLOW;
    }
    return 0;
}

static EM__KERNEL(k_power)
{
    em_vector *a = args[0], *b = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    const double *x = EM_VEC_F64(a), *y = EM_VEC_F64(b);
    double *z = EM_VEC_F64(r);
    for (int64_t i = 0; i < n; i++) {
        double u = x[EM__IX(a, i)], v = y[EM__IX(b, i)];
        const char *msg = NULL;
        int code = pow_check(u, v, &msg);
        if (code != 0) {
            z[i] = 0;
            if (!em_vector_is_valid(r, i)) continue;
            em_vector_unref(r);
            return em_error_set(err, code, "%s", msg);
        }
        z[i] = pow(u, v);
    }
    *out = r;
    return 0;
}

/* log(b, x): logarithm of x to base b. */
static EM__KERNEL(k_log_base)
{
    em_vector *a = args[0], *b = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    const double *base = EM_VEC_F64(a), *x = EM_VEC_F64(b);
    double *z = EM_VEC_F64(r);
    for (int64_t i = 0; i < n; i++) {
        double bb = base[EM__IX(a, i)], v = x[EM__IX(b, i)];
        const char *msg = NULL;
        int code = 0;
        if (bb <= 0 || v <= 0) {
            msg = (bb == 0 || v == 0) ? "cannot take logarithm of zero"
                                      : "cannot take logarithm of a negative number";
            code = EM_EINVAL;
        } else if (bb == 1) {
            msg = "division by zero";
            code = EM_EDIVZERO;
        }
        if (code != 0) {
            z[i] = 0;
            if (!em_vector_is_valid(r, i)) continue;
            em_vector_unref(r);
            return em_error_set(err, code, "%s", msg);
        }
        z[i] = log(v) / log(bb);
    }
    *out = r;
    return 0;
}

/* ---- trigonometry ----------------------------------------------------------------------- */

UNARY(k_sin, double, double, sin(v), 0, EM_EINVAL, "")
UNARY(k_cos, double, double, cos(v), 0, EM_EINVAL, "")
UNARY(k_tan, double, double, tan(v), 0, EM_EINVAL, "")
UNARY(k_asin, double, double, asin(v), v<-1 || v> 1, EM_EINVAL, "input is out of range")
UNARY(k_acos, double, double, acos(v), v<-1 || v> 1, EM_EINVAL, "input is out of range")
UNARY(k_atan, double, double, atan(v), 0, EM_EINVAL, "")
UNARY(k_degrees, double, double, v *(180.0 / M_PI), 0, EM_EINVAL, "")
UNARY(k_radians, double, double, v *(M_PI / 180.0), 0, EM_EINVAL, "")

static EM__KERNEL(k_atan2)
{
    EM_UNUSED(err);
    em_vector *a = args[0], *b = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    double *z = EM_VEC_F64(r);
    for (int64_t i = 0; i < n; i++)
        z[i] = atan2(EM_VEC_F64(a)[EM__IX(a, i)], EM_VEC_F64(b)[EM__IX(b, i)]);
    *out = r;
    return 0;
}

static EM__KERNEL(k_pi)
{
    EM_UNUSED(args);
    EM_UNUSED(err);
    em_vector *r = em__vec_new(call->type, n);
    for (int64_t i = 0; i < n; i++) EM_VEC_F64(r)[i] = M_PI;
    *out = r;
    return 0;
}

/* random(): uniform in [0, 1). Each thread has its own xorshift state, seeded
 * from the clock and the state's address, so tasks never contend. */
static _Thread_local uint64_t rng_state;

static EM__KERNEL(k_random)
{
    EM_UNUSED(args);
    EM_UNUSED(err);
    if (rng_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        rng_state = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ (uint64_t)&rng_state;
        if (rng_state == 0) rng_state = 0x9e3779b97f4a7c15ULL;
    }
    em_vector *r = em__vec_new(call->type, n);
    uint64_t s = rng_state;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        EM_VEC_F64(r)[i] = (double)(s >> 11) * (1.0 / 9007199254740992.0);
    }
    rng_state = s;
    *out = r;
    return 0;
}

/* ---- registry ----------------------------------------------------------------------------- */

#define I EM__TI
#define L EM__TL
#define F EM__TF
#define D EM__TD
#define FIX EM__RET_FIXED
#define ARG0 EM__RET_ARG0
#define DINT EM__RET_DEC_INT
#define SAFE EM__FN_SAFE

static const em__func_def defs[] = {
    EM__FN("abs", 1, I, k_abs_i32, FIX, 0, I),
    EM__FN("abs", 1, L, k_abs_i64, FIX, 0, L),
    EM__FN("abs", 1, D, k_abs_dec, ARG0, 0, D),
    EM__FN("abs", 1, F, k_abs_f64, FIX, SAFE, F),
    EM__FN("sign", 1, I, k_sign_i32, FIX, SAFE, I),
    EM__FN("sign", 1, I, k_sign_i64, FIX, SAFE, L),
    EM__FN("sign", 1, I, k_sign_i64, FIX, SAFE, D),
    EM__FN("sign", 1, I, k_sign_f64, FIX, SAFE, F),
    EM__FN("round", 1, I, k_identity, FIX, SAFE, I),
    EM__FN("round", 1, L, k_identity, FIX, SAFE, L),
    EM__FN("round", 1, D, k_round_dec, DINT, SAFE, D),
    EM__FN("round", 1, F, k_round_f64, FIX, SAFE, F),
    EM__FN("round", 2, I, k_round_i32_d, FIX, 0, I, I),
    EM__FN("round", 2, L, k_round_i64_d, FIX, 0, L, I),
    EM__FN("round", 2, D, k_round_dec_d, ARG0, 0, D, I),
    EM__FN("round", 2, F, k_round_f64_d, FIX, SAFE, F, I),
    EM__FN("floor", 1, I, k_identity, FIX, SAFE, I),
    EM__FN("floor", 1, L, k_identity, FIX, SAFE, L),
    EM__FN("floor", 1, D, k_floor_dec, DINT, SAFE, D),
    EM__FN("floor", 1, F, k_floor_f64, FIX, SAFE, F),
    EM__FN("ceil", 1, I, k_identity, FIX, SAFE, I),
    EM__FN("ceil", 1, L, k_identity, FIX, SAFE, L),
    EM__FN("ceil", 1, D, k_ceil_dec, DINT, SAFE, D),
    EM__FN("ceil", 1, F, k_ceil_f64, FIX, SAFE, F),
    EM__FN("ceiling", 1, I, k_identity, FIX, SAFE, I),
    EM__FN("ceiling", 1, L, k_identity, FIX, SAFE, L),
    EM__FN("ceiling", 1, D, k_ceil_dec, DINT, SAFE, D),
    EM__FN("ceiling", 1, F, k_ceil_f64, FIX, SAFE, F),
    EM__FN("trunc", 1, I, k_identity, FIX, SAFE, I),
    EM__FN("trunc", 1, L, k_identity, FIX, SAFE, L),
    EM__FN("trunc", 1, D, k_trunc_dec, DINT, SAFE, D),
    EM__FN("trunc", 1, F, k_trunc_f64, FIX, SAFE, F),
    EM__FN("sqrt", 1, F, k_sqrt, FIX, 0, F),
    EM__FN("cbrt", 1, F, k_cbrt, FIX, SAFE, F),
    EM__FN("power", 2, F, k_power, FIX, 0, F, F),
    EM__FN("pow", 2, F, k_power, FIX, 0, F, F),
    EM__FN("exp", 1, F, k_exp, FIX, 0, F),
    EM__FN("ln", 1, F, k_ln, FIX, 0, F),
    EM__FN("log", 1, F, k_log10, FIX, 0, F),
    EM__FN("log", 2, F, k_log_base, FIX, 0, F, F),
    EM__FN("log10", 1, F, k_log10, FIX, 0, F),
    EM__FN("log2", 1, F, k_log2, FIX, 0, F),
    EM__FN("sin", 1, F, k_sin, FIX, SAFE, F),
    EM__FN("cos", 1, F, k_cos, FIX, SAFE, F),
    EM__FN("tan", 1, F, k_tan, FIX, SAFE, F),
    EM__FN("asin", 1, F, k_asin, FIX, 0, F),
    EM__FN("acos", 1, F, k_acos, FIX, 0, F),
    EM__FN("atan", 1, F, k_atan, FIX, SAFE, F),
    EM__FN("atan2", 2, F, k_atan2, FIX, SAFE, F, F),
    EM__FN("degrees", 1, F, k_degrees, FIX, SAFE, F),
    EM__FN("radians", 1, F, k_radians, FIX, SAFE, F),
    EM__FN("pi", 0, F, k_pi, FIX, SAFE, EM__T(EM_TYPE_NULL)),
    EM__FN_VOLATILE("random", F, k_random),
};

const em__func_table em__funcs_math = {defs, (int)EM_ARRAY_LEN(defs)};

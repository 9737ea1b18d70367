/*
 * func_arith.c — arithmetic operators: + - * / % and unary minus ("neg")
 * over INTEGER, BIGINT, DOUBLE and DECIMAL, and date arithmetic: DATE ± days,
 * DATE - DATE (days, BIGINT), and INTERVAL arithmetic as DuckDB types it:
 * DATE/TIMESTAMP ± INTERVAL is a TIMESTAMP, TIMESTAMP - TIMESTAMP an
 * INTERVAL, INTERVAL ± INTERVAL, INTERVAL * and / a number (vector/interval.c
 * holds the calendar rules).
 *
 * Every kernel is one typed loop per operand shape (column op column, column
 * op constant, constant op column). Overflow and division by zero are
 * detected with a flag accumulated over the whole batch; only when it is set
 * are the valid rows re-checked to report the error (NULL slots may hold
 * anything and must not fail).
 *
 * DECIMAL operands arrive with equal scales for + - % (the registry unifies
 * them), so those are plain int64 operations; * adds the scales, which needs
 * no rescaling either. The result types leave room for every result except
 * where the precision is capped at 18 digits, so + - and * check their
 * results against the result type's precision (999999999999999999 + 1 does
 * not fit DECIMAL(18,0) although it fits an int64), in the same branch-free
 * loop that computes them.
 */
#include <math.h>

#include "exec/expr_int.h"

enum { ARITH_OK = 0, ARITH_OVERFLOW = 1, ARITH_DIVZERO = 2 };

static int arith_error(int kind, const char *overflow_msg, em_error *err)
{
    if (kind & ARITH_DIVZERO) return em_error_set(err, EM_EDIVZERO, "division by zero");
    return em_error_set(err, EM_EOVERFLOW, "%s", overflow_msg);
}

/* A binary kernel from an element function OPF(a, b, &r) returning an
 * ARITH_* code. */
#define BINARY_KERNEL(NAME, TA, TB, TR, OPF, MSG)                                                  \
    static EM__KERNEL(NAME)                                                                        \
    {                                                                                              \
        em_vector *a = args[0], *b = args[1];                                                      \
        em_vector *r = em__vec_new(call->type, n);                                                 \
        em__vec_and_validity(r, args, 2, n);                                                       \
        const TA *restrict x = (const TA *)a->data;                                                \
        const TB *restrict y = (const TB *)b->data;                                                \
        TR *restrict z = (TR *)r->data;                                                            \
        int bad = 0;                                                                               \
        if (em__is_const(a) && em__is_const(b)) {                                                  \
            TR c;                                                                                  \
            bad = OPF(x[0], y[0], &c);                                                             \
            for (int64_t i = 0; i < n; i++) z[i] = c;                                              \
        } else if (em__is_const(a)) {                                                              \
            const TA c = x[0];                                                                     \
            for (int64_t i = 0; i < n; i++) bad |= OPF(c, y[i], &z[i]);                            \
        } else if (em__is_const(b)) {                                                              \
            const TB c = y[0];                                                                     \
            for (int64_t i = 0; i < n; i++) bad |= OPF(x[i], c, &z[i]);                            \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) bad |= OPF(x[i], y[i], &z[i]);                         \
        }                                                                                          \
        if (EM_UNLIKELY(bad)) {                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TR t;                                                                              \
                if (!em_vector_is_valid(r, i)) continue;                                           \
                int k = OPF(x[EM__IX(a, i)], y[EM__IX(b, i)], &t);                                 \
                if (k != ARITH_OK) {                                                               \
                    em_vector_unref(r);                                                            \
                    return arith_error(k, MSG, err);                                               \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        *out = r;                                                                                  \
        return 0;                                                                                  \
    }

#define UNARY_KERNEL(NAME, TA, TR, OPF, MSG)                                                       \
    static EM__KERNEL(NAME)                                                                        \
    {                                                                                              \
        em_vector *a = args[0];                                                                    \
        em_vector *r = em__vec_new(call->type, n);                                                 \
        em__vec_copy_validity(r, a, n);                                                            \
        const TA *restrict x = (const TA *)a->data;                                                \
        TR *restrict z = (TR *)r->data;                                                            \
        int bad = 0;                                                                               \
        if (em__is_const(a)) {                                                                     \
            TR c;                                                                                  \
            bad = OPF(x[0], &c);                                                                   \
            for (int64_t i = 0; i < n; i++) z[i] = c;                                              \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) bad |= OPF(x[i], &z[i]);                               \
        }                                                                                          \
        if (EM_UNLIKELY(bad)) {                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TR t;                                                                              \
                if (!em_vector_is_valid(r, i)) continue;                                           \
                int k = OPF(x[EM__IX(a, i)], &t);                                                  \
                if (k != ARITH_OK) {                                                               \
                    em_vector_unref(r);                                                            \
                    return arith_error(k, MSG, err);                                               \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        *out = r;                                                                                  \
        return 0;                                                                                  \
    }

#define MSG_INT "integer out of range"
#define MSG_DEC "DECIMAL out of range"
#define MSG_DBL "DOUBLE out of range"
#define MSG_DATE "date out of range"
#define MSG_TS "timestamp out of range"
#define MSG_IV "interval out of range"

/* ---- element operations ------------------------------------------------------ */

/* Addition and subtraction wrap in unsigned arithmetic and test the sign
 * bits for overflow: no flags or branches, so the loops vectorize. */
static inline int add_i32(int32_t a, int32_t b, int32_t *r)
{
    int32_t z = (int32_t)((uint32_t)a + (uint32_t)b);
    *r = z;
    return (int)((uint32_t)((a ^ z) & (b ^ z)) >> 31);
}
static inline int sub_i32(int32_t a, int32_t b, int32_t *r)
{
    int32_t z = (int32_t)((uint32_t)a - (uint32_t)b);
    *r = z;
    return (int)((uint32_t)((a ^ b) & (a ^ z)) >> 31);
}
static inline int mul_i32(int32_t a, int32_t b, int32_t *r)
{
    int64_t t = (int64_t)a * b;
    *r = (int32_t)t;
    return t != *r;
}
static inline int add_i64(int64_t a, int64_t b, int64_t *r)
{
    int64_t z = (int64_t)((uint64_t)a + (uint64_t)b);
    *r = z;
    return (int)((uint64_t)((a ^ z) & (b ^ z)) >> 63);
}
static inline int sub_i64(int64_t a, int64_t b, int64_t *r)
{
    int64_t z = (int64_t)((uint64_t)a - (uint64_t)b);
    *r = z;
    return (int)((uint64_t)((a ^ b) & (a ^ z)) >> 63);
}
static inline int mul_i64(int64_t a, int64_t b, int64_t *r)
{
    return __builtin_mul_overflow(a, b, r);
}

/* DOUBLE: an infinite result from finite operands is an overflow. */
static inline int dbl_check(double a, double b, double r)
{
    return isinf(r) && !isinf(a) && !isinf(b);
}
static inline int add_f64(double a, double b, double *r)
{
    *r = a + b;
    return dbl_check(a, b, *r);
}
static inline int sub_f64(double a, double b, double *r)
{
    *r = a - b;
    return dbl_check(a, b, *r);
}
static inline int mul_f64(double a, double b, double *r)
{
    *r = a * b;
    return dbl_check(a, b, *r);
}
static inline int div_f64(double a, double b, double *r)
{
    /* The substitute divisor keeps NULL slots and the flagged rows harmless. */
    int zero = b == 0.0;
    *r = a / (zero ? 1.0 : b);
    return zero ? ARITH_DIVZERO : (isinf(*r) && !isinf(a));
}

static inline int mod_i32(int32_t a, int32_t b, int32_t *r)
{
    /* x % -1 is 0, and INT_MIN % -1 would trap. */
    *r = (b == 0 || b == -1) ? 0 : a % b;
    return b == 0 ? ARITH_DIVZERO : ARITH_OK;
}
static inline int mod_i64(int64_t a, int64_t b, int64_t *r)
{
    *r = (b == 0 || b == -1) ? 0 : a % b;
    return b == 0 ? ARITH_DIVZERO : ARITH_OK;
}
static inline int mod_f64(double a, double b, double *r)
{
    *r = b == 0.0 ? 0.0 : fmod(a, b);
    return b == 0.0 ? ARITH_DIVZERO : ARITH_OK;
}

static inline int neg_i32(int32_t a, int32_t *r)
{
    *r = a == INT32_MIN ? 0 : -a;
    return a == INT32_MIN;
}
static inline int neg_i64(int64_t a, int64_t *r)
{
    *r = a == INT64_MIN ? 0 : -a;
    return a == INT64_MIN;
}
static inline int neg_f64(double a, double *r)
{
    *r = -a;
    return ARITH_OK;
}

/* Dates: days stay within int32. */
static inline int date_add_i32(int32_t d, int32_t k, int32_t *r)
{
    return add_i32(d, k, r);
}
static inline int i32_add_date(int32_t k, int32_t d, int32_t *r)
{
    return add_i32(d, k, r);
}
static inline int date_sub_i32(int32_t d, int32_t k, int32_t *r)
{
    return sub_i32(d, k, r);
}
static inline int date_add_i64(int32_t d, int64_t k, int32_t *r)
{
    int64_t t;
    int bad = __builtin_add_overflow((int64_t)d, k, &t);
    *r = (int32_t)t;
    return bad || t != *r;
}
static inline int i64_add_date(int64_t k, int32_t d, int32_t *r)
{
    return date_add_i64(d, k, r);
}
static inline int date_sub_i64(int32_t d, int64_t k, int32_t *r)
{
    int64_t t;
    int bad = __builtin_sub_overflow((int64_t)d, k, &t);
    *r = (int32_t)t;
    return bad || t != *r;
}
static inline int date_diff_days(int32_t a, int32_t b, int64_t *r)
{
    *r = (int64_t)a - b;
    return ARITH_OK;
}

/* Intervals: a failed operation leaves a zero result, so that NULL slots stay
 * deterministic. */
static const em_interval IV_ZERO = {0, 0, 0};

static inline int iv_result(int rc, em_interval *r)
{
    if (rc == 0) return ARITH_OK;
    *r = IV_ZERO;
    return ARITH_OVERFLOW;
}
static inline int ts_result(int rc, int64_t *r)
{
    if (rc == 0) return ARITH_OK;
    *r = 0;
    return ARITH_OVERFLOW;
}
static inline int add_iv(em_interval a, em_interval b, em_interval *r)
{
    return iv_result(em_interval_add(a, b, r), r);
}
static inline int sub_iv(em_interval a, em_interval b, em_interval *r)
{
    return iv_result(em_interval_sub(a, b, r), r);
}
static inline int neg_iv(em_interval a, em_interval *r)
{
    return iv_result(em_interval_neg(a, r), r);
}
static inline int mul_iv_f64(em_interval a, double f, em_interval *r)
{
    return iv_result(em_interval_mul(a, f, r), r);
}
static inline int f64_mul_iv(double f, em_interval a, em_interval *r)
{
    return iv_result(em_interval_mul(a, f, r), r);
}
static inline int div_iv_f64(em_interval a, double f, em_interval *r)
{
    if (f == 0.0) {
        *r = IV_ZERO;
        return ARITH_DIVZERO;
    }
    return iv_result(em_interval_div(a, f, r), r);
}
static inline int ts_add_iv(int64_t t, em_interval iv, int64_t *r)
{
    return ts_result(em_timestamp_add_interval(t, iv, r), r);
}
static inline int iv_add_ts(em_interval iv, int64_t t, int64_t *r)
{
    return ts_add_iv(t, iv, r);
}
static inline int ts_sub_iv(int64_t t, em_interval iv, int64_t *r)
{
    em_interval neg;
    if (em_interval_neg(iv, &neg) < 0) return ts_result(-1, r);
    return ts_add_iv(t, neg, r);
}
static inline int date_add_iv(int32_t d, em_interval iv, int64_t *r)
{
    int64_t t;
    if (__builtin_mul_overflow((int64_t)d, EM_MICROS_PER_DAY, &t)) return ts_result(-1, r);
    return ts_add_iv(t, iv, r);
}
static inline int iv_add_date(em_interval iv, int32_t d, int64_t *r)
{
    return date_add_iv(d, iv, r);
}
static inline int date_sub_iv(int32_t d, em_interval iv, int64_t *r)
{
    int64_t t;
    if (__builtin_mul_overflow((int64_t)d, EM_MICROS_PER_DAY, &t)) return ts_result(-1, r);
    return ts_sub_iv(t, iv, r);
}
static inline int ts_diff(int64_t a, int64_t b, em_interval *r)
{
    return iv_result(em_timestamp_diff(a, b, r), r);
}

/* ---- kernels ------------------------------------------------------------------ */

BINARY_KERNEL(k_add_i32, int32_t, int32_t, int32_t, add_i32, MSG_INT)
BINARY_KERNEL(k_add_i64, int64_t, int64_t, int64_t, add_i64, MSG_INT)
BINARY_KERNEL(k_add_f64, double, double, double, add_f64, MSG_DBL)
BINARY_KERNEL(k_sub_i32, int32_t, int32_t, int32_t, sub_i32, MSG_INT)
BINARY_KERNEL(k_sub_i64, int64_t, int64_t, int64_t, sub_i64, MSG_INT)
BINARY_KERNEL(k_sub_f64, double, double, double, sub_f64, MSG_DBL)
BINARY_KERNEL(k_mul_i32, int32_t, int32_t, int32_t, mul_i32, MSG_INT)
BINARY_KERNEL(k_mul_i64, int64_t, int64_t, int64_t, mul_i64, MSG_INT)
BINARY_KERNEL(k_mul_f64, double, double, double, mul_f64, MSG_DBL)
BINARY_KERNEL(k_div_f64, double, double, double, div_f64, MSG_DBL)
BINARY_KERNEL(k_mod_i32, int32_t, int32_t, int32_t, mod_i32, MSG_INT)
BINARY_KERNEL(k_mod_i64, int64_t, int64_t, int64_t, mod_i64, MSG_INT)
BINARY_KERNEL(k_mod_f64, double, double, double, mod_f64, MSG_DBL)
BINARY_KERNEL(k_date_add_i32, int32_t, int32_t, int32_t, date_add_i32, MSG_DATE)
BINARY_KERNEL(k_i32_add_date, int32_t, int32_t, int32_t, i32_add_date, MSG_DATE)
BINARY_KERNEL(k_date_sub_i32, int32_t, int32_t, int32_t, date_sub_i32, MSG_DATE)
BINARY_KERNEL(k_date_add_i64, int32_t, int64_t, int32_t, date_add_i64, MSG_DATE)
BINARY_KERNEL(k_i64_add_date, int64_t, int32_t, int32_t, i64_add_date, MSG_DATE)
BINARY_KERNEL(k_date_sub_i64, int32_t, int64_t, int32_t, date_sub_i64, MSG_DATE)
BINARY_KERNEL(k_date_diff, int32_t, int32_t, int64_t, date_diff_days, MSG_INT)
UNARY_KERNEL(k_neg_i32, int32_t, int32_t, neg_i32, MSG_INT)
UNARY_KERNEL(k_neg_i64, int64_t, int64_t, neg_i64, MSG_INT)
UNARY_KERNEL(k_neg_f64, double, double, neg_f64, MSG_DBL)
UNARY_KERNEL(k_neg_dec, int64_t, int64_t, neg_i64, MSG_DEC)
/* Fail when a valid DECIMAL result has more digits than its type's precision. */
static int dec_check_precision(const em_expr *call, em_vector **out, int64_t n, em_error *err)
{
    int p = call->type.precision > 0 ? call->type.precision : EM_DECIMAL_MAX_PRECISION;
    const uint64_t span = 2 * (uint64_t)(em_pow10[p] - 1); /* |z| <= 10^p - 1 */
    const int64_t *z = EM_VEC_I64(*out);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) bad |= (uint64_t)z[i] + (uint64_t)(em_pow10[p] - 1) > span;
    if (EM_LIKELY(!bad)) return 0;
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(*out, i)) continue;
        if ((uint64_t)z[i] + (uint64_t)(em_pow10[p] - 1) > span) {
            em_vector_unref(*out);
            *out = NULL;
            return arith_error(ARITH_OVERFLOW, MSG_DEC, err);
        }
    }
    return 0;
}

/* A DECIMAL kernel from an int64 element function OPF(a, b, &r): the
 * operation and the check of the result against the type's precision
 * (|r| <= 10^p - 1, one unsigned comparison) in one loop, valid rows
 * re-checked one by one only when something may be wrong. */
#define DEC_BINARY_KERNEL(NAME, OPF)                                                               \
    static EM__KERNEL(NAME)                                                                        \
    {                                                                                              \
        em_vector *a = args[0], *b = args[1];                                                      \
        em_vector *r = em__vec_new(call->type, n);                                                 \
        em__vec_and_validity(r, args, 2, n);                                                       \
        const int64_t *restrict x = (const int64_t *)a->data;                                      \
        const int64_t *restrict y = (const int64_t *)b->data;                                      \
        int64_t *restrict z = (int64_t *)r->data;                                                  \
        int p = call->type.precision > 0 ? call->type.precision : EM_DECIMAL_MAX_PRECISION;        \
        const uint64_t bias = (uint64_t)(em_pow10[p] - 1), span = 2 * bias;                        \
        int bad = 0;                                                                               \
        if (em__is_const(a) && em__is_const(b)) {                                                  \
            int64_t c;                                                                             \
            bad = OPF(x[0], y[0], &c) | ((uint64_t)c + bias > span);                               \
            for (int64_t i = 0; i < n; i++) z[i] = c;                                              \
        } else if (em__is_const(a)) {                                                              \
            const int64_t c = x[0];                                                                \
            for (int64_t i = 0; i < n; i++)                                                        \
                bad |= OPF(c, y[i], &z[i]) | ((uint64_t)z[i] + bias > span);                       \
        } else if (em__is_const(b)) {                                                              \
            const int64_t c = y[0];                                                                \
            for (int64_t i = 0; i < n; i++)                                                        \
                bad |= OPF(x[i], c, &z[i]) | ((uint64_t)z[i] + bias > span);                       \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++)                                                        \
                bad |= OPF(x[i], y[i], &z[i]) | ((uint64_t)z[i] + bias > span);                    \
        }                                                                                          \
        if (EM_UNLIKELY(bad)) {                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                int64_t t;                                                                         \
                if (!em_vector_is_valid(r, i)) continue;                                           \
                if (OPF(x[EM__IX(a, i)], y[EM__IX(b, i)], &t) != ARITH_OK ||                       \
                    (uint64_t)t + bias > span) {                                                   \
                    em_vector_unref(r);                                                            \
                    return arith_error(ARITH_OVERFLOW, MSG_DEC, err);                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        *out = r;                                                                                  \
        return 0;                                                                                  \
    }

DEC_BINARY_KERNEL(k_add_dec, add_i64)
DEC_BINARY_KERNEL(k_sub_dec, sub_i64)
DEC_BINARY_KERNEL(k_mul_dec_exact, mul_i64)

/* DECIMAL * DECIMAL: exact when the result keeps both scales; otherwise (the
 * result type gave up scale) the exact product in 128 bits, rounded half away
 * from zero to the result's scale. */
static EM__KERNEL(k_mul_dec)
{
    int shift = call->args[0]->type.scale + call->args[1]->type.scale - call->type.scale;
    if (shift <= 0) return k_mul_dec_exact(call, args, n, out, err);
    em_vector *a = args[0], *b = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    const int64_t *x = (const int64_t *)a->data, *y = (const int64_t *)b->data;
    int64_t *z = (int64_t *)r->data;
    const __int128 div = em_pow10[shift], half = div / 2;
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            z[i] = 0;
            continue;
        }
        __int128 p = (__int128)x[EM__IX(a, i)] * y[EM__IX(b, i)];
        __int128 q = p >= 0 ? (p + half) / div : -((-p + half) / div);
        if (q > INT64_MAX || q < INT64_MIN) {
            em_vector_unref(r);
            return arith_error(ARITH_OVERFLOW, MSG_DEC, err);
        }
        z[i] = (int64_t)q;
    }
    *out = r;
    return dec_check_precision(call, out, n, err);
}

BINARY_KERNEL(k_add_iv, em_interval, em_interval, em_interval, add_iv, MSG_IV)
BINARY_KERNEL(k_sub_iv, em_interval, em_interval, em_interval, sub_iv, MSG_IV)
BINARY_KERNEL(k_mul_iv_f64, em_interval, double, em_interval, mul_iv_f64, MSG_IV)
BINARY_KERNEL(k_f64_mul_iv, double, em_interval, em_interval, f64_mul_iv, MSG_IV)
BINARY_KERNEL(k_div_iv_f64, em_interval, double, em_interval, div_iv_f64, MSG_IV)
BINARY_KERNEL(k_ts_add_iv, int64_t, em_interval, int64_t, ts_add_iv, MSG_TS)
BINARY_KERNEL(k_iv_add_ts, em_interval, int64_t, int64_t, iv_add_ts, MSG_TS)
BINARY_KERNEL(k_ts_sub_iv, int64_t, em_interval, int64_t, ts_sub_iv, MSG_TS)
BINARY_KERNEL(k_date_add_iv, int32_t, em_interval, int64_t, date_add_iv, MSG_TS)
BINARY_KERNEL(k_iv_add_date, em_interval, int32_t, int64_t, iv_add_date, MSG_TS)
BINARY_KERNEL(k_date_sub_iv, int32_t, em_interval, int64_t, date_sub_iv, MSG_TS)
BINARY_KERNEL(k_ts_diff, int64_t, int64_t, em_interval, ts_diff, MSG_IV)
UNARY_KERNEL(k_neg_iv, em_interval, em_interval, neg_iv, MSG_IV)

/* ---- registry ----------------------------------------------------------------- */

#define I EM__TI
#define L EM__TL
#define F EM__TF
#define D EM__TD
#define DT EM__TDATE
#define TS EM__TTS
#define IV EM__TIV
#define FIX EM__RET_FIXED
#define U EM__FN_DEC_UNIFY
#define SAFE EM__FN_SAFE

static const em__func_def defs[] = {
    EM__FN("+", 2, I, k_add_i32, FIX, 0, I, I),
    EM__FN("+", 2, L, k_add_i64, FIX, 0, L, L),
    EM__FN("+", 2, F, k_add_f64, FIX, 0, F, F),
    EM__FN("+", 2, D, k_add_dec, EM__RET_DEC_ADD, U, D, D),
    EM__FN("+", 2, DT, k_date_add_i32, FIX, 0, DT, I),
    EM__FN("+", 2, DT, k_i32_add_date, FIX, 0, I, DT),
    EM__FN("+", 2, DT, k_date_add_i64, FIX, 0, DT, L),
    EM__FN("+", 2, DT, k_i64_add_date, FIX, 0, L, DT),
    EM__FN("-", 2, I, k_sub_i32, FIX, 0, I, I),
    EM__FN("-", 2, L, k_sub_i64, FIX, 0, L, L),
    EM__FN("-", 2, F, k_sub_f64, FIX, 0, F, F),
    EM__FN("-", 2, D, k_sub_dec, EM__RET_DEC_ADD, U, D, D),
    EM__FN("-", 2, DT, k_date_sub_i32, FIX, 0, DT, I),
    EM__FN("-", 2, DT, k_date_sub_i64, FIX, 0, DT, L),
    EM__FN("-", 2, L, k_date_diff, FIX, SAFE, DT, DT),
    EM__FN("*", 2, I, k_mul_i32, FIX, 0, I, I),
    EM__FN("*", 2, L, k_mul_i64, FIX, 0, L, L),
    EM__FN("*", 2, F, k_mul_f64, FIX, 0, F, F),
    EM__FN("*", 2, D, k_mul_dec, EM__RET_DEC_MUL, 0, D, D),
    EM__FN("/", 2, F, k_div_f64, FIX, 0, F, F),
    EM__FN("%", 2, I, k_mod_i32, FIX, 0, I, I),
    EM__FN("%", 2, L, k_mod_i64, FIX, 0, L, L),
    EM__FN("%", 2, D, k_mod_i64, EM__RET_ARG0, U, D, D),
    EM__FN("%", 2, F, k_mod_f64, FIX, 0, F, F),
    EM__FN("mod", 2, I, k_mod_i32, FIX, 0, I, I),
    EM__FN("mod", 2, L, k_mod_i64, FIX, 0, L, L),
    EM__FN("mod", 2, D, k_mod_i64, EM__RET_ARG0, U, D, D),
    EM__FN("mod", 2, F, k_mod_f64, FIX, 0, F, F),
    EM__FN("neg", 1, I, k_neg_i32, FIX, 0, I),
    EM__FN("neg", 1, L, k_neg_i64, FIX, 0, L),
    EM__FN("neg", 1, F, k_neg_f64, FIX, SAFE, F),
    EM__FN("neg", 1, D, k_neg_dec, EM__RET_ARG0, 0, D),
    EM__FN("+", 2, IV, k_add_iv, FIX, 0, IV, IV),
    EM__FN("+", 2, TS, k_date_add_iv, FIX, 0, DT, IV),
    EM__FN("+", 2, TS, k_iv_add_date, FIX, 0, IV, DT),
    EM__FN("+", 2, TS, k_ts_add_iv, FIX, 0, TS, IV),
    EM__FN("+", 2, TS, k_iv_add_ts, FIX, 0, IV, TS),
    EM__FN("-", 2, IV, k_sub_iv, FIX, 0, IV, IV),
    EM__FN("-", 2, TS, k_date_sub_iv, FIX, 0, DT, IV),
    EM__FN("-", 2, TS, k_ts_sub_iv, FIX, 0, TS, IV),
    EM__FN("-", 2, IV, k_ts_diff, FIX, 0, TS, TS),
    EM__FN("*", 2, IV, k_mul_iv_f64, FIX, 0, IV, F),
    EM__FN("*", 2, IV, k_f64_mul_iv, FIX, 0, F, IV),
    EM__FN("/", 2, IV, k_div_iv_f64, FIX, 0, IV, F),
    EM__FN("neg", 1, IV, k_neg_iv, FIX, 0, IV),
};

const em__func_table em__funcs_arith = {defs, (int)EM_ARRAY_LEN(defs)};

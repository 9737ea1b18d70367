/*
 * cast.c — vectorized CAST between every pair of engine types SQL allows.
 *
 * The semantics are those of em_value_cast (vector/value.c), which is the
 * reference: strings are parsed strictly (surrounding blanks allowed), numeric
 * narrowing and rescaling round half away from zero, and any value that does
 * not fit is an error, not a wrap. TRY_CAST turns those per-row failures into
 * NULLs; a pair of types that can never be cast (DATE to INTEGER) is an
 * error either way.
 *
 * Numeric conversions run a branch-free loop that accumulates a failure flag;
 * the valid rows are re-examined only when the flag is set, so NULL slots with
 * arbitrary contents never fail a cast.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exec/expr_int.h"

typedef struct cast_ctx {
    em_vector *in;
    em_vector *r;
    em_type to;
    bool try_cast;
    em_error *err;
} cast_ctx;

static int err_cast_types(em_type from, em_type to, em_error *err)
{
    char a[48], b[48];
    return em_error_set(err, EM_ETYPE, "cannot cast %s to %s", em_type_name(from, a, sizeof(a)),
                        em_type_name(to, b, sizeof(b)));
}

/* Row i of the input does not convert: a NULL under TRY_CAST, else an error
 * worded like em_value_cast's. `range` tells overflow from bad syntax. */
static int fail_row(cast_ctx *c, int64_t i, bool range)
{
    if (c->try_cast) {
        em__bit_clear(em__vec_validity(c->r), i);
        return 0;
    }
    char tn[48];
    em_type_name(c->to, tn, sizeof(tn));
    em_value v = em_vector_get(c->in, i);
    if (!range && v.type.id == EM_TYPE_VARCHAR) {
        int len = EM_MIN(v.v.str.len, 200);
        return em_error_set(c->err, EM_ETYPE, "could not convert string '%.*s'%s to %s", len,
                            v.v.str.ptr, v.v.str.len > len ? "..." : "", tn);
    }
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_value_format(&v, &sb);
    em_error_set(c->err, EM_EOVERFLOW, "value %s is out of range for type %s",
                 sb.data ? sb.data : "", tn);
    em_strbuf_release(&sb);
    return EM_EOVERFLOW;
}

bool em__cast_is_safe(em_type from, em_type to)
{
    if (em_type_equal(from, to) || from.id == EM_TYPE_NULL || to.id == EM_TYPE_VARCHAR) return true;
    switch ((em_type_id)to.id) {
    case EM_TYPE_BIGINT:
        return from.id == EM_TYPE_INTEGER || from.id == EM_TYPE_BOOLEAN;
    case EM_TYPE_INTEGER:
        return from.id == EM_TYPE_BOOLEAN;
    case EM_TYPE_DOUBLE:
        return from.id == EM_TYPE_INTEGER || from.id == EM_TYPE_BIGINT ||
               from.id == EM_TYPE_DECIMAL || from.id == EM_TYPE_BOOLEAN;
    case EM_TYPE_BOOLEAN:
        return em_type_is_numeric(from);
    case EM_TYPE_DECIMAL: {
        int digits = to.precision - to.scale;
        if (from.id == EM_TYPE_INTEGER) return digits >= 10;
        if (from.id == EM_TYPE_BOOLEAN) return digits >= 1;
        if (from.id == EM_TYPE_DECIMAL) {
            int fd = from.precision - from.scale;
            return to.scale >= from.scale ? digits >= fd : digits > fd;
        }
        return false;
    }
    case EM_TYPE_DATE:
        return from.id == EM_TYPE_TIMESTAMP;
    default:
        return false;
    }
}

/* ---- numeric element conversions (return nonzero on failure) ------------------ */

static inline int i64_to_i32(int64_t x, int32_t *z)
{
    *z = (int32_t)x;
    return x < INT32_MIN || x > INT32_MAX;
}

/* x * mul must stay below lim in magnitude. */
static inline int scale_up(int64_t x, int64_t mul, int64_t lim, int64_t *z)
{
    int64_t t;
    int bad = __builtin_mul_overflow(x, mul, &t);
    *z = t;
    return bad | (t >= lim) | (t <= -lim);
}

static inline int round_down(int64_t x, int k, int64_t lim, int64_t *z)
{
    int64_t t = em__div_round_pow10(x, k);
    *z = t;
    return (t >= lim) | (t <= -lim);
}

static inline int dbl_to_i64(double x, int64_t *z)
{
    double r = round(x);
    /* 2^63 is exact as a double; NaN fails both comparisons. */
    int ok = r >= -9223372036854775808.0 && r < 9223372036854775808.0;
    *z = ok ? (int64_t)r : 0;
    return !ok;
}

static inline int dbl_to_i32(double x, int32_t *z)
{
    double r = round(x);
    int ok = r >= -2147483648.0 && r <= 2147483647.0;
    *z = ok ? (int32_t)r : 0;
    return !ok;
}

/* DOUBLE to DECIMAL rounds the double's shortest decimal text (so that 1.005
 * becomes 1.01 at scale 2). Scaling in binary gives the same answer unless the
 * scaled value sits within rounding error of a .5 boundary; only those rows
 * take the slow textual route. */
static int dbl_to_dec(double x, int precision, int scale, int64_t *z)
{
    if (!isfinite(x)) return -1;
    double scaled = x * (double)em_pow10[scale];
    double mag = fabs(scaled);
    if (mag < 4503599627370496.0) { /* 2^52: the fraction is exact */
        double frac = mag - floor(mag);
        if (fabs(frac - 0.5) > mag * 1e-15 + 1e-12) {
            double r = round(scaled);
            if (fabs(r) >= (double)em_pow10[precision]) return -1;
            *z = (int64_t)r;
            return 0;
        }
    }
    char buf[64];
    em_format_double(x, buf, sizeof(buf));
    return em_parse_decimal(buf, strlen(buf), precision, scale, z) < 0 ? -1 : 0;
}

/* Run CONV(x[i], &z[i]) over every row; on a flagged batch re-check the valid
 * rows and fail (or NULL) the ones that do not convert. */
#define NUM_LOOP(TF, TT, CONV)                                                                     \
    do {                                                                                           \
        const TF *x = (const TF *)in->data;                                                        \
        TT *z = (TT *)r->data;                                                                     \
        int bad = 0;                                                                               \
        for (int64_t i = 0; i < n; i++) bad |= CONV(x[i], &z[i]);                                  \
        if (EM_UNLIKELY(bad)) {                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TT t;                                                                              \
                if (!em_vector_is_valid(in, i) || !CONV(x[i], &t)) continue;                       \
                z[i] = 0;                                                                          \
                EM_TRY(fail_row(c, i, true));                                                      \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#define PLAIN_LOOP(TF, TT, EXPR)                                                                   \
    do {                                                                                           \
        const TF *x = (const TF *)in->data;                                                        \
        TT *z = (TT *)r->data;                                                                     \
        for (int64_t i = 0; i < n; i++) z[i] = (TT)(EXPR);                                         \
    } while (0)

static int cast_numeric(cast_ctx *c)
{
    em_vector *in = c->in, *r = c->r;
    const int64_t n = in->length;
    em_type from = in->type, to = c->to;
    switch ((em_type_id)to.id) {
    case EM_TYPE_BOOLEAN:
        switch ((em_type_id)from.id) {
        case EM_TYPE_INTEGER:
            PLAIN_LOOP(int32_t, uint8_t, x[i] != 0);
            return 0;
        case EM_TYPE_BIGINT:
        case EM_TYPE_DECIMAL:
            PLAIN_LOOP(int64_t, uint8_t, x[i] != 0);
            return 0;
        case EM_TYPE_DOUBLE:
            PLAIN_LOOP(double, uint8_t, x[i] != 0);
            return 0;
        default:
            break;
        }
        break;
    case EM_TYPE_INTEGER:
        switch ((em_type_id)from.id) {
        case EM_TYPE_BOOLEAN:
            PLAIN_LOOP(uint8_t, int32_t, x[i] != 0);
            return 0;
        case EM_TYPE_BIGINT:
            NUM_LOOP(int64_t, int32_t, i64_to_i32);
            return 0;
        case EM_TYPE_DOUBLE:
            NUM_LOOP(double, int32_t, dbl_to_i32);
            return 0;
        case EM_TYPE_DECIMAL: {
            const int k = from.scale;
#define DEC_TO_I32(v, zp) i64_to_i32(em__div_round_pow10(v, k), zp)
            NUM_LOOP(int64_t, int32_t, DEC_TO_I32);
#undef DEC_TO_I32
            return 0;
        }
        default:
            break;
        }
        break;
    case EM_TYPE_BIGINT:
        switch ((em_type_id)from.id) {
        case EM_TYPE_BOOLEAN:
            PLAIN_LOOP(uint8_t, int64_t, x[i] != 0);
            return 0;
        case EM_TYPE_INTEGER:
            PLAIN_LOOP(int32_t, int64_t, x[i]);
            return 0;
        case EM_TYPE_DOUBLE:
            NUM_LOOP(double, int64_t, dbl_to_i64);
            return 0;
        case EM_TYPE_DECIMAL: {
            const int k = from.scale;
            PLAIN_LOOP(int64_t, int64_t, em__div_round_pow10(x[i], k));
            return 0;
        }
        default:
            break;
        }
        break;
    case EM_TYPE_DOUBLE:
        switch ((em_type_id)from.id) {
        case EM_TYPE_BOOLEAN:
            PLAIN_LOOP(uint8_t, double, x[i] != 0);
            return 0;
        case EM_TYPE_INTEGER:
            PLAIN_LOOP(int32_t, double, x[i]);
            return 0;
        case EM_TYPE_BIGINT:
            PLAIN_LOOP(int64_t, double, x[i]);
            return 0;
        case EM_TYPE_DECIMAL: {
            const double div = (double)em_pow10[from.scale];
            PLAIN_LOOP(int64_t, double, (double)x[i] / div);
            return 0;
        }
        default:
            break;
        }
        break;
    case EM_TYPE_DECIMAL: {
        const int64_t lim = em_pow10[to.precision];
        const int64_t mul = em_pow10[to.scale];
        switch ((em_type_id)from.id) {
        case EM_TYPE_BOOLEAN: {
#define BOOL_TO_DEC(v, zp) scale_up((int64_t)((v) != 0), mul, lim, zp)
            NUM_LOOP(uint8_t, int64_t, BOOL_TO_DEC);
#undef BOOL_TO_DEC
            return 0;
        }
        case EM_TYPE_INTEGER: {
#define INT_TO_DEC(v, zp) scale_up((int64_t)(v), mul, lim, zp)
            NUM_LOOP(int32_t, int64_t, INT_TO_DEC);
            return 0;
        }
        case EM_TYPE_BIGINT:
            NUM_LOOP(int64_t, int64_t, INT_TO_DEC);
            return 0;
#undef INT_TO_DEC
        case EM_TYPE_DECIMAL: {
            if (to.scale >= from.scale) {
                const int64_t m2 = em_pow10[to.scale - from.scale];
#define DEC_UP(v, zp) scale_up(v, m2, lim, zp)
                NUM_LOOP(int64_t, int64_t, DEC_UP);
#undef DEC_UP
            } else {
                const int k = from.scale - to.scale;
#define DEC_DOWN(v, zp) round_down(v, k, lim, zp)
                NUM_LOOP(int64_t, int64_t, DEC_DOWN);
#undef DEC_DOWN
            }
            return 0;
        }
        case EM_TYPE_DOUBLE: {
            const int p = to.precision, s = to.scale;
#define DBL_TO_DEC(v, zp) (dbl_to_dec(v, p, s, zp) != 0)
            NUM_LOOP(double, int64_t, DBL_TO_DEC);
#undef DBL_TO_DEC
            return 0;
        }
        default:
            break;
        }
        break;
    }
    default:
        break;
    }
    return err_cast_types(from, to, c->err);
}

/* ---- dates ---------------------------------------------------------------------- */

static inline int date_to_ts(int32_t d, int64_t *z)
{
    return __builtin_mul_overflow((int64_t)d, EM__MICROS_PER_DAY, z);
}

static int cast_datetime(cast_ctx *c)
{
    em_vector *in = c->in, *r = c->r;
    const int64_t n = in->length;
    if (in->type.id == EM_TYPE_DATE && c->to.id == EM_TYPE_TIMESTAMP) {
        NUM_LOOP(int32_t, int64_t, date_to_ts);
        return 0;
    }
    if (in->type.id == EM_TYPE_TIMESTAMP && c->to.id == EM_TYPE_DATE) {
        PLAIN_LOOP(int64_t, int32_t, em__floor_div(x[i], EM__MICROS_PER_DAY));
        return 0;
    }
    return err_cast_types(in->type, c->to, c->err);
}

/* ---- to VARCHAR ------------------------------------------------------------------- */

/* Decimal digits of v into buf (at least 20 bytes); returns the length.
 * Two digits per step from a table. */
static int format_i64(int64_t v, char *buf)
{
    static const char pairs[201] = "000102030405060708091011121314151617181920212223242526272829"
                                   "303132333435363738394041424344454647484950515253545556575859"
                                   "606162636465666768697071727374757677787980818283848586878889"
                                   "90919293949596979899";
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    /* Digit count from the bit length: log10(2) ~ 1233 / 4096. */
    static const uint64_t p10[20] = {1ULL,
                                     10ULL,
                                     100ULL,
                                     1000ULL,
                                     10000ULL,
                                     100000ULL,
                                     1000000ULL,
                                     10000000ULL,
                                     100000000ULL,
                                     1000000000ULL,
                                     10000000000ULL,
                                     100000000000ULL,
                                     1000000000000ULL,
                                     10000000000000ULL,
                                     100000000000000ULL,
                                     1000000000000000ULL,
                                     10000000000000000ULL,
                                     100000000000000000ULL,
                                     1000000000000000000ULL,
                                     10000000000000000000ULL};
    int t = ((64 - __builtin_clzll(m | 1)) * 1233) >> 12;
    int digits = t + 1 - ((m | 1) < p10[t]);
    int len = digits + (v < 0);
    char *q = buf + len;
    while (m >= 100) {
        unsigned d = (unsigned)(m % 100);
        m /= 100;
        q -= 2;
        memcpy(q, pairs + 2 * d, 2);
    }
    if (m >= 10) {
        q -= 2;
        memcpy(q, pairs + 2 * m, 2);
    } else {
        *--q = (char)('0' + m);
    }
    if (v < 0) buf[0] = '-';
    return len;
}

/* Integers to text: room for the longest form of every row up front, then
 * digits straight into the character buffer. */
static int ints_to_varchar(cast_ctx *c)
{
    em_vector *in = c->in, *r = c->r;
    const int64_t n = in->length;
    const bool wide = in->type.id == EM_TYPE_BIGINT;
    char *d = em__str_room(r, n * (wide ? 20 : 11));
    if (d == NULL) return em__err_str_too_large(c->err);
    int32_t *off = EM_VEC_OFFSETS(r);
    int64_t pos = r->chars_len;
    for (int64_t i = 0; i < n; i++) {
        if (em_vector_is_valid(in, i))
            pos += format_i64(wide ? EM_VEC_I64(in)[i] : EM_VEC_I32(in)[i], r->chars + pos);
        off[i + 1] = (int32_t)pos;
    }
    r->chars_len = pos;
    return 0;
}

static int cast_to_varchar(cast_ctx *c)
{
    em_vector *in = c->in, *r = c->r;
    const int64_t n = in->length;
    em_type from = in->type;
    char buf[128]; /* the longest INTERVAL text is about 70 bytes */
    if (from.id == EM_TYPE_INTEGER || from.id == EM_TYPE_BIGINT) return ints_to_varchar(c);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(in, i)) {
            em__str_empty(r, i);
            continue;
        }
        int len;
        switch ((em_type_id)from.id) {
        case EM_TYPE_BOOLEAN:
            len = EM_VEC_BOOL(in)[i] ? 4 : 5;
            memcpy(buf, EM_VEC_BOOL(in)[i] ? "true" : "false", (size_t)len);
            break;
        case EM_TYPE_INTEGER:
            len = format_i64(EM_VEC_I32(in)[i], buf);
            break;
        case EM_TYPE_BIGINT:
            len = format_i64(EM_VEC_I64(in)[i], buf);
            break;
        case EM_TYPE_DOUBLE:
            em_format_double(EM_VEC_F64(in)[i], buf, sizeof(buf));
            len = (int)strlen(buf);
            break;
        case EM_TYPE_DECIMAL:
            em_format_decimal(EM_VEC_I64(in)[i], from.scale, buf, sizeof(buf));
            len = (int)strlen(buf);
            break;
        case EM_TYPE_DATE:
            em_format_date(EM_VEC_I32(in)[i], buf, sizeof(buf));
            len = (int)strlen(buf);
            break;
        case EM_TYPE_TIMESTAMP:
            em_format_timestamp(EM_VEC_I64(in)[i], buf, sizeof(buf));
            len = (int)strlen(buf);
            break;
        case EM_TYPE_INTERVAL:
            em_format_interval(EM_VEC_IV(in)[i], buf, sizeof(buf));
            len = (int)strlen(buf);
            break;
        default:
            return err_cast_types(from, c->to, c->err);
        }
        if (em__str_put(r, i, buf, len) < 0) return em__err_str_too_large(c->err);
    }
    return 0;
}

/* ---- from VARCHAR ------------------------------------------------------------------- */

static inline bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool looks_integral(const char *s, size_t n)
{
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n) return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* Parse one trimmed string into slot i of r: 0, or 1 (bad syntax) / 2 (out of range). */
static int parse_one(const char *s, size_t len, em_type to, em_vector *r, int64_t i)
{
    switch ((em_type_id)to.id) {
    case EM_TYPE_BOOLEAN: {
        bool b;
        if (em_parse_bool(s, len, &b) < 0) return 1;
        EM_VEC_BOOL(r)[i] = b;
        return 0;
    }
    case EM_TYPE_INTEGER:
    case EM_TYPE_BIGINT: {
        int64_t x;
        if (em_parse_int64(s, len, &x) < 0) return looks_integral(s, len) ? 2 : 1;
        if (to.id == EM_TYPE_INTEGER) {
            if (x < INT32_MIN || x > INT32_MAX) return 2;
            EM_VEC_I32(r)[i] = (int32_t)x;
        } else {
            EM_VEC_I64(r)[i] = x;
        }
        return 0;
    }
    case EM_TYPE_DOUBLE: {
        double d;
        if (em_parse_double(s, len, &d) < 0) return 1;
        EM_VEC_F64(r)[i] = d;
        return 0;
    }
    case EM_TYPE_DECIMAL: {
        int64_t x;
        int rc = em_parse_decimal(s, len, to.precision, to.scale, &x);
        if (rc == -2) return 2;
        if (rc < 0) return 1;
        EM_VEC_I64(r)[i] = x;
        return 0;
    }
    case EM_TYPE_DATE: {
        int32_t d;
        int64_t t;
        if (em_parse_date(s, len, &d) == 0) {
            EM_VEC_I32(r)[i] = d;
            return 0;
        }
        /* A full timestamp keeps its date, as in PostgreSQL and DuckDB. */
        if (em_parse_timestamp(s, len, &t) < 0) return 1;
        EM_VEC_I32(r)[i] = (int32_t)em__floor_div(t, EM__MICROS_PER_DAY);
        return 0;
    }
    case EM_TYPE_TIMESTAMP: {
        int64_t t;
        int32_t d;
        if (em_parse_timestamp(s, len, &t) == 0) {
            EM_VEC_I64(r)[i] = t;
            return 0;
        }
        /* A bare date means midnight. */
        if (em_parse_date(s, len, &d) < 0) return 1;
        if (date_to_ts(d, &t)) return 2;
        EM_VEC_I64(r)[i] = t;
        return 0;
    }
    case EM_TYPE_INTERVAL: {
        int rc = em_parse_interval(s, len, NULL, &EM_VEC_IV(r)[i]);
        return rc == -2 ? 2 : rc < 0 ? 1 : 0;
    }
    default:
        return 1;
    }
}

static int cast_from_varchar(cast_ctx *c)
{
    em_vector *in = c->in, *r = c->r;
    const int64_t n = in->length;
    size_t w = em_type_width(c->to);
    switch ((em_type_id)c->to.id) {
    case EM_TYPE_BOOLEAN:
    case EM_TYPE_INTEGER:
    case EM_TYPE_BIGINT:
    case EM_TYPE_DOUBLE:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_DATE:
    case EM_TYPE_TIMESTAMP:
    case EM_TYPE_INTERVAL:
        break;
    default:
        return err_cast_types(in->type, c->to, c->err);
    }
    const int32_t *off = EM_VEC_OFFSETS(in);
    for (int64_t i = 0; i < n; i++) {
        memset((char *)r->data + (size_t)i * w, 0, w);
        if (!em_vector_is_valid(in, i)) continue;
        const char *s = in->chars + off[i];
        size_t len = (size_t)(off[i + 1] - off[i]);
        while (len > 0 && is_blank(*s)) s++, len--;
        while (len > 0 && is_blank(s[len - 1])) len--;
        int rc = parse_one(s, len, c->to, r, i);
        if (rc != 0) EM_TRY(fail_row(c, i, rc == 2));
    }
    return 0;
}

/* ---- entry point --------------------------------------------------------------------- */

int em__cast_vector(em_vector *in, em_type to, bool try_cast, em_vector **out, em_error *err)
{
    const int64_t n = in->length;
    if (em_type_equal(in->type, to)) {
        *out = em_vector_ref(in);
        return 0;
    }
    em_vector *r = em__vec_new(to, n);
    if (in->type.id == EM_TYPE_NULL || to.id == EM_TYPE_NULL) {
        /* Every row is NULL: zeroed values and an all-NULL bitmap. */
        size_t w = em_type_width(to);
        if (to.id == EM_TYPE_VARCHAR)
            memset(r->data, 0, sizeof(int32_t) * (size_t)(n + 1));
        else if (w > 0)
            memset(r->data, 0, w * (size_t)n);
        em__vec_set_all_null(r, n);
        *out = r;
        return 0;
    }
    em__vec_copy_validity(r, in, n);
    cast_ctx c = {in, r, to, try_cast, err};
    int rc;
    if (to.id == EM_TYPE_VARCHAR)
        rc = cast_to_varchar(&c);
    else if (in->type.id == EM_TYPE_VARCHAR)
        rc = cast_from_varchar(&c);
    else if (in->type.id == EM_TYPE_DATE || in->type.id == EM_TYPE_TIMESTAMP ||
             to.id == EM_TYPE_DATE || to.id == EM_TYPE_TIMESTAMP)
        rc = cast_datetime(&c);
    else
        rc = cast_numeric(&c);
    if (rc < 0) {
        em_vector_unref(r);
        return rc;
    }
    *out = r;
    return 0;
}

/*
 * value.c — scalar SQL values: constructors, ordering, printing and casts.
 * Casts here are the reference semantics; vectorised casts in the executor
 * must agree with them (strict string parsing, overflow is an error, DOUBLE
 * to integer and DECIMAL rescaling round half away from zero).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vector/vector.h"

#define MICROS_PER_DAY 86400000000LL

em_value em_value_null(em_type t)
{
    em_value v;
    memset(&v, 0, sizeof(v));
    v.type = t;
    v.is_null = true;
    return v;
}

static em_value make(em_type_id id)
{
    em_value v;
    memset(&v, 0, sizeof(v));
    v.type = em_type_make(id);
    return v;
}

em_value em_value_bool(bool b)
{
    em_value v = make(EM_TYPE_BOOLEAN);
    v.v.b = b;
    return v;
}

em_value em_value_int(int32_t x)
{
    em_value v = make(EM_TYPE_INTEGER);
    v.v.i32 = x;
    return v;
}

em_value em_value_bigint(int64_t x)
{
    em_value v = make(EM_TYPE_BIGINT);
    v.v.i64 = x;
    return v;
}

em_value em_value_double(double x)
{
    em_value v = make(EM_TYPE_DOUBLE);
    v.v.f64 = x;
    return v;
}

em_value em_value_decimal(int64_t unscaled, int precision, int scale)
{
    em_value v = make(EM_TYPE_DECIMAL);
    v.type = em_type_decimal(precision, scale);
    v.v.i64 = unscaled;
    return v;
}

em_value em_value_varchar(const char *p, int32_t len)
{
    em_value v = make(EM_TYPE_VARCHAR);
    v.v.str.ptr = p;
    v.v.str.len = len;
    return v;
}

em_value em_value_date(int32_t days)
{
    em_value v = make(EM_TYPE_DATE);
    v.v.i32 = days;
    return v;
}

em_value em_value_timestamp(int64_t micros)
{
    em_value v = make(EM_TYPE_TIMESTAMP);
    v.v.i64 = micros;
    return v;
}

em_value em_value_interval(em_interval iv)
{
    em_value v = make(EM_TYPE_INTERVAL);
    v.v.iv = iv;
    return v;
}

em_value em_value_copy(em_arena *a, em_value v)
{
    if (!v.is_null && v.type.id == EM_TYPE_VARCHAR) {
        char *p = em_arena_alloc(a, (size_t)v.v.str.len + 1);
        if (v.v.str.len > 0) memcpy(p, v.v.str.ptr, (size_t)v.v.str.len);
        p[v.v.str.len] = '\0';
        v.v.str.ptr = p;
    }
    return v;
}

/* ---- ordering ----------------------------------------------------------- */

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

/* Doubles order like PostgreSQL: NaN above every number and equal to itself,
 * and -0.0 equal to 0.0. */
static int cmp_double(double a, double b)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb) return na && nb ? 0 : na ? 1 : -1;
    return CMP(a, b);
}

static int cmp_decimal(int64_t a, int sa, int64_t b, int sb)
{
    __int128 x = a, y = b;
    if (sa < sb) x *= em_pow10[sb - sa];
    if (sb < sa) y *= em_pow10[sa - sb];
    return CMP(x, y);
}

static double as_double(const em_value *v)
{
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_INTEGER:
        return v->v.i32;
    case EM_TYPE_BIGINT:
        return (double)v->v.i64;
    case EM_TYPE_DECIMAL:
        return (double)v->v.i64 / (double)em_pow10[v->type.scale];
    case EM_TYPE_DOUBLE:
        return v->v.f64;
    default:
        return 0;
    }
}

int em_value_compare(const em_value *a, const em_value *b)
{
    /* Mixed numeric operands are tolerated so that callers comparing a
     * column with an uncoerced constant still get a sensible answer. */
    if (a->type.id != b->type.id) {
        if (em_type_is_integral(a->type) && em_type_is_integral(b->type)) {
            int64_t x = a->type.id == EM_TYPE_INTEGER ? a->v.i32 : a->v.i64;
            int64_t y = b->type.id == EM_TYPE_INTEGER ? b->v.i32 : b->v.i64;
            return CMP(x, y);
        }
        if (em_type_is_integral(a->type) && b->type.id == EM_TYPE_DECIMAL) {
            int64_t x = a->type.id == EM_TYPE_INTEGER ? a->v.i32 : a->v.i64;
            return cmp_decimal(x, 0, b->v.i64, b->type.scale);
        }
        if (a->type.id == EM_TYPE_DECIMAL && em_type_is_integral(b->type)) {
            int64_t y = b->type.id == EM_TYPE_INTEGER ? b->v.i32 : b->v.i64;
            return cmp_decimal(a->v.i64, a->type.scale, y, 0);
        }
        if (em_type_is_numeric(a->type) && em_type_is_numeric(b->type))
            return cmp_double(as_double(a), as_double(b));
        /* In 128 bits: far-away dates overflow int64 microseconds. */
        if (a->type.id == EM_TYPE_DATE && b->type.id == EM_TYPE_TIMESTAMP)
            return CMP((__int128)a->v.i32 * MICROS_PER_DAY, (__int128)b->v.i64);
        if (a->type.id == EM_TYPE_TIMESTAMP && b->type.id == EM_TYPE_DATE)
            return CMP((__int128)a->v.i64, (__int128)b->v.i32 * MICROS_PER_DAY);
        return CMP(a->type.id, b->type.id);
    }
    switch ((em_type_id)a->type.id) {
    case EM_TYPE_NULL:
        return 0;
    case EM_TYPE_BOOLEAN:
        return CMP(a->v.b, b->v.b);
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        return CMP(a->v.i32, b->v.i32);
    case EM_TYPE_BIGINT:
    case EM_TYPE_TIMESTAMP:
        return CMP(a->v.i64, b->v.i64);
    case EM_TYPE_DECIMAL:
        if (a->type.scale == b->type.scale) return CMP(a->v.i64, b->v.i64);
        return cmp_decimal(a->v.i64, a->type.scale, b->v.i64, b->type.scale);
    case EM_TYPE_DOUBLE:
        return cmp_double(a->v.f64, b->v.f64);
    case EM_TYPE_VARCHAR: {
        /* Byte order, which is code point order for UTF-8. */
        int32_t la = a->v.str.len, lb = b->v.str.len;
        int32_t n = EM_MIN(la, lb);
        int c = n > 0 ? memcmp(a->v.str.ptr, b->v.str.ptr, (size_t)n) : 0;
        if (c != 0) return c < 0 ? -1 : 1;
        return CMP(la, lb);
    }
    case EM_TYPE_INTERVAL: {
        /* Equal spans ('1 month', '30 days') are told apart by their fields so
         * that only identical constants are equal expressions. */
        const em_interval *x = &a->v.iv, *y = &b->v.iv;
        int c = em_interval_compare(*x, *y);
        if (c != 0) return c;
        if (x->months != y->months) return CMP(x->months, y->months);
        if (x->days != y->days) return CMP(x->days, y->days);
        return CMP(x->micros, y->micros);
    }
    case EM_TYPE_COUNT_:
        break;
    }
    return 0;
}

/* ---- printing ----------------------------------------------------------- */

void em_value_format(const em_value *v, em_strbuf *out)
{
    char buf[128]; /* the longest INTERVAL text is about 70 bytes */
    if (v->is_null) {
        em_strbuf_puts(out, "NULL");
        return;
    }
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_NULL:
        em_strbuf_puts(out, "NULL");
        return;
    case EM_TYPE_BOOLEAN:
        em_strbuf_puts(out, v->v.b ? "true" : "false");
        return;
    case EM_TYPE_INTEGER:
        em_strbuf_printf(out, "%d", (int)v->v.i32);
        return;
    case EM_TYPE_BIGINT:
        em_strbuf_printf(out, "%lld", (long long)v->v.i64);
        return;
    case EM_TYPE_DOUBLE:
        em_format_double(v->v.f64, buf, sizeof(buf));
        break;
    case EM_TYPE_DECIMAL:
        em_format_decimal(v->v.i64, v->type.scale, buf, sizeof(buf));
        break;
    case EM_TYPE_VARCHAR:
        em_strbuf_append(out, v->v.str.ptr, (size_t)v->v.str.len);
        return;
    case EM_TYPE_DATE:
        em_format_date(v->v.i32, buf, sizeof(buf));
        break;
    case EM_TYPE_TIMESTAMP:
        em_format_timestamp(v->v.i64, buf, sizeof(buf));
        break;
    case EM_TYPE_INTERVAL:
        em_format_interval(v->v.iv, buf, sizeof(buf));
        break;
    case EM_TYPE_COUNT_:
        return;
    }
    em_strbuf_puts(out, buf);
}

/* ---- casts -------------------------------------------------------------- */

static int err_string(em_error *err, const em_value *in, em_type to)
{
    char tn[32];
    int len = EM_MIN(in->v.str.len, 200);
    return em_error_set(err, EM_ETYPE, "could not convert string '%.*s'%s to %s", len,
                        in->v.str.ptr, in->v.str.len > len ? "..." : "",
                        em_type_name(to, tn, sizeof(tn)));
}

static int err_range(em_error *err, const em_value *in, em_type to)
{
    char tn[32];
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_value_format(in, &sb);
    em_error_set(err, EM_EOVERFLOW, "value %s is out of range for type %s", sb.data,
                 em_type_name(to, tn, sizeof(tn)));
    em_strbuf_release(&sb);
    return EM_EOVERFLOW;
}

static int err_cast(em_error *err, em_type from, em_type to)
{
    char a[32], b[32];
    return em_error_set(err, EM_ETYPE, "cannot cast %s to %s", em_type_name(from, a, sizeof(a)),
                        em_type_name(to, b, sizeof(b)));
}

/* Divide by 10^k rounding half away from zero. */
static int64_t div_round(int64_t v, int k)
{
    if (k == 0) return v;
    int64_t p = em_pow10[k];
    int64_t q = v / p, r = v % p;
    if (r < 0 ? -r * 2 >= p : r * 2 >= p) q += v < 0 ? -1 : 1;
    return q;
}

/* Build an exact integral result of type `to` from an int128 value. */
static int integral_result(__int128 x, const em_value *in, em_type to, em_value *out, em_error *err)
{
    if (to.id == EM_TYPE_INTEGER) {
        if (x < INT32_MIN || x > INT32_MAX) return err_range(err, in, to);
        *out = em_value_int((int32_t)x);
    } else {
        if (x < INT64_MIN || x > INT64_MAX) return err_range(err, in, to);
        *out = em_value_bigint((int64_t)x);
    }
    return 0;
}

/* Build a DECIMAL(p,s) from an unscaled int128, checking the precision. */
static int decimal_result(__int128 x, const em_value *in, em_type to, em_value *out, em_error *err)
{
    __int128 lim = em_pow10[to.precision];
    if (x >= lim || x <= -lim) return err_range(err, in, to);
    *out = em_value_decimal((int64_t)x, to.precision, to.scale);
    return 0;
}

static void trim(const char **p, size_t *n)
{
    while (*n > 0 && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\n' ||
                      (*p)[*n - 1] == '\r'))
        (*n)--;
}

/* Whether s looks like an integer literal, to tell overflow from bad syntax. */
static bool looks_integral(const char *s, size_t n)
{
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n) return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static int cast_from_string(em_value in, em_type to, em_value *out, em_error *err)
{
    const char *s = in.v.str.ptr;
    size_t n = (size_t)in.v.str.len;
    trim(&s, &n);
    switch ((em_type_id)to.id) {
    case EM_TYPE_BOOLEAN: {
        bool b;
        if (em_parse_bool(s, n, &b) < 0) return err_string(err, &in, to);
        *out = em_value_bool(b);
        return 0;
    }
    case EM_TYPE_INTEGER:
    case EM_TYPE_BIGINT: {
        int64_t x;
        if (em_parse_int64(s, n, &x) < 0) {
            if (looks_integral(s, n)) return err_range(err, &in, to);
            return err_string(err, &in, to);
        }
        return integral_result(x, &in, to, out, err);
    }
    case EM_TYPE_DOUBLE: {
        double d;
        if (em_parse_double(s, n, &d) < 0) return err_string(err, &in, to);
        *out = em_value_double(d);
        return 0;
    }
    case EM_TYPE_DECIMAL: {
        int64_t x;
        int rc = em_parse_decimal(s, n, to.precision, to.scale, &x);
        if (rc == -2) return err_range(err, &in, to);
        if (rc < 0) return err_string(err, &in, to);
        *out = em_value_decimal(x, to.precision, to.scale);
        return 0;
    }
    case EM_TYPE_DATE: {
        /* A full timestamp keeps its date part, as in PostgreSQL and DuckDB (and
         * as the vectorized cast in exec/cast.c does). */
        int32_t d;
        int64_t t;
        if (em_parse_date(s, n, &d) == 0) {
            *out = em_value_date(d);
        } else if (em_parse_timestamp(s, n, &t) == 0) {
            int64_t day = 86400LL * 1000000LL;
            *out = em_value_date((int32_t)(t >= 0 ? t / day : -((-t + day - 1) / day)));
        } else {
            return err_string(err, &in, to);
        }
        return 0;
    }
    case EM_TYPE_TIMESTAMP: {
        int64_t t;
        int32_t d;
        /* A bare date means midnight, as in PostgreSQL and DuckDB. */
        if (em_parse_timestamp(s, n, &t) == 0) {
            *out = em_value_timestamp(t);
        } else if (em_parse_date(s, n, &d) == 0) {
            em_value dv = em_value_date(d);
            return em_value_cast(NULL, dv, to, out, err);
        } else {
            return err_string(err, &in, to);
        }
        return 0;
    }
    case EM_TYPE_INTERVAL: {
        em_interval iv;
        int rc = em_parse_interval(s, n, NULL, &iv);
        if (rc == -2) return err_range(err, &in, to);
        if (rc < 0) return err_string(err, &in, to);
        *out = em_value_interval(iv);
        return 0;
    }
    default:
        return err_cast(err, in.type, to);
    }
}

int em_value_cast(em_arena *a, em_value in, em_type to, em_value *out, em_error *err)
{
    if (in.is_null) {
        *out = em_value_null(to);
        return 0;
    }
    if (em_type_equal(in.type, to)) {
        *out = in;
        return 0;
    }
    em_type_id from = (em_type_id)in.type.id;
    if (to.id == EM_TYPE_VARCHAR) {
        em_strbuf sb;
        em_strbuf_init(&sb);
        em_value_format(&in, &sb);
        char *p = em_arena_strndup(a, sb.data ? sb.data : "", sb.len);
        *out = em_value_varchar(p, (int32_t)sb.len);
        em_strbuf_release(&sb);
        return 0;
    }
    if (from == EM_TYPE_VARCHAR) return cast_from_string(in, to, out, err);

    switch ((em_type_id)to.id) {
    case EM_TYPE_BOOLEAN:
        switch (from) {
        case EM_TYPE_INTEGER:
            *out = em_value_bool(in.v.i32 != 0);
            return 0;
        case EM_TYPE_BIGINT:
        case EM_TYPE_DECIMAL:
            *out = em_value_bool(in.v.i64 != 0);
            return 0;
        case EM_TYPE_DOUBLE:
            *out = em_value_bool(in.v.f64 != 0);
            return 0;
        default:
            break;
        }
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_BIGINT:
        switch (from) {
        case EM_TYPE_BOOLEAN:
            return integral_result(in.v.b ? 1 : 0, &in, to, out, err);
        case EM_TYPE_INTEGER:
            return integral_result(in.v.i32, &in, to, out, err);
        case EM_TYPE_BIGINT:
            return integral_result(in.v.i64, &in, to, out, err);
        case EM_TYPE_DECIMAL:
            return integral_result(div_round(in.v.i64, in.type.scale), &in, to, out, err);
        case EM_TYPE_DOUBLE: {
            double r = round(in.v.f64); /* half away from zero */
            /* 2^63 is exact in a double; anything at or beyond it overflows. */
            if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
                return err_range(err, &in, to);
            return integral_result((int64_t)r, &in, to, out, err);
        }
        default:
            break;
        }
        break;
    case EM_TYPE_DOUBLE:
        switch (from) {
        case EM_TYPE_BOOLEAN:
            *out = em_value_double(in.v.b ? 1.0 : 0.0);
            return 0;
        case EM_TYPE_INTEGER:
            *out = em_value_double(in.v.i32);
            return 0;
        case EM_TYPE_BIGINT:
            *out = em_value_double((double)in.v.i64);
            return 0;
        case EM_TYPE_DECIMAL:
            *out = em_value_double(as_double(&in));
            return 0;
        default:
            break;
        }
        break;
    case EM_TYPE_DECIMAL:
        switch (from) {
        case EM_TYPE_BOOLEAN:
            return decimal_result((__int128)(in.v.b ? 1 : 0) * em_pow10[to.scale], &in, to, out,
                                  err);
        case EM_TYPE_INTEGER:
            return decimal_result((__int128)in.v.i32 * em_pow10[to.scale], &in, to, out, err);
        case EM_TYPE_BIGINT:
            return decimal_result((__int128)in.v.i64 * em_pow10[to.scale], &in, to, out, err);
        case EM_TYPE_DECIMAL: {
            int fs = in.type.scale, ts = to.scale;
            __int128 x = fs <= ts ? (__int128)in.v.i64 * em_pow10[ts - fs]
                                  : (__int128)div_round(in.v.i64, fs - ts);
            return decimal_result(x, &in, to, out, err);
        }
        case EM_TYPE_DOUBLE: {
            /* Go through the shortest decimal text of the double so that 1.005
             * becomes 1.01 at scale 2, as a person reading the number expects. */
            if (!isfinite(in.v.f64)) return err_range(err, &in, to);
            char buf[64];
            em_format_double(in.v.f64, buf, sizeof(buf));
            int64_t x;
            int rc = em_parse_decimal(buf, strlen(buf), to.precision, to.scale, &x);
            if (rc < 0) return err_range(err, &in, to);
            *out = em_value_decimal(x, to.precision, to.scale);
            return 0;
        }
        default:
            break;
        }
        break;
    case EM_TYPE_DATE:
        if (from == EM_TYPE_TIMESTAMP) {
            int64_t t = in.v.i64;
            int64_t d = t / MICROS_PER_DAY;
            if (t % MICROS_PER_DAY < 0) d--; /* floor, for instants before 1970 */
            *out = em_value_date((int32_t)d);
            return 0;
        }
        break;
    case EM_TYPE_TIMESTAMP:
        if (from == EM_TYPE_DATE) {
            __int128 t = (__int128)in.v.i32 * MICROS_PER_DAY;
            if (t > INT64_MAX || t < INT64_MIN) return err_range(err, &in, to);
            *out = em_value_timestamp((int64_t)t);
            return 0;
        }
        break;
    default:
        break;
    }
    return err_cast(err, in.type, to);
}

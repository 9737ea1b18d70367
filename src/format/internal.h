/*
 * internal.h — what the CSV and JSON readers share: allocation-free text to
 * value conversions (the hot path of every reader), type inference over
 * samples, option helpers, schema names, and split planning.
 *
 * Nothing here is part of the engine's API; symbols are em__ prefixed.
 */
#ifndef EM_FORMAT_INTERNAL_H
#define EM_FORMAT_INTERNAL_H

#include <string.h>

#include "format/format.h"

/* ---- text to values ----------------------------------------------------- */

/* Exact powers of ten representable as doubles (10^0 .. 10^22). */
extern const double em__pow10_f64[23];

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm);
 * inline because date parsing is on the readers' hot path. */
static inline int32_t em__days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline bool em__is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Strict YYYY-MM-DD with a valid calendar day. */
static inline bool em__parse_date_fast(const char *p, size_t n, int32_t *out)
{
    if (n != 10 || p[4] != '-' || p[7] != '-') return false;
    unsigned d0 = (unsigned char)p[0] - '0', d1 = (unsigned char)p[1] - '0';
    unsigned d2 = (unsigned char)p[2] - '0', d3 = (unsigned char)p[3] - '0';
    unsigned m0 = (unsigned char)p[5] - '0', m1 = (unsigned char)p[6] - '0';
    unsigned a0 = (unsigned char)p[8] - '0', a1 = (unsigned char)p[9] - '0';
    if (d0 > 9 || d1 > 9 || d2 > 9 || d3 > 9 || m0 > 9 || m1 > 9 || a0 > 9 || a1 > 9) return false;
    int y = (int)(d0 * 1000 + d1 * 100 + d2 * 10 + d3);
    int m = (int)(m0 * 10 + m1), d = (int)(a0 * 10 + a1);
    static const uint8_t mdays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m]) return false;
    if (m == 2 && d == 29 && !em__is_leap(y)) return false;
    *out = em__days_from_civil(y, m, d);
    return true;
}

/* Optional sign and decimal digits, nothing else; false on overflow. */
static inline bool em__parse_i64_fast(const char *p, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (p[0] == '-' || p[0] == '+')) {
        neg = p[0] == '-';
        i = 1;
    }
    if (i == n || n - i > 19) return false;
    uint64_t v = 0;
    if (n - i <= 18) {
        for (; i < n; i++) {
            unsigned d = (unsigned char)p[i] - '0';
            if (d > 9) return false;
            v = v * 10 + d;
        }
    } else {
        for (; i < n; i++) {
            unsigned d = (unsigned char)p[i] - '0';
            if (d > 9) return false;
            if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v)) return false;
        }
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)v;
    }
    return true;
}

/* A plain decimal number: [+-] digits [. digits] [(e|E) [+-] digits], at least
 * one mantissa digit. Returns 1 with an exact result, 0 when the text is not
 * such a number, 2 when it is one but the fast path cannot round it exactly
 * (the caller falls back to strtod). The fast path is Clinger's: a mantissa
 * below 2^53 and a power of ten up to 10^22 are both exact doubles, and one
 * IEEE multiplication or division rounds correctly. */
static inline int em__parse_f64_fast(const char *p, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (p[0] == '-' || p[0] == '+')) {
        neg = p[0] == '-';
        i = 1;
    }
    uint64_t m = 0;
    int digits = 0, exp10 = 0;
    bool any = false;
    for (; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9) break;
        any = true;
        if (m == 0 && d == 0) continue; /* leading zeros are not significant */
        if (digits < 19) {
            m = m * 10 + d;
            digits++;
        } else {
            digits++;
            exp10++;
        }
    }
    if (i < n && p[i] == '.') {
        for (i++; i < n; i++) {
            unsigned d = (unsigned char)p[i] - '0';
            if (d > 9) break;
            any = true;
            if (m == 0 && d == 0) {
                exp10--;
                continue;
            }
            if (digits < 19) {
                m = m * 10 + d;
                digits++;
                exp10--;
            } else {
                digits++;
            }
        }
    }
    if (!any) return 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (p[i] == '-' || p[i] == '+')) {
            eneg = p[i] == '-';
            i++;
        }
        if (i == n) return 0;
        int e = 0;
        for (; i < n; i++) {
            unsigned d = (unsigned char)p[i] - '0';
            if (d > 9) return 0;
            if (e < 100000) e = e * 10 + (int)d;
        }
        exp10 += eneg ? -e : e;
    }
    if (i != n) return 0;
    if (m == 0) {
        *out = neg ? -0.0 : 0.0;
        return 1;
    }
    if (digits > 19 || m > (1ULL << 53) || exp10 < -22 || exp10 > 22) return 2;
    double v = (double)m;
    v = exp10 < 0 ? v / em__pow10_f64[-exp10] : v * em__pow10_f64[exp10];
    *out = neg ? -v : v;
    return 1;
}

/* ---- SWAR digit parsing --------------------------------------------------
 * Eight ASCII digits are checked and converted with a handful of 64-bit
 * operations instead of a loop with a branch per digit. The callers below
 * read 8 or 16 bytes from p regardless of n, so they take `limit` (the end
 * of readable memory) and fall back to the plain loops near it. */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EM__SWAR 1

/* The 8 bytes at p, with the first n (1..8) as the low-order digits of an
 * 8-digit number: the bytes are shifted up and '0's fill in the front. */
static inline uint64_t em__swar_load(const char *p, size_t n)
{
    uint64_t v;
    memcpy(&v, p, 8);
    if (n < 8) v = (v << (8 * (8 - n))) | (0x3030303030303030ULL >> (8 * n));
    return v;
}

static inline bool em__swar_all_digits(uint64_t v)
{
    return (v & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL &&
           ((v + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) == 0x3030303030303030ULL;
}

/* Value of 8 digits, the first byte most significant. */
static inline uint32_t em__swar_value(uint64_t v)
{
    v -= 0x3030303030303030ULL;
    v = v * 10 + (v >> 8); /* byte 2k: the two-digit number of digits 2k, 2k+1 */
    v = ((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32)) +
         ((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32))) >>
        32;
    return (uint32_t)v;
}

/* 1..16 digits at p (all of them digits) into *out; 16 bytes readable at p. */
static inline bool em__swar_digits(const char *p, size_t n, uint64_t *out)
{
    if (n <= 8) {
        uint64_t v = em__swar_load(p, n);
        if (!em__swar_all_digits(v)) return false;
        *out = em__swar_value(v);
        return true;
    }
    uint64_t hi = em__swar_load(p, n - 8), lo = em__swar_load(p + n - 8, 8);
    if (!em__swar_all_digits(hi) || !em__swar_all_digits(lo)) return false;
    *out = (uint64_t)em__swar_value(hi) * 100000000ULL + em__swar_value(lo);
    return true;
}
#endif

/* em__parse_i64_fast, faster when 24 bytes past p are readable. */
static inline bool em__parse_i64_swar(const char *p, size_t n, const char *limit, int64_t *out)
{
#ifdef EM__SWAR
    if (limit - p >= 24 && n >= 1 && n <= 17) {
        bool neg = p[0] == '-';
        size_t i = (p[0] == '-' || p[0] == '+');
        uint64_t v;
        if (n - i == 0) return false;
        if (n - i <= 16) {
            /* Not all digits: not a plain integer for the loop either. */
            if (!em__swar_digits(p + i, n - i, &v)) return false;
            *out = neg ? -(int64_t)v : (int64_t)v;
            return true;
        }
    }
#else
    (void)limit;
#endif
    return em__parse_i64_fast(p, n, out);
}

/* Index (0..8) of the first byte of v that is not an ASCII digit. */
static inline int em__swar_first_nondigit(uint64_t v)
{
#ifdef EM__SWAR
    /* A byte is a digit when its high nibble is 3 and adding 6 keeps it so.
     * A carry out of a byte only happens for bytes >= 0xFA, which are
     * already non-digits, so the first non-digit is found correctly. */
    uint64_t c = ((v & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL) |
                 (((v + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL);
    uint64_t t =
        (c | ((c & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL)) & 0x8080808080808080ULL;
    return t == 0 ? 8 : __builtin_ctzll(t) >> 3;
#else
    (void)v;
    return 0;
#endif
}

/* em__parse_f64_fast for the common "[-]digits[.digits]" form with at most
 * 15 significant digits, faster when 40 bytes past p are readable. Returns
 * like em__parse_f64_fast; 3 means "not handled here, use the general one". */
static inline int em__parse_f64_swar(const char *p, size_t n, const char *limit, double *out)
{
#ifdef EM__SWAR
    if (limit - p >= 40 && n >= 1 && n <= 18) {
        bool neg = p[0] == '-';
        size_t i = (p[0] == '-' || p[0] == '+');
        uint64_t raw;
        memcpy(&raw, p + i, 8);
        size_t ilen = (size_t)em__swar_first_nondigit(raw);
        if (ilen > n - i) ilen = n - i;
        size_t flen = 0;
        if (ilen < n - i) {
            if (ilen == 8 || p[i + ilen] != '.') return 3; /* long, or an exponent */
            flen = n - i - ilen - 1;
        }
        if (ilen + flen == 0 || ilen + flen > 15) return 3;
        uint64_t a = 0, b = 0;
        if (ilen > 0) {
            uint64_t v = em__swar_load(p + i, ilen);
            a = em__swar_value(v);
        }
        if (flen > 0) {
            if (flen > 8) return 3;
            uint64_t v = em__swar_load(p + i + ilen + 1, flen);
            if (!em__swar_all_digits(v)) return 3;
            b = em__swar_value(v);
        }
        /* At most 15 digits: the mantissa is below 2^53, exact as a double. */
        double v = (double)(a * (uint64_t)em_pow10[flen] + b);
        if (flen > 0) v /= em__pow10_f64[flen];
        *out = neg ? -v : v;
        return 1;
    }
#else
    (void)limit;
#endif
    return 3;
}

/* The conversions readers use. Each accepts what the fast path accepts plus a
 * slower, more lenient form (surrounding blanks; for doubles inf/nan; for
 * dates and timestamps whatever vector/'s parsers accept). */
bool em__text_bool(const char *p, size_t n, bool *out);
bool em__text_i64(const char *p, size_t n, int64_t *out);
bool em__text_f64(const char *p, size_t n, double *out);
bool em__text_date(const char *p, size_t n, int32_t *out);
bool em__text_timestamp(const char *p, size_t n, int64_t *out);
/* Strict YYYY-MM-DD[( |T)hh:mm:ss[.fraction]] (a bare date is midnight). */
bool em__parse_timestamp_fast(const char *p, size_t n, int64_t *out);

/* Append the text, converted to the vector's type; false when it does not
 * convert (the vector is unchanged). Deciding what is NULL is the caller's job. */
bool em__append_text(em_vector *v, const char *p, size_t n);

/* ---- inference ---------------------------------------------------------- */

/* Candidate types of a column, narrowest first; VARCHAR is implied. */
enum {
    EM__CAND_BOOLEAN = 1 << 0,
    EM__CAND_BIGINT = 1 << 1,
    EM__CAND_DOUBLE = 1 << 2,
    EM__CAND_DATE = 1 << 3,
    EM__CAND_TIMESTAMP = 1 << 4,
    EM__CAND_ALL = 31,
};
/* The candidates among `cand` that parse this (non-empty) value. Inference is
 * stricter than conversion: booleans are true/false only, numbers are plain
 * decimals, dates and timestamps are ISO. */
unsigned em__text_candidates(const char *p, size_t n, unsigned cand);
/* The narrowest surviving candidate, or VARCHAR. */
em_type em__candidates_type(unsigned cand);

/* ---- errors ------------------------------------------------------------- */

/* 1-based physical line of byte `offset` (counts newlines before it). */
int64_t em__line_at(const char *base, int64_t offset);
/* "path:line: column 'name' (k): could not convert 'value' to TYPE". */
int em__convert_error(em_error *err, const char *path, int64_t line, const em_schema *s, int col,
                      const char *p, size_t n);

/* ---- options ------------------------------------------------------------ */

/* Error unless every option of d is one of `known` (NULL-terminated); the
 * message names the option and suggests the closest known name. */
int em__check_options(const em_scan_desc *d, const char *format, const char *const *known,
                      em_error *err);
/* The first option set among the aliases (NULL-terminated), or NULL. */
const char *em__option_any(const em_scan_desc *d, const char *const *aliases);
int em__option_bool(const char *key, const char *value, bool *out, em_error *err);
int em__option_int(const char *key, const char *value, int64_t *out, em_error *err);
/* Options "compression" (none/auto) and "encoding"/"charset" (UTF-8) accept
 * only what the readers do: plain UTF-8 files. */
int em__check_plain_file(const em_scan_desc *d, em_error *err);
/* Replace every option of d by nothing (used before storing resolved ones). */
void em__options_clear(em_scan_desc *d);

/* ---- schema names ------------------------------------------------------- */

/* Make names unique (case-insensitively) and non-empty in place: an empty
 * name at position i becomes "column<i>", a repeated "a" becomes "a_1", ... */
void em__unique_names(char **names, int n);

/* ---- splits ------------------------------------------------------------- */

/* Run fn(ctx, 0..n-1) on the pool (the calling thread helps); serial when
 * pool is NULL. Returns after every call has finished. */
void em__parallel_for(em_threadpool *pool, int n, void (*fn)(void *ctx, int i), void *ctx);
void em__add_split(em_scan_desc *d, int file, int64_t start, int64_t end);
/* Offset just after a UTF-8 byte order mark at the start of the buffer, or 0. */
static inline int64_t em__skip_bom(const char *p, int64_t n)
{
    return (n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
            (unsigned char)p[2] == 0xBF)
               ? 3
               : 0;
}

#endif

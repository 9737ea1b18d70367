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
    if ((d0 | d1 | d2 | d3 | m0 | m1 | a0 | a1) > 9) return false;
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

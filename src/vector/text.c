/*
 * text.c — conversions between text and the engine's value representations:
 * integers, doubles, decimals, booleans, dates and timestamps. Readers call
 * the parsers once per field, so they avoid allocation and locale lookups;
 * the formatters write into caller buffers.
 *
 * Dates use the proleptic Gregorian calendar; the day-number conversions are
 * Howard Hinnant's civil-calendar algorithms, which work for any year.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vector/vector.h"

const int64_t em_pow10[19] = {1LL,
                              10LL,
                              100LL,
                              1000LL,
                              10000LL,
                              100000LL,
                              1000000LL,
                              10000000LL,
                              100000000LL,
                              1000000000LL,
                              10000000000LL,
                              100000000000LL,
                              1000000000000LL,
                              10000000000000LL,
                              100000000000000LL,
                              1000000000000000LL,
                              10000000000000000LL,
                              100000000000000000LL,
                              1000000000000000000LL};

#define MICROS_PER_DAY 86400000000LL

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* ---- integers ----------------------------------------------------------- */

int em_parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n) return -1;
    /* Accumulate as unsigned so that INT64_MIN parses without overflow. */
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* ---- doubles ------------------------------------------------------------ */

/* Powers of ten that are exact in a double (10^22 is the largest). */
static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The common short decimal forms ("12.5", "-0.001", "3e4") convert exactly
 * with one multiplication or division when the mantissa fits in 53 bits and
 * the power of ten is exact; everything else goes through strtod. Returns 0
 * on success, 1 when the fast path does not apply, -1 when malformed. */
static int parse_double_fast(const char *s, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    uint64_t mant = 0;
    int digits = 0, exp10 = 0;
    bool any = false;
    while (i < n && is_digit(s[i])) {
        any = true;
        if (mant == 0 && s[i] == '0') {
            i++;
            continue;
        }
        if (digits >= 19) return 1;
        mant = mant * 10 + (uint64_t)(s[i++] - '0');
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) {
            any = true;
            if (mant == 0 && s[i] == '0') {
                exp10--;
                i++;
                continue;
            }
            if (digits >= 19) return 1;
            mant = mant * 10 + (uint64_t)(s[i++] - '0');
            digits++;
            exp10--;
        }
    }
    if (!any) return 1; /* "inf", "nan", ".": let strtod decide */
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        if (i == n || !is_digit(s[i])) return -1;
        int e = 0;
        while (i < n && is_digit(s[i])) {
            if (e > 100000) return 1;
            e = e * 10 + (s[i++] - '0');
        }
        exp10 += eneg ? -e : e;
    }
    if (i != n) return -1;
    if (mant == 0) {
        *out = neg ? -0.0 : 0.0;
        return 0;
    }
    if (mant > (1ULL << 53) || exp10 < -22 || exp10 > 22) return 1;
    double d = (double)mant;
    d = exp10 < 0 ? d / exact_pow10[-exp10] : d * exact_pow10[exp10];
    *out = neg ? -d : d;
    return 0;
}

int em_parse_double(const char *s, size_t n, double *out)
{
    if (n == 0) return -1;
    int rc = parse_double_fast(s, n, out);
    if (rc <= 0) return rc;
    /* strtod needs a terminated string and accepts forms SQL does not:
     * leading blanks and hexadecimal floats. */
    if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\f' || s[0] == '\v')
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s[i] == 'x' || s[i] == 'X' || s[i] == '(' || s[i] == '\0') return -1;
    char stack[128];
    char *buf = n < sizeof(stack) ? stack : em_malloc(n + 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double d = strtod(buf, &end);
    bool ok = end == buf + n;
    if (buf != stack) em_free(buf);
    if (!ok) return -1;
    *out = d;
    return 0;
}

/* ---- decimals ----------------------------------------------------------- */

/*
 * Parse a decimal literal ("-12.345", "1e3", ".5") into an int64 scaled by
 * 10^scale. Extra fraction digits are rounded half away from zero.
 * Returns 0, -1 when malformed, -2 when the value needs more than
 * `precision` digits.
 */
int em_parse_decimal(const char *s, size_t n, int precision, int scale, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    /* Locate the digit runs first so that an exponent can move the point. */
    size_t int_start = i;
    while (i < n && is_digit(s[i])) i++;
    size_t int_end = i;
    size_t frac_start = i, frac_end = i;
    if (i < n && s[i] == '.') {
        i++;
        frac_start = i;
        while (i < n && is_digit(s[i])) i++;
        frac_end = i;
    }
    if (int_end == int_start && frac_end == frac_start) return -1;
    long exp10 = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        if (i == n || !is_digit(s[i])) return -1;
        /* Saturate: a huge exponent overflows (or rounds to zero) anyway. */
        while (i < n && is_digit(s[i])) {
            if (exp10 < 100000) exp10 = exp10 * 10 + (s[i] - '0');
            i++;
        }
        if (eneg) exp10 = -exp10;
    }
    if (i != n) return -1;

    /* Digit k of the concatenated digit string has weight
     * 10^(int_len - 1 - k + exp10); we want weights down to 10^-scale. */
    size_t int_len = int_end - int_start;
    size_t frac_len = frac_end - frac_start;
    size_t total = int_len + frac_len;
    const int64_t limit = em_pow10[precision];
    uint64_t v = 0;
    int round_digit = 0;
    for (size_t k = 0; k < total; k++) {
        char c = k < int_len ? s[int_start + k] : s[frac_start + (k - int_len)];
        long weight = (long)int_len - 1 - (long)k + exp10;
        if (weight < -scale) {
            if (weight == -scale - 1) round_digit = c - '0';
            break;
        }
        v = v * 10 + (uint64_t)(c - '0');
        if (v >= (uint64_t)limit) return -2;
    }
    /* Digits the input did not spell out (e.g. "12" with scale 2, "1e3"). */
    long last_weight = (long)int_len - (long)total + exp10; /* weight of the last digit */
    if (total > 0) {
        long pad = last_weight - (-scale);
        for (long k = 0; k < pad; k++) {
            if (v == 0) break;
            v *= 10;
            if (v >= (uint64_t)limit) return -2;
        }
    }
    if (round_digit >= 5) {
        v++;
        if (v >= (uint64_t)limit) return -2;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

void em_format_decimal(int64_t unscaled, int scale, char *buf, size_t cap)
{
    uint64_t mag = unscaled < 0 ? 0 - (uint64_t)unscaled : (uint64_t)unscaled;
    char digits[32];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag > 0);
    /* At least one digit before the point. */
    while (nd <= scale) digits[nd++] = '0';
    char tmp[48];
    size_t n = 0;
    if (unscaled < 0) tmp[n++] = '-';
    for (int k = nd - 1; k >= 0; k--) {
        tmp[n++] = digits[k];
        if (k == scale && scale > 0) tmp[n++] = '.';
    }
    tmp[n] = '\0';
    snprintf(buf, cap, "%s", tmp);
}

void em_format_double(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, v < 0 ? "-inf" : "inf");
        return;
    }
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v) break;
    }
    /* Integral values keep a ".0" so that they read as doubles (DuckDB style). */
    if (strpbrk(tmp, ".e") == NULL) {
        size_t n = strlen(tmp);
        memcpy(tmp + n, ".0", 3);
    }
    snprintf(buf, cap, "%s", tmp);
}

/* ---- booleans ----------------------------------------------------------- */

static bool ieq_n(const char *s, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (word[i] == '\0' || c != word[i]) return false;
    }
    return word[i] == '\0';
}

int em_parse_bool(const char *s, size_t n, bool *out)
{
    if (ieq_n(s, n, "true") || ieq_n(s, n, "t") || ieq_n(s, n, "1") || ieq_n(s, n, "yes") ||
        ieq_n(s, n, "y")) {
        *out = true;
        return 0;
    }
    if (ieq_n(s, n, "false") || ieq_n(s, n, "f") || ieq_n(s, n, "0") || ieq_n(s, n, "no") ||
        ieq_n(s, n, "n")) {
        *out = false;
        return 0;
    }
    return -1;
}

/* ---- dates and timestamps ----------------------------------------------- */

int32_t em_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;                                   /* [0, 399] */
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return (int32_t)(era * 146097 + doe - 719468);
}

void em_civil_from_days(int32_t days, int *y, int *m, int *d)
{
    const int64_t z = (int64_t)days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    const int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Read between min and max digits at s[*i]; returns -1 when there are too few. */
static int64_t read_digits(const char *s, size_t n, size_t *i, int min, int max)
{
    int64_t v = 0;
    int k = 0;
    while (*i < n && k < max && is_digit(s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    return k < min ? -1 : v;
}

/* Parse the date prefix YYYY-MM-DD (year 1 to 6 digits, month and day 1 or 2). */
static int parse_date_prefix(const char *s, size_t n, size_t *i, int32_t *days)
{
    int64_t y = read_digits(s, n, i, 1, 6);
    if (y < 0 || *i >= n || s[*i] != '-') return -1;
    (*i)++;
    int64_t m = read_digits(s, n, i, 1, 2);
    if (m < 1 || m > 12 || *i >= n || s[*i] != '-') return -1;
    (*i)++;
    int64_t d = read_digits(s, n, i, 1, 2);
    if (d < 1 || d > days_in_month(y, (int)m)) return -1;
    *days = em_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

int em_parse_date(const char *s, size_t n, int32_t *days)
{
    size_t i = 0;
    if (parse_date_prefix(s, n, &i, days) < 0 || i != n) return -1;
    return 0;
}

/* Days whose microseconds (plus a day of slack for offsets) fit in an int64:
 * roughly the years -290000 to 294000. */
#define MAX_TIMESTAMP_DAYS 106751990

int em_parse_timestamp(const char *s, size_t n, int64_t *micros)
{
    size_t i = 0;
    int32_t days;
    if (parse_date_prefix(s, n, &i, &days) < 0) return -1;
    if (days > MAX_TIMESTAMP_DAYS || days < -MAX_TIMESTAMP_DAYS) return -1;
    if (i >= n || (s[i] != ' ' && s[i] != 'T' && s[i] != 't')) return -1;
    i++;
    int64_t hh = read_digits(s, n, &i, 1, 2);
    if (hh < 0 || hh > 23 || i >= n || s[i] != ':') return -1;
    i++;
    int64_t mi = read_digits(s, n, &i, 2, 2);
    if (mi < 0 || mi > 59) return -1;
    int64_t ss = 0, frac = 0;
    if (i < n && s[i] == ':') {
        i++;
        ss = read_digits(s, n, &i, 2, 2);
        if (ss < 0 || ss > 59) return -1;
        if (i < n && s[i] == '.') {
            i++;
            /* Microsecond resolution: digits past the sixth round the result. */
            int k = 0;
            bool round_up = false;
            while (i < n && is_digit(s[i])) {
                if (k < 6)
                    frac = frac * 10 + (s[i] - '0');
                else if (k == 6)
                    round_up = s[i] >= '5';
                k++;
                i++;
            }
            if (k == 0) return -1;
            for (; k < 6; k++) frac *= 10;
            if (round_up) frac++;
        }
    }
    /* An explicit UTC designator or offset converts the value to UTC. */
    int64_t offset_min = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        int64_t oh = read_digits(s, n, &i, 2, 2);
        if (oh < 0 || oh > 18) return -1;
        int64_t om = 0;
        if (i < n && s[i] == ':') i++;
        if (i < n) {
            om = read_digits(s, n, &i, 2, 2);
            if (om < 0 || om > 59) return -1;
        }
        offset_min = sign * (oh * 60 + om);
    }
    if (i != n) return -1;
    int64_t secs = hh * 3600 + mi * 60 + ss - offset_min * 60;
    *micros = (int64_t)days * MICROS_PER_DAY + secs * 1000000 + frac;
    return 0;
}

void em_format_date(int32_t days, char *buf, size_t cap)
{
    int y, m, d;
    em_civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d", y, m, d);
}

void em_format_timestamp(int64_t micros, char *buf, size_t cap)
{
    /* Floor division keeps times before 1970 on the right day. */
    int64_t days = micros / MICROS_PER_DAY;
    int64_t rem = micros % MICROS_PER_DAY;
    if (rem < 0) {
        rem += MICROS_PER_DAY;
        days--;
    }
    int y, m, d;
    em_civil_from_days((int32_t)days, &y, &m, &d);
    int64_t secs = rem / 1000000;
    int64_t frac = rem % 1000000;
    char tmp[64];
    int n = snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, (int)(secs / 3600),
                     (int)(secs / 60 % 60), (int)(secs % 60));
    if (frac != 0) {
        /* Trailing zeros of the fraction are dropped, as PostgreSQL does. */
        char f[8];
        snprintf(f, sizeof(f), "%06d", (int)frac);
        int fl = 6;
        while (fl > 0 && f[fl - 1] == '0') fl--;
        f[fl] = '\0';
        snprintf(tmp + n, sizeof(tmp) - (size_t)n, ".%s", f);
    }
    snprintf(buf, cap, "%s", tmp);
}

/*
 * interval.c — the INTERVAL type's text forms, order and arithmetic.
 *
 * An interval keeps months, days and microseconds apart (em_interval), as
 * PostgreSQL and DuckDB do: "1 month" added to January 31 lands on the last
 * day of February, which no fixed number of days would. For ordering,
 * equality and hashing a month counts as 30 days and a day as 24 hours
 * (PostgreSQL's interval_cmp_value), so '1 month' = '30 days'.
 *
 * Parsing follows PostgreSQL's interval input: a sequence of quantities with
 * units ('1 year 2 mons -3 days'), clock times ('04:05:06.5'), years-months
 * ('1-2'), a trailing 'ago', and ISO 8601 durations ('P1Y2M3DT4H5M6S').
 * Fractions cascade down (1.5 months = 1 month 15 days). Formatting follows
 * DuckDB ('1 year 2 months 3 days 04:05:06.5'), whose answers ember's tests
 * are compared with.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vector/vector.h"

#define US_PER_SEC 1000000LL
#define US_PER_MIN (60 * US_PER_SEC)
#define US_PER_HOUR (60 * US_PER_MIN)
#define DAYS_PER_MONTH 30

/* ---- order and hashing ------------------------------------------------------ */

int em_interval_compare(em_interval a, em_interval b)
{
    __int128 x = em_interval_span(a), y = em_interval_span(b);
    return x < y ? -1 : x > y ? 1 : 0;
}

uint64_t em_interval_hash(em_interval iv, uint64_t seed)
{
    __int128 span = em_interval_span(iv);
    uint64_t lo = (uint64_t)span, hi = (uint64_t)(span >> 64);
    return em_hash_combine(em_hash_u64(lo, seed), em_hash_u64(hi, seed));
}

/* ---- parsing ------------------------------------------------------------------ */

/* The fields a quantity can be given in. */
typedef enum field {
    F_NONE = 0,
    F_MICROSECOND,
    F_MILLISECOND,
    F_SECOND,
    F_MINUTE,
    F_HOUR,
    F_DAY,
    F_WEEK,
    F_MONTH,
    F_YEAR,
    F_DECADE,
    F_CENTURY,
    F_MILLENNIUM,
} field;

static const struct {
    const char *name;
    field f;
} unit_names[] = {
    {"microsecond", F_MICROSECOND},
    {"microseconds", F_MICROSECOND},
    {"us", F_MICROSECOND},
    {"usec", F_MICROSECOND},
    {"usecs", F_MICROSECOND},
    {"millisecond", F_MILLISECOND},
    {"milliseconds", F_MILLISECOND},
    {"ms", F_MILLISECOND},
    {"msec", F_MILLISECOND},
    {"msecs", F_MILLISECOND},
    {"second", F_SECOND},
    {"seconds", F_SECOND},
    {"s", F_SECOND},
    {"sec", F_SECOND},
    {"secs", F_SECOND},
    {"minute", F_MINUTE},
    {"minutes", F_MINUTE},
    {"m", F_MINUTE},
    {"min", F_MINUTE},
    {"mins", F_MINUTE},
    {"hour", F_HOUR},
    {"hours", F_HOUR},
    {"h", F_HOUR},
    {"hr", F_HOUR},
    {"hrs", F_HOUR},
    {"day", F_DAY},
    {"days", F_DAY},
    {"d", F_DAY},
    {"week", F_WEEK},
    {"weeks", F_WEEK},
    {"w", F_WEEK},
    {"month", F_MONTH},
    {"months", F_MONTH},
    {"mon", F_MONTH},
    {"mons", F_MONTH},
    {"year", F_YEAR},
    {"years", F_YEAR},
    {"y", F_YEAR},
    {"yr", F_YEAR},
    {"yrs", F_YEAR},
    {"decade", F_DECADE},
    {"decades", F_DECADE},
    {"century", F_CENTURY},
    {"centuries", F_CENTURY},
    {"millennium", F_MILLENNIUM},
    {"millennia", F_MILLENNIUM},
    {"millenniums", F_MILLENNIUM},
};

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

static field lookup_unit(const char *s, size_t n)
{
    for (size_t i = 0; i < EM_ARRAY_LEN(unit_names); i++)
        if (ieq_n(s, n, unit_names[i].name)) return unit_names[i].f;
    return F_NONE;
}

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The accumulating result: wide enough that only the final check overflows. */
typedef struct acc {
    __int128 months;
    __int128 days;
    __int128 micros;
} acc;

/* A decimal quantity: sign, integer part and fraction (num / 10^scale). */
typedef struct num {
    bool neg;
    int64_t whole;
    int64_t frac;
    int scale;
} num;

/* Parse [+-]digits[.digits] at s[*i]; false when there is no number there. */
static bool read_num(const char *s, size_t n, size_t *i, num *out)
{
    size_t k = *i;
    memset(out, 0, sizeof(*out));
    if (k < n && (s[k] == '+' || s[k] == '-')) out->neg = s[k++] == '-';
    bool any = false;
    while (k < n && is_digit(s[k])) {
        if (out->whole > (INT64_MAX - 9) / 10) return false;
        out->whole = out->whole * 10 + (s[k++] - '0');
        any = true;
    }
    if (k < n && s[k] == '.') {
        k++;
        while (k < n && is_digit(s[k])) {
            /* Digits past the 18th cannot matter at microsecond resolution. */
            if (out->scale < 18) {
                out->frac = out->frac * 10 + (s[k] - '0');
                out->scale++;
            }
            k++;
            any = true;
        }
    }
    if (!any) return false;
    *i = k;
    return true;
}

/* frac * mul / 10^scale rounded half away from zero (mul >= 0). */
static __int128 frac_times(const num *x, __int128 mul)
{
    if (x->frac == 0) return 0;
    __int128 p = em_pow10[x->scale];
    __int128 t = (__int128)x->frac * mul;
    return (t + p / 2) / p;
}

/* Add quantity x of field f to the accumulator; fractions cascade down. */
static int add_quantity(acc *a, const num *x, field f)
{
    __int128 sign = x->neg ? -1 : 1;
    __int128 w = x->whole;
    switch (f) {
    case F_MICROSECOND:
        a->micros += sign * (w + frac_times(x, 1));
        return 0;
    case F_MILLISECOND:
        a->micros += sign * (w * 1000 + frac_times(x, 1000));
        return 0;
    case F_SECOND:
        a->micros += sign * (w * US_PER_SEC + frac_times(x, US_PER_SEC));
        return 0;
    case F_MINUTE:
        a->micros += sign * (w * US_PER_MIN + frac_times(x, US_PER_MIN));
        return 0;
    case F_HOUR:
        a->micros += sign * (w * US_PER_HOUR + frac_times(x, US_PER_HOUR));
        return 0;
    case F_DAY:
    case F_WEEK: {
        int per = f == F_WEEK ? 7 : 1;
        a->days += sign * w * per;
        /* Whole days of the fraction stay days; the rest becomes time. */
        __int128 frac_us = frac_times(x, (__int128)per * EM_MICROS_PER_DAY);
        a->days += sign * (frac_us / EM_MICROS_PER_DAY);
        a->micros += sign * (frac_us % EM_MICROS_PER_DAY);
        return 0;
    }
    case F_MONTH: {
        a->months += sign * w;
        __int128 frac_us = frac_times(x, (__int128)DAYS_PER_MONTH * EM_MICROS_PER_DAY);
        a->days += sign * (frac_us / EM_MICROS_PER_DAY);
        a->micros += sign * (frac_us % EM_MICROS_PER_DAY);
        return 0;
    }
    case F_YEAR:
    case F_DECADE:
    case F_CENTURY:
    case F_MILLENNIUM: {
        int years = f == F_YEAR ? 1 : f == F_DECADE ? 10 : f == F_CENTURY ? 100 : 1000;
        /* A fraction of a year becomes whole months, rounded (PostgreSQL). */
        a->months += sign * (w * years * 12 + frac_times(x, (__int128)years * 12));
        return 0;
    }
    case F_NONE:
        break;
    }
    return -1;
}

/* A clock time [+-]h:mm[:ss[.f]] (or mm:ss[.f] when `min_sec`) at s[i..end). */
static int read_clock(const char *s, size_t i, size_t end, bool min_sec, acc *a)
{
    bool neg = false;
    if (i < end && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    int64_t parts[3] = {0, 0, 0};
    int np = 0;
    num frac = {false, 0, 0, 0};
    for (;;) {
        if (i >= end || !is_digit(s[i]) || np == 3) return -1;
        int64_t v = 0;
        while (i < end && is_digit(s[i])) {
            if (v > 100000000000LL) return -2;
            v = v * 10 + (s[i++] - '0');
        }
        parts[np++] = v;
        if (i < end && s[i] == ':') {
            i++;
            continue;
        }
        if (i < end && s[i] == '.') {
            /* Only the last part (the seconds) takes a fraction. */
            size_t k = i;
            num f;
            if (!read_num(s, end, &k, &f) || f.whole != 0 || f.neg) return -1;
            frac = f;
            i = k;
        }
        break;
    }
    if (i != end || np < 2) return -1;
    /* h:m, h:m:s, or m:s when the field restriction says MINUTE TO SECOND or
     * the second part carries a fraction (PostgreSQL reads '1:02.5' that way).
     * The leading part may be large ('100:00:00'); the others stay below 60. */
    int64_t h = 0, m = 0, sec = 0;
    if (np == 3) {
        h = parts[0], m = parts[1], sec = parts[2];
        if (m > 59 || sec > 59) return -1;
    } else if (min_sec || frac.scale > 0) {
        m = parts[0], sec = parts[1];
        if (sec > 59) return -1;
    } else {
        h = parts[0], m = parts[1];
        if (m > 59) return -1;
    }
    __int128 us = (__int128)h * US_PER_HOUR + (__int128)m * US_PER_MIN +
                  (__int128)sec * US_PER_SEC + frac_times(&frac, US_PER_SEC);
    a->micros += neg ? -us : us;
    return 0;
}

/* ISO 8601 duration: P[nY][nM][nW][nD][T[nH][nM][nS]]. */
static int parse_iso(const char *s, size_t n, acc *a)
{
    size_t i = 1; /* past the P */
    bool time = false, any = false;
    while (i < n) {
        if (s[i] == 'T' || s[i] == 't') {
            if (time) return -1;
            time = true;
            i++;
            continue;
        }
        num x;
        if (!read_num(s, n, &i, &x) || i >= n) return -1;
        char u = s[i++];
        if (u >= 'a' && u <= 'z') u = (char)(u - 'a' + 'A');
        field f = F_NONE;
        switch (u) {
        case 'Y':
            f = time ? F_NONE : F_YEAR;
            break;
        case 'M':
            f = time ? F_MINUTE : F_MONTH;
            break;
        case 'W':
            f = time ? F_NONE : F_WEEK;
            break;
        case 'D':
            f = time ? F_NONE : F_DAY;
            break;
        case 'H':
            f = time ? F_HOUR : F_NONE;
            break;
        case 'S':
            f = time ? F_SECOND : F_NONE;
            break;
        default:
            break;
        }
        if (f == F_NONE) return -1;
        EM_TRY(add_quantity(a, &x, f));
        any = true;
    }
    return any ? 0 : -1;
}

/* The smallest field of an INTERVAL literal's field keyword ("day to second"
 * -> second), and whether clock times read as minutes:seconds. */
static int unit_field(const char *unit, field *smallest, bool *min_sec)
{
    *smallest = F_NONE;
    *min_sec = false;
    if (unit == NULL) return 0;
    const char *last = strrchr(unit, ' ');
    last = last ? last + 1 : unit;
    *smallest = lookup_unit(last, strlen(last));
    *min_sec = strcmp(unit, "minute to second") == 0;
    switch (*smallest) {
    case F_YEAR:
    case F_MONTH:
    case F_DAY:
    case F_HOUR:
    case F_MINUTE:
    case F_SECOND:
        return 0;
    default:
        return -1;
    }
}

/* Drop the fields below `smallest` (INTERVAL '1 day 02:00' DAY is 1 day). */
static void truncate_to(acc *a, field smallest)
{
    switch (smallest) {
    case F_YEAR:
        a->months = a->months / 12 * 12;
        a->days = 0;
        a->micros = 0;
        break;
    case F_MONTH:
        a->days = 0;
        a->micros = 0;
        break;
    case F_DAY:
        a->micros = 0;
        break;
    case F_HOUR:
        a->micros = a->micros / US_PER_HOUR * US_PER_HOUR;
        break;
    case F_MINUTE:
        a->micros = a->micros / US_PER_MIN * US_PER_MIN;
        break;
    default:
        break;
    }
}

/* A token is a years-months pair "[+-]y-m". */
static bool read_year_month(const char *s, size_t i, size_t end, acc *a)
{
    bool neg = false;
    if (i < end && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    int64_t y = 0, m = 0;
    size_t start = i;
    while (i < end && is_digit(s[i]) && i - start < 10) y = y * 10 + (s[i++] - '0');
    if (i == start || i >= end || s[i] != '-') return false;
    i++;
    start = i;
    while (i < end && is_digit(s[i]) && i - start < 3) m = m * 10 + (s[i++] - '0');
    if (i == start || i != end || m > 11) return false;
    __int128 months = (__int128)y * 12 + m;
    a->months += neg ? -months : months;
    return true;
}

int em_parse_interval(const char *s, size_t n, const char *unit, em_interval *out)
{
    field smallest;
    bool min_sec;
    if (unit_field(unit, &smallest, &min_sec) < 0) return -1;
    while (n > 0 && is_space(*s)) s++, n--;
    while (n > 0 && is_space(s[n - 1])) n--;
    if (n > 0 && s[0] == '@') {
        s++, n--;
        while (n > 0 && is_space(*s)) s++, n--;
    }
    if (n == 0) return -1;
    acc a = {0, 0, 0};
    if ((s[0] == 'P' || s[0] == 'p') && n > 1) {
        int rc = parse_iso(s, n, &a);
        if (rc < 0) return rc;
    } else {
        size_t i = 0;
        bool any = false, ago = false;
        while (i < n) {
            while (i < n && is_space(s[i])) i++;
            if (i >= n) break;
            if (ago) return -1; /* 'ago' ends the text */
            size_t start = i;
            while (i < n && !is_space(s[i])) i++;
            size_t end = i;
            /* A token: a clock time, a years-months pair, 'ago', or a number
             * with its unit attached ('10d') or in the next token ('10 days'). */
            if (memchr(s + start, ':', end - start) != NULL) {
                int rc = read_clock(s, start, end, min_sec, &a);
                if (rc < 0) return rc;
                any = true;
                continue;
            }
            if (ieq_n(s + start, end - start, "ago")) {
                if (!any) return -1;
                ago = true;
                continue;
            }
            if (read_year_month(s, start, end, &a)) {
                any = true;
                continue;
            }
            size_t k = start;
            num x;
            if (!read_num(s, end, &k, &x)) return -1;
            field f = F_NONE;
            if (k < end) {
                f = lookup_unit(s + k, end - k);
                if (f == F_NONE) return -1;
            } else {
                /* Look ahead for a unit word. */
                size_t j = i;
                while (j < n && is_space(s[j])) j++;
                size_t ws = j;
                while (j < n && !is_space(s[j])) j++;
                if (j > ws && is_alpha(s[ws]) && !ieq_n(s + ws, j - ws, "ago")) {
                    f = lookup_unit(s + ws, j - ws);
                    if (f == F_NONE) return -1;
                    i = j;
                } else if (j > ws && memchr(s + ws, ':', j - ws) != NULL) {
                    /* A number before a clock time counts days: '3 04:05:06'. */
                    f = F_DAY;
                } else {
                    /* A bare number counts the literal's smallest field, else seconds. */
                    f = smallest != F_NONE ? smallest : F_SECOND;
                }
            }
            if (add_quantity(&a, &x, f) < 0) return -1;
            any = true;
        }
        if (!any) return -1;
        if (ago) {
            a.months = -a.months;
            a.days = -a.days;
            a.micros = -a.micros;
        }
    }
    truncate_to(&a, smallest);
    if (a.months < INT32_MIN || a.months > INT32_MAX || a.days < INT32_MIN || a.days > INT32_MAX ||
        a.micros < INT64_MIN || a.micros > INT64_MAX)
        return -2;
    out->months = (int32_t)a.months;
    out->days = (int32_t)a.days;
    out->micros = (int64_t)a.micros;
    return 0;
}

/* ---- formatting ------------------------------------------------------------------ */

static size_t put_part(char *tmp, size_t n, size_t cap, long long v, const char *one,
                       const char *many)
{
    if (v == 0) return n;
    int w = snprintf(tmp + n, cap - n, "%s%lld %s", n > 0 ? " " : "", v,
                     v == 1 || v == -1 ? one : many);
    return w > 0 && (size_t)w < cap - n ? n + (size_t)w : n;
}

void em_format_interval(em_interval iv, char *buf, size_t cap)
{
    char tmp[128];
    size_t n = 0;
    tmp[0] = '\0';
    n = put_part(tmp, n, sizeof(tmp), iv.months / 12, "year", "years");
    n = put_part(tmp, n, sizeof(tmp), iv.months % 12, "month", "months");
    n = put_part(tmp, n, sizeof(tmp), iv.days, "day", "days");
    if (iv.micros != 0 || n == 0) {
        uint64_t us = iv.micros < 0 ? 0 - (uint64_t)iv.micros : (uint64_t)iv.micros;
        uint64_t secs = us / US_PER_SEC, frac = us % US_PER_SEC;
        int w = snprintf(tmp + n, sizeof(tmp) - n, "%s%s%02llu:%02llu:%02llu", n > 0 ? " " : "",
                         iv.micros < 0 ? "-" : "", (unsigned long long)(secs / 3600),
                         (unsigned long long)(secs / 60 % 60), (unsigned long long)(secs % 60));
        if (w > 0 && (size_t)w < sizeof(tmp) - n) n += (size_t)w;
        if (frac != 0) {
            /* Trailing zeros of the fraction are dropped, as DuckDB does. */
            char f[8];
            snprintf(f, sizeof(f), "%06llu", (unsigned long long)frac);
            int fl = 6;
            while (fl > 0 && f[fl - 1] == '0') fl--;
            f[fl] = '\0';
            snprintf(tmp + n, sizeof(tmp) - n, ".%s", f);
        }
    }
    snprintf(buf, cap, "%s", tmp);
}

/* ---- arithmetic --------------------------------------------------------------------- */

static int make(__int128 months, __int128 days, __int128 micros, em_interval *out)
{
    if (months < INT32_MIN || months > INT32_MAX || days < INT32_MIN || days > INT32_MAX ||
        micros < INT64_MIN || micros > INT64_MAX)
        return -1;
    out->months = (int32_t)months;
    out->days = (int32_t)days;
    out->micros = (int64_t)micros;
    return 0;
}

int em_interval_add(em_interval a, em_interval b, em_interval *out)
{
    return make((__int128)a.months + b.months, (__int128)a.days + b.days,
                (__int128)a.micros + b.micros, out);
}

int em_interval_sub(em_interval a, em_interval b, em_interval *out)
{
    return make((__int128)a.months - b.months, (__int128)a.days - b.days,
                (__int128)a.micros - b.micros, out);
}

int em_interval_neg(em_interval a, em_interval *out)
{
    return make(-(__int128)a.months, -(__int128)a.days, -(__int128)a.micros, out);
}

/* PostgreSQL's interval_mul/interval_div: each field is scaled, and the
 * fraction of a scaled month becomes days, the fraction of a day becomes time
 * (rounded to the microsecond first, so that 1/3 month is 10 days, not 9 days
 * 23:59:59.999999). */
static int scale(em_interval a, double f, bool divide, em_interval *out)
{
    double m = divide ? a.months / f : a.months * f;
    double d = divide ? a.days / f : a.days * f;
    double us = divide ? (double)a.micros / f : (double)a.micros * f;
    if (!isfinite(m) || !isfinite(d) || !isfinite(us)) return -1;
    if (fabs(m) >= 2147483648.0 || fabs(d) >= 2147483648.0) return -1;
    double mi = trunc(m), di = trunc(d);
    double month_days = (m - mi) * DAYS_PER_MONTH;
    double secs = (d - di + month_days - trunc(month_days)) * 86400.0;
    secs = rint(secs * 1e6) / 1e6;
    double extra_days = trunc(month_days);
    if (fabs(secs) >= 86400.0) {
        double whole = trunc(secs / 86400.0);
        extra_days += whole;
        secs -= whole * 86400.0;
    }
    double total_us = rint(us + secs * 1e6);
    if (!(fabs(total_us) < 9223372036854775807.0)) return -1;
    return make((__int128)mi, (__int128)di + (__int128)extra_days, (__int128)total_us, out);
}

int em_interval_mul(em_interval a, double factor, em_interval *out)
{
    return scale(a, factor, false, out);
}

int em_interval_div(em_interval a, double divisor, em_interval *out)
{
    if (divisor == 0) return -1;
    return scale(a, divisor, true, out);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
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

int em_timestamp_add_interval(int64_t ts, em_interval iv, int64_t *out)
{
    __int128 t = ts;
    if (iv.months != 0) {
        int64_t days = floor_div(ts, EM_MICROS_PER_DAY);
        int64_t tod = ts - days * EM_MICROS_PER_DAY;
        int y, m, d;
        em_civil_from_days((int32_t)days, &y, &m, &d);
        int64_t total = (int64_t)y * 12 + (m - 1) + iv.months;
        int64_t ny = floor_div(total, 12);
        int nm = (int)(total - ny * 12) + 1;
        /* Far outside what a TIMESTAMP holds (about +-292000 years). */
        if (ny < -400000 || ny > 400000) return -1;
        int nd = EM_MIN(d, days_in_month(ny, nm));
        t = (__int128)em_days_from_civil(ny, (unsigned)nm, (unsigned)nd) * EM_MICROS_PER_DAY + tod;
    }
    t += (__int128)iv.days * EM_MICROS_PER_DAY + iv.micros;
    if (t < INT64_MIN || t > INT64_MAX) return -1;
    *out = (int64_t)t;
    return 0;
}

int em_timestamp_diff(int64_t a, int64_t b, em_interval *out)
{
    __int128 d = (__int128)a - b;
    return make(0, d / EM_MICROS_PER_DAY, d % EM_MICROS_PER_DAY, out);
}

/*
 * func_date.c — date and time functions: date_part (EXTRACT, also of an
 * INTERVAL) and its one-part aliases (year(x), ...), date_trunc, date_diff, date_add,
 * make_date, last_day and the current date/time.
 *
 * DATE is days since 1970-01-01 and TIMESTAMP microseconds since the epoch,
 * both without a time zone; calendar fields come from the civil-calendar
 * conversions in vector/text.c. Weeks are ISO weeks (starting on Monday);
 * dayofweek/dow counts from 0 = Sunday. The part name of date_part,
 * date_trunc and date_diff is normally a constant and is parsed once per batch.
 *
 * current_date and current_timestamp read the local wall clock when the batch
 * is evaluated; they are volatile, so they are never folded at plan time.
 */
#include <strings.h>
#include <time.h>

#include "exec/expr_int.h"

#define US_PER_SEC 1000000LL
#define US_PER_MIN (60 * US_PER_SEC)
#define US_PER_HOUR (60 * US_PER_MIN)

typedef enum date_part {
    P_YEAR,
    P_QUARTER,
    P_MONTH,
    P_WEEK,
    P_DAY,
    P_DOW,
    P_ISODOW,
    P_DOY,
    P_HOUR,
    P_MINUTE,
    P_SECOND,
    P_MILLISECOND,
    P_MICROSECOND,
    P_EPOCH,
    P_DECADE,
    P_CENTURY,
    P_MILLENNIUM,
    P_ISOYEAR,
} date_part;

static const struct {
    const char *name;
    date_part part;
} part_names[] = {
    {"year", P_YEAR},
    {"years", P_YEAR},
    {"y", P_YEAR},
    {"yr", P_YEAR},
    {"yrs", P_YEAR},
    {"quarter", P_QUARTER},
    {"quarters", P_QUARTER},
    {"month", P_MONTH},
    {"months", P_MONTH},
    {"mon", P_MONTH},
    {"week", P_WEEK},
    {"weeks", P_WEEK},
    {"w", P_WEEK},
    {"day", P_DAY},
    {"days", P_DAY},
    {"d", P_DAY},
    {"dayofmonth", P_DAY},
    {"dow", P_DOW},
    {"dayofweek", P_DOW},
    {"weekday", P_DOW},
    {"isodow", P_ISODOW},
    {"doy", P_DOY},
    {"dayofyear", P_DOY},
    {"hour", P_HOUR},
    {"hours", P_HOUR},
    {"h", P_HOUR},
    {"hr", P_HOUR},
    {"minute", P_MINUTE},
    {"minutes", P_MINUTE},
    {"min", P_MINUTE},
    {"m", P_MINUTE},
    {"second", P_SECOND},
    {"seconds", P_SECOND},
    {"sec", P_SECOND},
    {"s", P_SECOND},
    {"millisecond", P_MILLISECOND},
    {"milliseconds", P_MILLISECOND},
    {"ms", P_MILLISECOND},
    {"msec", P_MILLISECOND},
    {"microsecond", P_MICROSECOND},
    {"microseconds", P_MICROSECOND},
    {"us", P_MICROSECOND},
    {"usec", P_MICROSECOND},
    {"epoch", P_EPOCH},
    {"decade", P_DECADE},
    {"decades", P_DECADE},
    {"century", P_CENTURY},
    {"centuries", P_CENTURY},
    {"millennium", P_MILLENNIUM},
    {"millennia", P_MILLENNIUM},
    {"isoyear", P_ISOYEAR},
};

static int parse_part(const char *s, int32_t len, date_part *out, em_error *err)
{
    /* Surrounding blanks are tolerated; matching ignores case. */
    while (len > 0 && *s == ' ') s++, len--;
    while (len > 0 && s[len - 1] == ' ') len--;
    for (size_t i = 0; i < EM_ARRAY_LEN(part_names); i++) {
        const char *nm = part_names[i].name;
        if ((int32_t)strlen(nm) == len && strncasecmp(nm, s, (size_t)len) == 0) {
            *out = part_names[i].part;
            return 0;
        }
    }
    int shown = EM_MIN(len, 100);
    return em_error_set(err, EM_EINVAL, "unknown date part '%.*s'", shown, s);
}

/* ---- calendar helpers -------------------------------------------------------------- */

static inline int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t m = a % b;
    return m < 0 ? m + b : m;
}

/* 0 = Sunday (1970-01-01 was a Thursday). */
static inline int dow_of(int32_t days)
{
    return (int)floor_mod((int64_t)days + 4, 7);
}

static inline int isodow_of(int32_t days)
{
    int d = dow_of(days);
    return d == 0 ? 7 : d;
}

/* ISO week number and ISO year: the week containing the year's first Thursday is week 1. */
static void iso_week(int32_t days, int *week, int *iso_year)
{
    int32_t thursday = days - (isodow_of(days) - 4);
    int y, m, d;
    em_civil_from_days(thursday, &y, &m, &d);
    int32_t jan1 = em_days_from_civil(y, 1, 1);
    *week = (thursday - jan1) / 7 + 1;
    *iso_year = y;
}

static inline int32_t days_of_ts(int64_t us)
{
    return (int32_t)em__floor_div(us, EM__MICROS_PER_DAY);
}

static int64_t extract(date_part part, int32_t days, int64_t tod, bool ts, int64_t us)
{
    int y, m, d;
    switch (part) {
    case P_HOUR:
        return tod / US_PER_HOUR;
    case P_MINUTE:
        return tod / US_PER_MIN % 60;
    case P_SECOND:
        return tod / US_PER_SEC % 60;
    case P_MILLISECOND:
        return tod % US_PER_MIN / 1000;
    case P_MICROSECOND:
        return tod % US_PER_MIN;
    case P_EPOCH:
        return ts ? em__floor_div(us, US_PER_SEC) : (int64_t)days * 86400;
    case P_DOW:
        return dow_of(days);
    case P_ISODOW:
        return isodow_of(days);
    case P_WEEK:
    case P_ISOYEAR: {
        int w, iy;
        iso_week(days, &w, &iy);
        return part == P_WEEK ? w : iy;
    }
    default:
        break;
    }
    em_civil_from_days(days, &y, &m, &d);
    switch (part) {
    case P_YEAR:
        return y;
    case P_QUARTER:
        return (m - 1) / 3 + 1;
    case P_MONTH:
        return m;
    case P_DAY:
        return d;
    case P_DOY:
        return days - em_days_from_civil(y, 1, 1) + 1;
    case P_DECADE:
        return em__floor_div(y, 10);
    case P_CENTURY:
        return y > 0 ? (y + 99) / 100 : -((99 - y) / 100);
    case P_MILLENNIUM:
        return y > 0 ? (y + 999) / 1000 : -((999 - y) / 1000);
    default:
        return 0;
    }
}

/* One row of a DATE or TIMESTAMP vector as (days, time of day, micros). */
static inline void split_row(const em_vector *v, int64_t k, int32_t *days, int64_t *tod,
                             int64_t *us)
{
    if (v->type.id == EM_TYPE_DATE) {
        *days = EM_VEC_I32(v)[k];
        *tod = 0;
        *us = (int64_t)*days * EM__MICROS_PER_DAY;
    } else {
        *us = EM_VEC_I64(v)[k];
        *days = days_of_ts(*us);
        *tod = *us - (int64_t)*days * EM__MICROS_PER_DAY;
    }
}

static void extract_all(date_part part, const em_vector *x, int64_t n, int64_t *z)
{
    const bool ts = x->type.id == EM_TYPE_TIMESTAMP;
    if (!ts && part == P_YEAR && !em__is_const(x)) {
        /* The most common extraction gets its own loop. */
        const int32_t *dv = EM_VEC_I32(x);
        for (int64_t i = 0; i < n; i++) {
            int y, m, d;
            em_civil_from_days(dv[i], &y, &m, &d);
            z[i] = y;
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t days;
        int64_t tod, us;
        split_row(x, EM__IX(x, i), &days, &tod, &us);
        z[i] = extract(part, days, tod, ts, us);
    }
}

/* date_part(part, x) */
static EM__KERNEL(k_date_part)
{
    em_vector *pv = args[0], *x = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    int64_t *z = EM_VEC_I64(r);
    if (em__is_const(pv)) {
        if (em_vector_is_valid(pv, 0)) {
            int32_t len;
            const char *s = em_vector_str(pv, 0, &len);
            date_part part;
            if (parse_part(s, len, &part, err) < 0) {
                em_vector_unref(r);
                return err ? err->code : EM_EINVAL;
            }
            extract_all(part, x, n, z);
        }
        *out = r;
        return 0;
    }
    const bool ts = x->type.id == EM_TYPE_TIMESTAMP;
    for (int64_t i = 0; i < n; i++) {
        z[i] = 0;
        if (!em_vector_is_valid(r, i)) continue;
        int32_t len;
        const char *s = em_vector_str(pv, i, &len);
        date_part part;
        if (parse_part(s, len, &part, err) < 0) {
            em_vector_unref(r);
            return err ? err->code : EM_EINVAL;
        }
        int32_t days;
        int64_t tod, us;
        split_row(x, EM__IX(x, i), &days, &tod, &us);
        z[i] = extract(part, days, tod, ts, us);
    }
    *out = r;
    return 0;
}

/* A part of an INTERVAL, as PostgreSQL and DuckDB define them: year and
 * month split the months field, day is the days field, and the clock parts
 * come from the microseconds (hour may exceed 23). Every part keeps the sign
 * of its field. epoch is the length in whole seconds with a year of 365.25
 * days and a month of 30. Calendar parts (dow, week, ...) have no meaning. */
static int interval_part(date_part part, em_interval iv, int64_t *out)
{
    int64_t years = iv.months / 12;
    switch (part) {
    case P_YEAR:
        *out = years;
        return 0;
    case P_QUARTER:
        *out = iv.months % 12 / 3 + 1;
        return 0;
    case P_MONTH:
        *out = iv.months % 12;
        return 0;
    case P_DAY:
        *out = iv.days;
        return 0;
    case P_HOUR:
        *out = iv.micros / US_PER_HOUR;
        return 0;
    case P_MINUTE:
        *out = iv.micros / US_PER_MIN % 60;
        return 0;
    case P_SECOND:
        *out = iv.micros / US_PER_SEC % 60;
        return 0;
    case P_MILLISECOND:
        *out = iv.micros % US_PER_MIN / 1000;
        return 0;
    case P_MICROSECOND:
        *out = iv.micros % US_PER_MIN;
        return 0;
    case P_EPOCH: {
        __int128 us = (__int128)years * 31557600 * US_PER_SEC +
                      ((__int128)(iv.months % 12) * 30 + iv.days) * EM__MICROS_PER_DAY + iv.micros;
        *out = (int64_t)(us / US_PER_SEC);
        return 0;
    }
    case P_DECADE:
        *out = years / 10;
        return 0;
    case P_CENTURY:
        *out = years / 100;
        return 0;
    case P_MILLENNIUM:
        *out = years / 1000;
        return 0;
    default:
        return -1;
    }
}

/* date_part(part, INTERVAL) */
static EM__KERNEL(k_interval_part)
{
    em_vector *pv = args[0], *x = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    int64_t *z = EM_VEC_I64(r);
    const bool const_part = em__is_const(pv);
    date_part part = P_DAY;
    bool parsed = false;
    for (int64_t i = 0; i < n; i++) {
        z[i] = 0;
        if (!em_vector_is_valid(r, i)) continue;
        int32_t len;
        const char *s = em_vector_str(pv, EM__IX(pv, i), &len);
        if (!const_part || !parsed) {
            parsed = true;
            int rc = parse_part(s, len, &part, err);
            if (rc < 0) {
                em_vector_unref(r);
                return rc;
            }
        }
        if (interval_part(part, EM_VEC_IV(x)[EM__IX(x, i)], &z[i]) < 0) {
            em_vector_unref(r);
            return em_error_set(err, EM_EINVAL, "date part '%.*s' is not supported for INTERVAL",
                                EM_MIN(len, 100), s);
        }
    }
    *out = r;
    return 0;
}

/* year(x), month(x), ...: the part is the function's name. */
static EM__KERNEL(k_part_alias)
{
    const char *name = call->func->name;
    date_part part;
    if (parse_part(name, (int32_t)strlen(name), &part, err) < 0) return err ? err->code : EM_EINVAL;
    em_vector *x = args[0];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_copy_validity(r, x, n);
    extract_all(part, x, n, EM_VEC_I64(r));
    *out = r;
    return 0;
}

/* ---- date_trunc ------------------------------------------------------------------------ */

/* Truncate a day number to the start of the part's period (day-sized parts). */
static int32_t trunc_days(date_part part, int32_t days)
{
    int y, m, d;
    switch (part) {
    case P_YEAR:
        em_civil_from_days(days, &y, &m, &d);
        return em_days_from_civil(y, 1, 1);
    case P_QUARTER:
        em_civil_from_days(days, &y, &m, &d);
        return em_days_from_civil(y, (unsigned)((m - 1) / 3 * 3 + 1), 1);
    case P_MONTH:
        em_civil_from_days(days, &y, &m, &d);
        return em_days_from_civil(y, (unsigned)m, 1);
    case P_WEEK:
        return days - (isodow_of(days) - 1);
    case P_DECADE:
        em_civil_from_days(days, &y, &m, &d);
        return em_days_from_civil(em__floor_div(y, 10) * 10, 1, 1);
    case P_CENTURY:
        em_civil_from_days(days, &y, &m, &d);
        return em_days_from_civil(em__floor_div(y - 1, 100) * 100 + 1, 1, 1);
    case P_MILLENNIUM:
        em_civil_from_days(days, &y, &m, &d);
        return em_days_from_civil(em__floor_div(y - 1, 1000) * 1000 + 1, 1, 1);
    default:
        return days;
    }
}

static bool trunc_part_ok(date_part part)
{
    switch (part) {
    case P_YEAR:
    case P_QUARTER:
    case P_MONTH:
    case P_WEEK:
    case P_DAY:
    case P_HOUR:
    case P_MINUTE:
    case P_SECOND:
    case P_MILLISECOND:
    case P_MICROSECOND:
    case P_DECADE:
    case P_CENTURY:
    case P_MILLENNIUM:
        return true;
    default:
        return false;
    }
}

static int64_t trunc_ts(date_part part, int64_t us)
{
    switch (part) {
    case P_HOUR:
        return em__floor_div(us, US_PER_HOUR) * US_PER_HOUR;
    case P_MINUTE:
        return em__floor_div(us, US_PER_MIN) * US_PER_MIN;
    case P_SECOND:
        return em__floor_div(us, US_PER_SEC) * US_PER_SEC;
    case P_MILLISECOND:
        return em__floor_div(us, 1000) * 1000;
    case P_MICROSECOND:
        return us;
    default:
        return (int64_t)trunc_days(part, days_of_ts(us)) * EM__MICROS_PER_DAY;
    }
}

/* date_trunc(part, DATE) -> DATE, date_trunc(part, TIMESTAMP) -> TIMESTAMP */
static EM__KERNEL(k_date_trunc)
{
    em_vector *pv = args[0], *x = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    const bool ts = x->type.id == EM_TYPE_TIMESTAMP;
    date_part part = P_DAY;
    bool const_part = em__is_const(pv);
    if (const_part && !em_vector_is_valid(pv, 0)) {
        *out = r; /* every row is NULL */
        return 0;
    }
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || !const_part) {
            if (!const_part && !em_vector_is_valid(r, i)) {
                if (ts)
                    EM_VEC_I64(r)[i] = 0;
                else
                    EM_VEC_I32(r)[i] = 0;
                continue;
            }
            int32_t len;
            const char *s = em_vector_str(pv, EM__IX(pv, i), &len);
            int rc = parse_part(s, len, &part, err);
            if (rc == 0 && !trunc_part_ok(part))
                rc = em_error_set(err, EM_EINVAL, "date_trunc does not support part '%.*s'",
                                  EM_MIN(len, 100), s);
            if (rc < 0) {
                em_vector_unref(r);
                return rc;
            }
        }
        int64_t k = EM__IX(x, i);
        if (ts)
            EM_VEC_I64(r)[i] = trunc_ts(part, EM_VEC_I64(x)[k]);
        else
            EM_VEC_I32(r)[i] = trunc_days(part, EM_VEC_I32(x)[k]);
    }
    *out = r;
    return 0;
}

/* ---- date_diff --------------------------------------------------------------------- */

/* Number of `part` boundaries crossed from a to b (DuckDB's date_diff). */
static int64_t diff(date_part part, int64_t ua, int64_t ub)
{
    int32_t da = days_of_ts(ua), db = days_of_ts(ub);
    int ya, ma, xa, yb, mb, xb;
    switch (part) {
    case P_YEAR:
    case P_QUARTER:
    case P_MONTH:
    case P_DECADE:
    case P_CENTURY:
    case P_MILLENNIUM:
        em_civil_from_days(da, &ya, &ma, &xa);
        em_civil_from_days(db, &yb, &mb, &xb);
        switch (part) {
        case P_YEAR:
            return (int64_t)yb - ya;
        case P_QUARTER:
            return ((int64_t)yb * 4 + (mb - 1) / 3) - ((int64_t)ya * 4 + (ma - 1) / 3);
        case P_MONTH:
            return ((int64_t)yb * 12 + mb) - ((int64_t)ya * 12 + ma);
        case P_DECADE:
            return em__floor_div(yb, 10) - em__floor_div(ya, 10);
        case P_CENTURY:
            return em__floor_div(yb - 1, 100) - em__floor_div(ya - 1, 100);
        default:
            return em__floor_div(yb - 1, 1000) - em__floor_div(ya - 1, 1000);
        }
    case P_WEEK:
        return ((int64_t)db - da) / 7;
    case P_DAY:
    case P_DOY:
    case P_DOW:
    case P_ISODOW:
        return (int64_t)db - da;
    case P_HOUR:
        return em__floor_div(ub, US_PER_HOUR) - em__floor_div(ua, US_PER_HOUR);
    case P_MINUTE:
        return em__floor_div(ub, US_PER_MIN) - em__floor_div(ua, US_PER_MIN);
    case P_SECOND:
    case P_EPOCH:
        return em__floor_div(ub, US_PER_SEC) - em__floor_div(ua, US_PER_SEC);
    case P_MILLISECOND:
        return em__floor_div(ub, 1000) - em__floor_div(ua, 1000);
    case P_MICROSECOND:
        return ub - ua;
    default:
        return (int64_t)yb - ya;
    }
}

static inline int64_t as_micros(const em_vector *v, int64_t k)
{
    return v->type.id == EM_TYPE_DATE ? (int64_t)EM_VEC_I32(v)[k] * EM__MICROS_PER_DAY
                                      : EM_VEC_I64(v)[k];
}

/* date_diff(part, start, end) -> BIGINT */
static EM__KERNEL(k_date_diff)
{
    em_vector *pv = args[0], *a = args[1], *b = args[2];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 3, n);
    int64_t *z = EM_VEC_I64(r);
    const bool const_part = em__is_const(pv);
    date_part part = P_DAY;
    if (const_part && !em_vector_is_valid(pv, 0)) {
        *out = r;
        return 0;
    }
    for (int64_t i = 0; i < n; i++) {
        z[i] = 0;
        if (!em_vector_is_valid(r, i)) continue;
        if (i == 0 || !const_part) {
            int32_t len;
            const char *s = em_vector_str(pv, EM__IX(pv, i), &len);
            int rc = parse_part(s, len, &part, err);
            if (rc == 0 && part == P_ISOYEAR)
                rc = em_error_set(err, EM_EINVAL, "date_diff does not support part '%.*s'",
                                  EM_MIN(len, 100), s);
            if (rc < 0) {
                em_vector_unref(r);
                return rc;
            }
        }
        z[i] = diff(part, as_micros(a, EM__IX(a, i)), as_micros(b, EM__IX(b, i)));
    }
    *out = r;
    return 0;
}

/* ---- construction ------------------------------------------------------------------- */

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static EM__KERNEL(k_make_date)
{
    em_vector *yv = args[0], *mv = args[1], *dv = args[2];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 3, n);
    int32_t *z = EM_VEC_I32(r);
    for (int64_t i = 0; i < n; i++) {
        z[i] = 0;
        if (!em_vector_is_valid(r, i)) continue;
        int64_t y = EM_VEC_I64(yv)[EM__IX(yv, i)];
        int64_t m = EM_VEC_I64(mv)[EM__IX(mv, i)];
        int64_t d = EM_VEC_I64(dv)[EM__IX(dv, i)];
        if (y < -5000000 || y > 5000000 || m < 1 || m > 12 || d < 1 ||
            d > days_in_month(y, (int)m)) {
            em_vector_unref(r);
            return em_error_set(err, EM_EINVAL, "date field value out of range: %lld-%lld-%lld",
                                (long long)y, (long long)m, (long long)d);
        }
        z[i] = em_days_from_civil(y, (unsigned)m, (unsigned)d);
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_last_day)
{
    em_vector *x = args[0];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_copy_validity(r, x, n);
    int32_t *z = EM_VEC_I32(r);
    for (int64_t i = 0; i < n; i++) {
        int64_t k = EM__IX(x, i);
        int32_t days = x->type.id == EM_TYPE_DATE ? EM_VEC_I32(x)[k] : days_of_ts(EM_VEC_I64(x)[k]);
        int y, m, d;
        em_civil_from_days(days, &y, &m, &d);
        z[i] = em_days_from_civil(y, (unsigned)m, (unsigned)days_in_month(y, m));
    }
    *out = r;
    return 0;
}

/* date_add(date, days) */
static EM__KERNEL(k_date_add)
{
    em_vector *dv = args[0], *kv = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    int32_t *z = EM_VEC_I32(r);
    const bool wide = kv->type.id == EM_TYPE_BIGINT;
    for (int64_t i = 0; i < n; i++) {
        int64_t k = wide ? EM_VEC_I64(kv)[EM__IX(kv, i)] : EM_VEC_I32(kv)[EM__IX(kv, i)];
        int64_t t;
        if (__builtin_add_overflow((int64_t)EM_VEC_I32(dv)[EM__IX(dv, i)], k, &t) ||
            t < INT32_MIN || t > INT32_MAX) {
            z[i] = 0;
            if (!em_vector_is_valid(r, i)) continue;
            em_vector_unref(r);
            return em_error_set(err, EM_EOVERFLOW, "date out of range");
        }
        z[i] = (int32_t)t;
    }
    *out = r;
    return 0;
}

/* ---- the clock ------------------------------------------------------------------------ */

/* Local wall-clock time in microseconds since the epoch. */
static int64_t local_now_micros(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t secs = ts.tv_sec;
    struct tm tm;
    localtime_r(&secs, &tm);
    return ((int64_t)secs + tm.tm_gmtoff) * US_PER_SEC + ts.tv_nsec / 1000;
}

static EM__KERNEL(k_current_timestamp)
{
    EM_UNUSED(args);
    EM_UNUSED(err);
    em_vector *r = em__vec_new(call->type, n);
    int64_t now = local_now_micros();
    for (int64_t i = 0; i < n; i++) EM_VEC_I64(r)[i] = now;
    *out = r;
    return 0;
}

static EM__KERNEL(k_current_date)
{
    EM_UNUSED(args);
    EM_UNUSED(err);
    em_vector *r = em__vec_new(call->type, n);
    int32_t today = days_of_ts(local_now_micros());
    for (int64_t i = 0; i < n; i++) EM_VEC_I32(r)[i] = today;
    *out = r;
    return 0;
}

/* ---- registry -------------------------------------------------------------------------- */

#define I EM__TI
#define L EM__TL
#define S EM__TS
#define DT EM__TDATE
#define TS EM__TTS
#define IV EM__TIV
#define FIX EM__RET_FIXED
#define SAFE EM__FN_SAFE

#define ALIAS(name)                                                                                \
    EM__FN(name, 1, L, k_part_alias, FIX, SAFE, DT), EM__FN(name, 1, L, k_part_alias, FIX, SAFE, TS)

static const em__func_def defs[] = {
    EM__FN("date_part", 2, L, k_date_part, FIX, 0, S, DT),
    EM__FN("date_part", 2, L, k_date_part, FIX, 0, S, TS),
    EM__FN("datepart", 2, L, k_date_part, FIX, 0, S, DT),
    EM__FN("datepart", 2, L, k_date_part, FIX, 0, S, TS),
    EM__FN("extract", 2, L, k_date_part, FIX, 0, S, DT),
    EM__FN("extract", 2, L, k_date_part, FIX, 0, S, TS),
    EM__FN("date_part", 2, L, k_interval_part, FIX, 0, S, IV),
    EM__FN("datepart", 2, L, k_interval_part, FIX, 0, S, IV),
    EM__FN("extract", 2, L, k_interval_part, FIX, 0, S, IV),
    ALIAS("year"),
    ALIAS("quarter"),
    ALIAS("month"),
    ALIAS("week"),
    ALIAS("day"),
    ALIAS("dayofmonth"),
    ALIAS("hour"),
    ALIAS("minute"),
    ALIAS("second"),
    ALIAS("millisecond"),
    ALIAS("microsecond"),
    ALIAS("dayofweek"),
    ALIAS("isodow"),
    ALIAS("dayofyear"),
    ALIAS("epoch"),
    ALIAS("isoyear"),
    EM__FN("date_trunc", 2, DT, k_date_trunc, FIX, 0, S, DT),
    EM__FN("date_trunc", 2, TS, k_date_trunc, FIX, 0, S, TS),
    EM__FN("datetrunc", 2, DT, k_date_trunc, FIX, 0, S, DT),
    EM__FN("datetrunc", 2, TS, k_date_trunc, FIX, 0, S, TS),
    EM__FN("date_diff", 3, L, k_date_diff, FIX, 0, S, DT, DT),
    EM__FN("date_diff", 3, L, k_date_diff, FIX, 0, S, TS, TS),
    EM__FN("datediff", 3, L, k_date_diff, FIX, 0, S, DT, DT),
    EM__FN("datediff", 3, L, k_date_diff, FIX, 0, S, TS, TS),
    EM__FN("date_add", 2, DT, k_date_add, FIX, 0, DT, I),
    EM__FN("date_add", 2, DT, k_date_add, FIX, 0, DT, L),
    EM__FN("make_date", 3, DT, k_make_date, FIX, 0, L, L, L),
    EM__FN("last_day", 1, DT, k_last_day, FIX, SAFE, DT),
    EM__FN("last_day", 1, DT, k_last_day, FIX, SAFE, TS),
    EM__FN_VOLATILE("current_date", DT, k_current_date),
    EM__FN_VOLATILE("today", DT, k_current_date),
    EM__FN_VOLATILE("current_timestamp", TS, k_current_timestamp),
    EM__FN_VOLATILE("now", TS, k_current_timestamp),
    EM__FN_VOLATILE("localtimestamp", TS, k_current_timestamp),
};

const em__func_table em__funcs_date = {defs, (int)EM_ARRAY_LEN(defs)};

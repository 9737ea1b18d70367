/*
 * window_frame.c — window frames: checking a frame's bounds and offsets
 * once, and computing every row's frame [start, end) within its partition.
 *
 * ROWS frames count rows. RANGE frames compare ORDER BY values: CURRENT ROW
 * means the row's peer group, and `n PRECEDING/FOLLOWING` needs a single
 * ORDER BY key whose value must lie within n of the row's own. Since the rows
 * are sorted on that key, the first row at or after a bound is found with a
 * pointer that only moves forward, so a partition costs O(rows) whatever
 * the frame size. The frame bounds of consecutive rows never move backwards,
 * which the aggregates over frames rely on (window_agg.c).
 *
 * Rows whose key is NULL are peers of each other and lie within any distance
 * of each other but of no other row (PostgreSQL's rule); for DOUBLE keys NaN
 * is the largest value and equals itself, as in sorting.
 */
#include <math.h>

#include "exec/window_int.h"

/* ---- checking a frame ---------------------------------------------------------- */

static int rows_offset(const em_value *v, const char *which, int64_t *out, em_error *err)
{
    if (v->is_null) return em_error_set(err, EM_EINVAL, "frame %s offset must not be null", which);
    int64_t x;
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_INTEGER:
        x = v->v.i32;
        break;
    case EM_TYPE_BIGINT:
        x = v->v.i64;
        break;
    case EM_TYPE_DECIMAL:
        if (v->v.i64 % em_pow10[v->type.scale] != 0) goto not_integer;
        x = v->v.i64 / em_pow10[v->type.scale];
        break;
    case EM_TYPE_DOUBLE:
        if (!(v->v.f64 == floor(v->v.f64)) || fabs(v->v.f64) > 9.2e18) goto not_integer;
        x = (int64_t)v->v.f64;
        break;
    default:
        goto not_integer;
    }
    if (x < 0) return em_error_set(err, EM_EINVAL, "frame %s offset must not be negative", which);
    *out = x;
    return 0;
not_integer : {
    char buf[32];
    return em_error_set(err, EM_ETYPE, "ROWS frame %s offset must be an integer, not %s", which,
                        em_type_name(v->type, buf, sizeof(buf)));
}
}

/* A RANGE offset as a non-negative distance in the key's units: for exact
 * keys its floor and ceiling at the key's scale, for DOUBLE keys a double. */
static int range_offset(const em_value *v, em_type key, const char *which, __int128 *fl,
                        __int128 *ce, double *d, em_error *err)
{
    if (v->is_null) return em_error_set(err, EM_EINVAL, "frame %s offset must not be null", which);
    int key_scale = key.id == EM_TYPE_DECIMAL ? key.scale : 0;
    bool exact = true;
    __int128 num = 0;
    int scale = 0;
    double dv = 0;
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_INTEGER:
        num = v->v.i32;
        break;
    case EM_TYPE_BIGINT:
        num = v->v.i64;
        break;
    case EM_TYPE_DECIMAL:
        num = v->v.i64;
        scale = v->type.scale;
        break;
    case EM_TYPE_DOUBLE:
        exact = false;
        dv = v->v.f64;
        if (isnan(dv))
            return em_error_set(err, EM_EINVAL, "frame %s offset must not be NaN", which);
        break;
    default: {
        char kb[32], vb[32];
        return em_error_set(err, EM_ETYPE,
                            "RANGE frame %s offset of type %s does not fit an "
                            "ORDER BY key of type %s",
                            which, em_type_name(v->type, vb, sizeof(vb)),
                            em_type_name(key, kb, sizeof(kb)));
    }
    }
    if (exact ? num < 0 : dv < 0)
        return em_error_set(err, EM_EINVAL, "frame %s offset must not be negative", which);
    if (key.id == EM_TYPE_DOUBLE) {
        *d = exact ? (double)num / (double)em_pow10[scale] : dv;
        return 0;
    }
    if (exact) {
        if (key_scale >= scale) {
            *fl = *ce = num * em_pow10[key_scale - scale];
        } else {
            int64_t div = em_pow10[scale - key_scale];
            *fl = num / div;
            *ce = *fl + (num % div != 0);
        }
        return 0;
    }
    /* Any distance beyond 1e30 reaches past every int64 key: cap it there so
     * that key + distance stays far inside __int128. */
    double x = dv * (double)em_pow10[key_scale];
    if (x > 1e30) x = 1e30;
    *fl = (__int128)floor(x);
    *ce = (__int128)ceil(x);
    return 0;
}

/* The bound value of a row is key + delta, where delta rounds the exact
 * distance the way the bound's comparison needs: a start bound admits rows
 * at or after the bound value in sort order, an end bound stops before the
 * first row after it; with integral keys "at or after key - 1.5" (ascending)
 * is "at or after key - 1", and so on. */
static __int128 exact_delta(bool start, bool preceding, bool desc, __int128 fl, __int128 ce)
{
    bool above = preceding == desc; /* the bound value is key + distance */
    bool want_ceil = start != desc;
    if (above) return want_ceil ? ce : fl;
    return want_ceil ? -fl : -ce;
}

/* RANGE offsets that are INTERVALs (over DATE or TIMESTAMP keys); a plain
 * number next to one counts days (DATE) or microseconds (TIMESTAMP). */
static int prepare_interval(const em_window_frame *f, em_type key_type, bool desc,
                            em__win_frame *out, em_error *err)
{
    if (key_type.id != EM_TYPE_DATE && key_type.id != EM_TYPE_TIMESTAMP) {
        char buf[32];
        return em_error_set(err, EM_ETYPE,
                            "RANGE frame offsets of type INTERVAL need an ORDER BY "
                            "key of type DATE or TIMESTAMP, not %s",
                            em_type_name(key_type, buf, sizeof(buf)));
    }
    out->key_interval = true;
    out->key_unit = key_type.id == EM_TYPE_DATE ? EM_MICROS_PER_DAY : 1;
    for (int s = 0; s < 2; s++) {
        bool start = s == 0;
        em_frame_bound b = start ? f->start : f->end;
        if (b != EM_BOUND_PRECEDING && b != EM_BOUND_FOLLOWING) continue;
        const em_value *v = start ? &f->start_offset : &f->end_offset;
        const char *which = start ? "starting" : "ending";
        em_interval iv = {0, 0, 0};
        if (v->is_null)
            return em_error_set(err, EM_EINVAL, "frame %s offset must not be null", which);
        if (v->type.id == EM_TYPE_INTERVAL) {
            iv = v->v.iv;
        } else {
            __int128 fl = 0, ce = 0;
            double d;
            EM_TRY(range_offset(v, key_type, which, &fl, &ce, &d, err));
            if (fl != ce || fl > INT32_MAX)
                return em_error_set(err, EM_EINVAL, "frame %s offset is out of range", which);
            if (key_type.id == EM_TYPE_DATE)
                iv.days = (int32_t)fl;
            else
                iv.micros = (int64_t)fl;
        }
        if (em_interval_span(iv) < 0)
            return em_error_set(err, EM_EINVAL, "frame %s offset must not be negative", which);
        /* The bound lies after the key when PRECEDING meets DESC or FOLLOWING
         * meets ASC; otherwise the interval is subtracted. */
        if ((b == EM_BOUND_PRECEDING) != desc && em_interval_neg(iv, &iv) != 0)
            return em_error_set(err, EM_EINVAL, "frame %s offset is out of range", which);
        if (start)
            out->start_iv = iv;
        else
            out->end_iv = iv;
    }
    return 0;
}

int em__win_frame_prepare(const em_window_frame *f, int norder, const em_sort_key *order,
                          em_type key_type, em__win_frame *out, em_error *err)
{
    memset(out, 0, sizeof(*out));
    out->rows = f->rows;
    out->start = f->start;
    out->end = f->end;
    if (f->start == EM_BOUND_UNBOUNDED_FOLLOWING)
        return em_error_set(err, EM_EINVAL, "frame start cannot be UNBOUNDED FOLLOWING");
    if (f->end == EM_BOUND_UNBOUNDED_PRECEDING)
        return em_error_set(err, EM_EINVAL, "frame end cannot be UNBOUNDED PRECEDING");
    if (f->start == EM_BOUND_CURRENT_ROW && f->end == EM_BOUND_PRECEDING)
        return em_error_set(err, EM_EINVAL,
                            "frame starting from current row cannot have preceding rows");
    if (f->start == EM_BOUND_FOLLOWING &&
        (f->end == EM_BOUND_PRECEDING || f->end == EM_BOUND_CURRENT_ROW))
        return em_error_set(err, EM_EINVAL,
                            "frame starting from following row cannot have preceding rows");
    bool start_off = f->start == EM_BOUND_PRECEDING || f->start == EM_BOUND_FOLLOWING;
    bool end_off = f->end == EM_BOUND_PRECEDING || f->end == EM_BOUND_FOLLOWING;
    if (f->rows) {
        if (start_off) EM_TRY(rows_offset(&f->start_offset, "starting", &out->start_rows, err));
        if (end_off) EM_TRY(rows_offset(&f->end_offset, "ending", &out->end_rows, err));
        out->whole =
            f->start == EM_BOUND_UNBOUNDED_PRECEDING && f->end == EM_BOUND_UNBOUNDED_FOLLOWING;
        return 0;
    }
    if (!start_off && !end_off) {
        /* Without ORDER BY every row of the partition is a peer of every other. */
        out->whole = (f->start == EM_BOUND_UNBOUNDED_PRECEDING || norder == 0) &&
                     (f->end == EM_BOUND_UNBOUNDED_FOLLOWING || norder == 0);
        return 0;
    }
    if (norder != 1)
        return em_error_set(err, EM_EINVAL,
                            "RANGE with offset PRECEDING/FOLLOWING requires "
                            "exactly one ORDER BY column");
    switch ((em_type_id)key_type.id) {
    case EM_TYPE_INTEGER:
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_DOUBLE:
    case EM_TYPE_DATE:
    case EM_TYPE_TIMESTAMP:
        break;
    default: {
        char buf[32];
        return em_error_set(err, EM_ETYPE,
                            "RANGE with offset PRECEDING/FOLLOWING is not "
                            "supported for ORDER BY type %s",
                            em_type_name(key_type, buf, sizeof(buf)));
    }
    }
    bool desc = order[0].desc;
    out->key_f64 = key_type.id == EM_TYPE_DOUBLE;
    if ((start_off && f->start_offset.type.id == EM_TYPE_INTERVAL) ||
        (end_off && f->end_offset.type.id == EM_TYPE_INTERVAL))
        return prepare_interval(f, key_type, desc, out, err);
    for (int s = 0; s < 2; s++) {
        bool start = s == 0;
        em_frame_bound b = start ? f->start : f->end;
        if (b != EM_BOUND_PRECEDING && b != EM_BOUND_FOLLOWING) continue;
        __int128 fl = 0, ce = 0;
        double d = 0;
        EM_TRY(range_offset(start ? &f->start_offset : &f->end_offset, key_type,
                            start ? "starting" : "ending", &fl, &ce, &d, err));
        bool preceding = b == EM_BOUND_PRECEDING;
        __int128 delta = exact_delta(start, preceding, desc, fl, ce);
        double ddelta = preceding == desc ? d : -d;
        if (start) {
            out->start_delta = delta;
            out->start_ddelta = ddelta;
        } else {
            out->end_delta = delta;
            out->end_ddelta = ddelta;
        }
    }
    return 0;
}

/* ---- bounds of a partition's rows ------------------------------------------------ */

/* NaN is the largest double and equals itself; -0 equals 0 (sort order). */
static inline int cmp_f64(double a, double b)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
    return a < b ? -1 : (a > b ? 1 : 0);
}

/* key (in units of `unit` microseconds) + iv, in microseconds. Calendar
 * arithmetic (months first, clamped to the month's length) is monotonic in
 * the key, which the forward-only search relies on. Beyond the TIMESTAMP
 * range the interval's nominal length stands in. */
static __int128 interval_bound(int64_t key, int64_t unit, em_interval iv)
{
    __int128 base = (__int128)key * unit;
    int64_t out;
    if (base >= INT64_MIN && base <= INT64_MAX &&
        em_timestamp_add_interval((int64_t)base, iv, &out) == 0)
        return out;
    return base + em_interval_span(iv);
}

/* An offset bound (start or end) for the rows of [ps, pe) whose keys are
 * [ns, ne) (the other rows have NULL keys). */
static void range_offset_bound(const em__win_frame *f, const em__win_input *in, bool start,
                               int64_t ps, int64_t pe, int64_t ns, int64_t ne, int64_t *out)
{
    /* The NULL rows' frame is their own group. */
    int64_t null_lo = in->key_nulls_first ? ps : ne, null_hi = in->key_nulls_first ? ns : pe;
    for (int64_t i = null_lo; i < null_hi; i++) out[i - ps] = start ? null_lo : null_hi;
    const em__win_view *k = in->key;
    bool desc = in->key_desc;
    int64_t p = ns;
    if (f->key_f64) {
        const double *v = k->f64;
        double delta = start ? f->start_ddelta : f->end_ddelta;
        for (int64_t i = ns; i < ne; i++) {
            double t = v[i] + delta;
            /* An infinite distance from an infinite key (inf - inf): the
             * distance wins, so every row lies within it, as PostgreSQL
             * decides. */
            if (isnan(t) && !isnan(v[i])) t = delta;
            if (start) {
                if (!desc)
                    while (p < ne && cmp_f64(v[p], t) < 0) p++;
                else
                    while (p < ne && cmp_f64(v[p], t) > 0) p++;
            } else {
                if (!desc)
                    while (p < ne && cmp_f64(v[p], t) <= 0) p++;
                else
                    while (p < ne && cmp_f64(v[p], t) >= 0) p++;
            }
            out[i - ps] = p;
        }
        return;
    }
    const int64_t *v = k->i64;
    if (f->key_interval) {
        em_interval iv = start ? f->start_iv : f->end_iv;
        __int128 unit = f->key_unit;
        for (int64_t i = ns; i < ne; i++) {
            __int128 t = interval_bound(v[i], f->key_unit, iv);
            if (start) {
                if (!desc)
                    while (p < ne && v[p] * unit < t) p++;
                else
                    while (p < ne && v[p] * unit > t) p++;
            } else {
                if (!desc)
                    while (p < ne && v[p] * unit <= t) p++;
                else
                    while (p < ne && v[p] * unit >= t) p++;
            }
            out[i - ps] = p;
        }
        return;
    }
    __int128 delta = start ? f->start_delta : f->end_delta;
    for (int64_t i = ns; i < ne; i++) {
        __int128 t = (__int128)v[i] + delta;
        if (start) {
            if (!desc)
                while (p < ne && v[p] < t) p++;
            else
                while (p < ne && v[p] > t) p++;
        } else {
            if (!desc)
                while (p < ne && v[p] <= t) p++;
            else
                while (p < ne && v[p] >= t) p++;
        }
        out[i - ps] = p;
    }
}

static void rows_bounds(const em__win_frame *f, int64_t ps, int64_t pe, int64_t *fs, int64_t *fe)
{
    int64_t a = f->start_rows, b = f->end_rows;
    for (int64_t i = ps; i < pe; i++) {
        int64_t s, e;
        switch (f->start) {
        case EM_BOUND_PRECEDING:
            s = i - ps < a ? ps : i - a;
            break;
        case EM_BOUND_CURRENT_ROW:
            s = i;
            break;
        case EM_BOUND_FOLLOWING:
            s = pe - i <= a ? pe : i + a;
            break;
        default:
            s = ps;
            break;
        }
        switch (f->end) {
        case EM_BOUND_PRECEDING:
            e = i - ps + 1 < b ? ps : i - b + 1;
            break;
        case EM_BOUND_CURRENT_ROW:
            e = i + 1;
            break;
        case EM_BOUND_FOLLOWING:
            e = pe - i - 1 <= b ? pe : i + b + 1;
            break;
        default:
            e = pe;
            break;
        }
        fs[i - ps] = s;
        fe[i - ps] = e;
    }
}

void em__win_frame_bounds(const em__win_frame *f, const em__win_input *in, int64_t ps, int64_t pe,
                          int64_t *fs, int64_t *fe)
{
    if (f->whole) {
        for (int64_t i = 0; i < pe - ps; i++) {
            fs[i] = ps;
            fe[i] = pe;
        }
        return;
    }
    if (f->rows) {
        rows_bounds(f, ps, pe, fs, fe);
        return;
    }
    bool start_off = f->start == EM_BOUND_PRECEDING || f->start == EM_BOUND_FOLLOWING;
    bool end_off = f->end == EM_BOUND_PRECEDING || f->end == EM_BOUND_FOLLOWING;
    int64_t ns = ps, ne = pe;
    if ((start_off || end_off) && in->key->valid != NULL) {
        const uint8_t *valid = in->key->valid;
        if (in->key_nulls_first)
            while (ns < pe && !valid[ns]) ns++;
        else
            while (ne > ps && !valid[ne - 1]) ne--;
    }
    if (start_off) {
        range_offset_bound(f, in, true, ps, pe, ns, ne, fs);
    } else {
        for (int64_t i = ps; i < pe; i++)
            fs[i - ps] = f->start == EM_BOUND_CURRENT_ROW ? in->peer_start[i] : ps;
    }
    if (end_off) {
        range_offset_bound(f, in, false, ps, pe, ns, ne, fe);
    } else {
        for (int64_t i = ps; i < pe; i++)
            fe[i - ps] = f->end == EM_BOUND_CURRENT_ROW ? in->peer_end[i] : pe;
    }
}

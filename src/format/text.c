/*
 * text.c — text to value conversions and type inference for the readers.
 *
 * The fast paths (inline in internal.h) handle the plain forms that make up
 * nearly all real data without allocating or calling into libc; everything
 * else falls back to strtod or to vector/'s lenient parsers. strtod is called
 * through strtod_l with the C locale so that a program which set LC_NUMERIC
 * (say to de_DE, where the decimal point is a comma) still reads "1.5".
 */
#include "format/internal.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

const double em__pow10_f64[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void init_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod on a bounded string; true when all of it was consumed. */
static bool strtod_exact(const char *p, size_t n, double *out)
{
    char small[128];
    char *buf = n < sizeof small ? small : em_malloc(n + 1);
    memcpy(buf, p, n);
    buf[n] = '\0';
    pthread_once(&c_locale_once, init_c_locale);
    char *endp;
    errno = 0;
    double v = c_locale ? strtod_l(buf, &endp, c_locale) : strtod(buf, &endp);
    bool ok = endp == buf + n && n > 0;
    if (buf != small) em_free(buf);
    if (!ok) return false;
    *out = v;
    return true;
}

static void trim(const char **p, size_t *n)
{
    const char *s = *p;
    size_t len = *n;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    *p = s;
    *n = len;
}

static bool has_blank_edge(const char *p, size_t n)
{
    return n > 0 && (p[0] == ' ' || p[0] == '\t' || p[n - 1] == ' ' || p[n - 1] == '\t');
}

static bool ieq(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (l != n) return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)p[i]) != lit[i]) return false;
    return true;
}

static bool parse_bool_strict(const char *p, size_t n, bool *out)
{
    if (ieq(p, n, "true")) {
        *out = true;
        return true;
    }
    if (ieq(p, n, "false")) {
        *out = false;
        return true;
    }
    return false;
}

bool em__text_bool(const char *p, size_t n, bool *out)
{
    trim(&p, &n);
    if (parse_bool_strict(p, n, out)) return true;
    static const char *const yes[] = {"t", "1", "yes", "y", "on"};
    static const char *const no[] = {"f", "0", "no", "n", "off"};
    for (size_t i = 0; i < EM_ARRAY_LEN(yes); i++) {
        if (ieq(p, n, yes[i])) {
            *out = true;
            return true;
        }
        if (ieq(p, n, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

bool em__text_i64(const char *p, size_t n, int64_t *out)
{
    if (em__parse_i64_fast(p, n, out)) return true;
    if (!has_blank_edge(p, n)) return false;
    trim(&p, &n);
    return em__parse_i64_fast(p, n, out);
}

/* Grammar-checked decimal number, exact. */
static bool parse_f64_strict(const char *p, size_t n, double *out)
{
    int r = em__parse_f64_fast(p, n, out);
    if (r == 1) return true;
    if (r == 0) return false;
    double v;
    if (!strtod_exact(p, n, &v) || isinf(v)) return false;
    *out = v;
    return true;
}

bool em__text_f64(const char *p, size_t n, double *out)
{
    if (parse_f64_strict(p, n, out)) return true;
    trim(&p, &n);
    if (parse_f64_strict(p, n, out)) return true;
    /* inf, -Infinity, nan, ...: the spellings strtod knows. Hex floats are
     * refused (nobody writes them into CSV, and "0x10" is more likely an id),
     * and so are numbers beyond the double range ("1e400"). */
    size_t i = n > 0 && (p[0] == '-' || p[0] == '+');
    if (i >= n || memchr("iInN", p[i], 4) == NULL) return false;
    double v;
    if (!strtod_exact(p, n, &v) || !(isinf(v) || isnan(v))) return false;
    *out = v;
    return true;
}

bool em__parse_timestamp_fast(const char *p, size_t n, int64_t *out)
{
    int32_t days;
    if (n < 10 || !em__parse_date_fast(p, 10, &days)) return false;
    int64_t micros = 0;
    if (n > 10) {
        /* hh:mm at least */
        if (n < 16 || (p[10] != ' ' && p[10] != 'T') || p[13] != ':') return false;
        unsigned h0 = (unsigned char)p[11] - '0', h1 = (unsigned char)p[12] - '0';
        unsigned i0 = (unsigned char)p[14] - '0', i1 = (unsigned char)p[15] - '0';
        if (h0 > 9 || h1 > 9 || i0 > 9 || i1 > 9) return false;
        unsigned hh = h0 * 10 + h1, mi = i0 * 10 + i1, ss = 0;
        if (hh > 23 || mi > 59) return false;
        size_t i = 16;
        if (i < n) {
            if (p[i] != ':' || n < i + 3) return false;
            unsigned s0 = (unsigned char)p[i + 1] - '0', s1 = (unsigned char)p[i + 2] - '0';
            if (s0 > 9 || s1 > 9) return false;
            ss = s0 * 10 + s1;
            if (ss > 59) return false;
            i += 3;
        }
        int64_t frac = 0;
        if (i < n) {
            if (p[i] != '.' || i + 1 == n) return false;
            int nd = 0;
            for (i++; i < n; i++, nd++) {
                unsigned d = (unsigned char)p[i] - '0';
                if (d > 9) return false;
                /* Digits past microseconds are truncated. */
                if (nd < 6) frac = frac * 10 + d;
            }
            for (; nd < 6; nd++) frac *= 10;
        }
        micros = ((int64_t)hh * 3600 + mi * 60 + ss) * 1000000 + frac;
    }
    *out = (int64_t)days * 86400000000LL + micros;
    return true;
}

bool em__text_date(const char *p, size_t n, int32_t *out)
{
    if (em__parse_date_fast(p, n, out)) return true;
    trim(&p, &n);
    if (em__parse_date_fast(p, n, out)) return true;
    return n > 0 && em_parse_date(p, n, out) == 0;
}

bool em__text_timestamp(const char *p, size_t n, int64_t *out)
{
    if (em__parse_timestamp_fast(p, n, out)) return true;
    trim(&p, &n);
    if (em__parse_timestamp_fast(p, n, out)) return true;
    return n > 0 && em_parse_timestamp(p, n, out) == 0;
}

bool em__append_text(em_vector *v, const char *p, size_t n)
{
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_BIGINT: {
        int64_t x;
        if (!em__text_i64(p, n, &x)) return false;
        em_vector_append_i64(v, x);
        return true;
    }
    case EM_TYPE_DOUBLE: {
        double x;
        if (em__parse_f64_fast(p, n, &x) != 1 && !em__text_f64(p, n, &x)) return false;
        em_vector_append_f64(v, x);
        return true;
    }
    case EM_TYPE_VARCHAR:
        if (n > INT32_MAX) return false;
        em_vector_append_str(v, p, (int32_t)n);
        return true;
    case EM_TYPE_DATE: {
        int32_t x;
        if (!em__text_date(p, n, &x)) return false;
        em_vector_append_i32(v, x);
        return true;
    }
    case EM_TYPE_TIMESTAMP: {
        int64_t x;
        if (!em__text_timestamp(p, n, &x)) return false;
        em_vector_append_i64(v, x);
        return true;
    }
    case EM_TYPE_INTEGER: {
        int64_t x;
        if (!em__text_i64(p, n, &x) || x < INT32_MIN || x > INT32_MAX) return false;
        em_vector_append_i32(v, (int32_t)x);
        return true;
    }
    case EM_TYPE_BOOLEAN: {
        bool b;
        if (!em__text_bool(p, n, &b)) return false;
        em_vector_append_bool(v, b);
        return true;
    }
    case EM_TYPE_DECIMAL: {
        int64_t x;
        const char *s = p;
        size_t len = n;
        trim(&s, &len);
        if (len == 0 || em_parse_decimal(s, len, v->type.precision, v->type.scale, &x) != 0)
            return false;
        em_vector_append_i64(v, x);
        return true;
    }
    default:
        return false;
    }
}

unsigned em__text_candidates(const char *p, size_t n, unsigned cand)
{
    unsigned keep = 0;
    if (cand & EM__CAND_BOOLEAN) {
        bool b;
        if (parse_bool_strict(p, n, &b)) keep |= EM__CAND_BOOLEAN;
    }
    if (cand & EM__CAND_BIGINT) {
        int64_t x;
        if (em__text_i64(p, n, &x)) keep |= EM__CAND_BIGINT;
    }
    if (cand & EM__CAND_DOUBLE) {
        double x;
        const char *s = p;
        size_t len = n;
        trim(&s, &len);
        if (parse_f64_strict(s, len, &x)) keep |= EM__CAND_DOUBLE;
    }
    if (cand & (EM__CAND_DATE | EM__CAND_TIMESTAMP)) {
        const char *s = p;
        size_t len = n;
        trim(&s, &len);
        int32_t d;
        int64_t ts;
        if ((cand & EM__CAND_DATE) && em__parse_date_fast(s, len, &d)) keep |= EM__CAND_DATE;
        if ((cand & EM__CAND_TIMESTAMP) && em__parse_timestamp_fast(s, len, &ts))
            keep |= EM__CAND_TIMESTAMP;
    }
    return keep;
}

em_type em__candidates_type(unsigned cand)
{
    if (cand & EM__CAND_BOOLEAN) return em_type_make(EM_TYPE_BOOLEAN);
    if (cand & EM__CAND_BIGINT) return em_type_make(EM_TYPE_BIGINT);
    if (cand & EM__CAND_DOUBLE) return em_type_make(EM_TYPE_DOUBLE);
    if (cand & EM__CAND_DATE) return em_type_make(EM_TYPE_DATE);
    if (cand & EM__CAND_TIMESTAMP) return em_type_make(EM_TYPE_TIMESTAMP);
    return em_type_make(EM_TYPE_VARCHAR);
}

int64_t em__line_at(const char *base, int64_t offset)
{
    int64_t line = 1;
    const char *p = base, *end = base + offset;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) break;
        line++;
        p = nl + 1;
    }
    return line;
}

int em__convert_error(em_error *err, const char *path, int64_t line, const em_schema *s, int col,
                      const char *p, size_t n)
{
    char tbuf[64];
    const char *tname = em_type_name(s->fields[col].type, tbuf, sizeof tbuf);
    int shown = n > 80 ? 77 : (int)n;
    return em_error_set(
        err, EM_EFORMAT, "%s:%lld: column '%s' (%d): could not convert '%.*s%s' to %s", path,
        (long long)line, s->fields[col].name, col + 1, shown, p, n > 80 ? "..." : "", tname);
}

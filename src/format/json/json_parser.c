/*
 * json_parser.c — a validating tokenizer for the top-level objects of JSON
 * files.
 *
 * It does not build a tree: a top-level object becomes an array of members
 * whose values point into the mapped file. Nested values are validated and
 * skipped (kept as text); strings are validated but left escaped until a
 * reader needs their value. Every malformation is reported with the line and
 * column of the offending byte.
 */
#include "format/json/json.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Nesting deeper than this is refused rather than risking the stack. */
#define MAX_DEPTH 512

void em__json_init(em__json_parser *jp, const char *path, const char *base, int64_t size)
{
    memset(jp, 0, sizeof *jp);
    jp->path = path;
    jp->base = base;
    jp->end = base + size;
    jp->cap = 16;
    jp->m = em_malloc((size_t)jp->cap * sizeof *jp->m);
}

void em__json_release(em__json_parser *jp)
{
    em_free(jp->m);
    em_free(jp->scratch);
    jp->m = NULL;
    jp->scratch = NULL;
}

int em__json_error(const em__json_parser *jp, const char *at, const char *msg, em_error *err)
{
    if (at > jp->end) at = jp->end;
    int64_t off = at - jp->base;
    int64_t line = em__line_at(jp->base, off);
    const char *ls = at;
    while (ls > jp->base && ls[-1] != '\n') ls--;
    return em_error_set(err, EM_EFORMAT, "%s:%lld:%lld: invalid JSON: %s", jp->path,
                        (long long)line, (long long)(at - ls + 1), msg);
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

/* First '"', '\\' or control character in [p, end), or end. */
static inline const char *find_string_special(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), v1f = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* x <= 0x1f unsigned  <=>  max(x, 0x1f) == 0x1f */
        __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(x, v1f), v1f);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vq), _mm_cmpeq_epi8(x, vb)), ctl);
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask != 0) return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20) return p;
    }
    return end;
}

/* Validate the string whose opening quote is at p[-1]; *after points past
 * the closing quote. */
static int scan_string(const em__json_parser *jp, const char *p, const char **after, bool *escaped,
                       em_error *err)
{
    const char *end = jp->end, *open = p - 1;
    *escaped = false;
    for (;;) {
        p = find_string_special(p, end);
        if (p == end) return em__json_error(jp, open, "unterminated string", err);
        char c = *p;
        if (c == '"') {
            *after = p + 1;
            return 0;
        }
        if (c != '\\') return em__json_error(jp, p, "control character in string", err);
        *escaped = true;
        if (p + 1 >= end) return em__json_error(jp, open, "unterminated string", err);
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p += 2;
            break;
        case 'u': {
            unsigned cp;
            if (end - p < 6 || hex4(p + 2, &cp) < 0)
                return em__json_error(jp, p, "invalid \\u escape", err);
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return em__json_error(jp, p, "lone low surrogate in \\u escape", err);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return em__json_error(jp, p, "high surrogate not followed by a low surrogate",
                                          err);
                p += 12;
            } else {
                p += 6;
            }
            break;
        }
        default:
            return em__json_error(jp, p, "invalid escape in string", err);
        }
    }
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int scan_number(const em__json_parser *jp, const char *p, const char **after, bool *is_float,
                       em_error *err)
{
    const char *end = jp->end, *s = p;
    *is_float = false;
    if (p < end && *p == '-') p++;
    if (p < end && *p == '0') {
        p++;
    } else if (p < end && is_digit(*p)) {
        while (p < end && is_digit(*p)) p++;
    } else {
        return em__json_error(jp, s, "invalid number", err);
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p)) return em__json_error(jp, s, "invalid number", err);
        while (p < end && is_digit(*p)) p++;
        *is_float = true;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || !is_digit(*p)) return em__json_error(jp, s, "invalid number", err);
        while (p < end && is_digit(*p)) p++;
        *is_float = true;
    }
    /* "01" or "1x": the number must end at a delimiter. */
    if (p < end && !em__json_is_ws(*p) && *p != ',' && *p != '}' && *p != ']')
        return em__json_error(jp, s, "invalid number", err);
    *after = p;
    return 0;
}

static int scan_literal(const em__json_parser *jp, const char *p, const char *lit,
                        const char **after, em_error *err)
{
    size_t n = strlen(lit);
    if ((size_t)(jp->end - p) < n || memcmp(p, lit, n) != 0)
        return em__json_error(jp, p, "invalid literal", err);
    *after = p + n;
    return 0;
}

static int skip_value(const em__json_parser *jp, const char *p, const char **after, int depth,
                      em_error *err);

static int skip_container(const em__json_parser *jp, const char *p, const char **after, int depth,
                          em_error *err)
{
    const char *end = jp->end;
    if (depth > MAX_DEPTH) return em__json_error(jp, p, "nesting too deep", err);
    bool object = *p == '{';
    char close = object ? '}' : ']';
    p = em__json_skip_ws(p + 1, end);
    if (p < end && *p == close) {
        *after = p + 1;
        return 0;
    }
    for (;;) {
        if (object) {
            if (p >= end || *p != '"')
                return em__json_error(jp, p, "expected a string as object key", err);
            bool esc;
            EM_TRY(scan_string(jp, p + 1, &p, &esc, err));
            p = em__json_skip_ws(p, end);
            if (p >= end || *p != ':')
                return em__json_error(jp, p, "expected ':' after object key", err);
            p = em__json_skip_ws(p + 1, end);
        }
        EM_TRY(skip_value(jp, p, &p, depth + 1, err));
        p = em__json_skip_ws(p, end);
        if (p < end && *p == ',') {
            p = em__json_skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == close) {
            *after = p + 1;
            return 0;
        }
        return em__json_error(
            jp, p, object ? "expected ',' or '}' in object" : "expected ',' or ']' in array", err);
    }
}

static int skip_value(const em__json_parser *jp, const char *p, const char **after, int depth,
                      em_error *err)
{
    if (p >= jp->end) return em__json_error(jp, p, "unexpected end of input", err);
    bool flag;
    switch (*p) {
    case '{':
    case '[':
        return skip_container(jp, p, after, depth, err);
    case '"':
        return scan_string(jp, p + 1, after, &flag, err);
    case 't':
        return scan_literal(jp, p, "true", after, err);
    case 'f':
        return scan_literal(jp, p, "false", after, err);
    case 'n':
        return scan_literal(jp, p, "null", after, err);
    default:
        return scan_number(jp, p, after, &flag, err);
    }
}

static int member_value(em__json_parser *jp, em__json_member *m, const char *p, const char **after,
                        em_error *err)
{
    if (p >= jp->end) return em__json_error(jp, p, "unexpected end of input", err);
    m->escaped = false;
    switch (*p) {
    case '"': {
        bool esc;
        EM_TRY(scan_string(jp, p + 1, after, &esc, err));
        m->kind = EM__JSON_STRING;
        m->escaped = esc;
        m->p = p + 1;
        m->n = *after - 1 - (p + 1);
        return 0;
    }
    case '{':
    case '[':
        EM_TRY(skip_container(jp, p, after, 1, err));
        m->kind = EM__JSON_NESTED;
        break;
    case 't':
        EM_TRY(scan_literal(jp, p, "true", after, err));
        m->kind = EM__JSON_TRUE;
        break;
    case 'f':
        EM_TRY(scan_literal(jp, p, "false", after, err));
        m->kind = EM__JSON_FALSE;
        break;
    case 'n':
        EM_TRY(scan_literal(jp, p, "null", after, err));
        m->kind = EM__JSON_NULL;
        break;
    default: {
        bool is_float;
        EM_TRY(scan_number(jp, p, after, &is_float, err));
        m->kind = is_float ? EM__JSON_FLOAT : EM__JSON_INT;
        break;
    }
    }
    m->p = p;
    m->n = *after - p;
    return 0;
}

int em__json_object(em__json_parser *jp, const char **pos, em_error *err)
{
    const char *p = *pos, *end = jp->end;
    jp->nm = 0;
    if (p >= end || *p != '{') return em__json_error(jp, p, "expected a JSON object", err);
    p = em__json_skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        *pos = p + 1;
        return 0;
    }
    for (;;) {
        if (p >= end || *p != '"')
            return em__json_error(jp, p, "expected a string as object key", err);
        if (jp->nm == jp->cap) {
            jp->cap *= 2;
            jp->m = em_realloc(jp->m, (size_t)jp->cap * sizeof *jp->m);
        }
        em__json_member *m = &jp->m[jp->nm];
        const char *k = p + 1;
        bool kesc;
        EM_TRY(scan_string(jp, k, &p, &kesc, err));
        m->key = k;
        m->key_n = p - 1 - k;
        m->key_escaped = kesc;
        p = em__json_skip_ws(p, end);
        if (p >= end || *p != ':')
            return em__json_error(jp, p, "expected ':' after object key", err);
        p = em__json_skip_ws(p + 1, end);
        EM_TRY(member_value(jp, m, p, &p, err));
        jp->nm++;
        p = em__json_skip_ws(p, end);
        if (p < end && *p == ',') {
            p = em__json_skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') {
            *pos = p + 1;
            return 0;
        }
        return em__json_error(jp, p, "expected ',' or '}' in object", err);
    }
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

const char *em__json_unescape(em__json_parser *jp, const char *p, int64_t n, int64_t *out_n)
{
    /* Unescaping never lengthens: \uXXXX (6 bytes) gives at most 3, a pair
     * (12 bytes) 4, every other escape 1 for 2. */
    if ((size_t)n + 1 > jp->scap) {
        jp->scap = (size_t)n + 64;
        jp->scratch = em_realloc(jp->scratch, jp->scap);
    }
    char *o = jp->scratch;
    const char *end = p + n;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        if (bs == NULL) bs = end;
        memcpy(o, p, (size_t)(bs - p));
        o += bs - p;
        p = bs;
        if (p >= end) break;
        char c = p[1];
        p += 2;
        switch (c) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned cp = 0, lo = 0;
            (void)hex4(p, &cp);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                (void)hex4(p + 2, &lo);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += put_utf8(o, cp);
            break;
        }
        default:
            *o++ = c;
            break; /* " \ / */
        }
    }
    *out_n = o - jp->scratch;
    return jp->scratch;
}

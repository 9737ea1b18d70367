/*
 * func_string.c — string functions over UTF-8 VARCHAR vectors, and LIKE.
 *
 * Positions and lengths count code points, as in PostgreSQL; the input is
 * assumed to be valid UTF-8 (readers validate it). Case mapping covers ASCII
 * and the two-byte ranges whose upper and lower forms have the same encoded
 * length (Latin-1, Latin Extended-A, Greek, Cyrillic), so lower/upper never
 * change a string's byte length and work on the whole character buffer at once.
 *
 * Results are written straight into the output vector's character buffer: no
 * allocation per row. NULL rows of a strict function are empty strings under
 * a cleared validity bit.
 *
 * LIKE compiles a constant pattern once per batch and recognises the common
 * shapes ('abc', 'abc%', '%abc', '%abc%') that reduce to memcmp/memmem, and
 * literals joined by % ('%special%requests%', 'a%b%c') that reduce to one
 * search per literal, left to right; other patterns (with _) use a
 * backtracking matcher that is linear for the usual cases.
 * There is no escape character unless ESCAPE gives one (DuckDB semantics).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memmem */
#endif
#include <string.h>

#include "exec/expr_int.h"

/* ---- UTF-8 helpers ------------------------------------------------------------ */

static inline int utf8_seq_len(unsigned char b)
{
    if (b < 0xC0) return 1; /* ASCII, or a stray continuation byte */
    if (b < 0xE0) return 2;
    if (b < 0xF0) return 3;
    return 4;
}

static inline int64_t utf8_count(const char *p, int64_t len)
{
    int64_t n = 0;
    for (int64_t i = 0; i < len; i++) n += ((unsigned char)p[i] & 0xC0) != 0x80;
    return n;
}

/* Byte offset after skipping k code points (clamped at len). */
static inline int64_t utf8_skip(const char *p, int64_t len, int64_t k)
{
    int64_t i = 0;
    while (k > 0 && i < len) {
        i += utf8_seq_len((unsigned char)p[i]);
        k--;
    }
    return i < len ? i : len;
}

/* Byte offset of the start of the last k code points (0 when fewer). */
static inline int64_t utf8_skip_back(const char *p, int64_t len, int64_t k)
{
    int64_t i = len;
    while (k > 0 && i > 0) {
        i--;
        while (i > 0 && ((unsigned char)p[i] & 0xC0) == 0x80) i--;
        k--;
    }
    return i;
}

static inline int utf8_encode(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static inline uint32_t utf8_decode(const char *p, int64_t len, int *used)
{
    unsigned char b = (unsigned char)p[0];
    int n = utf8_seq_len(b);
    if (n > len) n = (int)len;
    *used = n;
    if (n == 1) return b;
    uint32_t c = b & (0xFF >> (n + 1));
    for (int k = 1; k < n; k++) c = (c << 6) | ((unsigned char)p[k] & 0x3F);
    return c;
}

#define HIGH_BITS 0x8080808080808080ULL

/* Whether every character of the vector (all rows, NULL slots included) is
 * ASCII: then code points are bytes and the byte arithmetic fast paths apply.
 * One pass of 8-byte words over the character buffer. */
static bool vec_ascii(const em_vector *v)
{
    const int32_t *off = EM_VEC_OFFSETS(v);
    int64_t rows = v->length;
    const unsigned char *p = (const unsigned char *)v->chars + off[0];
    int64_t len = off[rows] - off[0], i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < len; i++) acc |= p[i];
    return (acc & HIGH_BITS) == 0;
}

/* Code point counts and skips that short-cut ASCII input. */
static inline int64_t cp_count(bool ascii, const char *p, int64_t len)
{
    if (ascii) return len;
    int64_t cont = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        /* Continuation bytes are 10xxxxxx: bit 7 set and bit 6 clear. */
        cont += __builtin_popcountll(w & ~(w << 1) & HIGH_BITS);
    }
    for (; i < len; i++) cont += ((unsigned char)p[i] & 0xC0) == 0x80;
    return len - cont;
}

static inline int64_t cp_skip(bool ascii, const char *p, int64_t len, int64_t k)
{
    if (ascii) return k < len ? k : len;
    return utf8_skip(p, len, k);
}

static inline int64_t cp_skip_back(bool ascii, const char *p, int64_t len, int64_t k)
{
    if (ascii) return k < len ? len - k : 0;
    return utf8_skip_back(p, len, k);
}

/* Case mapping restricted to pairs with equal UTF-8 lengths. */
static uint32_t cp_lower(uint32_t c)
{
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
    if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c | 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
    if (c == 0x178) return 0xFF;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    return c;
}

static uint32_t cp_upper(uint32_t c)
{
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
    if (c == 0xFF) return 0x178;
    if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c & ~1u;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c : c - 1;
    if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 32;
    if (c >= 0x430 && c <= 0x44F) return c - 32;
    if (c >= 0x450 && c <= 0x45F) return c - 80;
    return c;
}

static inline char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* ---- result building ------------------------------------------------------------- */

/* Append bytes to the row being built (finish it with end_row). */
static inline int app(em_vector *r, const char *p, int64_t len)
{
    char *d = em__str_room(r, len);
    if (d == NULL) return -1;
    if (len > 0) memcpy(d, p, (size_t)len);
    r->chars_len += len;
    return 0;
}

static inline void end_row(em_vector *r, int64_t i)
{
    EM_VEC_OFFSETS(r)[i + 1] = (int32_t)r->chars_len;
}

/* A strict VARCHAR-result kernel's prologue: result with the AND of validities. */
static em_vector *strict_result(const em_expr *call, em_vector **args, int nargs, int64_t n)
{
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, nargs, n);
    return r;
}

#define ARG_STR(v, i, lenp) em_vector_str((v), EM__IX((v), (i)), (lenp))
#define ARG_I64(v, i) (EM_VEC_I64(v)[EM__IX((v), (i))])

static int fail_large(em_vector *r, em_error *err)
{
    em_vector_unref(r);
    return em__err_str_too_large(err);
}

/* ---- lower / upper ------------------------------------------------------------------- */

/* ASCII letters of one 8-byte word flipped to the other case (SWAR): a byte
 * gets 0x20 xor-ed in when it lies in [lo, hi]. The word must be ASCII. */
static inline uint64_t swar_case(uint64_t w, bool upper)
{
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t lo = upper ? 'a' : 'A', hi = upper ? 'z' : 'Z';
    uint64_t ge = w + (0x80 - lo) * ones;     /* bit 7 set where byte >= lo */
    uint64_t gt = w + (0x80 - hi - 1) * ones; /* bit 7 set where byte > hi */
    uint64_t in = (ge ^ gt) & HIGH_BITS;
    return w ^ (in >> 2);
}

static void map_case(char *p, int64_t len, bool upper)
{
    for (int64_t i = 0; i < len;) {
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if ((w & HIGH_BITS) == 0) {
                w = swar_case(w, upper);
                memcpy(p + i, &w, 8);
                i += 8;
                continue;
            }
        }
        unsigned char b = (unsigned char)p[i];
        if (b < 0x80) {
            if (upper)
                p[i] = (b >= 'a' && b <= 'z') ? (char)(b - 32) : (char)b;
            else
                p[i] = (b >= 'A' && b <= 'Z') ? (char)(b + 32) : (char)b;
            i++;
            continue;
        }
        int used;
        uint32_t c = utf8_decode(p + i, len - i, &used);
        if (used == 2) {
            uint32_t m = upper ? cp_upper(c) : cp_lower(c);
            if (m != c) utf8_encode(m, p + i);
        }
        i += used;
    }
}

static int case_kernel(const em_expr *call, em_vector **args, int64_t n, em_vector **out,
                       bool upper)
{
    em_vector *a = args[0];
    em_vector *r = strict_result(call, args, 1, n);
    const int32_t *off = EM_VEC_OFFSETS(a);
    int64_t base = off[0], total = off[EM__IX(a, n - 1) + 1] - base;
    if (em__is_const(a) && n > 1) {
        /* Only reachable through direct kernel calls; treat row by row. */
        for (int64_t i = 0; i < n; i++) {
            char *d = em__str_room(r, total);
            if (d == NULL) {
                em_vector_unref(r);
                return -1;
            }
            memcpy(d, a->chars + base, (size_t)total);
            map_case(d, total, upper);
            em__str_commit(r, i, total);
        }
        *out = r;
        return 0;
    }
    /* Same lengths: copy the whole buffer and the offsets, then map in place. */
    char *d = em__str_room(r, total);
    if (d == NULL) {
        em_vector_unref(r);
        return -1;
    }
    if (total > 0) memcpy(d, a->chars + base, (size_t)total);
    map_case(d, total, upper);
    r->chars_len = total;
    int32_t *ro = EM_VEC_OFFSETS(r);
    for (int64_t i = 0; i <= n; i++) ro[i] = (int32_t)(off[i] - base);
    *out = r;
    return 0;
}

static EM__KERNEL(k_lower)
{
    return case_kernel(call, args, n, out, false) < 0 ? em__err_str_too_large(err) : 0;
}

static EM__KERNEL(k_upper)
{
    return case_kernel(call, args, n, out, true) < 0 ? em__err_str_too_large(err) : 0;
}

/* ---- lengths ---------------------------------------------------------------------- */

static EM__KERNEL(k_length)
{
    em_vector *a = args[0];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_copy_validity(r, a, n);
    int64_t *z = EM_VEC_I64(r);
    const bool ascii = vec_ascii(a);
    if (ascii && !em__is_const(a)) {
        const int32_t *off = EM_VEC_OFFSETS(a);
        for (int64_t i = 0; i < n; i++) z[i] = off[i + 1] - off[i];
        *out = r;
        return 0;
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t len;
        const char *p = ARG_STR(a, i, &len);
        z[i] = cp_count(ascii, p, len);
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_octet_length)
{
    em_vector *a = args[0];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_copy_validity(r, a, n);
    int64_t *z = EM_VEC_I64(r);
    const int32_t *off = EM_VEC_OFFSETS(a);
    for (int64_t i = 0; i < n; i++) {
        int64_t k = EM__IX(a, i);
        z[i] = off[k + 1] - off[k];
    }
    *out = r;
    return 0;
}

/* ---- substring / left / right / reverse ------------------------------------------- */

static EM__KERNEL(k_substring)
{
    em_vector *s = args[0], *st = args[1], *ln = call->nargs > 2 ? args[2] : NULL;
    em_vector *r = strict_result(call, args, call->nargs, n);
    const bool ascii = vec_ascii(s);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t len;
        const char *p = ARG_STR(s, i, &len);
        int64_t start = ARG_I64(st, i);
        /* Code points [start, end) with 1-based positions; start may be <= 0. */
        int64_t end = INT64_MAX;
        if (ln != NULL) {
            int64_t l = ARG_I64(ln, i);
            if (l < 0) {
                em_vector_unref(r);
                return em_error_set(err, EM_EINVAL, "negative substring length not allowed");
            }
            if (__builtin_add_overflow(start, l, &end)) end = INT64_MAX;
        }
        int64_t from = start < 1 ? 1 : start;
        if (end <= from) {
            em__str_empty(r, i);
            continue;
        }
        int64_t b0 = cp_skip(ascii, p, len, from - 1);
        int64_t b1 = end == INT64_MAX ? len : b0 + cp_skip(ascii, p + b0, len - b0, end - from);
        if (em__str_put(r, i, p + b0, b1 - b0) < 0) return fail_large(r, err);
    }
    *out = r;
    return 0;
}

/* left(s, k): the first k code points; k < 0: all but the last |k|. */
static EM__KERNEL(k_left)
{
    em_vector *s = args[0], *kv = args[1];
    em_vector *r = strict_result(call, args, 2, n);
    const bool ascii = vec_ascii(s);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t len;
        const char *p = ARG_STR(s, i, &len);
        int64_t k = ARG_I64(kv, i), e;
        if (k >= 0)
            e = cp_skip(ascii, p, len, k);
        else
            e = cp_skip_back(ascii, p, len, k == INT64_MIN ? INT64_MAX : -k);
        if (em__str_put(r, i, p, e) < 0) return fail_large(r, err);
    }
    *out = r;
    return 0;
}

/* right(s, k): the last k code points; k < 0: all but the first |k|. */
static EM__KERNEL(k_right)
{
    em_vector *s = args[0], *kv = args[1];
    em_vector *r = strict_result(call, args, 2, n);
    const bool ascii = vec_ascii(s);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t len;
        const char *p = ARG_STR(s, i, &len);
        int64_t k = ARG_I64(kv, i), b;
        if (k >= 0)
            b = cp_skip_back(ascii, p, len, k);
        else
            b = cp_skip(ascii, p, len, k == INT64_MIN ? INT64_MAX : -k);
        if (em__str_put(r, i, p + b, len - b) < 0) return fail_large(r, err);
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_reverse)
{
    em_vector *s = args[0];
    em_vector *r = strict_result(call, args, 1, n);
    for (int64_t i = 0; i < n; i++) {
        int32_t len;
        const char *p = ARG_STR(s, i, &len);
        if (!em_vector_is_valid(r, i)) len = 0;
        char *d = em__str_room(r, len);
        if (d == NULL) return fail_large(r, err);
        /* Copy code points from the front to mirrored positions at the back. */
        for (int64_t k = 0; k < len;) {
            int m = utf8_seq_len((unsigned char)p[k]);
            if (k + m > len) m = (int)(len - k);
            memcpy(d + len - k - m, p + k, (size_t)m);
            k += m;
        }
        em__str_commit(r, i, len);
    }
    *out = r;
    return 0;
}

/* ---- searching --------------------------------------------------------------------- */

/* Substring search. SQL strings are mostly short, where glibc's memmem pays
 * more for its setup than for the search: there, look for the first byte
 * with memchr and compare the rest. */
static inline const char *find(const char *h, int64_t hl, const char *nd, int64_t nl)
{
    if (nl == 0) return h;
    if (nl > hl) return NULL;
    if (hl > 256) return memmem(h, (size_t)hl, nd, (size_t)nl);
    const char first = nd[0];
    const char *p = h, *last = h + (hl - nl);
    while (p <= last) {
        p = memchr(p, first, (size_t)(last - p + 1));
        if (p == NULL) return NULL;
        if (memcmp(p + 1, nd + 1, (size_t)(nl - 1)) == 0) return p;
        p++;
    }
    return NULL;
}

/* position(string, substring) and strpos: 1-based code point index, 0 if absent. */
static EM__KERNEL(k_position)
{
    em_vector *s = args[0], *sub = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    int64_t *z = EM_VEC_I64(r);
    for (int64_t i = 0; i < n; i++) {
        int32_t ls, lt;
        const char *p = ARG_STR(s, i, &ls);
        const char *t = ARG_STR(sub, i, &lt);
        const char *hit = find(p, ls, t, lt);
        z[i] = hit == NULL ? 0 : utf8_count(p, hit - p) + 1;
    }
    *out = r;
    return 0;
}

typedef enum { TEST_STARTS, TEST_ENDS, TEST_CONTAINS } str_test;

static int test_kernel(const em_expr *call, em_vector **args, int64_t n, em_vector **out,
                       str_test what)
{
    em_vector *s = args[0], *q = args[1];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_and_validity(r, args, 2, n);
    uint8_t *z = EM_VEC_BOOL(r);
    for (int64_t i = 0; i < n; i++) {
        int32_t ls, lq;
        const char *p = ARG_STR(s, i, &ls);
        const char *t = ARG_STR(q, i, &lq);
        bool ok = lq <= ls;
        if (ok && lq > 0) {
            switch (what) {
            case TEST_STARTS:
                ok = memcmp(p, t, (size_t)lq) == 0;
                break;
            case TEST_ENDS:
                ok = memcmp(p + ls - lq, t, (size_t)lq) == 0;
                break;
            case TEST_CONTAINS:
                ok = find(p, ls, t, lq) != NULL;
                break;
            }
        }
        z[i] = ok;
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_starts_with)
{
    EM_UNUSED(err);
    return test_kernel(call, args, n, out, TEST_STARTS);
}

static EM__KERNEL(k_ends_with)
{
    EM_UNUSED(err);
    return test_kernel(call, args, n, out, TEST_ENDS);
}

static EM__KERNEL(k_contains)
{
    EM_UNUSED(err);
    return test_kernel(call, args, n, out, TEST_CONTAINS);
}

/* ---- trimming ---------------------------------------------------------------------- */

/* Whether the code point at p (m bytes) occurs in the set. */
static inline bool in_set(const char *p, int m, const char *set, int32_t sl)
{
    if (m == 1) return sl > 0 && memchr(set, p[0], (size_t)sl) != NULL;
    for (int32_t k = 0; k < sl;) {
        int sm = utf8_seq_len((unsigned char)set[k]);
        if (sm == m && k + m <= sl && memcmp(set + k, p, (size_t)m) == 0) return true;
        k += sm;
    }
    return false;
}

static int trim_kernel(const em_expr *call, em_vector **args, int64_t n, em_vector **out,
                       em_error *err, bool left, bool right)
{
    em_vector *s = args[0], *cs = call->nargs > 1 ? args[1] : NULL;
    em_vector *r = strict_result(call, args, call->nargs, n);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t len, sl = 1;
        const char *p = ARG_STR(s, i, &len);
        const char *set = " ";
        if (cs != NULL) set = ARG_STR(cs, i, &sl);
        int64_t b = 0, e = len;
        if (left) {
            while (b < e) {
                int m = utf8_seq_len((unsigned char)p[b]);
                if (b + m > e || !in_set(p + b, m, set, sl)) break;
                b += m;
            }
        }
        if (right) {
            while (e > b) {
                int64_t k = e - 1;
                while (k > b && ((unsigned char)p[k] & 0xC0) == 0x80) k--;
                if (!in_set(p + k, (int)(e - k), set, sl)) break;
                e = k;
            }
        }
        if (em__str_put(r, i, p + b, e - b) < 0) return fail_large(r, err);
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_btrim)
{
    return trim_kernel(call, args, n, out, err, true, true);
}

static EM__KERNEL(k_ltrim)
{
    return trim_kernel(call, args, n, out, err, true, false);
}

static EM__KERNEL(k_rtrim)
{
    return trim_kernel(call, args, n, out, err, false, true);
}

/* ---- building -------------------------------------------------------------------- */

static EM__KERNEL(k_replace)
{
    em_vector *s = args[0], *fv = args[1], *tv = args[2];
    em_vector *r = strict_result(call, args, 3, n);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t ls, lf, lt;
        const char *p = ARG_STR(s, i, &ls);
        const char *f = ARG_STR(fv, i, &lf);
        const char *t = ARG_STR(tv, i, &lt);
        if (lf == 0) {
            if (em__str_put(r, i, p, ls) < 0) return fail_large(r, err);
            continue;
        }
        const char *cur = p, *end = p + ls;
        for (;;) {
            const char *hit = find(cur, end - cur, f, lf);
            if (hit == NULL) break;
            if (app(r, cur, hit - cur) < 0 || app(r, t, lt) < 0) return fail_large(r, err);
            cur = hit + lf;
        }
        if (app(r, cur, end - cur) < 0) return fail_large(r, err);
        end_row(r, i);
    }
    *out = r;
    return 0;
}

/* concat(...): NULL arguments are skipped; the result is never NULL. */
static EM__KERNEL(k_concat)
{
    em_vector *r = em__vec_new(call->type, n);
    for (int64_t i = 0; i < n; i++) {
        for (int a = 0; a < call->nargs; a++) {
            em_vector *v = args[a];
            int64_t k = EM__IX(v, i);
            if (!em_vector_is_valid(v, k)) continue;
            int32_t len;
            const char *p = em_vector_str(v, k, &len);
            if (app(r, p, len) < 0) return fail_large(r, err);
        }
        end_row(r, i);
    }
    *out = r;
    return 0;
}

/* concat_ws(sep, ...): NULL when sep is; NULL arguments are skipped. */
static EM__KERNEL(k_concat_ws)
{
    em_vector *sep = args[0];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_copy_validity(r, sep, n);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t lsep;
        const char *ps = ARG_STR(sep, i, &lsep);
        bool first = true;
        for (int a = 1; a < call->nargs; a++) {
            em_vector *v = args[a];
            int64_t k = EM__IX(v, i);
            if (!em_vector_is_valid(v, k)) continue;
            int32_t len;
            const char *p = em_vector_str(v, k, &len);
            if ((!first && app(r, ps, lsep) < 0) || app(r, p, len) < 0) return fail_large(r, err);
            first = false;
        }
        end_row(r, i);
    }
    *out = r;
    return 0;
}

/* a || b: strict, unlike concat. */
static EM__KERNEL(k_concat_op)
{
    em_vector *a = args[0], *b = args[1];
    em_vector *r = strict_result(call, args, 2, n);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t la, lb;
        const char *pa = ARG_STR(a, i, &la);
        const char *pb = ARG_STR(b, i, &lb);
        if (app(r, pa, la) < 0 || app(r, pb, lb) < 0) return fail_large(r, err);
        end_row(r, i);
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_repeat)
{
    em_vector *s = args[0], *kv = args[1];
    em_vector *r = strict_result(call, args, 2, n);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t len;
        const char *p = ARG_STR(s, i, &len);
        int64_t k = ARG_I64(kv, i);
        if (k <= 0 || len == 0) {
            em__str_empty(r, i);
            continue;
        }
        if (k > INT32_MAX / len) return fail_large(r, err);
        char *d = em__str_room(r, (int64_t)len * k);
        if (d == NULL) return fail_large(r, err);
        for (int64_t j = 0; j < k; j++) memcpy(d + j * len, p, (size_t)len);
        em__str_commit(r, i, (int64_t)len * k);
    }
    *out = r;
    return 0;
}

/* lpad/rpad(s, len[, fill]): pad with fill (default a space) to len code
 * points, or truncate to len. */
static int pad_kernel(const em_expr *call, em_vector **args, int64_t n, em_vector **out,
                      em_error *err, bool left)
{
    em_vector *s = args[0], *lv = args[1], *fv = call->nargs > 2 ? args[2] : NULL;
    em_vector *r = strict_result(call, args, call->nargs, n);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t ls, lf = 1;
        const char *p = ARG_STR(s, i, &ls);
        const char *f = " ";
        if (fv != NULL) f = ARG_STR(fv, i, &lf);
        int64_t want = ARG_I64(lv, i);
        if (want <= 0) {
            em__str_empty(r, i);
            continue;
        }
        if (want > INT32_MAX / 4) return fail_large(r, err);
        int64_t have = utf8_count(p, ls);
        if (have >= want || lf == 0) {
            int64_t e = have >= want ? utf8_skip(p, ls, want) : ls;
            if (em__str_put(r, i, p, e) < 0) return fail_large(r, err);
            continue;
        }
        int64_t padn = want - have;
        if (!left && app(r, p, ls) < 0) return fail_large(r, err);
        /* Whole copies of fill, then a prefix of it. */
        int64_t fcp = utf8_count(f, lf);
        for (int64_t k = padn / fcp; k > 0; k--)
            if (app(r, f, lf) < 0) return fail_large(r, err);
        if (app(r, f, utf8_skip(f, lf, padn % fcp)) < 0) return fail_large(r, err);
        if (left && app(r, p, ls) < 0) return fail_large(r, err);
        end_row(r, i);
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_lpad)
{
    return pad_kernel(call, args, n, out, err, true);
}

static EM__KERNEL(k_rpad)
{
    return pad_kernel(call, args, n, out, err, false);
}

/* split_part(s, delim, k): field k (1-based; negative counts from the end). */
static EM__KERNEL(k_split_part)
{
    em_vector *s = args[0], *dv = args[1], *kv = args[2];
    em_vector *r = strict_result(call, args, 3, n);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t ls, ld;
        const char *p = ARG_STR(s, i, &ls);
        const char *d = ARG_STR(dv, i, &ld);
        int64_t k = ARG_I64(kv, i);
        if (k == 0) {
            em_vector_unref(r);
            return em_error_set(err, EM_EINVAL, "field position must not be zero");
        }
        if (ld == 0) {
            /* The whole string is the only field. */
            if (k == 1 || k == -1) {
                if (em__str_put(r, i, p, ls) < 0) return fail_large(r, err);
            } else {
                em__str_empty(r, i);
            }
            continue;
        }
        if (k < 0) {
            int64_t fields = 1;
            for (const char *c = p; (c = find(c, p + ls - c, d, ld)) != NULL; c += ld) fields++;
            k = fields + k + 1;
            if (k < 1) {
                em__str_empty(r, i);
                continue;
            }
        }
        const char *b = p, *end = p + ls;
        for (int64_t f = 1; f < k && b != NULL; f++) {
            const char *hit = find(b, end - b, d, ld);
            b = hit ? hit + ld : NULL;
        }
        if (b == NULL) {
            em__str_empty(r, i);
            continue;
        }
        const char *e = find(b, end - b, d, ld);
        if (e == NULL) e = end;
        if (em__str_put(r, i, b, e - b) < 0) return fail_large(r, err);
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_ascii)
{
    em_vector *s = args[0];
    em_vector *r = em__vec_new(call->type, n);
    em__vec_copy_validity(r, s, n);
    int32_t *z = EM_VEC_I32(r);
    for (int64_t i = 0; i < n; i++) {
        int32_t len;
        const char *p = ARG_STR(s, i, &len);
        int used;
        z[i] = len == 0 ? 0 : (int32_t)utf8_decode(p, len, &used);
    }
    *out = r;
    return 0;
}

static EM__KERNEL(k_chr)
{
    em_vector *c = args[0];
    em_vector *r = strict_result(call, args, 1, n);
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(r, i)) {
            em__str_empty(r, i);
            continue;
        }
        int32_t cp = EM_VEC_I32(c)[EM__IX(c, i)];
        if (cp <= 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            em_vector_unref(r);
            return em_error_set(err, EM_EINVAL, "requested character %d is not a valid code point",
                                (int)cp);
        }
        char buf[4];
        int m = utf8_encode((uint32_t)cp, buf);
        if (em__str_put(r, i, buf, m) < 0) return fail_large(r, err);
    }
    *out = r;
    return 0;
}

/* ---- LIKE ------------------------------------------------------------------------- */

static inline bool byte_eq(char a, char b, bool ci)
{
    return ci ? ascii_lower(a) == ascii_lower(b) : a == b;
}

/* Match s against a raw LIKE pattern: % any run, _ one code point, esc
 * quotes the next character. Backtracks only to the last %, which is
 * enough because a later % subsumes earlier choices. */
static bool like_match(const char *s, int64_t sl, const char *p, int64_t pl, char esc, bool ci)
{
    int64_t si = 0, pi = 0, star_pi = -1, star_si = 0;
    while (si < sl) {
        if (pi < pl) {
            char c = p[pi];
            if (c == '%' && esc != '%') {
                while (pi < pl && p[pi] == '%') pi++;
                if (pi == pl) return true;
                star_pi = pi;
                star_si = si;
                continue;
            }
            if (c == '_' && esc != '_') {
                si += utf8_seq_len((unsigned char)s[si]);
                pi++;
                continue;
            }
            int64_t lit = pi;
            if (esc != 0 && c == esc && pi + 1 < pl) lit = pi + 1;
            if (byte_eq(s[si], p[lit], ci)) {
                si++;
                pi = lit + 1;
                continue;
            }
        }
        if (star_pi < 0) return false;
        star_si += utf8_seq_len((unsigned char)s[star_si]);
        si = star_si;
        pi = star_pi;
    }
    while (pi < pl && p[pi] == '%' && esc != '%') pi++;
    return pi == pl;
}

static bool pattern_ends_in_escape(const char *p, int64_t pl, char esc)
{
    if (esc == 0) return false;
    for (int64_t i = 0; i < pl; i++) {
        if (p[i] != esc) continue;
        if (i + 1 == pl) return true;
        i++; /* skip the quoted character */
    }
    return false;
}

typedef enum {
    LIKE_GENERAL,
    LIKE_EXACT,
    LIKE_PREFIX,
    LIKE_SUFFIX,
    LIKE_CONTAINS,
    LIKE_ANY,
    LIKE_SEGMENTS
} like_kind;

/* At most this many literals joined by % take the LIKE_SEGMENTS path. */
#define LIKE_MAX_SEGS 16

typedef struct like_plan {
    like_kind kind;
    char *lit; /* the unescaped literal(s), one after another (lower-cased for ILIKE) */
    int64_t lit_len;
    /* LIKE_SEGMENTS: literal k is lit[seg_off[k] .. seg_off[k + 1]); lead and
     * trail say whether the pattern starts and ends with %. */
    int nseg;
    int64_t seg_off[LIKE_MAX_SEGS + 1];
    bool lead, trail;
} like_plan;

/* Recognise lit, lit%, %lit, %lit% and literals joined by % (with escapes
 * resolved); anything with _ stays general. */
static void like_analyze(const char *p, int64_t pl, char esc, bool ci, like_plan *plan)
{
    plan->kind = LIKE_GENERAL;
    plan->lit = em_malloc((size_t)pl + 1);
    plan->lit_len = 0;
    plan->nseg = 0;
    plan->seg_off[0] = 0;
    int64_t i = 0;
    bool lead = false, trail = false;
    while (i < pl && p[i] == '%' && esc != '%') {
        lead = true;
        i++;
    }
    for (; i < pl; i++) {
        char c = p[i];
        if (c == esc && esc != 0) {
            if (i + 1 >= pl) return;
            plan->lit[plan->lit_len++] = ci ? ascii_lower(p[++i]) : p[++i];
            continue;
        }
        if (c == '_') return;
        if (c == '%') {
            while (i < pl && p[i] == '%') i++;
            /* A literal ends here; any % ends the last one too. */
            if (plan->nseg == LIKE_MAX_SEGS) return;
            plan->seg_off[++plan->nseg] = plan->lit_len;
            if (i == pl) {
                trail = true;
                break;
            }
            i--; /* the loop's i++ moves to the next literal's first character */
            continue;
        }
        plan->lit[plan->lit_len++] = ci ? ascii_lower(c) : c;
    }
    if (!trail) {
        if (plan->nseg == LIKE_MAX_SEGS) return;
        plan->seg_off[++plan->nseg] = plan->lit_len;
    }
    plan->lead = lead;
    plan->trail = trail;
    if (plan->nseg > 1) {
        plan->kind = LIKE_SEGMENTS;
        return;
    }
    if (plan->lit_len == 0 && (lead || trail))
        plan->kind = LIKE_ANY;
    else if (lead && trail)
        plan->kind = LIKE_CONTAINS;
    else if (lead)
        plan->kind = LIKE_SUFFIX;
    else if (trail)
        plan->kind = LIKE_PREFIX;
    else
        plan->kind = LIKE_EXACT;
}

static bool ci_eq(const char *a, const char *lit, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (ascii_lower(a[i]) != lit[i]) return false;
    return true;
}

static const char *ci_find(const char *s, int64_t sl, const char *lit, int64_t ll)
{
    for (int64_t i = 0; i + ll <= sl; i++)
        if (ci_eq(s + i, lit, ll)) return s + i;
    return NULL;
}

static bool ci_contains(const char *s, int64_t sl, const char *lit, int64_t ll)
{
    return ci_find(s, sl, lit, ll) != NULL;
}

/* LIKE_SEGMENTS: whether s[0..sl) matches literals `from`.. of the plan,
 * joined by %, with the first of them at s's start when `anchored` and the
 * last at its end unless the pattern ends with %. Taking the leftmost
 * occurrence of each literal is enough: it leaves the most room for the rest. */
static bool segments_match(const like_plan *plan, int from, bool anchored, const char *s,
                           int64_t sl, bool ci)
{
    int last = plan->nseg - 1;
    int64_t pos = 0, end = sl;
    if (!plan->trail) {
        /* The last literal must end the string: check it, and keep the others before it. */
        const char *lit = plan->lit + plan->seg_off[last];
        int64_t ll = plan->seg_off[last + 1] - plan->seg_off[last];
        if (ll > sl) return false;
        end = sl - ll;
        if (!(ci ? ci_eq(s + end, lit, ll) : memcmp(s + end, lit, (size_t)ll) == 0)) return false;
        last--;
    }
    for (int k = from; k <= last; k++) {
        const char *lit = plan->lit + plan->seg_off[k];
        int64_t ll = plan->seg_off[k + 1] - plan->seg_off[k];
        if (k == from && anchored) {
            if (ll > end || !(ci ? ci_eq(s, lit, ll) : memcmp(s, lit, (size_t)ll) == 0))
                return false;
            pos = ll;
            continue;
        }
        const char *hit =
            ci ? ci_find(s + pos, end - pos, lit, ll) : find(s + pos, end - pos, lit, ll);
        if (hit == NULL) return false;
        pos = hit - s + ll;
    }
    return pos <= end;
}

/* A pattern starting with % over a whole column: its first literal is searched
 * for in the batch's character buffer at once, each hit mapped to its row,
 * instead of one search per row. A hit that runs past the end of its row rules
 * out the rest of that row (any later start would run past it too). For
 * '%lit%' (`rest` NULL) a hit decides its row; for LIKE_SEGMENTS the rest of
 * the row after the leftmost hit must match the plan's later literals. */
static void first_literal_batch(const em_vector *s, int64_t n, const char *lit, int64_t ll,
                                const like_plan *rest, uint8_t *z)
{
    const int32_t *off = EM_VEC_OFFSETS(s);
    const char *base = s->chars;
    memset(z, 0, (size_t)n);
    int64_t row = 0, pos = off[0];
    const int64_t end = off[n];
    while (pos < end && row < n) {
        const char *hit = memmem(base + pos, (size_t)(end - pos), lit, (size_t)ll);
        if (hit == NULL) break;
        int64_t hp = hit - base;
        while (row < n && off[row + 1] <= hp) row++;
        if (row >= n) break;
        if (hp + ll <= off[row + 1]) {
            /* A trailing literal anchored at the row's end must not overlap this one. */
            z[row] = rest == NULL ? 1
                                  : segments_match(rest, 1, false, base + hp + ll,
                                                   off[row + 1] - (hp + ll), false);
        }
        row++;
        if (row < n) pos = off[row];
    }
}

static void like_const(const like_plan *plan, const em_vector *s, int64_t n, const char *p,
                       int64_t pl, char esc, bool ci, uint8_t *z)
{
    if (plan->kind == LIKE_CONTAINS && !ci && !em__is_const(s) && plan->lit_len > 0) {
        first_literal_batch(s, n, plan->lit, plan->lit_len, NULL, z);
        return;
    }
    if (plan->kind == LIKE_SEGMENTS && plan->lead && !ci && !em__is_const(s) &&
        plan->seg_off[1] > 0 && n > 0) {
        first_literal_batch(s, n, plan->lit, plan->seg_off[1], plan, z);
        return;
    }
    const int32_t *off = EM_VEC_OFFSETS(s);
    const char *lit = plan->lit;
    const int64_t ll = plan->lit_len;
    for (int64_t i = 0; i < n; i++) {
        int64_t k = EM__IX(s, i);
        const char *str = s->chars + off[k];
        int64_t sl = off[k + 1] - off[k];
        bool m;
        switch (plan->kind) {
        case LIKE_ANY:
            m = true;
            break;
        case LIKE_EXACT:
            m = sl == ll && (ci ? ci_eq(str, lit, ll) : memcmp(str, lit, (size_t)ll) == 0);
            break;
        case LIKE_PREFIX:
            m = sl >= ll && (ci ? ci_eq(str, lit, ll) : memcmp(str, lit, (size_t)ll) == 0);
            break;
        case LIKE_SUFFIX:
            m = sl >= ll &&
                (ci ? ci_eq(str + sl - ll, lit, ll) : memcmp(str + sl - ll, lit, (size_t)ll) == 0);
            break;
        case LIKE_CONTAINS:
            m = ci ? ci_contains(str, sl, lit, ll) : find(str, sl, lit, ll) != NULL;
            break;
        case LIKE_SEGMENTS:
            m = segments_match(plan, 0, !plan->lead, str, sl, ci);
            break;
        default:
            m = like_match(str, sl, p, pl, esc, ci);
            break;
        }
        z[i] = m;
    }
}

int em__like_eval(const em_expr *e, em_vector *s, em_vector *pattern, int64_t n, em_vector **out,
                  em_error *err)
{
    const bool ci = e->case_insensitive;
    const char esc = e->escape;
    em_vector *args[2] = {s, pattern};
    em_vector *r = em__vec_new(em_type_make(EM_TYPE_BOOLEAN), n);
    em__vec_and_validity(r, args, 2, n);
    uint8_t *z = EM_VEC_BOOL(r);
    memset(z, 0, (size_t)n);
    if (em__is_const(pattern)) {
        if (em_vector_is_valid(pattern, 0)) {
            int32_t pl;
            const char *p = em_vector_str(pattern, 0, &pl);
            if (pattern_ends_in_escape(p, pl, esc)) {
                em_vector_unref(r);
                return em_error_set(err, EM_EINVAL,
                                    "LIKE pattern must not end with escape character");
            }
            like_plan plan;
            like_analyze(p, pl, esc, ci, &plan);
            like_const(&plan, s, n, p, pl, esc, ci, z);
            em_free(plan.lit);
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            if (!em_vector_is_valid(r, i)) continue;
            int32_t sl, pl;
            const char *str = ARG_STR(s, i, &sl);
            const char *p = ARG_STR(pattern, i, &pl);
            if (pattern_ends_in_escape(p, pl, esc)) {
                em_vector_unref(r);
                return em_error_set(err, EM_EINVAL,
                                    "LIKE pattern must not end with escape character");
            }
            z[i] = like_match(str, sl, p, pl, esc, ci);
        }
    }
    if (e->negated)
        for (int64_t i = 0; i < n; i++) z[i] ^= 1;
    *out = r;
    return 0;
}

/* ---- registry ----------------------------------------------------------------------- */

#define B EM__TB
#define I EM__TI
#define L EM__TL
#define S EM__TS
#define FIX EM__RET_FIXED
#define SAFE EM__FN_SAFE
#define ANYV (EM__FN_SAFE | EM__FN_ANY_VARCHAR)

static const em__func_def defs[] = {
    EM__FN("lower", 1, S, k_lower, FIX, SAFE, S),
    EM__FN("upper", 1, S, k_upper, FIX, SAFE, S),
    EM__FN("lcase", 1, S, k_lower, FIX, SAFE, S),
    EM__FN("ucase", 1, S, k_upper, FIX, SAFE, S),
    EM__FN("length", 1, L, k_length, FIX, SAFE, S),
    EM__FN("char_length", 1, L, k_length, FIX, SAFE, S),
    EM__FN("character_length", 1, L, k_length, FIX, SAFE, S),
    EM__FN("octet_length", 1, L, k_octet_length, FIX, SAFE, S),
    EM__FN("substring", 2, S, k_substring, FIX, SAFE, S, L),
    EM__FN("substring", 3, S, k_substring, FIX, 0, S, L, L),
    EM__FN("substr", 2, S, k_substring, FIX, SAFE, S, L),
    EM__FN("substr", 3, S, k_substring, FIX, 0, S, L, L),
    EM__FN("position", 2, L, k_position, FIX, SAFE, S, S),
    EM__FN("strpos", 2, L, k_position, FIX, SAFE, S, S),
    EM__FN("instr", 2, L, k_position, FIX, SAFE, S, S),
    EM__FN("trim", 1, S, k_btrim, FIX, SAFE, S),
    EM__FN("trim", 2, S, k_btrim, FIX, SAFE, S, S),
    EM__FN("btrim", 1, S, k_btrim, FIX, SAFE, S),
    EM__FN("btrim", 2, S, k_btrim, FIX, SAFE, S, S),
    EM__FN("ltrim", 1, S, k_ltrim, FIX, SAFE, S),
    EM__FN("ltrim", 2, S, k_ltrim, FIX, SAFE, S, S),
    EM__FN("rtrim", 1, S, k_rtrim, FIX, SAFE, S),
    EM__FN("rtrim", 2, S, k_rtrim, FIX, SAFE, S, S),
    EM__FN("replace", 3, S, k_replace, FIX, SAFE, S, S, S),
    EM__FN("concat", -1, S, k_concat, FIX, ANYV, S),
    EM__FN("concat_ws", -1, S, k_concat_ws, FIX, ANYV, S),
    EM__FN("||", 2, S, k_concat_op, FIX, ANYV, S, S),
    EM__FN("left", 2, S, k_left, FIX, SAFE, S, L),
    EM__FN("right", 2, S, k_right, FIX, SAFE, S, L),
    EM__FN("reverse", 1, S, k_reverse, FIX, SAFE, S),
    EM__FN("repeat", 2, S, k_repeat, FIX, 0, S, L),
    EM__FN("lpad", 2, S, k_lpad, FIX, 0, S, L),
    EM__FN("lpad", 3, S, k_lpad, FIX, 0, S, L, S),
    EM__FN("rpad", 2, S, k_rpad, FIX, 0, S, L),
    EM__FN("rpad", 3, S, k_rpad, FIX, 0, S, L, S),
    EM__FN("split_part", 3, S, k_split_part, FIX, 0, S, S, L),
    EM__FN("starts_with", 2, B, k_starts_with, FIX, SAFE, S, S),
    EM__FN("ends_with", 2, B, k_ends_with, FIX, SAFE, S, S),
    EM__FN("contains", 2, B, k_contains, FIX, SAFE, S, S),
    EM__FN("ascii", 1, I, k_ascii, FIX, SAFE, S),
    EM__FN("chr", 1, S, k_chr, FIX, 0, I),
};

const em__func_table em__funcs_string = {defs, (int)EM_ARRAY_LEN(defs)};

/*
 * str_split.c — splitting one string into pieces: whole, into characters, at a
 * literal delimiter, or at the matches of a regular expression.
 *
 * Word splitting is the hot path of a word count, so the common patterns never
 * reach a regex engine: a pattern that is a plain string splits with memchr or
 * memmem, and a single character class with or without `+` ('\s+', ' +', '[,;]',
 * '\W+') splits with a 256-entry byte table. Everything else is compiled with
 * the C library's POSIX regular expressions after PostgreSQL's escapes (\s, \d,
 * \w and their negations, \t, \n, ...) are rewritten into POSIX brackets.
 *
 * Matches follow PostgreSQL's regexp_split_to_table: a match of zero length at
 * the start or the end of the string, or right after the previous match, does
 * not split, so '' splits into characters and 'x*' splits 'abc' into a, b, c.
 * Character classes are ASCII: a character beyond ASCII is never a space, a
 * digit or a word character. The general case (the C library's engine in the C
 * locale) matches bytes, so '.' there stands for one byte.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memmem */
#endif
#include "exec/str_split.h"

#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline int utf8_len(unsigned char b)
{
    if (b < 0xC0) return 1;
    if (b < 0xE0) return 2;
    if (b < 0xF0) return 3;
    return 4;
}

static inline void push(em__pieces *o, int64_t start, int64_t end)
{
    if (EM_UNLIKELY(o->n * 2 + 2 > o->cap)) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->pos = em_realloc(o->pos, (size_t)o->cap * sizeof(int32_t));
    }
    o->pos[o->n * 2] = (int32_t)start;
    o->pos[o->n * 2 + 1] = (int32_t)end;
    o->n++;
}

void em__pieces_release(em__pieces *p)
{
    em_free(p->pos);
    em_free(p->text);
    memset(p, 0, sizeof(*p));
}

/* ---- splitting ---------------------------------------------------------------- */

/* Room for `more` pieces beyond the first n. */
static inline void reserve(em__pieces *o, int64_t n, int64_t more)
{
    if (EM_UNLIKELY((n + more) * 2 > o->cap)) {
        while ((n + more) * 2 > o->cap) o->cap = o->cap ? o->cap * 2 : 64;
        o->pos = em_realloc(o->pos, (size_t)o->cap * sizeof(int32_t));
    }
}

/* At every occurrence of one byte. Words are short, so rather than a memchr
 * call per word, 16 bytes at a time are compared at once and the matches
 * taken from the bit mask; the positions are kept in registers, with room
 * made once per block. */
static void split_byte(char c, const char *p, int32_t len, em__pieces *o)
{
    int64_t start = 0, i = 0, n = o->n;
    reserve(o, n, 17);
    int32_t *pos = o->pos;
#if defined(__SSE2__)
    __m128i d = _mm_set1_epi8(c);
    for (; i + 16 <= len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, d));
        if (m == 0) continue;
        reserve(o, n, 17);
        pos = o->pos;
        do {
            int64_t at = i + __builtin_ctz(m);
            pos[2 * n] = (int32_t)start;
            pos[2 * n + 1] = (int32_t)at;
            n++;
            start = at + 1;
            m &= m - 1;
        } while (m != 0);
    }
#endif
    for (; i < len; i++) {
        if (p[i] == c) {
            reserve(o, n, 2);
            pos = o->pos;
            pos[2 * n] = (int32_t)start;
            pos[2 * n + 1] = (int32_t)i;
            n++;
            start = i + 1;
        }
    }
    reserve(o, n, 1);
    o->pos[2 * n] = (int32_t)start;
    o->pos[2 * n + 1] = len;
    o->n = n + 1;
}

static void split_literal(const em__splitter *s, const char *p, int32_t len, em__pieces *o)
{
    if (s->lit_len == 1) {
        split_byte(s->lit[0], p, len, o);
        return;
    }
    int64_t start = 0;
    const char *q;
    while (len - start >= s->lit_len &&
           (q = memmem(p + start, (size_t)(len - start), s->lit, (size_t)s->lit_len)) != NULL) {
        int64_t at = q - p;
        push(o, start, at);
        start = at + s->lit_len;
    }
    push(o, start, len);
}

static void split_class(const em__splitter *s, const char *p, int32_t len, em__pieces *o)
{
    const uint8_t *cls = s->cls;
    const unsigned char *u = (const unsigned char *)p;
    int64_t start = 0, i = 0;
    if (s->run) {
        while (i < len) {
            if (!cls[u[i]]) {
                i++;
                continue;
            }
            int64_t at = i;
            while (i < len && cls[u[i]]) i++;
            push(o, start, at);
            start = i;
        }
    } else {
        while (i < len) {
            int w = utf8_len(u[i]);
            if (cls[u[i]]) {
                /* A negated class holds the bytes beyond ASCII: a match is one
                 * whole character, never part of one. */
                int64_t end = i + w <= len ? i + w : len;
                push(o, start, i);
                start = end;
            }
            i += w;
        }
    }
    push(o, start, len);
}

static void split_regex(const em__splitter *s, const char *p, int32_t len, em__pieces *o)
{
    /* REG_STARTEND bounds the match, but some regexec wrappers (sanitizers) still
     * read up to a NUL: match a terminated copy. */
    if (o->text_cap < (int64_t)len + 1) {
        o->text_cap = EM_MAX((int64_t)len + 1, o->text_cap * 2);
        o->text = em_realloc(o->text, (size_t)o->text_cap);
    }
    memcpy(o->text, p, (size_t)len);
    o->text[len] = '\0';
    p = o->text;
    int64_t start = 0, piece = 0, prev_end = 0;
    while (start <= len) {
        regmatch_t m = {.rm_so = (regoff_t)start, .rm_eo = (regoff_t)len};
        int flags = REG_STARTEND | (start > 0 ? REG_NOTBOL : 0);
        if (regexec(&s->re, p, 1, &m, flags) != 0) break;
        int64_t so = m.rm_so, eo = m.rm_eo;
        /* PostgreSQL ignores empty matches at either end and right after a match. */
        if (so < len && eo > prev_end) {
            push(o, piece, so);
            piece = eo;
        }
        prev_end = eo;
        start = eo;
        if (so == eo) start += start < len ? utf8_len((unsigned char)p[start]) : 1;
    }
    push(o, piece, len);
}

void em__split(const em__splitter *s, const char *p, int32_t len, em__pieces *out)
{
    out->n = 0;
    if (p == NULL) p = ""; /* an empty string of a vector without characters */
    switch (s->mode) {
    case EM__SPLIT_WHOLE:
        push(out, 0, len);
        return;
    case EM__SPLIT_CHARS: {
        if (len == 0) push(out, 0, 0);
        for (int64_t i = 0; i < len;) {
            int64_t end = i + utf8_len((unsigned char)p[i]);
            if (end > len) end = len;
            push(out, i, end);
            i = end;
        }
        return;
    }
    case EM__SPLIT_LITERAL:
        split_literal(s, p, len, out);
        return;
    case EM__SPLIT_CLASS:
        split_class(s, p, len, out);
        return;
    case EM__SPLIT_REGEX:
        split_regex(s, p, len, out);
        return;
    }
}

void em__splitter_simple(em__splitter *s, em__split_mode mode, const char *delim, int32_t len)
{
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->lit = delim;
    s->lit_len = len;
}

/* ---- patterns ------------------------------------------------------------------- */

/* PostgreSQL's class escapes, ASCII only: \d, \s, \w (lower case) and their
 * complements (upper case). Returns false for any other letter. */
static bool class_escape(char c, uint8_t *set)
{
    bool neg = c >= 'A' && c <= 'Z';
    char l = neg ? (char)(c - 'A' + 'a') : c;
    uint8_t t[256] = {0};
    if (l == 'd') {
        for (int b = '0'; b <= '9'; b++) t[b] = 1;
    } else if (l == 's') {
        t[' '] = t['\t'] = t['\n'] = t['\r'] = t['\f'] = t['\v'] = 1;
    } else if (l == 'w') {
        for (int b = 0; b < 128; b++)
            t[b] = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
                   b == '_';
    } else {
        return false;
    }
    for (int b = 0; b < 256; b++) set[b] |= (uint8_t)(neg ? !t[b] : t[b]);
    return true;
}

/* The character an escape of a letter stands for (\t, \n, ...), or -1. */
static int char_escape(char c)
{
    switch (c) {
    case 't':
        return '\t';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 'f':
        return '\f';
    case 'v':
        return '\v';
    case 'a':
        return '\a';
    case 'e':
        return 27;
    default:
        return -1;
    }
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_meta(char c)
{
    return strchr(".[]()*+?{}|^$\\", c) != NULL;
}

/* Whether ASCII byte b is in POSIX class k (the order of posix_class's names). */
static bool in_posix_class(int k, int b)
{
    bool up = b >= 'A' && b <= 'Z', lo = b >= 'a' && b <= 'z', dg = b >= '0' && b <= '9';
    bool print = b >= 32 && b < 127;
    switch (k) {
    case 0:
        return up || lo;
    case 1:
        return dg;
    case 2:
        return up || lo || dg;
    case 3:
        return up;
    case 4:
        return lo;
    case 5:
        return b == ' ' || (b >= '\t' && b <= '\r');
    case 6:
        return b == ' ' || b == '\t';
    case 7:
        return print && b != ' ' && !(up || lo || dg);
    case 8:
        return dg || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    case 9:
        return b < 32 || b == 127;
    case 10:
        return print;
    default:
        return print && b != ' ';
    }
}

/* Members of a POSIX class name ("alpha", ...), ASCII only. */
static bool posix_class(const char *name, size_t n, uint8_t *set)
{
    static const char *const names[] = {"alpha", "digit", "alnum",  "upper", "lower", "space",
                                        "blank", "punct", "xdigit", "cntrl", "print", "graph"};
    int k = -1;
    for (int i = 0; i < (int)EM_ARRAY_LEN(names); i++)
        if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0) k = i;
    if (k < 0) return false;
    for (int b = 0; b < 128; b++)
        if (in_posix_class(k, b)) set[b] = 1;
    return true;
}

/* Parse a bracket expression starting at p[*i] == '[' into set (ASCII
 * members; a negated one also holds every byte beyond ASCII). False when it
 * has a feature the table cannot express (non-ASCII members, [= =], [. .]). */
static bool bracket(const char *p, int32_t n, int32_t *i, uint8_t *set)
{
    int32_t j = *i + 1;
    bool neg = j < n && p[j] == '^';
    if (neg) j++;
    uint8_t t[256] = {0};
    bool first = true;
    while (j < n && (p[j] != ']' || first)) {
        first = false;
        unsigned char c = (unsigned char)p[j];
        int lo;
        if (c >= 0x80) return false;
        if (c == '[' && j + 1 < n && p[j + 1] == ':') {
            const char *end = memchr(p + j + 2, ':', (size_t)(n - j - 2));
            if (end == NULL || end + 1 >= p + n || end[1] != ']') return false;
            if (!posix_class(p + j + 2, (size_t)(end - (p + j + 2)), t)) return false;
            j = (int32_t)(end - p) + 2;
            continue;
        }
        if (c == '[' && j + 1 < n && (p[j + 1] == '=' || p[j + 1] == '.')) return false;
        if (c == '\\' && j + 1 < n) {
            char e = p[j + 1];
            if (class_escape(e, t)) {
                if (e >= 'A' && e <= 'Z') return false; /* a complement inside brackets */
                j += 2;
                continue;
            }
            lo = char_escape(e);
            if (lo < 0 && is_alnum(e)) return false;
            if (lo < 0) lo = (unsigned char)e;
            if ((unsigned char)e >= 0x80) return false;
            j += 2;
        } else {
            lo = c;
            j++;
        }
        if (j + 1 < n && p[j] == '-' && p[j + 1] != ']') {
            unsigned char hi = (unsigned char)p[j + 1];
            if (hi >= 0x80 || hi == '\\' || hi == '[' || hi < lo) return false;
            for (int b = lo; b <= hi; b++) t[b] = 1;
            j += 2;
        } else {
            t[lo] = 1;
        }
    }
    if (j >= n) return false; /* unterminated: let the regex compiler say so */
    for (int b = 0; b < 256; b++) set[b] = (uint8_t)(neg ? !t[b] : t[b]);
    *i = j + 1;
    return true;
}

/* Recognize the patterns that need no regex engine: a plain string (with
 * escaped metacharacters), or one character class or character, optionally
 * followed by '+'. */
static bool simple_pattern(em__splitter *s, const char *p, int32_t n)
{
    /* A plain string? */
    char *lit = em_malloc((size_t)n + 1);
    int32_t m = 0;
    bool plain = true;
    for (int32_t i = 0; i < n && plain; i++) {
        char c = p[i];
        if (c == '\\') {
            if (i + 1 >= n) {
                plain = false;
                break;
            }
            char e = p[++i];
            int ce = char_escape(e);
            if (ce >= 0)
                lit[m++] = (char)ce;
            else if (!is_alnum(e) && (unsigned char)e < 0x80)
                lit[m++] = e;
            else
                plain = false;
        } else if (is_meta(c)) {
            plain = false;
        } else {
            lit[m++] = c;
        }
    }
    if (plain) {
        if (m == 0) {
            em_free(lit);
            s->mode = EM__SPLIT_CHARS;
            return true;
        }
        s->mode = EM__SPLIT_LITERAL;
        s->owned = lit;
        s->lit = lit;
        s->lit_len = m;
        return true;
    }
    em_free(lit);
    /* One atom, then an optional '+'. */
    uint8_t set[256] = {0};
    int32_t i = 0;
    if (n == 0) return false;
    if (p[0] == '[') {
        if (!bracket(p, n, &i, set)) return false;
    } else if (p[0] == '\\' && n >= 2) {
        if (!class_escape(p[1], set)) {
            int ce = char_escape(p[1]);
            if (ce < 0 && (is_alnum(p[1]) || (unsigned char)p[1] >= 0x80)) return false;
            set[ce >= 0 ? ce : (unsigned char)p[1]] = 1;
        }
        i = 2;
    } else if (!is_meta(p[0]) && (unsigned char)p[0] < 0x80) {
        set[(unsigned char)p[0]] = 1;
        i = 1;
    } else {
        return false;
    }
    bool run = i < n && p[i] == '+';
    if (run) i++;
    if (i != n) return false;
    s->mode = EM__SPLIT_CLASS;
    s->run = run;
    memcpy(s->cls, set, sizeof(set));
    return true;
}

/* Rewrite PostgreSQL's escapes into POSIX ERE. */
static int translate(const char *p, int32_t n, em_strbuf *out, em_error *err)
{
    static const char *const outside[] = {"[0-9]",          "[^0-9]",       "[ \t\n\r\f\v]",
                                          "[^ \t\n\r\f\v]", "[A-Za-z0-9_]", "[^A-Za-z0-9_]"};
    static const char *const inside[] = {"0-9", NULL, " \t\n\r\f\v", NULL, "A-Za-z0-9_", NULL};
    bool in_bracket = false, bracket_start = false;
    for (int32_t i = 0; i < n; i++) {
        char c = p[i];
        bool at_start = bracket_start;
        bracket_start = false;
        if (in_bracket && c == '[' && i + 1 < n &&
            (p[i + 1] == ':' || p[i + 1] == '=' || p[i + 1] == '.')) {
            /* [:class:] and friends are copied whole. */
            char close = p[i + 1];
            int32_t j = i + 2;
            while (j + 1 < n && !(p[j] == close && p[j + 1] == ']')) j++;
            em_strbuf_append(out, p + i, (size_t)(EM_MIN(j + 2, n) - i));
            i = EM_MIN(j + 1, n - 1);
            continue;
        }
        if (c == '\\' && i + 1 < n) {
            char e = p[++i];
            /* \d, \D, \s, \S, \w, \W: their brackets, by position in this list */
            static const char class_escapes[] = "dDsSwW";
            const char *hit = e != '\0' ? strchr(class_escapes, e) : NULL;
            int k = hit != NULL ? (int)(hit - class_escapes) : -1;
            const char *cls = NULL;
            if (k >= 0) {
                cls = in_bracket ? inside[k] : outside[k];
                if (cls == NULL)
                    return em_error_set(err, EM_EUNSUPPORTED,
                                        "\\%c inside brackets is not supported in a regular "
                                        "expression",
                                        e);
                em_strbuf_puts(out, cls);
                continue;
            }
            int ce = char_escape(e);
            if (ce >= 0) {
                em_strbuf_putc(out, (char)ce);
            } else if (is_alnum(e)) {
                return em_error_set(err, EM_EUNSUPPORTED,
                                    "the escape \\%c is not supported in a regular expression", e);
            } else if (in_bracket) {
                if (e == ']' || e == '^' || e == '-')
                    return em_error_set(err, EM_EUNSUPPORTED,
                                        "\\%c inside brackets is not supported in a regular "
                                        "expression",
                                        e);
                em_strbuf_putc(out, e); /* a backslash is literal in POSIX brackets */
            } else if (is_meta(e)) {
                em_strbuf_putc(out, '\\');
                em_strbuf_putc(out, e);
            } else {
                em_strbuf_putc(out, e);
            }
            continue;
        }
        if (!in_bracket && c == '[') {
            in_bracket = true;
            bracket_start = true;
            em_strbuf_putc(out, c);
            if (i + 1 < n && p[i + 1] == '^') em_strbuf_putc(out, p[++i]);
            continue;
        }
        if (in_bracket && c == ']' && !at_start) in_bracket = false;
        em_strbuf_putc(out, c);
    }
    return 0;
}

int em__splitter_regex(em__splitter *s, const char *pattern, int32_t len, const char *flags,
                       int32_t flags_len, em_error *err)
{
    memset(s, 0, sizeof(*s));
    s->key = em_malloc((size_t)len + (size_t)flags_len + 1);
    if (len > 0) memcpy(s->key, pattern, (size_t)len);
    if (flags_len > 0) memcpy(s->key + len, flags, (size_t)flags_len);
    s->key_len = len;
    s->flags_len = flags_len;
    bool icase = false;
    for (int32_t i = 0; i < flags_len; i++) {
        if (flags[i] == 'i')
            icase = true;
        else if (flags[i] == 'c')
            icase = false;
        else
            return em_error_set(err, EM_EUNSUPPORTED,
                                "regular expression flag \"%c\" is not supported (only i and c)",
                                flags[i]);
    }
    if (len > 0 && memchr(pattern, '\0', (size_t)len) != NULL)
        return em_error_set(err, EM_EINVAL, "a regular expression cannot contain a NUL byte");
    if (!icase && simple_pattern(s, pattern, len)) return 0;
    em_strbuf ere;
    em_strbuf_init(&ere);
    int rc = translate(pattern, len, &ere, err);
    if (rc == 0) {
        int r = regcomp(&s->re, ere.data ? ere.data : "", REG_EXTENDED | (icase ? REG_ICASE : 0));
        if (r != 0) {
            char msg[200];
            regerror(r, &s->re, msg, sizeof(msg));
            rc = em_error_set(err, EM_EINVAL, "invalid regular expression '%.*s': %s",
                              (int)EM_MIN(len, 200), pattern, msg);
        } else {
            s->has_re = true;
            s->mode = EM__SPLIT_REGEX;
        }
    }
    em_strbuf_release(&ere);
    return rc;
}

bool em__splitter_is(const em__splitter *s, const char *pattern, int32_t len, const char *flags,
                     int32_t flags_len)
{
    return s->key != NULL && s->key_len == len && s->flags_len == flags_len &&
           (len == 0 || memcmp(s->key, pattern, (size_t)len) == 0) &&
           (flags_len == 0 || memcmp(s->key + len, flags, (size_t)flags_len) == 0);
}

void em__splitter_release(em__splitter *s)
{
    if (s->has_re) regfree(&s->re);
    em_free(s->key);
    em_free(s->owned);
    memset(s, 0, sizeof(*s));
}

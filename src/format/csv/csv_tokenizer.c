/*
 * csv_tokenizer.c — splits CSV records into fields.
 *
 * With RFC 4180 quoting (the escape is the quote itself, or there is none)
 * the tokenizer works on 64-byte blocks, as simdjson and simdcsv do: one pass
 * of vector compares gives bit masks of the delimiters, newlines and quotes
 * in the block; a prefix XOR of the quote mask marks the bytes inside quoted
 * sections (doubled quotes toggle twice, so they cancel); the delimiters and
 * newlines outside quotes are the field ends. Walking fields is then a count-
 * trailing-zeros per field instead of a byte loop, and quoted fields need no
 * special search. The scan starts at a record boundary (outside quotes) and
 * carries the quote state from block to block.
 *
 * Quoted fields are checked and unescaped afterwards: the content between the
 * outer quotes may only contain doubled quotes (copied, undoubled, into a
 * per-record scratch buffer). An unquoted field may not contain a quote; the
 * check is free unless a quote was seen at or after the field's start.
 *
 * A distinct escape character (backslash) defeats the quote mask, so that
 * dialect uses a plain byte-by-byte tokenizer (quoted_escaped below).
 */
#include "format/csv/csv.h"

#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void em__csv_tok_init(em__csv_tok *t, const char *path, const char *base, int64_t size,
                      const em__csv_dialect *d)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->base = base;
    t->end = base + size;
    t->d = *d;
    t->cap = 16;
    t->f = em_malloc((size_t)t->cap * sizeof *t->f);
    t->fast = d->escape == d->quote || d->escape == '\0';
    t->last_quote = -1;
}

void em__csv_tok_release(em__csv_tok *t)
{
    em_free(t->f);
    em_free(t->scratch);
    t->f = NULL;
    t->scratch = NULL;
}

static inline em__csv_field *push_field(em__csv_tok *t)
{
    if (EM_UNLIKELY(t->nf == t->cap)) {
        t->cap *= 2;
        t->f = em_realloc(t->f, (size_t)t->cap * sizeof *t->f);
    }
    return &t->f[t->nf++];
}

static void scratch_append(em__csv_tok *t, const char *p, size_t n)
{
    if (n == 0) return;
    if (t->slen + n > t->scap) {
        size_t cap = t->scap ? t->scap : 256;
        while (cap < t->slen + n) cap *= 2;
        t->scratch = em_realloc(t->scratch, cap);
        t->scap = cap;
    }
    memcpy(t->scratch + t->slen, p, n);
    t->slen += n;
}

static int unterminated(const em__csv_tok *t, const char *raw, em_error *err)
{
    return em_error_set(err, EM_EFORMAT, "%s:%lld: unterminated quoted field", t->path,
                        (long long)em__line_at(t->base, raw - t->base));
}

static int after_quote_error(const em__csv_tok *t, const char *p, em_error *err)
{
    char c = *p;
    return em_error_set(err, EM_EFORMAT,
                        "%s:%lld: field %d: unexpected character '%c' after the closing quote",
                        t->path, (long long)em__line_at(t->base, p - t->base), t->nf,
                        (unsigned char)c >= 0x20 ? c : '?');
}

static int bare_quote_error(const em__csv_tok *t, const char *q, em_error *err)
{
    return em_error_set(err, EM_EFORMAT,
                        "%s:%lld: field %d: quote character inside an unquoted field "
                        "(set quote='' to read quotes as data)",
                        t->path, (long long)em__line_at(t->base, q - t->base), t->nf);
}

/* Record a field's content: a slice of the file, or of the scratch buffer
 * from `soff` on (stored as an offset until the record is complete, because
 * the buffer may still move). */
static inline void set_content(em__csv_tok *t, em__csv_field *f, const char *p, int64_t n,
                               bool scratch, size_t soff)
{
    if (scratch) {
        f->flags |= EM__CSV_SCRATCH;
        f->p = (const char *)(uintptr_t)soff;
        f->n = (int64_t)(t->slen - soff);
    } else {
        f->p = p;
        f->n = n;
    }
}

/* ---- block scan ---------------------------------------------------------- */

/* Bit i set: byte i of the 64 at p equals c. */
#if defined(__SSE2__)
static inline uint64_t eq_mask(__m128i a, __m128i b, __m128i c, __m128i d, __m128i v)
{
    uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a, v));
    uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, v));
    uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(c, v));
    uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(d, v));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}
#endif

static inline void block_masks(const char *p, char delim, char quote, uint64_t *structural,
                               uint64_t *quotes)
{
#if defined(__SSE2__)
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
    *structural =
        eq_mask(a, b, c, d, _mm_set1_epi8(delim)) | eq_mask(a, b, c, d, _mm_set1_epi8('\n'));
    *quotes = quote ? eq_mask(a, b, c, d, _mm_set1_epi8(quote)) : 0;
#else
    uint64_t s = 0, q = 0;
    for (int i = 0; i < 64; i++) {
        s |= (uint64_t)(p[i] == delim || p[i] == '\n') << i;
        q |= (uint64_t)(quote && p[i] == quote) << i;
    }
    *structural = s;
    *quotes = q;
#endif
}

/* Bit i of the result: XOR of bits 0..i of x. */
static inline uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The last, partial block of the data: copied into zero padding, which
 * matches nothing (neither delimiter, newline nor quote can be NUL). Kept out
 * of line so that the common path does not pay for the copy. */
static __attribute__((noinline)) void tail_masks(const em__csv_tok *t, const char *p, uint64_t *s,
                                                 uint64_t *q)
{
    char buf[64] = {0};
    memcpy(buf, p, (size_t)(t->end - p));
    block_masks(buf, t->d.delim, t->d.quote, s, q);
}

static void load_block(em__csv_tok *t)
{
    const char *p = t->base + t->block;
    uint64_t s, q;
    if (t->end - p >= 64)
        block_masks(p, t->d.delim, t->d.quote, &s, &q);
    else
        tail_masks(t, p, &s, &q);
    uint64_t inside = prefix_xor(q) ^ t->carry;
    t->carry = (uint64_t)((int64_t)inside >> 63);
    t->mask = s & ~inside;
    if (q != 0) t->last_quote = t->block + 63 - __builtin_clzll(q);
}

/* Position the scan at a record boundary. */
static void seek(em__csv_tok *t, const char *p)
{
    int64_t off = p - t->base;
    if (t->scanning && off >= t->expect && off < t->block + 64) {
        /* Continuing: drop the structurals before off (skipped empty lines). */
        int64_t k = off - t->block;
        if (k > 0) t->mask &= ~0ULL << k;
        return;
    }
    t->scanning = true;
    t->block = off;
    t->carry = 0;
    t->last_quote = -1;
    load_block(t);
}

/* Check and unescape the quoted field [s, fe) (s is the opening quote). */
static int quoted_field(em__csv_tok *t, em__csv_field *f, const char *s, const char *fe,
                        em_error *err)
{
    const char quote = t->d.quote;
    const char *c = s + 1;
    bool scratch = false;
    size_t soff = 0;
    f->flags = EM__CSV_QUOTED;
    for (;;) {
        const char *q = c < fe ? memchr(c, quote, (size_t)(fe - c)) : NULL;
        if (q == NULL) return unterminated(t, s, err);
        if (q == fe - 1) {
            if (scratch) scratch_append(t, c, (size_t)(q - c));
            set_content(t, f, s + 1, q - (s + 1), scratch, soff);
            return 0;
        }
        if (q[1] != quote) return after_quote_error(t, q + 1, err);
        if (!scratch) {
            scratch = true;
            soff = t->slen;
        }
        scratch_append(t, c, (size_t)(q + 1 - c));
        c = q + 2;
    }
}

/* The hot loop. The scan state lives in locals while fields are written:
 * with -fno-strict-aliasing every store through a field pointer would
 * otherwise force the compiler to reload the state from *t. */
static int record_fast(em__csv_tok *t, const char **pos, em_error *err)
{
    const char *s = *pos, *end = t->end, *base = t->base;
    const char quote = t->d.quote;
    seek(t, s);
    uint64_t mask = t->mask;
    int64_t block = t->block, last_quote = t->last_quote;
    em__csv_field *fields = t->f;
    int nf = 0, cap = t->cap;
    int rc = 0;
    for (;;) {
        /* The next delimiter or newline outside quotes (e), or the end. */
        const char *e = NULL;
        while (mask == 0) {
            if (end - (base + block) <= 64) goto found;
            block += 64;
            t->block = block;
            load_block(t);
            mask = t->mask;
            last_quote = t->last_quote;
        }
        e = base + block + __builtin_ctzll(mask);
        mask &= mask - 1;
    found:;
        const char *fe = e;
        bool last = true;
        if (e == NULL) {
            fe = end;
            *pos = end;
        } else if (*e == '\n') {
            *pos = e + 1;
        } else {
            last = false;
        }
        if (last && fe > s && fe[-1] == '\r') fe--;
        if (EM_UNLIKELY(nf == cap)) {
            t->nf = nf;
            t->cap *= 2;
            t->f = em_realloc(t->f, (size_t)t->cap * sizeof *t->f);
            fields = t->f;
            cap = t->cap;
        }
        em__csv_field *f = &fields[nf++];
        f->raw = s;
        f->flags = 0;
        f->p = s;
        f->n = fe - s;
        if (quote != '\0') {
            if (s < fe && *s == quote) {
                t->nf = nf;
                if ((rc = quoted_field(t, f, s, fe, err)) < 0) break;
            } else if (EM_UNLIKELY(last_quote >= s - base)) {
                const char *q = memchr(s, quote, (size_t)(fe - s));
                if (q != NULL) {
                    t->nf = nf;
                    rc = bare_quote_error(t, q, err);
                    break;
                }
            }
        }
        if (last) break;
        s = e + 1;
    }
    t->mask = mask;
    t->nf = nf;
    t->expect = *pos - base;
    return rc;
}

/* ---- byte-by-byte tokenizer for a distinct escape character -------------- */

/* First of the bytes a, b, c in [p, end), or end. */
static inline const char *find3(const char *p, const char *end, char a, char b, char c)
{
    for (; p < end; p++) {
        char ch = *p;
        if (ch == a || ch == b || ch == c) return p;
    }
    return end;
}

/* Quoted field with a distinct escape character (e.g. backslash): the escape
 * makes a following quote or escape literal; a doubled quote is accepted too.
 * s is just past the opening quote; *after is set past the closing quote. */
static int quoted_escaped(em__csv_tok *t, em__csv_field *f, const char *s, const char **after,
                          em_error *err)
{
    const char *end = t->end, *seg = s;
    const char quote = t->d.quote, esc = t->d.escape;
    bool scratch = false;
    size_t soff = 0;
    for (const char *p = s; p < end; p++) {
        char c = *p;
        bool escaped = (c == esc && p + 1 < end && (p[1] == quote || p[1] == esc)) ||
                       (c == quote && p + 1 < end && p[1] == quote);
        if (escaped) {
            if (!scratch) {
                scratch = true;
                soff = t->slen;
            }
            scratch_append(t, seg, (size_t)(p - seg));
            scratch_append(t, p + 1, 1);
            p++;
            seg = p + 1;
            continue;
        }
        if (c == quote) {
            if (scratch) scratch_append(t, seg, (size_t)(p - seg));
            set_content(t, f, s, p - s, scratch, soff);
            *after = p + 1;
            return 0;
        }
    }
    return unterminated(t, f->raw, err);
}

static int record_escaped(em__csv_tok *t, const char **pos, em_error *err)
{
    const char *p = *pos, *end = t->end;
    const char delim = t->d.delim, quote = t->d.quote;
    for (;;) {
        em__csv_field *f = push_field(t);
        f->raw = p;
        f->flags = 0;
        if (p < end && *p == quote) {
            f->flags = EM__CSV_QUOTED;
            const char *q = p;
            EM_TRY(quoted_escaped(t, f, p + 1, &q, err));
            p = q;
            if (p == end) {
                *pos = end;
                return 0;
            }
            if (*p == delim) {
                p++;
                continue;
            }
            if (*p == '\n') {
                *pos = p + 1;
                return 0;
            }
            if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {
                *pos = p + 1 == end ? end : p + 2;
                return 0;
            }
            return after_quote_error(t, p, err);
        }
        const char *q = find3(p, end, delim, '\n', quote);
        if (q == end || *q == '\n') {
            int64_t n = q - p;
            if (n > 0 && q[-1] == '\r') n--;
            f->p = p;
            f->n = n;
            *pos = q == end ? end : q + 1;
            return 0;
        }
        if (*q == delim) {
            f->p = p;
            f->n = q - p;
            p = q + 1;
            continue;
        }
        return bare_quote_error(t, q, err);
    }
}

int em__csv_tok_record_raw(em__csv_tok *t, const char **pos, em_error *err)
{
    t->nf = 0;
    int rc = t->fast ? record_fast(t, pos, err) : record_escaped(t, pos, err);
    if (rc < 0) t->scanning = false;
    return rc;
}

int em__csv_tok_record(em__csv_tok *t, const char **pos, em_error *err)
{
    t->slen = 0;
    EM_TRY(em__csv_tok_record_raw(t, pos, err));
    if (t->slen > 0) {
        for (int i = 0; i < t->nf; i++)
            if (t->f[i].flags & EM__CSV_SCRATCH) t->f[i].p = t->scratch + (uintptr_t)t->f[i].p;
    }
    return 0;
}

int em__csv_ragged_error(const em__csv_tok *t, const char *rec, int expected, em_error *err)
{
    return em_error_set(err, EM_EFORMAT, "%s:%lld: expected %d fields, found %d", t->path,
                        (long long)em__line_at(t->base, rec - t->base), expected, t->nf);
}

/*
 * csv_split.c — cutting CSV files into record-aligned byte ranges.
 *
 * A newline inside a quoted field is data, so "the first newline after
 * offset X" is not necessarily a record boundary. Whether X lies inside quotes
 * is decided by the parity of the quote characters before X: with RFC 4180
 * quoting (doubled quotes as escapes) every quote either opens or closes a
 * quoted section or comes in an escaped pair, so an odd count means "inside".
 * bind() counts quotes in every nominal range in parallel (one vector XOR per
 * 16 bytes: only the parity matters), prefix-sums the parities, and moves
 * each nominal split start to the first record boundary at or after it. The
 * splits it stores are therefore exact record ranges; readers trust them.
 *
 * With a distinct escape character (say backslash) an escaped quote is a
 * single quote character and parity says nothing; such files are not split.
 */
#include "format/csv/csv.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Parity (0 or 1) of the number of bytes equal to q in [p, p + n). */
static unsigned quote_parity(const char *p, int64_t n, char q)
{
    unsigned parity = 0;
#if defined(__SSE2__)
    const __m128i vq = _mm_set1_epi8(q);
    __m128i acc = _mm_setzero_si128();
    while (n >= 64) {
        __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), vq);
        __m128i b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), vq);
        __m128i c = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), vq);
        __m128i d = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), vq);
        acc = _mm_xor_si128(acc, _mm_xor_si128(_mm_xor_si128(a, b), _mm_xor_si128(c, d)));
        p += 64;
        n -= 64;
    }
    /* Each byte lane of acc is 0xFF when that lane saw an odd number of quotes. */
    parity = (unsigned)__builtin_popcount((unsigned)_mm_movemask_epi8(acc)) & 1u;
#endif
    for (int64_t i = 0; i < n; i++) parity ^= p[i] == q;
    return parity;
}

typedef struct parity_job {
    const char *base;
    int64_t size;
    int64_t split_bytes;
    char quote;
    uint8_t *parity; /* per nominal range */
} parity_job;

static void parity_range(void *ctx, int i)
{
    parity_job *j = ctx;
    int64_t start = (int64_t)i * j->split_bytes;
    int64_t end = EM_MIN(start + j->split_bytes, j->size);
    j->parity[i] = (uint8_t)quote_parity(j->base + start, end - start, j->quote);
}

/* First record boundary at or after s, given whether s lies inside quotes. */
static int64_t align(const char *base, int64_t size, int64_t s, bool inside, char quote)
{
    /* The byte before s is not a quote when it is a newline, so the parity at
     * s is also the parity at s - 1. */
    if (!inside && s > 0 && base[s - 1] == '\n') return s;
    for (int64_t i = s; i < size; i++) {
        char c = base[i];
        if (quote != '\0' && c == quote) {
            inside = !inside;
        } else if (c == '\n' && !inside) {
            return i + 1;
        }
    }
    return size;
}

static int plan_file(em_scan_desc *desc, int fi, const em__csv_options *o, int64_t split_bytes,
                     em_threadpool *pool, em_error *err)
{
    em_mmap m;
    EM_TRY(em_os_mmap(desc->files[fi], &m, err));
    int64_t data_start;
    int rc = em__csv_data_start(desc->files[fi], m.data, m.size, o, &data_start, err);
    if (rc < 0) {
        em_os_munmap(&m);
        return rc;
    }
    int64_t size = m.size;
    bool splittable = o->d.escape == o->d.quote || o->d.escape == '\0';
    if (split_bytes <= 0 || size - data_start <= split_bytes || !splittable) {
        em__add_split(desc, fi, data_start, size);
        em_os_munmap(&m);
        return 0;
    }
    int64_t nranges = (size + split_bytes - 1) / split_bytes;
    if (nranges > INT32_MAX) nranges = INT32_MAX; /* absurdly small split_bytes */
    uint8_t *parity = em_calloc((size_t)nranges, 1);
    if (o->d.quote != '\0') {
        em_os_mmap_willneed(&m, 0, size);
        parity_job job = {m.data, size, split_bytes, o->d.quote, parity};
        /* The last range's parity is never needed. */
        em__parallel_for(pool, (int)nranges - 1, parity_range, &job);
    }
    int64_t prev = data_start;
    bool inside = false;
    for (int64_t i = 1; i < nranges; i++) {
        inside ^= parity[i - 1];
        int64_t b = align(m.data, size, i * split_bytes, inside, o->d.quote);
        if (b <= prev) continue;
        em__add_split(desc, fi, prev, b);
        prev = b;
    }
    if (prev < size || desc->nsplits == 0 || desc->splits[desc->nsplits - 1].file != fi)
        em__add_split(desc, fi, prev, size);
    em_free(parity);
    em_os_munmap(&m);
    return 0;
}

int em__csv_plan_splits(em_scan_desc *desc, const em__csv_options *o, int64_t split_bytes,
                        em_threadpool *pool, em_error *err)
{
    for (int fi = 0; fi < desc->nfiles; fi++) EM_TRY(plan_file(desc, fi, o, split_bytes, pool, err));
    return 0;
}

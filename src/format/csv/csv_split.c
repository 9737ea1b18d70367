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
 * The boundaries found are cached per file identity (see below).
 */
#include "format/csv/csv.h"

#include <pthread.h>

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

/* The parity pass is cut into pieces of at most this many bytes, so that
 * a file of only a few splits still keeps every thread busy. */
#define PARITY_PIECE (4LL << 20)

typedef struct parity_job {
    const em_mmap *map;
    const char *base;
    int64_t size;
    int64_t split_bytes;
    int pieces; /* per nominal range */
    char quote;
    uint8_t *parity; /* per piece */
} parity_job;

static void parity_piece(void *ctx, int j)
{
    parity_job *job = ctx;
    int64_t range = j / job->pieces, piece = j % job->pieces;
    int64_t start = range * job->split_bytes;
    int64_t len = EM_MIN(job->split_bytes, job->size - start);
    int64_t a = start + len * piece / job->pieces, b = start + len * (piece + 1) / job->pieces;
    job->parity[j] = (uint8_t)quote_parity(job->base + a, b - a, job->quote);
    /* Counted once and not needed again: keep resident memory flat. */
    em_os_mmap_release(job->map, a, b - a);
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

/* ---- boundary cache ------------------------------------------------------
 * Queries are often repeated over the same files (dashboards, benchmarks);
 * the quote-parity pass reads the whole file, so its result — the aligned
 * split starts — is remembered per file identity (device, inode, size,
 * modification time) and split size. A handful of entries suffice. */

#define CACHE_SLOTS 32

typedef struct bounds_entry {
    em_os_file_id id;
    int64_t split_bytes;
    int64_t data_start;
    char quote;
    int n;
    int64_t *bounds;
    uint64_t used; /* for replacing the least recently used entry */
} bounds_entry;

static bounds_entry cache[CACHE_SLOTS];
static uint64_t cache_clock;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool entry_matches(const bounds_entry *e, const em_os_file_id *id, int64_t split_bytes,
                          int64_t data_start, char quote)
{
    return e->bounds != NULL && em_os_file_id_equal(&e->id, id) && e->split_bytes == split_bytes &&
           e->data_start == data_start && e->quote == quote;
}

/* A copy of the cached boundaries, or NULL. */
static int64_t *cache_get(const em_os_file_id *id, int64_t split_bytes, int64_t data_start,
                          char quote, int *n)
{
    int64_t *out = NULL;
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        bounds_entry *e = &cache[i];
        if (!entry_matches(e, id, split_bytes, data_start, quote)) continue;
        e->used = ++cache_clock;
        *n = e->n;
        out = em_malloc((size_t)(e->n > 0 ? e->n : 1) * sizeof *out);
        memcpy(out, e->bounds, (size_t)e->n * sizeof *out);
        break;
    }
    pthread_mutex_unlock(&cache_lock);
    return out;
}

static void cache_put(const em_os_file_id *id, int64_t split_bytes, int64_t data_start, char quote,
                      const int64_t *bounds, int n)
{
    int64_t *copy = em_malloc((size_t)(n > 0 ? n : 1) * sizeof *copy);
    memcpy(copy, bounds, (size_t)n * sizeof *copy);
    pthread_mutex_lock(&cache_lock);
    bounds_entry *victim = &cache[0];
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (entry_matches(&cache[i], id, split_bytes, data_start, quote)) {
            victim = &cache[i];
            break;
        }
        if (cache[i].used < victim->used) victim = &cache[i];
    }
    em_free(victim->bounds);
    victim->id = *id;
    victim->split_bytes = split_bytes;
    victim->data_start = data_start;
    victim->quote = quote;
    victim->n = n;
    victim->bounds = copy;
    victim->used = ++cache_clock;
    pthread_mutex_unlock(&cache_lock);
}

/* The record-aligned split starts after data_start, in increasing order. */
static int64_t *find_bounds(const em_mmap *m, int64_t data_start, const em__csv_options *o,
                            int64_t split_bytes, em_threadpool *pool, int *nout)
{
    int64_t size = m->size;
    int64_t nranges = (size + split_bytes - 1) / split_bytes;
    uint8_t *parity = em_calloc((size_t)nranges, 1);
    if (o->d.quote != '\0') {
        em_os_mmap_willneed(m, 0, size);
        int pieces = (int)((split_bytes + PARITY_PIECE - 1) / PARITY_PIECE);
        /* The last range's parity is never needed. */
        int64_t njobs = (nranges - 1) * pieces;
        if (njobs > INT32_MAX) {
            pieces = 1;
            njobs = nranges - 1;
        }
        parity_job job = {m,      m->data,    size,
                          split_bytes, pieces, o->d.quote,
                          em_calloc((size_t)(njobs > 0 ? njobs : 1), 1)};
        em__parallel_for(pool, (int)njobs, parity_piece, &job);
        for (int64_t j = 0; j < njobs; j++) parity[j / pieces] ^= job.parity[j];
        em_free(job.parity);
    }
    int64_t *bounds = em_malloc((size_t)nranges * sizeof *bounds);
    int n = 0;
    int64_t prev = data_start;
    bool inside = false;
    for (int64_t i = 1; i < nranges; i++) {
        inside ^= parity[i - 1];
        int64_t b = align(m->data, size, i * split_bytes, inside, o->d.quote);
        if (b <= prev || b >= size) continue;
        bounds[n++] = b;
        prev = b;
    }
    em_free(parity);
    *nout = n;
    return bounds;
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
    if (split_bytes <= 0 || size - data_start <= split_bytes || !splittable ||
        (size + split_bytes - 1) / split_bytes > INT32_MAX) {
        em__add_split(desc, fi, data_start, size);
        em_os_munmap(&m);
        return 0;
    }
    int n = 0;
    int64_t *bounds = cache_get(&m.id, split_bytes, data_start, o->d.quote, &n);
    if (bounds == NULL) {
        bounds = find_bounds(&m, data_start, o, split_bytes, pool, &n);
        cache_put(&m.id, split_bytes, data_start, o->d.quote, bounds, n);
    }
    int64_t prev = data_start;
    for (int i = 0; i < n; i++) {
        em__add_split(desc, fi, prev, bounds[i]);
        prev = bounds[i];
    }
    em__add_split(desc, fi, prev, size);
    em_free(bounds);
    em_os_munmap(&m);
    return 0;
}

int em__csv_plan_splits(em_scan_desc *desc, const em__csv_options *o, int64_t split_bytes,
                        em_threadpool *pool, em_error *err)
{
    for (int fi = 0; fi < desc->nfiles; fi++)
        EM_TRY(plan_file(desc, fi, o, split_bytes, pool, err));
    return 0;
}

/*
 * op_sort.c — ORDER BY inside a task: buffer every batch, sort row references,
 * emit the rows in order; with a limit only the first `limit` rows (top-N).
 *
 * Keys are normalized once so that unsigned comparison gives the requested
 * order: integers with the sign bit flipped, doubles through the usual IEEE
 * trick (NaN above +Infinity, -0 equal to 0, as PostgreSQL orders them), all
 * bit-inverted for DESC; strings are cut into 8-byte big-endian pieces. NULLs
 * become a rank (before or after the values) rather than a value.
 *
 * Rows are sorted as 16-byte entries (piece, row number, rank): a radix sort
 * on the first key's first piece, then, within each run of equal pieces, a
 * radix sort on the next piece (the next 8 string bytes, or the next key), and
 * so on; small runs go to a merge sort that compares full keys. Radix passes
 * and the merge sort are both stable and ties end in row order, so the sort
 * is stable.
 *
 * When the only column is an integer key (`SELECT x ... ORDER BY x`), the
 * normalized values themselves are radix sorted, 8 bytes a row with no row
 * numbers and no gather, and the output is decoded from them: equal integers
 * are indistinguishable, so stability holds trivially.
 *
 * Top-N keeps memory bounded: when the buffer grows past twice the limit it is
 * sorted and cut to `limit` rows, and the last surviving row becomes a cutoff
 * that later rows must beat to be buffered at all. On typical data almost
 * every row is rejected by one comparison, so the cost is close to O(n).
 */
#include <math.h>
#include <string.h>

#include "exec/sort_int.h"

/* ---- comparing rows directly (merge source, top-N cutoff) -------------- */

static int cmp_f64(double a, double b)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
    return a < b ? -1 : (a > b ? 1 : 0);
}

static int cmp_str(const char *a, int32_t la, const char *b, int32_t lb)
{
    /* An empty string may point nowhere (a vector of empty strings has no
     * character buffer), and memcmp must not see NULL even for 0 bytes. */
    int32_t m = la < lb ? la : lb;
    int r = m > 0 ? memcmp(a, b, (size_t)m) : 0;
    if (r != 0) return r < 0 ? -1 : 1;
    return la < lb ? -1 : (la > lb ? 1 : 0);
}

static int cmp_value(const em_vector *a, int64_t ia, const em_vector *b, int64_t ib)
{
    switch ((em_type_id)a->type.id) {
    case EM_TYPE_BOOLEAN: {
        int x = EM_VEC_BOOL(a)[ia] != 0, y = EM_VEC_BOOL(b)[ib] != 0;
        return x - y;
    }
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE: {
        int32_t x = EM_VEC_I32(a)[ia], y = EM_VEC_I32(b)[ib];
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP: {
        int64_t x = EM_VEC_I64(a)[ia], y = EM_VEC_I64(b)[ib];
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    case EM_TYPE_DOUBLE:
        return cmp_f64(EM_VEC_F64(a)[ia], EM_VEC_F64(b)[ib]);
    case EM_TYPE_VARCHAR: {
        int32_t la, lb;
        const char *pa = em_vector_str(a, ia, &la);
        const char *pb = em_vector_str(b, ib, &lb);
        return cmp_str(pa, la, pb, lb);
    }
    case EM_TYPE_INTERVAL:
        return em_interval_compare(EM_VEC_IV(a)[ia], EM_VEC_IV(b)[ib]);
    default:
        return 0;
    }
}

int em_sort_compare_rows(const em_batch *a, int64_t ia, const em_batch *b, int64_t ib, int nkeys,
                         const em_sort_key *keys)
{
    for (int k = 0; k < nkeys; k++) {
        const em_vector *va = a->cols[keys[k].column];
        const em_vector *vb = b->cols[keys[k].column];
        bool na = !em_vector_is_valid(va, ia), nb = !em_vector_is_valid(vb, ib);
        if (na || nb) {
            if (na && nb) continue;
            /* NULL placement is absolute: NULLS FIRST puts them first for
             * ASC and DESC alike. */
            if (na) return keys[k].nulls_first ? -1 : 1;
            return keys[k].nulls_first ? 1 : -1;
        }
        int r = cmp_value(va, ia, vb, ib);
        if (r != 0) return keys[k].desc ? -r : r;
    }
    return 0;
}

/* ---- normalized keys ---------------------------------------------------- */

static inline uint64_t norm_i64(int64_t x)
{
    return (uint64_t)x ^ (1ULL << 63);
}

/* 32-bit keys keep their upper 32 bits zero, so radix passes skip them. */
static inline uint64_t norm_i32(int32_t x)
{
    return (uint32_t)x ^ (1U << 31);
}

static inline uint64_t norm_f64(double d)
{
    uint64_t bits;
    if (isnan(d)) {
        bits = 0x7ff8000000000000ULL;
    } else {
        if (d == 0) d = 0.0; /* -0 sorts equal to 0 */
        memcpy(&bits, &d, sizeof(bits));
    }
    return (bits & (1ULL << 63)) ? ~bits : bits | (1ULL << 63);
}

static inline uint64_t str_prefix(const char *p, int32_t len)
{
    uint64_t x = 0;
    for (int j = 0; j < 8; j++) x = (x << 8) | (j < len ? (uint8_t)p[j] : 0);
    return x;
}

typedef em__sort_entry sort_entry;

typedef struct key_data {
    bool is_str;
    bool desc;
    bool nulls_first;
    uint8_t *null;     /* per row, NULL when the key has no NULLs */
    uint64_t *norm;    /* fixed-width keys, DESC already applied */
    const char **sptr; /* VARCHAR keys */
    int32_t *slen;
    /* INTERVAL keys sort as 16-byte strings (sptr points here): the span,
     * big-endian with the sign bit flipped, so that bytes order like spans. */
    uint8_t *ivbytes;
} key_data;

typedef struct sort_ctx {
    int nkeys;
    key_data *kd;
    int from_key; /* the entries being compared tie on every key before this one */
} sort_ctx;

/* Compare rows a and b on keys [from, nkeys). */
static int full_cmp(const sort_ctx *c, uint32_t a, uint32_t b, int from)
{
    for (int k = from; k < c->nkeys; k++) {
        const key_data *d = &c->kd[k];
        if (d->null != NULL) {
            bool na = d->null[a], nb = d->null[b];
            if (na || nb) {
                if (na && nb) continue;
                if (na) return d->nulls_first ? -1 : 1;
                return d->nulls_first ? 1 : -1;
            }
        }
        if (d->is_str) {
            int r = cmp_str(d->sptr[a], d->slen[a], d->sptr[b], d->slen[b]);
            if (r != 0) return d->desc ? -r : r;
        } else {
            uint64_t x = d->norm[a], y = d->norm[b];
            if (x != y) return x < y ? -1 : 1;
        }
    }
    return 0;
}

static inline int entry_cmp(const sort_ctx *c, const sort_entry *a, const sort_entry *b)
{
    /* rank and prefix hold the same piece of key from_key for both entries:
     * they decide most comparisons; ties fall back to the full keys. */
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    if (a->prefix != b->prefix) return a->prefix < b->prefix ? -1 : 1;
    int r = full_cmp(c, a->idx, b->idx, c->from_key);
    if (r != 0) return r;
    return a->idx < b->idx ? -1 : (a->idx > b->idx ? 1 : 0);
}

static void insertion_sort(const sort_ctx *c, sort_entry *e, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        sort_entry x = e[i];
        int64_t j = i;
        while (j > 0 && entry_cmp(c, &x, &e[j - 1]) < 0) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = x;
    }
}

/* Bottom-up merge sort: small runs by insertion sort, then merge passes that
 * alternate between the two buffers. */
static void merge_sort(const sort_ctx *c, sort_entry *e, int64_t n)
{
    const int64_t run = 24;
    for (int64_t i = 0; i < n; i += run) insertion_sort(c, e + i, EM_MIN(run, n - i));
    if (n <= run) return;
    sort_entry *tmp = em_malloc((size_t)n * sizeof(sort_entry));
    sort_entry *src = e, *dst = tmp;
    for (int64_t w = run; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = EM_MIN(lo + w, n), hi = EM_MIN(lo + 2 * w, n);
            int64_t i = lo, j = mid, o = lo;
            if (mid < hi && entry_cmp(c, &src[mid - 1], &src[mid]) <= 0) {
                /* Already in order: a single copy. */
                memcpy(dst + lo, src + lo, (size_t)(hi - lo) * sizeof(sort_entry));
                continue;
            }
            while (i < mid && j < hi)
                dst[o++] = entry_cmp(c, &src[j], &src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid) dst[o++] = src[i++];
            while (j < hi) dst[o++] = src[j++];
        }
        sort_entry *t = src;
        src = dst;
        dst = t;
    }
    if (src != e) memcpy(e, src, (size_t)n * sizeof(sort_entry));
    em_free(tmp);
}

/* Radix sorts, most significant digit first. Each pass scatters from one
 * buffer into the other and the buckets recurse with the roles swapped
 * (`out_in_a` says which buffer must hold the result), so nothing is copied
 * back; buckets of at most RADIX_SMALL rows finish by insertion sort. Digits
 * are 8 bits, narrower for small buckets (a 256-way pass over a hundred rows
 * costs more in its bucket loop than in its rows), so a few passes suffice on
 * random keys. Bits on which a bucket agrees cost one counting pass and no
 * scatter. The scatter and the insertion sort are both stable. */
#define RADIX_SMALL 32

static void isort_u64(uint64_t *a, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        uint64_t x = a[i];
        int64_t j = i;
        while (j > 0 && a[j - 1] > x) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

static void isort_prefix(sort_entry *a, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        sort_entry x = a[i];
        int64_t j = i;
        while (j > 0 && a[j - 1].prefix > x.prefix) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

/* The digit width for a pass over n rows with `bits` key bits left. */
static inline int digit_bits(int64_t n, int bits)
{
    int w = 8;
    if (n < 256) {
        w = 63 - __builtin_clzll((uint64_t)n); /* one or two rows per bucket */
        if (w < 3) w = 3;
    }
    return w < bits ? w : bits;
}

/* One generic MSD radix sort on a 64-bit key, for plain keys and entries. */
#define RADIX_MSD(NAME, T, KEY, ISORT)                                                             \
    static void NAME(T *a, T *b, int64_t n, int bits, bool out_in_a)                               \
    {                                                                                              \
        for (;;) {                                                                                 \
            if (n <= RADIX_SMALL || bits <= 0) {                                                   \
                if (bits > 0) ISORT(a, n);                                                         \
                if (!out_in_a) memcpy(b, a, (size_t)n * sizeof(*a));                               \
                return;                                                                            \
            }                                                                                      \
            int w = digit_bits(n, bits), shift = bits - w, nb = 1 << w;                            \
            uint64_t mask = (uint64_t)nb - 1;                                                      \
            int64_t hist[256] = {0};                                                               \
            for (int64_t i = 0; i < n; i++) hist[(KEY(a[i]) >> shift) & mask]++;                   \
            if (hist[(KEY(a[0]) >> shift) & mask] == n) {                                          \
                bits = shift;                                                                      \
                continue;                                                                          \
            }                                                                                      \
            int64_t pos[256], sum = 0;                                                             \
            for (int k = 0; k < nb; k++) {                                                         \
                pos[k] = sum;                                                                      \
                sum += hist[k];                                                                    \
            }                                                                                      \
            for (int64_t i = 0; i < n; i++) b[pos[(KEY(a[i]) >> shift) & mask]++] = a[i];          \
            for (int k = 0; k < nb; k++) {                                                         \
                int64_t lo = pos[k] - hist[k];                                                     \
                if (hist[k] > 0) NAME(b + lo, a + lo, hist[k], shift, !out_in_a);                  \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
    }

#define KEY_U64(x) (x)
#define KEY_ENTRY(x) ((x).prefix)
RADIX_MSD(radix_u64, uint64_t, KEY_U64, isort_u64)
RADIX_MSD(radix_entries, sort_entry, KEY_ENTRY, isort_prefix)
#undef KEY_U64
#undef KEY_ENTRY
#undef RADIX_MSD

/* How many low bits the n keys differ in (0 when all are equal): bits above
 * need no pass at all, not even a counting one. */
static int key_bits(uint64_t or_all, uint64_t and_all)
{
    uint64_t diff = or_all ^ and_all;
    return diff == 0 ? 0 : 64 - __builtin_clzll(diff);
}

static void radix_sort(sort_entry *e, int64_t n)
{
    sort_entry *tmp = em_malloc((size_t)(n ? n : 1) * sizeof(sort_entry));
    /* NULL placement first (three ranks), then the prefix within each rank. */
    int64_t rh[3] = {0, 0, 0};
    for (int64_t i = 0; i < n; i++) rh[e[i].rank]++;
    int64_t rpos[3] = {0, rh[0], rh[0] + rh[1]};
    if (rh[0] != n && rh[1] != n && rh[2] != n) {
        for (int64_t i = 0; i < n; i++) tmp[rpos[e[i].rank]++] = e[i];
        memcpy(e, tmp, (size_t)n * sizeof(sort_entry));
    }
    /* NULL entries all have prefix 0: only the values need sorting. */
    sort_entry *v = e + rh[0];
    uint64_t o = 0, a = ~0ULL;
    for (int64_t i = 0; i < rh[1]; i++) {
        o |= v[i].prefix;
        a &= v[i].prefix;
    }
    if (rh[1] > 1) radix_entries(v, tmp, rh[1], key_bits(o, a), true);
    em_free(tmp);
}

/* Load piece `chunk` (8 bytes) of key k of each entry's row into its rank
 * and prefix. */
static void set_piece(const sort_ctx *c, sort_entry *e, int64_t n, int k, int chunk)
{
    const key_data *d = &c->kd[k];
    for (int64_t i = 0; i < n; i++) {
        uint32_t r = e[i].idx;
        if (d->null != NULL && d->null[r]) {
            e[i].rank = d->nulls_first ? 0 : 2;
            e[i].prefix = 0;
            continue;
        }
        e[i].rank = 1;
        if (d->is_str) {
            int32_t off = 8 * chunk, len = d->slen[r];
            uint64_t x = off < len ? str_prefix(d->sptr[r] + off, len - off) : 0;
            e[i].prefix = d->desc ? ~x : x;
        } else {
            e[i].prefix = d->norm[r];
        }
    }
}

static void sort_level(const sort_ctx *c, sort_entry *e, int64_t n, int k, int chunk);

/* e[0, n) tie on every piece up to (k, chunk): move on to the next piece. */
static void refine_run(const sort_ctx *c, sort_entry *e, int64_t n, int k, int chunk)
{
    const key_data *d = &c->kd[k];
    if (d->is_str && e[0].rank == 1) {
        bool longer = false;
        for (int64_t i = 0; i < n && !longer; i++) longer = d->slen[e[i].idx] > 8 * (chunk + 1);
        if (longer) {
            set_piece(c, e, n, k, chunk + 1);
            sort_level(c, e, n, k, chunk + 1);
            return;
        }
        /* Equal up to zero padding ("ab" and "ab\0" share every piece):
         * the full comparison settles lengths and the later keys. */
        sort_ctx local = *c;
        local.from_key = k;
        merge_sort(&local, e, n);
        return;
    }
    if (k + 1 < c->nkeys) {
        set_piece(c, e, n, k + 1, 0);
        sort_level(c, e, n, k + 1, 0);
    }
    /* Otherwise the rows tie on every key and already are in row order. */
}

/* Sort entries that tie on everything before piece (k, chunk), which their
 * rank and prefix hold: radix sort on the piece for large inputs, then
 * refine each run of equal pieces with the next piece; small inputs go to
 * the comparison sort directly. */
static void sort_level(const sort_ctx *c, sort_entry *e, int64_t n, int k, int chunk)
{
    if (n < 256) {
        sort_ctx local = *c;
        local.from_key = k;
        merge_sort(&local, e, n);
        return;
    }
    radix_sort(e, n);
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && e[j].rank == e[i].rank && e[j].prefix == e[i].prefix) j++;
        if (j - i > 1) refine_run(c, e + i, j - i, k, chunk);
        i = j;
    }
}

/* ---- the operator ------------------------------------------------------- */

typedef struct sort_op {
    em_op base;
    int nkeys;
    em_sort_key *keys;
    int64_t limit; /* < 0: no limit */
    em_batch **batches;
    int64_t nbatches;
    int64_t cap;
    int64_t nrows;
    /* Top-N: a row must sort strictly before this one to be kept. */
    const em_batch *cutoff;
    int64_t cutoff_row;
    int32_t *sel;
    int64_t sel_cap;
    /* Memory: the buffer is reserved from the pool; when the pool refuses, the
     * buffer is sorted and written out as a run, and finish merges the runs. */
    em_memory_reservation mem;
    em_spill_file **runs;
    int nruns;
} sort_op;

static void buffer_add(sort_op *s, em_batch *b)
{
    if (s->nbatches == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->batches = em_realloc(s->batches, (size_t)s->cap * sizeof(em_batch *));
    }
    s->batches[s->nbatches++] = b;
    s->nrows += b->nrows;
}

void em__sort_rows(em_batch *const *batches, int64_t nbatches, int64_t nrows, int nkeys,
                   const em_sort_key *keys, em__sort_entry **entries, uint32_t **batch_of,
                   int64_t **starts)
{
    int64_t n = nrows;
    sort_entry *e = em_malloc((size_t)(n ? n : 1) * sizeof(sort_entry));
    uint32_t *bof = em_malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
    int64_t *st = em_malloc((size_t)(nbatches + 1) * sizeof(int64_t));
    key_data *kd = em_calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(key_data));
    sort_ctx ctx = {nkeys, kd, 0};

    for (int k = 0; k < nkeys; k++) {
        kd[k].desc = keys[k].desc;
        kd[k].nulls_first = keys[k].nulls_first;
        bool has_null = false;
        for (int64_t bi = 0; bi < nbatches && !has_null; bi++)
            has_null = batches[bi]->cols[keys[k].column]->validity != NULL;
        if (has_null) kd[k].null = em_calloc((size_t)(n ? n : 1), 1);
        em_type_id t = nbatches ? batches[0]->cols[keys[k].column]->type.id : 0;
        kd[k].is_str = t == EM_TYPE_VARCHAR || t == EM_TYPE_INTERVAL;
        if (t == EM_TYPE_INTERVAL) kd[k].ivbytes = em_malloc((size_t)(n ? n : 1) * 16);
        if (kd[k].is_str) {
            kd[k].sptr = em_malloc((size_t)(n ? n : 1) * sizeof(char *));
            kd[k].slen = em_malloc((size_t)(n ? n : 1) * sizeof(int32_t));
        } else {
            kd[k].norm = em_malloc((size_t)(n ? n : 1) * sizeof(uint64_t));
        }
    }

    int64_t row = 0;
    for (int64_t bi = 0; bi < nbatches; bi++) {
        const em_batch *b = batches[bi];
        st[bi] = row;
        for (int64_t i = 0; i < b->nrows; i++) {
            e[row + i].idx = (uint32_t)(row + i);
            e[row + i].rank = 1;
            e[row + i].prefix = 0;
            bof[row + i] = (uint32_t)bi;
        }
        for (int k = 0; k < nkeys; k++) {
            key_data *d = &kd[k];
            const em_vector *v = b->cols[keys[k].column];
            uint64_t flip = d->desc ? ~0ULL : 0;
            for (int64_t i = 0; i < b->nrows; i++) {
                int64_t r = row + i;
                if (!em_vector_is_valid(v, i)) {
                    d->null[r] = 1;
                    if (k == 0) e[r].rank = d->nulls_first ? 0 : 2;
                    if (d->norm) d->norm[r] = 0;
                    if (d->sptr) {
                        d->sptr[r] = "";
                        d->slen[r] = 0;
                    }
                    continue;
                }
                uint64_t x;
                switch ((em_type_id)v->type.id) {
                case EM_TYPE_BOOLEAN:
                    x = EM_VEC_BOOL(v)[i] != 0;
                    break;
                case EM_TYPE_INTEGER:
                case EM_TYPE_DATE:
                    x = norm_i32(EM_VEC_I32(v)[i]);
                    break;
                case EM_TYPE_BIGINT:
                case EM_TYPE_DECIMAL:
                case EM_TYPE_TIMESTAMP:
                    x = norm_i64(EM_VEC_I64(v)[i]);
                    break;
                case EM_TYPE_DOUBLE:
                    x = norm_f64(EM_VEC_F64(v)[i]);
                    break;
                case EM_TYPE_VARCHAR: {
                    int32_t len;
                    const char *p = em_vector_str(v, i, &len);
                    d->sptr[r] = p;
                    d->slen[r] = len;
                    x = str_prefix(p, len);
                    break;
                }
                case EM_TYPE_INTERVAL: {
                    unsigned __int128 u = (unsigned __int128)em_interval_span(EM_VEC_IV(v)[i]) ^
                                          ((unsigned __int128)1 << 127);
                    uint8_t *p = d->ivbytes + (size_t)r * 16;
                    for (int j = 0; j < 16; j++) p[j] = (uint8_t)(u >> (8 * (15 - j)));
                    d->sptr[r] = (const char *)p;
                    d->slen[r] = 16;
                    x = str_prefix((const char *)p, 16);
                    break;
                }
                default:
                    x = 0;
                    break;
                }
                x ^= flip;
                if (d->norm) d->norm[r] = x;
                if (k == 0) e[r].prefix = x;
            }
        }
        row += b->nrows;
    }
    st[nbatches] = row;

    if (nkeys > 0) sort_level(&ctx, e, n, 0, 0);

    for (int k = 0; k < nkeys; k++) {
        em_free(kd[k].null);
        em_free(kd[k].norm);
        em_free(kd[k].sptr);
        em_free(kd[k].slen);
        em_free(kd[k].ivbytes);
    }
    em_free(kd);
    *entries = e;
    *batch_of = bof;
    *starts = st;
}

/* Sort every buffered row (em__sort_rows). */
static void sort_buffer(sort_op *s, sort_entry **entries, uint32_t **batch_of, int64_t **starts)
{
    em__sort_rows(s->batches, s->nbatches, s->nrows, s->nkeys, s->keys, entries, batch_of, starts);
}

typedef em__row_src row_src;

/* Column c of the rows listed in src[0, n), in that order. Fixed-width values
 * are copied straight into a presized vector (prefetching a few rows ahead,
 * since sorted rows come from all over the buffer); strings go through the
 * appender. */
em_vector *em__sort_gather(em_batch *const *batches, int c, const em__row_src *src, int64_t n)
{
    em_type t = batches[0]->cols[c]->type;
    em_vector *v = em_vector_create(t, n);
    size_t w = em_type_width(t);
    if (t.id == EM_TYPE_VARCHAR || t.id == EM_TYPE_NULL || (w != 1 && w != 4 && w != 8)) {
        for (int64_t j = 0; j < n; j++)
            em_vector_append_from(v, batches[src[j].batch]->cols[c], src[j].row);
        return v;
    }
#define GATHER(T)                                                                                  \
    do {                                                                                           \
        T *out = (T *)v->data;                                                                     \
        for (int64_t j = 0; j < n; j++) {                                                          \
            if (j + 8 < n) {                                                                       \
                const em_vector *ahead = batches[src[j + 8].batch]->cols[c];                       \
                __builtin_prefetch((const T *)ahead->data + src[j + 8].row);                       \
            }                                                                                      \
            const em_vector *in = batches[src[j].batch]->cols[c];                                  \
            int64_t r = src[j].row;                                                                \
            if (EM_LIKELY(em_vector_is_valid(in, r))) {                                            \
                out[j] = ((const T *)in->data)[r];                                                 \
            } else {                                                                               \
                out[j] = 0;                                                                        \
                em_vector_set_null(v, j);                                                          \
            }                                                                                      \
        }                                                                                          \
    } while (0)
    if (w == 1)
        GATHER(uint8_t);
    else if (w == 4)
        GATHER(uint32_t);
    else
        GATHER(uint64_t);
#undef GATHER
    v->length = n;
    return v;
}

/* A batch holding the rows e[from, to) in that order (at most EM_BATCH_ROWS). */
static em_batch *build_batch(sort_op *s, const sort_entry *e, int64_t from, int64_t to,
                             const uint32_t *bof, const int64_t *st)
{
    row_src src[EM_BATCH_ROWS];
    int64_t n = to - from;
    for (int64_t j = 0; j < n; j++) {
        uint32_t bi = bof[e[from + j].idx];
        src[j].batch = bi;
        src[j].row = (uint32_t)((int64_t)e[from + j].idx - st[bi]);
    }
    em_batch *out = em_batch_create(s->batches[0]->ncols);
    out->nrows = n;
    for (int c = 0; c < out->ncols; c++)
        em_batch_set_col(out, c, em__sort_gather(s->batches, c, src, n));
    return out;
}

static void release_buffer(sort_op *s)
{
    for (int64_t i = 0; i < s->nbatches; i++) em_batch_destroy(s->batches[i]);
    s->nbatches = 0;
    s->nrows = 0;
    em_memory_reservation_release(&s->mem);
}

/* Receives the sorted rows, one batch at a time (owned by the callee). */
typedef int (*sorted_sink)(sort_op *s, em_batch *b, void *arg, em_error *err);

/* ---- one integer key that is the only column ------------------------------- */

/* `SELECT x ... ORDER BY x` over an integer column: the rows are the key
 * values themselves, so the values are sorted directly (8 bytes each, no row
 * numbers, no comparator) and the output is decoded from the sorted keys
 * without gathering. Equal integers cannot be told apart, so stability holds
 * trivially; NULLs (all alike too) are counted and emitted as one block. */
static bool key_is_only_column(const sort_op *s)
{
    if (s->nkeys != 1 || s->keys[0].column != 0 || s->nbatches == 0) return false;
    const em_batch *b = s->batches[0];
    if (b->ncols != 1) return false;
    switch ((em_type_id)b->cols[0]->type.id) {
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        return true;
    default:
        return false;
    }
}

/* A batch of n rows, all NULL, of type t. */
static em_batch *null_batch(em_type t, int64_t n)
{
    em_vector *v = em_vector_create(t, n);
    memset(v->data, 0, (size_t)n * em_type_width(t));
    for (int64_t i = 0; i < n; i++) em_vector_set_null(v, i);
    v->length = n;
    em_batch *b = em_batch_create(1);
    b->nrows = n;
    em_batch_set_col(b, 0, v);
    return b;
}

static int sort_key_column(sort_op *s, int64_t take, sorted_sink sink, void *arg, em_error *err)
{
    em_type t = s->batches[0]->cols[0]->type;
    bool narrow = em_type_width(t) == 4;
    uint64_t flip = s->keys[0].desc ? ~0ULL : 0;
    int64_t n = s->nrows, m = 0;
    uint64_t *key = em_malloc((size_t)(n ? n : 1) * sizeof(uint64_t));
    uint64_t o = 0, a = ~0ULL;
    for (int64_t bi = 0; bi < s->nbatches; bi++) {
        const em_vector *v = s->batches[bi]->cols[0];
        int64_t rows = s->batches[bi]->nrows;
        for (int64_t i = 0; i < rows; i++) {
            if (v->validity != NULL && !em_vector_is_valid(v, i)) continue;
            uint64_t x = (narrow ? norm_i32(EM_VEC_I32(v)[i]) : norm_i64(EM_VEC_I64(v)[i])) ^ flip;
            o |= x;
            a &= x;
            key[m++] = x;
        }
    }
    /* The batches are no longer needed: free them now (the reservation stays
     * until the sorted keys are gone) so the sort holds 16 bytes a row. */
    for (int64_t i = 0; i < s->nbatches; i++) em_batch_destroy(s->batches[i]);
    s->nbatches = 0;
    s->nrows = 0;
    if (m > 1) {
        uint64_t *tmp = em_malloc((size_t)m * sizeof(uint64_t));
        radix_u64(key, tmp, m, key_bits(o, a), true);
        em_free(tmp);
    }
    int64_t nnull = n - m;
    int64_t null_at = s->keys[0].nulls_first ? 0 : m; /* NULL block position */
    int rc = 0;
    for (int64_t from = 0; from < take && rc == 0;) {
        em_batch *b;
        int64_t cnt;
        if (nnull > 0 && from >= null_at && from < null_at + nnull) {
            cnt = EM_MIN(EM_MIN(EM_BATCH_ROWS, null_at + nnull - from), take - from);
            b = null_batch(t, cnt);
        } else {
            int64_t k = from < null_at ? from : from - nnull; /* into key[] */
            int64_t end = from < null_at ? null_at : n;       /* this block's end */
            cnt = EM_MIN(EM_MIN(EM_BATCH_ROWS, end - from), take - from);
            em_vector *v = em_vector_create(t, cnt);
            if (narrow) {
                int32_t *out = EM_VEC_I32(v);
                for (int64_t j = 0; j < cnt; j++)
                    out[j] = (int32_t)((uint32_t)(key[k + j] ^ flip) ^ (1U << 31));
            } else {
                int64_t *out = EM_VEC_I64(v);
                for (int64_t j = 0; j < cnt; j++)
                    out[j] = (int64_t)((key[k + j] ^ flip) ^ (1ULL << 63));
            }
            v->length = cnt;
            b = em_batch_create(1);
            b->nrows = cnt;
            em_batch_set_col(b, 0, v);
        }
        from += cnt;
        rc = sink(s, b, arg, err);
    }
    em_free(key);
    em_memory_reservation_release(&s->mem);
    return rc;
}

/* Sort every buffered row and pass the first `take` rows on in order; the
 * buffer is empty afterwards. */
static int sort_and_drain(sort_op *s, int64_t take, sorted_sink sink, void *arg, em_error *err)
{
    if (key_is_only_column(s)) return sort_key_column(s, take, sink, arg, err);
    sort_entry *e;
    uint32_t *bof;
    int64_t *st;
    sort_buffer(s, &e, &bof, &st);
    int rc = 0;
    for (int64_t from = 0; from < take && rc == 0; from += EM_BATCH_ROWS) {
        em_batch *out = build_batch(s, e, from, EM_MIN(from + EM_BATCH_ROWS, take), bof, st);
        rc = sink(s, out, arg, err);
    }
    em_free(e);
    em_free(bof);
    em_free(st);
    release_buffer(s);
    return rc;
}

static int sink_spill(sort_op *s, em_batch *b, void *arg, em_error *err)
{
    EM_UNUSED(s);
    int rc = em_spill_write(arg, b, err);
    em_batch_destroy(b);
    return rc;
}

static int sink_emit(sort_op *s, em_batch *b, void *arg, em_error *err)
{
    EM_UNUSED(arg);
    return em_op_emit(&s->base, b, err);
}

typedef struct batch_vec {
    em_batch **items;
    int64_t n, cap;
} batch_vec;

static int sink_keep(sort_op *s, em_batch *b, void *arg, em_error *err)
{
    EM_UNUSED(s);
    EM_UNUSED(err);
    batch_vec *k = arg;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 8;
        k->items = em_realloc(k->items, (size_t)k->cap * sizeof(em_batch *));
    }
    k->items[k->n++] = b;
    return 0;
}

/* Sort the buffer and write it out as one sorted run. */
static int spill_run(sort_op *s, em_error *err)
{
    em_spill_file *f;
    EM_TRY(em_spill_create(s->mem.pool, &f, err));
    s->runs = em_realloc(s->runs, sizeof(em_spill_file *) * (size_t)(s->nruns + 1));
    s->runs[s->nruns++] = f;
    int64_t take = s->limit >= 0 ? EM_MIN(s->limit, s->nrows) : s->nrows;
    int rc = sort_and_drain(s, take, sink_spill, f, err);
    s->mem.spilled += em_spill_bytes(f);
    s->cutoff = NULL;
    return rc;
}

/* finish() after spilling: merge the sorted runs on disk. */
static int merge_runs(sort_op *s, em_error *err)
{
    if (s->nrows > 0) EM_TRY(spill_run(s, err));
    em_source **srcs = em_malloc(sizeof(em_source *) * (size_t)s->nruns);
    for (int i = 0; i < s->nruns; i++) srcs[i] = em_source_spill_create(s->runs[i]);
    em_source *m = em_source_merge_streams(s->nruns, srcs, s->nkeys, s->keys);
    em_free(srcs);
    int64_t left = s->limit >= 0 ? s->limit : INT64_MAX;
    int rc = 0;
    while (left > 0) {
        em_batch *b;
        rc = m->next(m, &b, err);
        if (rc < 0 || !b) break;
        if (b->nrows > left) {
            em_batch *cut = em_batch_slice(b, 0, left);
            em_batch_destroy(b);
            b = cut;
        }
        left -= b->nrows;
        rc = em_op_emit(&s->base, b, err);
        if (rc < 0) break;
    }
    m->destroy(m);
    return rc < 0 ? rc : 0;
}

/* Top-N: cut the buffer down to its first `limit` rows and remember the last
 * one as the bar later rows have to pass. */
static void compact(sort_op *s)
{
    int64_t keep = EM_MIN(s->limit, s->nrows);
    batch_vec kept = {NULL, 0, 0};
    (void)sort_and_drain(s, keep, sink_keep, &kept, NULL);
    for (int64_t i = 0; i < kept.n; i++) {
        buffer_add(s, kept.items[i]);
        em_memory_force_reserve(&s->mem, em_batch_bytes(kept.items[i]));
    }
    em_free(kept.items);
    s->cutoff = NULL;
    if (kept.n > 0 && keep == s->limit) {
        s->cutoff = s->batches[s->nbatches - 1];
        s->cutoff_row = s->cutoff->nrows - 1;
    }
}

static int sort_push(em_op *op, em_batch *b, em_error *err)
{
    sort_op *s = (sort_op *)op;
    if (s->limit == 0) {
        em_batch_destroy(b);
        return EM_OP_DONE;
    }
    if (b->nrows == 0) {
        em_batch_destroy(b);
        return 0;
    }
    if (s->cutoff != NULL) {
        if (b->nrows > s->sel_cap) {
            em_free(s->sel);
            s->sel_cap = b->nrows;
            s->sel = em_malloc((size_t)s->sel_cap * sizeof(int32_t));
        }
        int64_t nsel = 0;
        for (int64_t i = 0; i < b->nrows; i++)
            if (em_sort_compare_rows(b, i, s->cutoff, s->cutoff_row, s->nkeys, s->keys) < 0)
                s->sel[nsel++] = (int32_t)i;
        if (nsel == 0) {
            em_batch_destroy(b);
            return 0;
        }
        if (nsel < b->nrows) {
            em_batch *g = em_batch_gather(b, s->sel, nsel);
            em_batch_destroy(b);
            b = g;
        }
    }
    int64_t bytes = em_batch_bytes(b);
    if (!em_memory_try_reserve(&s->mem, bytes)) {
        if (s->nrows > 0) {
            int rc = spill_run(s, err);
            if (rc < 0) {
                em_batch_destroy(b);
                return rc;
            }
        }
        /* One batch is the least a sort needs to make progress. */
        if (!em_memory_try_reserve(&s->mem, bytes)) em_memory_force_reserve(&s->mem, bytes);
    }
    buffer_add(s, b);
    /* Compact at twice the limit (saturating: LIMIT may be near INT64_MAX). */
    int64_t bar = s->limit > INT64_MAX / 2 ? INT64_MAX : 2 * s->limit;
    if (s->limit > 0 && s->nrows >= EM_MAX(bar, 4 * EM_BATCH_ROWS)) compact(s);
    return 0;
}

static int sort_finish(em_op *op, em_error *err)
{
    sort_op *s = (sort_op *)op;
    op->stats.mem_peak = s->mem.peak;
    op->stats.spilled = s->mem.spilled;
    if (s->nruns > 0) {
        EM_TRY(merge_runs(s, err));
        return em_op_finish_next(op, err);
    }
    if (s->nrows > 0) {
        int64_t take = s->limit >= 0 ? EM_MIN(s->limit, s->nrows) : s->nrows;
        int rc = sort_and_drain(s, take, sink_emit, NULL, err);
        s->cutoff = NULL;
        if (rc < 0) return rc;
    }
    return em_op_finish_next(op, err);
}

static void sort_destroy(em_op *op)
{
    sort_op *s = (sort_op *)op;
    release_buffer(s);
    for (int i = 0; i < s->nruns; i++) em_spill_close(s->runs[i]);
    em_free(s->runs);
    em_free(s->batches);
    em_free(s->keys);
    em_free(s->sel);
    em_free(s);
}

static const em_op_vtable sort_vt = {"Sort", sort_push, sort_finish, sort_destroy};

em_op *em_op_sort_create(em_task_ctx *ctx, int nkeys, const em_sort_key *keys, int64_t limit)
{
    sort_op *s = em_calloc(1, sizeof(*s));
    s->base.vt = &sort_vt;
    s->base.ctx = ctx;
    s->nkeys = nkeys;
    s->keys = em_calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(em_sort_key));
    if (nkeys > 0) memcpy(s->keys, keys, (size_t)nkeys * sizeof(em_sort_key));
    s->limit = limit;
    em_memory_reservation_init(&s->mem, ctx ? ctx->memory : NULL);
    return &s->base;
}

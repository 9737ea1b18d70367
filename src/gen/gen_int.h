/*
 * gen_int.h — pieces shared by the benchmark data generators (h2o.c, words.c,
 * sort.c): a seeded random stream, a random permutation that needs no
 * memory, hand-rolled number formatting, and the writer that produces a file
 * from chunks generated in parallel but written strictly in order.
 *
 * Determinism is the point of all of it: a generator cuts its output into
 * chunks, each chunk draws from its own stream seeded by (seed, table, chunk
 * index), and whatever is global (keys, permutations) is a pure function of
 * the seed. The bytes of a file therefore never depend on the thread count.
 */
#ifndef EM_GEN_INT_H
#define EM_GEN_INT_H

#include <string.h>

#include "common/common.h"

/* ---- random numbers (xoshiro256**, seeded through splitmix64) ----------- */

typedef struct em__gen_rng {
    uint64_t s[4];
} em__gen_rng;

static inline uint64_t em__gen_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A well-mixed hash of three integers. */
static inline uint64_t em__gen_mix3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = a ^ (b * 0xd6e8feb86659fd93ULL) ^ (c * 0xa0761d6478bd642fULL);
    em__gen_splitmix(&x);
    return em__gen_splitmix(&x);
}

/* The stream number `stream` of `seed`; streams are independent. */
static inline void em__gen_rng_seed(em__gen_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = em__gen_mix3(seed, stream, 0xb3e7c4);
    for (int i = 0; i < 4; i++) r->s[i] = em__gen_splitmix(&x);
}

static inline uint64_t em__gen_rng_next(em__gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, n), n > 0 (multiply-shift: no modulo bias worth measuring). */
static inline uint64_t em__gen_rng_below(em__gen_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)em__gen_rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double em__gen_rng_unit(em__gen_rng *r)
{
    return (double)(em__gen_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- a permutation of [0, n) without a table ---------------------------- */

/* A keyed Feistel network over the smallest even number of bits covering n,
 * with cycle walking: values that land outside [0, n) are permuted again
 * until they fall inside, which keeps the map a bijection of [0, n). Used
 * where the data sets need "a random order of all keys" (R's sample()). */
typedef struct em__gen_perm {
    uint64_t n;
    int half_bits;
    uint64_t half_mask;
    uint64_t keys[4];
} em__gen_perm;

void em__gen_perm_init(em__gen_perm *p, uint64_t n, uint64_t seed, uint64_t which);
/* The image of i (< n). */
uint64_t em__gen_perm_at(const em__gen_perm *p, uint64_t i);

/* ---- formatting --------------------------------------------------------- */

static inline char *em__gen_put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) *p++ = tmp[--n];
    return p;
}

static inline char *em__gen_put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return em__gen_put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return em__gen_put_u64(p, (uint64_t)v);
}

/* v zero-padded to `width` digits (wider values are written in full). */
static inline char *em__gen_put_u64_padded(char *p, uint64_t v, int width)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < width) tmp[n++] = '0';
    while (n > 0) *p++ = tmp[--n];
    return p;
}

/* A fixed-point value micros / 10^6 written the shortest way, as R's fwrite
 * writes round(x, 6): "37.5", "0.000123", "12". */
static inline char *em__gen_put_micros(char *p, uint64_t micros)
{
    p = em__gen_put_u64(p, micros / 1000000);
    uint64_t frac = micros % 1000000;
    if (frac == 0) return p;
    char digits[6];
    for (int i = 5; i >= 0; i--) {
        digits[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    int len = 6;
    while (digits[len - 1] == '0') len--;
    *p++ = '.';
    memcpy(p, digits, (size_t)len);
    return p + len;
}

/* A count the way the db-benchmark names its files: 10000000 -> "1e7",
 * 5000 -> "5e3", 2500000 -> "25e5", 0 -> "0". Writes a NUL-terminated string
 * into buf (at least 40 bytes). */
void em__gen_pretty_count(char *buf, int64_t v);

/* ---- output ------------------------------------------------------------- */

/* Create a directory and its parents. */
int em__gen_mkdir_p(const char *path, em_error *err) EM_MUST_CHECK;

/* Produce chunk `index` into buf (room for the writer's max_chunk_bytes) and
 * return the number of bytes written. Runs on pool threads: it may only read
 * ctx. */
typedef size_t (*em__gen_chunk_fn)(const void *ctx, int64_t index, char *buf);

typedef struct em__gen_file_spec {
    const char *dir, *name; /* the file is dir/name */
    const char *header;     /* written first; may be NULL */
    int64_t nchunks;        /* chunks 0 .. nchunks-1 */
    size_t max_chunk_bytes; /* an upper bound on one chunk's size */
    int64_t limit_bytes;    /* 0, or: stop at the last '\n' at or before this size */
    em__gen_chunk_fn fn;
    const void *ctx;
    int threads;
} em__gen_file_spec;

/* Write the file: chunks are generated on `threads` threads, at most a small
 * window of them in memory, and appended in index order. The file is written
 * under a temporary name and renamed at the end, so an interrupted run never
 * leaves a complete-looking file. *bytes (may be NULL) receives its size. */
int em__gen_write_file(const em__gen_file_spec *spec, int64_t *bytes, em_error *err) EM_MUST_CHECK;

#endif

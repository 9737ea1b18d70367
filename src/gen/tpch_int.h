/*
 * tpch_int.h — pieces of the TPC-H generator shared between its files: the
 * random number generator (xoshiro256**, one independent stream per chunk of
 * rows) and the text pool that comments are cut from (tpch_text.c).
 */
#ifndef EM_GEN_TPCH_INT_H
#define EM_GEN_TPCH_INT_H

#include "common/common.h"

typedef struct em__tpch_rng {
    uint64_t s[4];
} em__tpch_rng;

static inline uint64_t em__tpch_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A well-mixed hash of two integers. */
static inline uint64_t em__tpch_mix(uint64_t a, uint64_t b)
{
    uint64_t x = a * 0xd6e8feb86659fd93ULL ^ (b + 0x2545f4914f6cdd1dULL) * 0xa0761d6478bd642fULL;
    em__tpch_splitmix(&x);
    return em__tpch_splitmix(&x);
}

/* The stream of one (stream kind, index) pair, e.g. (orders, chunk 12). */
static inline void em__tpch_rng_seed(em__tpch_rng *r, uint64_t kind, uint64_t index)
{
    uint64_t x = em__tpch_mix(kind + 0x7470636800000000ULL, index);
    for (int i = 0; i < 4; i++) r->s[i] = em__tpch_splitmix(&x);
}

static inline uint64_t em__tpch_rng_next(em__tpch_rng *r)
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

/* Uniform in [0, n), n > 0. */
static inline uint64_t em__tpch_below(em__tpch_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)em__tpch_rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi] (the specification's "random value [lo .. hi]"). */
static inline int64_t em__tpch_range(em__tpch_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)em__tpch_below(r, (uint64_t)(hi - lo + 1));
}

/* The text pool of clause 4.2.2.10: sentences of the specification's grammar
 * (clause 4.2.2.14) over its word lists, generated once from a fixed seed.
 * A comment of length [min, max] is a substring of the pool at a random
 * offset. The pool never holds quotes, tabs or line breaks. */
typedef struct em__tpch_text {
    char *text;
    size_t len;
} em__tpch_text;

void em__tpch_text_build(em__tpch_text *pool, size_t bytes);
void em__tpch_text_release(em__tpch_text *pool);

/* A comment drawn but not yet read: drawing prefetches the pool bytes, and
 * a row draws its comments before its other values, so that the cache misses
 * of random reads from the pool overlap with the work of the row. */
typedef struct em__tpch_comment {
    const char *p;
    int len, min;
} em__tpch_comment;

/* A comment with a length in [min, max] (min >= 2, max < the pool) chosen by r. */
static inline em__tpch_comment em__tpch_text_draw(const em__tpch_text *pool, em__tpch_rng *r,
                                                  int min, int max)
{
    em__tpch_comment c;
    c.len = (int)em__tpch_range(r, min, max);
    c.min = min;
    c.p = pool->text + em__tpch_below(r, (uint64_t)(pool->len - (size_t)max - 2));
    __builtin_prefetch(c.p);
    __builtin_prefetch(c.p + c.len);
    return c;
}

/* The comment's text, adjusted so that it neither starts nor ends with a
 * space (*len receives its length). */
static inline const char *em__tpch_text_get(const em__tpch_comment *c, int *len)
{
    const char *p = c->p;
    int n = c->len;
    if (*p == ' ') p++;
    if (p[n - 1] == ' ') n = n > c->min ? n - 1 : n + 1;
    *len = n;
    return p;
}

#endif

/*
 * hll.c — the HyperLogLog sketch behind approx_count_distinct.
 *
 * 2^12 registers (a standard error of about 1.6%). A value's 64-bit hash picks
 * a register with its top 12 bits; the register keeps the largest "rank" seen,
 * the position of the first 1 bit among the remaining 52 (53 when they are all
 * zero). Merging two sketches takes the larger rank per register, so partial
 * sketches merge in any order, over any partitioning, to the same registers:
 * the estimate is deterministic.
 *
 * Most groups of a GROUP BY see few values, so a sketch starts as the sorted
 * list of the distinct hashes it has seen, which counts exactly (up to 64-bit
 * hash collisions), and becomes the register array once that list would
 * outgrow half of it. The form depends only on the set of hashes seen (a
 * partial sketch that went dense saw more than the threshold, so the merged
 * one does too), so the answer stays independent of the partitioning.
 *
 * The estimate of a dense sketch is Otmar Ertl's improved raw estimator ("New
 * cardinality estimation algorithms for HyperLogLog sketches", 2017), which
 * needs neither linear counting for small cardinalities nor empirical bias
 * tables.
 *
 * The partial state travels as bytes in a VARCHAR column: 'S' followed by the
 * sorted hashes (8 bytes each, little-endian), or 'D' followed by the 4096
 * registers.
 */
#include <math.h>
#include <string.h>

#include "exec/agg_state.h"

#define P EM__HLL_P
#define M (1 << P)
#define Q (64 - P)
#define SPARSE_MAX (M / 16) /* 256 hashes of 8 bytes: half the dense array */

static inline void set_register(uint8_t *dense, uint64_t hash)
{
    uint32_t idx = (uint32_t)(hash >> Q);
    uint64_t rest = hash << P;
    uint8_t rank = rest == 0 ? Q + 1 : (uint8_t)EM_MIN(__builtin_clzll(rest) + 1, Q + 1);
    if (dense[idx] < rank) dense[idx] = rank;
}

static void make_dense(em__hll *h)
{
    h->dense = em_calloc(M, 1);
    for (int32_t k = 0; k < h->nsparse; k++) set_register(h->dense, h->sparse[k]);
    em_free(h->sparse);
    h->sparse = NULL;
    h->nsparse = h->capsparse = 0;
}

void em__hll_add(em__hll *h, uint64_t hash)
{
    if (h->dense != NULL) {
        set_register(h->dense, hash);
        return;
    }
    /* Binary search for the hash's place in the sorted list. */
    int32_t lo = 0, hi = h->nsparse;
    while (lo < hi) {
        int32_t mid = (lo + hi) >> 1;
        if (h->sparse[mid] < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < h->nsparse && h->sparse[lo] == hash) return;
    if (h->nsparse == SPARSE_MAX) {
        make_dense(h);
        set_register(h->dense, hash);
        return;
    }
    if (h->nsparse == h->capsparse) {
        h->capsparse = h->capsparse ? h->capsparse * 2 : 4;
        h->sparse = em_realloc(h->sparse, (size_t)h->capsparse * sizeof(uint64_t));
    }
    memmove(h->sparse + lo + 1, h->sparse + lo, (size_t)(h->nsparse - lo) * sizeof(uint64_t));
    h->sparse[lo] = hash;
    h->nsparse++;
}

int64_t em__hll_bytes(const em__hll *h)
{
    return h->dense != NULL ? M : (int64_t)h->capsparse * (int64_t)sizeof(uint64_t);
}

void em__hll_release(em__hll *h)
{
    em_free(h->dense);
    em_free(h->sparse);
    memset(h, 0, sizeof(*h));
}

int32_t em__hll_size(const em__hll *h)
{
    return h->dense != NULL ? 1 + M : 1 + 8 * h->nsparse;
}

void em__hll_write(const em__hll *h, char *out)
{
    if (h->dense != NULL) {
        out[0] = 'D';
        memcpy(out + 1, h->dense, M);
        return;
    }
    out[0] = 'S';
    for (int32_t k = 0; k < h->nsparse; k++)
        for (int b = 0; b < 8; b++) out[1 + 8 * k + b] = (char)(h->sparse[k] >> (8 * b));
}

int em__hll_merge_bytes(em__hll *h, const char *p, int32_t len)
{
    const uint8_t *b = (const uint8_t *)p;
    if (len == 1 + M && b[0] == 'D') {
        for (uint32_t i = 0; i < M; i++)
            if (b[1 + i] > Q + 1) return -1;
        if (h->dense == NULL) make_dense(h);
        for (uint32_t i = 0; i < M; i++)
            if (h->dense[i] < b[1 + i]) h->dense[i] = b[1 + i];
        return 0;
    }
    if (len < 1 || b[0] != 'S' || (len - 1) % 8 != 0 || (len - 1) / 8 > SPARSE_MAX) return -1;
    for (int32_t k = 0; k < (len - 1) / 8; k++) {
        uint64_t hash = 0;
        for (int i = 0; i < 8; i++) hash |= (uint64_t)b[1 + 8 * k + i] << (8 * i);
        em__hll_add(h, hash);
    }
    return 0;
}

/* Ertl's sigma and tau series (the paper's Algorithm 6). */
static double sigma(double x)
{
    if (x == 1.0) return INFINITY;
    double y = 1.0, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (z != prev);
    return z;
}

static double tau(double x)
{
    if (x == 0.0 || x == 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != prev);
    return z / 3.0;
}

int64_t em__hll_estimate(const em__hll *h)
{
    int64_t c[Q + 2];
    memset(c, 0, sizeof(c));
    if (h->dense == NULL) return h->nsparse; /* exact */
    for (uint32_t i = 0; i < M; i++) c[h->dense[i]]++;
    if (c[0] == M) return 0;
    const double m = M;
    double z = m * tau(1.0 - (double)c[Q + 1] / m);
    for (int k = Q; k >= 1; k--) z = 0.5 * (z + (double)c[k]);
    z += m * sigma((double)c[0] / m);
    double est = m * m / (2.0 * log(2.0)) / z;
    return (int64_t)llround(est);
}

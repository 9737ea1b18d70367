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
 * Most groups of a GROUP BY see few values, so a sketch starts sparse (a short
 * list of the registers it has set) and becomes the full register array once
 * that list would outgrow a quarter of it. Both forms stand for the same
 * registers and give the same estimate.
 *
 * The estimate is Otmar Ertl's improved raw estimator ("New cardinality
 * estimation algorithms for HyperLogLog sketches", 2017), which needs neither
 * linear counting for small cardinalities nor empirical bias tables.
 *
 * The partial state travels as bytes in a VARCHAR column: 'S' followed by
 * three bytes per set register (index low, index high, rank), or 'D' followed
 * by the 4096 registers.
 */
#include <math.h>
#include <string.h>

#include "exec/agg_state.h"

#define P EM__HLL_P
#define M (1 << P)
#define Q (64 - P)
#define SPARSE_MAX (M / 16) /* 256 entries of 4 bytes: a quarter of the dense array */

static inline void set_register(em__hll *h, uint32_t idx, uint8_t rank)
{
    if (h->dense != NULL) {
        if (h->dense[idx] < rank) h->dense[idx] = rank;
        return;
    }
    for (int32_t k = 0; k < h->nsparse; k++) {
        if (h->sparse[k] >> 8 == idx) {
            if ((h->sparse[k] & 0xff) < rank) h->sparse[k] = idx << 8 | rank;
            return;
        }
    }
    if (h->nsparse == SPARSE_MAX) {
        h->dense = em_calloc(M, 1);
        for (int32_t k = 0; k < h->nsparse; k++)
            h->dense[h->sparse[k] >> 8] = (uint8_t)(h->sparse[k] & 0xff);
        em_free(h->sparse);
        h->sparse = NULL;
        h->nsparse = h->capsparse = 0;
        h->dense[idx] = EM_MAX(h->dense[idx], rank);
        return;
    }
    if (h->nsparse == h->capsparse) {
        h->capsparse = h->capsparse ? h->capsparse * 2 : 4;
        h->sparse = em_realloc(h->sparse, (size_t)h->capsparse * sizeof(uint32_t));
    }
    h->sparse[h->nsparse++] = idx << 8 | rank;
}

void em__hll_add(em__hll *h, uint64_t hash)
{
    uint32_t idx = (uint32_t)(hash >> Q);
    uint64_t rest = hash << P;
    uint8_t rank = rest == 0 ? Q + 1 : (uint8_t)EM_MIN(__builtin_clzll(rest) + 1, Q + 1);
    set_register(h, idx, rank);
}

void em__hll_release(em__hll *h)
{
    em_free(h->dense);
    em_free(h->sparse);
    memset(h, 0, sizeof(*h));
}

int32_t em__hll_size(const em__hll *h)
{
    return h->dense != NULL ? 1 + M : 1 + 3 * h->nsparse;
}

void em__hll_write(const em__hll *h, char *out)
{
    if (h->dense != NULL) {
        out[0] = 'D';
        memcpy(out + 1, h->dense, M);
        return;
    }
    out[0] = 'S';
    for (int32_t k = 0; k < h->nsparse; k++) {
        uint32_t idx = h->sparse[k] >> 8;
        out[1 + 3 * k] = (char)(idx & 0xff);
        out[2 + 3 * k] = (char)(idx >> 8);
        out[3 + 3 * k] = (char)(h->sparse[k] & 0xff);
    }
}

int em__hll_merge_bytes(em__hll *h, const char *p, int32_t len)
{
    const uint8_t *b = (const uint8_t *)p;
    if (len == 1 + M && b[0] == 'D') {
        for (uint32_t i = 0; i < M; i++)
            if (b[1 + i] > Q + 1) return -1;
        if (h->dense == NULL) {
            /* Going dense at once beats replaying 4096 registers one by one. */
            uint8_t *d = em_malloc(M);
            memcpy(d, b + 1, M);
            for (int32_t k = 0; k < h->nsparse; k++) {
                uint32_t idx = h->sparse[k] >> 8;
                d[idx] = EM_MAX(d[idx], (uint8_t)(h->sparse[k] & 0xff));
            }
            em_free(h->sparse);
            h->sparse = NULL;
            h->nsparse = h->capsparse = 0;
            h->dense = d;
            return 0;
        }
        for (uint32_t i = 0; i < M; i++)
            if (h->dense[i] < b[1 + i]) h->dense[i] = b[1 + i];
        return 0;
    }
    if (len < 1 || b[0] != 'S' || (len - 1) % 3 != 0) return -1;
    for (int32_t k = 0; k < (len - 1) / 3; k++) {
        uint32_t idx = (uint32_t)b[1 + 3 * k] | (uint32_t)b[2 + 3 * k] << 8;
        uint8_t rank = b[3 + 3 * k];
        if (idx >= M || rank == 0 || rank > Q + 1) return -1;
        set_register(h, idx, rank);
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
    if (h->dense != NULL) {
        for (uint32_t i = 0; i < M; i++) c[h->dense[i]]++;
    } else {
        c[0] = M - h->nsparse;
        for (int32_t k = 0; k < h->nsparse; k++) c[h->sparse[k] & 0xff]++;
    }
    if (c[0] == M) return 0;
    const double m = M;
    double z = m * tau(1.0 - (double)c[Q + 1] / m);
    for (int k = Q; k >= 1; k--) z = 0.5 * (z + (double)c[k]);
    z += m * sigma((double)c[0] / m);
    double est = m * m / (2.0 * log(2.0)) / z;
    return (int64_t)llround(est);
}

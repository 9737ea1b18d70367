/*
 * perm.c — a random permutation of [0, n) computed on demand (see
 * gen_int.h): a four-round keyed Feistel network over 2k bits, where 2^(2k)
 * is the smallest even power of two covering n, walked until it lands inside
 * [0, n). The domain is less than four times n, so the expected number of
 * walks per value is below four, and no table of n entries is ever built:
 * generators scatter keys over billions of rows from any thread.
 */
#include "gen/gen_int.h"

void em__gen_perm_init(em__gen_perm *p, uint64_t n, uint64_t seed, uint64_t which)
{
    int bits = 2;
    while (bits < 62 && (UINT64_C(1) << bits) < n) bits += 2;
    p->n = n;
    p->half_bits = bits / 2;
    p->half_mask = (UINT64_C(1) << p->half_bits) - 1;
    for (int i = 0; i < 4; i++) p->keys[i] = em__gen_mix3(seed, which, 0xfe15 + (uint64_t)i);
}

static uint64_t feistel(const em__gen_perm *p, uint64_t x)
{
    uint64_t left = x >> p->half_bits, right = x & p->half_mask;
    for (int round = 0; round < 4; round++) {
        /* One multiply-xorshift round: enough mixing for a shuffle, and
         * cheap, since every generated key goes through several of them. */
        uint64_t f = (right ^ p->keys[round]) * 0x9e3779b97f4a7c15ULL;
        f = ((f ^ (f >> 29)) * 0xbf58476d1ce4e5b9ULL) >> 17;
        f &= p->half_mask;
        uint64_t next = left ^ f;
        left = right;
        right = next;
    }
    return (left << p->half_bits) | right;
}

uint64_t em__gen_perm_at(const em__gen_perm *p, uint64_t i)
{
    /* Cycle walking: the network permutes the whole 2^(2k) domain, so
     * following it from a point inside [0, n) must come back inside. */
    uint64_t x = feistel(p, i);
    while (x >= p->n) x = feistel(p, x);
    return x;
}

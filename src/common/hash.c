/*
 * hash.c — xxh3 hashing for hash joins, aggregation and shuffle partitioning.
 */
#include <xxhash.h>

#include "common/common.h"

uint64_t em_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(p, n, seed);
}

uint64_t em_hash_u64(uint64_t v, uint64_t seed)
{
    /* Hashing the 8 bytes through xxh3 keeps integer keys and their byte
     * form in one family; xxh3 has a dedicated fast path for 8-byte input. */
    return XXH3_64bits_withSeed(&v, sizeof(v), seed);
}

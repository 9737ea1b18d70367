/*
 * key_hash.h — vectorized hashing of key columns (internal to exec/), shared by
 * hash aggregation and hash joins so that both agree on what equal keys hash to.
 *
 * A row's hash over several key columns is the hash of the first column's
 * value, combined (em_hash_combine) with each further column's in order. A
 * value hashes as em__hash_value does (agg_state.h): -0 and 0, and every NaN,
 * hash alike; a NULL hashes to EM__HASH_NULL.
 */
#ifndef EM_EXEC_KEY_HASH_H
#define EM_EXEC_KEY_HASH_H

#include "exec/agg_state.h"

/* Fold the hash of the first n rows of key column v (of class c) into h; the
 * first key column assigns instead of combining. */
void em__hash_column(const em_vector *v, em__vclass c, int64_t n, uint64_t *h, bool first);

/* h[i] = the hash of the 64-bit word w[i] (what em_hash_u64 gives with the
 * key seed), for n words. */
void em__hash_words(const uint64_t *w, int64_t n, uint64_t *h);

/* The 64 bits that identify a valid fixed-width key (BOOLEAN, INTEGER, BIGINT,
 * DOUBLE and the types stored like them): equal keys have equal bits, and the
 * row's hash is the xxh3 of these bits. */
static inline uint64_t em__key_bits(const em_vector *v, int64_t i, em__vclass c)
{
    switch (c) {
    case EM__VC_I64:
        return (uint64_t)EM_VEC_I64(v)[i];
    case EM__VC_I32:
        return (uint64_t)(int64_t)EM_VEC_I32(v)[i];
    case EM__VC_F64:
        return em__f64_bits(EM_VEC_F64(v)[i]);
    case EM__VC_BOOL:
        return EM_VEC_BOOL(v)[i] != 0;
    default:
        return 0;
    }
}

/* Tests only: hash aggregation ANDs every key hash with this (all ones
 * unless a test lowers it), so that a test can make distinct keys collide
 * and check that the keys themselves, not their hashes, decide the groups. */
extern uint64_t em__hash_agg_test_mask;

#endif

/*
 * key_hash.c — hashing a key column for every row of a batch at once, for
 * hash aggregation and hash joins (key_hash.h).
 */

/* xxh3 compiled into this file: the very function em_hash_u64 computes, but
 * inlined into the per-row loops instead of a library call per key. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "exec/key_hash.h"

static inline uint64_t hash_u64(uint64_t v)
{
    return XXH3_64bits_withSeed(&v, sizeof(v), EM__HASH_SEED);
}

void em__hash_column(const em_vector *v, em__vclass c, int64_t n, uint64_t *h, bool first)
{
#define HASH_LOOP(EXPR)                                                                            \
    do {                                                                                           \
        if (v->validity == NULL) {                                                                 \
            if (first)                                                                             \
                for (int64_t i = 0; i < n; i++) h[i] = (EXPR);                                     \
            else                                                                                   \
                for (int64_t i = 0; i < n; i++) h[i] = em_hash_combine(h[i], (EXPR));              \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                uint64_t x = em_vector_is_valid(v, i) ? (EXPR) : EM__HASH_NULL;                    \
                h[i] = first ? x : em_hash_combine(h[i], x);                                       \
            }                                                                                      \
        }                                                                                          \
    } while (0)

    switch (c) {
    case EM__VC_I64: {
        const int64_t *d = EM_VEC_I64(v);
        HASH_LOOP(hash_u64((uint64_t)d[i]));
        break;
    }
    case EM__VC_I32: {
        const int32_t *d = EM_VEC_I32(v);
        HASH_LOOP(hash_u64((uint64_t)(int64_t)d[i]));
        break;
    }
    case EM__VC_F64: {
        const double *d = EM_VEC_F64(v);
        HASH_LOOP(hash_u64(em__f64_bits(d[i])));
        break;
    }
    case EM__VC_BOOL: {
        const uint8_t *d = EM_VEC_BOOL(v);
        HASH_LOOP(hash_u64(d[i] != 0));
        break;
    }
    case EM__VC_STR: {
        const int32_t *off = EM_VEC_OFFSETS(v);
        const char *chars = v->chars;
        HASH_LOOP(
            XXH3_64bits_withSeed(chars + off[i], (size_t)(off[i + 1] - off[i]), EM__HASH_SEED));
        break;
    }
    case EM__VC_IV: {
        const em_interval *d = EM_VEC_IV(v);
        HASH_LOOP(em_interval_hash(d[i], EM__HASH_SEED));
        break;
    }
    default:
        HASH_LOOP(EM__HASH_NULL);
        break;
    }
#undef HASH_LOOP
}

void em__hash_words(const uint64_t *w, int64_t n, uint64_t *h)
{
    for (int64_t i = 0; i < n; i++) h[i] = hash_u64(w[i]);
}

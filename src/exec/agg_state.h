/*
 * agg_state.h — per-aggregate state arrays for hash aggregation (internal to
 * exec/), plus the value hashing and equality that group keys and DISTINCT
 * sets share.
 *
 * One em__agg_state holds the running state of one aggregate for every group,
 * column-wise (struct of arrays indexed by group id), so that an update is a
 * tight loop over a batch's group-id array.
 */
#ifndef EM_EXEC_AGG_STATE_H
#define EM_EXEC_AGG_STATE_H

#include <math.h>
#include <string.h>

#include "exec/exec.h"

/* How a value is stored, which decides hashing, equality and comparison. */
typedef enum em__vclass {
    EM__VC_NULL = 0, /* the NULL type: every value is NULL */
    EM__VC_BOOL,     /* uint8 */
    EM__VC_I32,      /* INTEGER, DATE */
    EM__VC_I64,      /* BIGINT, DECIMAL, TIMESTAMP */
    EM__VC_F64,      /* DOUBLE */
    EM__VC_STR,      /* VARCHAR */
    EM__VC_IV,       /* INTERVAL: equal and hashed by span ('1 month' = '30 days') */
} em__vclass;

static inline em__vclass em__vclass_of(em_type t)
{
    switch ((em_type_id)t.id) {
    case EM_TYPE_BOOLEAN:
        return EM__VC_BOOL;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        return EM__VC_I32;
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        return EM__VC_I64;
    case EM_TYPE_DOUBLE:
        return EM__VC_F64;
    case EM_TYPE_VARCHAR:
        return EM__VC_STR;
    case EM_TYPE_INTERVAL:
        return EM__VC_IV;
    default:
        return EM__VC_NULL;
    }
}

#define EM__HASH_SEED 0x51ed27a3c4b2e1f9ULL
/* The hash of a NULL key: any constant works since NULLs form one group. */
#define EM__HASH_NULL 0x6a09e667f3bcc909ULL

/* Doubles that compare equal must hash equally: -0 and 0, and every NaN. */
static inline uint64_t em__f64_bits(double d)
{
    uint64_t bits;
    if (isnan(d)) return 0x7ff8000000000000ULL;
    if (d == 0) d = 0.0;
    memcpy(&bits, &d, sizeof(bits));
    return bits;
}

/* Hash of row i of v, which must be valid. */
static inline uint64_t em__hash_value(const em_vector *v, int64_t i, em__vclass c)
{
    switch (c) {
    case EM__VC_BOOL:
        return em_hash_u64(EM_VEC_BOOL(v)[i] != 0, EM__HASH_SEED);
    case EM__VC_I32:
        return em_hash_u64((uint64_t)(int64_t)EM_VEC_I32(v)[i], EM__HASH_SEED);
    case EM__VC_I64:
        return em_hash_u64((uint64_t)EM_VEC_I64(v)[i], EM__HASH_SEED);
    case EM__VC_F64:
        return em_hash_u64(em__f64_bits(EM_VEC_F64(v)[i]), EM__HASH_SEED);
    case EM__VC_STR: {
        int32_t len;
        const char *p = em_vector_str(v, i, &len);
        return em_hash_bytes(p, (size_t)len, EM__HASH_SEED);
    }
    case EM__VC_IV:
        return em_interval_hash(EM_VEC_IV(v)[i], EM__HASH_SEED);
    default:
        return EM__HASH_NULL;
    }
}

/* Grouping equality of two valid values: NaN equals NaN, -0 equals 0. */
static inline bool em__value_eq(const em_vector *a, int64_t ia, const em_vector *b, int64_t ib,
                                em__vclass c)
{
    switch (c) {
    case EM__VC_BOOL:
        return (EM_VEC_BOOL(a)[ia] != 0) == (EM_VEC_BOOL(b)[ib] != 0);
    case EM__VC_I32:
        return EM_VEC_I32(a)[ia] == EM_VEC_I32(b)[ib];
    case EM__VC_I64:
        return EM_VEC_I64(a)[ia] == EM_VEC_I64(b)[ib];
    case EM__VC_F64: {
        double x = EM_VEC_F64(a)[ia], y = EM_VEC_F64(b)[ib];
        return x == y || (isnan(x) && isnan(y));
    }
    case EM__VC_STR: {
        int32_t la, lb;
        const char *pa = em_vector_str(a, ia, &la);
        const char *pb = em_vector_str(b, ib, &lb);
        /* A vector of empty strings may have no character buffer at all. */
        return la == lb && (la == 0 || memcmp(pa, pb, (size_t)la) == 0);
    }
    case EM__VC_IV:
        return em_interval_compare(EM_VEC_IV(a)[ia], EM_VEC_IV(b)[ib]) == 0;
    default:
        return true;
    }
}

/* ---- HyperLogLog (hll.c) ------------------------------------------------- */

#define EM__HLL_P 12 /* 4096 registers: about 1.6% standard error */

/* One sketch: the sorted distinct hashes seen (exact) until there are too
 * many, then dense (one byte per register). Zero-initialized is empty. */
typedef struct em__hll {
    uint8_t *dense;
    uint64_t *sparse;
    int32_t nsparse;
    int32_t capsparse;
} em__hll;

void em__hll_add(em__hll *h, uint64_t hash);
/* The serialized partial state: em__hll_size bytes written by em__hll_write. */
int32_t em__hll_size(const em__hll *h);
void em__hll_write(const em__hll *h, char *out);
/* Merge a serialized sketch in; -1 when the bytes are not one. */
int em__hll_merge_bytes(em__hll *h, const char *p, int32_t len);
int64_t em__hll_estimate(const em__hll *h);
/* Heap bytes the sketch holds. */
int64_t em__hll_bytes(const em__hll *h);
void em__hll_release(em__hll *h);

/* ---- corr, covar_pop, covar_samp (agg_covar.c) --------------------------------- */

/* Per-group states of one two-argument statistic; both arguments DOUBLE. */
typedef struct em__covar em__covar;
em__covar *em__covar_create(em_agg_kind kind);
void em__covar_destroy(em__covar *c);
/* Make room for groups [0, cap); new groups start empty. */
void em__covar_reserve(em__covar *c, int64_t cap);
int64_t em__covar_bytes(const em__covar *c);
/* Fold rows (selected, or 0..n) where both y and x are valid into group g[i]. */
void em__covar_feed(em__covar *c, const em_vector *y, const em_vector *x, const int32_t *sel,
                    int64_t n, const uint32_t *g);
/* Fold the partial states at columns [col, col + nstates) of in. */
int em__covar_merge(em__covar *c, const em_batch *in, int col, const uint32_t *gids,
                    em_error *err) EM_MUST_CHECK;
/* Append group g's result (a DOUBLE or NULL), or its state columns. */
void em__covar_put_final(const em__covar *c, int64_t g, em_vector *out);
void em__covar_put_partial(const em__covar *c, int64_t g, em_vector **out);

/* ---- aggregate states -------------------------------------------------------- */

typedef struct em__agg_state em__agg_state;

/* Returns NULL and fills err when the call cannot run in `mode` (DISTINCT
 * outside COMPLETE) or has an argument type the state does not support. */
em__agg_state *em__agg_state_create(const em_agg_call *c, em_agg_mode mode, em_error *err);
void em__agg_state_destroy(em__agg_state *s);
/* Number of partial state columns (em_agg_state_types). */
int em__agg_state_nstates(const em__agg_state *s);
/* Bytes the state holds: its per-group arrays plus what grows with the values
 * (MIN/MAX strings, sketches, a percentile's values), for memory accounting. */
int64_t em__agg_state_bytes(const em__agg_state *s);
/* Make room for group ids [0, ngroups); new groups start empty. */
void em__agg_state_reserve(em__agg_state *s, int64_t ngroups);
/* The rows of a batch grouped by group id, for few groups: the rows of group
 * g are order[start[g]], ..., order[start[g + 1] - 1], in row order (order is
 * NULL when every row is in place: rows start[g] .. start[g + 1] - 1). */
typedef struct em__agg_runs {
    int64_t ngroups;
    const int64_t *start; /* ngroups + 1 entries */
    const int32_t *order;
} em__agg_runs;

/* Raw input (COMPLETE/PARTIAL): evaluate the argument and FILTER over `in`
 * and fold row i into group gids[i]. runs, when not NULL, groups the same
 * rows the same way (SUM, AVG and COUNT then fold group by group). */
int em__agg_state_update(em__agg_state *s, const em_batch *in, const uint32_t *gids,
                         const em__agg_runs *runs, em_error *err) EM_MUST_CHECK;
/* Whether em__agg_state_feed can take the aggregate's input: no FILTER, no
 * DISTINCT, one argument. */
bool em__agg_state_takes_values(const em__agg_state *s);
/* Raw input whose argument the caller evaluated: fold the values of v (NULL
 * for count(*)) at rows sel[0..n) (rows 0..n when sel is NULL) into groups
 * gids[row]; those rows are every row the group ids were assigned from. runs,
 * when not NULL, groups exactly those rows. */
int em__agg_state_feed(em__agg_state *s, const em_vector *v, const int32_t *sel, int64_t n,
                       const uint32_t *gids, const em__agg_runs *runs, em_error *err) EM_MUST_CHECK;
/* FINAL: fold the partial states found at columns [col, col + nstates) of in. */
int em__agg_state_merge(em__agg_state *s, const em_batch *in, int col, const uint32_t *gids,
                        em_error *err) EM_MUST_CHECK;
/* Write groups [first, first + n): the final value (out[0], of the call's
 * type) or, when `partial`, the state columns out[0..nstates). */
int em__agg_state_emit(em__agg_state *s, bool partial, int64_t first, int64_t n, em_vector **out,
                       em_error *err) EM_MUST_CHECK;

#endif

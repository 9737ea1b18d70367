/*
 * sort_int.h — the row sort behind ORDER BY (op_sort.c), shared with the
 * operators that sort their buffered input the same way (window functions).
 *
 * Rows are addressed by their global number in the buffer: the batches taken
 * in order, their rows concatenated. The sort is stable and orders NULLs, NaN
 * and -0 exactly as em_sort_compare_rows does.
 */
#ifndef EM_EXEC_SORT_INT_H
#define EM_EXEC_SORT_INT_H

#include "exec/exec.h"

/* One row reference while sorting; after em__sort_rows only `idx` (the
 * global row number) matters. */
typedef struct em__sort_entry {
    uint64_t prefix; /* the current piece of the current key, normalized (0 when NULL) */
    uint32_t idx;    /* global row number in the buffer */
    uint32_t rank;   /* that key: 0 = NULL placed first, 1 = value, 2 = NULL placed last */
} em__sort_entry;

/* Where a row lives: batch number and row inside that batch. */
typedef struct em__row_src {
    uint32_t batch;
    uint32_t row;
} em__row_src;

/* Sort the rows of batches[0, nbatches) (nrows in all, below 2^32) by keys.
 * On return *entries holds the nrows row references in order, *batch_of maps
 * a global row number to its batch and *starts[b] is the global number of
 * batch b's first row (nbatches + 1 entries). All three are em_free'd by the
 * caller. */
void em__sort_rows(em_batch *const *batches, int64_t nbatches, int64_t nrows, int nkeys,
                   const em_sort_key *keys, em__sort_entry **entries, uint32_t **batch_of,
                   int64_t **starts);

/* A new vector holding column c of the rows src[0, n), in that order (all
 * batches have the same column types). */
em_vector *em__sort_gather(em_batch *const *batches, int c, const em__row_src *src, int64_t n);

#endif

/*
 * stats.h — what the optimizer knows about the data: samples of scans
 * (sample.c) and the cardinality estimates built on them (cardinality.c).
 *
 * Internal to src/sql/optimizer: symbols are em__ prefixed.
 */
#ifndef EM_OPTIMIZER_STATS_H
#define EM_OPTIMIZER_STATS_H

#include "sql/logical/logical.h"

/* ---- samples (sample.c) ---------------------------------------------------
 *
 * A sample of a scan is a few runs ("chunks") of consecutive rows taken at
 * evenly spaced places of its input: byte ranges of CSV files, batches of an
 * in-memory table, the first rows of some splits of other formats. A small
 * input is read whole, and its counts are exact. Sampling is best effort: a
 * chunk that does not parse is left out, and a scan that cannot be sampled at
 * all has no sample (the estimates then fall back to the binder's guess). */
typedef struct em__sample {
    double rows;     /* rows of the whole scan before its filters (estimated) */
    bool rows_known; /* rows is a count or an estimate from the sample's bytes */
    bool complete;   /* every row was read */
    int ncols;       /* columns read: indexes into the scan's output */
    int *cols;
    int nbatches; /* the rows read, columns as in cols */
    em_batch **batches;
    int *chunk; /* the chunk each batch came from */
    int nchunks;
} em__sample;

/* Sample the scan `scan` (EM_LOP_SCAN_FILE or EM_LOP_SCAN_TABLE), reading its
 * output columns cols[0..ncols). NULL when nothing could be read. */
em__sample *em__sample_scan(const em_lop *scan, const int *cols, int ncols);
void em__sample_destroy(em__sample *s);
/* Forget the samples of files remembered so far (sample.c keeps them process-wide,
 * keyed by the files' identities; for tests). */
void em__sample_cache_clear(void);

/* ---- cardinality (cardinality.c) ------------------------------------------
 *
 * Estimates of a logical plan's output rows and of the distinct values of its
 * columns, computed on demand and remembered per node. A context lives for one
 * optimization: it holds the samples it took. */
typedef struct em__card em__card;

em__card *em__card_create(em_arena *a);
void em__card_destroy(em__card *c);
/* Estimated output rows of p (at least 1). */
double em__card_rows(em__card *c, const em_lop *p);
/* Estimated distinct non-NULL values of p's output column `col` (at least 1,
 * at most em__card_rows(p)). */
double em__card_ndv(em__card *c, const em_lop *p, int col);
/* Estimated distinct combinations of p's output columns cols[0..n). */
double em__card_ndv_multi(em__card *c, const em_lop *p, const int *cols, int n);
/* Walk the plan once before estimating: note the columns whose distinct counts
 * joins and groupings will ask for, so that each scan is sampled in one pass. */
void em__card_prepare(em__card *c, const em_lop *plan);
/* Remember rows as p's estimate (the join orderer's estimate of a join it built). */
void em__card_set_rows(em__card *c, const em_lop *p, double rows);

/* Distinct values of a column, as a predicate's selectivity needs them. */
typedef double (*em__ndv_fn)(void *ctx, int column);
/* The fraction of rows for which the boolean expression e holds, by textbook
 * rules (col = const: 1/ndv, col = col: 1/max(ndv), AND: product, OR: inclusion-
 * exclusion, ranges 1/3, ...); ndv(ctx, column) gives the columns' distinct
 * counts. */
double em__card_selectivity(const em_expr *e, em__ndv_fn ndv, void *ctx);
/* Set est_rows on both inputs of every join of the plan and on the join itself,
 * from the estimates above (the physical planner picks build sides and
 * broadcasts from them). */
void em__card_annotate(em__card *c, em_lop *plan);

#endif

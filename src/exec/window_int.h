/*
 * window_int.h — private to the window operator (op_window.c) and the files
 * that compute its functions: frame bounds (window_frame.c), ranking
 * (window_rank.c), navigation (window_value.c) and aggregates over frames
 * (window_agg.c).
 *
 * The operator buffers its input, sorts it by (partition keys, order keys)
 * and then computes every call over the rows in that sorted order. Rows are
 * therefore named by their sorted position 0..n-1; `src` says where each one
 * lives in the buffered batches. A call's result is an array over sorted
 * positions: either computed values (counts, ranks, sums) or, for functions
 * that return one of the input values (LAG, FIRST_VALUE, MIN, ...), the
 * position of the row whose value it is, resolved only when the output
 * batches are built so that no column is ever copied twice.
 */
#ifndef EM_EXEC_WINDOW_INT_H
#define EM_EXEC_WINDOW_INT_H

#include "exec/agg_state.h"
#include "exec/sort_int.h"

/* A column of the buffered input read in sorted order, with values widened
 * to one representation per class: BOOLEAN, INTEGER, BIGINT, DATE,
 * TIMESTAMP and DECIMAL (unscaled) as int64, DOUBLE as double, INTERVAL as
 * em_interval, VARCHAR as pointers into the buffered batches. */
typedef struct em__win_view {
    em__vclass vc;
    em_type type;
    int64_t n;
    uint8_t *valid; /* per row, 1 = a value; NULL when every row has one */
    int64_t *i64;
    double *f64;
    em_interval *iv;
    const char **sp;
    int32_t *sl;
} em__win_view;

/* The sorted input every call is computed over. */
typedef struct em__win_input {
    int64_t n;                /* rows */
    em_batch *const *batches; /* buffered: input columns, then evaluated arguments */
    int64_t nbatches;
    const em__row_src *src; /* sorted position -> buffered row */
    int64_t nparts;
    const int64_t
        *part_start; /* nparts + 1 entries: partition p is [part_start[p], part_start[p+1]) */
    /* Per row: its peer group [peer_start, peer_end) (rows equal on every
     * ORDER BY key within the partition); NULL when no call needs them. */
    const int64_t *peer_start;
    const int64_t *peer_end;
    /* The single ORDER BY key of RANGE frames with offsets (else vc NULL). */
    const em__win_view *key;
    bool key_desc;
    bool key_nulls_first;
} em__win_input;

void em__win_view_build(const em__win_input *in, int col, em__win_view *v);
void em__win_view_release(em__win_view *v);
/* Equality of two valid values, as sorting sees it (NaN equals NaN, -0
 * equals 0, intervals by their span). */
bool em__win_view_eq(const em__win_view *v, int64_t a, int64_t b);
static inline bool em__win_valid(const em__win_view *v, int64_t i)
{
    return v->valid == NULL || v->valid[i];
}

/* ---- frames ----------------------------------------------------------------- */

/* A frame with its offsets checked and converted for the ORDER BY key. */
typedef struct em__win_frame {
    bool rows;
    em_frame_bound start, end;
    bool whole; /* the frame is the whole partition whatever the row */
    /* ROWS: offsets in rows. */
    int64_t start_rows, end_rows;
    /* RANGE with offsets: the key's value t that bounds the frame is
     * (key + delta), already rounded in the direction the bound needs for
     * exact keys; for DOUBLE keys (key + ddelta); for INTERVAL offsets over
     * DATE or TIMESTAMP keys, the key in microseconds (key * key_unit) plus
     * the signed interval, by calendar arithmetic. */
    bool key_f64;
    bool key_interval;
    int64_t key_unit;
    __int128 start_delta, end_delta;
    double start_ddelta, end_ddelta;
    em_interval start_iv, end_iv;
} em__win_frame;

/* Check a frame (bound kinds, offsets) against the ORDER BY keys; key_type is
 * the type of the first ORDER BY key (used only by RANGE offsets). */
int em__win_frame_prepare(const em_window_frame *f, int norder, const em_sort_key *order,
                          em_type key_type, em__win_frame *out, em_error *err) EM_MUST_CHECK;
/* Bounds of the rows of partition [ps, pe): row i's frame is [fs[i-ps],
 * fe[i-ps]) (empty when fe <= fs). Both arrays are non-decreasing. */
void em__win_frame_bounds(const em__win_frame *f, const em__win_input *in, int64_t ps, int64_t pe,
                          int64_t *fs, int64_t *fe);

/* ---- calls and their results ----------------------------------------------- */

/* A call prepared by the operator. */
typedef struct em__win_call {
    const em_window_call *call;
    int arg_col;   /* buffered column holding the evaluated argument, or -1 */
    int deflt_col; /* LAG/LEAD default, or -1 */
    int64_t n;     /* NTILE buckets, NTH_VALUE position, LAG/LEAD offset */
    bool all_null; /* NTILE(NULL): every row NULL */
    em__win_frame frame;
} em__win_call;

#define EM__WIN_PICK_NULL (-1)    /* the result is NULL */
#define EM__WIN_PICK_DEFAULT (-2) /* the result is the default at the row itself */

typedef enum em__win_res_kind {
    EM__WR_I64, /* i64[] of `type` (BIGINT, or DECIMAL for sums) */
    EM__WR_F64, /* f64[] (DOUBLE) */
    EM__WR_PICK /* pick[]: the value of column `col` at that sorted position */
} em__win_res_kind;

typedef struct em__win_result {
    em__win_res_kind kind;
    int64_t n;    /* rows */
    em_type type; /* the type the values are in; cast to the call's type on output */
    int64_t *i64;
    double *f64;
    uint8_t *null; /* per row (I64/F64), 1 = NULL; NULL when no row is */
    int64_t *pick;
    int col;
    int deflt_col;
} em__win_result;

void em__win_result_release(em__win_result *r);
/* Allocate r's arrays for n rows. */
void em__win_result_init(em__win_result *r, em__win_res_kind kind, em_type type, int64_t n);
static inline void em__win_set_null(em__win_result *r, int64_t i)
{
    if (r->null == NULL) r->null = em_calloc((size_t)(r->n > 0 ? r->n : 1), 1);
    r->null[i] = 1;
}

/* ROW_NUMBER, RANK, DENSE_RANK, PERCENT_RANK, CUME_DIST, NTILE. */
void em__win_rank(const em__win_input *in, const em__win_call *c, em__win_result *r);
/* LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE. */
void em__win_value(const em__win_input *in, const em__win_call *c, em__win_result *r);
/* Aggregates over the frame. */
int em__win_agg(const em__win_input *in, const em__win_call *c, em__win_result *r,
                em_error *err) EM_MUST_CHECK;

#endif

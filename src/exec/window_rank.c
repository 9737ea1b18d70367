/*
 * window_rank.c — the ranking window functions: ROW_NUMBER, RANK,
 * DENSE_RANK, PERCENT_RANK, CUME_DIST and NTILE. They depend only on a row's
 * position in its partition and on its peer group (rows equal on every
 * ORDER BY key), never on the frame.
 */
#include "exec/window_int.h"

/* NTILE(buckets) of the row at 0-based position k of a partition of m rows:
 * the first (m mod buckets) buckets get one row more than the others. */
static int64_t ntile(int64_t k, int64_t m, int64_t buckets)
{
    int64_t q = m / buckets, r = m % buckets;
    int64_t big = r * (q + 1); /* rows in the larger buckets */
    if (k < big) return k / (q + 1) + 1;
    return r + (k - big) / q + 1;
}

void em__win_rank(const em__win_input *in, const em__win_call *c, em__win_result *r)
{
    em_window_kind kind = c->call->kind;
    bool dbl = kind == EM_WINDOW_PERCENT_RANK || kind == EM_WINDOW_CUME_DIST;
    em__win_result_init(r, dbl ? EM__WR_F64 : EM__WR_I64,
                        em_type_make(dbl ? EM_TYPE_DOUBLE : EM_TYPE_BIGINT), in->n);
    for (int64_t p = 0; p < in->nparts; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1], m = pe - ps;
        switch (kind) {
        case EM_WINDOW_ROW_NUMBER:
            for (int64_t i = ps; i < pe; i++) r->i64[i] = i - ps + 1;
            break;
        case EM_WINDOW_RANK:
            for (int64_t i = ps; i < pe; i++) r->i64[i] = in->peer_start[i] - ps + 1;
            break;
        case EM_WINDOW_DENSE_RANK: {
            int64_t rank = 0;
            for (int64_t i = ps; i < pe; i++) {
                if (in->peer_start[i] == i) rank++;
                r->i64[i] = rank;
            }
            break;
        }
        case EM_WINDOW_PERCENT_RANK:
            for (int64_t i = ps; i < pe; i++)
                r->f64[i] = m > 1 ? (double)(in->peer_start[i] - ps) / (double)(m - 1) : 0.0;
            break;
        case EM_WINDOW_CUME_DIST:
            for (int64_t i = ps; i < pe; i++)
                r->f64[i] = (double)(in->peer_end[i] - ps) / (double)m;
            break;
        case EM_WINDOW_NTILE:
            for (int64_t i = ps; i < pe; i++) {
                if (c->all_null)
                    em__win_set_null(r, i);
                else
                    r->i64[i] = ntile(i - ps, m, c->n);
            }
            break;
        default:
            break;
        }
    }
}

/*
 * window_value.c — the navigation window functions, which return the value
 * of another row: LAG and LEAD (a fixed number of rows before or after, in
 * the partition; outside it the default, or NULL), and FIRST_VALUE,
 * LAST_VALUE and NTH_VALUE over the row's frame. NULL values count as rows
 * (RESPECT NULLS). Results are positions of the rows whose values they are
 * (EM__WR_PICK); the values are copied once, into the output batches.
 */
#include "exec/window_int.h"

static void lag_lead(const em__win_input *in, const em__win_call *c, em__win_result *r)
{
    /* LAG by k is LEAD by -k; 128 bits keep even INT64_MIN offsets exact. */
    __int128 step = c->call->kind == EM_WINDOW_LAG ? -(__int128)c->n : (__int128)c->n;
    int64_t miss = c->deflt_col >= 0 ? EM__WIN_PICK_DEFAULT : EM__WIN_PICK_NULL;
    for (int64_t p = 0; p < in->nparts; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1];
        for (int64_t i = ps; i < pe; i++) {
            __int128 j = (__int128)i + step;
            r->pick[i] = j >= ps && j < pe ? (int64_t)j : miss;
        }
    }
}

static int64_t max_partition(const em__win_input *in)
{
    int64_t m = 1;
    for (int64_t p = 0; p < in->nparts; p++)
        m = EM_MAX(m, in->part_start[p + 1] - in->part_start[p]);
    return m;
}

static void over_frame(const em__win_input *in, const em__win_call *c, em__win_result *r)
{
    int64_t cap = max_partition(in);
    int64_t *fs = em_malloc((size_t)cap * sizeof(int64_t));
    int64_t *fe = em_malloc((size_t)cap * sizeof(int64_t));
    em_window_kind kind = c->call->kind;
    for (int64_t p = 0; p < in->nparts; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1];
        em__win_frame_bounds(&c->frame, in, ps, pe, fs, fe);
        for (int64_t i = ps; i < pe; i++) {
            int64_t s = fs[i - ps], e = fe[i - ps], pick = EM__WIN_PICK_NULL;
            if (s < e) {
                if (kind == EM_WINDOW_FIRST_VALUE)
                    pick = s;
                else if (kind == EM_WINDOW_LAST_VALUE)
                    pick = e - 1;
                else if (c->n <= e - s)
                    pick = s + c->n - 1;
            }
            r->pick[i] = pick;
        }
    }
    em_free(fs);
    em_free(fe);
}

void em__win_value(const em__win_input *in, const em__win_call *c, em__win_result *r)
{
    em__win_result_init(r, EM__WR_PICK, c->call->type, in->n);
    r->col = c->arg_col;
    r->deflt_col = c->deflt_col;
    if (c->call->kind == EM_WINDOW_LAG || c->call->kind == EM_WINDOW_LEAD)
        lag_lead(in, c, r);
    else
        over_frame(in, c, r);
}

/*
 * source_merge.c — k-way merge of sorted runs (the reduce side of a global
 * ORDER BY: every map task sorted its partition, this source interleaves them).
 *
 * A binary min-heap holds one cursor per run that still has rows, ordered by
 * the cursor's current row and then by run index, so rows that compare equal
 * come out in run order and the merge is stable. Output batches are built by
 * appending up to EM_BATCH_ROWS rows.
 */
#include "exec/exec.h"

typedef struct run_cursor {
    const em_batch_list *list;
    int64_t batch; /* index into list->items */
    int64_t row;
} run_cursor;

typedef struct merge_source {
    em_source base;
    int nruns;
    run_cursor *cur;
    int *heap; /* run indexes */
    int nheap;
    int nkeys;
    em_sort_key *keys;
} merge_source;

static const em_batch *cursor_batch(const run_cursor *c)
{
    return c->list->items[c->batch];
}

/* Move to the next non-empty batch at or after the current position; false
 * when the run is exhausted. */
static bool cursor_settle(run_cursor *c)
{
    while (c->batch < c->list->count && c->row >= c->list->items[c->batch]->nrows) {
        c->batch++;
        c->row = 0;
    }
    return c->batch < c->list->count;
}

static bool run_less(const merge_source *m, int a, int b)
{
    const run_cursor *ca = &m->cur[a], *cb = &m->cur[b];
    int r = em_sort_compare_rows(cursor_batch(ca), ca->row, cursor_batch(cb), cb->row, m->nkeys,
                                 m->keys);
    return r < 0 || (r == 0 && a < b);
}

static void sift_down(merge_source *m, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, best = i;
        if (l < m->nheap && run_less(m, m->heap[l], m->heap[best])) best = l;
        if (r < m->nheap && run_less(m, m->heap[r], m->heap[best])) best = r;
        if (best == i) return;
        int t = m->heap[i];
        m->heap[i] = m->heap[best];
        m->heap[best] = t;
        i = best;
    }
}

static int merge_next(em_source *src, em_batch **out, em_error *err)
{
    merge_source *m = (merge_source *)src;
    *out = NULL;
    if (m->nheap == 0) return 0;
    const em_batch *proto = cursor_batch(&m->cur[m->heap[0]]);
    em_batch *b = em_batch_create(proto->ncols);
    for (int c = 0; c < proto->ncols; c++)
        em_batch_set_col(b, c, em_vector_create(proto->cols[c]->type, EM_BATCH_ROWS));
    int64_t n = 0;
    while (n < EM_BATCH_ROWS && m->nheap > 0) {
        run_cursor *c = &m->cur[m->heap[0]];
        const em_batch *in = cursor_batch(c);
        for (int col = 0; col < b->ncols; col++)
            em_vector_append_from(b->cols[col], in->cols[col], c->row);
        n++;
        c->row++;
        if (!cursor_settle(c)) m->heap[0] = m->heap[--m->nheap];
        if (m->nheap > 0) sift_down(m, 0);
    }
    b->nrows = n;
    *out = b;
    return 0;
}

static void merge_destroy(em_source *src)
{
    merge_source *m = (merge_source *)src;
    em_free(m->cur);
    em_free(m->heap);
    em_free(m->keys);
    em_free(m);
}

em_source *em_source_merge_create(int nruns, const em_batch_list *const *runs, int nkeys,
                                  const em_sort_key *keys)
{
    merge_source *m = em_calloc(1, sizeof(*m));
    m->base.next = merge_next;
    m->base.destroy = merge_destroy;
    m->nruns = nruns;
    m->cur = em_calloc((size_t)(nruns > 0 ? nruns : 1), sizeof(run_cursor));
    m->heap = em_calloc((size_t)(nruns > 0 ? nruns : 1), sizeof(int));
    m->nkeys = nkeys;
    m->keys = em_calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(em_sort_key));
    for (int k = 0; k < nkeys; k++) m->keys[k] = keys[k];
    for (int r = 0; r < nruns; r++) {
        m->cur[r].list = runs[r];
        if (runs[r] != NULL && cursor_settle(&m->cur[r])) m->heap[m->nheap++] = r;
    }
    for (int i = m->nheap / 2 - 1; i >= 0; i--) sift_down(m, i);
    return &m->base;
}

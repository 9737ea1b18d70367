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

/* ---- merging streams --------------------------------------------------------- */

typedef struct stream_cursor {
    em_source *src;
    em_batch *batch; /* current batch (owned) or NULL when exhausted */
    int64_t row;
} stream_cursor;

typedef struct stream_merge {
    em_source base;
    int nruns;
    stream_cursor *cur;
    int *heap;
    int nheap;
    int nkeys;
    em_sort_key *keys;
    bool started;
} stream_merge;

/* Advance to a row, pulling batches as needed; false at the end of the stream. */
static int stream_settle(stream_cursor *c, bool *alive, em_error *err)
{
    while (c->batch == NULL || c->row >= c->batch->nrows) {
        if (c->batch) em_batch_destroy(c->batch);
        c->batch = NULL;
        c->row = 0;
        EM_TRY(c->src->next(c->src, &c->batch, err));
        if (c->batch == NULL) {
            *alive = false;
            return 0;
        }
    }
    *alive = true;
    return 0;
}

static bool stream_less(const stream_merge *m, int a, int b)
{
    const stream_cursor *ca = &m->cur[a], *cb = &m->cur[b];
    int r = em_sort_compare_rows(ca->batch, ca->row, cb->batch, cb->row, m->nkeys, m->keys);
    return r < 0 || (r == 0 && a < b);
}

static void stream_sift(stream_merge *m, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, best = i;
        if (l < m->nheap && stream_less(m, m->heap[l], m->heap[best])) best = l;
        if (r < m->nheap && stream_less(m, m->heap[r], m->heap[best])) best = r;
        if (best == i) return;
        int t = m->heap[i];
        m->heap[i] = m->heap[best];
        m->heap[best] = t;
        i = best;
    }
}

static int stream_next(em_source *src, em_batch **out, em_error *err)
{
    stream_merge *m = (stream_merge *)src;
    *out = NULL;
    if (!m->started) {
        m->started = true;
        for (int r = 0; r < m->nruns; r++) {
            bool alive;
            EM_TRY(stream_settle(&m->cur[r], &alive, err));
            if (alive) m->heap[m->nheap++] = r;
        }
        for (int i = m->nheap / 2 - 1; i >= 0; i--) stream_sift(m, i);
    }
    if (m->nheap == 0) return 0;
    const em_batch *proto = m->cur[m->heap[0]].batch;
    em_batch *b = em_batch_create(proto->ncols);
    for (int c = 0; c < proto->ncols; c++)
        em_batch_set_col(b, c, em_vector_create(proto->cols[c]->type, EM_BATCH_ROWS));
    int64_t n = 0;
    int rc = 0;
    while (n < EM_BATCH_ROWS && m->nheap > 0) {
        stream_cursor *c = &m->cur[m->heap[0]];
        for (int col = 0; col < b->ncols; col++)
            em_vector_append_from(b->cols[col], c->batch->cols[col], c->row);
        n++;
        c->row++;
        bool alive = true;
        if (c->row >= c->batch->nrows) {
            rc = stream_settle(c, &alive, err);
            if (rc < 0) break;
        }
        if (!alive) m->heap[0] = m->heap[--m->nheap];
        if (m->nheap > 0) stream_sift(m, 0);
    }
    b->nrows = n;
    if (rc < 0) {
        em_batch_destroy(b);
        return rc;
    }
    *out = b;
    return 0;
}

static void stream_destroy(em_source *src)
{
    stream_merge *m = (stream_merge *)src;
    for (int r = 0; r < m->nruns; r++) {
        if (m->cur[r].batch) em_batch_destroy(m->cur[r].batch);
        if (m->cur[r].src) m->cur[r].src->destroy(m->cur[r].src);
    }
    em_free(m->cur);
    em_free(m->heap);
    em_free(m->keys);
    em_free(m);
}

em_source *em_source_merge_streams(int nruns, em_source **runs, int nkeys, const em_sort_key *keys)
{
    stream_merge *m = em_calloc(1, sizeof(*m));
    m->base.next = stream_next;
    m->base.destroy = stream_destroy;
    m->nruns = nruns;
    m->cur = em_calloc((size_t)(nruns > 0 ? nruns : 1), sizeof(stream_cursor));
    m->heap = em_calloc((size_t)(nruns > 0 ? nruns : 1), sizeof(int));
    m->nkeys = nkeys;
    m->keys = em_calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(em_sort_key));
    for (int k = 0; k < nkeys; k++) m->keys[k] = keys[k];
    for (int r = 0; r < nruns; r++) m->cur[r].src = runs[r];
    return &m->base;
}

/* ---- a spill file as a source ------------------------------------------------ */

typedef struct spill_source {
    em_source base;
    em_spill_file *f;
    bool rewound;
} spill_source;

static int spill_next(em_source *src, em_batch **out, em_error *err)
{
    spill_source *s = (spill_source *)src;
    if (!s->rewound) {
        EM_TRY(em_spill_rewind(s->f, err));
        s->rewound = true;
    }
    return em_spill_read(s->f, out, err);
}

static void spill_destroy(em_source *src)
{
    em_free(src);
}

em_source *em_source_spill_create(em_spill_file *f)
{
    spill_source *s = em_calloc(1, sizeof(*s));
    s->base.next = spill_next;
    s->base.destroy = spill_destroy;
    s->f = f;
    return &s->base;
}

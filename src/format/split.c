/*
 * split.c — helpers for cutting files into splits at bind time.
 *
 * Binding a large file scans it once (the CSV quote-parity pass), which is
 * spread over the thread pool with a tiny parallel-for: workers and the
 * calling thread pull indexes from a shared counter, so the call finishes
 * even when every pool thread is busy elsewhere.
 */
#include "format/internal.h"

#include <stdatomic.h>

typedef struct pfor {
    void (*fn)(void *ctx, int i);
    void *ctx;
    int n;
    atomic_int next;
    em_waitgroup *wg;
} pfor;

static void pfor_drain(pfor *p)
{
    for (;;) {
        int i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) break;
        p->fn(p->ctx, i);
    }
}

static void pfor_job(void *arg)
{
    pfor *p = arg;
    pfor_drain(p);
    em_waitgroup_done(p->wg);
}

void em__parallel_for(em_threadpool *pool, int n, void (*fn)(void *ctx, int i), void *ctx)
{
    if (n <= 0) return;
    if (pool == NULL || n == 1 || em_threadpool_size(pool) < 1) {
        for (int i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    pfor p = {.fn = fn, .ctx = ctx, .n = n, .wg = em_waitgroup_create()};
    atomic_init(&p.next, 0);
    int workers = EM_MIN(em_threadpool_size(pool), n - 1);
    em_waitgroup_add(p.wg, workers);
    for (int w = 0; w < workers; w++) em_threadpool_submit(pool, pfor_job, &p);
    pfor_drain(&p);
    em_waitgroup_wait(p.wg);
    em_waitgroup_destroy(p.wg);
}

void em__add_split(em_scan_desc *d, int file, int64_t start, int64_t end)
{
    d->splits = em_realloc(d->splits, (size_t)(d->nsplits + 1) * sizeof *d->splits);
    d->splits[d->nsplits].file = file;
    d->splits[d->nsplits].start = start;
    d->splits[d->nsplits].end = end;
    d->nsplits++;
}

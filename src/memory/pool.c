/*
 * pool.c — the executor memory pool and operator reservations (memory.h).
 *
 * Fair share: one reservation may hold at most limit / running_tasks bytes; a
 * reservation past that share, or past the pool's free bytes, is refused and
 * its operator spills. The share is checked per reservation (an operator of
 * one task), which keeps the bookkeeping to one lock and three counters.
 */
#include "memory/memory_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

em_memory_pool *em_memory_pool_create(int64_t limit, const char *dir)
{
    em_memory_pool *p = em_calloc(1, sizeof(em_memory_pool));
    pthread_mutex_init(&p->lock, NULL);
    p->limit = limit > 0 ? limit : INT64_MAX / 4;
    p->dir = em_strdup(dir && *dir ? dir : "/tmp");
    return p;
}

void em_memory_pool_destroy(em_memory_pool *p)
{
    if (!p) return;
    em_memory_pool_cleanup(p);
    em_free(p->dir);
    pthread_mutex_destroy(&p->lock);
    em_free(p);
}

int64_t em_memory_pool_limit(const em_memory_pool *p)
{
    return p->limit;
}

int64_t em_memory_pool_used(em_memory_pool *p)
{
    pthread_mutex_lock(&p->lock);
    int64_t u = p->used;
    pthread_mutex_unlock(&p->lock);
    return u;
}

int64_t em_memory_pool_peak(em_memory_pool *p)
{
    pthread_mutex_lock(&p->lock);
    int64_t u = p->peak;
    pthread_mutex_unlock(&p->lock);
    return u;
}

int64_t em_memory_pool_spilled_bytes(em_memory_pool *p)
{
    return __atomic_load_n(&p->spilled_bytes, __ATOMIC_RELAXED);
}

int64_t em_memory_pool_spill_files(em_memory_pool *p)
{
    return __atomic_load_n(&p->spill_files, __ATOMIC_RELAXED);
}

void em_memory_task_begin(em_memory_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->tasks++;
    pthread_mutex_unlock(&p->lock);
}

void em_memory_task_end(em_memory_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->tasks--;
    pthread_mutex_unlock(&p->lock);
}

void em_memory_reservation_init(em_memory_reservation *r, em_memory_pool *p)
{
    r->pool = p;
    r->bytes = 0;
    r->peak = 0;
    r->spilled = 0;
    r->shared = false;
}

void em_memory_reservation_init_shared(em_memory_reservation *r, em_memory_pool *p)
{
    em_memory_reservation_init(r, p);
    r->shared = true;
}

void em_memory_reservation_release(em_memory_reservation *r)
{
    em_memory_shrink(r, r->bytes);
}

bool em_memory_try_reserve(em_memory_reservation *r, int64_t bytes)
{
    if (bytes <= 0) return true;
    em_memory_pool *p = r->pool;
    if (!p) {
        r->bytes += bytes;
        if (r->bytes > r->peak) r->peak = r->bytes;
        return true;
    }
    pthread_mutex_lock(&p->lock);
    int64_t share = p->limit / (p->tasks > 0 ? p->tasks : 1);
    bool ok = p->used + bytes <= p->limit && (r->shared || r->bytes + bytes <= share);
    if (ok) {
        p->used += bytes;
        if (p->used > p->peak) p->peak = p->used;
        r->bytes += bytes;
        if (r->bytes > r->peak) r->peak = r->bytes;
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void em_memory_force_reserve(em_memory_reservation *r, int64_t bytes)
{
    if (bytes <= 0) return;
    r->bytes += bytes;
    if (r->bytes > r->peak) r->peak = r->bytes;
    em_memory_pool *p = r->pool;
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->used += bytes;
    if (p->used > p->peak) p->peak = p->used;
    pthread_mutex_unlock(&p->lock);
}

void em_memory_shrink(em_memory_reservation *r, int64_t bytes)
{
    if (bytes > r->bytes) bytes = r->bytes;
    if (bytes <= 0) return;
    r->bytes -= bytes;
    em_memory_pool *p = r->pool;
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->used -= bytes;
    pthread_mutex_unlock(&p->lock);
}

void em_memory_pool_cleanup(em_memory_pool *p)
{
    pthread_mutex_lock(&p->lock);
    em_spill_file *f = p->files;
    p->files = NULL;
    pthread_mutex_unlock(&p->lock);
    while (f) {
        em_spill_file *next = f->next;
        em__spill_discard(f);
        f = next;
    }
}

/*
 * threadpool.c — a fixed set of pthreads draining a FIFO job queue, and the
 * waitgroup used to observe completion. The queue is a singly linked list
 * guarded by one mutex; jobs are coarse (whole tasks), so contention on the
 * lock is not a concern.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/common.h"

typedef struct tp_job {
    struct tp_job *next;
    em_job_fn fn;
    void *arg;
} tp_job;

struct em_threadpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    tp_job *head;
    tp_job *tail;
    bool stopping;
    int nthreads;
    pthread_t *threads;
};

static void *worker_main(void *p)
{
    em_threadpool *tp = p;
    pthread_mutex_lock(&tp->mu);
    for (;;) {
        while (tp->head == NULL && !tp->stopping) pthread_cond_wait(&tp->cv, &tp->mu);
        /* On shutdown the queue is still drained: destroy() promises that
         * every submitted job runs. */
        if (tp->head == NULL) break;
        tp_job *j = tp->head;
        tp->head = j->next;
        if (tp->head == NULL) tp->tail = NULL;
        pthread_mutex_unlock(&tp->mu);
        j->fn(j->arg);
        em_free(j);
        pthread_mutex_lock(&tp->mu);
    }
    pthread_mutex_unlock(&tp->mu);
    return NULL;
}

em_threadpool *em_threadpool_create(int nthreads)
{
    if (nthreads < 1) nthreads = 1;
    em_threadpool *tp = em_calloc(1, sizeof(*tp));
    pthread_mutex_init(&tp->mu, NULL);
    pthread_cond_init(&tp->cv, NULL);
    tp->threads = em_calloc((size_t)nthreads, sizeof(pthread_t));
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&tp->threads[i], NULL, worker_main, tp) != 0) {
            /* Run with the threads we got; a pool of zero would deadlock. */
            if (i == 0) {
                fprintf(stderr, "ember: cannot create worker thread\n");
                abort();
            }
            break;
        }
        tp->nthreads++;
    }
    return tp;
}

void em_threadpool_destroy(em_threadpool *tp)
{
    if (tp == NULL) return;
    pthread_mutex_lock(&tp->mu);
    tp->stopping = true;
    pthread_cond_broadcast(&tp->cv);
    pthread_mutex_unlock(&tp->mu);
    for (int i = 0; i < tp->nthreads; i++) pthread_join(tp->threads[i], NULL);
    pthread_mutex_destroy(&tp->mu);
    pthread_cond_destroy(&tp->cv);
    em_free(tp->threads);
    em_free(tp);
}

int em_threadpool_size(const em_threadpool *tp)
{
    return tp->nthreads;
}

void em_threadpool_submit(em_threadpool *tp, em_job_fn fn, void *arg)
{
    tp_job *j = em_malloc(sizeof(*j));
    j->next = NULL;
    j->fn = fn;
    j->arg = arg;
    pthread_mutex_lock(&tp->mu);
    if (tp->tail != NULL)
        tp->tail->next = j;
    else
        tp->head = j;
    tp->tail = j;
    pthread_cond_signal(&tp->cv);
    pthread_mutex_unlock(&tp->mu);
}

/* ---- waitgroup ---------------------------------------------------------- */

struct em_waitgroup {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int count;
};

em_waitgroup *em_waitgroup_create(void)
{
    em_waitgroup *wg = em_calloc(1, sizeof(*wg));
    pthread_mutex_init(&wg->mu, NULL);
    pthread_cond_init(&wg->cv, NULL);
    return wg;
}

void em_waitgroup_destroy(em_waitgroup *wg)
{
    if (wg == NULL) return;
    pthread_mutex_destroy(&wg->mu);
    pthread_cond_destroy(&wg->cv);
    em_free(wg);
}

void em_waitgroup_add(em_waitgroup *wg, int n)
{
    pthread_mutex_lock(&wg->mu);
    wg->count += n;
    if (wg->count <= 0) pthread_cond_broadcast(&wg->cv);
    pthread_mutex_unlock(&wg->mu);
}

void em_waitgroup_done(em_waitgroup *wg)
{
    em_waitgroup_add(wg, -1);
}

void em_waitgroup_wait(em_waitgroup *wg)
{
    pthread_mutex_lock(&wg->mu);
    while (wg->count > 0) pthread_cond_wait(&wg->cv, &wg->mu);
    pthread_mutex_unlock(&wg->mu);
}

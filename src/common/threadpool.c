/*
 * threadpool.c - see threadpool.h.
 *
 * Tasks are claimed through an atomic counter (dynamic scheduling): which
 * thread computes which task varies from run to run, which is fine because
 * every task writes its own output and computes it in one fixed order.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "threadpool.h"

struct lz_pool {
    int n_threads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    /* current job */
    lz_task_fn fn;
    void *arg;
    int n_tasks;
    atomic_int next_task;
    int generation;
    int active_workers; /* workers still inside the current job */
    int stop;
};

typedef struct {
    lz_pool *pool;
    int index;
} worker_arg;

static void run_tasks(lz_pool *p, lz_task_fn fn, void *arg, int n_tasks, int thread)
{
    for (;;) {
        int t = atomic_fetch_add(&p->next_task, 1);
        if (t >= n_tasks) break;
        fn(arg, t, thread);
    }
}

static void *worker_main(void *vp)
{
    worker_arg *wa = vp;
    lz_pool *p = wa->pool;
    int index = wa->index;
    free(wa);
    int seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->stop) break;
        seen = p->generation;
        lz_task_fn fn = p->fn;
        void *arg = p->arg;
        int n = p->n_tasks;
        pthread_mutex_unlock(&p->mu);
        run_tasks(p, fn, arg, n, index);
        pthread_mutex_lock(&p->mu);
        if (--p->active_workers == 0) pthread_cond_signal(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

lz_pool *lz_pool_create(int n_threads)
{
    if (n_threads < 1) n_threads = 1;
    lz_pool *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->n_threads = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    atomic_init(&p->next_task, 0);
    if (n_threads > 1) {
        p->threads = calloc((size_t)n_threads - 1, sizeof(pthread_t));
        if (!p->threads) { lz_pool_free(p); return NULL; }
        for (int i = 1; i < n_threads; i++) {
            worker_arg *wa = malloc(sizeof(*wa));
            if (wa) {
                wa->pool = p;
                wa->index = i;
            }
            if (!wa || pthread_create(&p->threads[i - 1], NULL, worker_main, wa) != 0) {
                free(wa);
                p->n_threads = i; /* only i-1 workers exist */
                lz_pool_free(p);
                return NULL;
            }
        }
    }
    return p;
}

void lz_pool_free(lz_pool *p)
{
    if (!p) return;
    if (p->threads) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->work_cv);
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < p->n_threads - 1; i++) pthread_join(p->threads[i], NULL);
        free(p->threads);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
    free(p);
}

int lz_pool_size(const lz_pool *p) { return p ? p->n_threads : 1; }

void lz_pool_run(lz_pool *p, int n_tasks, lz_task_fn fn, void *arg)
{
    if (n_tasks <= 0) return;
    if (!p || p->n_threads == 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++) fn(arg, t, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n_tasks;
    atomic_store(&p->next_task, 0);
    p->active_workers = p->n_threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);

    run_tasks(p, fn, arg, n_tasks, 0);

    pthread_mutex_lock(&p->mu);
    while (p->active_workers > 0) pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

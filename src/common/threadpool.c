/*
 * threadpool.c - see threadpool.h.
 *
 * Tasks are claimed through an atomic counter (dynamic scheduling): which
 * thread computes which task varies from run to run, which is fine because
 * every task writes its own output and computes it in one fixed order.
 *
 * Waking a sleeping thread costs tens of microseconds (more on a virtual
 * machine), and a forward pass runs the pool a few hundred times per step,
 * often for well under a millisecond of work: sleeping between runs cost a
 * fifth of the time of a lockstep decoding step on 2 cores. So both sides
 * watch a counter before they sleep: a worker the generation counter after
 * its last job, the caller the count of busy workers; busy-waiting for the
 * first LZ_POOL_PAUSE_NS, then yielding the CPU (so that on a machine with
 * more runnable threads than cores the waiting thread does not hold a core
 * that a working one needs) until LZ_POOL_SPIN_NS. Past that they wait on
 * condition variables, so an idle pool costs no CPU. A pool with more
 * threads than CPUs skips the busy phase (doc/results/reliability.md).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "threadpool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

/* How long a thread spins, then yields, before it sleeps: longer than the
 * gaps between the pool runs of a forward pass, which include the wait for
 * the slowest task of the previous run (about a millisecond for the output
 * projection on 2 cores). */
#define LZ_POOL_PAUSE_NS 50000L
#define LZ_POOL_SPIN_NS 2000000L
#define POOL_OVERSUB_PAUSE_NS 0L
#define POOL_OVERSUB_SPIN_NS 2000000L

struct lz_pool {
    int n_threads;
    long pause_ns, spin_ns;    /* the waits' busy and yielding phases (see lz_pool_create) */
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    /* current job: written before generation is advanced */
    lz_task_fn fn;
    void *arg;
    int n_tasks;
    atomic_int next_task;
    atomic_int generation;
    atomic_int active_workers; /* workers still inside the current job */
    int sleepers;              /* workers waiting on work_cv (under mu) */
    atomic_int stop;
};

typedef struct {
    lz_pool *pool;
    int index;
} worker_arg;

static long elapsed_ns(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

/* Spin until *v != not (returns 1) or the spin time is over (returns 0). */
static int spin_while_equal(const lz_pool *p, atomic_int *v, int not)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (atomic_load_explicit(v, memory_order_acquire) != not) return 1;
            cpu_relax();
        }
        const long ns = elapsed_ns(&t0);
        if (ns > p->spin_ns) return 0;
        if (ns > p->pause_ns) sched_yield();
    }
}

/* Spin until every worker has left the current job (returns 1) or the
 * spin time is over (returns 0). */
static int spin_until_done(lz_pool *p)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (atomic_load_explicit(&p->active_workers, memory_order_acquire) == 0) return 1;
            cpu_relax();
        }
        const long ns = elapsed_ns(&t0);
        if (ns > p->spin_ns) return 0;
        if (ns > p->pause_ns) sched_yield();
    }
}

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
    for (;;) {
        if (!spin_while_equal(p, &p->generation, seen)) {
            pthread_mutex_lock(&p->mu);
            p->sleepers++;
            while (!atomic_load(&p->stop) && atomic_load(&p->generation) == seen) pthread_cond_wait(&p->work_cv, &p->mu);
            p->sleepers--;
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) break;
        seen = atomic_load(&p->generation);
        run_tasks(p, p->fn, p->arg, p->n_tasks, index);
        if (atomic_fetch_sub(&p->active_workers, 1) == 1) {
            /* the last one out wakes a caller that went to sleep */
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

lz_pool *lz_pool_create(int n_threads)
{
    if (n_threads < 1) n_threads = 1;
    lz_pool *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->n_threads = n_threads;
    /* More threads than CPUs: a thread that busy-waits holds a CPU that the
     * thread it waits for may need (4 threads on 2 CPUs ran the tiny models
     * 4.5x slower than 2), so waits yield from the start. */
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const int oversubscribed = cpus > 0 && n_threads > cpus;
    p->pause_ns = oversubscribed ? POOL_OVERSUB_PAUSE_NS : LZ_POOL_PAUSE_NS;
    p->spin_ns = oversubscribed ? POOL_OVERSUB_SPIN_NS : LZ_POOL_SPIN_NS;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    atomic_init(&p->next_task, 0);
    atomic_init(&p->generation, 0);
    atomic_init(&p->active_workers, 0);
    atomic_init(&p->stop, 0);
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
        atomic_store(&p->stop, 1);
        atomic_fetch_add(&p->generation, 1);   /* spinning workers see it too */
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
    /* every worker finished the previous job (the wait below), so the job
     * fields are free to rewrite */
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n_tasks;
    atomic_store(&p->next_task, 0);
    atomic_store(&p->active_workers, p->n_threads - 1);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->generation, 1);
    if (p->sleepers) pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);

    run_tasks(p, fn, arg, n_tasks, 0);

    if (!spin_until_done(p)) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->active_workers) > 0) pthread_cond_wait(&p->done_cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

/*
 * threadpool.h - a fixed pool of worker threads for data-parallel loops.
 *
 * lz_pool_run() splits `n_tasks` independent tasks over the workers and the
 * calling thread and returns when all are done. Tasks must not depend on
 * which thread runs them: results are written to disjoint memory, so the
 * thread count never changes a result (doc/determinism.md).
 */
#ifndef LZ_THREADPOOL_H
#define LZ_THREADPOOL_H

typedef struct lz_pool lz_pool;

/* fn(arg, task_index, thread_index); thread_index < lz_pool_size(). */
typedef void (*lz_task_fn)(void *arg, int task, int thread);

/* n_threads counts the caller; 1 means no workers. Returns NULL on failure. */
lz_pool *lz_pool_create(int n_threads);
void lz_pool_free(lz_pool *pool);
int lz_pool_size(const lz_pool *pool);

/* Run tasks 0..n_tasks-1. A NULL pool runs them all on the caller. */
void lz_pool_run(lz_pool *pool, int n_tasks, lz_task_fn fn, void *arg);

#endif /* LZ_THREADPOOL_H */

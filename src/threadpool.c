#include "threadpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

// What a worker needs to find its pool and know its share.
typedef struct {
    hs_threadpool *pool;
    int ith;
} worker_slot;

struct hs_threadpool {
    int n_threads; // threads per run, the caller included
    int n_workers; // started threads: n_threads - 1
    pthread_t *threads;
    worker_slot *slots;

    // Everything below is guarded by lock.
    pthread_mutex_t lock;
    pthread_cond_t work_ready; // workers sleep here until generation moves on (or stopping)
    pthread_cond_t work_done; // the caller sleeps here until pending drops to zero
    // Bumped once per run. A worker compares it with the last generation it ran, so a worker that
    // wakes late still runs the task exactly once, and a spurious wake-up runs nothing.
    uint64_t generation;
    int pending; // workers that have not finished the current run
    bool stopping;
    hs_task_fn fn;
    void *ctx;
};

static void *worker_main(void *arg) {
    const worker_slot *slot = arg;
    hs_threadpool *pool = slot->pool;
    uint64_t generation_done = 0; // the pool starts at generation 0, which has no task

    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (pool->generation == generation_done && !pool->stopping)
            pthread_cond_wait(&pool->work_ready, &pool->lock);
        // The caller waits for every worker before it returns from run, so stopping is only ever
        // set between runs: no task is abandoned here.
        if (pool->stopping) break;
        generation_done = pool->generation;
        hs_task_fn fn = pool->fn;
        void *ctx = pool->ctx;
        int nth = pool->n_threads;
        pthread_mutex_unlock(&pool->lock);

        fn(ctx, slot->ith, nth);

        pthread_mutex_lock(&pool->lock);
        bool last = --pool->pending == 0;
        pthread_mutex_unlock(&pool->lock);
        // Signalled after unlocking, so the caller does not wake only to block on the lock we
        // hold (this halves the round trip). Safe: the caller re-checks pending under the lock,
        // and free joins this thread before it destroys the condition variable.
        if (last) pthread_cond_signal(&pool->work_done);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

// Stops and joins the workers started so far; the pool stays allocated.
static void stop_workers(hs_threadpool *pool) {
    if (pool->n_workers == 0) return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->work_ready);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->n_workers; i++) pthread_join(pool->threads[i], NULL);
    pool->n_workers = 0;
}

hs_threadpool *hs_threadpool_create(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    hs_threadpool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->n_threads = 1;
    if (n_threads == 1) return pool; // runs happen on the caller; no thread, no lock needed

    int wanted_workers = n_threads - 1;
    pool->threads = calloc((size_t)wanted_workers, sizeof *pool->threads);
    pool->slots = calloc((size_t)wanted_workers, sizeof *pool->slots);
    if (!pool->threads || !pool->slots) goto fail_alloc;
    if (pthread_mutex_init(&pool->lock, NULL) != 0) goto fail_alloc;
    if (pthread_cond_init(&pool->work_ready, NULL) != 0) goto fail_mutex;
    if (pthread_cond_init(&pool->work_done, NULL) != 0) goto fail_ready;

    for (int i = 0; i < wanted_workers; i++) {
        pool->slots[i].pool = pool;
        pool->slots[i].ith = i + 1;
        // A browser may refuse threads beyond its worker pool; fewer threads still work, so keep
        // the ones we have rather than failing the engine.
        if (pthread_create(&pool->threads[i], NULL, worker_main, &pool->slots[i]) != 0) break;
        pool->n_workers++;
    }
    // Workers read n_threads under the lock, and none can have been given a task yet.
    pthread_mutex_lock(&pool->lock);
    pool->n_threads = pool->n_workers + 1;
    pthread_mutex_unlock(&pool->lock);
    return pool;

fail_ready:
    pthread_cond_destroy(&pool->work_ready);
fail_mutex:
    pthread_mutex_destroy(&pool->lock);
fail_alloc:
    free(pool->threads);
    free(pool->slots);
    free(pool);
    return NULL;
}

void hs_threadpool_free(hs_threadpool *pool) {
    if (!pool) return;
    if (pool->threads) { // the sync objects exist exactly when the worker arrays do
        stop_workers(pool);
        pthread_cond_destroy(&pool->work_done);
        pthread_cond_destroy(&pool->work_ready);
        pthread_mutex_destroy(&pool->lock);
    }
    free(pool->threads);
    free(pool->slots);
    free(pool);
}

int hs_threadpool_size(const hs_threadpool *pool) { return pool ? pool->n_threads : 1; }

void hs_threadpool_run(hs_threadpool *pool, hs_task_fn fn, void *ctx) {
    if (!pool || pool->n_workers == 0) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->pending = pool->n_workers;
    pool->generation++;
    pthread_mutex_unlock(&pool->lock);
    // After unlocking, for the same reason as the workers' signal. No wake-up is lost: a worker
    // either saw the new generation under the lock or was already waiting.
    pthread_cond_broadcast(&pool->work_ready);

    fn(ctx, 0, pool->n_threads); // n_threads is only written during create

    pthread_mutex_lock(&pool->lock);
    while (pool->pending > 0) pthread_cond_wait(&pool->work_done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}

void hs_split_range(int64_t n, int ith, int nth, int64_t *begin, int64_t *end) {
    if (n <= 0 || nth < 1 || ith < 0 || ith >= nth) {
        *begin = *end = 0;
        return;
    }
    int64_t base = n / nth, extra = n % nth;
    // The first `extra` shares are one longer; every share before ith is counted in the start.
    int64_t start = (int64_t)ith * base + (ith < extra ? ith : extra);
    *begin = start;
    *end = start + base + (ith < extra ? 1 : 0);
}

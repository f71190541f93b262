#define _POSIX_C_SOURCE 200809L // clock_gettime and sysconf under -std=c11
#include "threadpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifdef __EMSCRIPTEN__
#include <emscripten/threading.h>
#endif

#include "futex.h"

// How long a thread that waits for the pool's next step watches its word before it sleeps. The
// steps of one forward pass follow each other within microseconds, and waking a sleeping thread
// costs far more than that: in V8 on a 2-core VM a pool round trip with sleeping workers took
// 60 us, 0.5 us with watching ones, and decoding at 2 threads went 1.7x faster. Between passes
// (sampling, the page's messages, an idle tab) the wait outlasts this bound and the thread sleeps.
#define WATCH_MICROSECONDS 100.0

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

    // The task of the current run: written by run before it publishes the run by bumping
    // generation (release), read by workers after they see the new generation (acquire).
    hs_task_fn fn;
    void *ctx;
    bool stopping;
    // Watch before sleeping (WATCH_MICROSECONDS) only when every thread has a core of its own: a
    // watching thread on a shared core would take the time the thread it waits for needs.
    bool may_watch;
    // Bumped once per run; workers sleep on it. A worker compares it with the last generation it
    // ran, so a worker that wakes late still runs the task exactly once, and a spurious wake-up
    // runs nothing. It wraps after 2^32 runs, which only equality tests see: harmless.
    _Atomic uint32_t generation;
    // Workers that have not finished the current run; the caller sleeps on it.
    _Atomic uint32_t pending;
};

static double now_microseconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

// Returns *word (acquire) once it differs from value: watching it for up to WATCH_MICROSECONDS
// where the pool may, then sleeping on it.
static uint32_t wait_for_change(const hs_threadpool *pool, _Atomic uint32_t *word, uint32_t value) {
    uint32_t seen;
    if (pool->may_watch) {
        double deadline = 0;
        for (unsigned i = 1;; i++) {
            if ((seen = atomic_load_explicit(word, memory_order_acquire)) != value) return seen;
            if (i % 256 == 0) { // reading the clock costs more than a load (a JS call in wasm)
                double t = now_microseconds();
                if (deadline == 0) deadline = t + WATCH_MICROSECONDS;
                else if (t > deadline) break;
            }
        }
    }
    while ((seen = atomic_load_explicit(word, memory_order_acquire)) == value) hs_futex_wait(word, value);
    return seen;
}

// Logical cores the system offers this process.
static int online_cores(void) {
#ifdef __EMSCRIPTEN__
    return emscripten_num_logical_cores(); // navigator.hardwareConcurrency in a browser
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#endif
}

static void *worker_main(void *arg) {
    const worker_slot *slot = arg;
    hs_threadpool *pool = slot->pool;
    uint32_t generation_done = 0; // the pool starts at generation 0, which has no task
    for (;;) {
        generation_done = wait_for_change(pool, &pool->generation, generation_done);
        // The caller waits for every worker before it returns from run, so stopping is only ever
        // set between runs: no task is abandoned here.
        if (pool->stopping) break;
        pool->fn(pool->ctx, slot->ith, pool->n_threads);
        // Release: the task's writes are visible to the caller once it sees pending reach zero.
        if (atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel) == 1)
            hs_futex_wake_all(&pool->pending);
    }
    return NULL;
}

// Bumps the generation, which the workers see as a new run (or as the stop signal).
static void publish_run(hs_threadpool *pool) {
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    hs_futex_wake_all(&pool->generation);
}

// Stops and joins the workers started so far; the pool stays allocated.
static void stop_workers(hs_threadpool *pool) {
    if (pool->n_workers == 0) return;
    pool->stopping = true;
    publish_run(pool);
    for (int i = 0; i < pool->n_workers; i++) pthread_join(pool->threads[i], NULL);
    pool->n_workers = 0;
}

hs_threadpool *hs_threadpool_create(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    hs_threadpool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->n_threads = 1;
    if (n_threads == 1) return pool; // runs happen on the caller; no thread is started

    int wanted_workers = n_threads - 1;
    pool->threads = calloc((size_t)wanted_workers, sizeof *pool->threads);
    pool->slots = calloc((size_t)wanted_workers, sizeof *pool->slots);
    if (!pool->threads || !pool->slots) {
        free(pool->threads);
        free(pool->slots);
        free(pool);
        return NULL;
    }
    atomic_init(&pool->generation, 0);
    pool->may_watch = n_threads <= online_cores(); // before any worker reads it
    atomic_init(&pool->pending, 0);
    for (int i = 0; i < wanted_workers; i++) {
        pool->slots[i].pool = pool;
        pool->slots[i].ith = i + 1;
        // A browser may refuse threads beyond its worker pool; fewer threads still work, so keep
        // the ones we have rather than failing the engine.
        if (pthread_create(&pool->threads[i], NULL, worker_main, &pool->slots[i]) != 0) break;
        pool->n_workers++;
    }
    // Workers read it only after the first run's release, which orders this write.
    pool->n_threads = pool->n_workers + 1;
    return pool;
}

void hs_threadpool_free(hs_threadpool *pool) {
    if (!pool) return;
    stop_workers(pool);
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
    pool->fn = fn;
    pool->ctx = ctx;
    // Ordered before the workers' decrements by publish_run's release.
    atomic_store_explicit(&pool->pending, (uint32_t)pool->n_workers, memory_order_relaxed);
    publish_run(pool);

    fn(ctx, 0, pool->n_threads);

    // pending only falls, so waiting for it to leave each value it shows ends at zero.
    uint32_t pending = atomic_load_explicit(&pool->pending, memory_order_acquire);
    while (pending != 0) pending = wait_for_change(pool, &pool->pending, pending);
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

// A persistent pool of worker threads that runs one task on every thread and waits for all of
// them: the engine splits each matmul across threads this way, several times per layer per token.
//
// Waiting threads sleep on a futex (src/futex.h). Within a forward pass the next step follows
// within microseconds, so a waiting thread first watches its word for up to 100 us, and only when
// the pool has no more threads than the system has cores: a watching thread on a shared core would
// steal the time the others need (in a browser the page shares the cores too). An idle pool, as
// between tokens or in an idle tab, sleeps and costs no CPU.
//
// One run at a time: hs_threadpool_run must not be called concurrently on the same pool, nor from
// inside a task.
#ifndef HEARTH_THREADPOOL_H
#define HEARTH_THREADPOOL_H

#include <stdint.h>

typedef struct hs_threadpool hs_threadpool;

// ith in [0, nth): which share of the work this call does. Thread 0 is the caller of run.
typedef void (*hs_task_fn)(void *ctx, int ith, int nth);

// n_threads counts every thread that works, the caller included, so n_threads - 1 workers are
// started (none for 1; values below 1 mean 1). If the system refuses to start a worker the pool
// keeps those it has: hs_threadpool_size tells how many threads a run really uses. NULL only when
// out of memory.
hs_threadpool *hs_threadpool_create(int n_threads);
void hs_threadpool_free(hs_threadpool *pool);
// Threads a run uses, the caller included; 1 for a NULL pool.
int hs_threadpool_size(const hs_threadpool *pool);
// Calls fn(ctx, ith, nth) once for every ith in [0, nth) (ith 0 on the calling thread) and
// returns when all calls have returned; their writes are then visible to the caller. A NULL pool
// runs fn(ctx, 0, 1) on the caller.
void hs_threadpool_run(hs_threadpool *pool, hs_task_fn fn, void *ctx);

// Thread ith's share [*begin, *end) of [0, n): contiguous, in order, sizes differing by at most
// one (the first n % nth shares get the extra element). Empty when n <= 0 or ith >= n.
void hs_split_range(int64_t n, int ith, int nth, int64_t *begin, int64_t *end);

#endif

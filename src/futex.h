// Waiting on a 32-bit word until another thread changes it: the thread pool's only blocking
// primitive. A Linux futex natively; memory.atomic.wait32/notify in a threaded WebAssembly build
// (Atomics.wait under the hood), which Chromium lets a Worker block on.
//
// Why not a mutex and condition variable: a thread can watch a plain word for a while before it
// sleeps on it (src/threadpool.c), which a condition variable does not allow; and each of its
// waits and wake-ups is several atomic operations. (Alone, the change of primitive measured the
// same 60-67 us per pool round trip in V8 on a noisy 2-core VM; the watching is what helped.)
#ifndef HEARTH_FUTEX_H
#define HEARTH_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

// Sleeps while *word == expected; may return early (spuriously), so callers re-check in a loop.
void hs_futex_wait(_Atomic uint32_t *word, uint32_t expected);
// Wakes every thread sleeping in hs_futex_wait on word.
void hs_futex_wake_all(_Atomic uint32_t *word);

#endif

// Waiting on a 32-bit word until another thread changes it: the thread pool's only blocking
// primitive. A Linux futex natively; memory.atomic.wait32/notify in a threaded WebAssembly build
// (Atomics.wait under the hood), which Chromium lets a Worker block on.
//
// Why not a mutex and condition variable: in the browser each of their waits and wake-ups is
// several atomic waits and notifies, and one pool round trip measured 62 us in V8 against 25 us
// for one wait and one notify each way (1.8 us natively). A decoded token makes ~60 round trips.
#ifndef HEARTH_FUTEX_H
#define HEARTH_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

// Sleeps while *word == expected; may return early (spuriously), so callers re-check in a loop.
void hs_futex_wait(_Atomic uint32_t *word, uint32_t expected);
// Wakes every thread sleeping in hs_futex_wait on word.
void hs_futex_wake_all(_Atomic uint32_t *word);

#endif

#if defined(__linux__) && !defined(__EMSCRIPTEN__)
#define _GNU_SOURCE // syscall() under -std=c11
#endif
#include "futex.h"

#include <math.h>

#if defined(__EMSCRIPTEN__)
#include <emscripten/threading.h>

// In the single-thread build the pool starts no worker, so nothing ever waits; emscripten's
// functions are stubs there.
void hs_futex_wait(_Atomic uint32_t *word, uint32_t expected) {
    // emscripten_futex_wait first runs calls that workers proxied to the runtime's main thread (the
    // engine's caller is that thread): a worker blocked on one would otherwise never finish.
    emscripten_futex_wait((volatile void *)word, expected, INFINITY);
}

void hs_futex_wake_all(_Atomic uint32_t *word) { emscripten_futex_wake((volatile void *)word, INT32_MAX); }

#elif defined(__linux__)
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

void hs_futex_wait(_Atomic uint32_t *word, uint32_t expected) {
    // Returns at once (EAGAIN) when *word no longer holds expected: no wake-up can be lost between
    // the caller's check and the sleep.
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

void hs_futex_wake_all(_Atomic uint32_t *word) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

#else
#error "hs_futex_wait needs Linux or Emscripten"
#endif

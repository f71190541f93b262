// A minimal test harness shared by the C tests: CHECK records a failure and goes on; main returns
// test_finish(), which prints "N passed, N failed" and the exit code ctest reads.
#ifndef HEARTH_TEST_HARNESS_H
#define HEARTH_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int test_passed, test_failed;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            test_passed++;                                                      \
        } else {                                                                \
            test_failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

int test_finish(void);
// $SHARED_DIR (set by ctest) joined with a relative path; a static buffer per call slot (4).
const char *shared_path(const char *rel);
// Whole file into malloc'd memory (NUL-terminated); NULL if unreadable.
char *read_file(const char *path, size_t *len);
// Deterministic pseudo-random numbers for tests.
uint32_t test_rand(uint64_t *state);
float test_randf(uint64_t *state); // uniform in [-1, 1)

#endif

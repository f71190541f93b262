// Thread pool: every share runs exactly once per run on its own thread, runs do not overlap, the
// range split covers everything, workers that went to sleep wake for the next run, and a
// one-thread pool starts no thread. Prints the round trip of an empty run, the fixed cost the
// engine pays for every parallel matmul.
#define _POSIX_C_SOURCE 200809L
#include "harness.h"
#include "threadpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_THREADS = 8 };

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Threads of this process per /proc (Linux); -1 where that is not available, and in WebAssembly,
// whose threads are Workers started with the program (/proc there is Node's).
static int process_thread_count(void) {
#ifdef __EMSCRIPTEN__
    return -1;
#else
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    int count = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &count) == 1) break;
    fclose(f);
    return count;
#endif
}

// ---- Each share once, on the right thread ----

typedef struct {
    int calls[MAX_THREADS]; // how often each ith ran in this run
    int nth_seen[MAX_THREADS]; // the nth each call was given
    pthread_t thread[MAX_THREADS];
    int bad_ith; // calls with ith outside [0, nth)
} census;

static void count_calls(void *ctx, int ith, int nth) {
    census *c = ctx;
    if (ith < 0 || ith >= nth || ith >= MAX_THREADS) {
        __atomic_fetch_add(&c->bad_ith, 1, __ATOMIC_RELAXED);
        return;
    }
    c->calls[ith]++;
    c->nth_seen[ith] = nth;
    c->thread[ith] = pthread_self();
}

static void test_each_share_once(int n_threads) {
    hs_threadpool *pool = hs_threadpool_create(n_threads);
    CHECK(pool != NULL, "create(%d)", n_threads);
    if (!pool) return;
    int nth = hs_threadpool_size(pool);
    CHECK(nth == n_threads, "size %d, asked for %d", nth, n_threads);

    census c;
    memset(&c, 0, sizeof c);
    hs_threadpool_run(pool, count_calls, &c);
    CHECK(c.bad_ith == 0, "%d calls with a bad ith", c.bad_ith);
    for (int i = 0; i < nth; i++) {
        CHECK(c.calls[i] == 1, "n=%d: ith %d ran %d times", n_threads, i, c.calls[i]);
        CHECK(c.nth_seen[i] == nth, "n=%d: ith %d saw nth %d", n_threads, i, c.nth_seen[i]);
    }
    CHECK(pthread_equal(c.thread[0], pthread_self()), "n=%d: ith 0 must run on the caller",
          n_threads);
    for (int i = 1; i < nth; i++) {
        CHECK(!pthread_equal(c.thread[i], pthread_self()), "n=%d: ith %d ran on the caller",
              n_threads, i);
        for (int j = 1; j < i; j++)
            CHECK(!pthread_equal(c.thread[i], c.thread[j]), "n=%d: ith %d and %d share a thread",
                  n_threads, i, j);
    }

    // Many runs in a row: still exactly once per run each (a late or doubled wake-up would show).
    enum { RUNS = 20000 };
    memset(&c, 0, sizeof c);
    for (int r = 0; r < RUNS; r++) hs_threadpool_run(pool, count_calls, &c);
    for (int i = 0; i < nth; i++)
        CHECK(c.calls[i] == RUNS, "n=%d: ith %d ran %d times in %d runs", n_threads, i, c.calls[i],
              RUNS);
    CHECK(c.bad_ith == 0, "%d calls with a bad ith", c.bad_ith);
    hs_threadpool_free(pool);
}

// ---- Real work: a sum split over the threads ----

typedef struct {
    const int64_t *values;
    int64_t n;
    int64_t partial[MAX_THREADS];
} sum_job;

static void sum_share(void *ctx, int ith, int nth) {
    sum_job *job = ctx;
    int64_t begin, end, s = 0;
    hs_split_range(job->n, ith, nth, &begin, &end);
    for (int64_t i = begin; i < end; i++) s += job->values[i];
    job->partial[ith] = s;
}

static void test_sum(int n_threads) {
    hs_threadpool *pool = hs_threadpool_create(n_threads);
    if (!pool) {
        CHECK(0, "create");
        return;
    }
    enum { N = 100003 };
    int64_t *values = malloc(N * sizeof *values);
    int64_t expected = 0;
    uint64_t seed = 7;
    for (int i = 0; i < N; i++) expected += values[i] = test_rand(&seed) % 1000;
    int bad_runs = 0;
    for (int run = 0; run < 200; run++) {
        sum_job job = {values, N - run, {0}}; // a different length each time
        hs_threadpool_run(pool, sum_share, &job);
        int64_t total = 0;
        for (int i = 0; i < hs_threadpool_size(pool); i++) total += job.partial[i];
        if (total != expected) bad_runs++;
        expected -= values[N - run - 1];
    }
    CHECK(bad_runs == 0, "n=%d: %d of 200 sums wrong", n_threads, bad_runs);
    free(values);
    hs_threadpool_free(pool);
}

// ---- run returns only after the slowest share ----

static void slow_workers(void *ctx, int ith, int nth) {
    int *done = ctx;
    if (ith > 0) {
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    done[ith] = 1;
}

// With 2 threads the caller watches for the worker first (on a machine with 2 cores or more), and
// 2 ms outlasts the watch, so it then sleeps; with 4 it may sleep at once.
static void test_waits_for_all(int n_threads) {
    hs_threadpool *pool = hs_threadpool_create(n_threads);
    if (!pool) {
        CHECK(0, "create");
        return;
    }
    int missing = 0;
    for (int run = 0; run < 20; run++) {
        int done[MAX_THREADS] = {0};
        hs_threadpool_run(pool, slow_workers, done);
        for (int i = 0; i < hs_threadpool_size(pool); i++) missing += !done[i];
    }
    CHECK(missing == 0, "run returned before %d shares finished", missing);
    hs_threadpool_free(pool);
}

// ---- Runs after pauses longer than the watch: workers have gone to sleep and must wake ----

static void test_runs_after_pauses(int n_threads) {
    hs_threadpool *pool = hs_threadpool_create(n_threads);
    if (!pool) {
        CHECK(0, "create");
        return;
    }
    census c;
    memset(&c, 0, sizeof c);
    enum { RUNS = 40 };
    for (int r = 0; r < RUNS; r++) {
        // 0.1 ms to 0.5 ms: around and past the 100 us a worker watches before it sleeps.
        struct timespec pause = {0, (r % 5 + 1) * 100 * 1000};
        nanosleep(&pause, NULL);
        hs_threadpool_run(pool, count_calls, &c);
    }
    for (int i = 0; i < hs_threadpool_size(pool); i++)
        CHECK(c.calls[i] == RUNS, "n=%d: ith %d ran %d times in %d paused runs", n_threads, i, c.calls[i], RUNS);
    hs_threadpool_free(pool);
}

// ---- One thread means no thread ----

static void test_single_thread(void) {
    int before = process_thread_count();
    hs_threadpool *pool = hs_threadpool_create(1);
    CHECK(pool != NULL, "create(1)");
    CHECK(hs_threadpool_size(pool) == 1, "size %d", hs_threadpool_size(pool));
    if (before >= 0) {
        int during = process_thread_count();
        CHECK(during == before, "create(1) started %d threads", during - before);
    }
    hs_threadpool_free(pool);

    pool = hs_threadpool_create(0); // nonsense counts mean one thread
    CHECK(pool && hs_threadpool_size(pool) == 1, "create(0) should give a one-thread pool");
    hs_threadpool_free(pool);
    CHECK(hs_threadpool_size(NULL) == 1, "size(NULL)");
    census c;
    memset(&c, 0, sizeof c);
    hs_threadpool_run(NULL, count_calls, &c);
    CHECK(c.calls[0] == 1 && c.nth_seen[0] == 1, "run(NULL) runs once on the caller");

    if (before >= 0) {
        pool = hs_threadpool_create(3);
        int during = process_thread_count();
        CHECK(during == before + 2, "create(3) started %d threads, want 2", during - before);
        hs_threadpool_free(pool);
        CHECK(process_thread_count() == before, "free left threads behind");
    }
}

// ---- Range split ----

static void test_split_range(void) {
    static const int64_t lengths[] = {0, 1, 2, 3, 7, 64, 100, 4097};
    int problems = 0;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        for (int nth = 1; nth <= 9; nth++) {
            int64_t n = lengths[li], expected_begin = 0, smallest = n, largest = 0;
            for (int ith = 0; ith < nth; ith++) {
                int64_t b, e;
                hs_split_range(n, ith, nth, &b, &e);
                if (b != expected_begin || e < b) problems++;
                expected_begin = e;
                if (e - b < smallest) smallest = e - b;
                if (e - b > largest) largest = e - b;
            }
            if (expected_begin != n) problems++;
            if (largest - smallest > 1) problems++;
        }
    }
    CHECK(problems == 0, "%d split problems", problems);
    int64_t b, e;
    hs_split_range(10, 0, 3, &b, &e);
    CHECK(b == 0 && e == 4, "10/3 share 0 = [%lld, %lld)", (long long)b, (long long)e);
    hs_split_range(10, 2, 3, &b, &e);
    CHECK(b == 7 && e == 10, "10/3 share 2 = [%lld, %lld)", (long long)b, (long long)e);
    hs_split_range(-5, 0, 2, &b, &e);
    CHECK(b == e, "negative length gives an empty share");
}

// ---- Create and free repeatedly (a shutdown race would hang or crash here) ----

static void test_create_free_cycles(void) {
    census c;
    int ok = 1;
    for (int i = 0; i < 200; i++) {
        hs_threadpool *pool = hs_threadpool_create(1 + i % 4);
        if (!pool) {
            ok = 0;
            break;
        }
        if (i % 2) { // half of them are freed without ever running
            memset(&c, 0, sizeof c);
            hs_threadpool_run(pool, count_calls, &c);
            for (int t = 0; t < hs_threadpool_size(pool); t++) ok &= c.calls[t] == 1;
        }
        hs_threadpool_free(pool);
    }
    CHECK(ok, "create/run/free cycles");
}

static void do_nothing(void *ctx, int ith, int nth) {}

static void report_round_trip(int n_threads) {
    hs_threadpool *pool = hs_threadpool_create(n_threads);
    if (!pool) return;
    for (int i = 0; i < 1000; i++) hs_threadpool_run(pool, do_nothing, NULL); // warm up
    enum { RUNS = 20000 };
    double start = now_seconds();
    for (int i = 0; i < RUNS; i++) hs_threadpool_run(pool, do_nothing, NULL);
    double per_run = (now_seconds() - start) / RUNS;
    printf("empty run round trip, %d threads: %.2f us\n", n_threads, per_run * 1e6);
    hs_threadpool_free(pool);
}

int main(void) {
    static const int thread_counts[] = {1, 2, 4};
    for (int i = 0; i < 3; i++) {
        test_each_share_once(thread_counts[i]);
        test_sum(thread_counts[i]);
        test_runs_after_pauses(thread_counts[i]);
    }
    test_waits_for_all(2);
    test_waits_for_all(4);
    test_single_thread();
    test_split_range();
    test_create_free_cycles();
    for (int i = 0; i < 3; i++) report_round_trip(thread_counts[i]);
    return test_finish();
}

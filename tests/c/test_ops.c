// The layer operations: the fastest built (SIMD128 under WebAssembly, tests/c run there by
// scripts/test-wasm-c.sh) against the scalar reference on random inputs of every length up to
// 70 (vector bodies and scalar tails). rope and add must be bit-exact; rmsnorm and softmax
// (sums in another order) and swiglu and softmax (their own exp) within a few ulp, with inf,
// -inf and NaN inputs giving what the reference gives.
#include <math.h>
#include <string.h>

#include "harness.h"
#include "ops.h"

#define MAX_N 70

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

// Elements of y that differ from want by more than rel * |want| + abs (NaN must meet NaN,
// infinities their own sign).
static int differ(const float *y, const float *want, int n, float rel, float abs) {
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(want[i]) || isinf(want[i])) bad += isnan(want[i]) ? !isnan(y[i]) : y[i] != want[i];
        else bad += !(fabsf(y[i] - want[i]) <= rel * fabsf(want[i]) + abs);
    }
    return bad;
}

static int differ_bits(const float *y, const float *want, int n) {
    int bad = 0;
    for (int i = 0; i < n; i++) bad += isnan(want[i]) ? !isnan(y[i]) : bits(y[i]) != bits(want[i]);
    return bad;
}

// A quiet NaN with payload bits (its low mantissa bits set): an exp that works on the bits must
// still give a NaN for it.
static float nan_with_payload(uint32_t payload) {
    const uint32_t u = 0x7fc00000u | payload;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void fill(float *x, int n, float range, uint64_t *seed) {
    for (int i = 0; i < n; i++) x[i] = test_randf(seed) * range;
}

static void test_exact_ops(void) {
    uint64_t seed = 3;
    float a[MAX_N], b[MAX_N], want[MAX_N], cache[MAX_N];
    int bad_add = 0, bad_norm = 0, bad_neox = 0;
    for (int n = 1; n <= MAX_N; n++) {
        fill(a, n, 100, &seed);
        fill(b, n, 100, &seed);
        memcpy(want, a, sizeof a);
        hs_add(a, b, n);
        hs_add_ref(want, b, n);
        bad_add += differ_bits(a, want, n);
        if (n % 2) continue;
        fill(a, n, 4, &seed);
        for (int i = 0; i < n / 2; i++) {
            const float angle = test_randf(&seed) * 100;
            cache[2 * i] = cosf(angle);
            cache[2 * i + 1] = sinf(angle);
        }
        memcpy(want, a, sizeof a);
        hs_rope_norm(a, n, cache);
        hs_rope_norm_ref(want, n, cache);
        bad_norm += differ_bits(a, want, n);
        memcpy(want, a, sizeof a);
        hs_rope_neox(a, n, cache);
        hs_rope_neox_ref(want, n, cache);
        bad_neox += differ_bits(a, want, n);
    }
    CHECK(bad_add == 0, "add: %d elements differ from the reference", bad_add);
    CHECK(bad_norm == 0, "rope_norm: %d elements differ from the reference", bad_norm);
    CHECK(bad_neox == 0, "rope_neox: %d elements differ from the reference", bad_neox);
}

static void test_rmsnorm(void) {
    uint64_t seed = 5;
    float x[MAX_N], w[MAX_N], y[MAX_N], want[MAX_N];
    int bad = 0;
    for (int n = 1; n <= MAX_N; n++) {
        fill(x, n, 10, &seed);
        fill(w, n, 2, &seed);
        hs_rmsnorm(y, x, w, n, 1e-5f);
        hs_rmsnorm_ref(want, x, w, n, 1e-5f);
        bad += differ(y, want, n, 1e-6f, 0);
    }
    CHECK(bad == 0, "rmsnorm: %d elements differ from the reference by more than 1e-6 relative", bad);
}

static void test_softmax(void) {
    uint64_t seed = 7;
    float x[MAX_N], want[MAX_N];
    int bad = 0;
    for (int round = 0; round < 4; round++) {
        const float range = round == 0 ? 1 : round == 1 ? 20 : 200; // 200: most terms underflow
        for (int n = 1; n <= MAX_N; n++) {
            fill(x, n, range, &seed);
            if (round == 3) x[(n * 7) % n] = (n % 3 == 0) ? -INFINITY : (n % 3 == 1) ? INFINITY : n % 2 ? NAN : nan_with_payload(0x1ff);
            memcpy(want, x, sizeof x);
            hs_softmax(x, n, 0.125f);
            hs_softmax_ref(want, n, 0.125f);
            bad += differ(x, want, n, 1e-6f, 1e-37f);
        }
    }
    CHECK(bad == 0, "softmax: %d elements differ from the reference beyond tolerance", bad);
}

static void test_swiglu(void) {
    uint64_t seed = 9;
    float g[MAX_N], up[MAX_N], y[MAX_N], want[MAX_N];
    int bad = 0;
    for (int round = 0; round < 4; round++) {
        const float range = round == 0 ? 1 : round == 1 ? 10 : 200; // 200: e^-g overflows and underflows
        for (int n = 1; n <= MAX_N; n++) {
            fill(g, n, range, &seed);
            fill(up, n, 3, &seed);
            if (round == 3) g[(n * 5) % n] = (n % 3 == 0) ? -INFINITY : (n % 3 == 1) ? INFINITY : n % 2 ? NAN : nan_with_payload(0x1ff);
            hs_swiglu(y, g, up, n);
            hs_swiglu_ref(want, g, up, n);
            bad += differ(y, want, n, 1e-6f, 1e-37f);
        }
    }
    CHECK(bad == 0, "swiglu: %d elements differ from the reference beyond tolerance", bad);
}

int main(void) {
    test_exact_ops();
    test_rmsnorm();
    test_softmax();
    test_swiglu();
    return test_finish();
}

// The attention vector helpers: the fastest built (SIMD128 under WebAssembly) against the scalar
// reference. axpy must be bit-exact; dot products may add in another order (tolerance); the F16
// conversion inside them must be exact for every one of the 65536 halves.
#include <math.h>
#include <string.h>

#include "harness.h"
#include "vec.h"

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void test_every_half(void) {
    static hs_f16 h[65536];
    static float y[65536], want[65536];
    for (int i = 0; i < 65536; i++) h[i] = (hs_f16)i;
    memset(y, 0, sizeof y);
    memset(want, 0, sizeof want);
    hs_axpy_f16(y, 1.0f, h, 65536);
    hs_axpy_f16_ref(want, 1.0f, h, 65536);
    int bad = 0;
    for (int i = 0; i < 65536; i++) {
        if (isnan(want[i]) ? !isnan(y[i]) : bits(y[i]) != bits(want[i])) bad++;
    }
    CHECK(bad == 0, "%d halves convert differently", bad);
}

static void test_random(void) {
    uint64_t seed = 7;
    float a[300], b[300], y1[300], y2[300];
    hs_f16 bh[300];
    for (int round = 0; round < 200; round++) {
        int n = 1 + (int)(test_rand(&seed) % 300);
        double mag = 0;
        for (int i = 0; i < n; i++) {
            a[i] = test_randf(&seed) * 4;
            b[i] = test_randf(&seed) * 4;
            bh[i] = hs_f32_to_f16(b[i]);
            y1[i] = y2[i] = test_randf(&seed);
            mag += fabs((double)a[i] * b[i]);
        }
        float d = hs_dot_f32(a, b, n), dr = hs_dot_f32_ref(a, b, n);
        CHECK(fabs(d - dr) <= 1e-5 * mag + 1e-6, "dot_f32 n=%d: %g vs %g", n, d, dr);
        d = hs_dot_f32_f16(a, bh, n);
        dr = hs_dot_f32_f16_ref(a, bh, n);
        CHECK(fabs(d - dr) <= 1e-5 * mag + 1e-6, "dot_f32_f16 n=%d: %g vs %g", n, d, dr);
        float s = test_randf(&seed);
        hs_axpy_f32(y1, s, b, n);
        hs_axpy_f32_ref(y2, s, b, n);
        CHECK(memcmp(y1, y2, (size_t)n * sizeof(float)) == 0, "axpy_f32 n=%d differs", n);
        hs_axpy_f16(y1, s, bh, n);
        hs_axpy_f16_ref(y2, s, bh, n);
        CHECK(memcmp(y1, y2, (size_t)n * sizeof(float)) == 0, "axpy_f16 n=%d differs", n);
    }
}

int main(void) {
    test_every_half();
    test_random();
    return test_finish();
}

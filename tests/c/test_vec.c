// The attention vector helpers: the fastest built (SIMD128 under WebAssembly) against the scalar
// reference. axpy and mix_rows must be bit-exact; dot products may add in another order
// (tolerance); the F16 conversion inside mix_rows must be exact for every one of the 65536 halves,
// on its fast path (the finite ones) and on its way back to the reference (any inf or NaN).
#include <math.h>
#include <string.h>

#include "harness.h"
#include "vec.h"

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static int mismatches(const float *y, const float *want, int n) {
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(want[i]) ? !isnan(y[i]) : bits(y[i]) != bits(want[i])) bad++;
    }
    return bad;
}

static void test_every_half(void) {
    static hs_f16 h[65536], finite[65536];
    static float y[65536], want[65536];
    int n_finite = 0;
    for (int i = 0; i < 65536; i++) {
        h[i] = (hs_f16)i;
        if ((i & 0x7c00) != 0x7c00) finite[n_finite++] = (hs_f16)i;
    }
    const hs_f16 one = 0x3c00;
    hs_mix_rows_f16_ref(want, &one, finite, 0, 1, n_finite);
    for (int rows_finite = 0; rows_finite < 2; rows_finite++) {
        hs_mix_rows_f16(y, &one, finite, 0, 1, n_finite, rows_finite);
        CHECK(mismatches(y, want, n_finite) == 0, "%d finite halves convert differently (rows_finite %d)",
              mismatches(y, want, n_finite), rows_finite);
    }
    hs_mix_rows_f16(y, &one, h, 0, 1, 65536, false);
    hs_mix_rows_f16_ref(want, &one, h, 0, 1, 65536);
    CHECK(mismatches(y, want, 65536) == 0, "%d halves convert differently", mismatches(y, want, 65536));
}

// Rows of a head inside wider cache rows (stride > n), as attention reads them; up to 700 rows
// (mix_rows takes them in chunks of 256), probabilities down to F16 subnormals, and now and then
// an infinite probability (the reference's way).
static void test_rows(void) {
    uint64_t seed = 11;
    enum { ROWS = 700 };
    static hs_f16 v[ROWS * 300];
    static float dots[ROWS], dots_want[ROWS];
    hs_f16 p[ROWS], q[300];
    float y[300], want[300];
    for (int round = 0; round < 200; round++) {
        const int n = 1 + (int)(test_rand(&seed) % 150), n_rows = 1 + (int)(test_rand(&seed) % (round % 4 ? 200 : ROWS));
        const size_t stride = (size_t)n + test_rand(&seed) % 150;
        for (int j = 0; j < n_rows; j++) {
            p[j] = hs_f32_to_f16(test_randf(&seed) * (j % 3 ? 1.0f : 1e-6f));
            for (int i = 0; i < n; i++) v[(size_t)j * stride + i] = hs_f32_to_f16(test_randf(&seed) * 8);
        }
        if (round % 10 == 4) p[n_rows / 2] = 0x7c00;
        double mag = 0;
        for (int i = 0; i < n; i++) {
            q[i] = hs_f32_to_f16(test_randf(&seed) * 4);
            mag += fabs(hs_f16_to_f32(q[i])) * 8;
        }
        const bool inf_row = round % 10 == 9;
        if (inf_row) v[(size_t)(n_rows - 1) * stride + (size_t)(n - 1)] = 0x7c00; // +inf: the reference's way
        hs_dot_rows_f16_ref(dots_want, q, v, stride, n_rows, n);
        hs_mix_rows_f16_ref(want, p, v, stride, n_rows, n);
        // rows known free of inf / NaN (as attention knows its cache): the same results without looking
        for (int rows_finite = 0; rows_finite <= !inf_row; rows_finite++) {
            hs_dot_rows_f16(dots, q, v, stride, n_rows, n, rows_finite);
            int bad = 0;
            for (int j = 0; j < n_rows; j++) {
                if (isinf(dots_want[j]) || isnan(dots_want[j])) bad += bits(dots[j]) != bits(dots_want[j]);
                else bad += !(fabs(dots[j] - dots_want[j]) <= 1e-5 * mag + 1e-6);
            }
            CHECK(bad == 0, "dot_rows n=%d rows=%d stride=%zu (rows_finite %d): %d rows differ", n, n_rows, stride,
                  rows_finite, bad);
            hs_mix_rows_f16(y, p, v, stride, n_rows, n, rows_finite);
            CHECK(mismatches(y, want, n) == 0, "mix_rows n=%d rows=%d stride=%zu (rows_finite %d): %d elements differ", n,
                  n_rows, stride, rows_finite, mismatches(y, want, n));
        }
    }
}

// Several queries on the same rows (a prefill's tokens of one head): each query's scores and
// output must be exactly its single call's, for 1 to HS_ROWS_QUERIES queries with row counts apart
// (consecutive tokens, and further apart, across the 256-row chunks of mix_rows), with an inf in
// a row some queries read and others do not, in one query's q, in one query's probabilities.
static void test_multi(void) {
    uint64_t seed = 23;
    enum { ROWS = 600, N_MAX = 136 };
    static hs_f16 v[ROWS * 200];
    static hs_f16 p[HS_ROWS_QUERIES][ROWS];
    static float dots[HS_ROWS_QUERIES][ROWS], dots_want[HS_ROWS_QUERIES][ROWS];
    hs_f16 q[HS_ROWS_QUERIES][N_MAX];
    float y[HS_ROWS_QUERIES][N_MAX], want[HS_ROWS_QUERIES][N_MAX];
    int bad_dots = 0, bad_mix = 0, calls = 0;
    for (int round = 0; round < 300; round++) {
        const int nq = 1 + round % HS_ROWS_QUERIES;
        const int n = round % 7 == 3 ? 1 + (int)(test_rand(&seed) % N_MAX) : 8 * (1 + (int)(test_rand(&seed) % (N_MAX / 8)));
        const size_t stride = (size_t)n + test_rand(&seed) % 70;
        int n_rows[HS_ROWS_QUERIES], most = 0;
        const int base = (int)(test_rand(&seed) % (round % 5 ? 80 : ROWS - 4));
        for (int i = 0; i < nq; i++) {
            n_rows[i] = round % 3 ? base + i + (round % 2) : (int)(test_rand(&seed) % ROWS); // consecutive tokens, or any
            if (n_rows[i] > most) most = n_rows[i];
        }
        for (int j = 0; j < most; j++)
            for (int i = 0; i < n; i++) v[(size_t)j * stride + i] = hs_f32_to_f16(test_randf(&seed) * 8);
        for (int i = 0; i < nq; i++) {
            for (int e = 0; e < n; e++) q[i][e] = hs_f32_to_f16(test_randf(&seed) * 4);
            for (int j = 0; j < n_rows[i]; j++) p[i][j] = hs_f32_to_f16(test_randf(&seed) * (j % 3 ? 1.0f : 1e-6f));
        }
        const bool inf_row = round % 9 == 5 && most > 0;
        if (inf_row) v[(size_t)(most - 1) * stride] = 0x7c00; // read only by the queries with the most rows
        if (round % 9 == 7) q[nq - 1][n / 2] = 0xfc00;
        if (round % 9 == 8 && n_rows[0] > 0) p[0][n_rows[0] - 1] = 0x7e00;
        float *out[HS_ROWS_QUERIES], *ys[HS_ROWS_QUERIES];
        const hs_f16 *qs[HS_ROWS_QUERIES], *ps[HS_ROWS_QUERIES];
        for (int i = 0; i < nq; i++) out[i] = dots[i], ys[i] = y[i], qs[i] = q[i], ps[i] = p[i];
        for (int rows_finite = 0; rows_finite <= !inf_row; rows_finite++) {
            for (int i = 0; i < nq; i++) {
                hs_dot_rows_f16(dots_want[i], q[i], v, stride, n_rows[i], n, rows_finite);
                hs_mix_rows_f16(want[i], p[i], v, stride, n_rows[i], n, rows_finite);
            }
            hs_dot_rows_f16_multi(out, qs, nq, v, stride, n_rows, n, rows_finite);
            hs_mix_rows_f16_multi(ys, ps, nq, v, stride, n_rows, n, rows_finite);
            for (int i = 0; i < nq; i++) {
                bad_dots += mismatches(dots[i], dots_want[i], n_rows[i]);
                bad_mix += mismatches(y[i], want[i], n);
            }
            calls++;
        }
    }
    CHECK(bad_dots == 0, "dot_rows_multi: %d scores differ from the single-query calls' (%d calls)", bad_dots, calls);
    CHECK(bad_mix == 0, "mix_rows_multi: %d outputs differ from the single-query calls' (%d calls)", bad_mix, calls);
}

// The F16 traits' all_finite (the check attention makes of each row it writes to the cache), fast
// and reference, on every half, at every position of a row of 21 (SIMD blocks and the tail).
static void test_row_finite(void) {
    const hs_quant_traits *fast = hs_quant_traits_get(HS_TYPE_F16), *ref = hs_quant_traits_ref(HS_TYPE_F16);
    hs_f16 row[21];
    int wrong = 0;
    for (int h = 0; h < 65536; h++) {
        for (int i = 0; i < 21; i++) row[i] = 0x3c00;
        row[h % 21] = (hs_f16)h;
        const bool want = (h & 0x7c00) != 0x7c00;
        wrong += fast->all_finite(row, sizeof row) != want || ref->all_finite(row, sizeof row) != want;
    }
    CHECK(wrong == 0, "F16 all_finite wrong on %d halves", wrong);
    CHECK(fast->all_finite(row, 0) && ref->all_finite(row, 0), "an empty row is finite");
}

static void test_random(void) {
    uint64_t seed = 7;
    float a[300], b[300], y1[300], y2[300];
    for (int round = 0; round < 200; round++) {
        int n = 1 + (int)(test_rand(&seed) % 300);
        double mag = 0;
        for (int i = 0; i < n; i++) {
            a[i] = test_randf(&seed) * 4;
            b[i] = test_randf(&seed) * 4;
            y1[i] = y2[i] = test_randf(&seed);
            mag += fabs((double)a[i] * b[i]);
        }
        float d = hs_dot_f32(a, b, n), dr = hs_dot_f32_ref(a, b, n);
        CHECK(fabs(d - dr) <= 1e-5 * mag + 1e-6, "dot_f32 n=%d: %g vs %g", n, d, dr);
        float s = test_randf(&seed);
        hs_axpy_f32(y1, s, b, n);
        hs_axpy_f32_ref(y2, s, b, n);
        CHECK(memcmp(y1, y2, (size_t)n * sizeof(float)) == 0, "axpy_f32 n=%d differs", n);
    }
}

int main(void) {
    test_every_half();
    test_row_finite();
    test_random();
    test_rows();
    test_multi();
    return test_finish();
}

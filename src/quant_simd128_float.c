// WebAssembly SIMD128 kernels for the float element types F32, F16 and BF16: dot products, the
// F16 / BF16 activation converters (byte for byte hs_f32_to_f16 / hs_f32_to_bf16) and the
// F16 / BF16 row decoders.
//
// The dot products accumulate in four f32x4 accumulators (the reference accumulates one double);
// each product is formed in float exactly as the reference forms it. An F16 or BF16 product of
// two finite values is exact in float (11 + 11 and 8 + 8 significant bits), so only the order
// and precision of the additions differ.
//
// F16 decoding uses the shift-and-multiply trick (see quant_simd128.h) rather than a 64 Ki-entry
// table: WebAssembly has no gather, so a table costs a scalar load and a lane insert per element,
// against two or three vector operations per four elements.
#ifdef __wasm_simd128__

#include "quant_simd128.h"

#include <stdlib.h>


// The final sum of the four accumulators every dot product here keeps (the F16 gemm too, so that
// its results are vec_dot's).
static inline float sum_accumulators(v128_t acc0, v128_t acc1, v128_t acc2, v128_t acc3) {
    return hs_simd128_hsum_f32x4(wasm_f32x4_add(wasm_f32x4_add(acc0, acc1), wasm_f32x4_add(acc2, acc3)));
}

// {sum_accumulators of a, b, c, d} (four accumulators each): the same additions in the same
// order, four at a time. hs_simd128_hsum_f32x4 gives (v0 + v2) + (v1 + v3).
static inline v128_t sum4_accumulators(const v128_t *a, const v128_t *b, const v128_t *c, const v128_t *d) {
    const v128_t va = wasm_f32x4_add(wasm_f32x4_add(a[0], a[1]), wasm_f32x4_add(a[2], a[3]));
    const v128_t vb = wasm_f32x4_add(wasm_f32x4_add(b[0], b[1]), wasm_f32x4_add(b[2], b[3]));
    const v128_t vc = wasm_f32x4_add(wasm_f32x4_add(c[0], c[1]), wasm_f32x4_add(c[2], c[3]));
    const v128_t vd = wasm_f32x4_add(wasm_f32x4_add(d[0], d[1]), wasm_f32x4_add(d[2], d[3]));
    // {a0 + a2, a1 + a3, b0 + b2, b1 + b3} and the same for c, d; then the pairs' sums
    const v128_t ab = wasm_f32x4_add(wasm_i32x4_shuffle(va, vb, 0, 1, 4, 5), wasm_i32x4_shuffle(va, vb, 2, 3, 6, 7));
    const v128_t cd = wasm_f32x4_add(wasm_i32x4_shuffle(vc, vd, 0, 1, 4, 5), wasm_i32x4_shuffle(vc, vd, 2, 3, 6, 7));
    return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 2, 4, 6), wasm_i32x4_shuffle(ab, cd, 1, 3, 5, 7));
}

// ---- F32 ----

void hs_vec_dot_f32_simd128(int n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    // Four independent accumulators hide the latency of the f32x4.add chains.
    v128_t acc0 = wasm_f32x4_const_splat(0.0f), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(x + i), wasm_v128_load(y + i)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(x + i + 4), wasm_v128_load(y + i + 4)));
        acc2 = wasm_f32x4_add(acc2, wasm_f32x4_mul(wasm_v128_load(x + i + 8), wasm_v128_load(y + i + 8)));
        acc3 = wasm_f32x4_add(acc3, wasm_f32x4_mul(wasm_v128_load(x + i + 12), wasm_v128_load(y + i + 12)));
    }
    for (; i + 4 <= n; i += 4) {
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(x + i), wasm_v128_load(y + i)));
    }
    float sum = sum_accumulators(acc0, acc1, acc2, acc3);
    for (; i < n; i++) sum += x[i] * y[i];
    *s = sum;
}

// ---- F16 / BF16 lane split ----
//
// A dot product does not care about element order, so eight packed 16-bit values are split into
// the even elements (shifted up into the high halves: one shift) and the odd ones (already in the
// high halves: one mask) instead of being widened in order.

static inline v128_t even_halves_high(v128_t v) { return wasm_i32x4_shl(v, 16); }

static inline v128_t odd_halves_high(v128_t v) {
    return wasm_v128_and(v, wasm_i32x4_const_splat((int32_t)0xffff0000));
}

// ---- F16 ----

// Eight F16s as two f32x4, the even elements and the odd ones, by the finite-only conversion (the
// caller checks with exponent_probe).
static inline void f16x8_to_split_f32(v128_t h, v128_t *even, v128_t *odd) {
    *even = hs_simd128_f16hi_to_f32_finite(even_halves_high(h));
    *odd = hs_simd128_f16hi_to_f32_finite(odd_halves_high(h));
}

// acc += x * y for eight F16 pairs.
static inline void f16x8_fma(v128_t *acc_even, v128_t *acc_odd, v128_t x, v128_t y) {
    v128_t xe, xo, ye, yo;
    f16x8_to_split_f32(x, &xe, &xo);
    f16x8_to_split_f32(y, &ye, &yo);
    *acc_even = hs_simd128_madd_exact_product(xe, ye, *acc_even);
    *acc_odd = hs_simd128_madd_exact_product(xo, yo, *acc_odd);
}

// Doubling an f16 drops its sign bit; the result is >= 0xf800 exactly when the exponent is 31.
static inline v128_t exponent_probe(v128_t h) { return wasm_i16x8_add(h, h); }

// Whether a running unsigned maximum of exponent_probe values saw an inf or NaN.
static inline bool probe_hit(v128_t probe) {
    return wasm_v128_any_true(wasm_u16x8_ge(probe, wasm_u16x8_const_splat(0xf800)));
}

void hs_vec_dot_f16_simd128(int n, float *s, const void *vx, const void *vy) {
    const hs_f16 *x = vx, *y = vy;
    v128_t acc0 = wasm_f32x4_const_splat(0.0f), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    // Running unsigned maximum of the probes: infinities and NaNs are rare enough that one check
    // after the loop (and a rerun by the reference) is cheaper than exact conversions inside it.
    v128_t probe = wasm_i16x8_const_splat(0);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        const v128_t x0 = wasm_v128_load(x + i), x1 = wasm_v128_load(x + i + 8);
        const v128_t y0 = wasm_v128_load(y + i), y1 = wasm_v128_load(y + i + 8);
        probe = wasm_u16x8_max(probe, wasm_u16x8_max(wasm_u16x8_max(exponent_probe(x0), exponent_probe(x1)),
                                                     wasm_u16x8_max(exponent_probe(y0), exponent_probe(y1))));
        f16x8_fma(&acc0, &acc1, x0, y0);
        f16x8_fma(&acc2, &acc3, x1, y1);
    }
    for (; i + 8 <= n; i += 8) {
        const v128_t x0 = wasm_v128_load(x + i), y0 = wasm_v128_load(y + i);
        probe = wasm_u16x8_max(probe, wasm_u16x8_max(exponent_probe(x0), exponent_probe(y0)));
        f16x8_fma(&acc0, &acc1, x0, y0);
    }
    if (probe_hit(probe)) {
        hs_vec_dot_f16_ref(n, s, vx, vy);
        return;
    }
    float sum = sum_accumulators(acc0, acc1, acc2, acc3);
    for (; i < n; i++) sum += hs_simd128_f16_to_f32(x[i]) * hs_simd128_f16_to_f32(y[i]);
    *s = sum;
}

// ---- F16 and BF16 gemm (prefill) ----
//
// vec_dot converts both operands on every call: per 16 elements, eight conversions for four
// multiplies. Here the tokens are converted once per call (the matmul hands over a thread's whole
// range of rows: gemm_whole_range), then a tile of up to GEMM_ROWS weight rows meets a whole group
// of up to ACT_TOKENS converted tokens, K walked in chunks of GEMM_CHUNK elements: the tile's rows are converted once
// per chunk for all its tokens (16 KiB, which stay in L1), and the tokens come four at a time (4
// KiB), each four meeting every pair of rows before the next four come in; only the tile's sums
// (64 KiB) go through L2 between chunks. (Before 12-08 the tile was 16 rows x 32 tokens in chunks
// of 128, row pairs outside and tokens inside: each row pair's chunk was converted for every 32
// tokens, and all 32 KiB of sums went through L2 every chunk; alternating browser runs on Zen 3,
// F16 pp64, six pairs: 1 thread 123 -> 144 tok/s, 2 threads 203 -> 242.) Each (row, token) keeps
// vec_dot's four accumulators with the same lanes, products and order, so every result is
// vec_dot's bit for bit (the test checks it); F16 rows or tokens holding an inf or NaN are rerun by
// the reference as vec_dot does. BF16 goes the same way with its own conversion (a shift or a
// mask) and vec_dot's multiply then add (its products can round below float's normal range, so
// the fused form would not give vec_dot's bits; the plain mul and add run on other ports of this
// machine's FPU, so the pair costs about what the fused one does).
#define GEMM_ROWS 16
#define ACT_TOKENS 64 // tokens converted at a time (convert_activations), all in one tile
#define GEMM_CHUNK 256 // a multiple of 16; the tile's converted chunks fill 16 KiB of L1
// (8 rows x 512 measured the same as 16 x 256, 32 x 128 slower at 1 thread)

// 16 F16s (or BF16s) at p as four f32x4 in vec_dot's lane split: even 0..7, odd 0..7, even 8..15,
// odd 8..15; with check, F16's exponent probe taken into *probe. F16 weights and activations come out scaled
// as the mat-vec's (below): weights by 2^-112 (the shifted bits, no multiply: a tenth of the
// gemm's time went to the conversion, and its multiplies take the multiply-add's ports),
// activations, converted once per call, by 2^112; their products are the unscaled ones exactly.
static inline __attribute__((always_inline)) void half16_to_split_f32(const uint16_t *p, v128_t *out, v128_t *probe,
                                                                       const bool check, const bool activation,
                                                                       const bool bf16) {
    const v128_t a = wasm_v128_load(p), b = wasm_v128_load(p + 8);
    if (bf16) { // a BF16 in the high half of a lane is already that float
        out[0] = even_halves_high(a), out[1] = odd_halves_high(a);
        out[2] = even_halves_high(b), out[3] = odd_halves_high(b);
        return;
    }
    if (check) *probe = wasm_u16x8_max(*probe, wasm_u16x8_max(exponent_probe(a), exponent_probe(b)));
    if (activation) { // x * 2^112 stays finite, as |x| <= 65504 (an inf or NaN is rerun)
        f16x8_to_split_f32(a, &out[0], &out[1]);
        f16x8_to_split_f32(b, &out[2], &out[3]);
        for (int k = 0; k < 4; k++) out[k] = wasm_f32x4_mul(out[k], wasm_f32x4_const_splat(0x1p112f));
    } else {
        hs_simd128_f16x8_split_scaled(a, &out[0], &out[1]);
        hs_simd128_f16x8_split_scaled(b, &out[2], &out[3]);
    }
}

// acc + x * y as the type's vec_dot forms it.
static inline v128_t product_add(v128_t x, v128_t y, v128_t acc, const bool bf16) {
    return bf16 ? wasm_f32x4_add(acc, wasm_f32x4_mul(x, y)) : hs_simd128_madd_exact_product(x, y, acc);
}

// acc[r][t][k] += the products of converted rows w[r] and tokens act[t] in vec_dot's accumulator
// k (vectors k, k + 4, k + 8, ... of the chunk). Two rows x four tokens per pass: six loads feed
// eight multiply-adds (one row x one token needed two loads for each), and the eight independent
// sums hide the adder's latency; one accumulator at a time keeps them in registers (V8 uses 16).
// The first chunk starts the sums at zero (zeroing the tile's sums beforehand cost 2-3 %).
// The rows and tokens sit GEMM_CHUNK / 4 vectors apart, so each load is one pointer plus a
// constant offset (six pointers stepped apart measured slower).
#define CHUNK_VECTORS (GEMM_CHUNK / 4)
static inline __attribute__((always_inline)) void gemm_block_2x4(int vectors, const v128_t *w, const v128_t *a,
                                                                  v128_t acc0[][4], v128_t acc1[][4], const bool first,
                                                                  const bool bf16) {
    const v128_t zero = wasm_f32x4_const_splat(0.0f);
    for (int k = 0; k < 4; k++) {
        v128_t s00 = zero, s01 = zero, s02 = zero, s03 = zero, s10 = zero, s11 = zero, s12 = zero, s13 = zero;
        if (!first) {
            s00 = acc0[0][k], s01 = acc0[1][k], s02 = acc0[2][k], s03 = acc0[3][k];
            s10 = acc1[0][k], s11 = acc1[1][k], s12 = acc1[2][k], s13 = acc1[3][k];
        }
        const v128_t *wj = w + k, *aj = a + k, *const w_end = w + vectors;
        for (; wj < w_end; wj += 4, aj += 4) {
            const v128_t x0 = wj[0], x1 = wj[CHUNK_VECTORS];
            const v128_t y0 = aj[0], y1 = aj[CHUNK_VECTORS], y2 = aj[2 * CHUNK_VECTORS], y3 = aj[3 * CHUNK_VECTORS];
            s00 = product_add(x0, y0, s00, bf16), s01 = product_add(x0, y1, s01, bf16);
            s02 = product_add(x0, y2, s02, bf16), s03 = product_add(x0, y3, s03, bf16);
            s10 = product_add(x1, y0, s10, bf16), s11 = product_add(x1, y1, s11, bf16);
            s12 = product_add(x1, y2, s12, bf16), s13 = product_add(x1, y3, s13, bf16);
        }
        acc0[0][k] = s00, acc0[1][k] = s01, acc0[2][k] = s02, acc0[3][k] = s03;
        acc1[0][k] = s10, acc1[1][k] = s11, acc1[2][k] = s12, acc1[3][k] = s13;
    }
}

// The same for one row and one token (the tile's odd row or last tokens).
static inline __attribute__((always_inline)) void gemm_block_1x1(int vectors, const v128_t *w, const v128_t *a,
                                                                  v128_t acc[4], const bool first, const bool bf16) {
    const v128_t zero = wasm_f32x4_const_splat(0.0f);
    v128_t s0 = first ? zero : acc[0], s1 = first ? zero : acc[1], s2 = first ? zero : acc[2], s3 = first ? zero : acc[3];
    for (int j = 0; j < vectors; j += 4) {
        s0 = product_add(w[j], a[j], s0, bf16);
        s1 = product_add(w[j + 1], a[j + 1], s1, bf16);
        s2 = product_add(w[j + 2], a[j + 2], s2, bf16);
        s3 = product_add(w[j + 3], a[j + 3], s3, bf16);
    }
    acc[0] = s0, acc[1] = s1, acc[2] = s2, acc[3] = s3;
}

// Elements [16 b, 16 b + 16) of row r: of plain rows x_row apart, or of rows interleaved in pairs
// (hs_interleave_rows4: runs of HS_F16_PAIR_RUN = 16 elements taking turns).
static inline const hs_f16 *row_run(const uint8_t *x, size_t x_row, int r, int b, const bool pairs) {
    if (!pairs) return (const hs_f16 *)(x + (size_t)r * x_row) + 16 * b;
    return (const hs_f16 *)(x + (size_t)(r & ~1) * x_row) + 32 * b + 16 * (r & 1);
}

// Row r against token y by the reference (an inf or NaN among them), on plain or paired rows.
static float reference_dot(int n, const uint8_t *x, size_t x_row, int r, const bool pairs, const void *y) {
    if (pairs) return hs_simd128_rows4_row_dot(hs_vec_dot_f16_ref, n, x, x_row, r, HS_TYPE_F16, y);
    float s;
    hs_vec_dot_f16_ref(n, &s, x + (size_t)r * x_row, y);
    return s;
}

// Rows [0, nr) x tokens [0, nt), nr <= GEMM_ROWS, nt <= ACT_TOKENS, n a multiple of 16, against
// the tokens' converted activations: chunk c of token t at acts + (c * nt + t) *
// CHUNK_VECTORS (see convert_activations), y_bad[t] whether token t holds an inf or NaN (F16).
// Paired rows (F16): x at the first row of a group of four, nr a multiple of 4. One byte of each
// 64 in [ahead, ahead_end) is read along the way (none when ahead is NULL).
static inline __attribute__((always_inline)) void gemm_tile(int n, int nr, int nt, const uint8_t *x, size_t x_row,
                                                             const v128_t *acts, const bool *y_bad,
                                                             const uint8_t *y, size_t y_row, float *s, size_t s_stride,
                                                             const uint8_t *ahead, const uint8_t *ahead_end,
                                                             const bool pairs, const bool bf16) {
    // 64 KiB of sums and (below) 16 KiB of converted rows on the stack: within the 1 MiB of the
    // calling thread (wasm/CMakeLists.txt) and the 2 MiB of a pool thread (Emscripten's default)
    v128_t acc[GEMM_ROWS][ACT_TOKENS][4];
    uint32_t touch = 0;
    v128_t x_probe[GEMM_ROWS];
    for (int r = 0; r < nr; r++) x_probe[r] = wasm_i16x8_const_splat(0);
    v128_t w[GEMM_ROWS][CHUNK_VECTORS];
    const int nt4 = nt & ~3, nr2 = nr & ~1;
    for (int c = 0; c < n; c += GEMM_CHUNK) {
        const int blocks = (n - c < GEMM_CHUNK ? n - c : GEMM_CHUNK) / 16, vectors = 4 * blocks;
        const v128_t(*act)[CHUNK_VECTORS] = (const v128_t(*)[CHUNK_VECTORS])(acts + (size_t)(c / GEMM_CHUNK) * nt * CHUNK_VECTORS);
        for (int r = 0; r < nr; r++) {
            for (int j = 0; j < blocks; j++) {
                // paired rows hold no inf or NaN (hs_interleave_rows4 checks): no probe
                half16_to_split_f32(row_run(x, x_row, r, c / 16 + j, pairs), &w[r][4 * j], &x_probe[r], !pairs, false,
                                    bf16);
            }
        }
        for (int t = 0; t < nt4; t += 4) {
            for (int r = 0; r < nr2; r += 2) {
                if (ahead < ahead_end) touch += *ahead, ahead += 64;
                gemm_block_2x4(vectors, w[r], act[t], &acc[r][t], &acc[r + 1][t], c == 0, bf16);
            }
            if (nr2 < nr) {
                for (int i = 0; i < 4; i++) gemm_block_1x1(vectors, w[nr2], act[t + i], acc[nr2][t + i], c == 0, bf16);
            }
        }
        for (int t = nt4; t < nt; t++) {
            for (int r = 0; r < nr; r++) gemm_block_1x1(vectors, w[r], act[t], acc[r][t], c == 0, bf16);
        }
    }
    if (touch) hs_simd128_touch_sink += touch;
    bool row_bad[GEMM_ROWS];
    for (int r = 0; r < nr; r++) row_bad[r] = !bf16 && probe_hit(x_probe[r]);
    for (int t = 0; t < nt; t++) {
        float *st = &s[(size_t)t * s_stride];
        int r = 0;
        if (bf16 || !y_bad[t]) { // four rows' sums at a time (the sums were 5 % of the gemm one by one)
            for (; r + 4 <= nr && !(row_bad[r] | row_bad[r + 1] | row_bad[r + 2] | row_bad[r + 3]); r += 4)
                wasm_v128_store(st + r, sum4_accumulators(acc[r][t], acc[r + 1][t], acc[r + 2][t], acc[r + 3][t]));
        }
        for (; r < nr; r++) {
            if (!bf16 && (row_bad[r] || y_bad[t])) {
                st[r] = reference_dot(n, x, x_row, r, pairs, y + (size_t)t * y_row);
                continue;
            }
            const v128_t *a = acc[r][t];
            st[r] = sum_accumulators(a[0], a[1], a[2], a[3]);
        }
    }
}

// Tokens' activations split and converted once per call (a tile converting its own paid for them
// again for every 16 rows: a quarter of the gemm's work when the matmul handed it 16 rows at a
// time), laid out chunk by chunk with the tokens of a chunk CHUNK_VECTORS apart, as the 2x4 block
// reads them; bad[t]: token t holds an inf or NaN. At most ACT_TOKENS tokens at a time, so that
// the copy (ACT_TOKENS * n * 4 bytes, rounded up to whole chunks: 512 KiB at n = 2048) stays a
// bounded scratch whatever the batch; the rows are then read once per ACT_TOKENS tokens.

// Token t of a group of nt, its row at yt, into the group's acts; whether it holds an inf or NaN.
static inline __attribute__((always_inline)) bool convert_token(int n, int nt, int t, const uint16_t *yt, v128_t *acts,
                                                                const bool bf16) {
    v128_t probe = wasm_i16x8_const_splat(0);
    for (int j = 0; j < n / 16; j++) {
        v128_t *dst = acts + ((size_t)(j / (GEMM_CHUNK / 16)) * nt + t) * CHUNK_VECTORS + 4 * (j % (GEMM_CHUNK / 16));
        half16_to_split_f32(yt + 16 * j, dst, &probe, true, true, bf16);
    }
    return probe_hit(probe);
}

static inline __attribute__((always_inline)) void convert_activations(int n, int nt, const uint8_t *y, size_t y_row,
                                                                       v128_t *acts, bool *bad, const bool bf16) {
    for (int t = 0; t < nt; t++) bad[t] = convert_token(n, nt, t, (const uint16_t *)(y + (size_t)t * y_row), acts, bf16);
}

// Rows [0, nr) against a group of gn <= ACT_TOKENS tokens whose activations were converted
// (acts, bad: see convert_activations; y the group's first token, for the rare rerun).
static inline __attribute__((always_inline)) void gemm_group(int n, int nr, int gn, const uint8_t *x, size_t x_row,
                                                             const v128_t *acts, const bool *bad, const uint8_t *y,
                                                             size_t y_row, float *s, size_t s_stride, const bool pairs,
                                                             const bool bf16) {
    for (int r0 = 0; r0 < nr; r0 += GEMM_ROWS) { // GEMM_ROWS a multiple of 4: tiles start at a group
        const int rn = nr - r0 < GEMM_ROWS ? nr - r0 : GEMM_ROWS;
        // While a tile is multiplied, the next tile's rows are read ahead (quant_simd128.h), one
        // line per 2x4 block (a tile of n / 2 blocks covers the n / 2 lines of 16 F16 rows): its
        // chunks come row by row, a stride the prefetchers follow badly, and the weights come
        // from DRAM (kernel bench, 65536 x 768 pp64: 17.7-18.1 Gelem/s without, 18.9-19.3 with;
        // two tiles ahead no better).
        const uint8_t *ahead = NULL, *ahead_end = NULL;
        if (r0 + rn < nr) {
            ahead = x + (size_t)(r0 + rn) * x_row;
            ahead_end = x + (size_t)(nr - r0 - rn < GEMM_ROWS ? nr : r0 + rn + GEMM_ROWS) * x_row;
        }
        gemm_tile(n, rn, gn, x + (size_t)r0 * x_row, x_row, acts, bad, y, y_row, s + (size_t)r0, s_stride, ahead,
                  ahead_end, pairs, bf16);
    }
}

// The gemm on plain rows, or (pairs, F16) on rows interleaved in pairs (see gemv_f16).
static inline __attribute__((always_inline)) void gemm_half(int n, int nr, int nt, const void *vx, size_t x_row,
                                                            const void *vy, size_t y_row, float *s, size_t s_stride,
                                                            const bool pairs, const bool bf16) {
    const uint8_t *x = vx, *y = vy;
    v128_t *acts = n % 16 == 0 ? hs_simd128_scratch((size_t)hs_gemm_f16_scratch_bytes_simd128(n, nt)) : NULL;
    if (!acts) {
        // rows with an 8- or 1-element tail (vec_dot's own order is simplest kept by vec_dot), or
        // no memory for the converted activations
        for (int t = 0; t < nt; t++) {
            const uint8_t *yt = y + (size_t)t * y_row;
            float *st = &s[(size_t)t * s_stride];
            for (int r = 0; r < nr; r++) {
                if (pairs) st[r] = hs_simd128_rows4_row_dot(hs_vec_dot_f16_simd128, n, x, x_row, r, HS_TYPE_F16, yt);
                else if (bf16) hs_vec_dot_bf16_simd128(n, &st[r], x + (size_t)r * x_row, yt);
                else hs_vec_dot_f16_simd128(n, &st[r], x + (size_t)r * x_row, yt);
            }
        }
        return;
    }
    bool bad[ACT_TOKENS];
    for (int g0 = 0; g0 < nt; g0 += ACT_TOKENS) {
        const int gn = nt - g0 < ACT_TOKENS ? nt - g0 : ACT_TOKENS;
        const uint8_t *yg = y + (size_t)g0 * y_row;
        convert_activations(n, gn, yg, y_row, acts, bad, bf16);
        gemm_group(n, nr, gn, x, x_row, acts, bad, yg, y_row, s + (size_t)g0 * s_stride, s_stride, pairs, bf16);
    }
}

// ---- the activations converted once per matmul ----
//
// The matmul may convert the tokens once for all its gemm calls (hs_quant_traits.prep_token) and
// then hand the rows out in chunks to whichever thread is free: converting per call would cost
// each small call the whole batch's conversion again. The layout is convert_activations' for
// each group of ACT_TOKENS tokens, the groups one after the other, then a bool per token (an inf
// or NaN in it). Only rows of whole 16-element runs (prep_bytes 0 otherwise).
static size_t prep_chunks(int n) { return ((size_t)n + GEMM_CHUNK - 1) / GEMM_CHUNK; }
// Where the group of tokens from g0 starts, and where the flags start, in vectors from prep's start.
static size_t prep_group_offset(int n, int g0) { return (size_t)g0 * prep_chunks(n) * CHUNK_VECTORS; }
static size_t prep_flags_offset(int n, int nt) { return prep_group_offset(n, nt); }

uint64_t hs_gemm_f16_prep_bytes_simd128(int n, int nt) {
    if (n <= 0 || n % 16 != 0 || nt <= 0) return 0;
    return (uint64_t)prep_flags_offset(n, nt) * sizeof(v128_t) + (uint64_t)nt;
}

static inline __attribute__((always_inline)) void prep_token(int n, int nt, int t, const void *y, void *prep,
                                                             const bool bf16) {
    const int g0 = t - t % ACT_TOKENS, gn = nt - g0 < ACT_TOKENS ? nt - g0 : ACT_TOKENS;
    bool *bad = (bool *)((v128_t *)prep + prep_flags_offset(n, nt));
    bad[t] = convert_token(n, gn, t - g0, y, (v128_t *)prep + prep_group_offset(n, g0), bf16);
}

void hs_prep_token_f16_simd128(int n, int nt, int t, const void *y, void *prep) { prep_token(n, nt, t, y, prep, false); }
void hs_prep_token_bf16_simd128(int n, int nt, int t, const void *y, void *prep) { prep_token(n, nt, t, y, prep, true); }

static inline __attribute__((always_inline)) void gemm_half_prep(int n, int nr, int nt, const void *vx, size_t x_row,
                                                                 const void *vy, size_t y_row, const void *prep,
                                                                 float *s, size_t s_stride, const bool pairs,
                                                                 const bool bf16) {
    const uint8_t *y = vy;
    const bool *bad = (const bool *)((const v128_t *)prep + prep_flags_offset(n, nt));
    for (int g0 = 0; g0 < nt; g0 += ACT_TOKENS) {
        const int gn = nt - g0 < ACT_TOKENS ? nt - g0 : ACT_TOKENS;
        const v128_t *acts = (const v128_t *)prep + prep_group_offset(n, g0);
        gemm_group(n, nr, gn, vx, x_row, acts, bad + g0, y + (size_t)g0 * y_row, y_row, s + (size_t)g0 * s_stride,
                   s_stride, pairs, bf16);
    }
}

void hs_gemm_prep_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                  const void *prep, float *s, size_t s_stride) {
    gemm_half_prep(n, nr, nt, x, x_row, y, y_row, prep, s, s_stride, false, false);
}

void hs_gemm_rows4_prep_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                        size_t y_row, const void *prep, float *s, size_t s_stride) {
    gemm_half_prep(n, nr, nt, x, x_row, y, y_row, prep, s, s_stride, true, false);
}

void hs_gemm_prep_bf16_bf16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                    const void *prep, float *s, size_t s_stride) {
    gemm_half_prep(n, nr, nt, x, x_row, y, y_row, prep, s, s_stride, false, true);
}

// ---- F16 mat-vec (decode) ----
//
// One token: vec_dot per row converts the activation again for every row, half its work. Here it
// is converted once per call, and rows go two at a time against it (more would spill the 16 SIMD
// registers V8 uses on x86); each row keeps vec_dot's four accumulators, lanes, products and
// order, so each result is vec_dot's bit for bit, an inf or NaN row included (rerun by the
// reference, as vec_dot does).
//
// The weights skip the conversion's multiply by 2^112: the shifted bits, read as a float, are
// w * 2^-112 (an f32 subnormal for an f16 subnormal, exactly), and the activation, converted once,
// carries the factor instead: x * 2^112 stays finite since |x| <= 65504 < 2^16. Their product is
// w * x, exact in float either way, so the same bits as vec_dot's with one multiply fewer per four
// weights; and the odd weights' mask folds into the one after the shift.

// acc[0..1] += x * y for eight F16 weights at x and the activation's split halves ye, yo (scaled);
// with check, *probe takes the weights' exponent probe (a tenth of the mat-vec's time, spared for
// weights checked at load).
static inline void f16x8_row_fma(v128_t *acc, v128_t *probe, const hs_f16 *x, v128_t ye, v128_t yo, const bool check) {
    const v128_t h = wasm_v128_load(x);
    if (check) *probe = wasm_u16x8_max(*probe, exponent_probe(h));
    v128_t xe, xo;
    hs_simd128_f16x8_split_scaled(h, &xe, &xo);
    acc[0] = hs_simd128_madd_exact_product(xe, ye, acc[0]);
    acc[1] = hs_simd128_madd_exact_product(xo, yo, acc[1]);
}

static float finish_row(int n, int i, const v128_t *acc, v128_t probe, const hs_f16 *x, const hs_f16 *y) {
    if (probe_hit(probe)) {
        float s;
        hs_vec_dot_f16_ref(n, &s, x, y);
        return s;
    }
    float sum = sum_accumulators(acc[0], acc[1], acc[2], acc[3]);
    for (; i < n; i++) sum += hs_simd128_f16_to_f32(x[i]) * hs_simd128_f16_to_f32(y[i]);
    return sum;
}

// Rows up to this long keep the converted activation on the stack (n / 4 vectors, 64 KiB at most);
// longer ones on the heap.
#define GEMV_F16_STACK 16384

// Two rows against the activation's 16-element chunks, split, converted and scaled by 2^112: ya
// holds ye0, yo0, ye1, yo1 per chunk (then ye0, yo0 of an 8-element tail), probe_y its exponent
// probe. Chunk k of the rows at x0 + k * step and x1 + k * step: plain rows (step 16), or a pair of
// interleaved rows (x1 = x0 + 16, step 32; n a multiple of 16), which is one stream and is not read
// ahead (kernel bench, 65536 x 2048 from DRAM: two plain rows read ahead 12.4 GB/s, 9.4 not; a
// pair read ahead 16.3, not 22.9).
static inline __attribute__((always_inline)) void gemv_f16_rows2(int n, const hs_f16 *x0, const hs_f16 *x1, int step,
                                                                  const hs_f16 *y, const v128_t *ya, v128_t probe_y,
                                                                  const uint8_t *last, uint32_t *touched, float *s0,
                                                                  float *s1, const bool check, const bool read_ahead) {
    v128_t acc0[4], acc1[4];
    for (int k = 0; k < 4; k++) acc0[k] = acc1[k] = wasm_f32x4_const_splat(0.0f);
    v128_t probe0 = wasm_i16x8_const_splat(0), probe1 = probe0;
    // reading ahead (quant_simd128.h): the two rows are one run of 4n bytes, read 64 bytes per
    // step, so one touch per step covers it
    const uint8_t *ahead = (const uint8_t *)x0;
    uint32_t touch = 0;
    const hs_f16 *p0 = x0, *p1 = x1;
    int i = 0;
    for (; i + 16 <= n; i += 16, ya += 4, p0 += step, p1 += step) {
        if (read_ahead) touch += hs_simd128_touch_ahead(ahead, last), ahead += 64;
        f16x8_row_fma(&acc0[0], &probe0, p0, ya[0], ya[1], check);
        f16x8_row_fma(&acc0[2], &probe0, p0 + 8, ya[2], ya[3], check);
        f16x8_row_fma(&acc1[0], &probe1, p1, ya[0], ya[1], check);
        f16x8_row_fma(&acc1[2], &probe1, p1 + 8, ya[2], ya[3], check);
    }
    for (; i + 8 <= n; i += 8) {
        f16x8_row_fma(&acc0[0], &probe0, x0 + i, ya[0], ya[1], check);
        f16x8_row_fma(&acc1[0], &probe1, x1 + i, ya[0], ya[1], check);
    }
    *touched += touch;
    *s0 = finish_row(n, i, acc0, wasm_u16x8_max(probe0, probe_y), x0, y);
    *s1 = finish_row(n, i, acc1, wasm_u16x8_max(probe1, probe_y), x1, y);
}

// check_weights false: rows known to hold no inf or NaN (see hs_f16_all_finite_simd128). pairs:
// rows interleaved in pairs (hs_interleave_rows4, which takes only finite rows), x at the first
// row of a group of four, nr a multiple of 4.
static inline __attribute__((always_inline)) void gemv_f16(int n, int nr, int nt, const void *vx, size_t x_row,
                                                           const void *vy, size_t y_row, float *s, size_t s_stride,
                                                           const bool check_weights, const bool pairs) {
    if (nt != 1) { // not a mat-vec: the gemm, whose results are the same
        gemm_half(n, nr, nt, vx, x_row, vy, y_row, s, s_stride, pairs, false);
        return;
    }
    const uint8_t *x = vx;
    const hs_f16 *y = vy;
    v128_t on_stack[GEMV_F16_STACK / 4];
    v128_t *ya = nr < 2 ? NULL : n <= GEMV_F16_STACK ? on_stack : aligned_alloc(16, (size_t)(n / 4 + 1) * sizeof(v128_t));
    if (!ya) { // one row, or no room for the converted activation: vec_dot, row by row
        for (int r = 0; r < nr; r++) {
            if (pairs) s[r] = hs_simd128_rows4_row_dot(hs_vec_dot_f16_simd128, n, x, x_row, r, HS_TYPE_F16, vy);
            else hs_vec_dot_f16_simd128(n, &s[r], x + (size_t)r * x_row, vy);
        }
        return;
    }
    v128_t probe_y = wasm_i16x8_const_splat(0);
    const v128_t two_112 = wasm_f32x4_const_splat(0x1p112f);
    for (int i = 0, k = 0; i + 8 <= n; i += 8, k += 2) { // the 16-element chunks' halves, then a tail of 8
        const v128_t h = wasm_v128_load(y + i);
        probe_y = wasm_u16x8_max(probe_y, exponent_probe(h));
        f16x8_to_split_f32(h, &ya[k], &ya[k + 1]);
        ya[k] = wasm_f32x4_mul(ya[k], two_112), ya[k + 1] = wasm_f32x4_mul(ya[k + 1], two_112);
    }
    if (pairs && probe_hit(probe_y)) { // an inf or NaN activation: every row by the reference
        for (int r = 0; r < nr; r++) s[r] = reference_dot(n, x, x_row, r, true, y);
    } else if (pairs) {
        uint32_t unused = 0;
        for (int r = 0; r < nr; r += 2) {
            const hs_f16 *x0 = (const hs_f16 *)(x + (size_t)r * x_row);
            gemv_f16_rows2(n, x0, x0 + 16, 32, y, ya, probe_y, NULL, &unused, &s[r], &s[r + 1], false, false);
        }
    } else {
        const uint8_t *last = x + (size_t)nr * x_row - 1; // the last byte the touches may read
        uint32_t touched = 0;
        int r = 0;
        for (; r + 2 <= nr; r += 2)
            gemv_f16_rows2(n, (const hs_f16 *)(x + (size_t)r * x_row), (const hs_f16 *)(x + (size_t)(r + 1) * x_row), 16,
                           y, ya, probe_y, last, &touched, &s[r], &s[r + 1], check_weights, true);
        hs_simd128_touch_sink += touched;
        if (r < nr) hs_vec_dot_f16_simd128(n, &s[r], x + (size_t)r * x_row, vy);
    }
    if (ya != on_stack) free(ya);
}

void hs_gemv_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                             size_t s_stride) {
    gemv_f16(n, nr, nt, x, x_row, y, y_row, s, s_stride, true, false);
}

void hs_gemv_f16_f16_finite_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                    float *s, size_t s_stride) {
    gemv_f16(n, nr, nt, x, x_row, y, y_row, s, s_stride, false, false);
}

// Whether F16 data holds no inf or NaN (exponent 31), checked once at load: the weights' part of
// the decode kernel's probe is then not needed (hs_gemv_f16_f16_finite_simd128).
bool hs_f16_all_finite_simd128(const void *data, size_t bytes) {
    const hs_f16 *h = data;
    const size_t n = bytes / sizeof(hs_f16);
    v128_t probe = wasm_i16x8_const_splat(0);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) probe = wasm_u16x8_max(probe, exponent_probe(wasm_v128_load(h + i)));
    bool finite = !probe_hit(probe);
    for (; i < n; i++) finite &= (h[i] & 0x7c00) != 0x7c00;
    return finite;
}

// The converted activations' copy (F16 or BF16): at most ACT_TOKENS tokens, whole chunks.
uint64_t hs_gemm_f16_scratch_bytes_simd128(int n, int nt) {
    const uint64_t chunks = ((uint64_t)n + GEMM_CHUNK - 1) / GEMM_CHUNK, most = nt < ACT_TOKENS ? (uint64_t)nt : ACT_TOKENS;
    return chunks * most * CHUNK_VECTORS * sizeof(v128_t);
}


void hs_gemm_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                             size_t s_stride) {
    gemm_half(n, nr, nt, x, x_row, y, y_row, s, s_stride, false, false);
}

void hs_gemm_bf16_bf16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride) {
    gemm_half(n, nr, nt, x, x_row, y, y_row, s, s_stride, false, true);
}

// Rows interleaved in pairs by hs_interleave_rows4 (finite, n a multiple of 16): the gemm, or the
// mat-vec for one token.
void hs_gemm_rows4_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                   float *s, size_t s_stride) {
    gemv_f16(n, nr, nt, x, x_row, y, y_row, s, s_stride, false, true);
}

// One f32 -> f16 conversion per lane, bit for bit hs_f32_to_f16 (round to nearest even, overflow
// to infinity from 65520 up, NaN -> sign | 0x7e00); the f16 is left in the low half of the lane.
// Its ten constants come in an f16_consts read once per row: V8 builds a v128 constant from a
// general register with three instructions at every use (a third of the conversion's
// instructions); read through a volatile, they are opaque to LLVM and stay in locals.
typedef struct {
    v128_t abs_mask, sign_mask, one, rebias, half, subnormal_below, inf_from, nan_above, inf_h, nan_h;
} f16_consts;

static volatile const uint32_t f16_values[] = {
    0x7fffffffu, 0x80000000u, 1, 0xc8000fffu, 0x3f000000u /* 0.5f */, 0x38800000u, 0x47800000u, 0x7f800000u, 0x7c00, 0x7e00,
};

static inline f16_consts f16_consts_load(void) {
    uint32_t v[sizeof f16_values / sizeof f16_values[0]];
    for (int i = 0; i < (int)(sizeof v / sizeof v[0]); i++) v[i] = f16_values[i];
    f16_consts k;
    k.abs_mask = wasm_i32x4_splat((int32_t)v[0]), k.sign_mask = wasm_i32x4_splat((int32_t)v[1]);
    k.one = wasm_i32x4_splat((int32_t)v[2]), k.rebias = wasm_i32x4_splat((int32_t)v[3]);
    k.half = wasm_i32x4_splat((int32_t)v[4]); // 0.5f, also subtracted as bits
    k.subnormal_below = wasm_i32x4_splat((int32_t)v[5]), k.inf_from = wasm_i32x4_splat((int32_t)v[6]);
    k.nan_above = wasm_i32x4_splat((int32_t)v[7]), k.inf_h = wasm_i32x4_splat((int32_t)v[8]);
    k.nan_h = wasm_i32x4_splat((int32_t)v[9]);
    return k;
}

static inline v128_t f32_to_f16_lanes(v128_t f, const f16_consts *k) {
    const v128_t a = wasm_v128_and(f, k->abs_mask);
    const v128_t sign = wasm_u32x4_shr(wasm_v128_and(f, k->sign_mask), 16);
    // Normal results: rebias the exponent (-112 << 23) and round away the 13 low mantissa bits to
    // nearest even by adding 0xfff plus the lowest kept bit; a carry out of the mantissa bumps the
    // exponent, which is also how 65520..65535 reach infinity (0x7c00).
    const v128_t lowest_kept = wasm_v128_and(wasm_u32x4_shr(a, 13), k->one);
    const v128_t normal = wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_add(a, k->rebias), lowest_kept), 13);
    // Below 2^-14 (f16 subnormals and zero): adding 0.5 in float makes the unit in the last place
    // 2^-24, the f16 subnormal step, so the FPU's own round-to-nearest-even does the rounding and
    // the mantissa bits of the sum count the steps (2^-14 itself comes out as 0x400, correctly).
    const v128_t subnormal = wasm_i32x4_sub(wasm_f32x4_add(a, k->half), k->half);
    v128_t h = wasm_v128_bitselect(subnormal, normal, wasm_i32x4_lt(a, k->subnormal_below));
    h = wasm_v128_bitselect(k->inf_h, h, wasm_i32x4_ge(a, k->inf_from));
    h = wasm_v128_bitselect(k->nan_h, h, wasm_i32x4_gt(a, k->nan_above));
    return wasm_v128_or(h, sign);
}

void hs_quantize_row_f16_simd128(const float *x, void *vy, int64_t k) {
    hs_f16 *y = vy;
    const f16_consts c = f16_consts_load();
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        const v128_t lo = f32_to_f16_lanes(wasm_v128_load(x + i), &c);
        const v128_t hi = f32_to_f16_lanes(wasm_v128_load(x + i + 4), &c);
        // lanes hold 0..0xffff, which the unsigned saturating narrow passes through unchanged
        wasm_v128_store(y + i, wasm_u16x8_narrow_i32x4(lo, hi));
    }
    for (; i < k; i++) y[i] = hs_f32_to_f16(x[i]);
}

void hs_dequantize_row_f16_simd128(const void *vx, float *y, int64_t k) {
    const hs_f16 *x = vx;
    const v128_t zero = wasm_i16x8_const_splat(0);
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        const v128_t h = wasm_v128_load(x + i);
        // interleaving with zeros puts each f16, in order, into the high half of a lane
        wasm_v128_store(y + i, hs_simd128_f16hi_to_f32(wasm_i16x8_shuffle(zero, h, 0, 8, 1, 9, 2, 10, 3, 11)));
        wasm_v128_store(y + i + 4, hs_simd128_f16hi_to_f32(wasm_i16x8_shuffle(zero, h, 4, 12, 5, 13, 6, 14, 7, 15)));
    }
    for (; i < k; i++) y[i] = hs_simd128_f16_to_f32(x[i]);
}

// ---- BF16 ----

void hs_vec_dot_bf16_simd128(int n, float *s, const void *vx, const void *vy) {
    const hs_bf16 *x = vx, *y = vy;
    v128_t acc0 = wasm_f32x4_const_splat(0.0f), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    int i = 0;
    // a BF16 in the high half of a lane is already that float
    for (; i + 16 <= n; i += 16) {
        const v128_t x0 = wasm_v128_load(x + i), x1 = wasm_v128_load(x + i + 8);
        const v128_t y0 = wasm_v128_load(y + i), y1 = wasm_v128_load(y + i + 8);
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(even_halves_high(x0), even_halves_high(y0)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(odd_halves_high(x0), odd_halves_high(y0)));
        acc2 = wasm_f32x4_add(acc2, wasm_f32x4_mul(even_halves_high(x1), even_halves_high(y1)));
        acc3 = wasm_f32x4_add(acc3, wasm_f32x4_mul(odd_halves_high(x1), odd_halves_high(y1)));
    }
    for (; i + 8 <= n; i += 8) {
        const v128_t x0 = wasm_v128_load(x + i), y0 = wasm_v128_load(y + i);
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(even_halves_high(x0), even_halves_high(y0)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(odd_halves_high(x0), odd_halves_high(y0)));
    }
    float sum = sum_accumulators(acc0, acc1, acc2, acc3);
    for (; i < n; i++) sum += hs_bf16_to_f32(x[i]) * hs_bf16_to_f32(y[i]);
    *s = sum;
}

// One f32 -> bf16 conversion per lane, bit for bit hs_f32_to_bf16: round the low 16 bits away to
// nearest even (add 0x7fff plus the lowest kept bit; overflow carries into infinity), NaN keeps
// its top bits with the quiet bit forced. The bf16 is left in the low half of the lane.
static inline v128_t f32_to_bf16_lanes(v128_t f) {
    const v128_t top = wasm_u32x4_shr(f, 16);
    const v128_t lowest_kept = wasm_v128_and(top, wasm_i32x4_const_splat(1));
    const v128_t rounded = wasm_u32x4_shr(
        wasm_i32x4_add(wasm_i32x4_add(f, wasm_i32x4_const_splat(0x7fff)), lowest_kept), 16);
    const v128_t quiet_nan = wasm_v128_or(top, wasm_i32x4_const_splat(0x40));
    const v128_t is_nan = wasm_i32x4_gt(wasm_v128_and(f, wasm_i32x4_const_splat(0x7fffffff)),
                                        wasm_i32x4_const_splat(0x7f800000));
    return wasm_v128_bitselect(quiet_nan, rounded, is_nan);
}

void hs_quantize_row_bf16_simd128(const float *x, void *vy, int64_t k) {
    hs_bf16 *y = vy;
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        const v128_t lo = f32_to_bf16_lanes(wasm_v128_load(x + i));
        const v128_t hi = f32_to_bf16_lanes(wasm_v128_load(x + i + 4));
        wasm_v128_store(y + i, wasm_u16x8_narrow_i32x4(lo, hi));
    }
    for (; i < k; i++) y[i] = hs_f32_to_bf16(x[i]);
}

void hs_dequantize_row_bf16_simd128(const void *vx, float *y, int64_t k) {
    const hs_bf16 *x = vx;
    const v128_t zero = wasm_i16x8_const_splat(0);
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        const v128_t h = wasm_v128_load(x + i);
        wasm_v128_store(y + i, wasm_i16x8_shuffle(zero, h, 0, 8, 1, 9, 2, 10, 3, 11));
        wasm_v128_store(y + i + 4, wasm_i16x8_shuffle(zero, h, 4, 12, 5, 13, 6, 14, 7, 15));
    }
    for (; i < k; i++) y[i] = hs_bf16_to_f32(x[i]);
}

#endif // __wasm_simd128__

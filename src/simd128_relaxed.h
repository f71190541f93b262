// Relaxed SIMD (the WebAssembly proposal Chromium ships since 114) from Debian's clang 14, which
// knows only the proposal's 2021 prototype: its f32x4.fma, f64x2.fms and f64x2.relaxed_min builtins
// stand in for the three instructions we use, and wasm/patch-relaxed-simd.mjs rewrites their opcodes after linking.
// A module built with -mrelaxed-simd is unusable until patched (every engine rejects the
// prototype opcodes), so the build patches each relaxed variant as its last step.
#ifndef HEARTH_SIMD128_RELAXED_H
#define HEARTH_SIMD128_RELAXED_H
#ifdef __wasm_relaxed_simd__

#include <wasm_simd128.h>

typedef float hs_f32x4_t __attribute__((vector_size(16)));
typedef double hs_f64x2_t __attribute__((vector_size(16)));

// acc + the sums of each four consecutive products a[i] * b[i], as four i32 lanes
// (i32x4.relaxed_dot_i8x16_i7x16_add_s). a is signed; b must lie in 0..127, where every engine
// gives the exact result (x86 without VNNI: pmaddubsw, whose i16 pair sums cannot saturate
// since 2 * 127 * 128 < 2^15).
static inline v128_t hs_relaxed_dot_i8_u7_add(v128_t a, v128_t b_u7, v128_t acc) {
    return (v128_t)__builtin_wasm_fms_f64x2((hs_f64x2_t)a, (hs_f64x2_t)b_u7, (hs_f64x2_t)acc);
}

// The sums of each two consecutive products a[i] * b[i], as eight i16 lanes
// (i16x8.relaxed_dot_i8x16_i7x16_s): one pmaddubsw on x86, exact for b in 0..127 (as above).
static inline v128_t hs_relaxed_dot_i8_u7_i16(v128_t a, v128_t b_u7) {
    return (v128_t)__builtin_wasm_relaxed_min_f64x2((hs_f64x2_t)a, (hs_f64x2_t)b_u7);
}

// a * b + c (f32x4.relaxed_madd): fused where the CPU has FMA, else multiply then add.
static inline v128_t hs_relaxed_madd_f32x4(v128_t a, v128_t b, v128_t c) {
    return (v128_t)__builtin_wasm_fma_f32x4((hs_f32x4_t)a, (hs_f32x4_t)b, (hs_f32x4_t)c);
}

#endif // __wasm_relaxed_simd__
#endif

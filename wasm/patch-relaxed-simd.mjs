#!/usr/bin/env node
// Gives a linked module the final relaxed-SIMD opcodes that clang 14 cannot emit.
//
// Debian's clang 14 knows relaxed SIMD only as the 2021 prototype: its builtins encode the
// prototype's opcodes, which no shipping engine accepts, and it has no i8 dot product at all.
// src/simd128_relaxed.h therefore writes three prototype builtins as stand-ins, and this script
// rewrites them after linking (binaryen 108, run by emcc, passes them through untouched):
//
//   prototype f32x4.fma   0xfd 175 (a, b, c)  ->  f32x4.relaxed_madd              0xfd 261: a * b + c
//   prototype f64x2.fms   0xfd 208 (a, b, c)  ->  i32x4.relaxed_dot_i8x16_i7x16_add_s  0xfd 275
//   prototype f64x2.relaxed_min  0xfd 212 (a, b)  ->  i16x8.relaxed_dot_i8x16_i7x16_s  0xfd 274
//
// Both old and new opcodes are two-byte LEBs, so the bytes are replaced in place and no size in
// the module changes. The code section is decoded instruction by instruction (an immediate that
// happens to hold those bytes is left alone), and any other prototype-only opcode fails the build,
// since an engine would reject the module.
//
// Usage: node patch-relaxed-simd.mjs [--allow-none] FILE.wasm   (--allow-none: a module that uses
// none of them, e.g. a test linking no kernel, is fine; without it that fails, as a build that lost
// -mrelaxed-simd would.)
import { readFileSync, writeFileSync } from 'node:fs';

const REWRITES = new Map([
    [175, 261], // f32x4.fma -> f32x4.relaxed_madd
    [208, 275], // f64x2.fms -> i32x4.relaxed_dot_i8x16_i7x16_add_s
    [212, 274], // f64x2.relaxed_min -> i16x8.relaxed_dot_i8x16_i7x16_s
]);
// Opcodes that the final SIMD proposal leaves unassigned but the prototype used: any of them left
// in the module means a stand-in this script does not know.
const PROTOTYPE_ONLY = new Set([0xa2, 0xa5, 0xa6, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd2, 0xd3, 0xe2, 0xee]);

class Reader {
    constructor(bytes, pos = 0) {
        this.bytes = bytes;
        this.pos = pos;
    }
    byte() {
        if (this.pos >= this.bytes.length) throw new Error(`unexpected end of module at ${this.pos}`);
        return this.bytes[this.pos++];
    }
    leb() { // unsigned or signed: only the length matters for skipping, the value for small ones
        let value = 0, shift = 0, b;
        do {
            b = this.byte();
            if (shift < 28) value |= (b & 0x7f) << shift;
            shift += 7;
        } while (b & 0x80);
        return value >>> 0;
    }
    skip(n) { this.pos += n; }
    memarg() { this.leb(); this.leb(); }
}

function skipBlockType(r) {
    const b = r.bytes[r.pos];
    if (b === 0x40 || (b >= 0x6f && b <= 0x7f) || b === 0x7b) r.pos++;
    else r.leb(); // a type index (s33)
}

// Steps over one instruction whose opcode byte has been read; patches the SIMD ones. Returns the
// number of rewrites made.
function instruction(r, op, where) {
    if (op >= 0x28 && op <= 0x3e) { r.memarg(); return 0; }
    switch (op) {
    case 0x02: case 0x03: case 0x04: skipBlockType(r); return 0;
    case 0x0c: case 0x0d: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
    case 0x25: case 0x26: case 0xd2:
        r.leb(); return 0;
    case 0x0e: { const n = r.leb(); for (let i = 0; i <= n; i++) r.leb(); return 0; }
    case 0x11: r.leb(); r.leb(); return 0;
    case 0x1c: { const n = r.leb(); r.skip(n); return 0; }
    case 0x3f: case 0x40: case 0xd0: r.skip(1); return 0;
    case 0x41: case 0x42: r.leb(); return 0;
    case 0x43: r.skip(4); return 0;
    case 0x44: r.skip(8); return 0;
    case 0xfc: return miscPrefixed(r);
    case 0xfd: return simdPrefixed(r, where);
    case 0xfe: return atomicPrefixed(r);
    default:
        // exception handling (0x06..0x09, 0x18, 0x19) is not used by the engine (-fignore-exceptions)
        if ((op >= 0x06 && op <= 0x09) || op === 0x18 || op === 0x19) break;
        if (op <= 0xc4 || op === 0xd1) return 0; // the rest of the MVP and sign extension: no immediates
        throw new Error(`unknown opcode 0x${op.toString(16)} at ${r.pos - 1}`);
    }
}

function miscPrefixed(r) {
    const sub = r.leb();
    if (sub <= 7) return 0; // saturating truncations
    if (sub === 8) { r.leb(); r.skip(1); return 0; } // memory.init
    if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) { r.leb(); return 0; }
    if (sub === 10) { r.skip(2); return 0; } // memory.copy
    if (sub === 11) { r.skip(1); return 0; } // memory.fill
    if (sub === 12 || sub === 14) { r.leb(); r.leb(); return 0; }
    throw new Error(`unknown 0xfc ${sub} at ${r.pos}`);
}

function atomicPrefixed(r) {
    const sub = r.leb();
    if (sub === 0x03) r.skip(1); // atomic.fence
    else r.memarg();
    return 0;
}

function simdPrefixed(r, where) {
    const start = r.pos;
    const sub = r.leb();
    if (REWRITES.has(sub)) {
        if (r.pos - start !== 2) throw new Error(`unexpected encoding of SIMD opcode ${sub} at ${start}`);
        const to = REWRITES.get(sub);
        r.bytes[start] = (to & 0x7f) | 0x80;
        r.bytes[start + 1] = to >> 7;
        return 1;
    }
    if (PROTOTYPE_ONLY.has(sub)) throw new Error(`prototype-only SIMD opcode ${sub} in ${where}: add its rewrite`);
    if (sub <= 11 || sub === 92 || sub === 93) r.memarg(); // loads, stores, load_zero
    else if (sub === 12 || sub === 13) r.skip(16); // v128.const, i8x16.shuffle
    else if (sub >= 21 && sub <= 34) r.skip(1); // lane extract / replace
    else if (sub >= 84 && sub <= 91) { r.memarg(); r.skip(1); } // load / store lane
    return 0;
}

export function patchRelaxedSimd(bytes) {
    if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a wasm module');
    const r = new Reader(bytes, 8);
    let patched = 0;
    while (r.pos < bytes.length) {
        const id = r.byte();
        const size = r.leb();
        const end = r.pos + size;
        if (id === 10) {
            const count = r.leb();
            for (let f = 0; f < count; f++) {
                const bodySize = r.leb();
                const bodyEnd = r.pos + bodySize;
                const groups = r.leb();
                for (let g = 0; g < groups; g++) { r.leb(); r.byte(); }
                while (r.pos < bodyEnd) patched += instruction(r, r.byte(), `function body ${f}`);
                if (r.pos !== bodyEnd) throw new Error(`function body ${f} decoded past its end`);
            }
        }
        r.pos = end;
    }
    return patched;
}

if (import.meta.url === `file://${process.argv[1]}`) {
    const allowNone = process.argv[2] === '--allow-none';
    const file = process.argv[allowNone ? 3 : 2];
    if (!file) {
        console.error('usage: node patch-relaxed-simd.mjs [--allow-none] FILE.wasm');
        process.exit(2);
    }
    const bytes = readFileSync(file);
    const patched = patchRelaxedSimd(bytes);
    if (patched === 0 && !allowNone) {
        console.error(`${file}: no relaxed-SIMD stand-ins found (was it compiled with -mrelaxed-simd?)`);
        process.exit(1);
    }
    writeFileSync(file, bytes);
    console.log(`${file}: ${patched} relaxed-SIMD instructions`);
}

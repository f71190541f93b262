// Splits a GGUF file into shards the way the engine reads split models: every shard is a valid
// GGUF file with all of the original metadata and a run of the tensors (their data relocated),
// named name-00001-of-0000N.gguf. For tests of split-model delivery and loading.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SCALAR_BYTES = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

/** Parses what splitting needs: header bounds, KV bytes, tensor infos, alignment. */
export function parseGgufLayout(buf) {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    const u32 = () => {
        const v = view.getUint32(pos, true);
        pos += 4;
        return v;
    };
    const u64 = () => {
        const v = Number(view.getBigUint64(pos, true));
        pos += 8;
        return v;
    };
    const str = () => {
        const n = u64();
        const s = new TextDecoder().decode(buf.subarray(pos, pos + n));
        pos += n;
        return s;
    };
    const skip = (type) => {
        if (type === STRING) {
            const n = u64();
            pos += n;
        } else if (type === ARRAY) {
            const inner = u32();
            const count = u64();
            if (inner in SCALAR_BYTES) pos = pos + SCALAR_BYTES[inner] * count;
            else for (let i = 0; i < count; i++) skip(inner);
        } else if (type in SCALAR_BYTES) {
            pos += SCALAR_BYTES[type];
        } else {
            throw new Error(`unknown GGUF value type ${type}`);
        }
    };
    if (new TextDecoder().decode(buf.subarray(0, 4)) !== 'GGUF') throw new Error('not a GGUF file');
    pos = 4;
    const version = u32();
    const nTensors = u64();
    const nKv = u64();
    const kvStart = pos;
    let alignment = 32;
    for (let i = 0; i < nKv; i++) {
        const key = str();
        const type = u32();
        if (key === 'general.alignment' && type === 4) alignment = view.getUint32(pos, true);
        skip(type);
    }
    const kvEnd = pos;
    const tensors = [];
    for (let i = 0; i < nTensors; i++) {
        const start = pos;
        const name = str();
        const dims = u32();
        for (let d = 0; d < dims; d++) u64();
        u32(); // type
        const offsetAt = pos;
        const offset = u64();
        tensors.push({ name, infoStart: start, offsetAt, infoEnd: pos, offset });
    }
    const dataStart = Math.ceil(pos / alignment) * alignment;
    return { version, nKv, kvStart, kvEnd, tensors, alignment, dataStart, dataSize: buf.byteLength - dataStart };
}

function u32le(v) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return b;
}

function u64le(v) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return b;
}

function concat(parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.byteLength;
    }
    return out;
}

/** The bytes of each of n shards of a GGUF buffer (tensors split as evenly as counts allow). */
export function splitGguf(buf, n) {
    const g = parseGgufLayout(buf);
    const order = [...g.tensors].sort((a, b) => a.offset - b.offset);
    if (n < 1 || n > order.length) throw new Error(`cannot split ${order.length} tensors into ${n} shards`);
    const shards = [];
    for (let s = 0; s < n; s++) {
        const from = Math.floor((s * order.length) / n);
        const to = Math.floor(((s + 1) * order.length) / n);
        const part = order.slice(from, to);
        const dataFrom = part[0].offset;
        const dataTo = to < order.length ? order[to].offset : g.dataSize;
        const infos = part.map((t) => {
            const info = buf.slice(t.infoStart, t.infoEnd);
            new DataView(info.buffer).setBigUint64(t.offsetAt - t.infoStart, BigInt(t.offset - dataFrom), true);
            return info;
        });
        const head = concat([buf.subarray(0, 4), u32le(g.version), u64le(part.length), u64le(g.nKv), buf.subarray(g.kvStart, g.kvEnd), ...infos]);
        const padding = new Uint8Array((g.alignment - (head.byteLength % g.alignment)) % g.alignment);
        shards.push(concat([head, padding, buf.subarray(g.dataStart + dataFrom, g.dataStart + dataTo)]));
    }
    return shards;
}

export function shardFileName(base, index, count) {
    return `${base}-${String(index + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.gguf`;
}

/** Writes the shards of `source` into dir as base-0000i-of-0000n.gguf; returns their paths. */
export async function writeSplitGguf(source, dir, base, n) {
    const shards = splitGguf(new Uint8Array(await readFile(source)), n);
    const paths = [];
    for (let i = 0; i < n; i++) {
        const path = join(dir, shardFileName(base, i, n));
        await writeFile(path, shards[i]);
        paths.push(path);
    }
    return paths;
}

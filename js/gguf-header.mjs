// Just enough of the GGUF format (v2/v3) to handle split models before they are downloaded:
// find where a shard's header ends, and merge the headers of all shards into the header of one
// equivalent file (the first shard's metadata, every shard's tensors with their data offsets
// moved as if the data sections were concatenated), which the engine's estimate can then read.
//
// Layout: "GGUF", version u32, tensor count u64, metadata count u64, metadata (key string, type
// u32, value), tensor infos (name string, n_dims u32, dims u64 x n, type u32, offset u64),
// padding to general.alignment, tensor data. A string is a u64 length + UTF-8 bytes.

const SCALAR_BYTES = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;
const UINT32 = 4;
const MAX_DIMS = 8;
const DEFAULT_ALIGNMENT = 32;

class NeedMore extends Error {}

/**
 * Parses a GGUF header from the first bytes of a file.
 * @param {Uint8Array} bytes
 * @returns {{status: 'need_more'} | {status: 'ok', version: number, nKv: number, kv: Uint8Array,
 *   tensors: Array<{name: string, info: Uint8Array, offsetAt: number, offset: number}>, alignment: number, dataOffset: number}}
 */
export function parseGgufHeader(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    const need = (n) => {
        if (pos + n > bytes.byteLength) throw new NeedMore();
    };
    const u32 = () => {
        need(4);
        const v = view.getUint32(pos, true);
        pos += 4;
        return v;
    };
    const u64 = () => {
        need(8);
        const v = view.getBigUint64(pos, true);
        pos += 8;
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('GGUF: a 64-bit count is too large');
        return Number(v);
    };
    const skip = (n) => {
        need(n);
        pos += n;
    };
    const string = () => {
        const n = u64();
        need(n);
        const s = new TextDecoder().decode(bytes.subarray(pos, pos + n));
        pos += n;
        return s;
    };
    const skipValue = (type, depth = 0) => {
        if (type === STRING) {
            skip(u64());
        } else if (type === ARRAY) {
            if (depth > 2) throw new Error('GGUF: arrays nested too deeply');
            const inner = u32();
            const count = u64();
            if (inner in SCALAR_BYTES) skip(SCALAR_BYTES[inner] * count);
            else for (let i = 0; i < count; i++) skipValue(inner, depth + 1);
        } else if (type in SCALAR_BYTES) {
            skip(SCALAR_BYTES[type]);
        } else {
            throw new Error(`GGUF: unknown metadata type ${type}`);
        }
    };
    try {
        need(4);
        if (bytes[0] !== 0x47 || bytes[1] !== 0x47 || bytes[2] !== 0x55 || bytes[3] !== 0x46) throw new Error('not a GGUF file');
        pos = 4;
        const version = u32();
        if (version < 2 || version > 3) throw new Error(`GGUF version ${version} is not supported`);
        const nTensors = u64();
        const nKv = u64();
        const kvStart = pos;
        let alignment = DEFAULT_ALIGNMENT;
        for (let i = 0; i < nKv; i++) {
            const key = string();
            const type = u32();
            if (key === 'general.alignment' && type === UINT32) {
                need(4);
                alignment = view.getUint32(pos, true);
            }
            skipValue(type);
        }
        const kv = bytes.subarray(kvStart, pos);
        const tensors = [];
        for (let i = 0; i < nTensors; i++) {
            const start = pos;
            const name = string();
            const dims = u32();
            if (dims > MAX_DIMS) throw new Error(`GGUF: tensor ${name} has ${dims} dimensions`);
            skip(8 * dims + 4);
            const offsetAt = pos - start;
            const offset = u64();
            tensors.push({ name, info: bytes.subarray(start, pos), offsetAt, offset });
        }
        if (!(alignment > 0)) throw new Error('GGUF: general.alignment must be positive');
        return { status: 'ok', version, nKv, kv, tensors, alignment, dataOffset: Math.ceil(pos / alignment) * alignment };
    } catch (err) {
        if (err instanceof NeedMore) return { status: 'need_more' };
        throw err;
    }
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

/**
 * One header standing for all shards: the first shard's metadata and every tensor, offsets
 * moved past the data of the shards before (each shard's data aligned). Returns the header
 * bytes and the size the merged file would have.
 * @param {Array<ReturnType<typeof parseGgufHeader> & {status: 'ok'}>} shards parsed headers, in order
 * @param {number[]} sizes the shards' file sizes
 * @returns {{header: Uint8Array, size: number}}
 */
export function mergeShardHeaders(shards, sizes) {
    const first = shards[0];
    const alignment = first.alignment;
    const align = (n) => Math.ceil(n / alignment) * alignment;
    const infos = [];
    let shift = 0;
    let end = 0; // where the data of the shards so far ends
    for (let s = 0; s < shards.length; s++) {
        for (const t of shards[s].tensors) {
            const info = t.info.slice();
            new DataView(info.buffer).setBigUint64(t.offsetAt, BigInt(t.offset + shift), true);
            infos.push(info);
        }
        end = shift + (sizes[s] - shards[s].dataOffset);
        shift = align(end);
    }
    const parts = [new Uint8Array([0x47, 0x47, 0x55, 0x46]), u32le(first.version), u64le(infos.length), u64le(first.nKv), first.kv, ...infos];
    const length = parts.reduce((n, p) => n + p.byteLength, 0);
    const header = new Uint8Array(align(length));
    let at = 0;
    for (const p of parts) {
        header.set(p, at);
        at += p.byteLength;
    }
    return { header, size: header.byteLength + end };
}

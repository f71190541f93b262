// Rewrites one string key of a GGUF file's metadata (e.g. general.name), adding it when absent.
// GGUF v2/v3: magic, version u32, tensor count u64, metadata count u64, metadata (key string,
// type u32, value), tensor infos, padding to general.alignment, tensor data. A string is a u64
// byte length + UTF-8 bytes. Tensor data offsets are relative to the data section, so the data is
// copied unchanged after the new header, re-padded to the alignment.
const SCALAR_SIZES = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

function reader(buf) {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    const r = {
        get pos() { return pos; },
        u32() { const v = view.getUint32(pos, true); pos += 4; return v; },
        u64() { const v = Number(view.getBigUint64(pos, true)); pos += 8; return v; },
        string() { const n = r.u64(); const s = Buffer.from(buf.subarray(pos, pos + n)).toString('utf8'); pos += n; return s; },
        skipValue(type) {
            if (type === STRING) { const n = r.u64(); pos += n; return; }
            if (type === ARRAY) {
                const elemType = r.u32();
                const count = r.u64();
                if (elemType in SCALAR_SIZES) pos += SCALAR_SIZES[elemType] * count;
                else for (let i = 0; i < count; i++) r.skipValue(elemType);
                return;
            }
            if (!(type in SCALAR_SIZES)) throw new Error(`unknown GGUF value type ${type}`);
            pos += SCALAR_SIZES[type];
        },
    };
    return r;
}

function u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; }
function u64(v) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; }
function ggufString(s) { const bytes = Buffer.from(s, 'utf8'); return Buffer.concat([u64(bytes.length), bytes]); }

/** Returns a new GGUF buffer whose string metadata `key` is `value`. */
export function setGgufString(original, key, value) {
    const buf = Buffer.from(original);
    if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error('not a GGUF file');
    const r = reader(buf);
    r.u32(); // magic
    const version = r.u32();
    const tensorCount = r.u64();
    const kvCount = r.u64();
    const kvParts = [];
    let alignment = 32;
    let found = false;
    for (let i = 0; i < kvCount; i++) {
        const start = r.pos;
        const name = r.string();
        const type = r.u32();
        const valueStart = r.pos;
        if (name === 'general.alignment' && type === 4) alignment = buf.readUInt32LE(valueStart);
        r.skipValue(type);
        if (name === key && type === STRING) {
            kvParts.push(Buffer.concat([ggufString(name), u32(STRING), ggufString(value)]));
            found = true;
        } else {
            kvParts.push(buf.subarray(start, r.pos));
        }
    }
    if (!found) kvParts.push(Buffer.concat([ggufString(key), u32(STRING), ggufString(value)]));
    const tensorStart = r.pos;
    for (let i = 0; i < tensorCount; i++) {
        r.string();
        const dims = r.u32();
        for (let d = 0; d < dims; d++) r.u64();
        r.u32();
        r.u64();
    }
    const tensorInfos = buf.subarray(tensorStart, r.pos);
    const dataStart = Math.ceil(r.pos / alignment) * alignment;
    const head = Buffer.concat([Buffer.from('GGUF', 'latin1'), u32(version), u64(tensorCount),
        u64(kvCount + (found ? 0 : 1)), ...kvParts, tensorInfos]);
    const padding = Buffer.alloc((alignment - (head.length % alignment)) % alignment);
    return Buffer.concat([head, padding, buf.subarray(dataStart)]);
}

/** The string value of `key`, or undefined (to check the patch). */
export function getGgufString(data, key) {
    const r = reader(Buffer.from(data));
    r.u32(); r.u32(); r.u64();
    const kvCount = r.u64();
    for (let i = 0; i < kvCount; i++) {
        const name = r.string();
        const type = r.u32();
        if (name === key && type === STRING) return r.string();
        r.skipValue(type);
    }
    return undefined;
}

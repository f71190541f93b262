// Small GGUF files made in memory for the loader tests: a header only, with tensors as large as
// asked (the data itself is never needed to test how it is received).
const GGUF_TYPE_F32 = 0;
const ALIGNMENT = 32;

// A GGUF v3 header with no metadata and F32 tensors of the given shapes; returns
// {header, dataBytes, fileSize}.
export function ggufHeader(tensors) {
    const parts = [];
    const u32 = (v) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); parts.push(b); };
    const u64 = (v) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); parts.push(b); };
    const str = (s) => { const b = new TextEncoder().encode(s); u64(b.length); parts.push(b); };
    parts.push(new TextEncoder().encode('GGUF'));
    u32(3);
    u64(tensors.length);
    u64(0);
    let offset = 0;
    for (const { name, shape } of tensors) {
        str(name);
        u32(shape.length);
        for (const n of shape) u64(n);
        u32(GGUF_TYPE_F32);
        u64(offset);
        offset += Math.ceil((4 * shape.reduce((a, b) => a * b, 1)) / ALIGNMENT) * ALIGNMENT;
    }
    const length = parts.reduce((n, p) => n + p.length, 0);
    const padded = Math.ceil(length / ALIGNMENT) * ALIGNMENT;
    const header = new Uint8Array(padded);
    let at = 0;
    for (const p of parts) {
        header.set(p, at);
        at += p.length;
    }
    return { header, dataBytes: offset, fileSize: padded + offset };
}

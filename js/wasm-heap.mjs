// Typed views on the engine's linear memory, and copying bytes and strings in and out of it.
//
// Memory can grow during any engine call, which replaces its ArrayBuffer; in the threaded build a
// worker thread may grow it, and Emscripten's own Module.HEAPU8 is then stale until the main
// thread next checks. So every access goes through u8()/i32()/... which rebuild the views from
// the memory's current buffer. Pointers come back from wasm as signed i32: callers apply `>>> 0`
// so that addresses above 2 GiB stay positive.
const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

export class WasmHeap {
    #module;
    #buffer = null;
    #u8;
    #i32;
    #u32;
    #f32;

    constructor(module) {
        this.#module = module;
    }

    // The threaded build exports its (shared) WebAssembly.Memory; the single-threaded one grows only
    // on this thread, where Emscripten refreshes HEAPU8 itself.
    get buffer() {
        return (this.#module.wasmMemory ?? this.#module.HEAPU8).buffer;
    }

    #views() {
        const buffer = this.buffer;
        if (buffer !== this.#buffer) {
            this.#buffer = buffer;
            this.#u8 = new Uint8Array(buffer);
            this.#i32 = new Int32Array(buffer);
            this.#u32 = new Uint32Array(buffer);
            this.#f32 = new Float32Array(buffer);
        }
    }

    u8() { this.#views(); return this.#u8; }
    i32() { this.#views(); return this.#i32; }
    u32() { this.#views(); return this.#u32; }
    f32() { this.#views(); return this.#f32; }

    malloc(size) {
        const ptr = this.#module._malloc(Math.max(1, size)) >>> 0;
        if (!ptr) throw new Error(`out of WebAssembly memory (allocating ${size} bytes)`);
        return ptr;
    }

    free(ptr) {
        if (ptr) this.#module._free(ptr);
    }

    // A copy: views of shared memory cannot be handed to TextDecoder, and the engine may overwrite
    // or move the bytes later.
    bytes(ptr, length) {
        return this.u8().slice(ptr, ptr + length);
    }

    // The NUL-terminated UTF-8 string at ptr (null for a NULL pointer).
    cString(ptr) {
        if (!ptr) return null;
        const u8 = this.u8();
        const end = u8.indexOf(0, ptr);
        return utf8Decoder.decode(u8.slice(ptr, end < 0 ? u8.length : end));
    }

    // A malloc'ed string the engine gave away: read, then freed.
    takeCString(ptr) {
        try {
            return this.cString(ptr);
        } finally {
            this.free(ptr);
        }
    }

    static encode(text) {
        return utf8Encoder.encode(String(text));
    }
}

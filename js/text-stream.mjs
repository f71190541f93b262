// Token pieces in, complete UTF-8 text out: bytes of a character split across tokens are held
// back until the character is whole (hearth_text_stream in hearth.h).
export class TextStream {
    #module;
    #heap;
    #owner; // the EngineCore, told when this stream is freed
    #ptr;

    constructor(module, heap, owner) {
        this.#module = module;
        this.#heap = heap;
        this.#owner = owner;
        this.#ptr = module._hearth_text_stream_create() >>> 0;
        if (!this.#ptr) throw new Error('could not create a text stream (out of memory)');
    }

    #live() {
        if (!this.#ptr) throw new Error('the text stream has been freed');
        return this.#ptr;
    }

    // piece: Uint8Array (a token's bytes, as EngineCore.tokenPiece gives them). Returns the text
    // completed by it, possibly ''.
    push(piece) {
        const stream = this.#live();
        const bytes = piece instanceof Uint8Array ? piece : new Uint8Array(piece);
        const ptr = this.#heap.malloc(bytes.length);
        try {
            this.#heap.u8().set(bytes, ptr);
            return this.#heap.cString(this.#module._hearth_text_stream_push(stream, ptr, bytes.length) >>> 0) ?? '';
        } finally {
            this.#heap.free(ptr);
        }
    }

    // Whatever is held back at the end (an unfinished character becomes U+FFFD).
    flush() {
        return this.#heap.cString(this.#module._hearth_text_stream_flush(this.#live()) >>> 0) ?? '';
    }

    free() {
        if (!this.#ptr) return;
        this.#module._hearth_text_stream_free(this.#ptr);
        this.#ptr = 0;
        this.#owner.release(this);
    }
}

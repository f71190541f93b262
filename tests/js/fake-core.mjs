// A stand-in for js/core.mjs with a trivial "model": after token t it predicts t + 1 (wrapping
// inside the letters), token 1 ends generation. Lets the worker's generation logic (KV prefix
// reuse, stop sequences, abort, context limits) be tested without WebAssembly.
export const EOG = 1;
const FIRST = 2; // tokens 2..27 are the letters a..z

export class FakeCore {
    constructor({ nCtx = 32, eogAfter = Infinity } = {}) {
        this.nCtx = nCtx;
        this.nVocab = 28;
        this.past = [];
        this.evalCalls = [];
        this.eogAfter = eogAfter; // predict EOG once this many tokens are in the cache
    }

    get nPast() {
        return this.past.length;
    }

    tokenize(text) {
        return Int32Array.from([...text].map((c) => c.charCodeAt(0) - 97 + FIRST));
    }

    tokenPiece(id) {
        return new TextEncoder().encode(String.fromCharCode(97 + id - FIRST));
    }

    isEog(id) {
        return id === EOG;
    }

    kvTruncate(n) {
        if (n > this.past.length) throw new Error('truncate beyond n_past');
        this.past.length = n;
    }

    eval(ids) {
        if (this.past.length + ids.length > this.nCtx) throw new Error('context overflow');
        this.evalCalls.push(Array.from(ids));
        this.past.push(...ids);
    }

    createSampler() {
        const core = this;
        return {
            sample() {
                if (core.past.length >= core.eogAfter) return EOG;
                const last = core.past[core.past.length - 1];
                return FIRST + ((last - FIRST + 1) % 26);
            },
            accept() {},
            reset() {},
            free() {},
        };
    }

    createTextStream() {
        const decoder = new TextDecoder();
        return {
            push: (u8) => decoder.decode(u8, { stream: true }),
            flush: () => decoder.decode(),
            free() {},
        };
    }
}

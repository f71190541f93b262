// A sampler bound to one engine: picks the next token from that engine's current logits.
// Parameter names follow hearth_sampling (hearth.h); a parameter left out keeps the engine's
// default, because the helper receives NaN for it (wasm/entry.c).
const PARAMS = ['temperature', 'topK', 'topP', 'minP', 'repeatPenalty', 'frequencyPenalty', 'presencePenalty',
    'penaltyLastN', 'seed'];

function numberOrDefault(params, name) {
    const v = params[name];
    if (v === undefined || v === null) return NaN;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`sampling parameter ${name} must be a finite number`);
    if (name === 'seed' && (v < 0 || !Number.isSafeInteger(v))) throw new TypeError('seed must be an integer in [0, 2^53)');
    return v;
}

export class Sampler {
    #module;
    #engine; // {ptr, nVocab}: the EngineCore's view for children
    #ptr;

    constructor(module, engine, params = {}) {
        this.#module = module;
        this.#engine = engine;
        const args = PARAMS.map((name) => numberOrDefault(params, name));
        this.#ptr = module._hearth_wasm_sampler_create(...args) >>> 0;
        if (!this.#ptr) throw new Error('could not create a sampler (out of memory)');
    }

    #live() {
        if (!this.#ptr) throw new Error('the sampler has been freed');
        return this.#ptr;
    }

    // The next token from the engine's logits after its last eval; remembered for the penalties.
    sample() {
        const sampler = this.#live();
        const logits = this.#engine.logitsPtr();
        return this.#module._hearth_sampler_sample(sampler, logits, this.#engine.nVocab);
    }

    // A token the sampler did not pick (the prompt's), for the penalties.
    accept(id) {
        this.#module._hearth_sampler_accept(this.#live(), id);
    }

    reset() {
        this.#module._hearth_sampler_reset(this.#live());
    }

    free() {
        if (!this.#ptr) return;
        this.#module._hearth_sampler_free(this.#ptr);
        this.#ptr = 0;
        this.#engine.release(this);
    }
}

// Sampling settings from a request, checked and completed with llama.cpp's defaults, so the
// same request gives the same behaviour here and in llama.cpp.
const DEFAULTS = {
    temperature: 0.8,
    topK: 40,
    topP: 0.95,
    minP: 0.05,
    repeatPenalty: 1,
    frequencyPenalty: 0,
    presencePenalty: 0,
    penaltyLastN: 64,
};

function number(name, value, fallback, { min = -Infinity, max = Infinity, integer = false } = {}) {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
        throw new RangeError(`${name} must be a number in [${min}, ${max}], got ${value}`);
    }
    if (integer && !Number.isInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
    return value;
}

function randomSeed() {
    return Math.floor(Math.random() * 0x100000000);
}

export function samplingParams(p = {}) {
    return {
        temperature: number('temperature', p.temperature, DEFAULTS.temperature, { min: 0 }),
        topK: number('topK', p.topK, DEFAULTS.topK, { min: 0, integer: true }),
        topP: number('topP', p.topP, DEFAULTS.topP, { min: 0, max: 1 }),
        minP: number('minP', p.minP, DEFAULTS.minP, { min: 0, max: 1 }),
        repeatPenalty: number('repeatPenalty', p.repeatPenalty, DEFAULTS.repeatPenalty, { min: 0 }),
        frequencyPenalty: number('frequencyPenalty', p.frequencyPenalty, DEFAULTS.frequencyPenalty),
        presencePenalty: number('presencePenalty', p.presencePenalty, DEFAULTS.presencePenalty),
        penaltyLastN: number('penaltyLastN', p.penaltyLastN, DEFAULTS.penaltyLastN, { min: 0, integer: true }),
        seed: number('seed', p.seed, randomSeed(), { min: 0, max: 2 ** 32 - 1, integer: true }),
    };
}

// maxTokens: undefined = until an end-of-generation token or a full context.
export function maxTokensParam(value) {
    if (value === undefined || value === null) return Infinity;
    return number('maxTokens', value, Infinity, { min: 0, integer: true });
}

export function stopParam(stop) {
    if (stop === undefined || stop === null) return [];
    const list = typeof stop === 'string' ? [stop] : stop;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
        throw new TypeError('stop must be a string or an array of strings');
    }
    return list.filter((s) => s.length > 0);
}

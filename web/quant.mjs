// Reads the quantization type from a GGUF file name, groups a repository's files by it and picks
// a sensible default (Q4_K_M, else the smallest file of at least 4 bits per weight).

// Longest alternatives first, so "Q4_K_M" wins over "Q4_K".
const QUANT_PATTERN = /(?:^|[-._])((?:I?Q\d_K_(?:XXS|XS|S|M|L|XL))|(?:IQ\d_(?:XXS|XS|NL|S|M|XL))|(?:Q\d_K)|(?:Q\d_\d)|(?:BF16|F16|F32))(?=[-._]|$)/i;

// Approximate bits per weight, to order the types and apply the ≥ 4-bit rule.
const BITS = {
    F32: 32, F16: 16, BF16: 16, Q8_0: 8.5, Q6_K: 6.6, Q5_1: 6, Q5_K_M: 5.7, Q5_K_S: 5.5, Q5_K: 5.5,
    Q5_0: 5.5, Q4_1: 5, Q4_K_M: 4.8, Q4_K_S: 4.6, Q4_K: 4.5, IQ4_XS: 4.25, IQ4_NL: 4.5, Q4_0: 4.5,
    Q3_K_L: 4.3, Q3_K_M: 3.9, Q3_K_S: 3.5, Q3_K: 3.4, IQ3_M: 3.7, IQ3_S: 3.4, IQ3_XS: 3.3,
    IQ3_XXS: 3.1, Q2_K: 2.6, Q2_K_S: 2.6, IQ2_M: 2.7, IQ2_S: 2.5, IQ2_XS: 2.3, IQ2_XXS: 2.1,
    IQ1_M: 1.8, IQ1_S: 1.6,
};

const SHARD_PATTERN = /-(\d{5})-of-(\d{5})\.gguf$/i;

export function quantOf(fileName) {
    const base = fileName.split('/').pop().replace(SHARD_PATTERN, '.gguf');
    const match = base.replace(/\.gguf$/i, '').match(QUANT_PATTERN);
    return match ? match[1].toUpperCase() : 'other';
}

export function bitsOf(quant) {
    return BITS[quant] ?? (/^I?Q(\d)/.exec(quant) ? Number(/^I?Q(\d)/.exec(quant)[1]) : 16);
}

/**
 * [{path, size}] → [{quant, bits, files: [{path, size, shards}]}], ordered by bits, high first.
 * Split models (name-00001-of-00003.gguf) become one entry: the first shard, total size.
 */
export function groupByQuant(files) {
    const models = [];
    const shardsByBase = new Map();
    for (const file of files) {
        if (!/\.gguf$/i.test(file.path)) continue;
        const shard = SHARD_PATTERN.exec(file.path);
        if (!shard) {
            models.push({ path: file.path, size: file.size, shards: 1 });
            continue;
        }
        const base = file.path.replace(SHARD_PATTERN, '');
        let entry = shardsByBase.get(base);
        if (!entry) {
            entry = { path: null, size: 0, shards: Number(shard[2]) };
            shardsByBase.set(base, entry);
            models.push(entry);
        }
        entry.size += file.size ?? 0;
        if (Number(shard[1]) === 1) entry.path = file.path;
    }
    const groups = new Map();
    for (const model of models.filter((m) => m.path)) {
        const quant = quantOf(model.path);
        if (!groups.has(quant)) groups.set(quant, { quant, bits: bitsOf(quant), files: [] });
        groups.get(quant).files.push(model);
    }
    return [...groups.values()].sort((a, b) => b.bits - a.bits || a.quant.localeCompare(b.quant));
}

/** The file a "Use this model" link without a file name should open. */
export function pickDefaultFile(files) {
    const models = groupByQuant(files).flatMap((group) => group.files.map((f) => ({ ...f, group })));
    if (models.length === 0) return null;
    const q4km = models.filter((m) => m.group.quant === 'Q4_K_M').sort((a, b) => a.size - b.size);
    if (q4km.length) return q4km[0].path;
    const atLeast4 = models.filter((m) => m.group.bits >= 4 && m.group.quant !== 'other');
    const pool = atLeast4.length ? atLeast4 : models;
    return pool.sort((a, b) => a.size - b.size)[0].path;
}

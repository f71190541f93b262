// A model in the cache, from its source: every shard of a split GGUF downloaded (or resumed)
// into the chunk store with one progress for the whole model, the sha256 of each shard taken
// from the Hub's tree API when there is one, and nothing fetched at all when the model is
// already complete (so a cached model loads with the Hub unreachable). Then its bytes read back
// chunk by chunk, shard by shard.
import { StorageQuotaError, formatBytes, abortError, isAbortError } from './delivery-errors.mjs';
import { resolveSource, expandShards, probeFile, lfsHashes } from './hub.mjs';
import { downloadFile, DOWNLOAD_DEFAULTS } from './download.mjs';
import { ProgressMeter } from './progress.mjs';
import { bytesOfChunks } from './store-common.mjs';

/**
 * The shards of a model source, each {url, name, shardIndex, shardCount, hub}; the model's id is
 * the first shard's URL.
 */
export function modelShards(source) {
    const resolved = resolveSource(source);
    if (resolved.kind !== 'url') throw new TypeError('a File/Blob is read directly, not downloaded');
    const shards = expandShards(resolved);
    return { id: shards[0].url, name: shards[0].name, hub: resolved.hub, shards };
}

function describe(model, records, fromCache) {
    return {
        id: model.id,
        name: model.name,
        size: records.reduce((n, r) => n + r.size, 0),
        verified: records.every((r) => r.verified),
        fromCache,
        files: records.map((r) => ({ id: r.id, name: r.name, size: r.size, verified: r.verified })),
    };
}

/**
 * Makes sure the whole model is in the store, downloading what is missing.
 * @param {any} source {repo, file, revision?, hubUrl?} | URL string
 * @param {object} options store (required), signal, onProgress, fetch, verify (default true: use
 *   the Hub's sha256), plus downloadFile's options (chunkSize, concurrency, timeoutMs, retries...)
 * @returns {Promise<{id: string, name: string, size: number, verified: boolean, fromCache: boolean, files: Array<{id: string, name: string, size: number, verified: boolean}>}>}
 */
export async function fetchModel(source, options) {
    const { store, signal, onProgress, verify = true } = options;
    const o = { ...DOWNLOAD_DEFAULTS, ...options };
    const model = modelShards(source);
    const meter = new ProgressMeter({ intervalMs: o.progressIntervalMs, onProgress });
    meter.file = model.name;
    if (signal?.aborted) throw abortError(signal);

    const records = await Promise.all(model.shards.map((s) => store.getFile(s.url)));
    if (records.every((r) => r?.complete)) {
        const now = Date.now();
        const touched = await Promise.all(records.map(async (r) => (await store.updateFile(r.id, { lastUsed: now })) ?? r));
        meter.total = touched.reduce((n, r) => n + r.size, 0);
        meter.addResumed(meter.total);
        meter.report();
        return describe(model, touched, true);
    }

    // Sizes first, so that progress covers the whole model and the quota is checked up front.
    const probeOptions = { fetch: o.fetch, signal, timeoutMs: o.timeoutMs, retries: o.retries, retryBaseMs: o.retryBaseMs, allowedOrigins: o.allowedOrigins };
    const probes = [];
    let remaining = 0;
    for (let i = 0; i < model.shards.length; i++) {
        const r = records[i];
        if (r?.complete) {
            probes.push(null);
            meter.total += r.size;
            continue;
        }
        const info = await probeFile(model.shards[i].url, probeOptions);
        probes.push(info);
        meter.total += info.size;
        const same = r && r.size === info.size && (r.etag ?? null) === (info.etag ?? null);
        remaining += info.size - (same ? bytesOfChunks(r, await store.chunkIndices(r.id)) : 0);
    }
    const room = await store.estimate();
    if (remaining > room.available) {
        throw new StorageQuotaError(
            `${model.name} needs ${formatBytes(remaining)} more storage, but the browser's storage quota has only ` +
            `${formatBytes(room.available)} left (${formatBytes(room.usage)} used of ${formatBytes(room.quota)}). Delete cached models to make room.`,
            { needed: remaining, available: room.available });
    }

    let hashes = new Map();
    if (verify && model.hub) {
        try {
            hashes = await lfsHashes(model.hub, model.shards.map((s) => s.hub.file),
                { signal, fetch: o.fetch, timeoutMs: o.timeoutMs, retries: 1, retryBaseMs: o.retryBaseMs });
        } catch (err) {
            if (signal?.aborted || isAbortError(err)) throw abortError(signal);
            // No tree API (a plain file server): the size check still applies.
        }
    }

    const done = [];
    for (let i = 0; i < model.shards.length; i++) {
        const shard = model.shards[i];
        done.push(await downloadFile({
            ...o,
            store,
            url: shard.url,
            id: shard.url,
            probed: probes[i] ?? undefined,
            sha256: shard.hub ? hashes.get(shard.hub.file) ?? null : null,
            meter,
            meta: {
                modelId: model.id,
                name: shard.name,
                shardIndex: shard.shardIndex,
                shardCount: shard.shardCount,
                ...(shard.hub ? { repo: shard.hub.repo, file: shard.hub.file, revision: shard.hub.revision, hubUrl: shard.hub.hubUrl } : {}),
            },
        }));
        meter.file = model.name;
    }
    meter.report();
    return describe(model, done, false);
}

/** The cached, complete model of this source, or null (no network). */
export async function cachedModel(source, { store }) {
    const model = modelShards(source);
    const records = await Promise.all(model.shards.map((s) => store.getFile(s.url)));
    return records.every((r) => r?.complete) ? describe(model, records, true) : null;
}

/**
 * The model's bytes, shard by shard, chunk by chunk: yields {shard, shardCount, size, chunk}.
 * @param {{files: Array<{id: string, size: number}>}} model what fetchModel returned
 */
export async function* readModelChunks(store, model, { signal } = {}) {
    for (let shard = 0; shard < model.files.length; shard++) {
        const file = model.files[shard];
        for await (const chunk of store.readChunks(file.id, { signal })) {
            yield { shard, shardCount: model.files.length, size: file.size, chunk };
        }
    }
}

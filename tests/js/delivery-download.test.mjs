// Chunked, resumable downloads (js/download.mjs, js/model-cache.mjs) into the in-memory store,
// against the local Hub server with its faults: dropped connections, 5xx, ignored Range,
// stalls, wrong Content-Length, changed ETags, abort, quota, checksum, split models, offline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadFile } from '../../js/download.mjs';
import { fetchModel, readModelChunks, cachedModel } from '../../js/model-cache.mjs';
import { MemoryStore } from '../../js/store-memory.mjs';
import { duplicateBytes, servedRanges } from '../server/hub-server.mjs';
import { writeSplitGguf } from '../server/gguf-split.mjs';
import { startHub, testBytes, sha256, FAST, collect, concatBytes, STORIES_DIR, STORIES_F32 } from './delivery-fixtures.mjs';

const CHUNK = 64 * 1024;
const DATA = testBytes(10 * CHUNK + 1234, 11); // 11 chunks, the last one short
const NAME = 'data-Q4_0.gguf';
let hub;
let splitDir;
let url;

before(async () => {
    splitDir = await mkdtemp(join(tmpdir(), 'hearth-split-'));
    await writeSplitGguf(join(STORIES_DIR, STORIES_F32), splitDir, 'stories-split', 3);
    hub = await startHub({
        repos: {
            'test/data': { files: { [NAME]: DATA } },
            'test/split': splitDir,
            'local/stories260K': STORIES_DIR,
        },
    });
    url = `${hub.url}/test/data/resolve/main/${NAME}`;
});

after(async () => {
    await hub.close();
    await rm(splitDir, { recursive: true, force: true });
});

function fresh() {
    hub.reset();
    hub.clearLog();
    return new MemoryStore();
}

async function storedBytes(store, id) {
    return concatBytes(await collect(store.readChunks(id)));
}

function download(store, extra = {}) {
    return downloadFile({ store, url, chunkSize: CHUNK, concurrency: 3, ...FAST, ...extra });
}

test('downloads every chunk into the store with throttled progress; the bytes read back equal the file', async () => {
    const store = fresh();
    const events = [];
    const record = await download(store, { sha256: sha256(DATA), onProgress: (p) => events.push(p), progressIntervalMs: 0 });
    assert.equal(record.complete, true);
    assert.equal(record.verified, true);
    assert.equal(record.size, DATA.byteLength);
    assert.equal(record.etag, `"${sha256(DATA)}"`);
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
    assert.deepEqual(await store.chunkIndices(url), [...Array(11).keys()]);
    const last = events.at(-1);
    assert.equal(last.phase, 'download');
    assert.equal(last.loaded, DATA.byteLength);
    assert.equal(last.total, DATA.byteLength);
    assert.equal(last.file, NAME);
    assert.equal(last.resumedFrom, 0);
    assert.equal(last.eta, 0);
    assert.ok(events.some((e) => e.rate > 0), 'a rate is reported');
    for (let i = 1; i < events.length; i++) assert.ok(events[i].loaded >= events[i - 1].loaded, 'loaded never goes back');
    assert.equal(duplicateBytes(hub.log, NAME), 1, 'only the probe byte was fetched twice');
    const throttled = [];
    await download(fresh(), { onProgress: (p) => throttled.push(p), progressIntervalMs: 60000 });
    assert.ok(throttled.length <= 4, `progress is throttled (${throttled.length} events)`);
});

test('a connection dropped mid-chunk is retried; only that chunk is fetched twice', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'drop', afterBytes: 20000, nth: 3 }]);
    await download(store);
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
    const dup = duplicateBytes(hub.log, NAME);
    assert.ok(dup <= 20000 + 1, `${dup} bytes fetched twice`);
    assert.ok(hub.log.some((e) => e.faults.includes('drop')), 'the fault happened');
});

test('after a failed download the next one resumes from the stored chunks, never from zero', async () => {
    const store = fresh();
    // CDN request 1 is the size probe. Chunk 3 (request 5) is cut, then the server answers 500 to
    // everything: the download fails.
    hub.setFaults([{ type: 'drop', afterBytes: 10000, nth: 5 }, { type: 'status', status: 500, from: 6 }]);
    await assert.rejects(download(store, { concurrency: 1, retries: 2 }), (err) => err.name === 'DownloadError' && /resumes/.test(err.message));
    const kept = await store.chunkIndices(url);
    assert.deepEqual(kept, [0, 1, 2], 'the chunks that arrived are kept');
    hub.reset();
    const events = [];
    await download(store, { concurrency: 1, onProgress: (p) => events.push(p) });
    assert.equal(events[0].resumedFrom, 3 * CHUNK);
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
    const dup = duplicateBytes(hub.log, NAME);
    assert.ok(dup <= CHUNK + 2, `no range fetched twice beyond one chunk (${dup} bytes)`);
});

test('a changed ETag discards the stale chunks', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'status', status: 500, from: 5 }]);
    await assert.rejects(download(store, { concurrency: 1, retries: 0 }));
    assert.deepEqual(await store.chunkIndices(url), [0, 1, 2]);
    const oldEtag = (await store.getFile(url)).etag;
    hub.reset();
    hub.changeEtag();
    hub.clearLog();
    const events = [];
    const record = await download(store, { concurrency: 1, onProgress: (p) => events.push(p) });
    assert.notEqual(record.etag, oldEtag);
    assert.equal(events[0].resumedFrom, 0, 'nothing resumed from the old file');
    const ranges = servedRanges(hub.log, NAME).filter((r) => r.bytes > 1);
    assert.equal(ranges[0].start, 0, 'fetched again from the start');
    assert.equal(ranges.reduce((n, r) => n + r.bytes, 0), DATA.byteLength);
});

test('an ETag that changes during the download restarts it on the new file', async () => {
    const store = fresh();
    let changed = false;
    const fetchThatChanges = async (u, init) => {
        const res = await fetch(u, init);
        if (!changed && /bytes=196608-/.test(init?.headers?.Range ?? '')) {
            changed = true;
            hub.changeEtag(); // later answers carry the new ETag
        }
        return res;
    };
    const record = await download(store, { concurrency: 1, fetch: fetchThatChanges });
    assert.ok(changed);
    assert.match(record.etag, /-v1"$/);
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
});

test('a CDN whose ETag varies per answer (the file unchanged) does not restart the download', async () => {
    const store = fresh();
    let n = 0;
    const varying = async (u, init) => {
        const res = await fetch(u, init);
        if ((init?.headers?.Range ?? '') === 'bytes=0-0') return res; // probes see the real ETag
        const headers = new Headers(res.headers);
        headers.set('etag', `"per-answer-${n++}"`);
        return new Response(res.body, { status: res.status, headers });
    };
    const record = await download(store, { fetch: varying, sha256: sha256(DATA) });
    assert.equal(record.verified, true);
    assert.equal(hub.log.filter((e) => e.kind === 'cdn' && e.range === 'bytes=0-0').length, 2, 'one extra probe settled it');
    assert.equal(servedRanges(hub.log, NAME).filter((r) => r.bytes > 1).reduce((k, r) => k + r.bytes, 0), DATA.byteLength);
});

test('5xx answers are retried with exponential back-off, then succeed', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'status', status: 503, nth: [2, 3, 4] }]);
    const t0 = Date.now();
    await download(store, { concurrency: 1, retryBaseMs: 40, retryMaxMs: 1000 });
    const ms = Date.now() - t0;
    // 40 + 80 + 160 ms, each at least 75%: 210 ms.
    assert.ok(ms >= 210, `back-off waited ${ms} ms`);
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
    // The size probe, then chunk 0 three times refused, then accepted.
    assert.deepEqual(hub.log.filter((e) => e.kind === 'cdn').map((e) => e.status).slice(0, 5), [206, 503, 503, 503, 206]);
});

test('a 4xx is not retried', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'status', status: 403, nth: 2 }]);
    await assert.rejects(download(store, { concurrency: 1 }), (err) => err.code === 'HTTP_403' && /gated/.test(err.message));
    assert.equal(hub.log.filter((e) => e.status === 403).length, 1);
});

test('a server that ignores Range: the stream is split into chunks, stored ones skipped', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'status', status: 500, from: 4 }]);
    await assert.rejects(download(store, { concurrency: 1, retries: 0 }));
    hub.reset();
    hub.setFaults([{ type: 'ignoreRange' }]);
    const events = [];
    const record = await download(store, { sha256: sha256(DATA), onProgress: (p) => events.push(p) });
    assert.equal(record.verified, true);
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
    assert.equal(events.at(-1).loaded, DATA.byteLength);
    assert.ok(hub.log.some((e) => e.kind === 'cdn' && e.status === 200 && e.bytesSent === DATA.byteLength), 'read as one stream');
});

test('one answer that ignores Range among good ones is handled too', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'ignoreRange', nth: 5 }]);
    await download(store, { sha256: sha256(DATA) });
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
});

test('a stalled connection times out and is retried; stalling for good is a clear error', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'stall', nth: 3 }]);
    const t0 = Date.now();
    await download(store, { timeoutMs: 300 });
    assert.ok(Date.now() - t0 >= 300);
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
    const again = fresh();
    hub.setFaults([{ type: 'stall', from: 2 }]);
    await assert.rejects(download(again, { timeoutMs: 200, retries: 1, concurrency: 1 }),
        (err) => err.code === 'STALLED' && /stalled/.test(err.message));
});

test('a body mid-stream stall (bytes, then nothing) times out as well', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'throttle', bytesPerSec: 2000, nth: 2 }]);
    await download(store, { timeoutMs: 300 });
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
});

test('a Content-Length that disagrees with the bytes is an error for that chunk, which is retried', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'contentLength', delta: 100, nth: 2 }, { type: 'contentLength', delta: -100, nth: 4 }]);
    await download(store, { concurrency: 1 });
    assert.equal(sha256(await storedBytes(store, url)), sha256(DATA));
    const cdn = hub.log.filter((e) => e.kind === 'cdn');
    assert.deepEqual(cdn[2].range, cdn[1].range, 'the chunk with the wrong length was fetched again');
});

test('abort stops the download at once and keeps what is stored', async () => {
    const store = fresh();
    hub.setFaults([{ type: 'throttle', bytesPerSec: 200000 }]);
    const controller = new AbortController();
    const t0 = Date.now();
    setTimeout(() => controller.abort(), 900); // 64 KiB chunks at 200 KB/s: two or three are stored by then
    await assert.rejects(download(store, { signal: controller.signal, concurrency: 1 }), (err) => err.name === 'AbortError');
    assert.ok(Date.now() - t0 < 2500, 'abort is prompt');
    const kept = await store.chunkIndices(url);
    assert.ok(kept.length >= 1 && kept.length < 11, `some chunks kept (${kept.length})`);
    hub.reset();
    const events = [];
    await download(store, { onProgress: (p) => events.push(p) });
    assert.equal(events[0].resumedFrom, kept.length * CHUNK);
});

test('a wrong sha256 fails the download and discards the copy', async () => {
    const store = fresh();
    await assert.rejects(download(store, { sha256: 'ab'.repeat(32) }), (err) => err.code === 'CHECKSUM_MISMATCH' && err.message.includes(sha256(DATA)));
    assert.equal((await store.chunkIndices(url)).length, 0);
    assert.equal((await store.getFile(url)).complete, false);
});

test('a download larger than the storage quota is refused before any chunk is fetched, naming both numbers', async () => {
    hub.clearLog();
    const store = new MemoryStore({ quotaBytes: 300000 });
    await assert.rejects(download(store), (err) => err.name === 'StorageQuotaError' && err.code === 'STORAGE_QUOTA' &&
        err.message.includes(`${DATA.byteLength} bytes`) && err.message.includes('300000 bytes'));
    assert.ok(hub.log.every((e) => e.range === 'bytes=0-0'), 'only the size probe went out');
    // A quota that fills up during the download (another writer): a clear error too.
    const tight = new MemoryStore({ quotaBytes: DATA.byteLength });
    await tight.putFile({ id: 'other', size: 200000, chunkSize: 200000 });
    const fill = downloadFile({ store: tight, url, chunkSize: CHUNK, concurrency: 1, ...FAST, onProgress: () => {} });
    await tight.putChunk('other', 0, new Uint8Array(200000));
    await assert.rejects(fill, (err) => err.code === 'STORAGE_QUOTA');
});

test('a complete file is not fetched again', async () => {
    const store = fresh();
    await download(store);
    hub.clearLog();
    const events = [];
    const record = await download(store, { onProgress: (p) => events.push(p) });
    assert.equal(record.complete, true);
    assert.equal(hub.log.length, 0);
    assert.equal(events.at(-1).resumedFrom, DATA.byteLength);
});

test('fetchModel: a split model (3 shards), verified against the tree API, read back shard by shard; then offline', async () => {
    const store = fresh();
    const source = { repo: 'test/split', file: 'stories-split-00002-of-00003.gguf', hubUrl: hub.url };
    const events = [];
    const model = await fetchModel(source, { store, chunkSize: 100000, ...FAST, onProgress: (p) => events.push(p) });
    assert.equal(model.files.length, 3);
    assert.equal(model.verified, true);
    assert.equal(model.fromCache, false);
    assert.ok(model.id.endsWith('stories-split-00001-of-00003.gguf'));
    const sizes = [];
    for (let i = 1; i <= 3; i++) sizes.push((await readFile(join(splitDir, `stories-split-0000${i}-of-00003.gguf`))).byteLength);
    assert.equal(model.size, sizes.reduce((a, b) => a + b));
    assert.equal(events.at(-1).loaded, model.size);
    assert.equal(events.at(-1).total, model.size);
    const byShard = [[], [], []];
    for await (const { shard, shardCount, chunk } of readModelChunks(store, model)) {
        assert.equal(shardCount, 3);
        byShard[shard].push(chunk);
    }
    for (let i = 0; i < 3; i++) {
        const want = await readFile(join(splitDir, `stories-split-0000${i + 1}-of-00003.gguf`));
        assert.equal(sha256(concatBytes(byShard[i])), sha256(want), `shard ${i + 1}`);
    }
    const [listed] = await store.listModels();
    assert.equal(listed.id, model.id);
    assert.equal(listed.shards, 3);
    assert.equal(listed.repo, 'test/split');
    assert.equal(listed.file, 'stories-split-00001-of-00003.gguf');
    assert.equal(listed.complete, true);

    // With the Hub unreachable the cached model is still there, without a single request.
    hub.clearLog();
    hub.setFaults([{ type: 'down', on: 'any' }]);
    const again = await fetchModel(source, { store, ...FAST });
    assert.equal(again.fromCache, true);
    assert.equal(hub.log.length, 0);
    assert.ok(await cachedModel(source, { store }));
    await store.deleteModel(model.id);
    assert.equal((await store.listModels()).length, 0);
    assert.equal(await cachedModel(source, { store }), null);
});

test('fetchModel: stories260K from a models folder, sha256-verified', async () => {
    const store = fresh();
    const model = await fetchModel({ repo: 'local/stories260K', file: STORIES_F32, hubUrl: hub.url }, { store, chunkSize: 256 * 1024, ...FAST });
    assert.equal(model.verified, true);
    const bytes = concatBytes((await collect(readModelChunks(store, model))).map((x) => x.chunk));
    assert.equal(sha256(bytes), sha256(await readFile(join(STORIES_DIR, STORIES_F32))));
});

test('a redirect to a foreign origin is refused during the download', async () => {
    const store = fresh();
    const evil = await startHub({ repos: { 'o/r': { files: { 'x.gguf': DATA } } } });
    let calls = 0;
    const hijack = async (u, init) => {
        calls++;
        // The second request goes elsewhere, as if a redirect had sent it there.
        const target = calls === 2 ? `${evil.url}/o/r/resolve/main/x.gguf` : u;
        const res = await fetch(target, init);
        if (calls === 2) Object.defineProperty(res, 'redirected', { value: true });
        return res;
    };
    try {
        await assert.rejects(download(store, { fetch: hijack, concurrency: 1 }), (err) => err.code === 'REDIRECT_REFUSED');
    } finally {
        await evil.close();
    }
});

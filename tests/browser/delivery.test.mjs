// Model delivery in Debian's Chromium against the local Hub server: downloads into the real
// IndexedDB with progress, resuming after a dropped connection and a page reload (no byte range
// fetched twice beyond one chunk), loading from IndexedDB with the Hub stopped and after a
// browser restart, stale chunks discarded on a changed ETag, 5xx with back-off, a server that
// ignores Range, a stalled connection, a full quota, a database blocked by another tab, split
// models, and chunks read back in order equal to the file (sha256).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { HubServer, duplicateBytes, servedRanges } from '../server/hub-server.mjs';
import { createAppServer } from '../server/app-server.mjs';
import { writeSplitGguf } from '../server/gguf-split.mjs';
import { LAUNCH_OPTIONS } from './chromium.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const SHARED = process.env.SHARED_DIR ?? resolve(ROOT, '../shared');
const PAGE = '/tests/browser/fixtures/delivery.html';
const FILE = 'stories260K-f32.gguf';
const MODEL_PATH = join(SHARED, 'models/stories260K', FILE);
const CHUNK = 128 * 1024; // stories260K F32 is 1185376 bytes: 10 chunks, the last one short
const FAST = { chunkSize: CHUNK, retryBaseMs: 20, retryMaxMs: 200, timeoutMs: 5000, progressIntervalMs: 0 };
const TEST_TIMEOUT = 60_000;

let hub;
let app;
let browser;
let splitDir;
let fileBytes;
let fileSha;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

before(async () => {
    fileBytes = await readFile(MODEL_PATH);
    fileSha = sha256(fileBytes);
    splitDir = await mkdtemp(join(tmpdir(), 'hearth-split-'));
    await writeSplitGguf(MODEL_PATH, splitDir, 'stories-split', 3);
    hub = await new HubServer({ repos: { 'local/stories260K': { files: { [FILE]: MODEL_PATH } }, 'test/split': splitDir } }).listen();
    app = await createAppServer({ root: ROOT }).listen();
    browser = await chromium.launch(LAUNCH_OPTIONS);
});

after(async () => {
    await browser?.close().catch(() => {});
    await hub?.close();
    await app?.close();
    if (splitDir) await rm(splitDir, { recursive: true, force: true });
});

async function openPage(context) {
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const log = [];
    page.on('pageerror', (err) => log.push(err.message));
    await page.goto(app.url + PAGE);
    await page.waitForFunction(() => window.deliveryReady === true);
    return page;
}

async function freshPage() {
    const context = await browser.newContext();
    return { context, page: await openPage(context) };
}

function call(page, fn, args) {
    return page.evaluate(([name, a]) => window.delivery[name](a), [fn, args]);
}

function source(extra = {}) {
    return { repo: 'local/stories260K', file: FILE, hubUrl: hub.url, ...extra };
}

async function waitFor(predicate, what, timeoutMs = 20_000) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
        if (predicate()) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
}

function cdnLog() {
    return hub.log.filter((e) => e.kind === 'cdn' && e.method === 'GET');
}

test('the IndexedDB store passes the same contract as the in-memory one', { timeout: TEST_TIMEOUT }, async () => {
    const { context, page } = await freshPage();
    try {
        const results = await call(page, 'runStoreContract');
        assert.ok(results.length >= 5);
        for (const r of results) assert.ok(r.ok, `${r.name}: ${r.message}`);
    } finally {
        await context.close();
    }
});

test('downloads stories260K into IndexedDB with progress; the chunks read back in order equal the file', { timeout: TEST_TIMEOUT }, async () => {
    hub.reset();
    hub.clearLog();
    const { context, page } = await freshPage();
    try {
        const { model, events, error } = await call(page, 'download', { source: source(), options: { ...FAST, concurrency: 3 } });
        assert.equal(error, undefined, JSON.stringify(error));
        assert.equal(model.size, fileBytes.byteLength);
        assert.equal(model.verified, true, 'checked against the sha256 from the tree API');
        assert.ok(events.length >= 10, `${events.length} progress events`);
        for (let i = 1; i < events.length; i++) assert.ok(events[i].loaded >= events[i - 1].loaded);
        const last = events.at(-1);
        assert.deepEqual([last.phase, last.loaded, last.total, last.file, last.resumedFrom], ['download', fileBytes.byteLength, fileBytes.byteLength, FILE, 0]);
        assert.ok(events.some((e) => e.rate > 0 && Number.isFinite(e.eta)), 'rate and ETA reported');
        const back = await call(page, 'readBack', { model });
        assert.deepEqual(back, { sha256: [fileSha], chunks: 10, largest: CHUNK });
        const [listed] = await call(page, 'listModels');
        assert.equal(listed.complete, true);
        assert.equal(listed.repo, 'local/stories260K');
        assert.ok(duplicateBytes(hub.log, FILE) <= 1, 'nothing but the probe byte fetched twice');
    } finally {
        await context.close();
    }
});

test('a connection dropped mid-download, then the page reloaded: resumes; no range fetched twice beyond one chunk', { timeout: TEST_TIMEOUT }, async () => {
    hub.reset();
    hub.clearLog();
    // CDN request 1 is the size probe, 2-4 are three chunks; request 5 is cut after 30000 bytes,
    // and from then on the Hub answers 500: the download keeps retrying until the reload.
    hub.setFaults([
        { type: 'throttle', bytesPerSec: 600_000 },
        { type: 'drop', afterBytes: 30_000, nth: 5 },
        { type: 'status', status: 500, from: 6 },
    ]);
    const { context, page } = await freshPage();
    try {
        const db = 'hearth-resume';
        await call(page, 'startDownload', { db, source: source(), options: { ...FAST, concurrency: 2, retries: 50, retryBaseMs: 300, retryMaxMs: 300 } });
        await waitFor(() => cdnLog().filter((e) => e.status === 500).length >= 3, 'the download to be retrying');
        await page.reload();
        await page.waitForFunction(() => window.deliveryReady === true);
        const id = hub.url + `/local/stories260K/resolve/main/${FILE}`;
        // Requests 2-4 carried three of chunks 0-3 (with two in flight, 2 and 3 may arrive in either order).
        const kept = await call(page, 'chunkIndices', { db, id });
        assert.equal(kept.length, 3, `the chunks that arrived survived the reload (${kept})`);
        assert.ok(kept.every((i) => i <= 3));
        hub.reset();
        const { model, events, error } = await call(page, 'download', { db, source: source(), options: { ...FAST, concurrency: 2 } });
        assert.equal(error, undefined, JSON.stringify(error));
        assert.equal(events[0].resumedFrom, 3 * CHUNK, 'resumed from the stored chunks');
        assert.equal(model.verified, true);
        assert.deepEqual((await call(page, 'readBack', { db, model })).sha256, [fileSha]);
        const dup = duplicateBytes(hub.log, FILE);
        assert.ok(dup <= 30_000 + 4, `bytes fetched twice: ${dup} (the cut chunk's 30000 and the probes' single bytes)`);
        assert.ok(dup <= CHUNK, 'no more than one chunk');
    } finally {
        await context.close();
    }
});

test('with the Hub stopped the model loads from IndexedDB, also after a browser restart', { timeout: TEST_TIMEOUT }, async () => {
    const profile = await mkdtemp(join(tmpdir(), 'hearth-profile-'));
    const ownHub = await new HubServer({ repos: { 'local/stories260K': { files: { [FILE]: MODEL_PATH } } } }).listen();
    const launch = () => chromium.launchPersistentContext(profile, LAUNCH_OPTIONS);
    try {
        let context = await launch();
        let page = await openPage(context);
        const src = source({ hubUrl: ownHub.url });
        const first = await call(page, 'download', { db: 'hearth', source: src, options: FAST });
        assert.equal(first.error, undefined, JSON.stringify(first.error));
        await context.close();
        await ownHub.close(); // the Hub is gone

        context = await launch(); // a new browser process on the same profile
        try {
            page = await openPage(context);
            const models = await call(page, 'listModels', { db: 'hearth' });
            assert.equal(models.length, 1);
            assert.equal(models[0].complete, true);
            const again = await call(page, 'download', { db: 'hearth', source: src, options: FAST });
            assert.equal(again.error, undefined, JSON.stringify(again.error));
            assert.equal(again.model.fromCache, true);
            assert.equal(again.events.at(-1).resumedFrom, fileBytes.byteLength);
            assert.deepEqual((await call(page, 'readBack', { db: 'hearth', model: again.model })).sha256, [fileSha]);
        } finally {
            await context.close();
        }
    } finally {
        await ownHub.close().catch(() => {});
        await rm(profile, { recursive: true, force: true });
    }
});

test('a changed ETag discards the stale chunks', { timeout: TEST_TIMEOUT }, async () => {
    hub.reset();
    hub.clearLog();
    hub.setFaults([{ type: 'status', status: 500, from: 5 }]);
    const { context, page } = await freshPage();
    try {
        const db = 'hearth-etag';
        const failed = await call(page, 'download', { db, source: source(), options: { ...FAST, concurrency: 1, retries: 0 } });
        assert.equal(failed.error?.name, 'DownloadError');
        const id = hub.url + `/local/stories260K/resolve/main/${FILE}`;
        assert.deepEqual(await call(page, 'chunkIndices', { db, id }), [0, 1, 2]);
        hub.reset();
        hub.changeEtag();
        hub.clearLog();
        const { model, events, error } = await call(page, 'download', { db, source: source(), options: { ...FAST, concurrency: 1 } });
        assert.equal(error, undefined, JSON.stringify(error));
        assert.equal(events[0].resumedFrom, 0);
        assert.match((await call(page, 'fileRecord', { db, id })).etag, /-v1"$/);
        const ranges = servedRanges(hub.log, FILE).filter((r) => r.bytes > 1);
        assert.equal(ranges[0].start, 0, 'chunk 0 fetched again');
        assert.deepEqual((await call(page, 'readBack', { db, model })).sha256, [fileSha]);
        hub.reset();
    } finally {
        await context.close();
    }
});

test('5xx answers, then success after exponential back-off', { timeout: TEST_TIMEOUT }, async () => {
    hub.reset();
    hub.clearLog();
    hub.setFaults([{ type: 'status', status: 503, nth: [2, 3, 4] }]);
    const { context, page } = await freshPage();
    try {
        const t0 = Date.now();
        const { model, error } = await call(page, 'download', { source: source(), options: { ...FAST, concurrency: 1, retryBaseMs: 100, retryMaxMs: 1000 } });
        const ms = Date.now() - t0;
        assert.equal(error, undefined, JSON.stringify(error));
        assert.ok(ms >= 0.75 * (100 + 200 + 400), `waited ${ms} ms`);
        assert.deepEqual(cdnLog().slice(0, 5).map((e) => e.status), [206, 503, 503, 503, 206]);
        assert.deepEqual((await call(page, 'readBack', { model })).sha256, [fileSha]);
    } finally {
        await context.close();
    }
});

test('a server that ignores Range: the whole-file answer is split into chunks', { timeout: TEST_TIMEOUT }, async () => {
    hub.reset();
    hub.clearLog();
    hub.setFaults([{ type: 'ignoreRange' }]);
    const { context, page } = await freshPage();
    try {
        const { model, error } = await call(page, 'download', { source: source(), options: { ...FAST, concurrency: 3 } });
        assert.equal(error, undefined, JSON.stringify(error));
        assert.equal(model.verified, true);
        assert.ok(cdnLog().some((e) => e.status === 200 && e.bytesSent === fileBytes.byteLength));
        assert.deepEqual(await call(page, 'readBack', { model }), { sha256: [fileSha], chunks: 10, largest: CHUNK });
    } finally {
        hub.reset();
        await context.close();
    }
});

test('a stalled connection times out and is retried; a Hub that stalls for good gives a clear error', { timeout: TEST_TIMEOUT }, async () => {
    hub.reset();
    hub.clearLog();
    hub.setFaults([{ type: 'stall', nth: 3 }]);
    const { context, page } = await freshPage();
    try {
        const t0 = Date.now();
        const ok = await call(page, 'download', { source: source(), options: { ...FAST, timeoutMs: 500 } });
        assert.equal(ok.error, undefined, JSON.stringify(ok.error));
        assert.ok(Date.now() - t0 >= 500);
        assert.deepEqual((await call(page, 'readBack', { model: ok.model })).sha256, [fileSha]);
        hub.setFaults([{ type: 'stall', from: 1 }]);
        const stuck = await call(page, 'download', { db: 'hearth-stall', source: source(), options: { ...FAST, timeoutMs: 300, retries: 1 } });
        assert.equal(stuck.error?.code, 'STALLED', JSON.stringify(stuck.error));
        assert.match(stuck.error.message, /stalled/);
    } finally {
        hub.reset();
        await context.close();
    }
});

test('a model larger than the storage quota: a clear error naming both numbers, before any chunk is fetched', { timeout: TEST_TIMEOUT }, async () => {
    hub.reset();
    hub.clearLog();
    const { context, page } = await freshPage();
    try {
        const { error } = await call(page, 'download', { db: 'hearth-quota', quotaBytes: 500_000, source: source(), options: FAST });
        assert.equal(error?.name, 'StorageQuotaError');
        assert.equal(error.code, 'STORAGE_QUOTA');
        assert.ok(error.message.includes(`${fileBytes.byteLength} bytes`) && error.message.includes('500000 bytes'), error.message);
        assert.ok(cdnLog().every((e) => e.range === 'bytes=0-0'), 'only the size probe');
    } finally {
        await context.close();
    }
});

test('a database blocked by another tab, or upgraded under us, gives a clear error', { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext();
    try {
        const oldTab = await openPage(context);
        const newTab = await openPage(context);
        await call(oldTab, 'holdOldConnection', 'hearth-blocked');
        const blocked = await call(newTab, 'openNewerVersion', 'hearth-blocked');
        assert.equal(blocked.error?.code, 'STORE_BLOCKED');
        assert.match(blocked.error.message, /another tab/);

        await call(oldTab, 'openStoreForUpgrade', 'hearth-upgrade');
        assert.equal(await call(newTab, 'upgradeFromHere', 'hearth-upgrade'), true, 'our store let the other tab upgrade');
        const after = await call(oldTab, 'useStoreAfterUpgrade');
        assert.equal(after.error?.code, 'STORE_BLOCKED');
        assert.match(after.error.message, /Reload/);
    } finally {
        await context.close();
    }
});

test('a split model: every shard downloaded, verified and read back in order', { timeout: TEST_TIMEOUT }, async () => {
    hub.reset();
    const { context, page } = await freshPage();
    try {
        const src = { repo: 'test/split', file: 'stories-split-00001-of-00003.gguf', hubUrl: hub.url };
        const { model, error } = await call(page, 'download', { source: src, options: { ...FAST, chunkSize: 100_000 } });
        assert.equal(error, undefined, JSON.stringify(error));
        assert.equal(model.files.length, 3);
        assert.equal(model.verified, true);
        const want = [];
        for (let i = 1; i <= 3; i++) want.push(sha256(await readFile(join(splitDir, `stories-split-0000${i}-of-00003.gguf`))));
        assert.deepEqual((await call(page, 'readBack', { model })).sha256, want);
    } finally {
        await context.close();
    }
});

const haveWasm = existsSync(join(ROOT, 'dist/wasm/hearth-mt.wasm')) && existsSync(join(ROOT, 'dist/wasm/hearth-st.wasm'));

test('the engine loads a split model from the Hub (through the model cache) and generates what the whole file does',
    { timeout: TEST_TIMEOUT, skip: haveWasm ? false : 'no wasm build in dist/wasm' }, async () => {
        hub.reset();
        const { context, page } = await freshPage();
        try {
            const r = await page.evaluate(async ({ hubUrl, file }) => {
                const { createEngine, listCachedModels } = await import('/js/index.mjs');
                const engine = createEngine({ contextLength: 64 });
                const run = async (source) => {
                    const phases = new Set();
                    await engine.load(source, { onProgress: (p) => phases.add(p.phase) });
                    let text = '';
                    for await (const t of engine.generate('Once upon a time', { maxTokens: 24, temperature: 0 })) text += t.text;
                    return { text, phases: [...phases] };
                };
                const whole = await run({ repo: 'local/stories260K', file, hubUrl });
                const split = await run({ repo: 'test/split', file: 'stories-split-00001-of-00003.gguf', hubUrl });
                const fromCache = await run({ repo: 'test/split', file: 'stories-split-00001-of-00003.gguf', hubUrl });
                const cached = await listCachedModels();
                await engine.dispose();
                return { whole, split, fromCache, cached: cached.map((m) => [m.file, m.shards, m.complete, m.verified]) };
            }, { hubUrl: hub.url, file: FILE });
            assert.ok(r.whole.text.length > 20, r.whole.text);
            assert.equal(r.split.text, r.whole.text);
            assert.deepEqual(r.split.phases.sort(), ['download', 'load']);
            assert.equal(r.fromCache.text, r.whole.text, 'loaded again from the cache');
            const byFile = Object.fromEntries(r.cached.map(([f, ...rest]) => [f, rest]));
            assert.deepEqual(byFile, { [FILE]: [1, true, true], 'stories-split-00001-of-00003.gguf': [3, true, true] });
        } finally {
            await context.close();
        }
    });

// Reading a GGUF header before downloading (js/header.mjs): growing Range requests up to what
// the estimate asks for, a Range-ignoring server, and the refusal of models that exceed the
// 4 GiB wasm memory or the storage quota (both numbers named). The estimate is a stand-in
// unless the wasm engine (js/core.mjs) is built, in which case the real one runs too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHeaderFromUrl, readHeaderFromBlob, readHeaderWith, refuseIfTooLarge, fitsCheck } from '../../js/header.mjs';
import { MemoryStore } from '../../js/store-memory.mjs';
import { startHub, testBytes, FAST, STORIES_DIR, STORIES_F32 } from './delivery-fixtures.mjs';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BIG = testBytes(5 * MiB + 17, 9);
let hub;

before(async () => {
    hub = await startHub({ repos: { 't/big': { files: { 'big.gguf': BIG } }, 'local/stories260K': STORIES_DIR } });
});
after(() => hub.close());

/** A stand-in estimate: the "header" is `headerLen` bytes; memory as given. */
function fakeEstimate(headerLen, memoryTotal, calls) {
    return async (bytes, fileSize, nCtx) => {
        calls?.push(bytes.byteLength);
        if (bytes.byteLength < headerLen) return { need_bytes: headerLen };
        return { architecture: 'llama', name: 'fake', parameters: 1000, type: 'Q4_0', context: nCtx || 128, memory: { total: memoryTotal }, fileSize };
    };
}

test('starts with 1 MiB, then jumps to what the estimate needs (at least double)', async () => {
    hub.clearLog();
    const calls = [];
    const info = await readHeaderFromUrl(`${hub.url}/t/big/resolve/main/big.gguf`, { ...FAST, estimate: fakeEstimate(3 * MiB + 5, 100 * MiB, calls) });
    assert.deepEqual(calls, [MiB, 3 * MiB + 5]);
    assert.equal(info.headerBytes, 3 * MiB + 5);
    assert.equal(info.fileSize, BIG.byteLength);
    assert.equal(info.fits, true);
    assert.equal(info.refusal, null);
    assert.equal(info.name, 'fake');
    const ranges = hub.log.filter((e) => e.kind === 'cdn').map((e) => e.range);
    assert.deepEqual(ranges, [`bytes=0-${MiB - 1}`, `bytes=${MiB}-${3 * MiB + 4}`], 'only the missing bytes are fetched');
});

test('a small need still doubles the read; rounds are bounded', async () => {
    const calls = [];
    await readHeaderFromUrl(`${hub.url}/t/big/resolve/main/big.gguf`, { ...FAST, estimate: fakeEstimate(MiB + 1, 1, calls) });
    assert.deepEqual(calls, [MiB, 2 * MiB]);
    let rounds = 0;
    const greedy = async (bytes) => {
        rounds++;
        return { need_bytes: bytes.byteLength + 1 };
    };
    await assert.rejects(readHeaderWith(async (s, e) => new Uint8Array(e - s), 1e12, { estimate: greedy, firstBytes: 1 }), /keeps growing/);
    assert.ok(rounds <= 16);
    await assert.rejects(readHeaderWith(async (s, e) => new Uint8Array(e - s), 100, { estimate: async () => ({ need_bytes: 500 }) }), /claims 500 bytes/);
    await assert.rejects(readHeaderWith(async (s, e) => new Uint8Array(e - s), 100, { estimate: async () => ({ error: 'not a GGUF file' }) }),
        (err) => err.code === 'BAD_HEADER' && /not a GGUF/.test(err.message));
});

test('a server that ignores Range: only the header bytes are kept', async () => {
    hub.setFaults([{ type: 'ignoreRange' }]);
    const seen = [];
    const info = await readHeaderFromUrl(`${hub.url}/t/big/resolve/main/big.gguf`, {
        ...FAST,
        estimate: async (bytes, size) => {
            seen.push(bytes.slice(0, 4), bytes.byteLength);
            return bytes.byteLength < 2 * MiB ? { need_bytes: 2 * MiB } : { memory: { total: 1 }, size };
        },
    });
    hub.reset();
    assert.equal(info.fileSize, BIG.byteLength);
    assert.deepEqual(seen[0], BIG.slice(0, 4));
    assert.equal(seen[3], 2 * MiB);
});

test('over the 4 GiB wasm limit or the storage quota: refused, naming both numbers', async () => {
    const tooBig = await readHeaderFromUrl(`${hub.url}/t/big/resolve/main/big.gguf`, { ...FAST, estimate: fakeEstimate(100, 5 * GiB) });
    assert.equal(tooBig.fits, false);
    assert.equal(tooBig.problems[0].code, 'MEMORY_LIMIT');
    assert.match(tooBig.refusal, /5\.00 GiB \(5368709120 bytes\).*4\.00 GiB \(4294967296 bytes\)/);
    assert.throws(() => refuseIfTooLarge(tooBig), (err) => err.code === 'MEMORY_LIMIT');

    const store = new MemoryStore({ quotaBytes: 1000 });
    const noRoom = await readHeaderFromUrl(`${hub.url}/t/big/resolve/main/big.gguf`, { ...FAST, store, estimate: fakeEstimate(100, MiB) });
    assert.equal(noRoom.fits, false);
    assert.equal(noRoom.problems[0].code, 'STORAGE_QUOTA');
    assert.ok(noRoom.refusal.includes(`${BIG.byteLength} bytes`) && noRoom.refusal.includes('1000 bytes'), noRoom.refusal);
    assert.throws(() => refuseIfTooLarge(noRoom), (err) => err.code === 'STORAGE_QUOTA');

    const both = fitsCheck({ memoryBytes: 5 * GiB, downloadBytes: 10, storageAvailable: 5 });
    assert.deepEqual(both.problems.map((p) => p.code), ['MEMORY_LIMIT', 'STORAGE_QUOTA']);
});

test('a File/Blob header is read from its slices', async () => {
    const calls = [];
    const info = await readHeaderFromBlob(new File([BIG], 'local.gguf'), { estimate: fakeEstimate(MiB + 10, 5, calls) });
    assert.deepEqual(calls, [MiB, 2 * MiB]);
    assert.equal(info.fileName, 'local.gguf');
    assert.equal(info.fits, true);
});

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const haveCore = existsSync(join(ROOT, 'js/core.mjs')) && existsSync(join(ROOT, 'dist/wasm/hearth-st.wasm'));

test('the real engine estimate for stories260K (when the wasm build exists)', { skip: haveCore ? false : 'no wasm build in dist/wasm' }, async () => {
    const info = await readHeaderFromUrl({ repo: 'local/stories260K', file: STORIES_F32, hubUrl: hub.url }, FAST);
    assert.equal(info.architecture, 'llama');
    assert.ok(info.memory.total > 0);
    assert.equal(info.fits, true);
    const blob = new File([await readFile(join(STORIES_DIR, STORIES_F32))], STORIES_F32);
    const fromBlob = await readHeaderFromBlob(blob);
    assert.equal(fromBlob.memory.total, info.memory.total);
});

test('a split model: every shard\'s header is read and merged; the real estimate equals the whole file\'s', { skip: haveCore ? false : 'no wasm build in dist/wasm' }, async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { writeSplitGguf } = await import('../server/gguf-split.mjs');
    const dir = await mkdtemp(join(tmpdir(), 'hearth-split-header-'));
    const splitHub = await startHub({ repos: { 't/split': dir } });
    try {
        await writeSplitGguf(join(STORIES_DIR, STORIES_F32), dir, 's', 3);
        const whole = await readHeaderFromUrl({ repo: 'local/stories260K', file: STORIES_F32, hubUrl: hub.url }, FAST);
        const split = await readHeaderFromUrl({ repo: 't/split', file: 's-00003-of-00003.gguf', hubUrl: splitHub.url }, FAST);
        assert.equal(split.shards, 3);
        assert.equal(split.architecture, whole.architecture);
        assert.equal(split.parameters, whole.parameters);
        assert.equal(split.memory.weights, whole.memory.weights);
        assert.equal(split.memory.total, whole.memory.total);
        assert.equal(split.shardSizes.length, 3);
        assert.equal(split.downloadBytes, split.shardSizes.reduce((a, b) => a + b));
        assert.ok(split.url.endsWith('s-00001-of-00003.gguf'));
        assert.equal(split.fileSize, split.shardSizes[0]);
    } finally {
        await splitHub.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test('GGUF headers in JS: need more bytes, not GGUF, merge offsets', async () => {
    const { parseGgufHeader, mergeShardHeaders } = await import('../../js/gguf-header.mjs');
    const { splitGguf } = await import('../server/gguf-split.mjs');
    const bytes = new Uint8Array(await readFile(join(STORIES_DIR, STORIES_F32)));
    const whole = parseGgufHeader(bytes);
    assert.equal(whole.status, 'ok');
    assert.equal(whole.tensors.length, 48);
    assert.equal(parseGgufHeader(bytes.subarray(0, 1000)).status, 'need_more');
    assert.throws(() => parseGgufHeader(new TextEncoder().encode('not a model at all')), /not a GGUF/);
    const shards = splitGguf(bytes, 4);
    const merged = mergeShardHeaders(shards.map((s) => parseGgufHeader(s)), shards.map((s) => s.byteLength));
    const again = parseGgufHeader(merged.header);
    assert.equal(again.tensors.length, 48);
    assert.deepEqual(again.tensors.map((t) => [t.name, t.offset]), whole.tensors.map((t) => [t.name, t.offset]),
        'the merged offsets are the original file\'s');
    assert.equal(merged.size, bytes.byteLength);
});

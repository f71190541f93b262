// The local Hub server itself: the Hub's protocol (resolve → CDN redirect, Range, ETag,
// X-Linked-*, CORS, tree API with pages) and each fault knob, so the download tests can trust it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { parseRange, duplicateBytes } from '../server/hub-server.mjs';
import { createAppServer } from '../server/app-server.mjs';
import { startHub, testBytes, sha256 } from './delivery-fixtures.mjs';

const DATA = testBytes(300000, 7);
const SMALL = new TextEncoder().encode('{"hello": 1}\n');
let hub;

before(async () => {
    hub = await startHub({
        repos: { 'org/model': { files: { 'm-Q4_0.gguf': DATA, 'sub/dir/x.gguf': DATA.subarray(0, 1000), 'config.json': SMALL } } },
        treePageSize: 2,
    });
});
after(() => hub.close());

function control(body) {
    return fetch(`${hub.url}/__control`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
}

/** One raw request (no redirect following), for status, headers and body as sent. */
function raw(path, { method = 'GET', headers = {}, timeoutMs = 3000 } = {}) {
    return new Promise((ok, fail) => {
        const req = http.request(`${hub.url}${path}`, { method, headers }, (res) => {
            const parts = [];
            res.on('data', (d) => parts.push(d));
            res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), complete: res.complete }));
            res.on('error', (err) => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), error: err }));
            res.on('aborted', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), aborted: true }));
        });
        req.setTimeout(timeoutMs, () => {
            req.destroy();
            ok({ timedOut: true });
        });
        req.on('error', (err) => ok({ error: err }));
        req.end();
    });
}

test('parseRange', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
    assert.equal(parseRange('bytes=10-12', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-1,3-4', 10), null);
    assert.equal(parseRange(undefined, 10), null);
});

test('resolve answers 302 to the CDN path with X-Linked-Size/Etag and CORS', async () => {
    await control({ reset: true });
    const r = await raw('/org/model/resolve/main/m-Q4_0.gguf');
    assert.equal(r.status, 302);
    const sha = sha256(DATA);
    assert.equal(r.headers.location, `/cdn/${sha}/m-Q4_0.gguf`);
    assert.equal(r.headers['x-linked-size'], String(DATA.byteLength));
    assert.equal(r.headers['x-linked-etag'], `"${sha}"`);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.match(r.headers['access-control-expose-headers'], /Content-Range.*ETag.*X-Linked-Size.*X-Linked-Etag/);
    assert.equal(r.headers['cross-origin-resource-policy'], 'cross-origin');
    const head = await raw('/org/model/resolve/main/m-Q4_0.gguf', { method: 'HEAD' });
    assert.equal(head.status, 302);
    const missing = await raw('/org/model/resolve/main/nope.gguf');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['x-error-code'], 'EntryNotFound');
});

test('the CDN serves ranges (206), whole files (200), 416 past the end, HEAD', async () => {
    const sha = sha256(DATA);
    const path = `/cdn/${sha}/m-Q4_0.gguf`;
    const part = await raw(path, { headers: { Range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 100-199/${DATA.byteLength}`);
    assert.equal(part.headers['accept-ranges'], 'bytes');
    assert.equal(part.headers.etag, `"${sha}"`);
    assert.deepEqual(new Uint8Array(part.body), DATA.subarray(100, 200));
    const whole = await raw(path);
    assert.equal(whole.status, 200);
    assert.equal(sha256(whole.body), sha);
    const past = await raw(path, { headers: { Range: `bytes=${DATA.byteLength}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], `bytes */${DATA.byteLength}`);
    const head = await raw(path, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(DATA.byteLength));
    assert.equal(head.body.length, 0);
    // Through fetch, following the redirect like a browser.
    const res = await fetch(`${hub.url}/org/model/resolve/main/m-Q4_0.gguf`, { headers: { Range: 'bytes=0-9' } });
    assert.equal(res.status, 206);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), DATA.subarray(0, 10));
});

test('OPTIONS preflight allows Range', async () => {
    const r = await raw('/org/model/resolve/main/m-Q4_0.gguf', { method: 'OPTIONS', headers: { 'Access-Control-Request-Headers': 'range' } });
    assert.equal(r.status, 204);
    assert.match(r.headers['access-control-allow-headers'], /range/i);
});

test('tree API: files with sizes and lfs {oid, size}, recursive, paged with Link', async () => {
    const all = [];
    let url = `${hub.url}/api/models/org/model/tree/main?recursive=true`;
    for (let i = 0; url && i < 20; i++) {
        const res = await fetch(url);
        assert.equal(res.status, 200);
        all.push(...(await res.json()));
        const m = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '');
        url = m ? m[1] : null;
    }
    const files = all.filter((e) => e.type === 'file');
    assert.deepEqual(files.map((f) => f.path).sort(), ['config.json', 'm-Q4_0.gguf', 'sub/dir/x.gguf']);
    const model = files.find((f) => f.path === 'm-Q4_0.gguf');
    assert.equal(model.size, DATA.byteLength);
    assert.deepEqual(model.lfs, { oid: sha256(DATA), size: DATA.byteLength, pointerSize: 134 });
    assert.equal(files.find((f) => f.path === 'config.json').lfs, undefined);
    assert.ok(all.some((e) => e.type === 'directory' && e.path === 'sub'));
    const top = await (await fetch(`${hub.url}/api/models/org/model/tree/main/sub/dir`)).json();
    assert.deepEqual(top.map((e) => e.path), ['sub/dir/x.gguf']);
    assert.equal((await fetch(`${hub.url}/api/models/org/none/tree/main`)).status, 404);
});

test('faults: status on the k-th request, then normal', async () => {
    await control({ reset: true, faults: [{ type: 'status', status: 503, nth: 2 }] });
    const sha = sha256(DATA);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await raw(`/cdn/${sha}/m-Q4_0.gguf`, { headers: { Range: 'bytes=0-9' } })).status);
    assert.deepEqual(statuses, [206, 503, 206]);
});

test('faults: drop after N bytes, ignore Range, wrong Content-Length, changed ETag', async () => {
    const sha = sha256(DATA);
    const path = `/cdn/${sha}/m-Q4_0.gguf`;
    await control({ reset: true, faults: [{ type: 'drop', afterBytes: 5000 }] });
    const dropped = await raw(path, { headers: { Range: 'bytes=0-99999' } });
    assert.equal(dropped.status, 206);
    assert.ok(dropped.body.length <= 5000 && (dropped.aborted || dropped.error || !dropped.complete), 'the body was cut');

    await control({ reset: true, faults: [{ type: 'ignoreRange' }] });
    const whole = await raw(path, { headers: { Range: 'bytes=0-9' } });
    assert.equal(whole.status, 200);
    assert.equal(whole.body.length, DATA.byteLength);

    await control({ reset: true, faults: [{ type: 'contentLength', delta: 50 }] });
    const wrong = await raw(path, { headers: { Range: 'bytes=0-99' } });
    assert.equal(wrong.headers['content-length'], '150');
    assert.ok(wrong.body.length === 100 && (wrong.aborted || wrong.error || !wrong.complete), 'fewer bytes than announced');

    await control({ reset: true, changeEtag: true });
    const changed = await raw(path, { headers: { Range: 'bytes=0-0' } });
    assert.equal(changed.headers.etag, `"${sha}-v1"`);
    const linked = await raw('/org/model/resolve/main/m-Q4_0.gguf');
    assert.equal(linked.headers['x-linked-etag'], `"${sha}-v1"`);
    await control({ reset: true });
});

test('faults: stall never answers; throttle limits the rate; down cuts at once', async () => {
    const sha = sha256(DATA);
    const path = `/cdn/${sha}/m-Q4_0.gguf`;
    await control({ reset: true, faults: [{ type: 'stall', nth: 1 }] });
    const stalled = await raw(path, { timeoutMs: 300 });
    assert.equal(stalled.timedOut, true);
    await control({ reset: true, faults: [{ type: 'throttle', bytesPerSec: 200000 }] });
    const t0 = Date.now();
    const slow = await raw(path, { headers: { Range: 'bytes=0-59999' } });
    const ms = Date.now() - t0;
    assert.equal(slow.body.length, 60000);
    assert.ok(ms >= 200, `60 KB at 200 KB/s took ${ms} ms`);
    await control({ reset: true, faults: [{ type: 'down', on: 'any' }] });
    const down = await raw('/org/model/resolve/main/m-Q4_0.gguf');
    assert.ok(down.error, `connection closed without an answer: ${JSON.stringify(down)}`);
    await control({ reset: true });
});

test('the request log records ranges and bytes; duplicateBytes finds overlaps', async () => {
    await control({ reset: true, clearLog: true });
    const sha = sha256(DATA);
    for (const range of ['bytes=0-99', 'bytes=50-149', 'bytes=200-299']) {
        await raw(`/cdn/${sha}/m-Q4_0.gguf`, { headers: { Range: range } });
    }
    const log = await (await fetch(`${hub.url}/__log`)).json();
    assert.deepEqual(log.map((e) => [e.range, e.status, e.bytesSent]), [['bytes=0-99', 206, 100], ['bytes=50-149', 206, 100], ['bytes=200-299', 206, 100]]);
    assert.equal(duplicateBytes(log, 'm-Q4_0'), 50);
});

test('the app server sends COOP/COEP and module/wasm MIME types, and stays inside its root', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'hearth-app-'));
    await writeFile(join(dir, 'a.mjs'), 'export {}');
    await writeFile(join(dir, 'b.wasm'), new Uint8Array([0, 97, 115, 109]));
    await writeFile(join(dir, 'index.html'), '<!doctype html>');
    const app = await createAppServer({ root: dir }).listen();
    try {
        const mjs = await fetch(`${app.url}/a.mjs`);
        assert.equal(mjs.headers.get('content-type'), 'text/javascript; charset=utf-8');
        assert.equal(mjs.headers.get('cross-origin-opener-policy'), 'same-origin');
        assert.equal(mjs.headers.get('cross-origin-embedder-policy'), 'require-corp');
        assert.equal((await fetch(`${app.url}/b.wasm`)).headers.get('content-type'), 'application/wasm');
        const index = await fetch(`${app.url}/`);
        assert.equal(index.status, 200);
        assert.match(index.headers.get('content-type'), /text\/html/);
        const missing = await fetch(`${app.url}/nope.js`);
        assert.equal(missing.status, 404);
        assert.equal(missing.headers.get('cross-origin-embedder-policy'), 'require-corp');
        const escape = await new Promise((ok) => {
            http.get(`${app.url}/../../etc/passwd`, (res) => ok(res.statusCode)).on('error', () => ok(0));
        });
        assert.ok(escape === 403 || escape === 404, `path traversal refused (${escape})`);
    } finally {
        await app.close();
        await rm(dir, { recursive: true, force: true });
    }
});

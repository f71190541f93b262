// Source resolution, split-GGUF expansion, size/ETag probing, redirect policy and the tree API
// (js/hub.mjs, js/http.mjs) against the local Hub server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
    hubFileUrl, resolveSource, shardNames, expandShards, probeFile, listGgufFiles, listRepoTree, lfsHashes, DEFAULT_HUB,
} from '../../js/hub.mjs';
import { redirectAllowed, parseContentRange, totalSizeOf, etagOf } from '../../js/http.mjs';
import { startHub, testBytes, sha256, FAST } from './delivery-fixtures.mjs';

const DATA = testBytes(5000, 3);
let hub;

before(async () => {
    const files = { 'plain.gguf': DATA, 'notes.txt': new TextEncoder().encode('hi') };
    for (let i = 1; i <= 3; i++) files[`big/model-Q8_0-0000${i}-of-00003.gguf`] = testBytes(100 * i, i);
    hub = await startHub({ repos: { 'org/repo': { files } }, treePageSize: 2 });
});
after(() => hub.close());

test('hubFileUrl and resolveSource', () => {
    assert.equal(hubFileUrl({ repo: 'a/b', file: 'x.gguf' }), `${DEFAULT_HUB}/a/b/resolve/main/x.gguf`);
    assert.equal(hubFileUrl({ repo: 'a/b', file: 'dir/x y.gguf', revision: 'v1.0', hubUrl: 'http://h:1/' }), 'http://h:1/a/b/resolve/v1.0/dir/x%20y.gguf');
    assert.throws(() => hubFileUrl({ repo: 'nope', file: 'x' }), /owner\/name/);
    const hubSource = resolveSource({ repo: 'a/b', file: 'dir/m.gguf' });
    assert.deepEqual(hubSource, {
        kind: 'url', url: `${DEFAULT_HUB}/a/b/resolve/main/dir/m.gguf`, name: 'm.gguf',
        hub: { repo: 'a/b', file: 'dir/m.gguf', revision: 'main', hubUrl: DEFAULT_HUB },
    });
    const plain = resolveSource('https://example.com/models/x%20y.gguf');
    assert.equal(plain.kind, 'url');
    assert.equal(plain.name, 'x y.gguf');
    assert.equal(plain.hub, null);
    assert.equal(resolveSource(new URL('https://example.com/a.gguf')).url, 'https://example.com/a.gguf');
    const blob = new Blob([new Uint8Array(3)]);
    assert.equal(resolveSource(blob).kind, 'blob');
    assert.throws(() => resolveSource('ftp://x/y'), /http/);
    assert.throws(() => resolveSource(42), TypeError);
});

test('split GGUF names expand to every shard, from any shard', () => {
    assert.deepEqual(shardNames('m.gguf'), ['m.gguf']);
    assert.deepEqual(shardNames('m-Q4-00002-of-00003.gguf'), ['m-Q4-00001-of-00003.gguf', 'm-Q4-00002-of-00003.gguf', 'm-Q4-00003-of-00003.gguf']);
    const hubShards = expandShards(resolveSource({ repo: 'a/b', file: 'big/m-00001-of-00002.gguf', hubUrl: 'http://h' }));
    assert.deepEqual(hubShards.map((s) => [s.url, s.shardIndex, s.shardCount, s.hub.file]), [
        ['http://h/a/b/resolve/main/big/m-00001-of-00002.gguf', 0, 2, 'big/m-00001-of-00002.gguf'],
        ['http://h/a/b/resolve/main/big/m-00002-of-00002.gguf', 1, 2, 'big/m-00002-of-00002.gguf'],
    ]);
    const urlShards = expandShards(resolveSource('https://e.com/d/m-00001-of-00002.gguf?x=1'));
    assert.deepEqual(urlShards.map((s) => s.url), ['https://e.com/d/m-00001-of-00002.gguf?x=1', 'https://e.com/d/m-00002-of-00002.gguf?x=1']);
    assert.equal(expandShards(resolveSource('https://e.com/one.gguf')).length, 1);
});

test('Content-Range, size and ETag headers', () => {
    assert.deepEqual(parseContentRange('bytes 0-0/1234'), { start: 0, end: 0, total: 1234 });
    assert.deepEqual(parseContentRange('bytes */99'), { start: null, end: null, total: 99 });
    assert.equal(parseContentRange('bytes 0-0/*').total, null);
    assert.equal(parseContentRange('garbage'), null);
    const h = (o) => ({ headers: new Headers(o) });
    assert.equal(totalSizeOf(h({ 'x-linked-size': '10', 'content-range': 'bytes 0-0/20' })), 10);
    assert.equal(totalSizeOf(h({ 'content-range': 'bytes 0-0/20' })), 20);
    assert.equal(totalSizeOf(h({ 'content-length': '1' })), null);
    assert.equal(etagOf(h({ 'x-linked-etag': '"a"', etag: '"b"' })), '"a"');
    assert.equal(etagOf(h({ etag: '"b"' })), '"b"');
});

test('probeFile: size and ETag from a one-byte Range request through the redirect', async () => {
    const info = await probeFile(`${hub.url}/org/repo/resolve/main/plain.gguf`, FAST);
    assert.equal(info.size, DATA.byteLength);
    assert.equal(info.etag, `"${sha256(DATA)}"`);
    assert.equal(info.acceptsRanges, true);
    assert.match(info.finalUrl, /\/cdn\//);
});

test('probeFile: a server that ignores Range still gives the size; 404 fails at once; 5xx is retried', async () => {
    hub.setFaults([{ type: 'ignoreRange' }]);
    const info = await probeFile(`${hub.url}/org/repo/resolve/main/plain.gguf`, FAST);
    assert.equal(info.size, DATA.byteLength);
    assert.equal(info.acceptsRanges, false);
    hub.reset();
    hub.clearLog();
    await assert.rejects(probeFile(`${hub.url}/org/repo/resolve/main/missing.gguf`, FAST), (err) => err.code === 'NOT_FOUND' && /no such file/.test(err.message));
    assert.equal(hub.log.length, 1, 'a 404 is not retried');
    hub.setFaults([{ type: 'status', status: 502, nth: [1, 2] }]);
    const retried = await probeFile(`${hub.url}/org/repo/resolve/main/plain.gguf`, FAST);
    assert.equal(retried.size, DATA.byteLength);
    hub.setFaults([{ type: 'status', status: 500 }]);
    await assert.rejects(probeFile(`${hub.url}/org/repo/resolve/main/plain.gguf`, { ...FAST, retries: 2 }), (err) => err.code === 'HTTP_500' && err.attempts === 3);
    hub.reset();
});

test('redirect policy: same origin, listed origins, and the Hub\'s own CDN only', async () => {
    assert.ok(redirectAllowed('http://127.0.0.1:1/a', 'http://127.0.0.1:1/cdn/x'));
    assert.ok(!redirectAllowed('http://127.0.0.1:1/a', 'http://127.0.0.1:2/x'));
    assert.ok(redirectAllowed('http://127.0.0.1:1/a', 'http://127.0.0.1:2/x', { allowedOrigins: ['http://127.0.0.1:2'] }));
    assert.ok(redirectAllowed('https://huggingface.co/a/b/resolve/main/x', 'https://cdn-lfs.hf.co/x'));
    assert.ok(redirectAllowed('https://huggingface.co/a/b/resolve/main/x', 'https://cas-bridge.xethub.hf.co/x'));
    assert.ok(!redirectAllowed('https://huggingface.co/a', 'https://evil.example/x'));
    assert.ok(!redirectAllowed('https://huggingface.co/a', 'http://cdn-lfs.hf.co/x'), 'not downgraded to http');
    assert.ok(!redirectAllowed('https://example.com/a', 'https://cdn-lfs.hf.co/x'), 'the Hub CDN only for Hub downloads');

    // A server that redirects elsewhere: the probe refuses it.
    const other = await startHub({ repos: { 'o/r': { files: { 'x.gguf': DATA } } } });
    const redirector = http.createServer((req, res) => {
        res.writeHead(302, { Location: `${other.url}/o/r/resolve/main/x.gguf` });
        res.end();
    });
    await new Promise((r) => redirector.listen(0, '127.0.0.1', r));
    try {
        const url = `http://127.0.0.1:${redirector.address().port}/x.gguf`;
        await assert.rejects(probeFile(url, FAST), (err) => err.code === 'REDIRECT_REFUSED' && err.message.includes(other.url));
        const allowed = await probeFile(url, { ...FAST, allowedOrigins: [other.url] });
        assert.equal(allowed.size, DATA.byteLength);
    } finally {
        await new Promise((r) => redirector.close(r));
        await other.close();
    }
});

test('tree API: every page, GGUF files with sizes, sha256 and shard numbers', async () => {
    const tree = await listRepoTree('org/repo', { hubUrl: hub.url });
    assert.ok(tree.length >= 6, 'all pages read');
    const files = await listGgufFiles('org/repo', { hubUrl: hub.url });
    assert.deepEqual(files.map((f) => f.path), [
        'big/model-Q8_0-00001-of-00003.gguf', 'big/model-Q8_0-00002-of-00003.gguf', 'big/model-Q8_0-00003-of-00003.gguf', 'plain.gguf',
    ]);
    assert.equal(files[3].size, DATA.byteLength);
    assert.equal(files[3].sha256, sha256(DATA));
    assert.deepEqual(files[1].shard, { index: 1, count: 3 });
    const hashes = await lfsHashes({ repo: 'org/repo', hubUrl: hub.url }, ['plain.gguf', 'big/model-Q8_0-00002-of-00003.gguf']);
    assert.equal(hashes.get('plain.gguf'), sha256(DATA));
    assert.equal(hashes.get('big/model-Q8_0-00002-of-00003.gguf'), sha256(testBytes(200, 2)));
    await assert.rejects(listGgufFiles('org/none', { hubUrl: hub.url }), (err) => err.status === 404);
});

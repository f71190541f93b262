// The incremental SHA-256 against node:crypto: every padding boundary, any split of the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sha256, sha256Hex } from '../../js/sha256.mjs';
import { testBytes } from './delivery-fixtures.mjs';

const reference = (bytes) => createHash('sha256').update(bytes).digest('hex');

test('known vectors', () => {
    assert.equal(sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(sha256Hex(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('every length around the block and padding boundaries', () => {
    for (let n = 0; n <= 260; n++) {
        const bytes = testBytes(n, n + 1);
        assert.equal(sha256Hex(bytes), reference(bytes), `length ${n}`);
    }
});

test('the same digest however the input is split', () => {
    const bytes = testBytes(100000, 5);
    const want = reference(bytes);
    for (const step of [1, 3, 63, 64, 65, 4096, 77777]) {
        const h = new Sha256();
        for (let at = 0; at < bytes.length; at += step) h.update(bytes.subarray(at, at + step));
        assert.equal(h.hexDigest(), want, `pieces of ${step}`);
    }
    assert.equal(new Sha256().update(bytes.buffer).hexDigest(), want, 'an ArrayBuffer works too');
});

test('no update after the digest', () => {
    const h = new Sha256();
    h.digest();
    assert.throws(() => h.update(new Uint8Array(1)), /after digest/);
});

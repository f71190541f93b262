// Shared pieces of the model-delivery tests (Node): test data, a Hub server per test, hashing.
import { createHash } from 'node:crypto';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubServer } from '../server/hub-server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DIR = process.env.SHARED_DIR ?? resolve(ROOT, '../shared');
export const STORIES_DIR = resolve(SHARED_DIR, 'models/stories260K');
export const STORIES_F32 = 'stories260K-f32.gguf';

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function testBytes(n, seed = 1) {
    const out = new Uint8Array(n);
    let x = (seed * 2654435761) >>> 0 || 1;
    for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        out[i] = x & 255;
    }
    return out;
}

export function sha256(bytes) {
    return createHash('sha256').update(bytes).digest('hex');
}

/** A Hub server on 127.0.0.1 for one test; closed by the test's `after`/finally. */
export async function startHub(options) {
    return new HubServer(options).listen({ host: '127.0.0.1', port: 0 });
}

/** Fast retry and timeout settings so fault tests finish in well under a second each. */
export const FAST = Object.freeze({ retryBaseMs: 5, retryMaxMs: 50, timeoutMs: 2000, progressIntervalMs: 0 });

export async function collect(iterable) {
    const parts = [];
    for await (const x of iterable) parts.push(x);
    return parts;
}

export function concatBytes(parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.byteLength;
    }
    return out;
}

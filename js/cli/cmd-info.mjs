// info: model facts and memory estimate from the file's header alone (the weights are not read).
// --json prints the engine's estimate object, as the native CLI does. Without --json this prints a
// summary of the same object; the native metadata and tensor tables need the GGUF reader, which the
// WebAssembly API does not expose.
import { open } from 'node:fs/promises';

import { EngineCore } from '../core.mjs';

const FIRST_READ = 1 << 20;

// Reads a longer prefix of the file until the engine has the whole header; returns its JSON text.
async function estimateFromFile(path, nCtx) {
    let file;
    try {
        file = await open(path, 'r');
    } catch {
        throw new Error(`cannot open ${path}`);
    }
    try {
        const { size } = await file.stat();
        let want = Math.min(FIRST_READ, size);
        for (;;) {
            const header = new Uint8Array(want);
            const { bytesRead } = await file.read(header, 0, want, 0);
            const text = await EngineCore.estimateJson(header.subarray(0, bytesRead), size, nCtx);
            const need = JSON.parse(text).need_bytes;
            if (need === undefined || bytesRead < want || want >= size) return { text, size };
            want = Math.min(size, Math.max(need, 2 * want));
        }
    } finally {
        await file.close();
    }
}

export async function cmdInfo(args, out) {
    const path = args.require('-m', '--model');
    const nCtx = args.int(null, '--ctx', 0);
    const json = args.flag('--json');
    args.checkAllUsed();
    const { text, size } = await estimateFromFile(path, nCtx);
    const estimate = JSON.parse(text);
    if (estimate.error || estimate.need_bytes !== undefined) {
        throw new Error(`${path}: ${estimate.error ?? `the header needs ${estimate.need_bytes} bytes`}`);
    }
    if (json) {
        out.write(`${text}\n`);
    } else {
        out.write(`file: ${path} (${(size / 1048576).toFixed(2)} MiB)\n`);
        out.write(`\nmodel (parameters, memory estimate in bytes):\n  ${text}\n`);
    }
    return 0;
}

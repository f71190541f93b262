#!/usr/bin/env node
// Smoke test of tests/bench/browser.mjs: one short run on stories260K (1 and 2 threads, 1 rep);
// checks that each JSON line has its fields and that they are positive. No timing thresholds.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, SHARED } from '../browser/browser-env.mjs';

const model = join(SHARED, 'models/stories260K/stories260K-Q8_0.gguf');
const argv = [join(ROOT, 'tests/bench/browser.mjs'), '--model', model, '--threads', '1,2', '--pp', '16', '--tg', '8',
    '--reps', '1', '--ctx', '0', '--timeout', '120', '--retries', '0', '--json'];
const out = await new Promise((done, fail) => {
    execFile(process.execPath, argv, { timeout: 240_000 }, (err, stdout, stderr) => {
        process.stdout.write(stdout);
        if (err) fail(new Error(`browser.mjs failed (${err.code ?? err.signal}): ${stderr}`));
        else done(stdout);
    });
});
const lines = out.trim().split('\n').map((l) => JSON.parse(l));
const problems = [];
if (lines.length !== 2) problems.push(`expected 2 lines, got ${lines.length}`);
lines.forEach((line, i) => {
    if (line.type !== 'Q8_0') problems.push(`line ${i}: type ${line.type}`);
    if (line.threads !== i + 1) problems.push(`line ${i}: threads ${line.threads}`);
    // Chromium has relaxed SIMD: its build times the two int8 dots and says which it took
    if (!/^relaxed-simd, i(16|32) dots$/.test(line.kernels)) problems.push(`line ${i}: kernels ${line.kernels}`);
    for (const k of ['load_ms', 'pp_tok_s', 'tg_tok_s', 'peak_pss_mb', 'file_mb']) {
        if (!(typeof line[k] === 'number' && Number.isFinite(line[k]) && line[k] > 0)) problems.push(`line ${i}: ${k} = ${line[k]}`);
    }
});
if (problems.length) {
    process.stderr.write(`browser bench smoke FAILED:\n  ${problems.join('\n  ')}\n`);
    process.exit(1);
}
process.stdout.write('browser bench smoke: ok\n');

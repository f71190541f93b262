#!/usr/bin/env node
// Smoke test of tests/bench/same-machine.mjs: one round on stories260K (1 and 2 threads, 1 rep)
// with our engine in Chromium for real and a stand-in for llama-bench (building the real one takes
// ~7 min): a script that checks the arguments the harness passes and prints llama-bench's JSONL
// with known figures (pp 1000 x threads tok/s, tg 100 x threads). Checks that each line divides
// our figures by those, judges the goal on them, and that the summary counts what the lines met.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SHARED } from '../browser/browser-env.mjs';

const model = join(SHARED, 'models/stories260K/stories260K-Q8_0.gguf');
// Under build/ (ignored by git) rather than the system's temporary folder, which may be mounted noexec.
mkdirSync(join(ROOT, 'build'), { recursive: true });
const dir = mkdtempSync(join(ROOT, 'build', 'same-machine-smoke-'));
const fake = join(dir, 'llama-bench');
writeFileSync(fake, `#!${process.execPath}
const a = process.argv.slice(2), arg = (f) => a[a.indexOf(f) + 1];
const want = { '-m': ${JSON.stringify(model)}, '-p': '16', '-n': '8', '-t': '1,2', '-r': '1', '-o': 'jsonl' };
for (const [f, v] of Object.entries(want)) if (arg(f) !== v) { console.error('llama-bench stand-in: ' + f + ' ' + arg(f)); process.exit(1); }
for (const t of [1, 2]) {
    const row = { build_commit: 'stand-in', build_number: 0, cpu_info: 'test', backends: 'CPU', n_threads: t };
    console.log(JSON.stringify({ ...row, n_prompt: 16, n_gen: 0, samples_ts: [1000 * t] }));
    console.log(JSON.stringify({ ...row, n_prompt: 0, n_gen: 8, samples_ts: [100 * t] }));
}
`);
chmodSync(fake, 0o755);

const argv = [join(ROOT, 'tests/bench/same-machine.mjs'), '--model', model, '--threads', '1,2', '--pp', '16', '--tg', '8',
    '--reps', '1', '--rounds', '1', '--ctx', '0', '--llama-bench', fake, '--json'];
let out;
try {
    out = await new Promise((done, fail) => {
        execFile(process.execPath, argv, { timeout: 240_000 }, (err, stdout, stderr) => {
            process.stdout.write(stdout);
            if (err) fail(new Error(`same-machine.mjs failed (${err.code ?? err.signal}): ${stderr}`));
            else done(stdout);
        });
    });
} finally {
    rmSync(dir, { recursive: true, force: true });
}
const lines = out.trim().split('\n').map((l) => JSON.parse(l));
const summary = lines.pop();
const problems = [];
const near = (a, b) => Math.abs(a - b) <= 0.011; // the ratios are rounded to 2 places
if (lines.length !== 2) problems.push(`expected 2 lines and a summary, got ${lines.length} lines`);
let met = 0;
lines.forEach((line, i) => {
    const t = i + 1;
    if (line.threads !== t || line.type !== 'Q8_0') problems.push(`line ${i}: threads ${line.threads}, type ${line.type}`);
    if (line.native_pp_tok_s !== 1000 * t || line.native_tg_tok_s !== 100 * t) {
        problems.push(`line ${i}: native ${line.native_pp_tok_s} / ${line.native_tg_tok_s}, the stand-in printed ${1000 * t} / ${100 * t}`);
    }
    if (!(line.pp_tok_s > 0 && line.tg_tok_s > 0)) problems.push(`line ${i}: ours ${line.pp_tok_s} / ${line.tg_tok_s}`);
    if (!near(line.pp_ratio, line.pp_tok_s / (1000 * t)) || !near(line.tg_ratio, line.tg_tok_s / (100 * t))) {
        problems.push(`line ${i}: ratios ${line.pp_ratio} / ${line.tg_ratio} for ${line.pp_tok_s} / ${line.tg_tok_s}`);
    }
    if (line.pp_met !== line.pp_tok_s >= 300 * t || line.tg_met !== line.tg_tok_s >= 50 * t) {
        problems.push(`line ${i}: met ${line.pp_met} / ${line.tg_met} for ${line.pp_tok_s} / ${line.tg_tok_s}`);
    }
    if (!(line.memory_ratio > 0)) problems.push(`line ${i}: memory_ratio ${line.memory_ratio}`);
    met += line.pp_met + line.tg_met;
});
if (summary.met !== met || summary.figures !== 4) problems.push(`summary ${JSON.stringify(summary)}, lines met ${met} of 4`);
if (problems.length) {
    process.stderr.write(`same-machine bench smoke FAILED:\n  ${problems.join('\n  ')}\n`);
    process.exit(1);
}
process.stdout.write('same-machine bench smoke: ok\n');

#!/usr/bin/env node
// Hearth's speed and memory in headless Chromium: the engine runs in a module Worker
// (tests/bench/browser-worker.mjs) on a cross-origin isolated page, the model streamed from disk by
// our COOP/COEP server. One line per model x thread count, a fresh page each:
//
//   node tests/bench/browser.mjs --model FILE[,FILE...] [--threads 1,2] [--pp 64] [--tg 32] [--reps 3]
//                                [--ctx 1024] [--simd auto] [--timeout 600] [--max-foreign 0.15] [--retries 3] [--json]
//
// pp/tg tok/s: medians over reps, timed in the worker after one untimed warm-up pass (as
// `hearth bench`). load_ms: model fetch + write + loadEnd (init_ms: engine/module creation, apart).
// peak_pss_mb: the peak of the summed PSS (/proc/PID/smaps_rollup) of the launched browser process
// and its descendants, sampled every 200 ms during load and the warm-up pass and once after the
// timed passes, minus that sum on the fresh page before the load, once it has settled: each new
// page also starts Chromium's own UI renderer (--top-chrome-webui), which grows by ~35 MB in the
// first second, and a baseline taken earlier counted that as ours.
// --simd auto|relaxed|simd128[,...]: which builds (auto: relaxed SIMD where Chromium has it);
// kernels: which ones computed (the relaxed build's int8 dot is timed on the CPU, see hearth_kernels).
// foreign_cores: CPU other processes used during the configuration; above --max-foreign it is redone.
import { chromium } from 'playwright-core';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createAppServer } from '../server/app-server.mjs';
import { ROOT, PAGE } from '../browser/browser-env.mjs';
import { LAUNCH_OPTIONS } from '../browser/chromium.mjs';

const MB = 1048576;

// ---- memory: PSS of the browser process tree ----

function childrenByParent() {
    const kids = new Map();
    for (const d of readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            if (!kids.has(ppid)) kids.set(ppid, []);
            kids.get(ppid).push(Number(d));
        } catch { /* the process ended meanwhile */ }
    }
    return kids;
}

// The browser Playwright launched is a child of this process; its tree is every Chromium process.
function browserTreePss() {
    const kids = childrenByParent();
    const todo = (kids.get(process.pid) ?? []).filter((pid) => {
        try { return /chrom/i.test(readFileSync(`/proc/${pid}/comm`, 'utf8')); } catch { return false; }
    });
    if (todo.length === 0) throw new Error('no browser process found under this process');
    let pss = 0;
    while (todo.length) {
        const pid = todo.pop();
        try { pss += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]) * 1024; } catch { /* ended */ }
        todo.push(...(kids.get(pid) ?? []));
    }
    return pss;
}

// CPU seconds (clock ticks) used by this process and the browser tree, and by the whole machine:
// what others used meanwhile ("foreign" load) makes a run on 2 shared cores worthless.
function cpuTicks() {
    const kids = childrenByParent();
    let ours = 0;
    const todo = [process.pid];
    while (todo.length) {
        const pid = todo.pop();
        try {
            const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
            ours += Number(f[11]) + Number(f[12]);
        } catch { /* ended */ }
        todo.push(...(kids.get(pid) ?? []));
    }
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { ours, busy: cpu.reduce((a, b) => a + b, 0) - cpu[3] - cpu[4], t: performance.now() };
}

function foreignCores(a, b) {
    return Math.max(0, (b.busy - a.busy) - (b.ours - a.ours)) / 100 / ((b.t - a.t) / 1e3); // USER_HZ 100
}

// The tree's PSS once it has stopped changing (by under 1 MB over a second; at most 15 s).
async function settledPss() {
    let last = browserTreePss();
    for (let waited = 0; waited < 15000; waited += 1000) {
        await sleep(1000);
        const now = browserTreePss();
        if (Math.abs(now - last) < MB) return now;
        last = now;
    }
    return last;
}

// Samples every ms until pause() (one last sample then); stop() takes a final sample and returns
// the peak.
function peakSampler(ms) {
    let peak = browserTreePss();
    const tick = () => { peak = Math.max(peak, browserTreePss()); };
    let timer = setInterval(tick, ms);
    const pause = () => { if (timer) { clearInterval(timer); timer = null; tick(); } };
    return { pause, stop: () => { pause(); tick(); return peak; } };
}

// ---- one configuration ----

function withTimeout(promise, ms, what) {
    let timer;
    const limit = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`${what}: timed out after ${ms / 1e3} s`)), ms); });
    return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

async function runOne(browser, app, modelUrl, options) {
    const context = await browser.newContext();
    try {
        const page = await context.newPage();
        const log = [];
        page.on('console', (msg) => log.push(`[${msg.type()}] ${msg.text()}`));
        page.on('pageerror', (err) => log.push(`[pageerror] ${err.message}`));
        // Sampling PSS walks the renderer's page tables: during 2-thread timed passes it cost 6 % of
        // prefill and 10-15 % of decode speed. The peak comes in load and the warm-up pass (the
        // timed passes allocate nothing), so sampling pauses for them.
        let sampler = null;
        await page.exposeFunction('hearthBenchPhase', (phase) => { if (phase === 'timed') sampler?.pause(); });
        await page.goto(app.url + PAGE);
        const before = await settledPss();
        sampler = peakSampler(200);
        const cpu0 = cpuTicks();
        let out;
        try {
            out = await withTimeout(page.evaluate((o) => new Promise((done) => {
                const worker = new Worker('/tests/bench/browser-worker.mjs', { type: 'module' });
                worker.onmessage = ({ data }) => {
                    if (data.phase) { window.hearthBenchPhase(data.phase); return; }
                    worker.terminate();
                    done(data);
                };
                worker.onerror = (e) => { worker.terminate(); done({ error: `worker: ${e.message}` }); };
                worker.postMessage(o);
            }), { ...options, url: modelUrl }), options.timeout * 1e3, modelUrl);
        } finally {
            out = { ...out, peak: sampler.stop(), foreign: foreignCores(cpu0, cpuTicks()) };
        }
        if (out.error) throw new Error(`${out.error}\n${log.join('\n')}`);
        return { ...out.result, peak_pss_mb: (out.peak - before) / MB, base_pss_mb: before / MB, foreign_cores: out.foreign };
    } finally {
        await context.close().catch(() => {});
    }
}

// ---- main ----

const { values: args } = parseArgs({
    options: {
        model: { type: 'string' }, threads: { type: 'string', default: '1,2' }, pp: { type: 'string', default: '64' },
        tg: { type: 'string', default: '32' }, reps: { type: 'string', default: '3' }, ctx: { type: 'string', default: '1024' }, simd: { type: 'string', default: 'auto' },
        timeout: { type: 'string', default: '600' }, 'max-foreign': { type: 'string', default: '0.15' },
        retries: { type: 'string', default: '3' }, json: { type: 'boolean', default: false },
    },
});
if (!args.model) {
    process.stderr.write('usage: node tests/bench/browser.mjs --model FILE[,FILE...] [--threads 1,2] [--pp 64] [--tg 32] ' +
        '[--reps 3] [--ctx 1024] [--simd auto|relaxed|simd128[,...]] [--timeout S] [--max-foreign C] [--retries N] [--json]\n');
    process.exit(2);
}
const models = args.model.split(',').map((m) => resolve(m));
const threadList = args.threads.split(',').map(Number);
const simdList = args.simd.split(',');
const options = { pp: +args.pp, tg: +args.tg, reps: +args.reps, ctx: +args.ctx, timeout: +args.timeout };

const app = await createAppServer({ root: ROOT }).listen();
const browser = await chromium.launch(LAUNCH_OPTIONS);
let failed = false;
try {
    for (const model of models) {
        // The model's folder on a second instance of our server: another origin, so it says so (CORS,
        // CORP). Cache-Control: no-store as wllama's harness serves its models (peer-bench's
        // serve.mjs): a storable response costs the browser's process tree 20-115 MB more peak PSS
        // on the 110M F16 and Q4_0 files, and an unsteady amount (F16 1t 292-350 MB against
        // 278-283 in three alternating pairs; the worker's fetch with cache 'no-store' did not
        // prevent it), which is Chromium's, not the engine's.
        const files = await createAppServer({
            root: dirname(model),
            headers: { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin', 'Cache-Control': 'no-store' },
        }).listen();
        try {
            for (const simd of simdList) for (const threads of threadList) {
                try {
                    // A run during which other processes took more than --max-foreign cores is redone.
                    let r;
                    for (let attempt = 0; ; attempt++) {
                        r = await runOne(browser, app, `${files.url}/${encodeURIComponent(basename(model))}`, { ...options, threads, simd });
                        if (r.foreign_cores <= +args['max-foreign'] || attempt >= +args.retries) break;
                        process.stderr.write(`${basename(model)} t=${threads}: redone, foreign load ${r.foreign_cores.toFixed(2)} cores\n`);
                        await sleep(3000);
                    }
                    const fileMb = statSync(model).size / MB;
                    const line = {
                        model: basename(model), type: r.type, threads: r.threads, variant: r.variant, simd: r.simd, kernels: r.kernels, pp: options.pp, tg: options.tg,
                        reps: options.reps, n_ctx: r.n_ctx, init_ms: r.init_ms, load_ms: r.load_ms, pp_tok_s: r.pp_tok_s,
                        tg_tok_s: r.tg_tok_s, peak_pss_mb: r.peak_pss_mb, base_pss_mb: r.base_pss_mb, wasm_heap_mb: r.wasm_heap_mb,
                        file_mb: fileMb, kv_mb: r.kv_mb, foreign_cores: r.foreign_cores,
                    };
                    for (const k of Object.keys(line)) if (typeof line[k] === 'number') line[k] = Math.round(line[k] * 100) / 100;
                    if (threads !== r.threads) throw new Error(`asked for ${threads} threads, the engine runs ${r.threads}`);
                    process.stdout.write(args.json ? `${JSON.stringify(line)}\n` :
                        `${line.model} ${line.type} ${line.kernels} t=${line.threads}: load ${line.load_ms.toFixed(0)} ms, pp${line.pp} ` +
                        `${line.pp_tok_s.toFixed(1)} tok/s, tg${line.tg} ${line.tg_tok_s.toFixed(1)} tok/s, peak PSS +` +
                        `${line.peak_pss_mb.toFixed(1)} MB (file ${line.file_mb.toFixed(1)} MB, KV ${line.kv_mb.toFixed(1)} MB)\n`);
                } catch (err) {
                    failed = true;
                    process.stderr.write(`${basename(model)} t=${threads}: ${err.message}\n`);
                }
            }
        } finally {
            await files.close();
        }
    }
} finally {
    await browser.close().catch(() => {});
    await app.close();
}
process.exit(failed ? 1 : 0);

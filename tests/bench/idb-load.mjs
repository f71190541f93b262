#!/usr/bin/env node
// Loading a model from the IndexedDB model cache after a cold browser start, in headless Chromium.
// Per model, on its own persistent profile (launchPersistentContext keeps IndexedDB across
// browser restarts):
//
//   1. first visit: createEngine() + engine.load({repo, file, hubUrl}) against the local Hub server
//      downloads the model into IndexedDB and loads it (download_ms: until the first 'load'-phase
//      progress event, i.e. downloaded + verified; first_visit_ms: until load() resolves);
//   2. the browser is closed and the Hub server STOPPED (a load that touched the network would fail);
//   3. 2 x --runs times: launch the browser again on the same profile (cold browser start; unless
//      --keep-page-cache, the profile's files are first dropped from the OS page cache with
//      `dd iflag=nocache`, so IndexedDB is read from disk), open the page, and time createEngine() +
//      engine.load() until it resolves. In the first --runs starts the summed PSS
//      (/proc/PID/smaps_rollup) of the launched browser and all its descendant processes is sampled
//      every --sample-ms during the load; peak_pss_added_mb = peak during the load minus the mean
//      of 5 samples taken just before it. Reading smaps_rollup costs the kernel 5-15 ms per
//      process, which slows the load on 2 cores, so idb_load_ms comes from the other --runs
//      starts, made without the sampler. settled_pss_added_mb: one sample 1 s after load()
//      resolved (all starts). ratio_to_file = peak_pss_added / file size: about 1 plus the
//      engine's fixed overhead (measure it with a tiny model) when the model is held once; a
//      second copy would show as 2 or more on a large model.
//
//   node tests/bench/idb-load.mjs --model /tmp/bench-models/idb-100.gguf,/tmp/bench-models/idb-500.gguf
//        [--runs 3] [--ctx 256] [--sample-ms 50] [--timeout 600] [--keep-page-cache] [--keep-profiles] [--breakdown]
//
// after_pressure_pss_added_mb: then, after a simulated critical memory-pressure notification (CDP
// Memory.simulatePressureNotification: V8 collects garbage in the page and its workers), what the
// loaded engine holds without the chunk buffers awaiting garbage collection.
// --breakdown logs each browser process's PSS (anon / file / shmem) before and after each load.
// One JSON line per model on stdout (medians over the runs; every run's numbers in *_runs);
// progress on stderr. The app server stays up on one port for the whole model (IndexedDB is per
// origin); the profile directories are removed at the end.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { HubServer } from '../server/hub-server.mjs';
import { createAppServer } from '../server/app-server.mjs';
import { ROOT, PAGE } from '../browser/browser-env.mjs';
import { LAUNCH_OPTIONS } from '../browser/chromium.mjs';

const MB = 1048576;
const REPO = 'bench/idb';

const { values: opt } = parseArgs({
    options: {
        model: { type: 'string' },
        runs: { type: 'string', default: '3' },
        ctx: { type: 'string', default: '256' },
        'sample-ms': { type: 'string', default: '50' },
        timeout: { type: 'string', default: '600' },
        'keep-page-cache': { type: 'boolean', default: false },
        'keep-profiles': { type: 'boolean', default: false },
        breakdown: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
    },
});
if (opt.help || !opt.model) {
    console.error('node tests/bench/idb-load.mjs --model FILE[,FILE...] [--runs 3] [--ctx 256] [--sample-ms 50] ' +
        '[--timeout 600] [--keep-page-cache] [--keep-profiles] [--breakdown]');
    process.exit(opt.help ? 0 : 2);
}
const RUNS = Math.max(1, Number(opt.runs));
const CTX = Number(opt.ctx);
const SAMPLE_MS = Math.max(10, Number(opt['sample-ms']));
const TIMEOUT_MS = Number(opt.timeout) * 1000;

const log = (...a) => console.error('[idb-load]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

function withTimeout(promise, ms, what) {
    let timer;
    const limit = new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error(`${what}: no answer after ${ms / 1000} s`)), ms);
    });
    return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// ---- memory: summed PSS of the browser this process launched, and of everything below it ----

function parentOf(pid) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function browserPids() {
    const children = new Map();
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
            const ppid = parentOf(name);
            if (!children.has(ppid)) children.set(ppid, []);
            children.get(ppid).push(Number(name));
        } catch { /* gone meanwhile */ }
    }
    // Our direct children that are Chromium (Playwright spawns the browser itself), then their trees.
    const roots = (children.get(process.pid) ?? []).filter((pid) => {
        try {
            return /chrom/i.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
        } catch {
            return false;
        }
    });
    const out = [];
    const todo = [...roots];
    while (todo.length) {
        const pid = todo.pop();
        out.push(pid);
        todo.push(...(children.get(pid) ?? []));
    }
    return out;
}

function treePssBytes() {
    let kb = 0;
    let n = 0;
    for (const pid of browserPids()) {
        try {
            const m = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
            if (m) {
                kb += Number(m[1]);
                n++;
            }
        } catch { /* gone meanwhile */ }
    }
    if (n === 0) throw new Error('no browser process found below this process');
    return kb * 1024;
}

// Per process: its --type (browser for the main one) and PSS split into anon / file / shmem, in MB.
function treeBreakdown() {
    const out = [];
    for (const pid of browserPids()) {
        try {
            const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
            const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
            const type = /--type=([\w-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '))?.[1] ?? 'browser';
            out.push({ pid, type, pss: round(field('Pss'), 1), anon: round(field('Pss_Anon'), 1), file: round(field('Pss_File'), 1), shmem: round(field('Pss_Shmem'), 1) });
        } catch { /* gone meanwhile */ }
    }
    return out;
}

function startSampler(everyMs) {
    let peak = treePssBytes();
    let samples = 1;
    let costMs = 0;
    const tick = () => {
        const t = performance.now();
        try {
            peak = Math.max(peak, treePssBytes());
            samples++;
        } catch { /* browser gone: the caller reports why */ }
        costMs += performance.now() - t;
    };
    const timer = setInterval(tick, everyMs);
    return () => {
        clearInterval(timer);
        tick();
        return { peak, samples, meanCostMs: costMs / samples };
    };
}

// ---- page cache: read the profile from disk on the next start ----

function filesUnder(dir) {
    const out = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) out.push(...filesUnder(path));
        else if (entry.isFile()) out.push(path);
    }
    return out;
}

// Drops this profile's files (only them: another benchmark may be running) from the page cache.
// Returns the MB still cached afterwards, as fincore counts them (null when fincore is missing).
function evictProfile(profile) {
    const files = filesUnder(profile);
    execFileSync('sync', ['-f', profile], { timeout: 60_000 }); // flush dirty pages (they cannot be dropped)
    for (const f of files) {
        try {
            execFileSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none'], { timeout: 30_000 });
        } catch { /* a file Chromium removed meanwhile */ }
    }
    try {
        const idb = join(profile, 'Default', 'IndexedDB');
        const out = execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', ...filesUnder(idb)], { timeout: 60_000 }).toString();
        return round(out.split('\n').filter(Boolean).reduce((n, l) => n + Number(l.trim()), 0) / MB, 1);
    } catch {
        return null;
    }
}

// ---- the browser side ----

async function launch(profile) {
    return chromium.launchPersistentContext(profile, { ...LAUNCH_OPTIONS, headless: true });
}

async function openPage(context, appUrl) {
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleLog = [];
    page.on('console', (m) => consoleLog.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLog.push(`[pageerror] ${e.message}`));
    page.setDefaultTimeout(TIMEOUT_MS);
    await page.goto(appUrl + PAGE, { timeout: 60_000 });
    await page.evaluate(async () => {
        globalThis.__hearth = await import('/js/index.mjs');
    });
    return { page, consoleLog };
}

// In the page: createEngine() + engine.load(); times from the call until load() resolves, and the
// time of the first 'load'-phase progress event (download finished, copying into wasm begins).
async function pageLoad({ source, ctx }) {
    const { createEngine } = globalThis.__hearth;
    const t0 = performance.now();
    let copyStart = null;
    const phases = new Set();
    const engine = createEngine({ contextLength: ctx });
    globalThis.__engine = engine;
    const info = await engine.load(source, {
        onProgress: (p) => {
            phases.add(p.phase);
            if (p.phase === 'load' && copyStart === null) copyStart = performance.now() - t0;
        },
    });
    const totalMs = performance.now() - t0;
    return {
        totalMs, copyStart, phases: [...phases], variant: info.variant, threads: info.threads,
        isolated: globalThis.crossOriginIsolated, architecture: info.architecture,
    };
}

async function cachedModels(page) {
    return page.evaluate(async () => (await globalThis.__hearth.listCachedModels())
        .map((m) => ({ name: m.name, size: m.size, complete: m.complete })));
}

async function disposeEngine(page) {
    await withTimeout(page.evaluate(() => globalThis.__engine?.dispose()), 30_000, 'dispose').catch(() => {});
}

// ---- one model ----

async function benchModel(path) {
    const fileBytes = statSync(path).size;
    const file = basename(path);
    const profile = await mkdtemp(join(tmpdir(), 'hearth-idb-bench-'));
    const hub = await new HubServer({ repos: { [REPO]: { files: { [file]: path } } } }).listen();
    const app = await createAppServer({ root: ROOT }).listen();
    const source = { repo: REPO, file, hubUrl: hub.url };
    let context = null;
    let hubUp = true;
    const result = { model: file, file_mb: round(fileBytes / MB, 1) };
    try {
        // 1. First visit: download into IndexedDB (and load).
        log(`${file}: first visit, downloading ${result.file_mb} MB from ${hub.url}`);
        context = await launch(profile);
        let { page, consoleLog } = await openPage(context, app.url);
        let first;
        try {
            first = await withTimeout(page.evaluate(pageLoad, { source, ctx: CTX }), TIMEOUT_MS, 'first-visit load');
        } catch (err) {
            err.message += `\n--- page console ---\n${consoleLog.join('\n')}`;
            throw err;
        }
        const cached = await cachedModels(page);
        if (!cached.some((m) => m.complete && m.size === fileBytes)) throw new Error(`not cached after the download: ${JSON.stringify(cached)}`);
        await disposeEngine(page);
        await context.close();
        context = null;
        await hub.close();
        hubUp = false;
        result.download_ms = round(first.copyStart);
        result.first_visit_ms = round(first.totalMs);
        log(`${file}: downloaded in ${result.download_ms} ms (whole first load ${result.first_visit_ms} ms, ${first.variant} x${first.threads}); Hub server stopped`);

        // 2. Cold browser starts, loading from IndexedDB: --runs with the PSS sampler (memory), then
        //    --runs without it (time: reading smaps_rollup costs the kernel ~5-15 ms per process).
        const runs = [];
        for (let r = 0; r < 2 * RUNS; r++) {
            const sampled = r < RUNS;
            const stillCachedMb = opt['keep-page-cache'] ? null : evictProfile(profile);
            const t0 = performance.now();
            context = await launch(profile);
            ({ page, consoleLog } = await openPage(context, app.url));
            const startMs = performance.now() - t0;
            await sleep(1500); // let the fresh browser settle before the baseline
            let base = 0;
            for (let i = 0; i < 5; i++) {
                base += treePssBytes() / 5;
                await sleep(100);
            }
            const before = opt.breakdown ? treeBreakdown() : null;
            const stop = sampled ? startSampler(SAMPLE_MS) : null;
            let run;
            try {
                run = await withTimeout(page.evaluate(pageLoad, { source, ctx: CTX }), TIMEOUT_MS, 'load from IndexedDB');
            } catch (err) {
                stop?.();
                err.message += `\n--- page console ---\n${consoleLog.join('\n')}`;
                throw err;
            }
            const mem = stop?.();
            if (run.phases.includes('download') && run.copyStart === null) throw new Error('no load phase seen');
            await sleep(1000);
            const settled = treePssBytes(); // the loaded engine, once transient buffers could be freed
            // Then ask the renderer to free what it can (memory-pressure signal: V8 collects garbage in
            // the page and its workers), to tell garbage awaiting collection from memory in use.
            let afterPressure = null;
            try {
                const cdp = await context.newCDPSession(page);
                await cdp.send('Memory.simulatePressureNotification', { level: 'critical' });
                await sleep(1500);
                afterPressure = treePssBytes();
                await cdp.detach();
            } catch (err) {
                log(`memory-pressure signal failed: ${err.message}`);
            }
            if (before) log(`per process before the load: ${JSON.stringify(before)}\n  after it: ${JSON.stringify(treeBreakdown())}`);
            const one = {
                sampled,
                idb_load_ms: round(run.totalMs),
                copy_ms: round(run.totalMs - run.copyStart), // first 'load' progress → ready
                peak_pss_added_mb: mem ? round((mem.peak - base) / MB, 1) : null,
                settled_pss_added_mb: round((settled - base) / MB, 1),
                after_pressure_pss_added_mb: afterPressure === null ? null : round((afterPressure - base) / MB, 1),
                baseline_pss_mb: round(base / MB, 1),
                browser_start_ms: round(startMs),
                samples: mem?.samples ?? 0,
                sample_cost_ms: mem ? round(mem.meanCostMs, 1) : null,
                page_cache_mb_before: stillCachedMb,
                variant: `${run.variant} x${run.threads}`,
                isolated: run.isolated,
            };
            runs.push(one);
            log(`${file}: cold start ${r + 1}/${2 * RUNS}: ${JSON.stringify(one)}`);
            await disposeEngine(page);
            await context.close();
            context = null;
        }
        const memRuns = runs.filter((x) => x.sampled);
        const timeRuns = runs.filter((x) => !x.sampled);
        result.idb_load_ms = round(median(timeRuns.map((x) => x.idb_load_ms)));
        result.peak_pss_added_mb = round(median(memRuns.map((x) => x.peak_pss_added_mb)), 1);
        result.ratio_to_file = round(result.peak_pss_added_mb / result.file_mb, 2);
        result.settled_pss_added_mb = round(median(runs.map((x) => x.settled_pss_added_mb)), 1);
        const pressured = runs.map((x) => x.after_pressure_pss_added_mb).filter((x) => x !== null);
        result.after_pressure_pss_added_mb = pressured.length ? round(median(pressured), 1) : null;
        result.runs = RUNS;
        result.idb_load_ms_runs = timeRuns.map((x) => x.idb_load_ms);
        result.idb_load_ms_sampled_runs = memRuns.map((x) => x.idb_load_ms);
        result.copy_ms_runs = timeRuns.map((x) => x.copy_ms);
        result.peak_pss_added_mb_runs = memRuns.map((x) => x.peak_pss_added_mb);
        result.page_cache_dropped = !opt['keep-page-cache'];
        result.ctx = CTX;
        result.variant = runs[0].variant;
        return result;
    } finally {
        if (context) await context.close().catch(() => {});
        if (hubUp) await hub.close().catch(() => {});
        await app.close().catch(() => {});
        if (!opt['keep-profiles']) await rm(profile, { recursive: true, force: true });
        else log(`profile kept: ${profile}`);
    }
}

let failed = false;
for (const path of opt.model.split(',').filter(Boolean)) {
    try {
        console.log(JSON.stringify(await benchModel(path)));
    } catch (err) {
        failed = true;
        log(`${path}: FAILED: ${err.stack ?? err}`);
    }
}
process.exit(failed ? 1 : 0);

// The kernel benchmark (tests/bench/bench_kernels.c) in headless Chromium rather than Node: the two
// ship different V8 versions, whose code for the same wasm can differ (a Q8_0 gemm measured 26 %
// faster in Node 20 and slower in Chromium 156). Build the benchmark with emcc as its header says,
// then:
//   node tests/bench/browser-kernels.mjs --js /tmp/bk.js [TYPE ...]
// prints the benchmark's own output. One page, one thread; the page is cross-origin isolated, so a
// -pthread build (shared memory, as the engine's threaded build has) runs too.
import { basename, dirname } from 'node:path';
import { chromium } from 'playwright-core';
import { createAppServer } from '../server/app-server.mjs';
import { LAUNCH_OPTIONS } from '../browser/chromium.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--js');
if (at < 0 || !args[at + 1]) {
    console.error('usage: node tests/bench/browser-kernels.mjs --js BENCH.js [TYPE ...]');
    process.exit(2);
}
const script = args[at + 1];
const types = args.filter((_, i) => i !== at && i !== at + 1);

// The page that runs it: made here (the benchmark's arguments go in Module) and handed to the
// browser for the served folder's origin, so the script and its .wasm load from that folder.
const page_html = `<!doctype html><script>
var Module = { arguments: ${JSON.stringify(types)}, print: (t) => console.log(t), printErr: (t) => console.log(t) };
</script><script src="/${basename(script)}"></script>`;

const app = await createAppServer({ root: dirname(script) }).listen();
const browser = await chromium.launch(LAUNCH_OPTIONS);
try {
    const page = await browser.newPage();
    const page_url = `${app.url}/__browser-kernels.html`;
    await page.route(page_url, (route) => route.fulfill({
        contentType: 'text/html', body: page_html,
        headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    }));
    const done = new Promise((ok, fail) => {
        page.on('console', (m) => {
            const text = m.text();
            console.log(text);
            if (text.startsWith('pp: ')) ok(0); // the benchmark's last line (main returns; the runtime stays up)
        });
        page.on('pageerror', fail);
    });
    await page.goto(page_url);
    let timer;
    const timeout = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error('timed out')), 300000); });
    process.exitCode = await Promise.race([done, timeout]);
    clearTimeout(timer);
} finally {
    await browser.close();
    await app.close();
}

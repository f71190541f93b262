// The kernel benchmark (tests/bench/bench_kernels.c) in headless Chromium rather than Node: the two
// ship different V8 versions, whose code for the same wasm can differ (a Q8_0 gemm measured 26 %
// faster in Node 20 and slower in Chromium 156). Build the benchmark with emcc as its header says,
// then:
//   node tests/bench/browser-kernels.mjs --js /tmp/bk.js [TYPE ...]
// prints the benchmark's own output. One page, one thread, no isolation needed.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const at = args.indexOf('--js');
if (at < 0 || !args[at + 1]) {
    console.error('usage: node tests/bench/browser-kernels.mjs --js BENCH.js [TYPE ...]');
    process.exit(2);
}
const script = args[at + 1];
const types = args.filter((_, i) => i !== at && i !== at + 1);
const dir = dirname(script);

const page_html = `<!doctype html><script>
var Module = { arguments: ${JSON.stringify(types)}, print: (t) => console.log(t), printErr: (t) => console.log(t) };
</script><script src="/${basename(script)}"></script>`;

const server = createServer(async (req, res) => {
    const name = basename(new URL(req.url, 'http://x').pathname);
    if (name === '' || name === 'index.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(page_html);
        return;
    }
    try {
        const body = await readFile(join(dir, name));
        const type = name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
        res.writeHead(200, { 'content-type': type });
        res.end(body);
    } catch {
        res.writeHead(404);
        res.end();
    }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
    const page = await browser.newPage();
    const done = new Promise((ok, fail) => {
        page.on('console', (m) => {
            const text = m.text();
            console.log(text);
            if (text.startsWith('pp: ')) ok(0); // the benchmark's last line (main returns; the runtime stays up)
        });
        page.on('pageerror', fail);
    });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    let timer;
    const timeout = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error('timed out')), 300000); });
    process.exitCode = await Promise.race([done, timeout]);
    clearTimeout(timer);
} finally {
    await browser.close();
    server.closeAllConnections(); // the page's keep-alive connections would hold close() open
    server.close();
}

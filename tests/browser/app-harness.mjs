// What the app's browser tests share: the local Hub-protocol server (which also serves the app
// with COOP/COEP), Debian's Chromium driven by playwright-core, and screenshots.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// createRequire honours NODE_PATH, so a playwright-core outside the repository also works.
const require = createRequire(import.meta.url);
export const { chromium, devices } = require('playwright-core');

import { LAUNCH_OPTIONS } from './chromium.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = process.env.SHARED_DIR ?? path.resolve(ROOT, '../shared');
export const MODELS = path.join(SHARED, 'models');
export const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');

export function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

/**
 * The local Hub-protocol server over `repos` ({'owner/name': folder | {files}}) and the app server
 * (COOP/COEP), both in this process. Returns {appUrl, hubUrl, hub, stop()}; hub.setFaults([...])
 * and hub.reset() switch faults on and off.
 */
export async function startServers({ repos }) {
    const { HubServer } = await import('../server/hub-server.mjs');
    const { createAppServer } = await import('../server/app-server.mjs');
    const hub = await new HubServer({ repos }).listen();
    const appServer = await createAppServer({ root: ROOT }).listen();
    return {
        hub,
        hubUrl: hub.url,
        appUrl: appServer.url,
        async stop() {
            await Promise.all([hub.close(), appServer.close()]);
        },
    };
}

export function launchBrowser() {
    return chromium.launch({ ...LAUNCH_OPTIONS, timeout: 30_000 }); // the app tests' own bound, as before
}

/** A page that records its console errors and uncaught exceptions. */
export async function openPage(context, url) {
    const page = await context.newPage();
    page.problems = [];
    page.on('pageerror', (error) => page.problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
        if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
    });
    page.setDefaultTimeout(20000);
    if (url) await page.goto(url);
    return page;
}

export async function screenshot(page, name) {
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

const MIME = {
    '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.css': 'text/css',
    '.wasm': 'application/wasm', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
    '.svg': 'image/svg+xml', '.png': 'image/png',
};

/**
 * A static server of the repository WITHOUT COOP/COEP headers, like a plain static host: the
 * app's service worker must add them for threads. Returns {url, stop()}.
 */
export async function startPlainServer() {
    const { createServer } = await import('node:http');
    const { readFile } = await import('node:fs/promises');
    const server = createServer(async (request, response) => {
        const pathname = decodeURIComponent(new URL(request.url, 'http://x').pathname);
        const file = path.join(ROOT, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
        if (!file.startsWith(ROOT + path.sep)) {
            response.writeHead(403).end();
            return;
        }
        try {
            const body = await readFile(file);
            response.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(body);
        } catch {
            response.writeHead(404).end('not found');
        }
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
        url: `http://127.0.0.1:${server.address().port}`,
        stop: () => new Promise((resolve) => server.close(resolve)),
    };
}

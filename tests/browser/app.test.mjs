// The chat app in Debian's Chromium against the local Hub-protocol server: the whole flow on a
// desktop and on a phone, offline after one visit, keyboard only, deep links, a GGUF with
// hostile metadata, readable errors, the embed page and the <hearth-chat> element.
// Screenshots of the main states go to test-results/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startServers, startPlainServer, launchBrowser, openPage, screenshot, devices, MODELS } from './app-harness.mjs';
import * as app from './app-flows.mjs';
import { setGgufString } from '../fixtures/gguf-metadata.mjs';
import { LOCAL_REPO, LOCAL_FILE, HOSTILE_REPO, HOSTILE_FILE, HOSTILE_NAME, BIG_REPO, BIG_FILE, makeBigModel } from './app-models.mjs';

let servers;
let browser;
let hostileBytes;
let bigModel;

before(async () => {
    // The shared models, plus one repository whose model's general.name is markup.
    const original = await readFile(path.join(MODELS, 'stories260K/stories260K-Q8_0.gguf'));
    hostileBytes = setGgufString(original, 'general.name', HOSTILE_NAME);
    // A 37 MB synthetic model: more than one 16 MiB download chunk, so a download can resume.
    bigModel = await makeBigModel();
    servers = await startServers({
        repos: {
            [LOCAL_REPO]: path.join(MODELS, 'stories260K'),
            [HOSTILE_REPO]: { files: { [HOSTILE_FILE]: hostileBytes } },
            [BIG_REPO]: { files: { [BIG_FILE]: bigModel.path } },
        },
    });
    browser = await launchBrowser();
});

after(async () => {
    await browser?.close();
    await servers?.stop();
    await bigModel?.remove();
});

const appUrl = (query = '') => `${servers.appUrl}/web/?hub=${encodeURIComponent(servers.hubUrl)}${query}`;

/** Download, chat, stop, follow-up turn, new chat: what both the desktop and the phone run. */
async function chatFlow(page, shotPrefix) {
    await app.waitForApp(page);
    await page.locator('#model-meta dl').waitFor(); // the default model's header, read before download
    await screenshot(page, `${shotPrefix}empty`);
    await app.listRepo(page, LOCAL_REPO);
    await app.chooseFile(page, LOCAL_FILE);
    const meta = await app.metadata(page);
    assert.equal(meta.Architecture, 'llama', 'metadata from the header before download');
    assert.ok(meta['Memory needed'], 'memory estimate shown');
    // stories260K's context is 128 tokens: short replies keep three turns inside it.
    await app.setSettings(page, { temperature: 0, maxTokens: 8, seed: 7, systemPrompt: '' });

    // Slow the Hub down so the progress bar can be seen (and photographed) mid-download.
    servers.hub.setFaults([{ type: 'throttle', bytesPerSec: 300_000 }]);
    await app.openPanelIfCollapsed(page);
    await page.click('#load-button');
    await page.locator('#download-bar').waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.getElementById('download-bar').value > 0);
    await screenshot(page, `${shotPrefix}downloading`);
    await app.waitForLoaded(page);
    servers.hub.reset();

    const first = await app.send(page, 'Once upon a time');
    assert.ok(first.text.trim().length > 0, 'the first reply has text');
    assert.match(first.stats, /tok\/s/, 'tokens per second shown');
    assert.match(first.stats, /prompt .*decode/, 'prompt and decode timing shown');

    const second = await app.send(page, 'And then?');
    assert.ok(second.text.length > 0, 'a follow-up turn');
    const reused = Number(/\((\d+) reused\)/.exec(second.stats)?.[1] ?? 0);
    assert.ok(reused > 40, `the follow-up reuses the KV cache of the first turn (${second.stats})`);

    await app.setSettings(page, { maxTokens: 100 });
    const stopped = await app.sendAndStop(page, 'Tell me more');
    assert.match(stopped.stats, /stopped/, 'the reply says it was stopped');

    await app.setSettings(page, { maxTokens: 8 });
    const afterStop = await app.send(page, 'What happened?');
    assert.ok(afterStop.text.length > 0, 'a turn after a stop works');
    // stories260K holds 128 tokens: the oldest turns make room for the new one.
    assert.match(afterStop.stats, /left out to fit the context/);
    assert.equal(await page.locator('#messages .message').count(), 8);
    await screenshot(page, `${shotPrefix}chatting`);

    await page.click('#new-chat');
    assert.equal(await page.locator('#messages .message').count(), 0, 'new chat is empty');
    await app.openPanelIfCollapsed(page);
    assert.match(await page.textContent('#conversation-list'), /Once upon a time/, 'the old conversation is listed');
    assert.equal(await app.errorText(page), null);
}

test('desktop: local Hub model, download, chat, stop, follow-up, new chat; kept across reloads; offline', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
        const page = await openPage(context, appUrl());
        await chatFlow(page, '');

        // Conversations are kept across reloads.
        await page.reload();
        await app.waitForApp(page);
        await app.openPanelIfCollapsed(page);
        await page.locator('#conversation-list button', { hasText: 'Once upon a time' }).first().click();
        // Opening reads the conversation from IndexedDB, then shows all its messages at once.
        await page.waitForFunction(() => document.querySelectorAll('#messages .message').length > 0);
        assert.equal(await page.locator('#messages .message').count(), 8, 'the conversation survived the reload');

        // Network cut: the service worker serves the app, the engine its cached model.
        await page.evaluate(() => navigator.serviceWorker.ready);
        await context.setOffline(true);
        await page.reload();
        await app.waitForApp(page);
        await app.waitForLoaded(page); // the last model, from the cache
        const offline = await app.send(page, 'Once upon a time');
        assert.ok(offline.text.length > 0, 'chats with the network cut');
        await context.setOffline(false);

        // Installable: Chromium finds nothing missing in the manifest and service worker.
        const cdp = await context.newCDPSession(page);
        const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
        // Playwright's contexts are incognito, where nothing installs; anything else would be ours.
        assert.deepEqual(installabilityErrors.filter((e) => e.errorId !== 'in-incognito'), []);
        const manifest = await cdp.send('Page.getAppManifest');
        assert.deepEqual(manifest.errors, []);
        assert.match(manifest.url, /\/web\/manifest\.webmanifest$/);
        assert.deepEqual(page.problems.filter((p) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(p)), []);
    } finally {
        await context.close();
    }
});

test('phone: the same flow on a Pixel 7 profile', async () => {
    const context = await browser.newContext({ ...devices['Pixel 7'] });
    try {
        const page = await openPage(context, appUrl());
        await chatFlow(page, 'phone-');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
        assert.equal(overflow, false, 'nothing wider than the screen');
        // The cached model: listed with its size and last use, then deleted.
        const cached = page.locator('#cached-list li', { hasText: LOCAL_FILE });
        assert.match(await cached.textContent(), /379 KB · last used/);
        await cached.getByRole('button', { name: `Delete ${LOCAL_REPO}/${LOCAL_FILE}` }).click();
        await page.locator('#cached-list', { hasText: 'No model downloaded yet.' }).waitFor();
    } finally {
        await context.close();
    }
});

test('keyboard only: pick, load, send, stop with Escape, new chat', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    try {
        const page = await openPage(context, appUrl());
        await app.waitForApp(page);
        const tabTo = async (selector, limit = 60) => {
            for (let i = 0; i < limit; i++) {
                if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
                await page.keyboard.press('Tab');
            }
            throw new Error(`Tab never reached ${selector}`);
        };
        await tabTo('#repo-input');
        await page.keyboard.press('Control+A');
        await page.keyboard.type(LOCAL_REPO);
        await page.keyboard.press('Enter');
        await page.locator('#file-picker').waitFor({ state: 'visible' });
        await tabTo('#file-select');
        await page.selectOption('#file-select', LOCAL_FILE); // what arrow keys do on a focused <select>
        await page.locator('#model-meta dl').waitFor();
        await tabTo('#max-tokens');
        await page.keyboard.press('Control+A');
        await page.keyboard.type('100');
        await tabTo('#load-button');
        await page.keyboard.press('Enter');
        await app.waitForLoaded(page);
        assert.equal(await page.evaluate(() => document.activeElement.id), 'prompt', 'focus moves to the message box');
        await page.keyboard.type('Once upon a time');
        await page.keyboard.press('Enter');
        await page.keyboard.press('Escape'); // stops the reply while it streams
        const reply = await app.waitForReply(page, 1);
        assert.match(reply.stats, /stopped/, 'Escape stopped the reply');
        await page.keyboard.press('Shift+Tab'); // back into the page: New chat is reachable by keyboard
        await tabTo('#new-chat');
        await page.keyboard.press('Enter');
        assert.equal(await page.locator('#messages .message').count(), 0);
        // Every control has an accessible name.
        const unnamed = await page.$$eval('button, input, select, textarea', (nodes) => nodes.filter((n) => {
            const labelled = n.labels?.length || n.getAttribute('aria-label') || n.getAttribute('aria-labelledby');
            return !labelled && !(n.tagName === 'BUTTON' && n.textContent.trim());
        }).map((n) => n.id || n.outerHTML.slice(0, 60)));
        assert.deepEqual(unnamed, []);
    } finally {
        await context.close();
    }
});

test('deep links open the right model, with or without a file name', async () => {
    const context = await browser.newContext();
    try {
        const page = await openPage(context, appUrl(`&repo=${encodeURIComponent(LOCAL_REPO)}&file=${encodeURIComponent('stories260K-Q5_0.gguf')}`));
        await app.waitForApp(page);
        assert.equal(await page.inputValue('#file-select'), 'stories260K-Q5_0.gguf');
        assert.equal(await page.inputValue('#repo-input'), LOCAL_REPO);
        await page.locator('#model-meta dl').waitFor();

        await page.goto(appUrl(`&repo=${encodeURIComponent(LOCAL_REPO)}`));
        await app.waitForApp(page);
        assert.equal(await page.inputValue('#file-select'), 'stories260K-Q4_K_M.gguf', 'Q4_K_M is the default quant');
        const groups = await page.$$eval('#file-select optgroup', (nodes) => nodes.map((n) => n.label));
        assert.ok(groups.includes('Q8_0') && groups.includes('F32'), 'files grouped by quant type');
        assert.match(await page.textContent('#file-select'), /304 KB/, 'sizes shown');
    } finally {
        await context.close();
    }
});

test('a GGUF whose general.name is markup shows as text and runs no script', async () => {
    const context = await browser.newContext();
    try {
        const page = await openPage(context, appUrl(`&repo=${encodeURIComponent(HOSTILE_REPO)}&file=${HOSTILE_FILE}`));
        await app.waitForApp(page);
        await page.locator('#model-meta dl').waitFor();
        assert.equal((await app.metadata(page)).Name, HOSTILE_NAME, 'shown before download, as text');
        await app.loadSelected(page);
        assert.equal((await app.metadata(page)).Name, HOSTILE_NAME, 'shown after load, as text');
        // The same file opened from the device.
        await page.setInputFiles('#local-file', { name: 'hostile.gguf', mimeType: 'application/octet-stream',
            buffer: hostileBytes });
        await page.waitForFunction((name) => document.getElementById('model-meta').textContent.includes(name), HOSTILE_NAME);
        assert.equal(await page.textContent('#load-button'), 'Load this file');
        await app.loadSelected(page);
        assert.equal((await app.metadata(page)).Name, HOSTILE_NAME);
        assert.ok((await app.send(page, 'Once upon a time')).text.length > 0, 'a model from a local file chats');
        await page.waitForTimeout(300); // an injected <img> would have fired onerror by now
        assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
        assert.equal(await page.locator('img').count(), 0, 'no element was created from metadata');
    } finally {
        await context.close();
    }
});

test('errors are readable messages, the page stays usable, an interrupted download resumes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
        const page = await openPage(context, appUrl(`&repo=${encodeURIComponent(BIG_REPO)}&file=${BIG_FILE}`));
        await app.waitForApp(page);
        await page.locator('#model-meta dl').waitFor();

        // The Hub refuses the download.
        servers.hub.setFaults([{ type: 'status', status: 403, on: 'any' }]);
        await page.click('#load-button');
        await page.locator('#error-banner').waitFor({ state: 'visible', timeout: 60000 });
        const message = await app.errorText(page);
        assert.match(message, new RegExp(`Could not load ${BIG_REPO}/${BIG_FILE}: .*403`));
        assert.doesNotMatch(message, /\[object|undefined/);
        await screenshot(page, 'error');
        servers.hub.reset();
        await page.click('#error-dismiss');
        assert.equal(await page.locator('#error-banner').isVisible(), false);

        // A slow download, interrupted by closing the page at 75 %...
        servers.hub.setFaults([{ type: 'throttle', bytesPerSec: 8_000_000 }]);
        await page.click('#load-button');
        await page.waitForFunction(() => {
            const bar = document.getElementById('download-bar');
            return /Downloading/.test(document.getElementById('download-label').textContent) && bar.value / bar.max >= 0.75;
        }, null, { timeout: 60000 });
        await page.reload();
        servers.hub.reset();
        await app.waitForApp(page);
        await page.locator('#model-meta dl').waitFor();
        assert.match(await page.textContent('#cached-list'), /download unfinished/);
        // ...resumes from what was stored, and says so.
        await page.evaluate(() => {
            window.__resumed = '';
            new MutationObserver(() => {
                const note = document.getElementById('download-resume');
                if (!note.hidden && note.textContent) window.__resumed = note.textContent;
            }).observe(document.getElementById('download'), { subtree: true, childList: true, characterData: true, attributes: true });
        });
        await app.loadSelected(page);
        assert.match(await page.evaluate(() => window.__resumed), /Resumed an interrupted download from \d/);
        assert.ok((await app.send(page, 'Hi')).text.length >= 0, 'the page recovered and chats');
        assert.equal(await app.errorText(page), null);

        await page.goto(appUrl('&repo=nobody/missing'));
        await app.waitForApp(page);
        assert.match(await page.textContent('#model-meta'), /Could not list nobody\/missing/);
    } finally {
        servers.hub.reset();
        await context.close();
    }
});

test('embed page (API in a few lines) and <hearth-chat> generate text', async () => {
    const context = await browser.newContext();
    try {
        const query = `?hub=${encodeURIComponent(servers.hubUrl)}&repo=${encodeURIComponent(LOCAL_REPO)}&file=${LOCAL_FILE}`;
        const embed = await openPage(context, `${servers.appUrl}/demo/embed.html${query}`);
        await embed.waitForFunction(() => document.body.dataset.done === 'true', null, { timeout: 60000 });
        assert.ok((await embed.textContent('#story')).length > 'Once upon a time'.length + 5);

        const page = await openPage(context, `${servers.appUrl}/demo/element.html${query}`);
        const chat = page.locator('hearth-chat');
        await chat.locator('button', { hasText: 'Load model' }).click();
        await chat.locator('textarea').waitFor();
        await page.waitForFunction(() => !document.querySelector('hearth-chat').shadowRoot.querySelector('button[type=submit]').disabled);
        await chat.locator('textarea').fill('Once upon a time');
        await chat.locator('textarea').press('Enter');
        await page.waitForFunction(() => {
            const reply = document.querySelector('hearth-chat').shadowRoot.querySelector('li.assistant');
            return reply && !reply.hasAttribute('aria-busy') && reply.textContent.length > 0;
        });
        // The page's green monospace rule does not reach inside the shadow root.
        const color = await chat.locator('li.assistant').evaluate((li) => getComputedStyle(li).color);
        assert.notEqual(color, 'rgb(0, 128, 0)');
    } finally {
        await context.close();
    }
});

test('a host without COOP/COEP: the service worker adds them (threads); blocked, the single-thread build runs', async () => {
    const plain = await startPlainServer();
    const url = `${plain.url}/web/?hub=${encodeURIComponent(servers.hubUrl)}&repo=${encodeURIComponent(LOCAL_REPO)}&file=${LOCAL_FILE}`;
    try {
        for (const serviceWorkers of ['allow', 'block']) {
            const context = await browser.newContext({ serviceWorkers });
            try {
                const page = await openPage(context, url);
                await app.waitForApp(page);
                const isolated = await page.evaluate(() => crossOriginIsolated);
                assert.equal(isolated, serviceWorkers === 'allow', `cross-origin isolated with service workers ${serviceWorkers}`);
                await page.locator('#model-meta dl').waitFor();
                await app.setSettings(page, { maxTokens: 8 });
                await app.loadSelected(page);
                assert.match(await page.textContent('#runtime-mode'), isolated ? /threaded build on \d+ thread/ : /single-threaded/);
                assert.ok((await app.send(page, 'Once upon a time')).text.length > 0);
            } finally {
                await context.close();
            }
        }
    } finally {
        await plain.stop();
    }
});

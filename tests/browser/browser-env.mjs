// What the browser tests share: the local Hub server with the test models, two app servers (one
// cross-origin isolated, one not) serving this repository, and headless Chromium.
import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HubServer } from '../server/hub-server.mjs';
import { createAppServer } from '../server/app-server.mjs';
import { withChatTemplate } from '../fixtures/gguf-with-template.mjs';
import { LAUNCH_OPTIONS } from './chromium.mjs';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHARED = process.env.SHARED_DIR ?? resolve(ROOT, '../shared');
export const PAGE = '/tests/browser/fixtures/blank.html';

// The template the chat test model carries: "<role>:<content>\n" per message.
export const CHAT_TEMPLATE = "{% for m in messages %}{{ m.role }}:{{ m.content }}\n{% endfor %}" +
    "{% if add_generation_prompt %}assistant:{% endif %}";

const NOT_ISOLATED = {
    'Cross-Origin-Opener-Policy': 'unsafe-none',
    'Cross-Origin-Embedder-Policy': 'unsafe-none',
};

export async function startEnvironment() {
    const model = join(SHARED, 'models/stories260K/stories260K-f32.gguf');
    const hub = await new HubServer({
        repos: {
            'local/stories260K': { files: {
                'stories260K-f32.gguf': model,
                'stories260K-Q4_0.gguf': join(SHARED, 'models/stories260K/stories260K-Q4_0.gguf'),
            } },
            'test/chat': { files: { 'stories260K-chat.gguf': withChatTemplate(await readFile(model), CHAT_TEMPLATE) } },
        },
    }).listen();
    const isolated = await createAppServer({ root: ROOT }).listen();
    const plain = await createAppServer({ root: ROOT, headers: NOT_ISOLATED }).listen();
    const browser = await chromium.launch(LAUNCH_OPTIONS);
    return {
        hub,
        isolated,
        plain,
        browser,
        reference: JSON.parse(await readFile(join(SHARED, 'reference/stories260K-f32.ref.json'), 'utf8')).prompts[0],
        referenceQ4_0: JSON.parse(await readFile(join(SHARED, 'reference/stories260K-Q4_0.ref.json'), 'utf8')).prompts[0],
        async close() {
            await browser.close().catch(() => {});
            await Promise.all([hub.close(), isolated.close(), plain.close()]);
        },
    };
}

// A fresh browser context (empty storage) with the test page open; console output kept for
// failure reports.
export async function openPage(env, app) {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    const log = [];
    page.on('console', (msg) => log.push(`[${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => log.push(`[pageerror] ${err.message}`));
    page.setDefaultTimeout(60_000);
    await page.goto(app.url + PAGE);
    return { page, context, log };
}

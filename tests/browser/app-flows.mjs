// What a person does in the chat app, as steps the tests combine: list a repository, pick a
// file, download and load it, send a message, stop a reply, start a new chat.
import assert from 'node:assert/strict';

/** Waits until the app has started; survives the one reload the service worker may cause. */
export async function waitForApp(page, { timeout = 30000 } = {}) {
    const deadline = Date.now() + timeout;
    let state;
    while (Date.now() < deadline) {
        state = await page.evaluate(() => document.documentElement.dataset.ready).catch(() => 'navigating');
        if (state === 'true' || state === 'failed') break;
        await page.waitForTimeout(100);
    }
    assert.equal(state, 'true', `the app started (${state}): ${await page.textContent('#error-text').catch(() => '')}`);
}

export async function openPanelIfCollapsed(page) {
    if (await page.locator('#panel-toggle').isVisible() && !(await page.locator('#repo-input').isVisible())) {
        await page.click('#panel-toggle');
    }
}

export async function listRepo(page, repo) {
    await openPanelIfCollapsed(page);
    await page.fill('#repo-input', repo);
    await page.click('#repo-form button[type=submit]');
    await page.locator('#file-picker').waitFor({ state: 'visible' });
}

/** Selects a listed file and waits for its header metadata. */
export async function chooseFile(page, file) {
    await page.selectOption('#file-select', file);
    await page.locator('#model-meta dl').waitFor();
}

export async function metadata(page) {
    return page.$$eval('#model-meta dt', (terms) => Object.fromEntries(terms.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
}

export async function loadSelected(page, { timeout = 60000 } = {}) {
    await openPanelIfCollapsed(page);
    await page.click('#load-button');
    await waitForLoaded(page, { timeout });
}

export async function waitForLoaded(page, { timeout = 60000 } = {}) {
    await page.waitForFunction(() => /^Loaded /.test(document.getElementById('model-status').textContent)
        || !document.getElementById('error-banner').hidden, null, { timeout });
    const error = await page.locator('#error-banner').isVisible() ? await page.textContent('#error-text') : null;
    assert.equal(error, null, 'no error while loading');
}

export async function setSettings(page, values) {
    await openPanelIfCollapsed(page);
    for (const [name, value] of Object.entries(values)) {
        await page.fill(`#settings-form [name=${name}]`, String(value));
    }
    await page.evaluate(() => document.getElementById('settings-form').dispatchEvent(new Event('change')));
    if (await page.locator('#panel-toggle').isVisible()) await page.click('#panel-toggle');
}

export const assistantCount = (page) => page.locator('#messages .message.assistant').count();

/** Sends a message and waits until its reply is complete; returns {text, stats}. */
export async function send(page, text, { timeout = 60000 } = {}) {
    const before = await assistantCount(page);
    await page.fill('#prompt', text);
    await page.press('#prompt', 'Enter');
    return waitForReply(page, before + 1, { timeout });
}

export async function waitForReply(page, count, { timeout = 60000 } = {}) {
    await page.waitForFunction((n) => {
        const replies = document.querySelectorAll('#messages .message.assistant');
        return replies.length >= n && !replies[n - 1].hasAttribute('aria-busy');
    }, count, { timeout });
    const reply = page.locator('#messages .message.assistant').nth(count - 1);
    return { text: await reply.locator('.content').textContent(), stats: await reply.locator('.stats').textContent() };
}

/**
 * Sends a message and presses Stop as soon as the first generated text shows. The click comes
 * from a MutationObserver in the page, so it does not race a fast model.
 */
export async function sendAndStop(page, text) {
    const before = await assistantCount(page);
    await page.evaluate(() => {
        const list = document.getElementById('messages');
        const observer = new MutationObserver(() => {
            const replies = list.querySelectorAll('.message.assistant');
            const last = replies[replies.length - 1];
            if (last?.hasAttribute('aria-busy') && last.querySelector('.content').textContent.length > 0) {
                observer.disconnect();
                document.getElementById('stop').click();
            }
        });
        observer.observe(list, { childList: true, subtree: true, characterData: true });
    });
    await page.fill('#prompt', text);
    await page.press('#prompt', 'Enter');
    return waitForReply(page, before + 1);
}

export async function errorText(page) {
    return (await page.locator('#error-banner').isVisible()) ? page.textContent('#error-text') : null;
}

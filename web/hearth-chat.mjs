// <hearth-chat repo="owner/name" file="model.gguf" hub-url="https://huggingface.co"></hearth-chat>
// A complete chat box for any page: its markup and styles live in a shadow root, so the page's
// CSS does not reach in and ours does not leak out.
//
// Attributes: repo (required), file (default: the repo's Q4_K_M, else the smallest ≥ 4-bit
// file), revision (main), hub-url (https://huggingface.co), system-prompt, max-tokens (256),
// temperature (0.7), autoload (load at once instead of showing a Load button).
// Events: hearth-ready {detail: info}, hearth-error {detail: error}, hearth-reply {detail: text}.
import { createEngine } from '../js/index.mjs';
import { pickDefaultFile } from './quant.mjs';
import { listRepoFiles } from './model-source.mjs';
import { formatBytes, formatRate, formatDuration } from './format.mjs';

const STYLE = `
:host { display: block; max-width: 40rem; border: 1px solid #d9cfc7; border-radius: 10px;
  font: 15px/1.45 system-ui, sans-serif; color: #1f1a17; background: #fff; overflow: hidden; }
* { box-sizing: border-box; }
header { padding: .5rem .75rem; background: #b4441c; color: #fff; font-weight: 600; font-size: .9rem;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.status { padding: .5rem .75rem; color: #6b5f57; font-size: .85rem; }
.status[hidden], progress[hidden], button[hidden] { display: none; }
progress { width: calc(100% - 1.5rem); margin: 0 .75rem; }
ol { list-style: none; margin: 0; padding: .75rem; max-height: 24rem; overflow-y: auto; display: flex; flex-direction: column; gap: .5rem; }
li { padding: .45rem .65rem; border-radius: 8px; white-space: pre-wrap; overflow-wrap: anywhere; max-width: 90%; }
li.user { align-self: flex-end; background: #f3e4da; }
li.assistant { align-self: flex-start; background: #f7f4f1; }
form { display: flex; gap: .4rem; padding: .5rem .75rem .75rem; }
textarea { flex: 1; font: inherit; padding: .4rem; border: 1px solid #d9cfc7; border-radius: 6px; resize: vertical; min-width: 0; }
button { font: inherit; padding: .4rem .8rem; border-radius: 6px; border: 1px solid #b4441c; background: #b4441c; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #b4441c; }
button:disabled { opacity: .5; cursor: not-allowed; }
:focus-visible { outline: 3px solid #1d5fd1; outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
`;

function node(tag, props = {}, text) {
    const element = Object.assign(document.createElement(tag), props);
    if (text !== undefined) element.textContent = text;
    return element;
}

class HearthChat extends HTMLElement {
    #engine = null;
    #history = [];
    #busy = false;
    #parts = {};

    connectedCallback() {
        if (this.shadowRoot) return;
        const root = this.attachShadow({ mode: 'open' });
        const p = this.#parts;
        root.append(node('style', {}, STYLE));
        p.header = node('header', {}, this.getAttribute('repo') ?? 'Hearth');
        p.status = node('p', { className: 'status', role: 'status' }, 'No model loaded.');
        p.progress = node('progress', { hidden: true, max: 1, value: 0 });
        p.progress.setAttribute('aria-label', 'Download progress');
        p.load = node('button', { type: 'button', className: 'secondary' }, 'Load model');
        p.load.style.margin = '0 .75rem .5rem';
        p.messages = node('ol');
        p.messages.setAttribute('role', 'log');
        p.messages.setAttribute('aria-label', 'Messages');
        p.form = node('form');
        p.input = node('textarea', { rows: 2, placeholder: 'Message' });
        p.input.setAttribute('aria-label', 'Message');
        p.send = node('button', { type: 'submit', disabled: true }, 'Send');
        p.stop = node('button', { type: 'button', hidden: true, className: 'secondary' }, 'Stop');
        p.form.append(p.input, p.send, p.stop);
        root.append(p.header, p.status, p.progress, p.load, p.messages, p.form);

        p.load.addEventListener('click', () => this.load());
        p.form.addEventListener('submit', (event) => {
            event.preventDefault();
            this.send(p.input.value);
        });
        p.input.addEventListener('keydown', (event) => {
            if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
                event.preventDefault();
                p.form.requestSubmit();
            } else if (event.key === 'Escape') this.stop();
        });
        p.stop.addEventListener('click', () => this.stop());
        if (this.hasAttribute('autoload')) this.load();
    }

    disconnectedCallback() {
        // Moving the element fires disconnect then connect: free the engine only if it stays out.
        queueMicrotask(() => {
            if (this.isConnected || !this.#engine) return;
            this.#engine.dispose();
            this.#engine = null;
            this.#history = [];
            Object.assign(this.#parts.load, { hidden: false, disabled: false });
            this.#parts.send.disabled = true;
            this.#parts.status.textContent = 'No model loaded.';
        });
    }

    #fail(error, context) {
        this.#parts.status.textContent = `${context}: ${error?.message ?? error}`;
        this.dispatchEvent(new CustomEvent('hearth-error', { detail: error }));
    }

    /** Downloads (or reads from the cache) and loads the model of the attributes. */
    async load() {
        const p = this.#parts;
        const repo = this.getAttribute('repo');
        const hubUrl = (this.getAttribute('hub-url') || 'https://huggingface.co').replace(/\/+$/, '');
        const revision = this.getAttribute('revision') || 'main';
        if (!repo) return this.#fail(new Error('the repo attribute is missing'), 'Cannot load');
        p.load.disabled = true;
        try {
            let file = this.getAttribute('file');
            if (!file) {
                p.status.textContent = `Listing ${repo}…`;
                file = pickDefaultFile(await listRepoFiles({ hubUrl, repo, revision }));
                if (!file) throw new Error(`${repo} has no .gguf file`);
            }
            p.header.textContent = `${repo} · ${file}`;
            p.status.textContent = `Loading ${file}…`;
            p.progress.hidden = false;
            this.#engine ??= createEngine();
            await this.#engine.load({ repo, file, revision, hubUrl }, {
                onProgress: ({ loaded, total, rate, eta }) => {
                    if (total) Object.assign(p.progress, { max: total, value: loaded });
                    p.status.textContent = `${formatBytes(loaded)} of ${formatBytes(total)} · ${formatRate(rate)} · ${formatDuration(eta)} left`;
                },
            });
            p.progress.hidden = true;
            p.load.hidden = true;
            p.send.disabled = false;
            p.status.textContent = 'Ready.';
            this.dispatchEvent(new CustomEvent('hearth-ready', { detail: await this.#engine.info() }));
        } catch (error) {
            p.progress.hidden = true;
            p.load.disabled = false;
            this.#fail(error, 'Could not load the model');
        }
    }

    stop() {
        if (this.#busy) this.#engine?.abort();
    }

    async send(text) {
        const p = this.#parts;
        if (this.#busy || !this.#engine || !text.trim()) return;
        this.#busy = true;
        p.input.value = '';
        p.send.hidden = true;
        p.stop.hidden = false;
        this.#history.push({ role: 'user', content: text });
        p.messages.append(node('li', { className: 'user' }, text));
        const bubble = node('li', { className: 'assistant' });
        bubble.setAttribute('aria-busy', 'true');
        p.messages.append(bubble);
        let reply = '';
        try {
            const system = this.getAttribute('system-prompt');
            const stream = await this.#engine.chat.completions.create({
                messages: system ? [{ role: 'system', content: system }, ...this.#history] : this.#history,
                stream: true,
                max_tokens: Number(this.getAttribute('max-tokens')) || 256,
                temperature: this.hasAttribute('temperature') ? Number(this.getAttribute('temperature')) : 0.7,
            });
            for await (const chunk of stream) {
                const delta = chunk?.choices?.[0]?.delta?.content;
                if (!delta) continue;
                reply += delta;
                bubble.append(delta); // a text node: generated text is never markup
                p.messages.scrollTop = p.messages.scrollHeight;
            }
            p.status.textContent = 'Ready.';
        } catch (error) {
            if (error?.name !== 'AbortError') this.#fail(error, 'The reply failed');
        } finally {
            this.#history.push({ role: 'assistant', content: reply });
            bubble.removeAttribute('aria-busy');
            this.#busy = false;
            p.send.hidden = false;
            p.stop.hidden = true;
            p.input.focus();
            this.dispatchEvent(new CustomEvent('hearth-reply', { detail: reply }));
        }
    }
}

if (!customElements.get('hearth-chat')) customElements.define('hearth-chat', HearthChat);

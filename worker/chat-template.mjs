// Turns OpenAI-style messages into the prompt text the model was trained on, using the model's
// own tokenizer.chat_template. The template is Jinja source from a downloaded file, so it is
// run only through @huggingface/jinja's interpreter (its Template class): no eval, no access to
// anything but the values passed in. Nothing in jinja bounds a render's time or memory (a loop
// over range(10**8) builds that array at once and kills the worker), so renders are bounded here.
import { loadJinja } from './jinja-loader.mjs';

// Real chat templates render in milliseconds into a few hundred KB at most.
export const RENDER_LIMITS = { ms: 2000, rangeItems: 100_000, chars: 16_000_000, items: 1_000_000 };

let budget = null; // {deadline, steps} while a render runs; renders are synchronous, so one at a time

function limitError(what) {
    return new Error(`${what}: the template is not a usable chat template`);
}

// Refuses a range() call before jinja allocates it when it would be too long.
function checkRange([start, stop, step = 1]) {
    if (stop === undefined) [start, stop] = [0, start];
    const count = step === 0 ? 0 : Math.max(0, Math.ceil((stop - start) / step));
    if (!(count <= RENDER_LIMITS.rangeItems)) {
        throw limitError(`range() of ${count} items is more than the ${RENDER_LIMITS.rangeItems} allowed`);
    }
}

// Installed on the module's Interpreter once, inactive outside renderChat. run() wraps the
// render's own range() global with checkRange. Every node evaluated then passes through
// evaluate(): a time limit (checked every 256 nodes) and a size limit on every value made
// (strings, lists, dicts), so that doubling a list in a loop stops at once.
function installLimits(Interpreter) {
    const { run, evaluate } = Interpreter.prototype;
    if (evaluate.bounded) return;
    Interpreter.prototype.run = function (program) {
        const range = this.global?.variables?.get('range');
        if (budget && typeof range?.value === 'function' && !range.value.bounded) {
            const inner = range.value;
            range.value = (args, scope) => {
                checkRange(args.map((a) => a.value));
                return inner(args, scope);
            };
            range.value.bounded = true;
        }
        return run.call(this, program);
    };
    const bounded = function (node, env) {
        if (budget && ++budget.steps % 256 === 0 && Date.now() > budget.deadline) {
            throw limitError(`rendering took more than ${RENDER_LIMITS.ms} ms`);
        }
        const value = evaluate.call(this, node, env);
        if (budget && value) {
            const v = value.value;
            if (typeof v === 'string' && v.length > RENDER_LIMITS.chars) {
                throw limitError(`a text of more than ${RENDER_LIMITS.chars} characters`);
            }
            const n = Array.isArray(v) ? v.length : v instanceof Map ? v.size : 0;
            if (n > RENDER_LIMITS.items) throw limitError(`a list or dict of more than ${RENDER_LIMITS.items} items`);
        }
        return value;
    };
    bounded.bounded = true;
    Interpreter.prototype.evaluate = bounded;
}

// For models that carry no template: ChatML, the most widely trained format.
export const FALLBACK_TEMPLATE =
    "{%- for message in messages -%}" +
    "{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}" +
    "{%- endfor -%}" +
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}";

// With the fallback, a model that never learned ChatML may write the markers as plain text:
// they end the reply.
export const FALLBACK_STOPS = ['<|im_end|>', '<|im_start|>'];

const compiled = new Map(); // template source -> Template, templates are parsed once

function messageText(content) {
    if (typeof content === 'string') return content;
    if (content == null) return '';
    if (Array.isArray(content)) {
        // OpenAI content parts: only text parts mean anything to a text model.
        return content.map((part) => (part && part.type === 'text' ? String(part.text ?? '') : '')).join('');
    }
    throw new TypeError('message content must be a string or an array of text parts');
}

export function normalizeMessages(messages) {
    if (!Array.isArray(messages) || messages.length === 0) {
        throw new TypeError('messages must be a non-empty array');
    }
    return messages.map((m, i) => {
        if (!m || typeof m.role !== 'string') throw new TypeError(`messages[${i}] needs a string role`);
        return { ...m, role: m.role, content: messageText(m.content) };
    });
}

// Returns {text, usedFallback}. specialTokens: {bos_token, eos_token} as text.
export async function renderChat({ template, messages, specialTokens, jinjaUrl }) {
    const source = template || FALLBACK_TEMPLATE;
    const { Template, Interpreter } = await loadJinja(jinjaUrl);
    installLimits(Interpreter);
    let tpl = compiled.get(source);
    if (!tpl) {
        try {
            tpl = new Template(source);
        } catch (err) {
            throw new Error(`chat template does not parse: ${err.message}`);
        }
        compiled.set(source, tpl);
    }
    const values = {
        messages: normalizeMessages(messages),
        add_generation_prompt: true,
        bos_token: specialTokens.bos_token ?? '',
        eos_token: specialTokens.eos_token ?? '',
    };
    budget = { deadline: Date.now() + RENDER_LIMITS.ms, steps: 0 };
    try {
        return { text: tpl.render(values), usedFallback: !template };
    } catch (err) {
        throw new Error(`chat template failed to render: ${err.message}`);
    } finally {
        budget = null;
    }
}

// Turns OpenAI-style messages into the prompt text the model was trained on, using the model's
// own tokenizer.chat_template. The template is Jinja source from a downloaded file, so it is
// run only through @huggingface/jinja's interpreter (its Template class): no eval, no access to
// anything but the values passed in.
import { loadJinja } from './jinja-loader.mjs';

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
    const { Template } = await loadJinja(jinjaUrl);
    let tpl = compiled.get(source);
    if (!tpl) {
        try {
            tpl = new Template(source);
        } catch (err) {
            throw new Error(`chat template does not parse: ${err.message}`);
        }
        compiled.set(source, tpl);
    }
    try {
        const text = tpl.render({
            messages: normalizeMessages(messages),
            add_generation_prompt: true,
            bos_token: specialTokens.bos_token ?? '',
            eos_token: specialTokens.eos_token ?? '',
        });
        return { text, usedFallback: !template };
    } catch (err) {
        throw new Error(`chat template failed to render: ${err.message}`);
    }
}

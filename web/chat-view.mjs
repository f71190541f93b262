// The message list: one <li> per message; generated text is appended as text nodes while it
// streams (aria-busy keeps screen readers from announcing every token).
import { el, byId } from './dom.mjs';
import { formatMs } from './format.mjs';

const ROLE_NAMES = { user: 'You', assistant: 'Assistant' };

/** "24 tokens · 61.2 tok/s · prompt 18 tok in 35 ms (12 reused) · decode 392 ms" */
export function describeStats(stats) {
    if (!stats) return '';
    const parts = [];
    if (stats.completionTokens !== undefined) parts.push(`${stats.completionTokens} token${stats.completionTokens === 1 ? '' : 's'}`);
    if (stats.tokensPerSecond) parts.push(`${stats.tokensPerSecond.toFixed(1)} tok/s`);
    if (stats.promptMs !== undefined) {
        const count = stats.promptTokens !== undefined ? `${stats.promptTokens} tok ` : '';
        const reused = stats.cachedTokens ? `(${stats.cachedTokens} reused) ` : '';
        parts.push(`prompt ${count}${reused}in ${formatMs(stats.promptMs)}`);
    }
    if (stats.decodeMs !== undefined) parts.push(`decode ${formatMs(stats.decodeMs)}`);
    if (stats.stopped) parts.push('stopped');
    if (stats.leftOut) parts.push(`${stats.leftOut} earlier message${stats.leftOut === 1 ? '' : 's'} left out to fit the context`);
    return parts.join(' · ');
}

export function createChatView() {
    const list = byId('messages');
    const emptyHint = byId('empty-hint');

    function add(message) {
        const content = el('div', { class: 'content' }, message.content);
        const stats = el('small', { class: 'stats' }, describeStats(message.stats));
        const item = el('li', { class: `message ${message.role}` },
            el('span', { class: 'role' }, ROLE_NAMES[message.role] ?? message.role), content, stats);
        list.append(item);
        emptyHint.hidden = true;
        scrollToEnd();
        return {
            element: item,
            appendText(text) {
                content.append(text);
                scrollToEnd();
            },
            setText(text) {
                content.textContent = text;
            },
            setBusy(busy) {
                if (busy) item.setAttribute('aria-busy', 'true');
                else item.removeAttribute('aria-busy');
            },
            setStats(value) {
                stats.textContent = describeStats(value);
                scrollToEnd();
            },
        };
    }

    function scrollToEnd() {
        // Only follow the stream when the reader is already near the bottom.
        const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
        if (nearBottom) list.scrollTop = list.scrollHeight;
    }

    return {
        add,
        show(messages) {
            list.replaceChildren();
            emptyHint.hidden = messages.length > 0;
            for (const message of messages) add(message);
            list.scrollTop = list.scrollHeight;
        },
    };
}

// The conversation: sends the whole history to engine.chat.completions.create (the engine reuses
// its KV cache for the common prefix, so a follow-up turn only evaluates the new tokens), streams
// the reply into the view, stops on request, and saves every turn to IndexedDB.
import { byId } from './dom.mjs';
import { showError, clearError } from './errors.mjs';
import {
    newConversation, listConversations, getConversation, saveConversation, deleteConversation, titleFrom,
} from './conversations.mjs';
import { showConversationList } from './conversation-list-view.mjs';

const CURRENT_KEY = 'hearth.currentConversation';

/** Our per-reply stats from the engine's usage/timings, or from our own clock when absent. */
function replyStats(usage, timings, clock, stopped) {
    const decodeMs = timings?.predicted_ms ?? timings?.decodeMs ?? clock.decodeMs;
    const completionTokens = usage?.completion_tokens ?? timings?.predicted_n ?? clock.tokens;
    return {
        completionTokens,
        promptTokens: usage?.prompt_tokens ?? timings?.prompt_n,
        cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? timings?.cache_n,
        promptMs: timings?.prompt_ms ?? timings?.promptMs ?? clock.promptMs,
        decodeMs,
        tokensPerSecond: timings?.predicted_per_second
            ?? (decodeMs > 0 && completionTokens > 1 ? ((completionTokens - 1) * 1000) / decodeMs : undefined),
        stopped: stopped || undefined,
    };
}

// The engine's words when the prompt does not fit (see worker/generation.mjs).
function isContextOverflow(error) {
    return /the prompt is \d+ tokens, the context holds \d+/.test(String(error?.message ?? ''));
}

/** The messages without the oldest turn (up to the next user message), or null if only the last is left. */
function withoutOldestTurn(messages) {
    let cut = 1;
    while (cut < messages.length - 1 && messages[cut].role !== 'user') cut++;
    return cut < messages.length ? messages.slice(cut) : null;
}

export function createChatController({ getEngine, settings, view, modelLabel }) {
    const prompt = byId('prompt');
    const sendButton = byId('send');
    const stopButton = byId('stop');
    const title = byId('chat-title');
    let conversation = newConversation(settings.get().systemPrompt);
    let generating = null; // {controller} while a reply streams

    function setGenerating(value) {
        generating = value;
        sendButton.hidden = Boolean(value);
        stopButton.hidden = !value;
        if (value) stopButton.focus({ preventScroll: true });
        else if (document.activeElement === stopButton || document.activeElement === document.body) prompt.focus({ preventScroll: true });
    }

    async function refreshList() {
        showConversationList(await listConversations(), {
            currentId: conversation.id,
            onOpen: (id) => open(id).catch((e) => showError(e, 'Could not open the conversation')),
            onDelete: (id) => remove(id).catch((e) => showError(e, 'Could not delete the conversation')),
        });
    }

    function showConversation() {
        title.textContent = conversation.title;
        view.show(conversation.messages);
        localStorage.setItem(CURRENT_KEY, conversation.id);
    }

    async function open(id) {
        if (generating) stop();
        const found = await getConversation(id);
        if (!found) return;
        conversation = found;
        if (found.systemPrompt !== undefined) settings.setSystemPrompt(found.systemPrompt);
        showConversation();
        await refreshList();
    }

    async function startNew() {
        if (generating) stop();
        conversation = newConversation(settings.get().systemPrompt);
        showConversation();
        await refreshList();
        prompt.focus();
    }

    async function remove(id) {
        await deleteConversation(id);
        if (id === conversation.id) await startNew();
        else await refreshList();
    }

    function stop() {
        if (!generating) return;
        generating.controller.abort();
        getEngine()?.abort?.();
    }

    async function send(text) {
        const engine = getEngine();
        if (!engine) {
            showError(new Error('Load a model first: pick one under "Model" and press "Download and load".'));
            return;
        }
        if (generating || !text.trim()) return;
        clearError();
        const options = settings.get();
        // This turn belongs to the conversation open now, even if another is opened meanwhile.
        const conv = conversation;
        conv.systemPrompt = options.systemPrompt;
        conv.model = modelLabel();
        if (conv.messages.length === 0) conv.title = titleFrom(text);
        const userMessage = { role: 'user', content: text };
        conv.messages.push(userMessage);
        view.add(userMessage);
        if (conv === conversation) title.textContent = conv.title;
        prompt.value = '';

        const reply = { role: 'assistant', content: '' };
        const bubble = view.add(reply);
        bubble.setBusy(true);
        const controller = new AbortController();
        setGenerating({ controller });
        const history = conv.messages.filter((m) => m !== reply).map(({ role, content }) => ({ role, content }));
        const system = options.systemPrompt.trim() ? [{ role: 'system', content: options.systemPrompt }] : [];
        const clock = { start: performance.now(), tokens: 0, promptMs: undefined, decodeMs: undefined };
        let usage;
        let timings;
        let stopped = false;
        let leftOut = 0;
        conv.messages.push(reply);
        try {
            for (let window = history; ;) {
                try {
                    const stream = await engine.chat.completions.create({
                        messages: [...system, ...window],
                        stream: true,
                        max_tokens: options.maxTokens,
                        temperature: options.temperature,
                        top_p: options.topP,
                        top_k: options.topK,
                        seed: options.seed === '' ? undefined : Number(options.seed),
                        signal: controller.signal,
                    });
                    for await (const chunk of stream) {
                        let delta = chunk?.choices?.[0]?.delta?.content;
                        // A reply's leading blank (SentencePiece models start with one) is not shown.
                        if (delta && !reply.content) delta = delta.trimStart();
                        if (delta) {
                            const now = performance.now();
                            if (clock.tokens === 0) clock.promptMs = now - clock.start;
                            clock.tokens++;
                            clock.decodeMs = now - clock.start - clock.promptMs;
                            reply.content += delta;
                            bubble.appendText(delta);
                        }
                        // After Stop the engine ends the stream at once, with the usage and
                        // timings of what it did: reading on to the end keeps them.
                        if (chunk?.choices?.[0]?.finish_reason === 'abort' || controller.signal.aborted) stopped = true;
                        usage = chunk?.usage ?? usage;
                        timings = chunk?.timings ?? timings;
                    }
                    break;
                } catch (error) {
                    // The conversation outgrew the model's context: leave out the oldest turn.
                    const shorter = isContextOverflow(error) && !reply.content ? withoutOldestTurn(window) : null;
                    if (!shorter) throw error;
                    leftOut += window.length - shorter.length;
                    window = shorter;
                }
            }
        } catch (error) {
            if (error?.name === 'AbortError' || controller.signal.aborted) stopped = true;
            else showError(error, 'The reply failed');
        } finally {
            reply.stats = { ...replyStats(usage, timings, clock, stopped), leftOut: leftOut || undefined };
            bubble.setStats(reply.stats);
            bubble.setBusy(false);
            setGenerating(null);
            await saveConversation(conv).catch((e) => showError(e, 'Could not save the conversation'));
            await refreshList().catch(() => {});
        }
    }

    byId('composer').addEventListener('submit', (event) => {
        event.preventDefault();
        send(prompt.value).catch((e) => showError(e));
    });
    prompt.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            byId('composer').requestSubmit();
        }
    });
    document.addEventListener('keydown', (event) => {
        if (event.key === 'Escape' && generating) {
            event.preventDefault();
            stop();
        }
    });
    stopButton.addEventListener('click', stop);
    byId('new-chat').addEventListener('click', () => startNew().catch((e) => showError(e)));

    return {
        async restore() {
            const id = localStorage.getItem(CURRENT_KEY);
            const saved = id ? await getConversation(id) : null;
            if (saved) conversation = saved;
            showConversation();
            await refreshList();
        },
        send,
        stop,
        isGenerating: () => Boolean(generating),
    };
}

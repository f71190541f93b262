// Conversations kept across reloads, in IndexedDB: one record per conversation
// {id, title, createdAt, updatedAt, model, systemPrompt, messages: [{role, content, stats}]}.

const DB_NAME = 'hearth-chat';
const STORE = 'conversations';
let dbPromise = null;

function openDb() {
    dbPromise ??= new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    return dbPromise;
}

async function run(mode, action) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const request = action(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(request?.result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error ?? new Error('Saving the conversation was aborted'));
    });
}

export function newConversation(systemPrompt = '') {
    const now = Date.now();
    return {
        id: `c${now.toString(36)}${Math.random().toString(36).slice(2, 8)}`,
        title: 'New chat',
        createdAt: now,
        updatedAt: now,
        model: null,
        systemPrompt,
        messages: [],
    };
}

/** All conversations, most recently updated first. */
export async function listConversations() {
    const all = (await run('readonly', (store) => store.getAll())) ?? [];
    return all.sort((a, b) => b.updatedAt - a.updatedAt);
}

export const getConversation = (id) => run('readonly', (store) => store.get(id));

export function saveConversation(conversation) {
    conversation.updatedAt = Date.now();
    // structuredClone drops anything that is not plain data (IndexedDB would throw on it).
    return run('readwrite', (store) => store.put(structuredClone(conversation)));
}

export const deleteConversation = (id) => run('readwrite', (store) => store.delete(id));

/** A short title from the first user message. */
export function titleFrom(text) {
    const line = text.trim().split('\n')[0];
    return line.length > 40 ? `${line.slice(0, 39)}…` : line || 'New chat';
}

// The saved conversations: open one by its title, or delete it.
import { el, byId, replaceChildren } from './dom.mjs';
import { formatDate } from './format.mjs';

export function showConversationList(conversations, { currentId, onOpen, onDelete }) {
    const list = byId('conversation-list');
    if (conversations.length === 0) {
        replaceChildren(list, el('li', { class: 'hint' }, 'No saved conversation.'));
        return;
    }
    replaceChildren(list, conversations.map((conversation) => el('li', { 'aria-current': conversation.id === currentId ? 'true' : null },
        el('button', { type: 'button', class: 'link-button', onclick: () => onOpen(conversation.id) },
            el('span', { class: 'item-title' }, conversation.title),
            el('span', { class: 'item-detail' }, `${conversation.messages.length} messages · ${formatDate(conversation.updatedAt)}`)),
        el('button', { type: 'button', onclick: () => onDelete(conversation.id), 'aria-label': `Delete conversation ${conversation.title}` }, 'Delete'))));
}

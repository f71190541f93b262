// Cached models: name, size, last used, and Load / Delete buttons for each.
import { el, byId, replaceChildren } from './dom.mjs';
import { formatBytes, formatDate } from './format.mjs';

export function showCachedModels(models, usage, { onLoad, onDelete, currentId }) {
    const list = byId('cached-list');
    if (models.length === 0) {
        replaceChildren(list, el('li', { class: 'hint' }, 'No model downloaded yet.'));
    } else {
        replaceChildren(list, models.map((model) => el('li', { 'aria-current': model.id === currentId ? 'true' : null },
            el('span', { class: 'item-main' },
                el('span', { class: 'item-title' }, model.label.split('/').pop()),
                el('span', { class: 'item-detail' }, [model.label.includes('/') ? model.label.split('/').slice(0, -1).join('/') : null,
                    formatBytes(model.size), model.complete ? `last used ${formatDate(model.lastUsed)}` : 'download unfinished: Load resumes it',
                ].filter(Boolean).join(' · '))),
            el('button', { type: 'button', onclick: () => onLoad(model), 'aria-label': `Load ${model.label}` }, 'Load'),
            el('button', { type: 'button', onclick: () => onDelete(model), 'aria-label': `Delete ${model.label}` }, 'Delete'))));
    }
    const parts = [];
    if (Number.isFinite(usage?.models)) parts.push(`Models: ${formatBytes(usage.models)}`);
    if (Number.isFinite(usage?.usage)) {
        parts.push(`storage used: ${formatBytes(usage.usage)}${Number.isFinite(usage.quota) ? ` of ${formatBytes(usage.quota)}` : ''}`);
    }
    byId('cache-usage').textContent = parts.join(' · ');
}

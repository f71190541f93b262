// A model's metadata, read from its GGUF header before anything is downloaded, as a <dl>.
// Every value is text: a hostile general.name stays visible characters, never markup.
import { el, byId, replaceChildren } from './dom.mjs';
import { formatBytes, formatCount } from './format.mjs';

function pick(object, ...keys) {
    for (const key of keys) {
        const value = key.split('.').reduce((o, k) => (o == null ? undefined : o[k]), object);
        if (value !== undefined && value !== null && value !== '') return value;
    }
    return undefined;
}

function memoryText(info) {
    const total = pick(info, 'memory.total', 'memory.totalBytes', 'memory.total_bytes', 'estimate.total', 'memory');
    if (typeof total === 'number') return formatBytes(total);
    return total === undefined ? undefined : String(total);
}

/** Rows [label, text] from whatever the header reader or engine.info() returned. */
export function metadataRows(info, fileSize) {
    const params = pick(info, 'parameters', 'n_params', 'nParams');
    const context = pick(info, 'context', 'contextLength', 'context_length', 'n_ctx_train');
    const rows = [
        ['Name', pick(info, 'name', 'general.name', 'metadata.general.name')],
        ['Architecture', pick(info, 'architecture', 'arch', 'general.architecture')],
        ['Parameters', typeof params === 'number' ? formatCount(params) : params],
        ['Type', pick(info, 'type', 'fileType', 'file_type', 'quantization')],
        ['Context', typeof context === 'number' ? `${context.toLocaleString('en')} tokens` : context],
        ['Memory needed', memoryText(info)],
        ['Download size', fileSize ? formatBytes(fileSize) : undefined],
    ];
    return rows.filter(([, value]) => value !== undefined).map(([label, value]) => [label, String(value)]);
}

export function showMetadata(info, { fileSize, note } = {}) {
    const rows = metadataRows(info ?? {}, fileSize);
    replaceChildren(byId('model-meta'),
        el('dl', { 'aria-label': 'Model details' }, rows.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, value)])),
        note ? el('p', { class: 'warning' }, note) : null);
}

export function showMetadataMessage(text) {
    replaceChildren(byId('model-meta'), el('p', { class: 'hint' }, text));
}

// Errors as readable messages in one banner (role="alert"), never a frozen page: every failure
// of the app, including the ones nobody caught, ends up here.
import { byId } from './dom.mjs';

/** A sentence a person can act on, from whatever was thrown. */
export function describeError(error) {
    if (!error) return 'Something went wrong.';
    if (error.name === 'AbortError') return 'Stopped.';
    const message = String(error.message ?? error);
    if (error.name === 'TypeError' && /fetch|network|Load failed/i.test(message)) {
        return navigator.onLine === false
            ? 'The network is unreachable (you are offline). Cached models still work.'
            : `Could not reach the server: ${message}`;
    }
    if (/QuotaExceeded/i.test(error.name ?? '') || /quota/i.test(message)) {
        return `Not enough storage for this model: ${message}. Delete a cached model and try again.`;
    }
    return message || 'Something went wrong.';
}

export function showError(error, context = '') {
    const banner = byId('error-banner');
    const text = describeError(error);
    byId('error-text').textContent = context ? `${context}: ${text}` : text;
    banner.hidden = false;
    if (error && error.name !== 'AbortError') console.error(context, error);
}

export function clearError() {
    byId('error-banner').hidden = true;
}

export function installGlobalErrorHandlers() {
    byId('error-dismiss').addEventListener('click', clearError);
    window.addEventListener('error', (event) => showError(event.error ?? event.message, 'Unexpected error'));
    window.addEventListener('unhandledrejection', (event) => showError(event.reason, 'Unexpected error'));
}

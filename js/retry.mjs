// Retrying with exponential back-off: transient failures (network errors, stalls, 5xx) are
// tried again after 1 s, 2 s, 4 s ... (capped, with jitter); anything else fails at once.
import { abortError } from './delivery-errors.mjs';
import { TransientError } from './http.mjs';

export function sleep(ms, signal) {
    return new Promise((ok, fail) => {
        if (signal?.aborted) {
            fail(abortError(signal));
            return;
        }
        const onAbort = () => {
            clearTimeout(timer);
            fail(abortError(signal));
        };
        const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            ok();
        }, ms);
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}

/** Delay before retry number `attempt` (0-based): base * 2^attempt, capped, times 0.75..1.25. */
export function backoffMs(attempt, { baseMs = 1000, maxMs = 30000, random = Math.random } = {}) {
    const plain = Math.min(maxMs, baseMs * 2 ** attempt);
    return Math.round(plain * (0.75 + random() * 0.5));
}

/**
 * Runs fn(attempt) until it succeeds, a non-transient error occurs, or `retries` retries have
 * failed (then the last error is thrown with `attempts` set). onRetry(err, attempt, delayMs) is
 * told about each retry.
 */
export async function withRetries(fn, { retries = 5, baseMs = 1000, maxMs = 30000, signal, onRetry, isTransient } = {}) {
    const transient = isTransient ?? ((err) => err instanceof TransientError);
    for (let attempt = 0; ; attempt++) {
        if (signal?.aborted) throw abortError(signal);
        try {
            return await fn(attempt);
        } catch (err) {
            if (signal?.aborted) throw abortError(signal);
            if (!transient(err) || attempt >= retries) {
                if (err && typeof err === 'object') err.attempts = attempt + 1;
                throw err;
            }
            const delay = Math.min(maxMs, Math.max(backoffMs(attempt, { baseMs, maxMs }), err.retryAfterMs ?? 0));
            onRetry?.(err, attempt + 1, delay);
            await sleep(delay, signal);
        }
    }
}

// HTTP pieces of model delivery: a request whose every wait (headers, then each piece of the
// body) is bounded by an idle timeout, reading a body into exactly-sized buffers, the headers
// that carry a file's size and identity, and which redirects a download may follow.
import { DownloadError, StorageQuotaError, abortError, isAbortError } from './delivery-errors.mjs';

/** A retryable failure of one request (network error, stall, 5xx, short body...). */
export class TransientError extends Error {
    constructor(code, message, extra = {}) {
        super(message, extra.cause ? { cause: extra.cause } : undefined);
        this.name = 'TransientError';
        this.code = code;
        if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
        if (extra.status !== undefined) this.status = extra.status;
    }
}

/** The file on the server is not the one we started with (ETag or size changed). */
export class FileChangedError extends Error {
    constructor(message) {
        super(message);
        this.name = 'FileChangedError';
        this.code = 'FILE_CHANGED';
    }
}

/** The server sent the whole file for a Range request. */
export class RangeIgnoredError extends Error {
    constructor(response, request) {
        super('the server ignored the Range header');
        this.name = 'RangeIgnoredError';
        this.response = response;
        this.request = request;
    }
}

/**
 * One request whose every wait on the network is bounded: the headers, and later each piece of
 * the body read through `request.read()`, must arrive within idleMs, else it fails with
 * TransientError('STALLED'). Time the caller spends between reads does not count.
 * Returns {response, read(), cancel(), done(), setSignal(signal)}: call done() (or cancel())
 * when finished; setSignal() moves the request under another abort signal.
 */
export async function timedFetch(url, init, { fetchImpl = globalThis.fetch, idleMs = 30000, signal } = {}) {
    if (signal?.aborted) throw abortError(signal);
    const controller = new AbortController();
    let timedOut = false;
    let timer = null;
    let outer = signal;
    const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
            timedOut = true;
            controller.abort(new TransientError('STALLED', `no data for ${idleMs} ms`));
        }, idleMs);
    };
    const disarm = () => clearTimeout(timer);
    const onAbort = () => controller.abort(abortError(outer));
    outer?.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
        disarm();
        outer?.removeEventListener('abort', onAbort);
    };
    const translate = (err) => {
        if (outer?.aborted) return abortError(outer);
        if (timedOut) return new TransientError('STALLED', `the server sent nothing for ${idleMs} ms`, { cause: err });
        if (err instanceof TransientError || err instanceof DownloadError) return err;
        return new TransientError('NETWORK', `network error: ${err?.message ?? err}`, { cause: err });
    };
    let response;
    arm();
    try {
        response = await fetchImpl(url, { ...init, signal: controller.signal });
    } catch (err) {
        finish();
        throw translate(err);
    } finally {
        disarm();
    }
    let reader = null;
    return {
        response,
        /** The next piece of the body ({done, value}), bounded by the idle timeout. */
        async read() {
            reader ??= response.body.getReader();
            if (controller.signal.aborted) throw translate(controller.signal.reason);
            arm();
            try {
                return await reader.read();
            } catch (err) {
                finish();
                throw translate(err);
            } finally {
                disarm();
            }
        },
        async cancel() {
            finish();
            controller.abort(new DOMException('cancelled', 'AbortError'));
            try {
                await (reader ? reader.cancel() : response.body?.cancel());
            } catch { /* already closed */ }
        },
        done: finish,
        setSignal(next) {
            outer?.removeEventListener('abort', onAbort);
            outer = next;
            if (outer?.aborted) controller.abort(abortError(outer));
            else outer?.addEventListener('abort', onAbort, { once: true });
        },
    };
}

/**
 * Reads exactly `length` bytes of a body into a new buffer. More or fewer is a TransientError
 * (the chunk is then fetched again).
 */
export async function readExactly(request, length, onBytes) {
    const out = new Uint8Array(length);
    let got = 0;
    for (;;) {
        const { done, value } = await request.read();
        if (done) break;
        if (got + value.byteLength > length) {
            await request.cancel();
            throw new TransientError('LENGTH_MISMATCH', `the server sent more than the ${length} bytes asked for`);
        }
        out.set(value, got);
        got += value.byteLength;
        onBytes?.(value.byteLength);
    }
    request.done();
    if (got !== length) {
        throw new TransientError('LENGTH_MISMATCH', `the answer ended after ${got} of ${length} bytes`);
    }
    return out;
}

/** {start, end, total} of a Content-Range header ('bytes a-b/n' or 'bytes *\/n'), or null. */
export function parseContentRange(value) {
    if (!value) return null;
    const m = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(value);
    if (!m) return null;
    return {
        start: m[1] === undefined ? null : Number(m[1]),
        end: m[2] === undefined ? null : Number(m[2]),
        total: m[3] === '*' ? null : Number(m[3]),
    };
}

/** The file's identity: X-Linked-Etag (the Hub's, for LFS files) or ETag. */
export function etagOf(response) {
    return response.headers.get('x-linked-etag') ?? response.headers.get('etag') ?? null;
}

/** The file's full size from X-Linked-Size or the Content-Range total (a 206), else null. */
export function totalSizeOf(response) {
    const linked = Number(response.headers.get('x-linked-size'));
    if (response.headers.has('x-linked-size') && Number.isSafeInteger(linked) && linked >= 0) return linked;
    const range = parseContentRange(response.headers.get('content-range'));
    if (range?.total !== null && range?.total !== undefined) return range.total;
    return null;
}

export function contentLengthOf(response) {
    if (!response.headers.has('content-length')) return null;
    const n = Number(response.headers.get('content-length'));
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

const HUB_HOSTS = /(^|\.)(huggingface\.co|hf\.co)$/i;

/**
 * May a download that started at startUrl read from finalUrl? Yes for the same origin, for the
 * origins listed in allowedOrigins, and for the Hugging Face Hub's own CDN hosts (https
 * *.huggingface.co, *.hf.co) when the download started on the Hub.
 */
export function redirectAllowed(startUrl, finalUrl, { allowedOrigins = [] } = {}) {
    if (!finalUrl) return true;
    const start = new URL(startUrl);
    const final = new URL(finalUrl);
    if (final.origin === start.origin) return true;
    if (allowedOrigins.some((o) => new URL(o).origin === final.origin)) return true;
    return HUB_HOSTS.test(start.hostname) && final.protocol === 'https:' && HUB_HOSTS.test(final.hostname);
}

export function checkRedirect(startUrl, response, options) {
    if (response.redirected && !redirectAllowed(startUrl, response.url, options)) {
        throw new DownloadError('REDIRECT_REFUSED',
            `${startUrl} redirected to ${new URL(response.url).origin}, which is neither the Hub nor the server you gave; refusing to download from it`,
            { url: startUrl, redirectedTo: response.url });
    }
}

/** Seconds or an HTTP date in Retry-After, as milliseconds (undefined when absent). */
export function retryAfterMs(response) {
    const value = response.headers.get('retry-after');
    if (!value) return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/**
 * What a non-2xx status means for a download: a TransientError for statuses worth retrying
 * (408, 425, 429, 5xx), a DownloadError otherwise.
 */
export function statusError(response, url) {
    const status = response.status;
    if (status === 408 || status === 425 || status === 429 || status >= 500) {
        return new TransientError(`HTTP_${status}`, `HTTP ${status} from ${url}`, { status, retryAfterMs: retryAfterMs(response) });
    }
    const hint = status === 401 || status === 403
        ? ' (the repository may be private or gated: accept its terms on the Hub, or pick another model)'
        : status === 404 ? ' (no such file: check the repository, revision and file name)' : '';
    return new DownloadError(status === 404 ? 'NOT_FOUND' : `HTTP_${status}`, `HTTP ${status} for ${url}${hint}`, { status, url });
}

/**
 * A failure as callers see it once the retries are spent: an AbortError when aborted, a
 * DownloadError naming what went wrong (code STALLED, NETWORK, FILE_CHANGED, HTTP_xxx...), or
 * the error itself when it is already one of ours.
 */
export function finalError(err, url, signal) {
    if (signal?.aborted || isAbortError(err)) return abortError(signal);
    if (err instanceof DownloadError || err instanceof StorageQuotaError || err?.code === 'STORE_BLOCKED') return err;
    if (err instanceof TransientError) {
        const stalled = err.code === 'STALLED';
        const code = stalled ? 'STALLED' : err.status ? `HTTP_${err.status}` : 'NETWORK';
        return new DownloadError(code,
            `Downloading ${url} failed after ${err.attempts ?? 1} attempts: ${stalled ? 'the connection stalled' : err.message}. ` +
            'Chunks already stored are kept; loading again resumes from them.',
            { cause: err, url, status: err.status, attempts: err.attempts });
    }
    if (err instanceof FileChangedError) {
        return new DownloadError('FILE_CHANGED', `${url} kept changing on the server during the download: ${err.message}`, { cause: err, url });
    }
    return err;
}

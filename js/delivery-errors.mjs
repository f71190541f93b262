// The errors of model delivery (Hub, download, model cache). Each has a stable `code` for
// programs and a message a person can act on.

export function formatBytes(n) {
    if (!Number.isFinite(n)) return String(n);
    const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = n;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
        v /= 1024;
        u++;
    }
    return u === 0 ? `${n} bytes` : `${v.toFixed(2)} ${units[u]} (${n} bytes)`;
}

export class DeliveryError extends Error {
    /**
     * @param {string} code
     * @param {string} message
     * @param {object} [extra] copied onto the error (e.g. status, url, cause)
     */
    constructor(code, message, extra = {}) {
        super(message, extra.cause ? { cause: extra.cause } : undefined);
        this.name = 'DeliveryError';
        this.code = code;
        for (const [k, v] of Object.entries(extra)) if (k !== 'cause') this[k] = v;
    }
}

/** The browser's storage is full, or would be by this download (code STORAGE_QUOTA). */
export class StorageQuotaError extends DeliveryError {
    constructor(message, extra) {
        super('STORAGE_QUOTA', message, extra);
        this.name = 'StorageQuotaError';
    }
}

/** Another tab holds the model cache database in a way that stops this one (code STORE_BLOCKED). */
export class StoreBlockedError extends DeliveryError {
    constructor(message, extra) {
        super('STORE_BLOCKED', message, extra);
        this.name = 'StoreBlockedError';
    }
}

/** A download failed for good (after its retries), or was refused (code names why). */
export class DownloadError extends DeliveryError {
    constructor(code, message, extra) {
        super(code, message, extra);
        this.name = 'DownloadError';
    }
}

export function abortError(signal) {
    if (signal?.reason instanceof Error) return signal.reason;
    const err = new Error('aborted');
    err.name = 'AbortError';
    return err;
}

export function isAbortError(err) {
    return err?.name === 'AbortError';
}

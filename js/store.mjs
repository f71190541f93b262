// The model cache in IndexedDB: database 'hearth' with two object stores,
//   files:  {id, modelId, url, name, etag, size, chunkSize, complete, verified, sha256, lastUsed, ...}
//   chunks: key [fileId, index] → ArrayBuffer (bytes [index * chunkSize, ...) of the file)
// A download writes each chunk as it arrives, so an interrupted one resumes from what is stored;
// readChunks() gives a file back chunk by chunk, so a model never exists as one ArrayBuffer.
//
// Errors are explicit: a full quota gives StorageQuotaError naming the numbers, and another tab
// that blocks an upgrade (or upgrades/deletes the database under us) gives StoreBlockedError.
// quotaBytes simulates a small quota (tests), counted over the chunks this database holds.
import { StorageQuotaError, StoreBlockedError, formatBytes } from './delivery-errors.mjs';
import { readChunksOf, toExactBuffer, groupModels, chunkLength } from './store-common.mjs';

export const DB_NAME = 'hearth';
export const DB_VERSION = 1;
const FILES = 'files';
const CHUNKS = 'chunks';

function requestResult(request) {
    return new Promise((ok, fail) => {
        request.onsuccess = () => ok(request.result);
        request.onerror = () => fail(request.error);
    });
}

function chunkRange(fileId) {
    return IDBKeyRange.bound([fileId, 0], [fileId, Infinity]);
}

function isQuotaError(err) {
    return err?.name === 'QuotaExceededError' || /quota/i.test(String(err?.message ?? ''));
}

export class IdbStore {
    /**
     * Opens (and creates or upgrades) the database.
     * @param {{name?: string, version?: number, quotaBytes?: number, indexedDB?: IDBFactory}} [options]
     * @returns {Promise<IdbStore>}
     */
    static async open({ name = DB_NAME, version = DB_VERSION, quotaBytes, indexedDB = globalThis.indexedDB } = {}) {
        if (!indexedDB) throw new Error('IndexedDB is not available here, so models cannot be cached');
        const db = await new Promise((ok, fail) => {
            let settled = false;
            let request;
            try {
                request = indexedDB.open(name, version);
            } catch (err) {
                fail(err);
                return;
            }
            request.onupgradeneeded = () => {
                const upgrading = request.result;
                if (!upgrading.objectStoreNames.contains(FILES)) {
                    upgrading.createObjectStore(FILES, { keyPath: 'id' }).createIndex('modelId', 'modelId');
                }
                if (!upgrading.objectStoreNames.contains(CHUNKS)) upgrading.createObjectStore(CHUNKS);
            };
            request.onblocked = () => {
                settled = true;
                fail(new StoreBlockedError(
                    `The model cache (IndexedDB database '${name}') is held open by another tab running an older ` +
                    'version of this page. Close the other Hearth tabs (or reload them), then try again.'));
            };
            request.onsuccess = () => {
                if (settled) {
                    request.result.close(); // opened after we gave up waiting
                    return;
                }
                settled = true;
                ok(request.result);
            };
            request.onerror = () => {
                if (settled) return;
                settled = true;
                const err = request.error;
                fail(err?.name === 'VersionError'
                    ? new StoreBlockedError(`The model cache (IndexedDB database '${name}') was created by a newer version of this page; reload it.`, { cause: err })
                    : err);
            };
        });
        return new IdbStore(db, { name, quotaBytes });
    }

    constructor(db, { name, quotaBytes } = {}) {
        this.db = db;
        this.name = name;
        this.quotaBytes = Number.isFinite(quotaBytes) ? quotaBytes : undefined;
        this.usedBytes = undefined; // counted on first need when a quota is simulated
        this.closedReason = null;
        db.onversionchange = () => {
            // Another tab wants to upgrade or delete the database: let it, and stop using ours.
            db.close();
            this.db = null;
            this.closedReason = 'versionchange';
        };
        db.onclose = () => {
            this.db = null;
            this.closedReason ??= 'closed';
        };
    }

    get isOpen() {
        return this.db !== null;
    }

    requireDb() {
        if (this.db) return this.db;
        if (this.closedReason === 'versionchange') {
            throw new StoreBlockedError(
                'The model cache was closed because another tab is upgrading or deleting it. Reload this page.');
        }
        throw new StoreBlockedError('The model cache is closed (the browser closed the database, or storage was cleared). Reload this page.');
    }

    /**
     * Runs body(tx) in one transaction; resolves with what body's getResult() returns once the
     * transaction has committed.
     */
    transaction(names, mode, body) {
        const db = this.requireDb();
        return new Promise((ok, fail) => {
            let tx;
            try {
                tx = db.transaction(names, mode);
            } catch (err) {
                fail(err);
                return;
            }
            let getResult = null;
            tx.oncomplete = () => ok(getResult ? getResult() : undefined);
            tx.onabort = () => fail(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
            try {
                getResult = body(tx) ?? null;
            } catch (err) {
                try {
                    tx.abort();
                } catch { /* already finished */ }
                fail(err);
            }
        });
    }

    async getFile(id) {
        let req;
        return this.transaction([FILES], 'readonly', (tx) => {
            req = tx.objectStore(FILES).get(id);
            return () => req.result;
        });
    }

    async putFile(record) {
        if (!record || typeof record.id !== 'string') throw new TypeError('a file record needs a string id');
        await this.transaction([FILES], 'readwrite', (tx) => {
            tx.objectStore(FILES).put(record);
        });
    }

    /** Updates some fields of a record in one transaction; returns the new record (undefined when absent). */
    async updateFile(id, changes) {
        let updated;
        await this.transaction([FILES], 'readwrite', (tx) => {
            const files = tx.objectStore(FILES);
            const req = files.get(id);
            req.onsuccess = () => {
                if (!req.result) return;
                updated = { ...req.result, ...changes };
                files.put(updated);
            };
        });
        return updated;
    }

    async listFiles() {
        let req;
        return this.transaction([FILES], 'readonly', (tx) => {
            req = tx.objectStore(FILES).getAll();
            return () => req.result;
        });
    }

    async deleteFile(id) {
        const removed = this.usedBytes !== undefined ? await this.storedBytes(id) : 0;
        await this.transaction([FILES, CHUNKS], 'readwrite', (tx) => {
            tx.objectStore(CHUNKS).delete(chunkRange(id));
            tx.objectStore(FILES).delete(id);
        });
        if (this.usedBytes !== undefined) this.usedBytes -= removed;
    }

    async deleteChunks(fileId) {
        const removed = this.usedBytes !== undefined ? await this.storedBytes(fileId) : 0;
        await this.transaction([CHUNKS], 'readwrite', (tx) => {
            tx.objectStore(CHUNKS).delete(chunkRange(fileId));
        });
        if (this.usedBytes !== undefined) this.usedBytes -= removed;
    }

    async chunkIndices(fileId) {
        let req;
        return this.transaction([CHUNKS], 'readonly', (tx) => {
            req = tx.objectStore(CHUNKS).getAllKeys(chunkRange(fileId));
            return () => req.result.map((key) => key[1]);
        });
    }

    async storedBytes(fileId) {
        const record = await this.getFile(fileId);
        if (!record) return 0;
        let n = 0;
        for (const i of await this.chunkIndices(fileId)) n += chunkLength(record, i);
        return n;
    }

    /** Bytes of all stored chunks (for the simulated quota). */
    async countUsedBytes() {
        let n = 0;
        for (const record of await this.listFiles()) n += await this.storedBytes(record.id);
        return n;
    }

    async putChunk(fileId, index, data) {
        const buffer = toExactBuffer(data);
        if (this.quotaBytes !== undefined) {
            this.usedBytes ??= await this.countUsedBytes();
            if (this.usedBytes + buffer.byteLength > this.quotaBytes) {
                throw new StorageQuotaError(
                    `The browser's storage quota is full: storing ${formatBytes(buffer.byteLength)} more would exceed the ` +
                    `quota of ${formatBytes(this.quotaBytes)} (${formatBytes(this.usedBytes)} used). Delete cached models to make room.`,
                    { needed: buffer.byteLength, available: Math.max(0, this.quotaBytes - this.usedBytes) });
            }
        }
        try {
            await this.transaction([CHUNKS], 'readwrite', (tx) => {
                tx.objectStore(CHUNKS).put(buffer, [fileId, index]);
            });
        } catch (err) {
            if (!isQuotaError(err)) throw err;
            const { usage, quota } = await this.estimate().catch(() => ({}));
            throw new StorageQuotaError(
                `The browser's storage quota is full: it refused ${formatBytes(buffer.byteLength)} more ` +
                `(${formatBytes(usage)} used of ${formatBytes(quota)}). Delete cached models or free disk space.`,
                { cause: err, needed: buffer.byteLength, available: Number.isFinite(quota) ? Math.max(0, quota - usage) : undefined });
        }
        if (this.usedBytes !== undefined) this.usedBytes += buffer.byteLength;
    }

    async getChunk(fileId, index) {
        let req;
        const value = await this.transaction([CHUNKS], 'readonly', (tx) => {
            req = tx.objectStore(CHUNKS).get([fileId, index]);
            return () => req.result;
        });
        return value === undefined ? undefined : new Uint8Array(value);
    }

    readChunks(fileId, options) {
        return readChunksOf(this, fileId, options);
    }

    /** {usage, quota, available} in bytes: the simulated quota when set, else navigator.storage.estimate(). */
    async estimate() {
        if (this.quotaBytes !== undefined) {
            this.usedBytes ??= await this.countUsedBytes();
            return { usage: this.usedBytes, quota: this.quotaBytes, available: Math.max(0, this.quotaBytes - this.usedBytes) };
        }
        const storage = globalThis.navigator?.storage;
        if (!storage?.estimate) return { usage: undefined, quota: undefined, available: Infinity };
        const { usage = 0, quota } = await storage.estimate();
        return { usage, quota, available: Number.isFinite(quota) ? Math.max(0, quota - usage) : Infinity };
    }

    /** Asks the browser not to evict the cache under storage pressure; true when granted. */
    async persist() {
        try {
            const storage = globalThis.navigator?.storage;
            if (!storage?.persist) return false;
            return (await storage.persisted?.()) || (await storage.persist());
        } catch {
            return false;
        }
    }

    async listModels() {
        return groupModels(await this.listFiles());
    }

    async deleteModel(id) {
        for (const r of await this.listFiles()) if (r.id === id || r.modelId === id) await this.deleteFile(r.id);
    }

    close() {
        this.db?.close();
        this.db = null;
        this.closedReason = 'closed';
    }
}

let defaultStore = null;

/** The page's (or worker's) model cache, opened once; reopened when another tab closed it. */
export async function openDefaultStore() {
    if (defaultStore) {
        const store = await defaultStore.catch(() => null);
        if (store?.isOpen) return store;
    }
    defaultStore = IdbStore.open();
    defaultStore.catch(() => {
        defaultStore = null;
    });
    return defaultStore;
}

const hasIndexedDb = () => typeof globalThis.indexedDB !== 'undefined';

/** Models in the cache: [{id, name, url, repo, file, revision, hubUrl, size, complete, verified, lastUsed, shards, files}]. */
export async function listCachedModels() {
    if (!hasIndexedDb()) return [];
    return (await openDefaultStore()).listModels();
}

/** Deletes a cached model (every shard) by its id. */
export async function deleteCachedModel(id) {
    if (!hasIndexedDb()) return;
    await (await openDefaultStore()).deleteModel(id);
}

/** {usage, quota, available, models, persisted}: the origin's storage and the bytes cached models take. */
export async function cacheUsage() {
    if (!hasIndexedDb()) return { usage: 0, quota: undefined, available: undefined, models: 0, persisted: false };
    const store = await openDefaultStore();
    const [estimate, models, persisted] = await Promise.all([
        store.estimate(),
        store.listModels(),
        globalThis.navigator?.storage?.persisted?.().catch(() => false) ?? false,
    ]);
    return { ...estimate, models: models.reduce((n, m) => n + m.size, 0), persisted: Boolean(persisted) };
}

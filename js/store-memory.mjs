// The chunk store's interface held in memory: what Node uses (it has no IndexedDB), and the
// stand-in the Node tests use for the IndexedDB store (tests/js/store-contract.mjs runs the
// same checks against both). quotaBytes simulates a storage quota.
import { StorageQuotaError, formatBytes } from './delivery-errors.mjs';
import { readChunksOf, toBytes, groupModels } from './store-common.mjs';

export class MemoryStore {
    /** @param {{quotaBytes?: number}} [options] */
    constructor({ quotaBytes = Infinity } = {}) {
        this.files = new Map();
        this.chunks = new Map(); // fileId → Map index → Uint8Array
        this.quotaBytes = quotaBytes;
        this.usedBytes = 0;
        this.closed = false;
    }

    check() {
        if (this.closed) throw new Error('the model cache is closed');
    }

    async getFile(id) {
        this.check();
        const r = this.files.get(id);
        return r ? structuredClone(r) : undefined;
    }

    async putFile(record) {
        this.check();
        if (!record || typeof record.id !== 'string') throw new TypeError('a file record needs a string id');
        this.files.set(record.id, structuredClone(record));
    }

    /** Updates some fields of a record; returns the new record (undefined when absent). */
    async updateFile(id, changes) {
        this.check();
        const r = this.files.get(id);
        if (!r) return undefined;
        Object.assign(r, structuredClone(changes));
        return structuredClone(r);
    }

    async listFiles() {
        this.check();
        return [...this.files.values()].map((r) => structuredClone(r));
    }

    async deleteFile(id) {
        this.check();
        await this.deleteChunks(id);
        this.files.delete(id);
    }

    async putChunk(fileId, index, data) {
        this.check();
        const bytes = toBytes(data).slice(); // the store keeps its own copy, like IndexedDB
        const map = this.chunks.get(fileId) ?? new Map();
        const replaced = map.get(index)?.byteLength ?? 0;
        if (this.usedBytes - replaced + bytes.byteLength > this.quotaBytes) {
            throw new StorageQuotaError(
                `The browser's storage quota is full: storing ${formatBytes(bytes.byteLength)} more would exceed the ` +
                `quota of ${formatBytes(this.quotaBytes)} (${formatBytes(this.usedBytes)} used). Delete cached models to make room.`,
                { needed: bytes.byteLength, available: Math.max(0, this.quotaBytes - this.usedBytes) });
        }
        map.set(index, bytes);
        this.chunks.set(fileId, map);
        this.usedBytes += bytes.byteLength - replaced;
    }

    async getChunk(fileId, index) {
        this.check();
        const bytes = this.chunks.get(fileId)?.get(index);
        return bytes ? bytes.slice() : undefined;
    }

    async chunkIndices(fileId) {
        this.check();
        return [...(this.chunks.get(fileId)?.keys() ?? [])].sort((a, b) => a - b);
    }

    async deleteChunks(fileId) {
        this.check();
        for (const bytes of this.chunks.get(fileId)?.values() ?? []) this.usedBytes -= bytes.byteLength;
        this.chunks.delete(fileId);
    }

    readChunks(fileId, options) {
        return readChunksOf(this, fileId, options);
    }

    /** {usage, quota, available}: bytes this store holds against its quota (Infinity when none). */
    async estimate() {
        return { usage: this.usedBytes, quota: this.quotaBytes, available: Math.max(0, this.quotaBytes - this.usedBytes) };
    }

    async persist() {
        return false;
    }

    async listModels() {
        return groupModels(await this.listFiles());
    }

    async deleteModel(id) {
        for (const r of await this.listFiles()) if (r.id === id || r.modelId === id) await this.deleteFile(r.id);
    }

    close() {
        this.closed = true;
    }
}

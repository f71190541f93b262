// Types for js/store.mjs (IndexedDB) and js/store-memory.mjs (same interface, in memory).
export interface FileRecord {
    id: string;
    modelId: string;
    url: string;
    name: string;
    etag: string | null;
    size: number;
    chunkSize: number;
    complete: boolean;
    verified: boolean;
    sha256: string | null;
    lastUsed: number;
    createdAt: number;
    shardIndex: number;
    shardCount: number;
    repo?: string;
    file?: string;
    revision?: string;
    hubUrl?: string;
}

export interface CachedModel {
    /** The first shard's URL. */
    id: string;
    name: string;
    url: string;
    repo?: string;
    file?: string;
    revision?: string;
    hubUrl?: string;
    /** Bytes, all shards. */
    size: number;
    complete: boolean;
    /** Every shard checked against the Hub's sha256. */
    verified: boolean;
    /** ms since the epoch. */
    lastUsed: number;
    shards: number;
    files: Array<{ id: string; name: string; size: number; complete: boolean; verified: boolean }>;
}

export interface StorageRoom { usage: number | undefined; quota: number | undefined; available: number }

/** What every chunk store provides (IdbStore, MemoryStore). */
export interface ChunkStore {
    getFile(id: string): Promise<FileRecord | undefined>;
    putFile(record: FileRecord): Promise<void>;
    updateFile(id: string, changes: Partial<FileRecord>): Promise<FileRecord | undefined>;
    listFiles(): Promise<FileRecord[]>;
    deleteFile(id: string): Promise<void>;
    putChunk(fileId: string, index: number, data: ArrayBuffer | ArrayBufferView): Promise<void>;
    getChunk(fileId: string, index: number): Promise<Uint8Array | undefined>;
    chunkIndices(fileId: string): Promise<number[]>;
    deleteChunks(fileId: string): Promise<void>;
    /** The file's chunks in order, one at a time. */
    readChunks(fileId: string, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
    estimate(): Promise<StorageRoom>;
    persist(): Promise<boolean>;
    listModels(): Promise<CachedModel[]>;
    deleteModel(id: string): Promise<void>;
    close(): void;
}

export declare const DB_NAME: 'hearth';
export declare const DB_VERSION: number;

export declare class IdbStore implements ChunkStore {
    /** Rejects with StoreBlockedError (code STORE_BLOCKED) when another tab blocks the open. */
    static open(options?: { name?: string; version?: number; quotaBytes?: number; indexedDB?: IDBFactory }): Promise<IdbStore>;
    readonly isOpen: boolean;
    getFile(id: string): Promise<FileRecord | undefined>;
    putFile(record: FileRecord): Promise<void>;
    updateFile(id: string, changes: Partial<FileRecord>): Promise<FileRecord | undefined>;
    listFiles(): Promise<FileRecord[]>;
    deleteFile(id: string): Promise<void>;
    /** Rejects with StorageQuotaError (code STORAGE_QUOTA) when the quota is full. */
    putChunk(fileId: string, index: number, data: ArrayBuffer | ArrayBufferView): Promise<void>;
    getChunk(fileId: string, index: number): Promise<Uint8Array | undefined>;
    chunkIndices(fileId: string): Promise<number[]>;
    deleteChunks(fileId: string): Promise<void>;
    readChunks(fileId: string, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
    estimate(): Promise<StorageRoom>;
    persist(): Promise<boolean>;
    listModels(): Promise<CachedModel[]>;
    deleteModel(id: string): Promise<void>;
    close(): void;
}

export declare function openDefaultStore(): Promise<IdbStore>;
export declare function listCachedModels(): Promise<CachedModel[]>;
export declare function deleteCachedModel(id: string): Promise<void>;
export declare function cacheUsage(): Promise<StorageRoom & { models: number; persisted: boolean }>;

// Types for js/model-cache.mjs: a whole model (every shard) in the chunk store.
import type { ChunkStore } from './store.d.mts';
import type { HubRef } from './hub.d.mts';
import type { DownloadOptions } from './download.d.mts';

export interface FetchedModel {
    id: string;
    name: string;
    size: number;
    verified: boolean;
    fromCache: boolean;
    files: Array<{ id: string; name: string; size: number; verified: boolean }>;
}

/** Errors: AbortError; DownloadError (code NOT_FOUND, HTTP_xxx, STALLED, NETWORK, FILE_CHANGED, CHECKSUM_MISMATCH, REDIRECT_REFUSED...); StorageQuotaError (STORAGE_QUOTA); StoreBlockedError (STORE_BLOCKED). */
export declare function fetchModel(source: HubRef | string, options: DownloadOptions & { store: ChunkStore; verify?: boolean }): Promise<FetchedModel>;
export declare function cachedModel(source: HubRef | string, options: { store: ChunkStore }): Promise<FetchedModel | null>;
export declare function readModelChunks(store: ChunkStore, model: Pick<FetchedModel, 'files'>, options?: { signal?: AbortSignal }):
    AsyncIterable<{ shard: number; shardCount: number; size: number; chunk: Uint8Array }>;
export declare function modelShards(source: HubRef | string): { id: string; name: string; hub: Required<HubRef> | null; shards: Array<{ url: string; name: string; shardIndex: number; shardCount: number }> };

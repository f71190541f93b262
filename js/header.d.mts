// Types for js/header.mjs: a model's header and memory estimate before download.
import type { ChunkStore } from './store.d.mts';
import type { HubRef, NetOptions } from './hub.d.mts';

export type Estimate = (header: Uint8Array, fileSize: number, nCtx: number) => Promise<any> | any;

export interface HeaderOptions extends NetOptions {
    nCtx?: number;
    /** Default: EngineCore.estimate from js/core.mjs. */
    estimate?: Estimate;
    /** For the storage room (default: navigator.storage.estimate()). */
    store?: ChunkStore;
    /** Default 4 GiB. */
    memoryLimit?: number;
    /** First read, default 1 MiB. */
    firstBytes?: number;
}

export interface HeaderInfo {
    /** The engine's estimate fields: architecture, name, parameters, type, memory {total, ...}, ... */
    [field: string]: unknown;
    /** The first shard's URL and size (the only one for an unsplit model). */
    url?: string;
    fileSize: number;
    shards: number;
    shardSizes?: number[];
    totalSize?: number;
    headerBytes: number;
    downloadBytes: number;
    storageAvailable: number | undefined;
    memoryLimit: number;
    fits: boolean;
    problems: Array<{ code: 'MEMORY_LIMIT' | 'STORAGE_QUOTA'; message: string }>;
    /** The problems' messages (naming both numbers), or null. */
    refusal: string | null;
}

export declare const FIRST_HEADER_BYTES: number;
export declare function readHeaderFromUrl(source: HubRef | string | URL | Blob, options?: HeaderOptions): Promise<HeaderInfo>;
export declare function readHeaderFromBlob(blob: Blob, options?: HeaderOptions): Promise<HeaderInfo>;
export declare function readHeaderWith(readRange: (start: number, end: number) => Promise<Uint8Array>, size: number,
    options?: { estimate?: Estimate; nCtx?: number; firstBytes?: number; signal?: AbortSignal; label?: string }): Promise<{ estimate: any; headerBytes: number }>;
export declare function readModelHeader(shards: Array<{ readRange: (start: number, end: number) => Promise<Uint8Array>; size: number; label?: string }>,
    options?: { estimate?: Estimate; nCtx?: number; firstBytes?: number; signal?: AbortSignal; label?: string }): Promise<{ estimate: any; headerBytes: number }>;
export declare function fitsCheck(o: { memoryBytes?: number; memoryLimit?: number; downloadBytes?: number; storageAvailable?: number }): { fits: boolean; problems: HeaderInfo['problems'] };
/** Throws a ModelTooLargeError (code MEMORY_LIMIT or STORAGE_QUOTA) when info does not fit. */
export declare function refuseIfTooLarge(info: HeaderInfo): void;

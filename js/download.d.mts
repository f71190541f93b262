// Types for js/download.mjs: one file's chunked, resumable download into a chunk store.
import type { ChunkStore, FileRecord } from './store.d.mts';
import type { HubRef, NetOptions } from './hub.d.mts';

export interface DownloadProgress {
    phase: 'download';
    loaded: number;
    total: number;
    /** Bytes per second over the last few seconds. */
    rate: number;
    /** Seconds left; undefined until a rate is known. */
    eta: number | undefined;
    file: string;
    /** Bytes that were already stored when this download started. */
    resumedFrom: number;
}

export interface DownloadOptions extends NetOptions {
    /** Default 16 MiB. */
    chunkSize?: number;
    /** Requests in flight, default 3. */
    concurrency?: number;
    retryMaxMs?: number;
    /** Least time between progress events, default 250 ms. */
    progressIntervalMs?: number;
    onProgress?: (progress: DownloadProgress) => void;
}

export declare const DOWNLOAD_DEFAULTS: Readonly<Required<Pick<DownloadOptions, 'chunkSize' | 'concurrency' | 'timeoutMs' | 'retries' | 'retryBaseMs' | 'retryMaxMs' | 'progressIntervalMs'>> & { maxRestarts: number }>;

export declare function downloadFile(options: DownloadOptions & {
    store: ChunkStore;
    url: string;
    id?: string;
    sha256?: string | null;
    meta?: Partial<FileRecord>;
    probed?: { size: number; etag: string | null };
    revalidate?: boolean;
}): Promise<FileRecord>;

// Types for js/hub.mjs: model sources, split GGUF shards, probing, the Hub's tree API.
export declare const DEFAULT_HUB: 'https://huggingface.co';
export declare const SHARD_PATTERN: RegExp;

export interface HubRef { repo: string; file: string; revision?: string; hubUrl?: string }
export interface UrlSource { kind: 'url'; url: string; name: string; hub: null | Required<HubRef> }
export interface BlobSource { kind: 'blob'; blob: Blob; name: string }
export type ShardSource = UrlSource & { shardIndex: number; shardCount: number };

export interface NetOptions {
    fetch?: typeof fetch;
    signal?: AbortSignal;
    /** A request that receives nothing for this long is cut (default 30000). */
    timeoutMs?: number;
    retries?: number;
    retryBaseMs?: number;
    /** Origins besides the URL's own (and the Hub's CDN for Hub URLs) that redirects may lead to. */
    allowedOrigins?: string[];
}

export declare function hubFileUrl(ref: HubRef): string;
export declare function resolveSource(source: HubRef | string | URL | Blob): UrlSource | BlobSource;
export declare function shardNames(name: string): string[];
export declare function expandShards(resolved: UrlSource): ShardSource[];
export declare function probeFile(url: string, options?: NetOptions): Promise<{ size: number; etag: string | null; finalUrl: string; acceptsRanges: boolean }>;

export interface TreeEntry { type: 'file' | 'directory'; path: string; size: number; oid: string; lfs?: { oid: string; size: number; pointerSize?: number } }
export interface GgufFile { path: string; size: number; sha256: string | null; lfs: TreeEntry['lfs'] | null; shard: { index: number; count: number } | null }
export interface TreeOptions extends NetOptions { hubUrl?: string; revision?: string; path?: string; recursive?: boolean }
export declare function listRepoTree(repo: string, options?: TreeOptions): Promise<TreeEntry[]>;
export declare function listGgufFiles(repo: string, options?: TreeOptions): Promise<GgufFile[]>;
export declare function lfsHashes(ref: { repo: string; revision?: string; hubUrl?: string }, paths: string[], options?: NetOptions): Promise<Map<string, string>>;

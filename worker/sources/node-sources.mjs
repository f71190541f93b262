// Model sources in Node: a file path or file: URL, an http(s) URL or Hub reference (streamed
// from the network, not cached: Node has no IndexedDB), or a Blob.
import { blobSource } from './blob-source.mjs';
import { nodeFileSource } from './node-file-source.mjs';
import { urlStreamSource } from './url-stream-source.mjs';

export async function openNodeSource(source) {
    if (typeof Blob !== 'undefined' && source instanceof Blob) return blobSource(source);
    if (typeof source === 'string' && !/^https?:\/\//i.test(source)) return nodeFileSource(source);
    return urlStreamSource(source);
}

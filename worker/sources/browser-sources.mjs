// Model sources in a browser worker: a File/Blob is read directly; a URL or Hub reference goes
// through the model cache.
import { blobSource } from './blob-source.mjs';
import { cachedUrlSource } from './cached-url-source.mjs';

export async function openBrowserSource(source) {
    if (typeof Blob !== 'undefined' && source instanceof Blob) return blobSource(source);
    return cachedUrlSource(source);
}

// A model at a URL (or on the Hub) streamed from the network straight into the engine, without
// a local copy: what Node uses (it has no IndexedDB). Its header is read with Range requests
// first, so a model that cannot fit is refused before its body is fetched.
import { readHeaderFromUrl } from '../../js/header.mjs';
import { resolveSource, expandShards, probeFile } from '../../js/hub.mjs';
import { timedFetch, statusError } from '../../js/http.mjs';

export function urlStreamSource(source) {
    const resolved = resolveSource(source);
    const urls = expandShards(resolved).map((s) => s.url);
    const self = {
        label: resolved.name,
        shards: null, // sizes known after inspect
        async inspect({ nCtx, estimate, signal }) {
            const info = await readHeaderFromUrl(source, { nCtx, estimate, signal });
            self.shards = [];
            for (const url of urls) {
                self.shards.push({ url, size: url === info.url ? info.fileSize : (await probeFile(url, { signal })).size });
            }
            return { ...info, downloadBytes: 0, storageAvailable: undefined }; // nothing is stored
        },
        async fetch() {},
        async *chunks({ signal } = {}) {
            for (let shard = 0; shard < self.shards.length; shard++) {
                const request = await timedFetch(self.shards[shard].url, { redirect: 'follow' }, { signal });
                try {
                    if (!request.response.ok) throw statusError(request.response, self.shards[shard].url);
                    for (;;) {
                        const { value, done } = await request.read();
                        if (done) break;
                        yield { shard, chunk: value, owned: true }; // a fetch body hands over each chunk
                    }
                } finally {
                    await request.cancel();
                }
            }
        },
    };
    return self;
}

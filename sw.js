// Hearth's service worker. It sits at the site root on purpose: its scope must cover web/, js/,
// worker/ and the wasm build, because Chromium matches a worker script against scopes by the
// worker's own URL, not by the page that starts it.
//
// Two jobs:
// 1. Offline: every same-origin GET goes to the network first and its answer is kept in the
//    cache, so after one visit the app shell, the JS and the wasm load with the network cut.
//    (Models are cached by the engine itself: .gguf files and Range requests pass through.)
// 2. Threads on hosts that cannot send headers: every response it serves carries
//    Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy, which makes the page
//    cross-origin isolated (SharedArrayBuffer, so the threaded build works).

const CACHE = 'hearth-app-v1';
const SHELL = [
    'web/', 'web/index.html', 'web/app.css', 'web/manifest.webmanifest', 'web/icon.svg', 'web/icon-192.png', 'web/icon-512.png',
    'web/boot.js', 'web/main.mjs', 'web/dom.mjs', 'web/format.mjs', 'web/quant.mjs', 'web/config.mjs',
    'web/errors.mjs', 'web/settings.mjs', 'web/conversations.mjs', 'web/chat-view.mjs',
    'web/chat-controller.mjs', 'web/download-view.mjs', 'web/model-meta-view.mjs',
    'web/cache-list-view.mjs', 'web/conversation-list-view.mjs', 'web/model-controller.mjs',
    'web/model-source.mjs', 'web/engine-host.mjs', 'web/sw-register.mjs', 'web/hearth-chat.mjs',
];

async function addToCache(urls) {
    const cache = await caches.open(CACHE);
    // One by one: a missing file must not keep the others out of the cache.
    await Promise.all(urls.map(async (url) => {
        try {
            const response = await fetch(url, { cache: 'no-cache' });
            if (response.ok && response.type === 'basic') await cache.put(url, response);
        } catch { /* offline or gone: the next visit fills it in */ }
    }));
}

self.addEventListener('install', (event) => {
    self.skipWaiting();
    event.waitUntil(addToCache(SHELL.map((path) => new URL(path, self.registration.scope).href)));
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// The page sends the URLs it loaded before this worker controlled it (its first visit).
self.addEventListener('message', (event) => {
    if (event.data?.type !== 'cache-urls' || !Array.isArray(event.data.urls)) return;
    const sameOrigin = event.data.urls.filter((url) => new URL(url).origin === self.location.origin && !/\.gguf$/i.test(url));
    event.waitUntil(addToCache(sameOrigin));
});

function withIsolationHeaders(response) {
    if (!response || response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect') return response;
    if (response.headers.get('Cross-Origin-Embedder-Policy')) return response;
    const headers = new Headers(response.headers);
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
    headers.set('Cross-Origin-Resource-Policy', 'same-origin');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function networkFirst(request) {
    const cache = await caches.open(CACHE);
    try {
        const response = await fetch(request);
        if (response.ok && response.type === 'basic' && response.status === 200) {
            await cache.put(request.url.split('#')[0], response.clone());
        }
        return withIsolationHeaders(response);
    } catch (error) {
        const navigation = request.mode === 'navigate';
        const cached = await cache.match(request, { ignoreSearch: navigation })
            ?? (navigation ? await cache.match(new URL('web/index.html', self.registration.scope).href) : undefined);
        if (cached) return withIsolationHeaders(cached);
        return new Response(`Offline, and ${new URL(request.url).pathname} is not cached.`, {
            status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        });
    }
}

self.addEventListener('fetch', (event) => {
    const { request } = event;
    if (request.method !== 'GET') return;
    const url = new URL(request.url);
    if (url.origin !== self.location.origin) return;
    if (request.headers.has('range') || /\.gguf$/i.test(url.pathname) || url.pathname.startsWith('/__')) return;
    event.respondWith(networkFirst(request));
});

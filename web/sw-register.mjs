// Registers the service worker (../sw.js: at the site root, so that its scope also covers the
// worker scripts and the wasm, which Chromium matches by their own URL). When the server sent no
// COOP/COEP headers, the service worker adds them; the page then reloads once to become
// cross-origin isolated. If that is impossible, the engine runs single-threaded.

const RELOAD_KEY = 'hearth.isolationReload';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function registerServiceWorker() {
    if (!('serviceWorker' in navigator)) return { isolated: globalThis.crossOriginIsolated === true };
    const swUrl = new URL('../sw.js', import.meta.url);
    const scope = new URL('../', import.meta.url);
    try {
        const registered = await Promise.race([navigator.serviceWorker.register(swUrl, { scope: scope.pathname }), sleep(5000)]);
        if (!registered) throw new Error('the registration did not complete');
    } catch (error) {
        console.warn('Service worker not registered; the app will not work offline.', error);
        return { isolated: globalThis.crossOriginIsolated === true };
    }
    if (!globalThis.crossOriginIsolated) {
        // A registration that never activates (blocked by policy or tooling) must not hold up the app.
        const active = await Promise.race([navigator.serviceWorker.ready.then(() => true), sleep(3000).then(() => false)]);
        if (!active) return { isolated: false };
        // Reload once: the service worker now controls the page and adds the headers.
        if (!sessionStorage.getItem(RELOAD_KEY)) {
            sessionStorage.setItem(RELOAD_KEY, '1');
            if (!navigator.serviceWorker.controller) {
                await Promise.race([
                    new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })),
                    sleep(3000),
                ]);
            }
            location.reload();
            return { reloading: true };
        }
    } else {
        sessionStorage.removeItem(RELOAD_KEY);
    }
    return { isolated: globalThis.crossOriginIsolated === true };
}

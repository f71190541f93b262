// How many threads the engine uses by default: the cores the browser reports, at most 4 (beyond
// that a small model gains little and the page's own work suffers). The single-thread build
// (pages without cross-origin isolation) always uses 1.
export const MAX_DEFAULT_THREADS = 4;

export function availableCores() {
    const n = globalThis.navigator?.hardwareConcurrency;
    if (Number.isInteger(n) && n > 0) return n;
    return 1;
}

export function defaultThreadCount() {
    return Math.max(1, Math.min(MAX_DEFAULT_THREADS, availableCores()));
}

// The one engine of the page, created on first use. The engine picks its build by itself: the
// threaded one when the page is cross-origin isolated (COOP/COEP from the server or from our
// service worker), else the single-threaded one.
import { createEngine } from '../js/index.mjs';

export function createEngineHost(options = {}) {
    let engine = null;
    return {
        get() {
            engine ??= createEngine(options);
            return engine;
        },
        /** The engine once created, else null (for calls that must not create one). */
        current: () => engine,
    };
}

export function describeRuntime(info) {
    const isolated = globalThis.crossOriginIsolated === true;
    if (info?.variant === 'mt' || info?.threads > 1) {
        return `Runs the threaded build on ${info.threads} thread${info.threads === 1 ? '' : 's'} (cross-origin isolated).`;
    }
    if (info) return `Runs single-threaded${isolated ? '' : ' (this page is not cross-origin isolated)'}.`;
    return isolated ? 'Cross-origin isolated: the threaded build will be used.'
        : 'Not cross-origin isolated: the single-threaded build will be used.';
}

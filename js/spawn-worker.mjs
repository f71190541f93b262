// Starts the engine worker and gives it one shape whatever the platform: a module Web Worker in
// browsers, a worker_threads Worker in Node (same host code, so the same behaviour).
// Returned: {post(message), terminate(), busy(flag)} and the callbacks given are called with
// every message and, once, with the error that killed the worker.
const isBrowserLike = () => typeof globalThis.Worker === 'function';

function browserWorker(url, { onMessage, onDeath }) {
    const worker = new Worker(url ?? new URL('../worker/hearth-worker.mjs', import.meta.url), {
        type: 'module',
        name: 'hearth-engine',
    });
    worker.addEventListener('message', (event) => onMessage(event.data));
    // An uncaught exception in the worker (or a module that fails to load) is reported here;
    // the worker's state is unknown afterwards, so it counts as dead.
    worker.addEventListener('error', (event) => {
        event.preventDefault?.();
        const where = event.filename ? ` (${event.filename}:${event.lineno})` : '';
        onDeath(new Error(`engine worker failed: ${event.message || 'the worker script did not load'}${where}`));
    });
    worker.addEventListener('messageerror', () => onDeath(new Error('engine worker sent a message that could not be read')));
    return {
        post: (message) => worker.postMessage(message),
        terminate: () => worker.terminate(),
        busy: () => {},
    };
}

async function nodeWorker(url, { onMessage, onDeath }) {
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(url ?? new URL('../worker/node-worker.mjs', import.meta.url));
    worker.on('message', onMessage);
    worker.on('error', (err) => onDeath(new Error(`engine worker failed: ${err?.message ?? err}`)));
    worker.on('messageerror', () => onDeath(new Error('engine worker sent a message that could not be read')));
    worker.on('exit', (code) => onDeath(new Error(`engine worker exited (code ${code})`)));
    worker.unref(); // an idle engine does not keep the process alive
    return {
        post: (message) => worker.postMessage(message),
        terminate: () => worker.terminate(),
        // While requests are pending the process must stay up to receive their answers.
        busy: (flag) => (flag ? worker.ref() : worker.unref()),
    };
}

export async function spawnWorker({ workerUrl, onMessage, onDeath }) {
    if (isBrowserLike()) return browserWorker(workerUrl, { onMessage, onDeath });
    return nodeWorker(workerUrl, { onMessage, onDeath });
}

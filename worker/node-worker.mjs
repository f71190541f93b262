// Node entry of the engine worker: a worker_threads Worker running the same host as browsers,
// so Node callers get the same queueing, abort and crash behaviour.
import { parentPort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { startWorkerHost } from './host.mjs';
import { serializeError } from './protocol.mjs';
import { MAX_DEFAULT_THREADS } from './threads.mjs';
import { openNodeSource } from './sources/node-sources.mjs';

const endpoint = {
    post: (message) => parentPort.postMessage(message),
    listen: (handler) => parentPort.on('message', handler),
};

process.on('unhandledRejection', (reason) => {
    endpoint.post({ type: 'fatal', error: serializeError(reason) });
});

startWorkerHost(endpoint, {
    name: 'node',
    cores: Math.max(1, Math.min(MAX_DEFAULT_THREADS, availableParallelism())),
    openSource: openNodeSource,
});

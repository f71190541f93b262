// Browser entry of the engine worker: new Worker(url, {type: 'module'}).
import { startWorkerHost } from './host.mjs';
import { serializeError } from './protocol.mjs';
import { defaultThreadCount } from './threads.mjs';
import { openBrowserSource } from './sources/browser-sources.mjs';

const endpoint = {
    post: (message) => self.postMessage(message),
    listen: (handler) => self.addEventListener('message', (event) => handler(event.data)),
};

// A promise nobody awaited means a bug in the worker: tell the page rather than leave it waiting.
self.addEventListener('unhandledrejection', (event) => {
    endpoint.post({ type: 'fatal', error: serializeError(event.reason) });
});

startWorkerHost(endpoint, {
    name: 'browser',
    cores: defaultThreadCount(),
    openSource: openBrowserSource,
});

// The page's side of the worker protocol (see worker/protocol.mjs): numbered requests, their
// progress/token events, and one promise each. If the worker dies every pending promise rejects
// and every later call fails at once: the page gets an error, never a hang.
import { spawnWorker } from './spawn-worker.mjs';
import { deserializeError } from '../worker/protocol.mjs';

export class WorkerClient {
    constructor({ workerUrl } = {}) {
        this.pending = new Map(); // id -> {resolve, reject, onEvent}
        this.nextId = 1;
        this.deadError = null;
        this.worker = null;
        this.ready = spawnWorker({
            workerUrl,
            onMessage: (msg) => this.onMessage(msg),
            onDeath: (err) => this.die(err),
        }).then((worker) => {
            this.worker = worker;
            if (this.deadError) worker.terminate(); // disposed while starting
            return worker;
        });
        this.ready.catch((err) => this.die(err));
    }

    // Sends a request; onEvent(message) sees its progress and token messages.
    request(type, payload = {}, { onEvent } = {}) {
        if (this.deadError) return { id: 0, promise: Promise.reject(this.deadError) };
        const id = this.nextId++;
        const promise = new Promise((resolve, reject) => {
            this.pending.set(id, { resolve, reject, onEvent });
        });
        this.ready.then((worker) => {
            if (this.deadError) return;
            worker.busy(true);
            try {
                worker.post({ ...payload, id, type });
            } catch (err) {
                // DataCloneError and the like: this request fails, the worker lives on.
                this.settle(id, (p) => p.reject(err));
            }
        }, () => {});
        return { id, promise };
    }

    abort(target) {
        if (this.deadError || !this.worker) {
            this.ready.then((w) => !this.deadError && w.post({ type: 'abort', target }), () => {});
            return;
        }
        this.worker.post({ type: 'abort', target });
    }

    onMessage(msg) {
        if (!msg || typeof msg !== 'object') return;
        if (msg.type === 'fatal') {
            this.die(new Error(`engine worker failed: ${deserializeError(msg.error).message}`));
            return;
        }
        const entry = this.pending.get(msg.id);
        if (!entry) return;
        if (msg.type === 'done') this.settle(msg.id, (p) => p.resolve(msg.value));
        else if (msg.type === 'error') this.settle(msg.id, (p) => p.reject(deserializeError(msg.error)));
        else entry.onEvent?.(msg);
    }

    settle(id, fn) {
        const entry = this.pending.get(id);
        if (!entry) return;
        this.pending.delete(id);
        if (this.pending.size === 0) this.worker?.busy(false);
        fn(entry);
    }

    die(error) {
        if (this.deadError) return;
        this.deadError = error;
        const entries = [...this.pending.values()];
        this.pending.clear();
        for (const entry of entries) entry.reject(error);
        try {
            this.worker?.terminate();
        } catch {
            // already gone
        }
    }

    terminate(reason = new Error('the engine was disposed')) {
        this.die(reason);
    }
}

// The worker's message loop: requests queue up and run one at a time; abort is handled as soon
// as it arrives, which the generation loop's per-token yield makes possible.
import { Session } from './session.mjs';
import { REQUEST_TYPES, serializeError } from './protocol.mjs';

// endpoint: {post(message), listen(handler)}; platform: see Session.
export function startWorkerHost(endpoint, platform) {
    const session = new Session(platform);
    const queue = [];
    let running = null;

    const handlers = {
        load: (msg, job) => session.load(msg, job),
        generate: (msg, job) => session.generate(msg, job),
        chat: (msg, job) => session.chat(msg, job),
        tokenize: (msg) => session.tokenize(msg),
        info: () => session.info(),
        unload: () => session.unload(),
    };

    function makeJob(msg) {
        const controller = new AbortController();
        return {
            msg,
            controller,
            signal: controller.signal,
            progress: (p) => endpoint.post({ id: msg.id, type: 'progress', ...p }),
            token: (t) => endpoint.post({ id: msg.id, type: 'token', token: t.token, text: t.text }),
        };
    }

    function abortError() {
        const err = new Error('aborted');
        err.name = 'AbortError';
        return err;
    }

    async function pump() {
        if (running) return;
        while (queue.length > 0) {
            const job = queue.shift();
            running = job;
            try {
                const value = await handlers[job.msg.type](job.msg, job);
                endpoint.post({ id: job.msg.id, type: 'done', value });
            } catch (err) {
                if (isTrap(err)) session.crashed();
                const reported = job.signal.aborted && job.msg.type === 'load' ? abortError() : err;
                endpoint.post({ id: job.msg.id, type: 'error', error: serializeError(reported) });
            } finally {
                running = null;
            }
        }
    }

    function abort(target) {
        for (const job of [running, ...queue]) {
            if (job && (target === undefined || job.msg.id === target)) job.controller.abort(abortError());
        }
    }

    endpoint.listen((msg) => {
        if (!msg || typeof msg !== 'object') return;
        if (msg.type === 'abort') {
            abort(msg.target);
            return;
        }
        if (!REQUEST_TYPES.includes(msg.type)) {
            endpoint.post({ id: msg.id, type: 'error', error: { name: 'TypeError', message: `unknown request ${msg.type}` } });
            return;
        }
        queue.push(makeJob(msg));
        pump();
    });
}

// A WebAssembly trap (out of bounds, unreachable, emscripten abort) leaves the engine's memory
// in an unknown state.
function isTrap(err) {
    return (typeof WebAssembly !== 'undefined' && err instanceof WebAssembly.RuntimeError) ||
        err?.name === 'RuntimeError';
}

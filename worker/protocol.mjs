// Message shapes between the page (js/worker-client.mjs) and the worker (worker/host.mjs).
//
// page -> worker   {id, type: 'load' | 'generate' | 'chat' | 'tokenize' | 'info' | 'unload', ...payload}
//                  {type: 'abort', target?: id}   target omitted: every running and queued request
// worker -> page   {id, type: 'progress', phase: 'download' | 'load', loaded, total}
//                  {id, type: 'token', token, text}
//                  {id, type: 'done', value}
//                  {id, type: 'error', error: {name, message, code?}}
//                  {type: 'fatal', error}     the worker is broken; the page rejects everything
//
// Requests run one at a time in arrival order (a second generate waits for the first); abort
// messages are handled at once, between two tokens of the running generation.
export const REQUEST_TYPES = ['load', 'generate', 'chat', 'tokenize', 'info', 'unload'];

export function serializeError(err) {
    if (err && typeof err === 'object') {
        return {
            name: String(err.name ?? 'Error'),
            message: String(err.message ?? err),
            ...(err.code !== undefined ? { code: err.code } : {}),
        };
    }
    return { name: 'Error', message: String(err) };
}

export function deserializeError(data) {
    const err = new Error(data?.message ?? 'unknown worker error');
    err.name = data?.name ?? 'Error';
    if (data?.code !== undefined) err.code = data.code;
    return err;
}

// Hearth's public API. createEngine() starts a worker that owns the WebAssembly engine (a module
// Web Worker in browsers, a worker_threads Worker in Node) and returns the engine that talks to it.
//
//   const engine = createEngine();
//   await engine.load({ repo: 'owner/name', file: 'model-Q4_K_M.gguf' }, { onProgress });
//   for await (const { text } of engine.generate('Once upon a time', { maxTokens: 64 })) show(text);
//   const reply = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }] });
import { Engine } from './engine.mjs';

export { Engine, GenerationStream } from './engine.mjs';
export { listCachedModels, deleteCachedModel, cacheUsage } from './store.mjs';

export function createEngine(options = {}) {
    return new Engine(options);
}

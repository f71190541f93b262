// Prepended to the ES module Emscripten emits (--extern-pre-js). Under Node, Emscripten 3.1.6's
// ES6 output still calls require() (fs, path, worker_threads) and reads __dirname, neither of which
// an ES module has; browsers never reach that code, so there both stay undefined.
var require, __dirname;
if (typeof process === 'object' && typeof process.versions === 'object' && typeof process.versions.node === 'string') {
  const { createRequire } = await import('node:module');
  require = createRequire(import.meta.url);
  __dirname = require('node:path').dirname(require('node:url').fileURLToPath(import.meta.url));
}

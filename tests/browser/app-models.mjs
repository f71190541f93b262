// The repositories the app's tests use on the local Hub-protocol server (a folder of the models
// directory is a repository named local/<folder>).
export const LOCAL_REPO = 'local/stories260K';
export const LOCAL_FILE = 'stories260K-Q8_0.gguf';
export const HOSTILE_REPO = 'local/hostile';
export const HOSTILE_FILE = 'hostile-Q8_0.gguf';
export const HOSTILE_NAME = '<img src=x onerror=window.__pwned=1>';

export const BIG_REPO = 'local/synthetic-big';
export const BIG_FILE = 'synth-big-Q8_0.gguf';

/** A 37 MB random-weight llama from the native tool (`hearth synth`), in a temporary folder. */
export async function makeBigModel() {
    const { execFile } = await import('node:child_process');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { ROOT } = await import('./app-harness.mjs');
    const dir = await mkdtemp(path.join(tmpdir(), 'hearth-app-big-'));
    const file = path.join(dir, BIG_FILE);
    await new Promise((resolve, reject) => execFile(path.join(ROOT, 'build/hearth'), ['synth', '--arch', 'llama', '--dim', '512',
        '--layers', '10', '--ffn', '1536', '--heads', '8', '--kv-heads', '8', '--vocab', '512', '--type', 'Q8_0', '-o', file],
    { timeout: 60000 }, (error) => (error ? reject(error) : resolve())));
    return { path: file, remove: () => rm(dir, { recursive: true, force: true }) };
}

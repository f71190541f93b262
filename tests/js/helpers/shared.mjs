// Where the tests find things: the shared read-only test data (../shared or $SHARED_DIR), the
// native build's CLI, and a model file loaded through the public JavaScript API.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { EngineCore } from '../../../js/core.mjs';
import { loadModelFile } from '../../../js/node-file.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SHARED = process.env.SHARED_DIR ? resolve(process.env.SHARED_DIR) : resolve(REPO, '../shared');
export const NATIVE_CLI = process.env.HEARTH_CLI ?? join(REPO, 'build/hearth');
export const JS_CLI = join(REPO, 'js/cli.mjs');

export const sharedPath = (rel) => join(SHARED, rel);
export const STORIES_F32 = sharedPath('models/stories260K/stories260K-f32.gguf');

export function ggufFiles(dirRel) {
    return readdirSync(sharedPath(dirRel)).filter((f) => f.endsWith('.gguf')).sort();
}

export function readJson(rel) {
    return JSON.parse(readFileSync(sharedPath(rel), 'utf8'));
}

export const nativeCliAvailable = () => existsSync(NATIVE_CLI);

export async function createLoaded(path, options = {}) {
    const core = await EngineCore.create(options);
    try {
        await loadModelFile(core, path);
    } catch (err) {
        core.dispose();
        throw err;
    }
    return core;
}

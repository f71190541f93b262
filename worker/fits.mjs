// Refuses a model before any byte is downloaded when it cannot run here: a 32-bit WebAssembly
// engine addresses at most 4 GiB, and the download must fit the storage the browser grants.
import { formatBytes } from '../js/delivery-errors.mjs';

export const WASM_MEMORY_LIMIT = 4 * 1024 ** 3;

function refusal(code, message) {
    const err = new Error(message);
    err.name = 'ModelTooLargeError';
    err.code = code;
    return err;
}

// memoryBytes: the header estimate (weights + KV cache + scratch); downloadBytes: what still has
// to be stored; storageAvailable: quota minus usage, undefined where unknown (Node, no Storage API).
export function checkModelFits({ memoryBytes, memoryLimit = WASM_MEMORY_LIMIT, downloadBytes = 0, storageAvailable }) {
    if (Number.isFinite(memoryBytes) && memoryBytes > memoryLimit) {
        throw refusal('MEMORY_LIMIT',
            `the model needs ${formatBytes(memoryBytes)} of memory, more than the ${formatBytes(memoryLimit)} ` +
            'this engine can use');
    }
    if (Number.isFinite(storageAvailable) && downloadBytes > storageAvailable) {
        throw refusal('STORAGE_QUOTA',
            `the model download needs ${formatBytes(downloadBytes)} of storage, more than the ` +
            `${formatBytes(storageAvailable)} the browser's storage quota has left`);
    }
}

// The files of the Hub server's repositories: bytes on disk or in memory, with the sizes, sha256
// and git blob ids the Hub reports, read back in pieces.
import { createHash } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';

export const PIECE = 64 * 1024; // largest piece a read yields
const MAX_DIR_DEPTH = 8;
// Stored in git LFS on the Hub (as are files over 10 MiB), which changes the ids the API reports.
const LFS_EXTENSIONS = /\.(gguf|bin|safetensors|pt|onnx|zip|tar|gz)$/i;

function sha256Hex(data) {
    return createHash('sha256').update(data).digest('hex');
}

async function sha256OfFile(path) {
    const hash = createHash('sha256');
    for await (const piece of createReadStream(path)) hash.update(piece);
    return hash.digest('hex');
}

export async function listDir(root, dir = '', depth = 0) {
    if (depth > MAX_DIR_DEPTH) return [];
    const out = [];
    const entries = await readdir(join(root, dir), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.name.startsWith('.')) continue;
        const rel = dir ? `${dir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) out.push(...(await listDir(root, rel, depth + 1)));
        else if (entry.isFile()) out.push(rel);
    }
    return out;
}

/** One file of a repository: bytes on disk or in memory, hashed on first use. */
export class RepoFile {
    constructor(path, source) {
        this.path = path;
        this.source = source; // {file: absolute path} | {bytes: Uint8Array}
        this.size = source.bytes ? source.bytes.byteLength : undefined;
        this.sha = source.bytes ? sha256Hex(source.bytes) : undefined;
        this.gitOid = undefined;
    }

    async info() {
        if (this.size === undefined) this.size = (await stat(this.source.file)).size;
        if (this.sha === undefined) this.sha = await sha256OfFile(this.source.file);
        if (this.gitOid === undefined) {
            // The git blob id: of the LFS pointer for LFS files, of the content for the others.
            const blob = this.isLfs
                ? new TextEncoder().encode(`version https://git-lfs.github.com/spec/v1\noid sha256:${this.sha}\nsize ${this.size}\n`)
                : this.source.bytes ?? (await readFile(this.source.file));
            this.gitOid = createHash('sha1').update(`blob ${blob.byteLength}\0`).update(blob).digest('hex');
        }
        return this;
    }

    get isLfs() {
        return LFS_EXTENSIONS.test(this.path) || this.size > 10 * 1024 * 1024;
    }

    /** Yields the bytes start..end (inclusive) in pieces of at most PIECE. */
    async *read(start, end) {
        if (this.source.bytes) {
            for (let at = start; at <= end; at += PIECE) {
                yield this.source.bytes.subarray(at, Math.min(end + 1, at + PIECE));
            }
            return;
        }
        const fh = await open(this.source.file, 'r');
        try {
            for (let at = start; at <= end;) {
                const buf = Buffer.allocUnsafe(Math.min(PIECE, end + 1 - at));
                const { bytesRead } = await fh.read(buf, 0, buf.length, at);
                if (bytesRead === 0) return;
                at += bytesRead;
                yield buf.subarray(0, bytesRead);
            }
        } finally {
            await fh.close();
        }
    }
}

/** Repositories local/<folder> for each subfolder of dir. */
export async function reposFromModelsDir(dir) {
    const repos = {};
    for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && !entry.name.startsWith('.')) repos[`local/${entry.name}`] = resolvePath(dir, entry.name);
    }
    return repos;
}

// A local server that speaks the Hugging Face Hub's download protocol for folders of models, with
// switchable faults, so the model-delivery code can be tested without internet:
//
//   GET|HEAD /{owner}/{repo}/resolve/{rev}/{path}   302 to /cdn/{sha256}/{path}, with X-Linked-Size,
//                                                    X-Linked-Etag, X-Repo-Commit (like the Hub)
//   GET|HEAD /cdn/{sha256}/{path}                    the bytes: Range (206 / 416), ETag, Accept-Ranges
//   GET /api/models/{owner}/{repo}/tree/{rev}[/{dir}][?recursive=1][&cursor=N]   file list, lfs {oid, size}
//   GET /api/models/{owner}/{repo}[/revision/{rev}]  {id, sha, siblings}
//   POST /__control {reset, faults, addFaults, changeEtag, clearLog}   GET /__control, GET /__log
//
// Every answer carries CORS headers (any origin; Content-Range, ETag, X-Linked-* exposed) and
// Cross-Origin-Resource-Policy: cross-origin, so a cross-origin-isolated page can fetch from it.
//
// Faults (a list; each applies to the requests it matches, counted from when it was installed):
//   {type: 'status', status: 500}            answer with that status instead
//   {type: 'drop', afterBytes: N}            send N bytes of the body, then cut the connection
//   {type: 'stall'}                          accept the request and never answer
//   {type: 'down'}                           close the connection without any answer
//   {type: 'throttle', bytesPerSec: B}       send the body at B bytes/s
//   {type: 'ignoreRange'}                    answer 200 with the whole file
//   {type: 'contentLength', delta: D}        announce Content-Length + D (then close the connection)
// Matching: on: 'cdn' (default) | 'resolve' | 'tree' | 'any'; path: substring of the path;
// nth: k or [k, ...] (1-based among the matching requests), from: k (k and later); none: all.
//
// Run standalone: tests/server/hub-cli.mjs. Repository files: hub-repo-files.mjs; the JSON API's
// answers: hub-api.mjs; Range parsing and socket writes: hub-http.mjs; what a test can learn from
// the request log: hub-request-log.mjs.
import http from 'node:http';
import { join } from 'node:path';
import { PIECE, RepoFile, listDir } from './hub-repo-files.mjs';
import { FAKE_COMMIT, modelInfo, treeEntries, treePage } from './hub-api.mjs';
import { decodePath, parseRange, writeAll } from './hub-http.mjs';

const EXPOSED = 'Content-Range, Content-Length, ETag, X-Linked-Size, X-Linked-Etag, X-Repo-Commit, Accept-Ranges, Link, X-Error-Code, X-Error-Message';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function faultMatches(fault, kind, path) {
    const on = fault.on ?? 'cdn';
    if (on !== 'any' && on !== kind) return false;
    if (fault.path && !path.includes(fault.path)) return false;
    return true;
}

function faultSelects(fault, count) {
    if (fault.nth !== undefined) return Array.isArray(fault.nth) ? fault.nth.includes(count) : fault.nth === count;
    if (fault.from !== undefined) return count >= fault.from;
    return true;
}

export class HubServer {
    /**
     * @param {object} [options]
     * @param {Record<string, string | {files: Record<string, string | Uint8Array>}>} [options.repos]
     *   'owner/name' → a folder (every file below it) or {files: {'path/in/repo': absolute path | bytes}}
     * @param {object[]} [options.faults] faults active from the start
     * @param {number} [options.treePageSize] entries per tree API page (the Hub uses 1000); more pages via Link
     */
    constructor({ repos = {}, faults = [], treePageSize = 1000 } = {}) {
        this.repoConfig = repos;
        this.repos = null; // Map name → Map path → RepoFile, built on first use
        this.bySha = new Map(); // sha256 → RepoFile, for the CDN paths
        this.treePageSize = treePageSize;
        this.log = [];
        this.sockets = new Set();
        this.etagVersion = new Map(); // path (or '*') → version
        this.setFaults(faults);
        this.server = http.createServer((req, res) => {
            this.handle(req, res).catch((err) => {
                if (!res.headersSent) this.sendJson(res, 500, { error: String(err?.message ?? err) });
                else res.destroy();
            });
        });
        this.server.on('connection', (socket) => {
            this.sockets.add(socket);
            socket.on('close', () => this.sockets.delete(socket));
        });
    }

    async listen({ port = 0, host = '127.0.0.1' } = {}) {
        await new Promise((resolveListen, reject) => {
            this.server.once('error', reject);
            this.server.listen(port, host, () => {
                this.server.off('error', reject);
                resolveListen();
            });
        });
        const address = this.server.address();
        this.url = `http://${host}:${address.port}`;
        this.port = address.port;
        return this;
    }

    /** Stops listening and cuts every open connection (stalled ones included). */
    async close() {
        const closed = new Promise((r) => this.server.close(() => r()));
        for (const socket of this.sockets) socket.destroy();
        await closed;
    }

    setFaults(faults) {
        this.faults = (faults ?? []).map((f) => ({ ...f, seen: 0 }));
    }

    addFaults(faults) {
        this.faults.push(...faults.map((f) => ({ ...f, seen: 0 })));
    }

    /** Makes the ETag of path (or of every file) differ from before, as if the file changed. */
    changeEtag(path = '*') {
        this.etagVersion.set(path, (this.etagVersion.get(path) ?? 0) + 1);
    }

    reset() {
        this.setFaults([]);
        this.etagVersion.clear();
    }

    clearLog() {
        this.log = [];
    }

    async loadRepos() {
        if (this.repos) return this.repos;
        const repos = new Map();
        for (const [name, config] of Object.entries(this.repoConfig)) {
            const files = new Map();
            if (typeof config === 'string') {
                for (const rel of await listDir(config)) files.set(rel, new RepoFile(rel, { file: join(config, rel) }));
            } else {
                for (const [rel, src] of Object.entries(config.files ?? {})) {
                    files.set(rel, new RepoFile(rel, typeof src === 'string' ? { file: src } : { bytes: src }));
                }
            }
            repos.set(name, files);
        }
        this.repos = repos;
        return repos;
    }

    etagOf(file) {
        const version = (this.etagVersion.get('*') ?? 0) + (this.etagVersion.get(file.path) ?? 0);
        return version ? `"${file.sha}-v${version}"` : `"${file.sha}"`;
    }

    /** The faults that apply to this request, counting it for each matching one. */
    faultsFor(kind, path) {
        const active = [];
        for (const fault of this.faults) {
            if (!faultMatches(fault, kind, path)) continue;
            fault.seen += 1;
            if (faultSelects(fault, fault.seen)) active.push(fault);
        }
        return active;
    }

    baseHeaders() {
        return {
            'Access-Control-Allow-Origin': '*',
            'Access-Control-Expose-Headers': EXPOSED,
            'Cross-Origin-Resource-Policy': 'cross-origin',
            'Cache-Control': 'no-store',
        };
    }

    sendJson(res, status, body, extra = {}) {
        const text = JSON.stringify(body);
        res.writeHead(status, {
            ...this.baseHeaders(),
            'Content-Type': 'application/json; charset=utf-8',
            'Content-Length': Buffer.byteLength(text),
            ...extra,
        });
        res.end(res.req.method === 'HEAD' ? undefined : text);
    }

    async handle(req, res) {
        const url = new URL(req.url, 'http://localhost');
        const path = url.pathname;
        const entry = {
            seq: this.log.length + 1,
            time: Date.now(),
            method: req.method,
            path: req.url,
            kind: 'other',
            range: req.headers.range ?? null,
            status: null,
            bytesSent: 0,
            faults: [],
            done: false,
        };
        res.req = req;
        if (!path.startsWith('/__')) this.log.push(entry);
        res.on('close', () => {
            entry.done = true;
            entry.complete = res.writableFinished;
        });

        if (req.method === 'OPTIONS') {
            res.writeHead(204, {
                ...this.baseHeaders(),
                'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
                'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'Range, If-Range, Content-Type',
                'Access-Control-Max-Age': '600',
            });
            entry.status = 204;
            res.end();
            return;
        }
        if (path === '/__control') return this.handleControl(req, res);
        if (path === '/__log') return this.sendJson(res, 200, this.log);

        let m;
        if ((m = /^\/cdn\/([0-9a-f]{64})\/(.+)$/.exec(path))) {
            entry.kind = 'cdn';
            return this.serveCdn(req, res, entry, m[1]);
        }
        if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path))) {
            entry.kind = 'tree';
            if (await this.applyEarlyFaults(req, res, entry, 'tree', path)) return;
            return this.serveTree(req, res, entry, decodeURIComponent(m[1]), m[3] ? decodePath(m[3]) : '', url);
        }
        if ((m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(path))) {
            entry.kind = 'api';
            return this.serveModelInfo(res, entry, decodeURIComponent(m[1]));
        }
        if ((m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path))) {
            entry.kind = 'resolve';
            if (await this.applyEarlyFaults(req, res, entry, 'resolve', path)) return;
            return this.serveResolve(req, res, entry, decodeURIComponent(m[1]), decodePath(m[3]));
        }
        entry.status = 404;
        return this.sendJson(res, 404, { error: 'Not found' });
    }

    async handleControl(req, res) {
        if (req.method === 'GET') {
            return this.sendJson(res, 200, { faults: this.faults, etagVersion: Object.fromEntries(this.etagVersion) });
        }
        if (req.method !== 'POST') return this.sendJson(res, 405, { error: 'POST or GET' });
        let text = '';
        for await (const piece of req) {
            text += piece;
            if (text.length > 1 << 20) return this.sendJson(res, 413, { error: 'too long' });
        }
        let body;
        try {
            body = text ? JSON.parse(text) : {};
        } catch {
            return this.sendJson(res, 400, { error: 'body must be JSON' });
        }
        if (body.reset) this.reset();
        if (body.clearLog) this.clearLog();
        if (body.faults) this.setFaults(body.faults);
        if (body.addFaults) this.addFaults(body.addFaults);
        if (body.changeEtag) this.changeEtag(typeof body.changeEtag === 'string' ? body.changeEtag : '*');
        return this.sendJson(res, 200, { ok: true, faults: this.faults });
    }

    /** Faults that answer before any file is looked at; true when the request is handled. */
    async applyEarlyFaults(req, res, entry, kind, path) {
        const faults = this.faultsFor(kind, path);
        entry.faults = faults.map((f) => f.type);
        return this.answerFault(res, entry, faults);
    }

    answerFault(res, entry, faults) {
        if (faults.some((f) => f.type === 'down')) {
            entry.status = 0;
            (res.socket ?? res.req.socket)?.destroy();
            return true;
        }
        if (faults.some((f) => f.type === 'stall')) {
            entry.status = 0; // never answered; close() cuts it
            return true;
        }
        const status = faults.find((f) => f.type === 'status');
        if (status) {
            entry.status = status.status ?? 500;
            this.sendJson(res, entry.status, { error: `injected ${entry.status}` });
            return true;
        }
        return false;
    }

    async findFile(repoName, path) {
        const repos = await this.loadRepos();
        const repo = repos.get(repoName);
        if (!repo) return { error: 'RepoNotFound' };
        const file = repo.get(path);
        if (!file) return { error: 'EntryNotFound' };
        return { file: await file.info() };
    }

    async serveResolve(req, res, entry, repoName, path) {
        const { file, error } = await this.findFile(repoName, path);
        if (error) {
            entry.status = 404;
            return this.sendJson(res, 404, { error: `${error}: ${repoName}/${path}` }, { 'X-Error-Code': error });
        }
        const location = `/cdn/${file.sha}/${path.split('/').map(encodeURIComponent).join('/')}`;
        entry.status = 302;
        res.writeHead(302, {
            ...this.baseHeaders(),
            Location: location,
            ETag: this.etagOf(file),
            'X-Linked-Size': String(file.size),
            'X-Linked-Etag': this.etagOf(file),
            'X-Repo-Commit': FAKE_COMMIT,
            'Content-Length': '0',
        });
        res.end();
    }

    async serveCdn(req, res, entry, sha) {
        const repos = await this.loadRepos();
        if (!this.bySha.has(sha)) {
            // Files are hashed on first use: index every one once, then look up.
            for (const files of repos.values()) for (const f of files.values()) this.bySha.set((await f.info()).sha, f);
        }
        const file = this.bySha.get(sha) ?? null;
        const faults = this.faultsFor('cdn', entry.path);
        entry.faults = faults.map((f) => f.type);
        if (this.answerFault(res, entry, faults)) return;
        if (!file) {
            entry.status = 404;
            return this.sendJson(res, 404, { error: 'no such object' });
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
            entry.status = 405;
            return this.sendJson(res, 405, { error: 'GET or HEAD' });
        }
        const headers = {
            ...this.baseHeaders(),
            'Accept-Ranges': 'bytes',
            'Content-Type': 'application/octet-stream',
            ETag: this.etagOf(file),
            'Last-Modified': new Date(0).toUTCString(),
        };
        const ignoreRange = faults.some((f) => f.type === 'ignoreRange');
        const range = ignoreRange ? null : parseRange(req.headers.range, file.size);
        if (range === 'unsatisfiable') {
            entry.status = 416;
            res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}`, 'Content-Length': '0' });
            res.end();
            return;
        }
        const start = range ? range.start : 0;
        const end = range ? range.end : file.size - 1;
        const length = end - start + 1;
        const lengthFault = faults.find((f) => f.type === 'contentLength');
        const announced = length + (lengthFault ? lengthFault.delta ?? 100 : 0);
        entry.status = range ? 206 : 200;
        res.writeHead(entry.status, {
            ...headers,
            'Content-Length': String(Math.max(0, announced)),
            ...(range ? { 'Content-Range': `bytes ${start}-${end}/${file.size}` } : {}),
        });
        if (req.method === 'HEAD') {
            res.end();
            return;
        }
        const drop = faults.find((f) => f.type === 'drop');
        const throttle = faults.find((f) => f.type === 'throttle');
        await this.pump(res, entry, file, start, end, {
            dropAfter: drop ? drop.afterBytes ?? 0 : Infinity,
            bytesPerSec: throttle ? throttle.bytesPerSec : Infinity,
        });
        if (lengthFault) {
            // The framing is now wrong for this connection: end it after what was sent.
            res.end();
            res.socket?.destroySoon?.();
            setTimeout(() => (res.socket ?? res.req.socket)?.destroy(), 50).unref();
        }
    }

    /** Writes the bytes with backpressure, throttling and a possible cut. */
    async pump(res, entry, file, start, end, { dropAfter, bytesPerSec }) {
        const began = Date.now();
        const pieceLimit = Number.isFinite(bytesPerSec) ? Math.max(1024, Math.min(PIECE, Math.floor(bytesPerSec / 20))) : PIECE;
        for (let at = start; at <= end; at += pieceLimit) {
            const last = Math.min(end, at + pieceLimit - 1);
            for await (let piece of file.read(at, last)) {
                if (res.destroyed) return;
                if (entry.bytesSent + piece.length > dropAfter) {
                    piece = piece.subarray(0, dropAfter - entry.bytesSent);
                    if (piece.length) await writeAll(res, piece);
                    entry.bytesSent += piece.length;
                    entry.dropped = true;
                    await sleep(20); // let the bytes leave before the cut
                    (res.socket ?? res.req.socket)?.destroy();
                    return;
                }
                if (!(await writeAll(res, piece))) return;
                entry.bytesSent += piece.length;
            }
            if (Number.isFinite(bytesPerSec)) {
                const due = (entry.bytesSent / bytesPerSec) * 1000 - (Date.now() - began);
                if (due > 0) await sleep(due);
            }
        }
        if (!res.destroyed) res.end();
    }

    async serveTree(req, res, entry, repoName, dir, url) {
        const repo = (await this.loadRepos()).get(repoName);
        if (!repo) {
            entry.status = 404;
            return this.sendJson(res, 404, { error: `Repository not found: ${repoName}` }, { 'X-Error-Code': 'RepoNotFound' });
        }
        const entries = await treeEntries(repo, dir, ['1', 'true'].includes(url.searchParams.get('recursive') ?? ''));
        if (!entries) {
            entry.status = 404;
            return this.sendJson(res, 404, { error: `Entry not found: ${dir}` }, { 'X-Error-Code': 'EntryNotFound' });
        }
        const { page, link } = treePage(entries, url, this.url, this.treePageSize);
        entry.status = 200;
        return this.sendJson(res, 200, page, link ? { Link: link } : {});
    }

    async serveModelInfo(res, entry, repoName) {
        const repo = (await this.loadRepos()).get(repoName);
        if (!repo) {
            entry.status = 404;
            return this.sendJson(res, 404, { error: `Repository not found: ${repoName}` });
        }
        entry.status = 200;
        return this.sendJson(res, 200, modelInfo(repoName, repo));
    }
}

// Kept importable from here, where the tests have always found them.
export { servedRanges, duplicateBytes } from './hub-request-log.mjs';
export { reposFromModelsDir } from './hub-repo-files.mjs';
export { parseRange } from './hub-http.mjs';

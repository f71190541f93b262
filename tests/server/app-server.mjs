// A static file server for the app, the demo and the browser tests: every response is
// cross-origin isolated (COOP same-origin + COEP require-corp), so SharedArrayBuffer and the
// threaded wasm build work, and modules/wasm get the MIME types browsers insist on.
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

export const MIME_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.htm': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.cjs': 'text/javascript; charset=utf-8',
    '.json': 'application/json; charset=utf-8',
    '.webmanifest': 'application/manifest+json; charset=utf-8',
    '.map': 'application/json; charset=utf-8',
    '.wasm': 'application/wasm',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.ico': 'image/x-icon',
    '.txt': 'text/plain; charset=utf-8',
    '.md': 'text/plain; charset=utf-8',
    '.ts': 'text/plain; charset=utf-8',
    '.gguf': 'application/octet-stream',
};

const ISOLATION = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * @param {{root: string, headers?: Record<string, string>}} options root: the folder served at /
 * @returns {{server: http.Server, url?: string, listen(o?: {port?: number, host?: string}): Promise<any>, close(): Promise<void>}}
 */
export function createAppServer({ root, headers = {} }) {
    const base = resolve(root);
    const sockets = new Set();

    async function handle(req, res) {
        const send = (status, text, extra = {}) => {
            res.writeHead(status, { ...ISOLATION, 'Content-Type': 'text/plain; charset=utf-8', ...headers, ...extra });
            res.end(req.method === 'HEAD' ? undefined : text);
        };
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'GET or HEAD only');
        let pathname;
        try {
            pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
        } catch {
            return send(400, 'bad URL');
        }
        if (pathname.includes('\0')) return send(400, 'bad URL');
        let path = resolve(join(base, pathname));
        if (path !== base && !path.startsWith(base + sep)) return send(403, 'outside the served folder');
        let info;
        try {
            info = await stat(path);
            if (info.isDirectory()) {
                if (!pathname.endsWith('/')) return send(301, '', { Location: `${pathname}/` });
                path = join(path, 'index.html');
                info = await stat(path);
            }
        } catch {
            return send(404, `not found: ${pathname}`);
        }
        if (!info.isFile()) return send(404, `not found: ${pathname}`);
        res.writeHead(200, {
            ...ISOLATION,
            'Content-Type': MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
            'Content-Length': String(info.size),
            'Cache-Control': 'no-cache',
            ...headers,
        });
        if (req.method === 'HEAD') return res.end();
        const stream = createReadStream(path);
        stream.on('error', () => res.destroy());
        res.on('close', () => stream.destroy());
        stream.pipe(res);
    }

    const server = http.createServer((req, res) => {
        handle(req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
    });
    const app = {
        server,
        url: undefined,
        port: undefined,
        async listen({ port = 0, host = '127.0.0.1' } = {}) {
            await new Promise((ok, fail) => {
                server.once('error', fail);
                server.listen(port, host, () => {
                    server.off('error', fail);
                    ok();
                });
            });
            app.port = server.address().port;
            app.url = `http://${host}:${app.port}`;
            return app;
        },
        async close() {
            const closed = new Promise((r) => server.close(() => r()));
            for (const socket of sockets) socket.destroy();
            await closed;
        },
    };
    return app;
}

// HTTP helpers of hub-server.mjs: Range parsing, URL path decoding, writes that wait for the socket.

/** Parses a single "bytes=a-b" range against size: {start, end} | 'unsatisfiable' | null (none or unsupported). */
export function parseRange(header, size) {
    if (!header) return null;
    const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
    if (!m || (m[1] === '' && m[2] === '')) return null;
    let start;
    let end;
    if (m[1] === '') {
        const suffix = Number(m[2]);
        if (suffix === 0) return 'unsatisfiable';
        start = Math.max(0, size - suffix);
        end = size - 1;
    } else {
        start = Number(m[1]);
        end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
        if (m[2] !== '' && Number(m[2]) < start) return null;
    }
    if (start >= size) return 'unsatisfiable';
    return { start, end };
}

export function decodePath(path) {
    return path.split('/').map(decodeURIComponent).join('/');
}

/** Writes a piece, waiting for the socket to drain; false when the connection closed first. */
export function writeAll(res, piece) {
    if (res.destroyed) return Promise.resolve(false);
    if (res.write(piece)) return Promise.resolve(true);
    return new Promise((r) => {
        const done = (ok) => {
            res.off('drain', onDrain);
            res.off('close', onClose);
            r(ok);
        };
        const onDrain = () => done(true);
        const onClose = () => done(false);
        res.on('drain', onDrain);
        res.on('close', onClose);
    });
}

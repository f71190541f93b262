// What a test can learn from the Hub server's request log (hub.log): which byte ranges of a file
// were served, and how many bytes were sent more than once (a resumed download should send none).

/** Byte ranges served for one path, from a request log: [{start, end, bytes}]. */
export function servedRanges(log, pathPart) {
    const out = [];
    for (const e of log) {
        if (e.kind !== 'cdn' || e.method !== 'GET' || !e.path.includes(pathPart) || !e.bytesSent) continue;
        const m = /bytes=(\d+)-/.exec(e.range ?? '');
        const start = m && (e.status === 206) ? Number(m[1]) : 0;
        out.push({ start, end: start + e.bytesSent - 1, bytes: e.bytesSent, status: e.status });
    }
    return out;
}

/** Bytes that were sent more than once for a path (sum over bytes of (times sent - 1)). */
export function duplicateBytes(log, pathPart) {
    const ranges = servedRanges(log, pathPart);
    const points = [];
    for (const r of ranges) points.push([r.start, 1], [r.end + 1, -1]);
    points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let depth = 0;
    let last = 0;
    let dup = 0;
    for (const [at, d] of points) {
        if (depth > 1) dup += (at - last) * (depth - 1);
        depth += d;
        last = at;
    }
    return dup;
}

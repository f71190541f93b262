// Human-readable numbers for sizes, speeds, durations and dates.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes) {
    if (!Number.isFinite(bytes) || bytes < 0) return '?';
    let value = bytes;
    let unit = 0;
    while (value >= 1000 && unit < UNITS.length - 1) {
        value /= 1000;
        unit++;
    }
    const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
    return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond) {
    return Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '–';
}

export function formatDuration(seconds) {
    if (!Number.isFinite(seconds) || seconds < 0) return '–';
    if (seconds < 1) return '<1 s';
    if (seconds < 60) return `${Math.round(seconds)} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatMs(ms) {
    if (!Number.isFinite(ms)) return '–';
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** 260000 → "260K", 494000000 → "494M", 1.5e9 → "1.5B". */
export function formatCount(n) {
    if (!Number.isFinite(n)) return '?';
    for (const [size, suffix] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']]) {
        if (n >= size) {
            const v = n / size;
            return `${v >= 100 ? Math.round(v) : Number(v.toPrecision(3))}${suffix}`;
        }
    }
    return String(n);
}

export function formatDate(value) {
    if (value === undefined || value === null || value === '') return 'never';
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return 'unknown';
    return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

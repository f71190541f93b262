// Download progress for people: bytes, a rate smoothed over the last few seconds, the time
// left, and where an interrupted download resumed from; reported at most every intervalMs.

export class ProgressMeter {
    /**
     * @param {{total?: number, intervalMs?: number, windowMs?: number,
     *   onProgress?: (p: {phase: 'download', loaded: number, total: number, rate: number, eta: number | undefined, file: string, resumedFrom: number}) => void,
     *   now?: () => number}} [options]
     */
    constructor({ total = 0, intervalMs = 250, windowMs = 5000, onProgress, now = () => Date.now() } = {}) {
        this.total = total;
        this.loaded = 0;
        this.resumedFrom = 0;
        this.file = '';
        this.intervalMs = intervalMs;
        this.windowMs = windowMs;
        this.onProgress = onProgress;
        this.now = now;
        this.samples = [[now(), 0]]; // [time, bytes fetched over the network so far]
        this.fetched = 0;
        this.lastReport = -Infinity;
    }

    /** Bytes already stored before this download started (they count as loaded, not in the rate). */
    addResumed(bytes) {
        this.resumedFrom += bytes;
        this.loaded += bytes;
    }

    /** Bytes that arrived over the network. */
    add(bytes) {
        this.loaded += bytes;
        this.fetched += bytes;
        const t = this.now();
        // One sample per 100 ms at most, so a fast download keeps the window short.
        const n = this.samples.length;
        if (n > 1 && t - this.samples[n - 2][0] < 100) this.samples[n - 1] = [t, this.fetched];
        else this.samples.push([t, this.fetched]);
        while (this.samples.length > 2 && t - this.samples[1][0] > this.windowMs) this.samples.shift();
        if (t - this.lastReport >= this.intervalMs) this.report();
    }

    /** Takes back bytes counted for a chunk that then failed (it will be fetched again). */
    retract(bytes) {
        this.loaded -= bytes;
    }

    get rate() {
        const [t0, b0] = this.samples[0];
        const [t1, b1] = this.samples[this.samples.length - 1];
        return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
    }

    snapshot() {
        const rate = this.rate;
        const left = Math.max(0, this.total - this.loaded);
        return {
            phase: 'download',
            loaded: this.loaded,
            total: this.total,
            rate,
            eta: left === 0 ? 0 : rate > 0 ? left / rate : undefined,
            file: this.file,
            resumedFrom: this.resumedFrom,
        };
    }

    report() {
        this.lastReport = this.now();
        this.onProgress?.(this.snapshot());
    }
}

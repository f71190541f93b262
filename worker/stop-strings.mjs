// Stop sequences over streamed text. Text that might be the start of a stop sequence is held
// back until the next pieces decide it, so the caller never shows part of a stop sequence and
// the final text never contains one.
export class StopMatcher {
    constructor(stops) {
        this.stops = (stops ?? []).filter((s) => typeof s === 'string' && s.length > 0);
        this.pending = '';
    }

    // Adds newly decoded text; returns the text now safe to show and whether a stop sequence
    // was completed (everything from it onwards is dropped).
    push(text) {
        if (this.stops.length === 0) return { text, stopped: false };
        this.pending += text;
        let cut = -1;
        for (const stop of this.stops) {
            const at = this.pending.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) {
            const out = this.pending.slice(0, cut);
            this.pending = '';
            return { text: out, stopped: true };
        }
        const keep = this.heldBackLength();
        const out = this.pending.slice(0, this.pending.length - keep);
        this.pending = this.pending.slice(this.pending.length - keep);
        return { text: out, stopped: false };
    }

    // At the end of generation the held text was not a stop sequence after all.
    flush() {
        const out = this.pending;
        this.pending = '';
        return out;
    }

    // Length of the longest tail of pending that is a proper prefix of some stop sequence.
    heldBackLength() {
        let best = 0;
        for (const stop of this.stops) {
            const most = Math.min(stop.length - 1, this.pending.length);
            for (let n = most; n > best; n--) {
                if (this.pending.endsWith(stop.slice(0, n))) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}

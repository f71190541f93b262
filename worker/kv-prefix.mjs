// Which tokens sit in the engine's KV cache, so that a new prompt that starts like the previous
// conversation evaluates only what is new (a chat's next turn repeats every earlier turn).
export function commonPrefixLength(a, b) {
    const n = Math.min(a.length, b.length);
    let i = 0;
    while (i < n && a[i] === b[i]) i++;
    return i;
}

export class KvPrefix {
    constructor() {
        this.tokens = []; // tokens at positions 0..n-1 of the KV cache, in order
    }

    clear() {
        this.tokens = [];
    }

    // Drops the cache past the longest shared prefix; returns {reused, pending}: how many prompt
    // tokens are already evaluated and which still need evaluating. At least the last prompt
    // token is always re-evaluated, since sampling needs the logits that follow it.
    reuse(core, promptIds) {
        if (core.nPast !== this.tokens.length) this.invalidate(core); // out of step: trust nothing
        let keep = commonPrefixLength(this.tokens, promptIds);
        if (keep >= promptIds.length) keep = promptIds.length - 1;
        if (keep < this.tokens.length) {
            core.kvTruncate(keep);
            this.tokens.length = keep;
        }
        return { reused: keep, pending: Array.from(promptIds.slice(keep)) };
    }

    // Records tokens the engine has just evaluated (after a successful core.eval).
    append(ids) {
        for (const id of ids) this.tokens.push(id);
    }

    // After a failed eval nothing is known about the cache: start over next time.
    invalidate(core) {
        this.tokens = [];
        try {
            core.kvTruncate(0);
        } catch {
            // the next prompt evaluates everything anyway
        }
    }
}

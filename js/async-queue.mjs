// A push-fed async iterator: the worker's token messages go in, `for await` takes them out.
// Items are buffered while nobody is reading, so no token is lost to a slow consumer.
export class AsyncQueue {
    constructor({ onReturn } = {}) {
        this.items = [];
        this.waiters = [];
        this.ended = false;
        this.error = null;
        this.onReturn = onReturn; // the consumer stopped reading early (break / return)
    }

    push(item) {
        if (this.ended) return;
        const waiter = this.waiters.shift();
        if (waiter) waiter.resolve({ value: item, done: false });
        else this.items.push(item);
    }

    end() {
        if (this.ended) return;
        this.ended = true;
        for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
    }

    fail(error) {
        if (this.ended) return;
        this.error = error;
        this.ended = true;
        for (const w of this.waiters.splice(0)) w.reject(error);
    }

    next() {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift(), done: false });
        if (this.error) return Promise.reject(this.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    }

    return() {
        if (!this.ended) this.onReturn?.();
        this.items = [];
        this.end();
        return Promise.resolve({ value: undefined, done: true });
    }

    [Symbol.asyncIterator]() {
        return this;
    }
}

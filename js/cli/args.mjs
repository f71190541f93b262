// Command-line flags looked up by name, as the native CLI does (tools/cli/args.c): `--name value`,
// `-n value` or `--flag` anywhere after the command; whatever no lookup consumed is an error.
export class UsageError extends Error {}

export class Args {
    #argv;
    #used;

    constructor(argv) {
        this.#argv = argv;
        this.#used = new Array(argv.length).fill(false);
    }

    #find(shortName, longName) {
        return this.#argv.findIndex((a) => (shortName && a === shortName) || (longName && a === longName));
    }

    str(shortName, longName) {
        const i = this.#find(shortName, longName);
        if (i < 0) return undefined;
        if (i + 1 >= this.#argv.length) throw new UsageError(`${this.#argv[i]} needs a value`);
        this.#used[i] = this.#used[i + 1] = true;
        return this.#argv[i + 1];
    }

    require(shortName, longName) {
        const v = this.str(shortName, longName);
        if (v === undefined) throw new UsageError(`${longName ?? shortName} is required`);
        return v;
    }

    int(shortName, longName, fallback) {
        const v = this.str(shortName, longName);
        if (v === undefined) return fallback;
        if (!/^\s*[+-]?\d+$/.test(v)) throw new UsageError(`${longName ?? shortName} expects an integer, got '${v}'`);
        return Number(v);
    }

    num(shortName, longName, fallback) {
        const v = this.str(shortName, longName);
        if (v === undefined) return fallback;
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${longName ?? shortName} expects a number, got '${v}'`);
        return n;
    }

    flag(longName) {
        const i = this.#find(null, longName);
        if (i >= 0) this.#used[i] = true;
        return i >= 0;
    }

    checkAllUsed() {
        const i = this.#used.indexOf(false);
        if (i >= 0) throw new UsageError(`unknown argument '${this.#argv[i]}'`);
    }
}

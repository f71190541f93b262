// JSON text written byte for byte as the native CLI writes it (src/json_writer.c), so the two
// CLIs' outputs can be compared as text: doubles as the shortest %g that gives back the same
// float, integers plainly, strings from raw bytes with C's escapes and U+FFFD for bytes that do
// not start valid UTF-8.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// A number written as hs_json_double does; plain numbers are written as integers.
export class JsonDouble {
    constructor(value) {
        this.value = value;
    }
}
export const double = (v) => new JsonDouble(v);

function stripZeros(digits) {
    return digits.includes('.') ? digits.replace(/0+$/, '').replace(/\.$/, '') : digits;
}

// C's printf("%.*g", precision, v) for finite v.
export function formatG(v, precision) {
    if (v === 0) return Object.is(v, -0) ? '-0' : '0';
    const [mantissa, exponentText] = v.toExponential(precision - 1).split('e');
    const exponent = Number(exponentText);
    if (exponent < -4 || exponent >= precision) {
        const sign = exponent < 0 ? '-' : '+';
        return `${stripZeros(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
    }
    return stripZeros(v.toFixed(precision - 1 - exponent));
}

export function formatDouble(v) {
    if (!Number.isFinite(v)) return 'null';
    for (let precision = 6; precision <= 17; precision++) {
        const text = formatG(v, precision);
        if (Math.fround(Number(text)) === Math.fround(v) || precision === 17) return text;
    }
    return String(v); // not reached
}

// The length of the valid UTF-8 sequence starting at i (write_string's rules), 0 if none.
function sequenceLength(bytes, i) {
    const ch = bytes[i];
    const n = ch >= 0xf0 && ch <= 0xf4 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc2 && ch <= 0xdf ? 2 : 0;
    if (n === 0 || i + n > bytes.length) return 0;
    for (let k = 1; k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
    const c1 = bytes[i + 1];
    if (n === 3 && ((ch === 0xe0 && c1 < 0xa0) || (ch === 0xed && c1 >= 0xa0))) return 0;
    if (n === 4 && ((ch === 0xf0 && c1 < 0x90) || (ch === 0xf4 && c1 >= 0x90))) return 0;
    return n;
}

const SHORT_ESCAPES = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

// A JSON string from bytes (a Uint8Array) or from a JavaScript string (encoded as UTF-8 first).
export function jsonString(value) {
    const bytes = typeof value === 'string' ? encoder.encode(value) : value;
    let out = '"';
    for (let i = 0; i < bytes.length; i++) {
        const ch = bytes[i];
        if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
        else if (ch < 0x20 || ch === 0x7f) out += `\\u${ch.toString(16).padStart(4, '0')}`;
        else if (ch < 0x80) out += String.fromCharCode(ch);
        else {
            const n = sequenceLength(bytes, i);
            if (n) {
                out += decoder.decode(bytes.subarray(i, i + n));
                i += n - 1;
            } else {
                out += '\uFFFD';
            }
        }
    }
    return `${out}"`;
}

export function toNativeJson(value) {
    if (value === null || value === undefined) return 'null';
    if (value instanceof JsonDouble) return formatDouble(value.value);
    if (typeof value === 'number') return String(Math.trunc(value));
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'string' || value instanceof Uint8Array) return jsonString(value);
    if (Array.isArray(value) || ArrayBuffer.isView(value)) return `[${Array.from(value, toNativeJson).join(',')}]`;
    return `{${Object.entries(value).map(([k, v]) => `${jsonString(k)}:${toNativeJson(v)}`).join(',')}}`;
}

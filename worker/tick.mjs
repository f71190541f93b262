// Lets the event loop run between two tokens, so that an abort message posted by the page is
// handled while a generation is in progress. setTimeout(0) is clamped to 4 ms after a few nested
// calls in browsers, which would cost more than a small model's token; a message on a private
// channel is not clamped. Node's setImmediate does the same job there.
let channel = null;
const waiting = [];

function wakeOne() {
    const resolve = waiting.shift();
    if (resolve) resolve();
}

export function nextTick() {
    if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
    if (!channel) {
        channel = new MessageChannel();
        channel.port1.onmessage = wakeOne;
    }
    return new Promise((resolve) => {
        waiting.push(resolve);
        channel.port2.postMessage(0);
    });
}

// How every browser test and benchmark starts Debian's Chromium: its path (CHROMIUM_PATH
// overrides it) and the flags. --no-sandbox: the tests run as root. The --disable-* and
// --no-first-run flags stop Chromium's own connections to Google, which this machine's closed
// network refuses many at a time.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// HEARTH_JS_FLAGS passes V8 flags to the pages' engine, e.g. for a perf profile of the wasm
// kernels (README, "Profiling in Chromium").
const JS_FLAGS = process.env.HEARTH_JS_FLAGS;
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', ...(JS_FLAGS ? [`--js-flags=${JS_FLAGS}`] : [])];
// Options for playwright-core's chromium.launch / launchPersistentContext.
export const LAUNCH_OPTIONS = { executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 };

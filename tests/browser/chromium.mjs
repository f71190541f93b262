// How every browser test and benchmark starts Debian's Chromium: its path (CHROMIUM_PATH
// overrides it) and the flags. --no-sandbox: the tests run as root. The --disable-* and
// --no-first-run flags stop Chromium's own connections to Google, which this machine's closed
// network refuses many at a time.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'];
// Options for playwright-core's chromium.launch / launchPersistentContext.
export const LAUNCH_OPTIONS = { executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 };

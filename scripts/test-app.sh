#!/usr/bin/env bash
# The chat app's browser tests: Debian's Chromium driven by playwright-core, against the local
# Hub-protocol server over ../shared/models (tests/browser/app.test.mjs). Screenshots of the main
# states are written to test-results/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"

scripts/ensure-deps.sh wasm browser npm
if [ ! -f dist/wasm/hearth-st.wasm ] || [ ! -f dist/wasm/hearth-mt.wasm ]; then
    scripts/build-wasm.sh
fi

echo "== chat app browser tests"
timeout 900 node --test --test-concurrency=1 --test-timeout=240000 tests/browser/app.test.mjs

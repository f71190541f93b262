#!/usr/bin/env bash
# The public JavaScript API and its worker: Node tests (engine in a worker_threads Worker, the
# worker's generation logic against a fake engine) and Chromium tests (module Worker, threaded and
# single-thread builds, model from the local Hub-protocol server). Needs the wasm build in dist/wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"

scripts/ensure-deps.sh wasm browser npm
if [ ! -f dist/wasm/hearth-st.wasm ] || [ ! -f dist/wasm/hearth-mt.wasm ]; then
    if [ -x scripts/build-wasm.sh ]; then
        scripts/build-wasm.sh
    else
        emcmake cmake -S . -B build-wasm >/dev/null
        cmake --build build-wasm -j"${JOBS:-2}"
    fi
fi

echo "== JS API, Node"
timeout 600 node --test --test-concurrency=1 --test-timeout=180000 tests/js/worker-logic.test.mjs tests/js/engine-api.test.mjs

echo "== JS API, Chromium"
timeout 600 node --test --test-concurrency=1 --test-timeout=180000 tests/browser/api.browser.test.mjs

#!/usr/bin/env bash
# The public JavaScript API and its worker: Node tests (engine in a worker_threads Worker, the
# worker's generation logic against a fake engine) and Chromium tests (module Worker, threaded and
# single-thread builds, model from the local Hub-protocol server), and hostile inputs (chat
# templates from model files, KV caches past the 4 GiB heap; tests/js/hardening.test.mjs). Needs
# the wasm build in dist/wasm and the native CLI (build/hearth makes the synthetic models).
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"

scripts/ensure-deps.sh native wasm browser npm
if [ ! -x build/hearth ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j"${JOBS:-2}" --target hearth_cli
fi
if [ ! -f dist/wasm/hearth-st.wasm ] || [ ! -f dist/wasm/hearth-mt.wasm ]; then
    if [ -x scripts/build-wasm.sh ]; then
        scripts/build-wasm.sh
    else
        emcmake cmake -S . -B build-wasm >/dev/null
        cmake --build build-wasm -j"${JOBS:-2}"
    fi
fi

echo "== JS API, Node"
timeout 600 node --test --test-concurrency=1 --test-timeout=180000 tests/js/worker-logic.test.mjs tests/js/engine-api.test.mjs tests/js/hardening.test.mjs

echo "== JS API, Chromium"
timeout 600 node --test --test-concurrency=1 --test-timeout=180000 tests/browser/api.browser.test.mjs

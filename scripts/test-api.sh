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
scripts/ensure-builds.sh

echo "== JS API, Node"
timeout 600 node --test --test-concurrency=1 --test-timeout=180000 tests/js/worker-logic.test.mjs tests/js/engine-api.test.mjs tests/js/hardening.test.mjs

echo "== JS API, Chromium"
timeout 600 node --test --test-concurrency=1 --test-timeout=180000 tests/browser/api.browser.test.mjs

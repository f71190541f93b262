#!/usr/bin/env bash
# Model delivery: the Hub-protocol test server, source resolution, chunked resumable downloads
# and the model cache. Node tests (in-memory store) and Chromium tests (real IndexedDB), both
# against tests/server/hub-server.mjs with its fault knobs. Needs no wasm build (one header test
# uses the real engine estimate when dist/wasm exists).
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"

scripts/ensure-deps.sh browser npm

echo "== model delivery, Node"
timeout 300 node --test --test-concurrency=1 --test-timeout=120000 tests/js/delivery-*.test.mjs

echo "== model delivery, Chromium"
timeout 400 node --test --test-concurrency=1 --test-timeout=180000 tests/browser/delivery.test.mjs

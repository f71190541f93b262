#!/usr/bin/env bash
# Every test of the project, in order: native C tests (ctest), the same under ASan + UBSan,
# then (when present) the WebAssembly build with its Node tests, and the browser tests.
# Installs what is missing first. Exit status: non-zero if any stage fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"
JOBS="${JOBS:-2}"

scripts/ensure-deps.sh native

echo "== native build and C tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS"
(cd build && ctest -j"$JOBS" --output-on-failure)

echo "== C tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEARTH_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j"$JOBS" --output-on-failure)

echo "== C tests compiled to WebAssembly (SIMD128 kernels) under Node"
scripts/ensure-deps.sh wasm
scripts/test-wasm-c.sh

echo "== WebAssembly engine (threaded and single-thread builds) under Node"
scripts/test-wasm.sh

echo "== model delivery: Hub-protocol server, resumable download, IndexedDB store (Node and Chromium)"
scripts/test-browser.sh

echo "== public JS API and worker: Node and Chromium"
scripts/test-api.sh

echo "== chat app, embedding, offline PWA (Chromium)"
scripts/test-app.sh

echo "== browser benchmark smoke runs (print numbers; check their fields and the same-machine ratios)"
timeout 300 node tests/bench/browser.smoke.mjs
timeout 300 node tests/bench/same-machine.smoke.mjs

echo "== fuzz smoke run (libFuzzer, ASan + UBSan)"
scripts/fuzz.sh 25

echo "== all tests passed"

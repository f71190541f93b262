#!/usr/bin/env bash
# Builds the WebAssembly engine, threaded (hearth-mt) and single-thread (hearth-st), into
# build-wasm/ and copies it to dist/wasm/, where js/core.mjs and the page find it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh wasm
emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-wasm -j"${JOBS:-2}"

#!/usr/bin/env bash
# The WebAssembly engine under Node: builds it, then runs every Node test in tests/js (llama.cpp
# parity of both builds, the JavaScript CLI against the native one, errors, memory above 2 GiB,
# and the JavaScript API's own tests). The CLI parity tests compare with build/hearth.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"
scripts/ensure-deps.sh wasm npm
scripts/build-wasm.sh
timeout 900 node --test tests/js/

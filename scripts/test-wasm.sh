#!/usr/bin/env bash
# The WebAssembly engine under Node: builds it, then runs the engine's Node tests (llama.cpp
# parity of both builds, the JavaScript CLI against the native one, errors, memory above 2 GiB).
# The delivery and API tests have stages of their own. The CLI parity tests compare with build/hearth.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"
scripts/ensure-deps.sh wasm npm
scripts/build-wasm.sh
timeout 900 node --test tests/js/reference-mt.test.mjs tests/js/reference-st.test.mjs tests/js/cli.test.mjs \
    tests/js/errors.test.mjs tests/js/core.test.mjs tests/js/high-memory.test.mjs

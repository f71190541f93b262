#!/usr/bin/env bash
# Builds what the browser and API tests run, when it is missing: the native CLI (build/hearth,
# which writes the synthetic test models) and the two wasm builds in dist/wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
if [ ! -x build/hearth ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j"$JOBS" --target hearth_cli
fi
if [ ! -f dist/wasm/hearth-st.wasm ] || [ ! -f dist/wasm/hearth-mt.wasm ]; then
    scripts/build-wasm.sh
fi

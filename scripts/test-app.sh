#!/usr/bin/env bash
# The chat app's browser tests: Debian's Chromium driven by playwright-core, against the local
# Hub-protocol server over ../shared/models (tests/browser/app.test.mjs): desktop, phone and
# keyboard flows, offline after one visit, deep links, hostile metadata, errors and resume, the
# embed page and <hearth-chat>, a host without COOP/COEP. Screenshots of the main states go to
# test-results/screenshots/. Needs the wasm build (dist/wasm) and the native CLI (build/hearth,
# which makes a synthetic model larger than one download chunk).
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"
JOBS="${JOBS:-2}"

scripts/ensure-deps.sh native wasm browser npm
if [ ! -x build/hearth ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j"$JOBS" --target hearth_cli
fi
if [ ! -f dist/wasm/hearth-st.wasm ] || [ ! -f dist/wasm/hearth-mt.wasm ]; then
    if [ -x scripts/build-wasm.sh ]; then
        scripts/build-wasm.sh
    else
        emcmake cmake -S . -B build-wasm >/dev/null
        cmake --build build-wasm -j"$JOBS"
    fi
fi

echo "== chat app, Chromium"
timeout 600 node --test --test-concurrency=1 --test-timeout=180000 tests/browser/app.test.mjs

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

scripts/ensure-deps.sh native wasm browser npm
scripts/ensure-builds.sh

echo "== chat app, Chromium"
timeout 600 node --test --test-concurrency=1 --test-timeout=180000 tests/browser/app.test.mjs

#!/usr/bin/env bash
# Builds llama.cpp's own benchmark, llama-bench, for this machine (-march=native, as the issue's
# native figures were taken), so that our browser figures can be divided by native llama.cpp on
# the same machine (tests/bench/same-machine.mjs). The source comes from the npm registry: the
# package node-llama-cpp carries llama.cpp's source as a git bundle (llama/gitRelease.bundle, its
# tag in llama/llama.cpp.info.json) for offline builds; nothing of it enters this repository.
#
#   tests/bench/native-llama/build.sh        # prints the path of llama-bench (~10 min on 2 cores, once)
#
# OUT (default: build-llama/ at the repository's root, ignored by git) holds the package, the
# checkout and its build.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
OUT="${OUT:-$ROOT/build-llama}"
PACKAGE=node-llama-cpp@3.22.1
BENCH="$OUT/llama.cpp/build/bin/llama-bench"
mkdir -p "$OUT"
if [ ! -x "$BENCH" ]; then
    if [ ! -d "$OUT/llama.cpp" ]; then
        (cd "$OUT" && tarball="$(npm pack "$PACKAGE" --silent)" &&
            tar xzf "$tarball" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json)
        git -c advice.detachedHead=false clone -q "$OUT/package/llama/gitRelease.bundle" "$OUT/llama.cpp"
    fi
    cmake -S "$OUT/llama.cpp" -B "$OUT/llama.cpp/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
        -DLLAMA_CURL=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF >&2
    cmake --build "$OUT/llama.cpp/build" -j"${JOBS:-2}" --target llama-bench >&2
fi
echo "$BENCH"

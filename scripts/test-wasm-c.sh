#!/usr/bin/env bash
# The C test suite compiled to WebAssembly (-O3 -msimd128, so the SIMD128 kernels are the ones
# tested) and run under Node with direct file access to ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"
export NODE_PATH=/usr/share/nodejs
OUT=build-wasm-ctest
mkdir -p "$OUT/obj"
CFLAGS=(-std=gnu11 -O3 -msimd128 -ffp-contract=off -Isrc -Itests/c)
objs=()
for src in src/*.c tests/c/harness.c tests/c/json_read.c; do
    obj="$OUT/obj/$(basename "${src%.c}").o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src -name '*.h' -newer "$obj" | head -1)" ]; then
        emcc "${CFLAGS[@]}" -c "$src" -o "$obj"
    fi
    objs+=("$obj")
done
status=0
for test in tests/c/test_*.c; do
    name=$(basename "${test%.c}")
    # test_threadpool needs pthreads; the single-thread build covers the rest.
    [ "$name" = test_threadpool ] && continue
    emcc "${CFLAGS[@]}" "$test" "${objs[@]}" -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB \
        -sEXIT_RUNTIME=1 -o "$OUT/$name.js"
    if node --no-experimental-fetch "$OUT/$name.js" > "$OUT/$name.log" 2>&1; then
        echo "wasm $name: $(tail -1 "$OUT/$name.log")"
    else
        echo "wasm $name: FAILED"; tail -20 "$OUT/$name.log"; status=1
    fi
done
exit $status

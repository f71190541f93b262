#!/usr/bin/env bash
# The C test suite compiled to WebAssembly and run under Node with direct file access to ../shared,
# once per SIMD flavour of the browser builds:
#   simd128 (-msimd128): every test;
#   relaxed (-msimd128 -mrelaxed-simd, patched by wasm/patch-relaxed-simd.mjs): the tests of the
#   kernels and of the engine's results against llama.cpp's. Node 20 runs relaxed SIMD behind a
#   flag, and only its optimising compiler gets the i8 dot product right, hence --no-liftoff;
#   pthreads (-msimd128 -pthread, as the threaded browser build): the thread pool's test and the
#   matmul's (rows handed out on demand need two threads).
set -euo pipefail
cd "$(dirname "$0")/.."
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"
export NODE_PATH=/usr/share/nodejs
status=0

run_suite() { # flavour, extra compile flags, extra link flags, node flags, tests...
    local flavour=$1 cflags=$2 ldflags=$3 nodeflags=$4
    shift 4
    local out=build-wasm-ctest/$flavour
    mkdir -p "$out/obj"
    local CFLAGS=(-std=gnu11 -O3 -msimd128 $cflags -ffp-contract=off -fno-builtin-memset -Isrc -Itests/c)
    local objs=() src obj
    for src in src/*.c tests/c/harness.c tests/c/json_read.c; do
        obj="$out/obj/$(basename "${src%.c}").o"
        if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src -name '*.h' -newer "$obj" | head -1)" ]; then
            emcc "${CFLAGS[@]}" -c "$src" -o "$obj"
        fi
        objs+=("$obj")
    done
    local test name
    for test in "$@"; do
        name=$(basename "${test%.c}")
        emcc "${CFLAGS[@]}" "$test" "${objs[@]}" -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB \
            -sEXIT_RUNTIME=1 $ldflags -o "$out/$name.js"
        if [ "$flavour" = relaxed ]; then node wasm/patch-relaxed-simd.mjs --allow-none "$out/$name.wasm" > /dev/null; fi
        if node --no-experimental-fetch $nodeflags "$out/$name.js" > "$out/$name.log" 2>&1; then
            echo "wasm $flavour $name: $(tail -1 "$out/$name.log")"
        else
            echo "wasm $flavour $name: FAILED"; tail -20 "$out/$name.log"; status=1
        fi
    done
}

# test_threadpool needs pthreads; the single-thread build covers the rest.
all_tests=()
for test in tests/c/test_*.c; do
    [ "$(basename "$test")" = test_threadpool.c ] || all_tests+=("$test")
done
run_suite simd128 "" "" "" "${all_tests[@]}"
run_suite relaxed "-mrelaxed-simd" "" "--experimental-wasm-relaxed-simd --no-liftoff" \
    tests/c/test_quant_simd.c tests/c/test_vec.c tests/c/test_reference.c tests/c/test_matmul.c
# Workers come from a pool of 4 started with the program (the test asks for up to 4 threads).
run_suite pthreads "-pthread" "-sPTHREAD_POOL_SIZE=4 -Wno-pthreads-mem-growth" "" tests/c/test_threadpool.c \
    tests/c/test_matmul.c
exit $status

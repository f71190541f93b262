#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS (default 25),
# seeded from the real models in ../shared. Prints executions and crashes; exits non-zero on a
# crash. Usage: scripts/fuzz.sh [SECONDS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-25}"
OUT="${2:-build-fuzz}"
export SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"
mkdir -p "$OUT"
FLAGS=(-std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc)
for target in fuzz_gguf fuzz_tokenizer; do
    if [ ! -x "$OUT/$target" ] || [ -n "$(find src tests/fuzz -newer "$OUT/$target" -name '*.[ch]' | head -1)" ]; then
        clang "${FLAGS[@]}" src/*.c "tests/fuzz/$target.c" -lm -lpthread -o "$OUT/$target"
    fi
done

# Seeds: small real models whole, header prefixes of the others, and a few texts.
mkdir -p "$OUT/seeds-gguf" "$OUT/seeds-text"
for f in "$SHARED_DIR"/models/synthetic/synth-llama-spm512-Q4_0.gguf "$SHARED_DIR"/models/stories260K/*.gguf; do
    head -c 65536 "$f" > "$OUT/seeds-gguf/$(basename "$f").head"
done
printf 'Once upon a time' > "$OUT/seeds-text/1"
printf 'Hello, world! 1234 \xc3\xbcn\xc3\xafc\xc3\xb6d\xc3\xa9 \xf0\x9f\x99\x82 <|im_start|>user\n<s></s>' > "$OUT/seeds-text/2"

status=0
run() { # run TARGET SEEDS MAX_LEN
    local log="$OUT/$1.log"
    mkdir -p "$OUT/corpus-$1"
    if "$OUT/$1" "$OUT/corpus-$1" "$2" -max_total_time="$SECONDS_EACH" -max_len="$3" -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="$OUT/crash-$1-" -print_final_stats=1 > "$log" 2>&1; then
        echo "$1: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') executions, 0 crashes"
    else
        echo "$1: CRASH (see $log and $OUT/crash-$1-*)"
        tail -30 "$log"
        status=1
    fi
}
run fuzz_gguf "$OUT/seeds-gguf" 200000
run fuzz_tokenizer "$OUT/seeds-text" 4096
exit $status

#!/usr/bin/env bash
# Installs what the build and the tests need when it is missing: Debian packages (compilers,
# cmake, emscripten, chromium) and the npm packages pinned in package-lock.json.
# Usage: scripts/ensure-deps.sh [native] [wasm] [browser] [npm]
set -euo pipefail
cd "$(dirname "$0")/.."

want() { for w in "$@"; do case " $WANTS " in *" $w "*) return 0;; esac; done; return 1; }
WANTS=" ${*:-native wasm browser npm} "

missing=()
need_pkg() { # need_pkg COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing+=("$2")
}
need_pkg gcc gcc
need_pkg cmake cmake
need_pkg make make
if want native; then
    # clang's sanitizer and libFuzzer runtimes
    [ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] || missing+=(clang libclang-rt-14-dev)
fi
if want wasm; then need_pkg emcc emscripten; fi
if want browser; then need_pkg chromium chromium; fi
if want wasm browser npm; then need_pkg node nodejs; fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if want npm browser && [ -f package-lock.json ]; then
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        echo "== npm ci"
        npm ci --no-audit --no-fund --loglevel=error
    fi
fi

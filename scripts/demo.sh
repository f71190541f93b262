#!/usr/bin/env bash
# `make demo`: installs what is missing, builds (native + wasm), then serves the chat app with
# COOP/COEP at http://127.0.0.1:$PORT together with a local Hub-protocol server over a models
# folder, so a machine without internet can chat with stories260K at once.
#   PORT=8080 HUB_PORT=8081 MODELS=../shared/models scripts/demo.sh
# Without a models folder the app uses the public Hugging Face Hub (needs internet).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8080}"
HUB_PORT="${HUB_PORT:-8081}"
SHARED_DIR="${SHARED_DIR:-$(cd .. && pwd)/shared}"
MODELS="${MODELS:-$SHARED_DIR/models}"
JOBS="${JOBS:-2}"

scripts/ensure-deps.sh native wasm npm

echo "== native build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS"

echo "== wasm build"
if [ -x scripts/build-wasm.sh ]; then
    scripts/build-wasm.sh
else
    emcmake cmake -S . -B build-wasm >/dev/null
    cmake --build build-wasm -j"$JOBS"
fi

args=(--app-port "$PORT" --app-root .)
base="http://127.0.0.1:$PORT"
query=""
model=""
if [ -d "$MODELS" ]; then
    args+=(--models "$MODELS" --port "$HUB_PORT")
    query="?hub=http://127.0.0.1:$HUB_PORT"
    model="&repo=local/stories260K&file=stories260K-Q8_0.gguf"
    echo "== local Hub server on http://127.0.0.1:$HUB_PORT over $MODELS"
else
    echo "== no models folder at $MODELS: the app will use the public Hugging Face Hub"
fi

cat <<EOF

  Hearth chat:     $base/web/$query
  Embedding (API): $base/demo/embed.html$query$model
  <hearth-chat>:   $base/demo/element.html$query$model

  Ctrl+C stops the servers.
EOF
exec node tests/server/hub-cli.mjs "${args[@]}"

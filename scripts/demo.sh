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
scripts/build-wasm.sh

args=(--app-port "$PORT" --app-root .)
url="http://127.0.0.1:$PORT/web/"
if [ -d "$MODELS" ]; then
    args+=(--models "$MODELS" --port "$HUB_PORT")
    url="$url?hub=http://127.0.0.1:$HUB_PORT"
    echo "== local Hub server on http://127.0.0.1:$HUB_PORT over $MODELS"
else
    echo "== no models folder at $MODELS: the app will use the public Hugging Face Hub"
fi

cat <<EOF

  Hearth chat:   $url
  Embedding:     http://127.0.0.1:$PORT/demo/embed.html${MODELS:+ (add ?hub=...&repo=...&file=...)}
  Custom element http://127.0.0.1:$PORT/demo/element.html

  Ctrl+C stops the servers.
EOF
exec node tests/server/hub-server.mjs "${args[@]}"

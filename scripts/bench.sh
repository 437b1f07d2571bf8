#!/bin/sh
# npm run bench: build, then run the compiled benchmark (needs the broker, the engine and a stack image).
set -e
cd "$(dirname "$0")/.."
npm run build
exec node dist/bench/main.js "$@"

#!/bin/sh
# Installs the npm dependencies (from the lock file) when missing or stale, then compiles src/ to dist/.
set -eu
cd "$(dirname "$0")/.."
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null ||
  { echo "berth: Node.js >= 20 is needed, found $(node --version 2>/dev/null || echo none)" >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "berth: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run -s build

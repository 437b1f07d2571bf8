#!/bin/sh
# Runs the berth CLI from a checkout: installs dependencies and builds first when needed.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
sh "$root/scripts/ensure-node.sh"
# --max-semi-space-size, --heap-growing-percent: see src/worker/worker-node-flags.ts (CPU per task, RSS).
exec node --max-semi-space-size=64 --heap-growing-percent=100 "$root/dist/cli/main.js" "$@"

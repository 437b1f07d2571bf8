#!/bin/sh
# Runs the berth CLI from a checkout: installs dependencies and builds first when needed.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
sh "$root/scripts/ensure-node.sh"
# --max-semi-space-size: see src/worker/worker-node-flags.ts (the worker's CPU per task).
exec node --max-semi-space-size=64 "$root/dist/cli/main.js" "$@"

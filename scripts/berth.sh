#!/bin/sh
# Runs the berth CLI from a checkout: installs dependencies and builds first when needed.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
sh "$root/scripts/ensure-node.sh"
exec node "$root/dist/cli/main.js" "$@"

#!/bin/sh
# The quick start's first command: from a fresh machine, install and start everything (npm
# packages, Docker engine, Kafka broker, topics), build the language stacks, then run the main job:
# a worker processing the demo workload, every result checked.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
sh scripts/ensure-node.sh
sh scripts/test-prerequisites.sh
node dist/cli/main.js infra up
node dist/cli/main.js stacks build
exec node dist/cli/main.js demo "$@"

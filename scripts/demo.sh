#!/bin/sh
# The quick start's first command: from a fresh machine, install and start everything (npm
# packages, Docker engine, Kafka broker, topics), build the language stacks, then run the main job:
# a worker processing the demo workload, every result checked.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
sh scripts/bring-up.sh
exec node dist/cli/main.js demo "$@"

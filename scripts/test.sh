#!/bin/sh
# The whole test suite from nothing: dependencies, build, infrastructure (Docker engine, Kafka
# broker, topics), stack images, then unit and integration tests against the real broker and engine.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
start=$(date +%s)
sh scripts/bring-up.sh
echo "berth: infrastructure and stacks ready in $(( $(date +%s) - start )) s" >&2
npx vitest run --project unit --project integration "$@"
echo "berth: tests finished in $(( $(date +%s) - start )) s" >&2

#!/bin/sh
# The whole test suite from nothing: dependencies, build, infrastructure (Docker engine, Kafka
# broker, topics), stack images, then unit and integration tests against the real broker and engine.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# The broker `berth infra up` makes answer on BERTH_KAFKA_PORT is the one everything below talks
# to, unless BERTH_KAFKA_BROKERS says otherwise.
export BERTH_KAFKA_BROKERS="${BERTH_KAFKA_BROKERS:-127.0.0.1:${BERTH_KAFKA_PORT:-9092}}"
start=$(date +%s)
sh scripts/bring-up.sh
echo "berth: infrastructure and stacks ready in $(( $(date +%s) - start )) s" >&2
npx vitest run --project unit --project integration "$@"
echo "berth: tests finished in $(( $(date +%s) - start )) s" >&2

#!/bin/sh
# The quick start's first command: from a fresh machine, install and start everything (npm
# packages, Docker engine, Kafka broker, topics), build the language stacks, then run the main job:
# a worker processing the demo workload, every result checked.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# The broker `berth infra up` makes answer on BERTH_KAFKA_PORT is the one everything below talks
# to, unless BERTH_KAFKA_BROKERS says otherwise.
export BERTH_KAFKA_BROKERS="${BERTH_KAFKA_BROKERS:-127.0.0.1:${BERTH_KAFKA_PORT:-9092}}"
sh scripts/bring-up.sh
exec node dist/cli/main.js demo "$@"

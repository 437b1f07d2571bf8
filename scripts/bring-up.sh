#!/bin/sh
# Everything the demo, the tests and the fault suite need, from nothing: npm dependencies and a
# build, `berth` on PATH, Debian packages, the Docker engine, the Kafka broker and topics, the stack images.
# Nothing is assumed to exist before: state goes to BERTH_STATE_DIR (default ~/.berth), downloads
# and build caches to BERTH_CACHE_DIR (default ~/.cache/berth); both are created on first use.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-node.sh
sh scripts/link-cli.sh
sh scripts/test-prerequisites.sh
node dist/cli/main.js infra up
node dist/cli/main.js stacks build

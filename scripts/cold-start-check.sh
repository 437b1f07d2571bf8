#!/bin/sh
# Cold-start check: the README's two quick-start commands, run from an empty state.
#
# A copy of this checkout without node_modules/ or dist/ (tracked and new files, as they are in the
# work tree) runs, with a new, empty BERTH_STATE_DIR and BERTH_CACHE_DIR, a new topic prefix and a
# broker port nothing answers on:
#   1. `npm run demo` fully: npm ci, build, `berth infra up` (the Kafka jars resolved from Maven
#      Central into the empty cache through an empty local Maven repository, storage formatted in
#      the empty state dir, a broker of its own started, topics created), stack build, the demo job;
#   2. `npm test` restricted to test/integration/kafka-compat.test.ts: the whole suite is not run
#      again from here (it is what runs this check, and it takes 20 minutes); the second bring-up
#      must find everything answering and change nothing;
#   3. the Python venv of the producer test from the empty state dir (pip from PyPI, empty cache).
# Then it checks what the runs left where they should have, stops the broker it started (by the
# pid file in its own state dir) and removes everything it made.
#
# What this cannot cover on a machine that already ran Berth: the shared Docker engine answers on
# its socket, so `infra up` uses it (and says "external") instead of installing docker.io and
# starting dockerd; the stack images are in that engine, so the stack build finds them by content
# hash (the base build from an empty debootstrap cache is test/integration/base-build-cold.test.ts);
# Debian packages already installed are not installed again; the npm and Go toolchains come from
# the machine. Environment: BERTH_COLD_DIR (work dir, default a new one under /var/tmp),
# BERTH_COLD_KEEP=1 (keep it afterwards). Exit 0 when every step passed; the last line says so.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${BERTH_COLD_DIR:-$(mktemp -d /var/tmp/berth-cold-XXXXXX)}"
mkdir -p "$work"
checkout="$work/checkout"
export BERTH_STATE_DIR="$work/state" BERTH_CACHE_DIR="$work/cache"
export BERTH_TOPIC_PREFIX="cold$(date +%s)$$"
export BERTH_KAFKA_HEAP_MB=384
# The quick start links `berth` into a bin dir: this copy's link goes into the work dir (it is
# removed with it), never over the machine's own /usr/local/bin/berth.
export BERTH_BIN_DIR="$work/bin"
# Nothing of the caller's setup leaks in: brokers follow BERTH_KAFKA_PORT, stacks come from the
# copy, and a vitest running this script does not make the inner vitest think it is a worker.
unset BERTH_KAFKA_BROKERS BERTH_STACKS_DIR BERTH_MAVEN_ARGS PIP_CACHE_DIR
for v in $(env | sed -n 's/^\(VITEST[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset NODE_ENV TEST

say() { echo "cold-start: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# Two consecutive free loopback ports (broker + controller) and one for the demo worker's metrics.
ports=$(node -e '
  const net = require("node:net");
  const free = (p) => new Promise((r) => { const s = net.createServer(); s.once("error", () => r(false)); s.listen(p, "127.0.0.1", () => s.close(() => r(true))); });
  (async () => { const out = [];
    for (let p = 20000 + 2 * Math.floor(Math.random() * 4000); out.length < 3 && p < 29990; p += 2)
      if (out.length === 0 ? (await free(p)) && (await free(p + 1)) : await free(p)) out.push(p);
    console.log(out.join(" ")); })();')
set -- $ports
[ $# -eq 3 ] || fail "no free ports found"
export BERTH_KAFKA_PORT="$1" BERTH_KAFKA_CONTROLLER_PORT="$(($1 + 1))"
metrics_port="$3"

cleanup() {
  if [ -f "$checkout/dist/cli/main.js" ] && [ -d "$BERTH_STATE_DIR" ]; then
    # Stops only what `infra up` started with this state dir: the broker on $BERTH_KAFKA_PORT. The
    # shared engine was found answering ("external") and is left alone.
    node "$checkout/dist/cli/main.js" infra down >&2 || true
  fi
  if [ "${BERTH_COLD_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "work dir $work, topic prefix $BERTH_TOPIC_PREFIX, broker port $BERTH_KAFKA_PORT"
for d in "$BERTH_STATE_DIR" "$BERTH_CACHE_DIR" "$checkout"; do [ ! -e "$d" ] || fail "$d is not new"; done
mkdir -p "$checkout"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf -) | tar -C "$checkout" -xf -
else
  tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - . | tar -C "$checkout" -xf -
fi
[ ! -e "$checkout/node_modules" ] && [ ! -e "$checkout/dist" ] || fail "the copy is not clean"

# run NAME COMMAND...: runs in the copy, output to $work/NAME.log and stderr; fails on non-zero exit.
run() {
  name=$1
  shift
  started=$(date +%s)
  { rc=0; (cd "$checkout" && "$@") 2>&1 || rc=$?; echo "exit $rc" >"$work/$name.rc"; } | tee "$work/$name.raw" >&2
  sed "s/$(printf '\033')\[[0-9;]*m//g" "$work/$name.raw" >"$work/$name.log" # without colours
  rc=$(sed -n 's/^exit //p' "$work/$name.rc")
  secs=$(($(date +%s) - started))
  eval "secs_$name=$secs"
  [ "$rc" = 0 ] || fail "$name exited $rc after $secs s (log above)"
  say "$name passed in $secs s"
}

run demo npm run demo -- --metrics-port "$metrics_port"
grep -Eq 'all [0-9]+ tasks produced the expected result' "$work/demo.log" || fail "demo summary missing"
grep -q "resolving org.apache.kafka:kafka_2.13" "$work/demo.log" || fail "the Kafka jars were not resolved into the empty cache"
grep -Eq "kafka: broker .* started \(pid" "$work/demo.log" || fail "no broker of its own was started"
grep -q "topics: created $BERTH_TOPIC_PREFIX.tasks" "$work/demo.log" || fail "the topics were not created"
ls "$BERTH_CACHE_DIR"/kafka-*/lib/kafka_2.13-*.jar >/dev/null 2>&1 || fail "no Kafka jars in $BERTH_CACHE_DIR"
[ -d "$BERTH_CACHE_DIR/maven" ] || fail "Maven did not use its repository under $BERTH_CACHE_DIR"
[ -f "$BERTH_STATE_DIR/kafka/data/meta.properties" ] || fail "no broker storage formatted in $BERTH_STATE_DIR"
"$BERTH_BIN_DIR/berth" --version >/dev/null || fail "the quick start did not put a working berth in $BERTH_BIN_DIR"
maven_secs=$(sed -n 's/.*jars cached in \([0-9.]*\) s.*/\1/p' "$work/demo.log" | head -n 1)

run tests npm test -- test/integration/kafka-compat.test.ts
grep -q "kafka: broker already answering on 127.0.0.1:$BERTH_KAFKA_PORT (managed)" "$work/tests.log" ||
  fail "the second bring-up did not find its broker running"
grep -q "topics: $BERTH_TOPIC_PREFIX.\* already present" "$work/tests.log" || fail "the second bring-up changed the topics"
grep -Eq 'Tests +[0-9]+ passed' "$work/tests.log" || fail "the test subset ran no test"

run venv sh scripts/python-venv.sh
[ -x "$BERTH_STATE_DIR/venv/bin/python" ] || fail "no venv in $BERTH_STATE_DIR"
"$BERTH_STATE_DIR/venv/bin/python" -c 'import confluent_kafka, fastavro' || fail "the venv lacks its packages"

say "demo $secs_demo s (Kafka jars from Maven Central ${maven_secs:-?} s), test subset $secs_tests s, venv $secs_venv s"
say "OK"

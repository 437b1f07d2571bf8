#!/bin/sh
# Writes server.properties from the environment, formats the data directory once (KRaft,
# --standalone), then runs the broker in the foreground (SIGTERM stops it cleanly).
#   KAFKA_ADVERTISED_HOST  name other containers use (default: kafka)
#   KAFKA_EXTERNAL_ADVERTISED  host:port clients on the host use (default: 127.0.0.1:9094)
#   KAFKA_CLUSTER_ID       cluster id on first format (default: random)
#   KAFKA_HEAP_OPTS        JVM heap (default: -Xms256m -Xmx512m)
set -eu
lib=/opt/kafka/lib
data=/var/lib/kafka/data
props=/opt/kafka/run/server.properties
cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:9093
listeners=INTERNAL://0.0.0.0:9092,CONTROLLER://127.0.0.1:9093,EXTERNAL://0.0.0.0:9094
advertised.listeners=INTERNAL://${KAFKA_ADVERTISED_HOST:-kafka}:9092,EXTERNAL://${KAFKA_EXTERNAL_ADVERTISED:-127.0.0.1:9094}
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT
log.dirs=$data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
message.max.bytes=10485760
PROPS
if [ ! -f "$data/meta.properties" ]; then
  id="${KAFKA_CLUSTER_ID:-$(java -cp "$lib/*" kafka.tools.StorageTool random-uuid | tail -n 1)}"
  java -cp "$lib/*" kafka.tools.StorageTool format --standalone -g -t "$id" -c "$props"
fi
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS holds several JVM flags.
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties \
  -cp "$lib/*" kafka.Kafka "$props"

import { mkdir } from 'node:fs/promises';
import type { InfraConfig } from '../config/infra-config.js';
import { ensureBerthTopics } from '../kafka/kafka-admin.js';
import { createKafka } from '../kafka/kafka-connection.js';
import { type EngineState, engineState, ensureEngine, stopEngine } from './docker-engine.js';
import {
  type BrokerState,
  bootstrapAddress,
  brokerState,
  ensureBroker,
  kafkaDir,
  stopBroker,
} from './kafka-broker.js';

export interface InfraStatus {
  readonly docker: EngineState;
  readonly kafka: BrokerState;
  readonly bootstrap: string;
  readonly dockerSocket: string;
  readonly stateDir: string;
  /** Where the broker started by `up` keeps its config, logs and data. */
  readonly kafkaDir: string;
  readonly kafkaVersion: string;
}

/**
 * Brings up what Berth needs, idempotently: a Docker engine, a Kafka broker and Berth's topics.
 * Anything already answering (ours or the user's) is used as is; a second run is a no-op.
 */
export async function infraUp(config: InfraConfig, log: (line: string) => void): Promise<InfraStatus> {
  await mkdir(config.stateDir, { recursive: true });
  const docker = await ensureEngine(config, log);
  const kafka = await ensureBroker(config, log);
  const client = createKafka({
    brokers: [bootstrapAddress(config)],
    clientId: 'berth-infra',
    security: config.kafkaSecurity,
  });
  const created = await ensureBerthTopics(client, config.topicPrefix, {
    tasksPartitions: config.tasksPartitions,
  });
  log(
    created.length > 0
      ? `topics: created ${created.join(', ')}`
      : `topics: ${config.topicPrefix}.* already present`,
  );
  return status(config, docker, kafka);
}

/** Stops only what `infraUp` started (by pid file); external services are left alone. */
export async function infraDown(config: InfraConfig, log: (line: string) => void): Promise<void> {
  log((await stopBroker(config)) ? 'kafka: broker stopped' : 'kafka: nothing of ours running');
  log((await stopEngine(config)) ? 'docker: dockerd stopped' : 'docker: nothing of ours running');
}

export async function infraStatus(config: InfraConfig): Promise<InfraStatus> {
  return status(config, await engineState(config), await brokerState(config));
}

function status(config: InfraConfig, docker: EngineState, kafka: BrokerState): InfraStatus {
  return {
    docker,
    kafka,
    bootstrap: bootstrapAddress(config),
    dockerSocket: config.dockerSocket,
    stateDir: config.stateDir,
    kafkaDir: kafkaDir(config),
    kafkaVersion: config.kafkaVersion,
  };
}

/** Human-readable lines for `berth infra status`. */
export function describeStatus(s: InfraStatus): string[] {
  const docker =
    s.docker.kind === 'down'
      ? `docker  down (socket ${s.dockerSocket})`
      : `docker  ${s.docker.kind === 'managed' ? `running (pid ${s.docker.pid}, started by berth)` : 'running (external)'}` +
        `  engine ${s.docker.info.version}, api ${s.docker.info.apiVersion}, ${s.docker.info.storageDriver}, cgroup v${s.docker.info.cgroupVersion}, runtime ${s.docker.info.defaultRuntime}, socket ${s.dockerSocket}`;
  const k = s.kafka;
  const kafka =
    k.kind === 'managed'
      ? `kafka   running (pid ${k.pid}, started by berth)  ${s.bootstrap}, Kafka ${s.kafkaVersion} KRaft, cluster ${k.info.clusterId}, data ${s.kafkaDir}`
      : k.kind === 'external'
        ? `kafka   running (external)  ${s.bootstrap}, cluster ${k.info.clusterId}, ${k.info.brokers} broker(s)`
        : k.kind === 'refused'
          ? `kafka   refusing  ${s.bootstrap}: ${k.reason}`
          : k.kind === 'starting'
            ? `kafka   starting (pid ${k.pid})  ${s.bootstrap}`
            : k.kind === 'foreign-port'
              ? `kafka   down: ${s.bootstrap} is held by ${k.owner}, which is not Kafka`
              : `kafka   down  ${s.bootstrap}`;
  return [docker, kafka, `state   ${s.stateDir}`];
}

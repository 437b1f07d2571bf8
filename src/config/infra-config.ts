import { loadHostDirs } from './host-dirs.js';
import { type KafkaSecurityConfig, kafkaSecurityFromEnv } from './kafka-security-config.js';

/**
 * Settings for `berth infra` (local Kafka broker + Docker engine), read once from BERTH_* env and
 * frozen. Directories are absolute; ports are validated.
 */
export interface InfraConfig {
  /** Pid files, logs and Kafka data: BERTH_STATE_DIR, default ~/.berth. */
  readonly stateDir: string;
  /** Downloaded Kafka jars, shared by checkouts: BERTH_CACHE_DIR, default ~/.cache/berth. */
  readonly cacheDir: string;
  /** Maven's local repository used to resolve the jars: `<cacheDir>/maven`, so ~/.m2 is neither needed nor touched. */
  readonly mavenRepoDir: string;
  /** org.apache.kafka:kafka_2.13 version: BERTH_KAFKA_VERSION. */
  readonly kafkaVersion: string;
  /** log4j-slf4j-impl version matching Kafka's own log4j: BERTH_KAFKA_LOG4J_VERSION. */
  readonly log4jVersion: string;
  readonly kafkaHost: string;
  /** Client listener: BERTH_KAFKA_PORT, default 9092. */
  readonly kafkaPort: number;
  /**
   * TLS and SASL for talking to the broker on the port (`BERTH_KAFKA_SSL*`, `BERTH_KAFKA_SASL_*`):
   * for an existing secured broker; the broker `up` starts itself is plaintext on loopback.
   */
  readonly kafkaSecurity: KafkaSecurityConfig;
  /** KRaft controller listener: BERTH_KAFKA_CONTROLLER_PORT, default kafkaPort + 1. */
  readonly kafkaControllerPort: number;
  /** JVM heap for the broker: BERTH_KAFKA_HEAP_MB, default 512. */
  readonly kafkaHeapMb: number;
  /** Docker engine socket: from DOCKER_HOST (unix://…) or /var/run/docker.sock. */
  readonly dockerSocket: string;
  readonly topicPrefix: string;
  /** Partitions of the tasks topic: BERTH_TASKS_PARTITIONS, default 6. */
  readonly tasksPartitions: number;
  /** Milliseconds to wait for the broker/engine to answer after starting them. */
  readonly startTimeoutMs: number;
  /** Extra dockerd arguments (BERTH_DOCKERD_ARGS, space-separated), e.g. `--data-root /srv/docker`. */
  readonly dockerdArgs: readonly string[];
  /** Extra mvn arguments (BERTH_MAVEN_ARGS, space-separated), e.g. `-s mirror-settings.xml`. */
  readonly mavenArgs: readonly string[];
}

function words(raw: string | undefined): readonly string[] {
  return Object.freeze((raw ?? '').split(/\s+/).filter((w) => w.length > 0));
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}], got '${raw}'`);
  }
  return value;
}

function dockerSocketFrom(env: NodeJS.ProcessEnv): string {
  const host = env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  if (!host.startsWith('unix://'))
    throw new Error(`DOCKER_HOST must be a unix:// socket for berth infra, got '${host}'`);
  return host.slice('unix://'.length);
}

export function loadInfraConfig(env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const kafkaPort = int(env, 'BERTH_KAFKA_PORT', 9092, 1, 65535);
  const dirs = loadHostDirs(env);
  return Object.freeze({
    stateDir: dirs.stateDir,
    cacheDir: dirs.cacheDir,
    mavenRepoDir: dirs.mavenRepoDir,
    kafkaVersion: env.BERTH_KAFKA_VERSION ?? '4.4.0',
    log4jVersion: env.BERTH_KAFKA_LOG4J_VERSION ?? '2.25.5',
    kafkaHost: '127.0.0.1',
    kafkaPort,
    kafkaSecurity: kafkaSecurityFromEnv(env),
    kafkaControllerPort: int(env, 'BERTH_KAFKA_CONTROLLER_PORT', kafkaPort + 1, 1, 65535),
    kafkaHeapMb: int(env, 'BERTH_KAFKA_HEAP_MB', 512, 128, 16384),
    dockerSocket: dockerSocketFrom(env),
    topicPrefix: env.BERTH_TOPIC_PREFIX ?? 'berth',
    tasksPartitions: int(env, 'BERTH_TASKS_PARTITIONS', 6, 1, 1000),
    startTimeoutMs: int(env, 'BERTH_INFRA_START_TIMEOUT_MS', 90_000, 1000, 600_000),
    dockerdArgs: words(env.BERTH_DOCKERD_ARGS),
    mavenArgs: words(env.BERTH_MAVEN_ARGS),
  });
}

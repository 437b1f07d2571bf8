import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { InfraConfig } from '../config/infra-config.js';
import { InfraError } from '../domain/infra-error.js';
import { type BrokerInfo, checkBroker, probeBroker } from '../kafka/broker-probe.js';
import { sleep } from '../resilience/retry.js';
import { ensureAptPackages } from './apt-package.js';
import { ensureKafkaJars } from './kafka-distribution.js';
import {
  logTail,
  type ManagedProcess,
  runningPid,
  type StartedProcess,
  startDetached,
  stopManaged,
} from './managed-process.js';
import { isPortOpen, portOwner } from './port-owner.js';

const run = promisify(execFile);

export function kafkaDir(config: InfraConfig): string {
  return join(config.stateDir, 'kafka');
}

export function kafkaProcess(config: InfraConfig): ManagedProcess {
  const dir = kafkaDir(config);
  return { name: 'kafka', pidFile: join(dir, 'kafka.pid'), logFile: join(dir, 'console.log') };
}

export function bootstrapAddress(config: InfraConfig): string {
  return `${config.kafkaHost}:${config.kafkaPort}`;
}

export type BrokerState =
  | { readonly kind: 'managed'; readonly pid: number; readonly info: BrokerInfo }
  | { readonly kind: 'external'; readonly info: BrokerInfo }
  /** A broker answers but refuses this client's credentials or TLS handshake. */
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'starting'; readonly pid: number }
  | { readonly kind: 'foreign-port'; readonly owner: string }
  | { readonly kind: 'down' };

export async function brokerState(config: InfraConfig): Promise<BrokerState> {
  const pid = await runningPid(kafkaProcess(config));
  const open = await isPortOpen(config.kafkaHost, config.kafkaPort);
  const check = open
    ? await checkBroker([bootstrapAddress(config)], {
        timeoutMs: 3000,
        security: config.kafkaSecurity,
      })
    : null;
  const info = check?.ok ? check.info : null;
  if (check && !check.ok && check.kind !== 'unreachable') return { kind: 'refused', reason: check.reason };
  if (info && pid !== null) return { kind: 'managed', pid, info };
  if (info) return { kind: 'external', info };
  if (pid !== null) return { kind: 'starting', pid };
  if (open) return { kind: 'foreign-port', owner: await portOwner(config.kafkaPort) };
  return { kind: 'down' };
}

function serverProperties(config: InfraConfig): string {
  const data = join(kafkaDir(config), 'data');
  return `# Written by berth infra up: single combined KRaft broker/controller on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=${config.kafkaHost}:${config.kafkaControllerPort}
listeners=PLAINTEXT://${config.kafkaHost}:${config.kafkaPort},CONTROLLER://${config.kafkaHost}:${config.kafkaControllerPort}
advertised.listeners=PLAINTEXT://${config.kafkaHost}:${config.kafkaPort}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${data}
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
`;
}

function log4jProperties(config: InfraConfig): string {
  const file = join(kafkaDir(config), 'server.log');
  return `status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${file}
appender.file.filePattern = ${file}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
`;
}

async function formatStorage(config: InfraConfig, lib: string, propsFile: string): Promise<void> {
  const meta = join(kafkaDir(config), 'data', 'meta.properties');
  if (existsSync(meta)) return;
  const cp = `${lib}/*`;
  const { stdout } = await run('java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid']);
  const clusterId = stdout.trim().split('\n').pop() ?? '';
  await run('java', [
    '-cp',
    cp,
    'kafka.tools.StorageTool',
    'format',
    '--standalone',
    '-g',
    // One argument, so an id that starts with '-' could not be read as an option.
    `--cluster-id=${clusterId}`,
    '-c',
    propsFile,
  ]);
}

/** Writes config, formats storage once and starts the broker. */
async function startBroker(config: InfraConfig, log: (line: string) => void): Promise<StartedProcess> {
  await ensureAptPackages('java', ['default-jre-headless'], log);
  const lib = await ensureKafkaJars(config, log);
  const dir = kafkaDir(config);
  await mkdir(join(dir, 'data'), { recursive: true });
  const propsFile = join(dir, 'server.properties');
  const log4jFile = join(dir, 'log4j2.properties');
  await writeFile(propsFile, serverProperties(config));
  await writeFile(log4jFile, log4jProperties(config));
  await formatStorage(config, lib, propsFile);
  const heap = `${config.kafkaHeapMb}m`;
  const args = [
    `-Xms${Math.min(256, config.kafkaHeapMb)}m`,
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${log4jFile}`,
  ];
  return startDetached(kafkaProcess(config), 'java', [...args, '-cp', `${lib}/*`, 'kafka.Kafka', propsFile]);
}

/**
 * Makes a Kafka broker answer on the configured bootstrap address: one already answering there is
 * used as is; a port held by something that is not Kafka is a clear error; otherwise Berth's own
 * broker is started and awaited until a client can create a topic.
 */
export async function ensureBroker(config: InfraConfig, log: (line: string) => void): Promise<BrokerState> {
  const before = await brokerState(config);
  if (before.kind === 'managed' || before.kind === 'external') {
    log(`kafka: broker already answering on ${bootstrapAddress(config)} (${before.kind})`);
    return before;
  }
  if (before.kind === 'refused') {
    throw new InfraError(`Kafka at ${bootstrapAddress(config)} ${before.reason}`, {
      retriable: false,
      component: 'kafka',
    });
  }
  const { tls, sasl } = config.kafkaSecurity;
  if (tls || sasl) {
    throw new InfraError(
      `nothing answers as Kafka on ${bootstrapAddress(config)} with ${tls ? 'TLS' : 'SASL'}, and the broker berth infra starts is plaintext: point BERTH_KAFKA_PORT at your secured broker or unset BERTH_KAFKA_SSL*/BERTH_KAFKA_SASL_*`,
      { retriable: false, component: 'kafka' },
    );
  }
  if (before.kind === 'foreign-port') {
    throw new InfraError(
      `port ${config.kafkaPort} is taken by ${before.owner}, which does not answer as Kafka; stop it or set BERTH_KAFKA_PORT`,
      { retriable: false, component: 'kafka' },
    );
  }
  // A broker still starting from an earlier `up` is awaited; how it exits is then unknown here.
  const child = before.kind === 'starting' ? null : await startBroker(config, log);
  const pid = before.kind === 'starting' ? before.pid : (child?.pid ?? -1);
  // The start timeout counts from the broker's start: resolving the jars from Maven Central into
  // an empty cache (a minute or two) must not eat it, or a first `up` kills a healthy broker.
  const started = Date.now();
  log(`kafka: broker ${config.kafkaVersion} started (pid ${pid}), waiting until a topic can be created`);
  return waitForBroker(config, pid, child, started, log);
}

async function waitForBroker(
  config: InfraConfig,
  pid: number,
  child: StartedProcess | null,
  started: number,
  log: (line: string) => void,
): Promise<BrokerState> {
  const proc = kafkaProcess(config);
  while (Date.now() - started < config.startTimeoutMs) {
    const info = await probeBroker([bootstrapAddress(config)], { createTopic: true, timeoutMs: 3000 });
    if (info) {
      log(`kafka: broker ready in ${Date.now() - started} ms`);
      return { kind: 'managed', pid, info };
    }
    if ((await runningPid(proc)) === null) break;
    await sleep(500);
  }
  const tail = (await logTail(join(kafkaDir(config), 'server.log'), 10)) || (await logTail(proc.logFile, 10));
  const exit = child?.exitStatus();
  const how = exit
    ? `it exited (${exit}) after ${Date.now() - started} ms`
    : `not ready within ${config.startTimeoutMs} ms (BERTH_INFRA_START_TIMEOUT_MS)`;
  await stopManaged(proc, 10_000);
  throw new InfraError(
    `the Kafka broker did not come up on ${bootstrapAddress(config)}: ${how}; last log lines:\n${tail || '(none)'}`,
    {
      retriable: false,
      component: 'kafka',
    },
  );
}

/** Stops the broker only if `berth infra up` started it. */
export function stopBroker(config: InfraConfig): Promise<boolean> {
  return stopManaged(kafkaProcess(config), 30_000);
}

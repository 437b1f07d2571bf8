import { homedir, hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { MAX_CALL_SOCKET_DIR_BYTES } from '../containers/call-socket-server.js';
import { InfraError } from '../domain/infra-error.js';
import { INSTALLATION_ID_PATTERN } from '../domain/installation.js';
import { MAX_TASK_TIMEOUT_MS } from '../domain/task-event.js';
import { parseSecretsConfig, type SecretsConfig } from '../secrets/secrets-config.js';
import { type KafkaSecurityConfig, kafkaSecurityFromEnv } from './kafka-security-config.js';
import { parseSchemaRegistrySettings, type SchemaRegistrySettings } from './schema-registry-settings.js';
import { WORKER_SETTINGS, type WorkerSettingKey, type WorkerSettingSpec } from './worker-settings.js';

/**
 * Settings of `berth worker`, from command-line flags and `BERTH_*` environment variables
 * (a flag wins over its variable), validated once and frozen. Units are in the names.
 */
export interface WorkerConfig {
  readonly brokers: readonly string[];
  /** TLS and SASL towards Kafka (`BERTH_KAFKA_SSL*`, `BERTH_KAFKA_SASL_*`). */
  readonly kafkaSecurity: KafkaSecurityConfig;
  readonly topicPrefix: string;
  readonly workerId: string;
  /**
   * `berth.installation` label value of this worker's task containers (see
   * `domain/installation.ts`); null: `<Kafka cluster id>/<topic prefix>`, resolved at start.
   */
  readonly installationId: string | null;
  /** Concurrent task containers. */
  readonly slots: number;
  /** Sum of task memory limits that may run at once. */
  readonly memoryBudgetBytes: number;
  /** Tasks held beyond the slots (consumed, waiting for a slot). */
  readonly prefetch: number;
  /**
   * Starvation bound of the priority lanes: grants in a row (intake room, slots) that may pass
   * over waiting lower-priority work; the next goes to it.
   */
  readonly maxPassOvers: number;
  /** Calls queued on one function-mode container at most. */
  readonly functionPipelineDepth: number;
  /**
   * The call socket function containers carry their frames on (docs/function-runtimes.md "Call
   * socket"): its directory (null: a new one under the temp dir) and, for a worker in a container,
   * the named volume that directory is. Null: frames travel on Docker's attach stream.
   */
  readonly callSocket: { readonly dir: string | null; readonly volume: string | null } | null;
  /** Consumer group session timeout: a silent worker's partitions move after this. */
  readonly sessionTimeoutMs: number;
  /** Fetched records buffered per partition before fetching it pauses. */
  readonly intakeBufferBytes: number;
  readonly defaultMemoryBytes: number;
  readonly defaultTimeoutMs: number;
  readonly defaultNanoCpus: number;
  readonly defaultPidsLimit: number;
  readonly defaultMaxAttempts: number;
  readonly payloadCapBytes: number;
  readonly stdoutCapBytes: number;
  readonly stderrCapBytes: number;
  readonly outputCapBytes: number;
  /** Idle started containers kept per prewarmed stack. */
  readonly warmPoolSize: number;
  /** Stacks to prewarm; empty = every stack the catalog knows. */
  readonly prewarmStacks: readonly string[];
  /** On shutdown, running tasks get this long before they are killed. */
  readonly drainDeadlineMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly metricsHost: string;
  /** 0 picks a free port. */
  readonly metricsPort: number;
  readonly statsIntervalMs: number;
  readonly reaperIntervalMs: number;
  /** A HOT code package's idle container is removed after this long without a task. */
  readonly hotIdleMs: number;
  /** A worker silent on berth.metrics for this many stats intervals counts as dead. */
  readonly deadAfterIntervals: number;
  /** How long a cancel is remembered for a task that has not arrived yet. */
  readonly cancelMemoryMs: number;
  /** Least time between two progress records of one attempt; 0: no progress published. */
  readonly progressIntervalMs: number;
  /** Live output bytes published per attempt at most. */
  readonly progressMaxBytesPerTask: number;
  /** A task id seen again within this window runs once; 0 turns the idempotency memory off. */
  readonly idempotencyWindowMs: number;
  /** Task ids the idempotency memory holds at most. */
  readonly idempotencyMaxIds: number;
  /** Directory of verified code package tarballs, by digest. */
  readonly codeCacheDir: string;
  /** Extra labels on every task container; the reaper only considers containers carrying them. */
  readonly containerLabels: Readonly<Record<string, string>>;
  /** Where secret values come from on this host (`--secrets-dir`, `--secrets-from-env`); names only. */
  readonly secrets: SecretsConfig;
  /** Schema registry mode (docs/wire-format.md); null: fixed ids of schemas/ids.json. */
  readonly schemaRegistry: SchemaRegistrySettings | null;
}

export type WorkerFlags = Readonly<Partial<Record<WorkerSettingKey, string | undefined>>>;

function fail(message: string): never {
  throw new InfraError(message, { retriable: false, component: 'config' });
}

function rawValue(key: WorkerSettingKey, flags: WorkerFlags, env: NodeJS.ProcessEnv): string | undefined {
  const flag = flags[key];
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = env[WORKER_SETTINGS[key].env];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function intSetting(key: WorkerSettingKey, flags: WorkerFlags, env: NodeJS.ProcessEnv): number {
  const spec: WorkerSettingSpec = WORKER_SETTINGS[key];
  const raw = rawValue(key, flags, env);
  if (raw === undefined) return Number(spec.fallback);
  const value = Number(raw);
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    fail(`--${spec.flag} / ${spec.env} must be an integer in [${min}, ${max}], got '${raw}'`);
  }
  return value;
}

function listSetting(key: WorkerSettingKey, flags: WorkerFlags, env: NodeJS.ProcessEnv): string[] {
  const raw = rawValue(key, flags, env) ?? String(WORKER_SETTINGS[key].fallback);
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function stringSetting(key: WorkerSettingKey, flags: WorkerFlags, env: NodeJS.ProcessEnv): string {
  return rawValue(key, flags, env) ?? String(WORKER_SETTINGS[key].fallback);
}

function callSocketSetting(dir: string, volume: string): WorkerConfig['callSocket'] {
  if (dir === 'off') {
    if (volume !== '') fail('a call socket volume was given with --call-socket-dir off');
    return null;
  }
  if (volume !== '' && dir === '')
    fail('--call-socket-volume needs --call-socket-dir: where that volume is mounted in the worker');
  if (dir !== '' && !isAbsolute(dir))
    fail(`--call-socket-dir must be an absolute path, got ${JSON.stringify(dir)}`);
  // Each socket's name takes 38 bytes; Linux allows 107 for the whole path.
  if (Buffer.byteLength(dir) > MAX_CALL_SOCKET_DIR_BYTES)
    fail(
      `--call-socket-dir is too long for a Unix socket path (${MAX_CALL_SOCKET_DIR_BYTES} bytes at most): ${dir}`,
    );
  return Object.freeze({ dir: dir === '' ? null : dir, volume: volume === '' ? null : volume });
}

function labelsSetting(pairs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(`--container-labels / BERTH_CONTAINER_LABELS wants k=v[,k=v…], got '${pair}'`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

function secretsSetting(flags: WorkerFlags, env: NodeJS.ProcessEnv): SecretsConfig {
  try {
    return parseSecretsConfig(rawValue('secretsDir', flags, env), listSetting('secretsFromEnv', flags, env));
  } catch (err) {
    return fail((err as Error).message);
  }
}

function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Reads, validates and freezes the worker settings; throws a one-line `InfraError` (config). */
export function loadWorkerConfig(
  flags: WorkerFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): WorkerConfig {
  const int = (key: WorkerSettingKey) => intSetting(key, flags, env);
  const brokers = listSetting('brokers', flags, env);
  if (brokers.length === 0 || brokers.some((b) => !/^[^:\s]+:\d+$/.test(b))) {
    fail(`--brokers / BERTH_KAFKA_BROKERS must be host:port[,host:port…], got '${brokers.join(',')}'`);
  }
  const topicPrefix = stringSetting('topicPrefix', flags, env);
  if (!/^[A-Za-z0-9._-]+$/.test(topicPrefix))
    fail(`--topic-prefix / BERTH_TOPIC_PREFIX is not a valid topic name: '${topicPrefix}'`);
  const workerId = rawValue('workerId', flags, env) ?? defaultWorkerId();
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(workerId))
    fail(`--worker-id / BERTH_WORKER_ID must be [A-Za-z0-9._-]{1,128}, got '${workerId}'`);
  const installationId = rawValue('installationId', flags, env) ?? null;
  if (installationId !== null && !INSTALLATION_ID_PATTERN.test(installationId))
    fail(
      `--installation-id / BERTH_INSTALLATION_ID must be [A-Za-z0-9._:/-]{1,200}, got '${installationId}'`,
    );
  const config: WorkerConfig = {
    brokers,
    kafkaSecurity: kafkaSecurityFromEnv(env),
    topicPrefix,
    workerId,
    installationId,
    slots: int('slots'),
    memoryBudgetBytes: int('memoryBudgetBytes'),
    prefetch: int('prefetch'),
    maxPassOvers: int('maxPassOvers'),
    intakeBufferBytes: int('intakeBufferBytes'),
    sessionTimeoutMs: int('sessionTimeoutMs'),
    functionPipelineDepth: int('functionPipelineDepth'),
    callSocket: callSocketSetting(
      rawValue('callSocketDir', flags, env) ?? '',
      rawValue('callSocketVolume', flags, env) ?? '',
    ),
    defaultMemoryBytes: int('defaultMemoryBytes'),
    defaultTimeoutMs: int('defaultTimeoutMs'),
    defaultNanoCpus: int('defaultNanoCpus'),
    defaultPidsLimit: int('defaultPidsLimit'),
    defaultMaxAttempts: int('defaultMaxAttempts'),
    payloadCapBytes: int('payloadCapBytes'),
    stdoutCapBytes: int('stdoutCapBytes'),
    stderrCapBytes: int('stderrCapBytes'),
    outputCapBytes: int('outputCapBytes'),
    warmPoolSize: int('warmPoolSize'),
    prewarmStacks: listSetting('prewarmStacks', flags, env),
    drainDeadlineMs: int('drainDeadlineMs'),
    retryBaseDelayMs: int('retryBaseDelayMs'),
    retryMaxDelayMs: int('retryMaxDelayMs'),
    metricsHost: stringSetting('metricsHost', flags, env),
    metricsPort: int('metricsPort'),
    statsIntervalMs: int('statsIntervalMs'),
    reaperIntervalMs: int('reaperIntervalMs'),
    hotIdleMs: int('hotIdleMs'),
    deadAfterIntervals: int('deadAfterIntervals'),
    cancelMemoryMs: int('cancelMemoryMs'),
    progressIntervalMs: int('progressIntervalMs'),
    progressMaxBytesPerTask: int('progressMaxBytesPerTask'),
    idempotencyWindowMs: int('idempotencyWindowMs'),
    idempotencyMaxIds: int('idempotencyMaxIds'),
    codeCacheDir: resolve(
      rawValue('codeCacheDir', flags, env) ??
        join(env.BERTH_STATE_DIR ?? join(homedir(), '.berth'), 'code-cache'),
    ),
    containerLabels: labelsSetting(listSetting('containerLabels', flags, env)),
    secrets: secretsSetting(flags, env),
    schemaRegistry: parseSchemaRegistrySettings({
      url: rawValue('schemaRegistryUrl', flags, env),
      username: rawValue('schemaRegistryUsername', flags, env),
      password: rawValue('schemaRegistryPassword', flags, env),
      requestTimeoutMs: int('schemaRegistryTimeoutMs'),
      caFile: rawValue('schemaRegistryCaFile', flags, env),
    }),
  };
  checkRelations(config);
  return Object.freeze({
    ...config,
    brokers: Object.freeze(brokers),
    prewarmStacks: Object.freeze(config.prewarmStacks),
  });
}

function checkRelations(c: WorkerConfig): void {
  if (c.defaultMemoryBytes > c.memoryBudgetBytes) {
    fail(
      `default task memory (${c.defaultMemoryBytes} bytes) exceeds the memory budget (${c.memoryBudgetBytes} bytes)`,
    );
  }
  if (c.defaultTimeoutMs > MAX_TASK_TIMEOUT_MS)
    fail(`default task timeout exceeds ${MAX_TASK_TIMEOUT_MS} ms`);
  if (c.retryBaseDelayMs > c.retryMaxDelayMs) fail('retry base delay exceeds retry max delay');
}

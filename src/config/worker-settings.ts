const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/**
 * Largest task payload a worker accepts unless `BERTH_PAYLOAD_CAP_BYTES` says otherwise; the SDK
 * and the CLI refuse larger payloads before sending with the same default.
 */
export const DEFAULT_PAYLOAD_CAP_BYTES = 64 * KIB;

/** One worker setting: its `--flag`, its `BERTH_*` variable, default and bounds (integers). */
export interface WorkerSettingSpec {
  readonly flag: string;
  readonly env: string;
  readonly fallback: string | number;
  readonly min?: number;
  readonly max?: number;
  readonly help: string;
}

/**
 * The table of `berth worker` settings; `loadWorkerConfig` reads it and the CLI derives its flags
 * and help text from it, so a setting is declared once.
 */
export const WORKER_SETTINGS = {
  brokers: {
    flag: 'brokers',
    env: 'BERTH_KAFKA_BROKERS',
    fallback: '127.0.0.1:9092',
    help: 'Kafka bootstrap servers',
  },
  topicPrefix: {
    flag: 'topic-prefix',
    env: 'BERTH_TOPIC_PREFIX',
    fallback: 'berth',
    help: 'topic name prefix',
  },
  workerId: {
    flag: 'worker-id',
    env: 'BERTH_WORKER_ID',
    fallback: '',
    help: 'worker id (default host-pid-random)',
  },
  slots: {
    flag: 'slots',
    env: 'BERTH_SLOTS',
    fallback: 2,
    min: 1,
    max: 1024,
    help: 'concurrent task containers',
  },
  memoryBudgetBytes: {
    flag: 'memory-budget-bytes',
    env: 'BERTH_MEMORY_BUDGET_BYTES',
    fallback: 2 * GIB,
    min: 16 * MIB,
    help: 'sum of task memory limits running at once',
  },
  prefetch: {
    flag: 'prefetch',
    env: 'BERTH_PREFETCH',
    fallback: 256,
    min: 0,
    max: 4096,
    help: 'tasks held beyond slots (waiting for a slot or for their result to be acknowledged)',
  },
  sessionTimeoutMs: {
    flag: 'session-timeout-ms',
    env: 'BERTH_SESSION_TIMEOUT_MS',
    fallback: 6_000,
    min: 6_000,
    max: 300_000,
    help: 'consumer group session: a silent worker loses its partitions after this',
  },
  maxPassOvers: {
    flag: 'max-pass-overs',
    env: 'BERTH_MAX_PASS_OVERS',
    fallback: 9,
    min: 1,
    max: 1000,
    help: 'grants in a row higher-priority work may take past waiting lower-priority work (which then gets the next)',
  },
  intakeBufferBytes: {
    flag: 'intake-buffer-bytes',
    env: 'BERTH_INTAKE_BUFFER_BYTES',
    fallback: MIB,
    min: 16 * KIB,
    max: 256 * MIB,
    help: 'fetched-but-not-taken bytes per partition before fetching it pauses',
  },
  defaultMemoryBytes: {
    flag: 'default-memory-bytes',
    env: 'BERTH_DEFAULT_MEMORY_BYTES',
    fallback: 256 * MIB,
    min: 8 * MIB,
    help: 'task memory limit when the task names none',
  },
  defaultTimeoutMs: {
    flag: 'default-timeout-ms',
    env: 'BERTH_DEFAULT_TIMEOUT_MS',
    fallback: 5 * 60 * 1000,
    min: 100,
    help: 'task timeout when the task names none',
  },
  defaultNanoCpus: {
    flag: 'default-nano-cpus',
    env: 'BERTH_DEFAULT_NANO_CPUS',
    fallback: 1_000_000_000,
    min: 10_000_000,
    help: 'CPU quota per task (1e9 = one CPU)',
  },
  defaultPidsLimit: {
    flag: 'default-pids-limit',
    env: 'BERTH_DEFAULT_PIDS_LIMIT',
    fallback: 128,
    min: 8,
    help: 'pids per task',
  },
  defaultMaxAttempts: {
    flag: 'default-max-attempts',
    env: 'BERTH_DEFAULT_MAX_ATTEMPTS',
    fallback: 1,
    min: 1,
    max: 100,
    help: 'attempts when neither task nor package says',
  },
  payloadCapBytes: {
    flag: 'payload-cap-bytes',
    env: 'BERTH_PAYLOAD_CAP_BYTES',
    fallback: DEFAULT_PAYLOAD_CAP_BYTES,
    min: 1,
    max: 16 * MIB,
    help: 'largest accepted payload',
  },
  stdoutCapBytes: {
    flag: 'stdout-cap-bytes',
    env: 'BERTH_STDOUT_CAP_BYTES',
    fallback: MIB,
    min: 0,
    help: 'stdout kept per task',
  },
  stderrCapBytes: {
    flag: 'stderr-cap-bytes',
    env: 'BERTH_STDERR_CAP_BYTES',
    fallback: MIB,
    min: 0,
    help: 'stderr kept per task',
  },
  outputCapBytes: {
    flag: 'output-cap-bytes',
    env: 'BERTH_OUTPUT_CAP_BYTES',
    fallback: MIB,
    min: 0,
    help: '/task/out bytes kept',
  },
  warmPoolSize: {
    flag: 'warm-pool-size',
    env: 'BERTH_WARM_POOL_SIZE',
    fallback: 1,
    min: 0,
    max: 64,
    help: 'idle containers per stack',
  },
  functionPipelineDepth: {
    flag: 'function-pipeline-depth',
    env: 'BERTH_FUNCTION_PIPELINE_DEPTH',
    fallback: 32,
    min: 1,
    max: 256,
    help: 'calls queued on one function-mode container at most (hides the round trip)',
  },
  callSocketDir: {
    flag: 'call-socket-dir',
    env: 'BERTH_CALL_SOCKET_DIR',
    fallback: '',
    help: "directory of the call sockets of function containers, one per container (default: a new one under the temp dir; 'off': Docker's attach stream)",
  },
  callSocketVolume: {
    flag: 'call-socket-volume',
    env: 'BERTH_CALL_SOCKET_VOLUME',
    fallback: '',
    help: 'named volume mounted at --call-socket-dir (a worker in a container); default: that directory is a host path',
  },
  prewarmStacks: {
    flag: 'prewarm-stacks',
    env: 'BERTH_PREWARM_STACKS',
    fallback: '',
    help: 'stacks to prewarm (default: all)',
  },
  drainDeadlineMs: {
    flag: 'drain-deadline-ms',
    env: 'BERTH_DRAIN_DEADLINE_MS',
    fallback: 30_000,
    min: 0,
    help: 'on shutdown, time running tasks get',
  },
  retryBaseDelayMs: {
    flag: 'retry-base-delay-ms',
    env: 'BERTH_RETRY_BASE_DELAY_MS',
    fallback: 1000,
    min: 0,
    help: 'retry backoff base',
  },
  retryMaxDelayMs: {
    flag: 'retry-max-delay-ms',
    env: 'BERTH_RETRY_MAX_DELAY_MS',
    fallback: 60_000,
    min: 0,
    help: 'retry backoff cap',
  },
  metricsHost: {
    flag: 'metrics-host',
    env: 'BERTH_METRICS_HOST',
    fallback: '127.0.0.1',
    help: '/metrics listen address',
  },
  metricsPort: {
    flag: 'metrics-port',
    env: 'BERTH_METRICS_PORT',
    fallback: 9464,
    min: 0,
    max: 65535,
    help: '/metrics port (0: any)',
  },
  statsIntervalMs: {
    flag: 'stats-interval-ms',
    env: 'BERTH_STATS_INTERVAL_MS',
    fallback: 5000,
    min: 100,
    help: 'WorkerStats period',
  },
  reaperIntervalMs: {
    flag: 'reaper-interval-ms',
    env: 'BERTH_REAPER_INTERVAL_MS',
    fallback: 30_000,
    min: 1000,
    help: 'reaper period',
  },
  hotIdleMs: {
    flag: 'hot-idle-ms',
    env: 'BERTH_HOT_IDLE_MS',
    fallback: 60_000,
    min: 100,
    help: 'idle time after which a HOT package container is removed',
  },
  deadAfterIntervals: {
    flag: 'dead-after-intervals',
    env: 'BERTH_DEAD_AFTER_INTERVALS',
    fallback: 3,
    min: 2,
    max: 100,
    help: 'stats intervals of silence before a worker counts as dead',
  },
  installationId: {
    flag: 'installation-id',
    env: 'BERTH_INSTALLATION_ID',
    fallback: '',
    help: 'installation label of task containers; the reaper only touches its own installation (default <Kafka cluster id>/<topic prefix>)',
  },
  containerLabels: {
    flag: 'container-labels',
    env: 'BERTH_CONTAINER_LABELS',
    fallback: '',
    help: 'extra labels k=v,… on task containers (the reaper only looks at those)',
  },
  codeCacheDir: {
    flag: 'code-cache-dir',
    env: 'BERTH_CODE_CACHE_DIR',
    fallback: '',
    help: 'verified code tarballs by digest (default $BERTH_STATE_DIR/code-cache, ~/.berth/code-cache)',
  },
  secretsDir: {
    flag: 'secrets-dir',
    env: 'BERTH_SECRETS_DIR',
    fallback: '',
    help: 'directory of secret files, one per name (<dir>/<NAME>), for packages that declare secrets',
  },
  secretsFromEnv: {
    flag: 'secrets-from-env',
    env: 'BERTH_SECRETS_FROM_ENV',
    fallback: '',
    help: "names of this worker's environment variables packages may receive as secrets (NAME1,NAME2)",
  },
  cancelMemoryMs: {
    flag: 'cancel-memory-ms',
    env: 'BERTH_CANCEL_MEMORY_MS',
    fallback: 600_000,
    min: 0,
    help: 'cancel remembered for',
  },
  progressIntervalMs: {
    flag: 'progress-interval-ms',
    env: 'BERTH_PROGRESS_INTERVAL_MS',
    fallback: 250,
    min: 0,
    max: 60_000,
    help: 'live output and progress of a running task: at most one record per task per this (0: none published)',
  },
  progressMaxBytesPerTask: {
    flag: 'progress-max-bytes-per-task',
    env: 'BERTH_PROGRESS_MAX_BYTES_PER_TASK',
    fallback: 256 * KIB,
    min: 0,
    max: MIB,
    help: 'live output bytes published per task attempt at most (the result keeps its own caps)',
  },
  idempotencyWindowMs: {
    flag: 'idempotency-window-ms',
    env: 'BERTH_IDEMPOTENCY_WINDOW_MS',
    fallback: 3_600_000,
    min: 0,
    help: 'a task id seen again within this window runs once (0: no idempotency memory)',
  },
  idempotencyMaxIds: {
    flag: 'idempotency-max-ids',
    env: 'BERTH_IDEMPOTENCY_MAX_IDS',
    fallback: 100_000,
    min: 1,
    max: 10_000_000,
    help: 'task ids the idempotency memory holds at most (least recently seen forgotten first)',
  },
  schemaRegistryUrl: {
    flag: 'schema-registry-url',
    env: 'BERTH_SCHEMA_REGISTRY_URL',
    fallback: '',
    help: 'Confluent-compatible schema registry (user:password@ allowed); unset: fixed ids of schemas/ids.json',
  },
  schemaRegistryUsername: {
    flag: 'schema-registry-username',
    env: 'BERTH_SCHEMA_REGISTRY_USERNAME',
    fallback: '',
    help: 'schema registry basic-auth user',
  },
  schemaRegistryPassword: {
    flag: 'schema-registry-password',
    env: 'BERTH_SCHEMA_REGISTRY_PASSWORD',
    fallback: '',
    help: 'schema registry basic-auth password (prefer the variable: flags show in ps)',
  },
  schemaRegistryTimeoutMs: {
    flag: 'schema-registry-timeout-ms',
    env: 'BERTH_SCHEMA_REGISTRY_TIMEOUT_MS',
    fallback: 5000,
    min: 100,
    max: 120_000,
    help: 'schema registry request timeout',
  },
  schemaRegistryCaFile: {
    flag: 'schema-registry-ca-file',
    env: 'BERTH_SCHEMA_REGISTRY_CA_FILE',
    fallback: '',
    help: 'PEM CA bundle trusted for an https schema registry',
  },
} as const satisfies Record<string, WorkerSettingSpec>;

export type WorkerSettingKey = keyof typeof WORKER_SETTINGS;

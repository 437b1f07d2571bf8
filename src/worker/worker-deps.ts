import type { Codec } from '../codecs/codec.js';
import type { WorkerConfig } from '../config/worker-config.js';
import type { CodeResolverPort } from '../domain/code-resolver-port.js';
import type { Control } from '../domain/control.js';
import type { ExecutorPort } from '../domain/executor-port.js';
import type { StackCatalogPort } from '../domain/stack-catalog-port.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { TaskResult } from '../domain/task-result.js';
import type { TelemetryPort } from '../domain/telemetry-port.js';
import type { WorkerStats } from '../domain/worker-stats.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import type { SecretResolverPort } from '../secrets/secret-resolver.js';
import type { WorkerLiveness } from './worker-liveness.js';

/** The containers' orphan reaper, as the worker drives it. */
export interface ReaperPort {
  reapOnce(opts: { includeOwn: boolean }): Promise<{ own: number; stale: number }>;
  start(onReaped: (counts: { own: number; stale: number }) => void): void;
  stop(): Promise<void>;
}

/**
 * The installation (Kafka cluster + topic prefix) the worker's task containers are labelled with
 * (`domain/installation.ts`); resolved at start before any container is reaped or created.
 */
export interface InstallationPort {
  resolve(): Promise<string>;
}

export interface WorkerCodecs {
  readonly event: Codec<TaskEvent>;
  readonly result: Codec<TaskResult>;
  readonly stats: Codec<WorkerStats>;
  readonly control: Codec<Control>;
}

/** A code resolver that may need starting (following berth.code) and closing. */
export type WorkerCodeResolver = CodeResolverPort & { start?(): Promise<void>; close?(): Promise<void> };

/**
 * A part that runs beside intake (e.g. the scheduler). Contract: `start` returns promptly and does
 * not fail the worker for a retriable problem; `stop` is idempotent.
 */
export interface WorkerService {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface WorkerDeps {
  readonly config: WorkerConfig;
  readonly kafka: ReturnType<typeof createKafka>;
  readonly executor: ExecutorPort;
  readonly stacks: StackCatalogPort;
  readonly code: WorkerCodeResolver;
  readonly telemetry: TelemetryPort;
  readonly codecs: WorkerCodecs;
  readonly liveness: WorkerLiveness;
  readonly installation: InstallationPort;
  readonly reaper: ReaperPort | null;
  readonly log: (line: string) => void;
  /** Secrets of code packages; default: from `config.secrets` (directory, allow-listed env). */
  readonly secrets?: SecretResolverPort;
  /** Started once the worker runs (in order); all stopped when it starts draining. */
  readonly services?: readonly WorkerService[];
}

import { InfraError } from '../domain/infra-error.js';
import type { ContainerLimits } from './docker-engine-port.js';

/** Settings of the container executor; build with `executorOptions`, which validates and freezes. */
export interface ExecutorOptions {
  readonly workerId: string;
  /** Limits warm containers are created with; a request with other limits is adjusted at handover. */
  readonly defaultLimits: ContainerLimits;
  readonly taskTmpfsBytes: number;
  readonly tmpTmpfsBytes: number;
  /** Longest wait from container create to the launcher's ready frame (cold path and refill). */
  readonly readyTimeoutMs: number;
  /** Backstop: the container is killed at the task's timeout plus this grace if the launcher is silent. */
  readonly backstopGraceMs: number;
  readonly refillBackoffBaseMs: number;
  readonly refillBackoffMaxMs: number;
  /** Longest wait for the engine to report a dead container's final state (OOM check). */
  readonly exitStateWaitMs: number;
  /** Extra labels on every container (tests add `berth.test=1`). */
  readonly extraLabels: Readonly<Record<string, string>>;
  /**
   * The worker's installation id (`Installation.id`), read whenever a container is created and
   * labelled `berth.installation`. Absent (standalone executors in tests and benchmarks): no
   * installation label, so no worker's reaper ever removes those containers.
   */
  readonly installation?: () => string;
}

const MIB = 1024 * 1024;

export const DEFAULT_EXECUTOR_OPTIONS: Omit<ExecutorOptions, 'workerId'> = Object.freeze({
  defaultLimits: Object.freeze({ memoryBytes: 256 * MIB, nanoCpus: 1_000_000_000, pidsLimit: 256 }),
  taskTmpfsBytes: 128 * MIB,
  tmpTmpfsBytes: 64 * MIB,
  readyTimeoutMs: 30_000,
  backstopGraceMs: 5_000,
  refillBackoffBaseMs: 250,
  refillBackoffMaxMs: 30_000,
  exitStateWaitMs: 2_000,
  extraLabels: Object.freeze({}),
});

/** Validates and freezes executor settings; a bad value is a `config` InfraError (not retriable). */
export function executorOptions(
  input: Partial<ExecutorOptions> & Pick<ExecutorOptions, 'workerId'>,
): Readonly<ExecutorOptions> {
  const o: ExecutorOptions = { ...DEFAULT_EXECUTOR_OPTIONS, ...input };
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(o.workerId)) invalid('workerId', o.workerId);
  const l = o.defaultLimits;
  positive('defaultLimits.memoryBytes', l.memoryBytes, 6 * MIB);
  positive('defaultLimits.nanoCpus', l.nanoCpus, 1_000_000);
  positive('defaultLimits.pidsLimit', l.pidsLimit, 8);
  positive('taskTmpfsBytes', o.taskTmpfsBytes, MIB);
  positive('tmpTmpfsBytes', o.tmpTmpfsBytes, MIB);
  positive('readyTimeoutMs', o.readyTimeoutMs, 100);
  positive('backstopGraceMs', o.backstopGraceMs, 0);
  positive('refillBackoffBaseMs', o.refillBackoffBaseMs, 1);
  positive('refillBackoffMaxMs', o.refillBackoffMaxMs, o.refillBackoffBaseMs);
  positive('exitStateWaitMs', o.exitStateWaitMs, 0);
  return Object.freeze({
    ...o,
    defaultLimits: Object.freeze({ ...l }),
    extraLabels: Object.freeze({ ...o.extraLabels }),
  });
}

function positive(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) invalid(name, value, `an integer >= ${min}`);
}

function invalid(name: string, value: unknown, expected = 'valid'): never {
  throw new InfraError(`executor option ${name} must be ${expected}, got ${JSON.stringify(value)}`, {
    retriable: false,
    component: 'config',
  });
}

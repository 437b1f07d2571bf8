import { noOpTelemetry } from '../domain/no-op-telemetry.js';
import type { TaskStatus } from '../domain/task-result.js';
import type { TaskPhase, TaskSpan, TelemetryPort } from '../domain/telemetry-port.js';
import { percentile } from './bench-stats.js';

export interface OverheadFigures {
  /** SUCCEEDED tasks whose overhead was recorded. */
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** The stretch of a task span: `plan` (span start → first phase: decode, plan) and the worker's phases. */
export type SpanStretch = 'plan' | TaskPhase;
export const SPAN_STRETCHES: readonly SpanStretch[] = ['plan', 'wait_slot', 'start', 'run', 'publish'];

/** p50/p99 (ms) of each span stretch over SUCCEEDED tasks; a stretch no task went through is absent. */
export type PhaseFigures = Partial<Record<SpanStretch, { readonly p50Ms: number; readonly p99Ms: number }>>;

/** p50/p99/max of overheads given in seconds, in milliseconds (NaN when there are none). */
export function overheadFigures(seconds: readonly number[]): OverheadFigures {
  const ms = seconds.map((s) => s * 1000);
  return {
    count: ms.length,
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    maxMs: ms.length === 0 ? Number.NaN : ms.reduce((a, b) => Math.max(a, b)),
  };
}

export function phaseFigures(durations: ReadonlyMap<SpanStretch, readonly number[]>): PhaseFigures {
  const out: PhaseFigures = {};
  for (const stretch of SPAN_STRETCHES) {
    const d = durations.get(stretch);
    if (d && d.length > 0) out[stretch] = { p50Ms: percentile(d, 50), p99Ms: percentile(d, 99) };
  }
  return out;
}

/** Epoch milliseconds with sub-millisecond resolution. */
function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A span that measures how long each stretch of one task took (phase boundaries as the worker
 * reports them, a boundary given after the fact clamped to the open stretch's start, naming the
 * open phase again a no-op) and hands them over when the task ends SUCCEEDED.
 */
export class StretchSpan implements TaskSpan {
  private open: SpanStretch = 'plan';
  private openedAt: number;
  private readonly stretches: [SpanStretch, number][] = [];

  constructor(
    private readonly inner: TaskSpan,
    private readonly onSucceeded: (stretches: readonly [SpanStretch, number][]) => void,
    private readonly now: () => number = preciseNow,
  ) {
    this.openedAt = now();
  }

  phase(phase: TaskPhase, atMs?: number): void {
    this.inner.phase(phase, atMs);
    if (phase === this.open) return;
    this.close(atMs);
    this.open = phase;
  }

  private close(atMs?: number): void {
    const at = Math.max(this.openedAt, atMs ?? this.now());
    this.stretches.push([this.open, at - this.openedAt]);
    this.openedAt = at;
  }

  setAttributes(attrs: Readonly<Record<string, string | number | boolean>>): void {
    this.inner.setAttributes(attrs);
  }

  end(status: TaskStatus | 'RETRY' | 'DLQ', error?: string): void {
    this.inner.end(status, error);
    this.close();
    if (status === 'SUCCEEDED') this.onSucceeded(this.stretches);
  }
}

/**
 * A TelemetryPort for an in-process bench worker: everything goes to `inner` (default: records
 * nothing), and for SUCCEEDED tasks it keeps the worker's per-task platform overhead
 * (`seconds.overhead` of taskFinished: record consumed → result acknowledged, minus the handler's
 * run) and how long each stretch of the task's span took.
 */
export class OverheadRecorder implements TelemetryPort {
  private overheads: number[] = [];
  private stretches = new Map<SpanStretch, number[]>();

  constructor(private readonly inner: TelemetryPort = noOpTelemetry) {}

  /** Overheads (seconds) recorded since the last take, then forgets them (e.g. after a warm-up). */
  take(): number[] {
    const taken = this.overheads;
    this.overheads = [];
    return taken;
  }

  /** Stretch durations (ms) recorded since the last call, then forgets them. */
  takeStretches(): Map<SpanStretch, number[]> {
    const taken = this.stretches;
    this.stretches = new Map();
    return taken;
  }

  get recorded(): number {
    return this.overheads.length;
  }

  startTask(
    headers: Readonly<Record<string, string>>,
    attrs: { taskId: string; topic: string; partition: number; offset: string },
  ): TaskSpan {
    return new StretchSpan(this.inner.startTask(headers, attrs), (done) => {
      for (const [stretch, ms] of done) {
        const list = this.stretches.get(stretch);
        if (list) list.push(ms);
        else this.stretches.set(stretch, [ms]);
      }
    });
  }

  taskFinished(
    stack: string,
    status: TaskStatus,
    seconds: { queueWait: number; startLatency: number; run: number; overhead: number },
  ): void {
    if (status === 'SUCCEEDED') this.overheads.push(seconds.overhead);
    this.inner.taskFinished(stack, status, seconds);
  }

  taskRetried(stack: string): void {
    this.inner.taskRetried(stack);
  }

  deadLettered(reason: string): void {
    this.inner.deadLettered(reason);
  }

  containersReaped(count: number): void {
    this.inner.containersReaped(count);
  }

  infraError(component: 'kafka' | 'docker'): void {
    this.inner.infraError(component);
  }

  sample(snapshot: Parameters<TelemetryPort['sample']>[0]): void {
    this.inner.sample(snapshot);
  }
}

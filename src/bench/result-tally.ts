import type { TaskResult } from '../domain/task-result.js';
import { percentile } from './bench-stats.js';

/**
 * Where a task's time went, from the timings its result carries (worker and container clocks,
 * whole milliseconds) and the moment the bench saw the result:
 * - `toGrant`: created (by the bench's producer) → handed to a slot or function container in the
 *   worker: Kafka delivery, intake, decode, planning;
 * - `dispatch`: → the call or process started in the container (the attach stream, launcher);
 * - `run`: → the call or process ended;
 * - `toArrival`: → the bench's follower read the result: back to the worker, publish and
 *   acknowledgement, the follower's fetch.
 */
export interface TaskLegs {
  readonly toGrant: LegPercentiles;
  readonly dispatch: LegPercentiles;
  readonly run: LegPercentiles;
  readonly toArrival: LegPercentiles;
}

export interface LegPercentiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const LEG_NAMES = ['toGrant', 'dispatch', 'run', 'toArrival'] as const;

/** What a run's results came to; `correct === expected` (and nothing else) is a clean run. */
export interface TallySummary {
  readonly expected: number;
  /** Expected tasks with at least one result. */
  readonly answered: number;
  /** First results that were SUCCEEDED. */
  readonly succeeded: number;
  /** SUCCEEDED and answering what the task's payload asks for. */
  readonly correct: number;
  /** Further results for a task already answered (at-least-once delivery allows them). */
  readonly duplicates: number;
  /** Results for task ids this tally never expected. */
  readonly unknown: number;
  /** First result per task, by status. */
  readonly statuses: Readonly<Record<string, number>>;
  /** The first few problems, one line each (wrong value, failed status with its reason). */
  readonly problems: readonly string[];
  readonly firstArrivalMs: number | null;
  readonly lastArrivalMs: number | null;
  /** Percentiles of where the answered tasks' time went; null when none was answered. */
  readonly legs: TaskLegs | null;
}

/**
 * Checks every result of a run against what its task must answer: expects task ids with their
 * payloads, and for each first result per id counts the status and runs `check` on SUCCEEDED
 * ones. Keeps counts and a few examples only, never the results themselves.
 */
export class ResultTally {
  private readonly pending = new Map<string, Uint8Array>();
  private readonly done = new Set<string>();
  private succeeded = 0;
  private correct = 0;
  private duplicates = 0;
  private unknown = 0;
  private readonly statuses: Record<string, number> = {};
  private readonly problems: string[] = [];
  private firstArrivalMs: number | null = null;
  private lastArrivalMs: number | null = null;
  private readonly legMs: Record<(typeof LEG_NAMES)[number], number[]> = {
    toGrant: [],
    dispatch: [],
    run: [],
    toArrival: [],
  };

  constructor(
    private readonly check: (result: TaskResult, payload: Uint8Array) => string | null,
    private readonly maxProblems = 5,
  ) {}

  expect(id: string, payload: Uint8Array): void {
    this.pending.set(id, payload);
  }

  /** Whether `id` is one of this tally's tasks (answered or not). */
  knows(id: string): boolean {
    return this.pending.has(id) || this.done.has(id);
  }

  get answered(): number {
    return this.done.size;
  }

  get expected(): number {
    return this.pending.size + this.done.size;
  }

  get complete(): boolean {
    return this.pending.size === 0;
  }

  record(result: TaskResult, arrivedAtMs: number): void {
    const payload = this.pending.get(result.id);
    if (payload === undefined) {
      if (this.done.has(result.id)) this.duplicates++;
      else this.unknown++;
      return;
    }
    this.pending.delete(result.id);
    this.done.add(result.id);
    this.firstArrivalMs ??= arrivedAtMs;
    this.lastArrivalMs = arrivedAtMs;
    this.statuses[result.status] = (this.statuses[result.status] ?? 0) + 1;
    this.legMs.toGrant.push(result.queueWaitMs);
    this.legMs.dispatch.push(result.startLatencyMs);
    this.legMs.run.push(result.runMs);
    this.legMs.toArrival.push(Math.max(0, arrivedAtMs - result.finishedAtMs));
    if (result.status !== 'SUCCEEDED') {
      this.problem(`${result.id}: ${result.status}: ${result.reason ?? 'no reason'}`);
      return;
    }
    this.succeeded++;
    const wrong = this.check(result, payload);
    if (wrong === null) this.correct++;
    else this.problem(`${result.id}: ${wrong}`);
  }

  private problem(line: string): void {
    if (this.problems.length < this.maxProblems) this.problems.push(line);
  }

  summary(): TallySummary {
    return {
      expected: this.expected,
      answered: this.answered,
      succeeded: this.succeeded,
      correct: this.correct,
      duplicates: this.duplicates,
      unknown: this.unknown,
      statuses: { ...this.statuses },
      problems: [...this.problems],
      firstArrivalMs: this.firstArrivalMs,
      lastArrivalMs: this.lastArrivalMs,
      legs: this.legs(),
    };
  }

  private legs(): TaskLegs | null {
    if (this.legMs.run.length === 0) return null;
    const of = (ms: readonly number[]): LegPercentiles => ({
      p50Ms: percentile(ms, 50),
      p99Ms: percentile(ms, 99),
    });
    return {
      toGrant: of(this.legMs.toGrant),
      dispatch: of(this.legMs.dispatch),
      run: of(this.legMs.run),
      toArrival: of(this.legMs.toArrival),
    };
  }
}

/** Null when every expected task was answered, SUCCEEDED and right; else what went wrong. */
export function tallyVerdict(s: TallySummary): string | null {
  if (s.answered === s.expected && s.correct === s.expected) return null;
  const parts = [`${s.correct}/${s.expected} correct`];
  if (s.answered < s.expected) parts.push(`${s.expected - s.answered} without a result`);
  if (s.succeeded < s.answered) parts.push(`statuses ${JSON.stringify(s.statuses)}`);
  if (s.correct < s.succeeded) parts.push(`${s.succeeded - s.correct} SUCCEEDED with a wrong answer`);
  if (s.problems[0] !== undefined) parts.push(`first: ${s.problems[0]}`);
  return parts.join('; ');
}

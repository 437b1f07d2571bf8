import { InfraError } from '../domain/infra-error.js';
import {
  LABEL_CREATED_MS,
  LABEL_INSTALLATION,
  LABEL_ROLE,
  LABEL_WORKER,
  ROLE_TASK,
} from './container-spec.js';
import type { ContainerSummary, DockerEnginePort } from './docker-engine-port.js';

export interface ReaperOptions {
  readonly workerId: string;
  /**
   * This worker's installation id (`Installation.id`), read at each run: only containers labelled
   * `berth.installation=<it>` are ever listed, so other installations' containers are invisible.
   */
  readonly installation: () => string;
  /** Whether a worker's heartbeats (on berth.metrics) are recent; fed by the worker. */
  readonly isWorkerAlive: (workerId: string) => boolean;
  /** Containers younger than this are never reaped, so a just-started peer is safe. */
  readonly minAgeMs: number;
  /** Period of `start`. */
  readonly intervalMs: number;
  /** Only containers that also carry these labels are considered (tests use `berth.test=1`). */
  readonly extraLabels?: Readonly<Record<string, string>>;
  readonly onError?: (err: unknown) => void;
  readonly now?: () => number;
}

export interface ReapCounts {
  /** Containers of this worker removed (left from a crash). */
  readonly own: number;
  /** Containers of workers whose heartbeat is stale, removed. */
  readonly stale: number;
  /** Task containers looked at and left alone. */
  readonly kept: number;
  /** Removals that failed (retried on the next run). */
  readonly failed: number;
}

/**
 * Removes orphaned task containers. Only containers labelled `berth.role=task` and
 * `berth.installation=<this installation>` are ever looked at (the engine filters by label): a
 * worker judges liveness by heartbeats on its own installation's metrics topic, so it must never
 * judge another installation's workers — they would all look dead. Containers without an
 * installation label (made by Berth versions before it existed) are therefore never removed, at
 * start or periodically; remove them by hand once no old worker runs. Of its installation's
 * containers it removes
 * - with `includeOwn` (call once at worker start, before the executor runs anything): every one
 *   labelled with this worker's id, since a previous run of this worker left it;
 * - always: those of another worker that `isWorkerAlive` says is gone, once older than
 *   `minAgeMs` (age from `berth.created-ms`, else the engine's creation time).
 * Containers without a worker label are kept. Never throws from the periodic loop.
 */
export class ContainerReaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReapCounts> | null = null;

  constructor(
    private readonly engine: DockerEnginePort,
    private readonly options: ReaperOptions,
  ) {}

  async reapOnce(opts: { includeOwn: boolean }): Promise<ReapCounts> {
    const installation = this.options.installation();
    if (installation === '') {
      throw new InfraError('reaper needs an installation id', { retriable: false, component: 'config' });
    }
    const labels = {
      ...this.options.extraLabels,
      [LABEL_ROLE]: ROLE_TASK,
      [LABEL_INSTALLATION]: installation,
    };
    const containers = await this.engine.listByLabels(labels);
    const doomed = containers.filter(
      // The label check again, in case an engine ignored the filter: never another installation's.
      (c) => c.labels[LABEL_INSTALLATION] === installation && this.isOrphan(c, opts.includeOwn),
    );
    const results = await Promise.allSettled(doomed.map((c) => this.engine.remove(c.id)));
    let own = 0;
    let stale = 0;
    let failed = 0;
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        failed++;
        this.options.onError?.(r.reason);
      } else if (doomed[i]?.labels[LABEL_WORKER] === this.options.workerId) own++;
      else stale++;
    });
    return { own, stale, kept: containers.length - doomed.length, failed };
  }

  /** Runs `reapOnce({ includeOwn: false })` every `intervalMs`; `onReaped` gets each count. */
  start(onReaped: (counts: ReapCounts) => void = () => {}): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== null) return;
      this.running = this.reapOnce({ includeOwn: false });
      this.running
        .then(onReaped, (err: unknown) => this.options.onError?.(err))
        .finally(() => {
          this.running = null;
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic loop and waits for a run in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  private isOrphan(container: ContainerSummary, includeOwn: boolean): boolean {
    const owner = container.labels[LABEL_WORKER];
    if (owner === undefined || owner === '') return false;
    if (owner === this.options.workerId) return includeOwn;
    if (this.ageMs(container) < this.options.minAgeMs) return false;
    return !this.options.isWorkerAlive(owner);
  }

  private ageMs(container: ContainerSummary): number {
    const labelled = Number(container.labels[LABEL_CREATED_MS]);
    const createdMs = Number.isFinite(labelled) && labelled > 0 ? labelled : container.createdMs;
    return (this.options.now ?? Date.now)() - createdMs;
  }
}

import type { ExecutorPort } from '../domain/executor-port.js';
import type { StackCatalogPort } from '../domain/stack-catalog-port.js';
import type { TelemetryPort } from '../domain/telemetry-port.js';
import { withRetry } from '../resilience/retry.js';
import type { InstallationPort, ReaperPort } from './worker-deps.js';

export interface ContainerUpkeepOptions {
  readonly executor: ExecutorPort;
  readonly stacks: StackCatalogPort;
  /** Resolved first: every container (reaped or created) is matched or labelled by its id. */
  readonly installation: InstallationPort;
  readonly reaper: ReaperPort | null;
  readonly telemetry: TelemetryPort;
  readonly warmPoolSize: number;
  /** Stacks to keep warm; empty = every stack the catalog lists. */
  readonly prewarmStacks: readonly string[];
  /** How often the warm pools are re-pointed at the stacks' current images. */
  readonly refreshIntervalMs: number;
  readonly log: (line: string) => void;
}

/**
 * Keeps the engine tidy and warm: resolves the installation id before touching any container
 * (failing start if it cannot), reaps orphans at start (including this worker's own leftovers)
 * and periodically, prewarms stacks, and re-prewarms every interval so a rebuilt stack's warm
 * pool follows its new image (tasks pin the image they resolved; a stale pool would force cold
 * starts). Never throws from its timers.
 */
export class ContainerUpkeep {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ContainerUpkeepOptions) {}

  async start(): Promise<void> {
    const installation = await withRetry(() => this.o.installation.resolve(), {
      attempts: 5,
      baseDelayMs: 500,
      maxDelayMs: 5000,
    });
    this.o.log(`installation ${installation}: task containers labelled berth.installation=${installation}`);
    await this.reapAtStart();
    await this.prewarm();
    this.timer = setInterval(() => {
      this.prewarm().catch((err: unknown) => this.o.log(`prewarm refresh failed: ${(err as Error).message}`));
    }, this.o.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async reapAtStart(): Promise<void> {
    const reaper = this.o.reaper;
    if (!reaper) return;
    const report = (counts: { own: number; stale: number }) => {
      if (counts.own + counts.stale > 0) this.o.telemetry.containersReaped(counts.own + counts.stale);
    };
    try {
      report(await reaper.reapOnce({ includeOwn: true }));
    } catch (err) {
      this.o.log(`reaper at start failed: ${(err as Error).message}`);
    }
    reaper.start(report);
  }

  private async prewarm(): Promise<void> {
    const stacks = await this.o.stacks.list();
    this.o.telemetry.knownStacks?.(stacks.map((s) => s.name));
    if (this.o.warmPoolSize === 0) return;
    for (const s of stacks) {
      if (this.o.prewarmStacks.length === 0 || this.o.prewarmStacks.includes(s.name)) {
        this.o.executor.prewarm(s.name, s.imageId, this.o.warmPoolSize);
      }
    }
  }
}

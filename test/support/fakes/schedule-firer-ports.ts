import type { TaskEvent } from '../../../src/domain/task-event.js';
import type { ScheduleTick } from '../../../src/schedules/schedule.js';
import type { ScheduleFirerPorts } from '../../../src/schedules/schedule-firer.js';

/**
 * In-memory Kafka for the scheduler: published tasks, a ticks "topic" (last tick per name) that a
 * new owner loads, switchable ownership proof and publish failures.
 */
export class FakeScheduleFirerPorts implements ScheduleFirerPorts {
  readonly published: TaskEvent[] = [];
  readonly ticks = new Map<string, ScheduleTick>();
  owner = true;
  /** Publishes to fail before one succeeds again. */
  failPublishes = 0;
  /** Resolves loadTicks only when released (tests of the LOADING state). */
  private loadGate: Promise<void> | null = null;
  private releaseLoad: () => void = () => undefined;

  holdLoads(): void {
    this.loadGate = new Promise((resolve) => {
      this.releaseLoad = resolve;
    });
  }

  releaseLoads(): void {
    this.releaseLoad();
    this.loadGate = null;
  }

  async publishTask(event: TaskEvent): Promise<void> {
    if (this.failPublishes > 0) {
      this.failPublishes -= 1;
      throw new Error('broker unreachable');
    }
    this.published.push(event);
  }

  async loadTicks(): Promise<ReadonlyMap<string, number>> {
    if (this.loadGate) await this.loadGate;
    return new Map([...this.ticks].map(([name, t]) => [name, t.tickMs]));
  }

  async recordTick(tick: ScheduleTick): Promise<void> {
    this.ticks.set(tick.name, tick);
  }

  stillOwner(): boolean {
    return this.owner;
  }

  /** Ids published, in order. */
  ids(): string[] {
    return this.published.map((e) => e.id);
  }
}

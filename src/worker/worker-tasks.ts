import type { HeldTask } from '../intake/held-task.js';
import type { IntakeScheduler } from '../intake/intake-scheduler.js';
import type { TaskRunner } from './task-runner.js';

/**
 * The tasks a worker has started, so it can wait for them on drain. Contract: `start` runs the
 * task in the background and calls `done(acked)` exactly once; a bug in the runner is logged and
 * reported as not acked (the offset stays uncommitted, the task is re-delivered).
 */
export class WorkerTasks {
  private readonly active = new Set<Promise<void>>();
  private readonly schedulers: IntakeScheduler[] = [];

  constructor(
    private readonly runner: TaskRunner,
    private readonly log: (line: string) => void,
  ) {}

  addScheduler(s: IntakeScheduler): void {
    this.schedulers.push(s);
  }

  closeSchedulers(): void {
    for (const s of this.schedulers) s.close();
  }

  get running(): number {
    return this.active.size;
  }

  start(task: HeldTask, done: (acked: boolean) => void): void {
    const p: Promise<void> = this.runner
      .run(task)
      .catch((err: unknown) => {
        this.log(
          `task at ${task.record.topic}/${task.record.partition}@${task.record.offset} failed unexpectedly: ${String(err)}`,
        );
        return false;
      })
      .then((acked) => {
        this.active.delete(p);
        done(acked);
      });
    this.active.add(p);
  }

  /** Resolves true when no task is running, false when `timeoutMs` passed first. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.active.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => {
        timer = setTimeout(r, left);
      });
      await Promise.race([Promise.race(this.active), timeout]);
      clearTimeout(timer);
    }
    return true;
  }
}

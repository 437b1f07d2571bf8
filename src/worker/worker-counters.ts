import type { TaskStatus } from '../domain/task-result.js';

/** Final results published by this worker, for WorkerStats. */
export class WorkerCounters {
  succeeded = 0;
  failed = 0;
  other = 0;

  count(status: TaskStatus): void {
    if (status === 'SUCCEEDED') this.succeeded++;
    else if (status === 'FAILED') this.failed++;
    else this.other++;
  }
}

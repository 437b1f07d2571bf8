/**
 * An infrastructure failure (Kafka, Docker, disk), as opposed to a task's own failure, which is a
 * result and never an exception. `retriable` says whether repeating the same call may succeed.
 */
export class InfraError extends Error {
  readonly retriable: boolean;
  readonly component: 'kafka' | 'docker' | 'disk' | 'config' | 'other';

  constructor(
    message: string,
    opts: { retriable: boolean; component: InfraError['component']; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'InfraError';
    this.retriable = opts.retriable;
    this.component = opts.component;
  }
}

export function isRetriable(err: unknown): boolean {
  return err instanceof InfraError && err.retriable;
}

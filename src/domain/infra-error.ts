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

/**
 * The task's container ended without the launcher's result frame (the container was killed from
 * inside, by the OOM killer as a whole, or lost by the engine). Retriable, but a worker bounds how
 * often one attempt may lose its container, so a task that keeps destroying its own container
 * ends as FAILED instead of blocking its partition forever.
 */
export class ContainerLostError extends InfraError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: true, component: 'docker', cause });
    this.name = 'ContainerLostError';
  }
}

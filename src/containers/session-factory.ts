import { InfraError } from '../domain/infra-error.js';
import { taskContainerSpec } from './container-spec.js';
import type { AttachedStreams, ContainerLimits, DockerEnginePort } from './docker-engine-port.js';
import { LauncherSession } from './launcher-session.js';
import type { RemovalTracker } from './removal-tracker.js';

export interface SessionFactoryOptions {
  readonly workerId: string;
  readonly taskTmpfsBytes: number;
  readonly tmpTmpfsBytes: number;
  readonly extraLabels: Readonly<Record<string, string>>;
  /** Longest wait from create to the launcher's ready frame. */
  readonly readyTimeoutMs: number;
}

export interface SessionRequest {
  readonly stack: string;
  readonly imageId: string;
  readonly limits: ContainerLimits;
  readonly network: boolean;
}

/**
 * Creates, attaches and starts a task container and waits for its launcher to be ready.
 * Contract: resolves a ready `LauncherSession` or rejects with `InfraError`; on failure the
 * container (if it was created) is handed to the removal tracker, so nothing is left behind.
 */
export class SessionFactory {
  constructor(
    private readonly engine: DockerEnginePort,
    private readonly removals: RemovalTracker,
    private readonly options: SessionFactoryOptions,
  ) {}

  async open(request: SessionRequest): Promise<LauncherSession> {
    const spec = taskContainerSpec({ ...this.options, ...request, nowMs: Date.now() });
    const containerId = await this.engine.create(spec);
    let streams: AttachedStreams | null = null;
    try {
      streams = await this.engine.attach(containerId);
      const session = new LauncherSession({ containerId, ...request }, streams);
      await this.engine.start(containerId);
      await withDeadline(session.ready, this.options.readyTimeoutMs, request.stack);
      return session;
    } catch (err) {
      streams?.close();
      this.removals.remove(containerId);
      throw err;
    }
  }
}

async function withDeadline(ready: Promise<void>, timeoutMs: number, stack: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new InfraError(`launcher of stack ${stack} not ready within ${timeoutMs} ms`, {
            retriable: true,
            component: 'docker',
          }),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([ready, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

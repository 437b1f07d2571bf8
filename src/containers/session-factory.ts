import type { ExecutionRequest, SecretFile } from '../domain/executor-port.js';
import { InfraError } from '../domain/infra-error.js';
import type { CallSocketMount } from './call-socket-server.js';
import { taskContainerSpec } from './container-spec.js';
import type { AttachedStreams, ContainerLimits, DockerEnginePort } from './docker-engine-port.js';
import { LauncherSession, type SessionIdentity } from './launcher-session.js';
import type { RemovalTracker } from './removal-tracker.js';
import { writeSecretFiles } from './secret-files.js';

export interface SessionFactoryOptions {
  readonly workerId: string;
  readonly taskTmpfsBytes: number;
  readonly tmpTmpfsBytes: number;
  readonly extraLabels: Readonly<Record<string, string>>;
  /** Value of the `berth.installation` label, read at each create; absent: no such label. */
  readonly installation?: () => string;
  /** Longest wait from create to the launcher's ready frame. */
  readonly readyTimeoutMs: number;
}

export interface SessionRequest {
  readonly stack: string;
  readonly imageId: string;
  readonly limits: ContainerLimits;
  readonly network: boolean;
  /** Labels added to the executor's extra labels (cannot override the Berth labels). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Written to /run/secrets once the launcher is ready, before the session is handed out. */
  readonly secretFiles?: readonly SecretFile[];
  /** The worker's call socket directory, mounted read-only (function containers). */
  readonly callSocketMount?: CallSocketMount;
}

/** Label naming how a long-lived container serves its package (`hot` or `function`). */
export const LABEL_ISOLATION = 'berth.isolation';
/** Label naming the code package a long-lived container serves. */
export const LABEL_PACKAGE = 'berth.package';

/**
 * How a long-lived container of one package revision is created (HOT process and function mode
 * alike): the first request's stack, image, limits and network, labelled with the mode and package.
 */
export function packageSessionRequest(
  request: ExecutionRequest,
  isolation: 'hot' | 'function',
  packageName: string,
): SessionRequest {
  return {
    stack: request.stack,
    imageId: request.imageId,
    limits: { memoryBytes: request.memoryBytes, nanoCpus: request.nanoCpus, pidsLimit: request.pidsLimit },
    network: request.network,
    labels: { [LABEL_ISOLATION]: isolation, [LABEL_PACKAGE]: packageName },
  };
}

/** Builds the session object over a created container's attach streams. */
export type SessionMaker<S> = (identity: SessionIdentity, streams: AttachedStreams) => S;

/**
 * Creates, attaches and starts a task container, waits for its launcher to be ready and writes
 * the request's secret files.
 * Contract: resolves a ready `LauncherSession` or rejects with `InfraError`; on failure the
 * container (if it was created) is handed to the removal tracker, so nothing is left behind.
 */
export class SessionFactory {
  constructor(
    private readonly engine: DockerEnginePort,
    private readonly removals: RemovalTracker,
    private readonly options: SessionFactoryOptions,
  ) {}

  open(request: SessionRequest): Promise<LauncherSession> {
    return this.openWith(request, (identity, streams) => new LauncherSession(identity, streams));
  }

  /** Like `open`, with another session type over the same container (hot sessions). */
  async openWith<S extends { readonly ready: Promise<void> }>(
    request: SessionRequest,
    make: SessionMaker<S>,
  ): Promise<S> {
    const extraLabels = { ...this.options.extraLabels, ...request.labels };
    const installationId = this.options.installation?.();
    const spec = taskContainerSpec({
      ...this.options,
      ...request,
      extraLabels,
      installationId,
      nowMs: Date.now(),
    });
    const containerId = await this.engine.create(spec);
    let streams: AttachedStreams | null = null;
    try {
      streams = await this.engine.attach(containerId);
      const { labels: _labels, secretFiles, callSocketMount: _mount, ...identity } = request;
      const session = make({ containerId, ...identity }, streams);
      await this.engine.start(containerId);
      await withDeadline(session.ready, this.options.readyTimeoutMs, request.stack);
      if (secretFiles !== undefined && secretFiles.length > 0)
        await writeSecretFiles(this.engine, containerId, secretFiles);
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

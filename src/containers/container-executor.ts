import type { ExecutionOutcome, ExecutionRequest, ExecutorPort } from '../domain/executor-port.js';
import { ContainerLostError, InfraError } from '../domain/infra-error.js';
import type { CancelSignal } from '../domain/task-cancel.js';
import { CANCEL_GRACE_MS, cancelledReason } from './cancel-reason.js';
import type { ContainerLimits, DockerEnginePort } from './docker-engine-port.js';
import type { ExecutorOptions } from './executor-options.js';
import type { LauncherSession } from './launcher-session.js';
import {
  cancelledOutcome,
  emptyOutcome,
  needsOomCheck,
  oomReason,
  outcomeFromResult,
} from './outcome-mapping.js';
import { RefillGate } from './refill-gate.js';
import { RemovalTracker } from './removal-tracker.js';
import { writeSecretFiles } from './secret-files.js';
import { SessionFactory } from './session-factory.js';
import { raceVerdict, within } from './task-verdict.js';
import { WarmPool } from './warm-pool.js';

/** Why waiting on a running task stopped. */

/** Diagnostics sink: one line per event worth an operator's attention. */
export type ExecutorLog = (message: string) => void;

/**
 * `ExecutorPort` with fresh isolation: every attempt runs in its own container, taken from the
 * stack's warm pool (started before the task arrived, launcher ready) or, when the pool is empty
 * or the task wants a network, created on the spot (cold path). The container is always removed
 * afterwards, in the background; `close` waits for those removals.
 *
 * Limits: warm containers are created with `defaultLimits`. A request asking for other limits
 * gets them by a cgroup update of the warm container before handover (measured at tens of ms,
 * far below a cold create+start); if the update fails the container is discarded and a fresh one
 * is created with the request's limits. Network cannot be changed on a created container, so a
 * task with network always takes the cold path. Secret files (`request.secretFiles`) are written
 * into the container's /run/secrets tmpfs after it is acquired and before the handover.
 */
export class ContainerExecutor implements ExecutorPort {
  private readonly removals: RemovalTracker;
  private readonly sessions: SessionFactory;
  private readonly pools = new Map<string, WarmPool>();
  private readonly refillGate = new RefillGate();
  private closed = false;

  constructor(
    private readonly engine: DockerEnginePort,
    private readonly options: Readonly<ExecutorOptions>,
    private readonly log: ExecutorLog = (message) => process.stderr.write(`${message}\n`),
  ) {
    this.removals = new RemovalTracker(engine, (err, id) =>
      this.log(`container ${id.slice(0, 12)} not removed: ${(err as Error).message}`),
    );
    this.sessions = new SessionFactory(engine, this.removals, options);
  }

  async execute(request: ExecutionRequest, signal: CancelSignal): Promise<ExecutionOutcome> {
    if (this.closed) throw new InfraError('executor is closed', { retriable: true, component: 'docker' });
    if (signal.aborted) return emptyOutcome('CANCELLED', 'cancelled before start', null);
    const session = await this.acquire(request, signal);
    if (session === null) return emptyOutcome('CANCELLED', 'cancelled before start', null);
    try {
      // A warm container was started before its task was known: its secret files come now.
      if (request.secretFiles !== undefined && request.secretFiles.length > 0)
        await writeSecretFiles(this.engine, session.containerId, request.secretFiles);
      return await this.run(session, request, signal);
    } finally {
      session.close();
      this.removals.remove(session.containerId);
    }
  }

  prewarm(stack: string, imageId: string, count: number): void {
    if (this.closed) return;
    let pool = this.pools.get(stack);
    if (pool === undefined) {
      pool = new WarmPool(stack, imageId, {
        open: (req) => this.refillGate.run(() => this.sessions.open(req)),
        discard: (s) => this.discard(s),
        onError: (err) => this.log(`warm pool ${stack}: ${(err as Error).message}`),
        limits: this.options.defaultLimits,
        backoffBaseMs: this.options.refillBackoffBaseMs,
        backoffMaxMs: this.options.refillBackoffMaxMs,
      });
      this.pools.set(stack, pool);
    }
    pool.setTarget(imageId, count);
  }

  warmCounts(): Readonly<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [stack, pool] of this.pools) counts[stack] = pool.idleCount;
    return counts;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    await this.removals.drain();
  }

  /** A ready session with the request's image and limits, or null if `signal` aborted first. */
  private async acquire(request: ExecutionRequest, signal: CancelSignal): Promise<LauncherSession | null> {
    const limits = limitsOf(request);
    const warm = request.network ? null : (this.pools.get(request.stack)?.take(request.imageId) ?? null);
    if (warm !== null && (await this.fitLimits(warm, limits))) return warm;
    const opening = this.sessions.open({
      stack: request.stack,
      imageId: request.imageId,
      limits,
      network: request.network,
    });
    const first = await raceAbort(opening, signal);
    if (first !== null) return first;
    this.removals.track(opening.then((late) => this.discard(late)));
    return null;
  }

  /** Updates a warm container's cgroup limits if they differ; false (and discarded) on failure. */
  private async fitLimits(session: LauncherSession, limits: ContainerLimits): Promise<boolean> {
    const have = session.identity.limits;
    if (
      have.memoryBytes === limits.memoryBytes &&
      have.nanoCpus === limits.nanoCpus &&
      have.pidsLimit === limits.pidsLimit
    ) {
      return true;
    }
    try {
      await this.engine.updateLimits(session.containerId, limits);
      return true;
    } catch (err) {
      this.log(`limit update of warm container failed, creating a fresh one: ${(err as Error).message}`);
      this.discard(session);
      return false;
    }
  }

  private async run(
    session: LauncherSession,
    request: ExecutionRequest,
    signal: CancelSignal,
  ): Promise<ExecutionOutcome> {
    session.handOver(request);
    const verdict = await raceVerdict(session.done, request.timeoutMs + this.options.backstopGraceMs, signal);
    switch (verdict.kind) {
      case 'result': {
        const oom = needsOomCheck(verdict.frame) && (await this.engineSawOom(session.containerId));
        return outcomeFromResult(verdict.frame, request.memoryBytes, { oomKilled: oom });
      }
      case 'cancelled':
        return this.cancel(session, request, signal);
      case 'backstop':
        await this.engine.kill(session.containerId).catch(() => {});
        return emptyOutcome(
          'TIMED_OUT',
          `timed out after ${request.timeoutMs} ms (container killed)`,
          session.startedAtMs,
        );
      case 'protocol-error':
        await this.engine.kill(session.containerId).catch(() => {});
        return emptyOutcome('FAILED', `launcher protocol error: ${verdict.message}`, session.startedAtMs);
      case 'ended':
        return this.endedWithoutResult(session, request);
    }
  }

  /**
   * Cancels the running task: the launcher is signalled to end it and answer with its result (all
   * the output so far); if it does not within CANCEL_GRACE_MS the container is killed and the
   * output its live frames brought is kept.
   */
  private async cancel(
    session: LauncherSession,
    request: ExecutionRequest,
    signal: CancelSignal,
  ): Promise<ExecutionOutcome> {
    await this.engine.kill(session.containerId, 'SIGUSR1').catch(() => {});
    const end = await within(session.done, CANCEL_GRACE_MS);
    if (end?.kind !== 'result') await this.engine.kill(session.containerId).catch(() => {});
    const frame = end?.kind === 'result' ? end.frame : null;
    const reason = cancelledReason(signal);
    return cancelledOutcome(frame, session.liveOutput(), reason, request.memoryBytes, session.startedAtMs);
  }

  /** The container's output ended with no result frame: OOM of the whole container, or lost. */
  private async endedWithoutResult(
    session: LauncherSession,
    request: ExecutionRequest,
  ): Promise<ExecutionOutcome> {
    if (await this.engineSawOom(session.containerId)) {
      return emptyOutcome('KILLED', oomReason(request.memoryBytes), session.startedAtMs);
    }
    const tail = session.diagnostics();
    throw new ContainerLostError(
      `container ${session.containerId.slice(0, 12)} ended without a result${tail ? `: ${tail.slice(-300)}` : ''}`,
    );
  }

  /** Waits (bounded) for the container to stop, then asks whether the OOM killer fired in it. */
  private async engineSawOom(containerId: string): Promise<boolean> {
    const deadline = Date.now() + this.options.exitStateWaitMs;
    for (;;) {
      const state = await this.engine.inspect(containerId).catch(() => null);
      if (state === null) return false;
      if (!state.running || Date.now() >= deadline) return state.oomKilled;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private discard(session: LauncherSession): void {
    session.close();
    this.removals.remove(session.containerId);
  }
}

function limitsOf(request: ExecutionRequest): ContainerLimits {
  return { memoryBytes: request.memoryBytes, nanoCpus: request.nanoCpus, pidsLimit: request.pidsLimit };
}

/** Resolves with `work`'s value, or null as soon as `signal` aborts (rejections pass through). */
function raceAbort<T>(work: Promise<T>, signal: CancelSignal): Promise<T | null> {
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

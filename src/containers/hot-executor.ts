import type { ExecutionOutcome, ExecutionRequest, HotIsolation } from '../domain/executor-port.js';
import { ContainerLostError, InfraError } from '../domain/infra-error.js';
import type { CancelSignal } from '../domain/task-cancel.js';
import { CANCEL_GRACE_MS, cancelledReason } from './cancel-reason.js';
import type { ExecutorLog } from './container-executor.js';
import type { DockerEnginePort } from './docker-engine-port.js';
import type { ExecutorOptions } from './executor-options.js';
import { HotPool } from './hot-pool.js';
import { HotSession } from './hot-session.js';
import { KeyedPools } from './keyed-pools.js';
import { cancelledOutcome, emptyOutcome, oomReason, outcomeFromResult } from './outcome-mapping.js';
import { RemovalTracker } from './removal-tracker.js';
import { packageSessionRequest, SessionFactory } from './session-factory.js';
import { raceVerdict, within } from './task-verdict.js';

/** Labels hot containers carry besides the usual task labels. */
export { LABEL_ISOLATION, LABEL_PACKAGE } from './session-factory.js';

export interface HotExecutorOptions {
  /** An idle hot container is removed after this long without a task. */
  readonly idleMs: number;
}

type Ran = { readonly outcome: ExecutionOutcome; readonly reusable: boolean };

/**
 * Hot isolation: per package revision (`HotIsolation.packageKey`) up to `maxContainers`
 * long-lived containers whose launchers run in keep-alive mode, each serving one task at a time;
 * the code tar travels with a container's first task only. Same container spec, security
 * defaults and labels as fresh containers, plus `berth.isolation=hot` and `berth.package`.
 *
 * Contract (as `ExecutorPort.execute`): resolves an outcome for anything the task did, rejects
 * only with `InfraError`. A container whose task timed out, was killed (signal, OOM), was
 * cancelled, failed to spawn or broke the protocol is discarded, never reused. Idle containers
 * are removed after `idleMs`; `close` removes all of them (busy ones when their task ends).
 */
export class HotExecutor {
  private readonly pools = new KeyedPools<HotPool>();
  private closed = false;

  private readonly removals: RemovalTracker;
  private readonly sessions: SessionFactory;

  constructor(
    private readonly engine: DockerEnginePort,
    private readonly options: Readonly<ExecutorOptions & HotExecutorOptions>,
    private readonly log: ExecutorLog = (message) => process.stderr.write(`${message}\n`),
  ) {
    this.removals = new RemovalTracker(engine, (err, id) =>
      this.log(`hot container ${id.slice(0, 12)} not removed: ${(err as Error).message}`),
    );
    this.sessions = new SessionFactory(engine, this.removals, options);
  }

  async execute(
    request: ExecutionRequest,
    hot: HotIsolation,
    signal: CancelSignal,
  ): Promise<ExecutionOutcome> {
    if (this.closed) throw new InfraError('executor is closed', { retriable: true, component: 'docker' });
    if (signal.aborted) return emptyOutcome('CANCELLED', 'cancelled before start', null);
    const pool = this.poolFor(request, hot);
    const session = await pool.acquire(signal);
    if (session === null) return emptyOutcome('CANCELLED', 'cancelled before start', null);
    let reusable = false;
    try {
      const ran = await this.run(session, request, signal);
      reusable = ran.reusable;
      return ran.outcome;
    } finally {
      pool.release(session, reusable);
    }
  }

  /** Live hot containers per package key (idle, busy or starting). */
  containerCounts(): Readonly<Record<string, number>> {
    return this.pools.containerCounts();
  }

  /** Removes idle containers now, busy ones as their tasks end (waits up to `closeWaitMs`). */
  async close(closeWaitMs = 10_000): Promise<void> {
    this.closed = true;
    await this.pools.close(closeWaitMs);
    await this.removals.drain();
  }

  private poolFor(request: ExecutionRequest, hot: HotIsolation): HotPool {
    return this.pools.get(hot.packageKey, () => {
      // The key holds the secrets' fingerprint: every container of this pool gets the same files.
      const sessionRequest = {
        ...packageSessionRequest(request, 'hot', hot.packageName),
        ...(request.secretFiles ? { secretFiles: request.secretFiles } : {}),
      };
      return new HotPool({
        open: () => this.sessions.openWith(sessionRequest, (id, streams) => new HotSession(id, streams)),
        discard: (s) => {
          s.close();
          this.removals.remove(s.containerId);
        },
        maxContainers: Math.max(1, hot.maxContainers),
        idleMs: this.options.idleMs,
      });
    });
  }

  private async run(session: HotSession, request: ExecutionRequest, signal: CancelSignal): Promise<Ran> {
    const ended = session.run(request);
    const verdict = await raceVerdict(ended, request.timeoutMs + this.options.backstopGraceMs, signal);
    const since = () => session.startedAtMs;
    switch (verdict.kind) {
      case 'result': {
        const f = verdict.frame;
        const outcome = outcomeFromResult(f, request.memoryBytes, { oomKilled: false });
        const clean = f.spawnError === null && !f.timedOut && !f.oomKilled && f.signal === null;
        return { outcome, reusable: clean && f.exitCode !== null };
      }
      case 'cancelled': {
        // As in fresh isolation: the launcher ends the task and answers; the container is not reused.
        await this.engine.kill(session.containerId, 'SIGUSR1').catch(() => {});
        const end = await within(ended, CANCEL_GRACE_MS);
        await this.engine.kill(session.containerId).catch(() => {});
        const frame = end?.kind === 'result' ? end.frame : null;
        const outcome = cancelledOutcome(
          frame,
          session.liveOutput(),
          cancelledReason(signal),
          request.memoryBytes,
          since(),
        );
        return { outcome, reusable: false };
      }
      case 'backstop':
        await this.engine.kill(session.containerId).catch(() => {});
        return {
          outcome: emptyOutcome(
            'TIMED_OUT',
            `timed out after ${request.timeoutMs} ms (container killed)`,
            since(),
          ),
          reusable: false,
        };
      case 'protocol-error':
        await this.engine.kill(session.containerId).catch(() => {});
        return {
          outcome: emptyOutcome('FAILED', `launcher protocol error: ${verdict.message}`, since()),
          reusable: false,
        };
      case 'ended':
        return { outcome: await this.endedWithoutResult(session, request), reusable: false };
    }
  }

  /** The container died mid-task: OOM of the whole container, or lost (retriable). */
  private async endedWithoutResult(
    session: HotSession,
    request: ExecutionRequest,
  ): Promise<ExecutionOutcome> {
    const deadline = Date.now() + this.options.exitStateWaitMs;
    for (;;) {
      const state = await this.engine.inspect(session.containerId).catch(() => null);
      if (state?.oomKilled)
        return emptyOutcome('KILLED', oomReason(request.memoryBytes), session.startedAtMs);
      if (state === null || !state.running || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const tail = session.diagnostics();
    this.log(`hot container ${session.containerId.slice(0, 12)} ended without a result`);
    throw new ContainerLostError(
      `hot container ${session.containerId.slice(0, 12)} ended without a result${tail ? `: ${tail.slice(-300)}` : ''}`,
    );
  }
}

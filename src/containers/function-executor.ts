import type { ExecutionOutcome, ExecutionRequest, HotIsolation } from '../domain/executor-port.js';
import { ContainerLostError, InfraError } from '../domain/infra-error.js';
import type { CancelSignal } from '../domain/task-cancel.js';
import type { ReturnValue } from '../domain/task-result.js';
import {
  type CallSocketExpectation,
  CallSocketServer,
  type CallSocketServerOptions,
} from './call-socket-server.js';
import { cancelledReason } from './cancel-reason.js';
import type { ExecutorLog } from './container-executor.js';
import type { AttachedStreams, DockerEnginePort } from './docker-engine-port.js';
import type { ExecutorOptions } from './executor-options.js';
import type { CallResultFrame, ValueKind } from './function-frames.js';
import { FunctionPool } from './function-pool.js';
import { type CallEnd, FunctionSession, HandlerLoadError } from './function-session.js';
import { KeyedPools } from './keyed-pools.js';
import { maxFrameBytes } from './launcher-frames.js';
import type { SessionIdentity } from './launcher-session.js';
import { emptyOutcome, oomReason } from './outcome-mapping.js';
import { RemovalTracker } from './removal-tracker.js';
import { writeSecretFiles } from './secret-files.js';
import { packageSessionRequest, SessionFactory, type SessionRequest } from './session-factory.js';

export interface FunctionExecutorOptions {
  /** An idle function container is removed after this long without a call. */
  readonly idleMs: number;
  /** Calls queued on one container at most (pipelining hides the round trip). */
  readonly pipelineDepth: number;
  /** Longest wait for a runtime to load a handler (Java compiles sources at load). */
  readonly loadTimeoutMs: number;
  /**
   * Where the call socket is created (docs/function-runtimes.md "Call socket"); null: frames
   * travel on Docker's attach stream. Opened at the first function container.
   */
  readonly callSocket: CallSocketServerOptions | null;
}

const EMPTY = new Uint8Array(0);
const KINDS: Readonly<Record<Exclude<ValueKind, 'null'>, ReturnValue['kind']>> = {
  bytes: 'BYTES',
  string: 'STRING',
  json: 'JSON',
};

/**
 * HOT function mode: per package revision up to `maxContainers` long-lived containers, each
 * running one language runtime that loaded the package's handler once (docs/function-runtimes.md).
 * Calls are pipelined, up to `pipelineDepth` per container; the launcher runs them one at a time.
 *
 * Contract (as `ExecutorPort.execute`): resolves an outcome for anything the handler did —
 * ok → SUCCEEDED with the return value; a thrown error → FAILED with its message as reason and
 * its stack after the call's stderr; timeout → TIMED_OUT; out of memory → KILLED; runtime crash →
 * FAILED; cancel → CANCELLED — and a handler that cannot be loaded → FAILED (not retried: the
 * package is broken). After a timeout, OOM, crash or cancel the launcher replaces the runtime
 * before the container's next call. Rejects only with `InfraError`: a container lost with the call
 * in it (`ContainerLostError`, the attempt may be re-run) or a container that cannot start.
 */
export class FunctionExecutor {
  private readonly pools = new KeyedPools<FunctionPool>();
  private readonly removals: RemovalTracker;
  private readonly sessions: SessionFactory;
  private closed = false;
  /** The call socket, listening from the first function container on (null: attach only). */
  private callSocket: Promise<CallSocketServer | null> | null = null;

  constructor(
    private readonly engine: DockerEnginePort,
    private readonly options: Readonly<ExecutorOptions & FunctionExecutorOptions>,
    private readonly log: ExecutorLog = (message) => process.stderr.write(`${message}\n`),
  ) {
    this.removals = new RemovalTracker(engine, (err, id) =>
      this.log(`function container ${id.slice(0, 12)} not removed: ${(err as Error).message}`),
    );
    this.sessions = new SessionFactory(engine, this.removals, options);
  }

  async execute(
    request: ExecutionRequest,
    hot: HotIsolation & { readonly handler: string },
    signal: CancelSignal,
  ): Promise<ExecutionOutcome> {
    if (this.closed) throw new InfraError('executor is closed', { retriable: true, component: 'docker' });
    if (signal.aborted) return emptyOutcome('CANCELLED', 'cancelled before start', null);
    const pool = this.poolFor(request, hot);
    let session: FunctionSession | null;
    try {
      session = await pool.acquire(signal);
    } catch (err) {
      if (err instanceof HandlerLoadError) return loadFailure(err);
      throw err;
    }
    if (session === null) return emptyOutcome('CANCELLED', 'cancelled before start', null);
    const deadlineMs = Date.now() + request.timeoutMs;
    // Backstop for a launcher that stops answering: calls ahead of this one may each use their
    // whole timeout, so the wait is bounded by the pipeline, not by this call alone.
    const backstopMs = request.timeoutMs * this.options.pipelineDepth + this.options.backstopGraceMs;
    const ended = session.call(request, request.labels ?? {}, deadlineMs, backstopMs);
    try {
      return await this.await(session, request, ended, backstopMs, signal);
    } finally {
      pool.release(session);
    }
  }

  /** Live function containers per package key. */
  containerCounts(): Readonly<Record<string, number>> {
    return this.pools.containerCounts();
  }

  /** Removes idle containers now, busy ones as their calls end (waits up to `closeWaitMs`). */
  async close(closeWaitMs = 10_000): Promise<void> {
    this.closed = true;
    await this.pools.close(closeWaitMs);
    await this.removals.drain();
    await (await this.callSocket)?.close();
  }

  /** The call socket; a socket that cannot be created is logged once and frames use attach. */
  private callSocketServer(): Promise<CallSocketServer | null> {
    const opts = this.options.callSocket;
    this.callSocket ??=
      opts === null
        ? Promise.resolve(null)
        : CallSocketServer.open({ helloTimeoutMs: this.options.readyTimeoutMs, ...opts }).catch(
            (err: unknown) => {
              this.log(`function containers use the attach stream: ${(err as Error).message}`);
              return null;
            },
          );
    return this.callSocket;
  }

  /** Opens one function container, on the call socket when there is one. */
  private async openSession(
    request: SessionRequest,
    make: (id: SessionIdentity, streams: AttachedStreams, call?: CallSocketExpectation) => FunctionSession,
  ): Promise<FunctionSession> {
    const server = await this.callSocketServer();
    const expected = await server?.expect().catch((err: unknown) => {
      this.log(`function container on the attach stream: ${(err as Error).message}`);
      return null;
    });
    if (server == null || expected == null)
      return this.sessions.openWith(request, (id, streams) => make(id, streams));
    try {
      return await this.sessions.openWith({ ...request, callSocketMount: server.mount }, (id, streams) =>
        make(id, streams, expected),
      );
    } catch (err) {
      expected.cancel();
      throw err;
    }
  }

  private async await(
    session: FunctionSession,
    request: ExecutionRequest,
    ended: Promise<CallEnd>,
    backstopMs: number,
    signal: CancelSignal,
  ): Promise<ExecutionOutcome> {
    const onAbort = () => session.cancel(request.taskId);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const end = await ended;
      if (end.kind === 'backstop') {
        await this.engine.kill(session.containerId).catch(() => {});
        session.close();
        return emptyOutcome(
          'TIMED_OUT',
          `timed out: the launcher did not answer within ${backstopMs} ms (container killed)`,
          null,
        );
      }
      if (end.kind === 'lost') {
        throw new ContainerLostError(
          `function container ${session.containerId.slice(0, 12)} lost with the call in it: ${end.why}`,
        );
      }
      const outcome = outcomeOfCall(end.frame, request.memoryBytes);
      return outcome.status === 'CANCELLED' ? { ...outcome, reason: cancelledReason(signal) } : outcome;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private poolFor(request: ExecutionRequest, hot: HotIsolation & { readonly handler: string }): FunctionPool {
    return this.pools.get(hot.packageKey, () => this.newPool(request, hot));
  }

  private newPool(request: ExecutionRequest, hot: HotIsolation & { readonly handler: string }): FunctionPool {
    const sessionRequest = packageSessionRequest(request, 'function', hot.packageName);
    const init = {
      handler: hot.handler,
      codeTar: request.codeTar,
      env: request.env,
      stdoutCapBytes: request.stdoutCapBytes,
      stderrCapBytes: request.stderrCapBytes,
      loadTimeoutMs: this.options.loadTimeoutMs,
      liveIntervalMs: request.live?.intervalMs ?? 0,
    };
    // A result frame carries stdout, stderr and the return value (capped like output files).
    const frameCap = maxFrameBytes(request);
    // Secret files must exist before the runtime loads the handler (it may read them at load):
    // written between the launcher's ready frame and the init frame. The pool's key holds the
    // secrets' fingerprint, so every container of this pool gets the same files.
    const files = request.secretFiles ?? [];
    const prepare = (containerId: string) =>
      files.length === 0 ? undefined : () => writeSecretFiles(this.engine, containerId, files);
    return new FunctionPool({
      open: () =>
        this.openSession(
          sessionRequest,
          (id, streams, call) =>
            new FunctionSession(id, streams, init, frameCap, prepare(id.containerId), call),
        ),
      discard: (s) => {
        s.close();
        this.removals.remove(s.containerId);
      },
      maxContainers: Math.max(1, hot.maxContainers),
      depth: this.options.pipelineDepth,
      idleMs: this.options.idleMs,
      log: (line) => this.log(request.redactText?.(line) ?? line),
    });
  }
}

function loadFailure(err: HandlerLoadError): ExecutionOutcome {
  return {
    ...emptyOutcome('FAILED', err.message, null),
    stderr: err.stderr === '' ? EMPTY : Buffer.from(err.stderr),
  };
}

function decode(b64: string | null): Uint8Array {
  if (b64 === null || b64 === '') return EMPTY;
  const buf = Buffer.from(b64, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Maps one call's result frame to the task's outcome (see `FunctionExecutor`'s contract). */
export function outcomeOfCall(f: CallResultFrame, memoryBytes: number): ExecutionOutcome {
  const stderr = decode(f.stderrB64);
  switch (f.status) {
    case 'ok':
      return callOutcome(
        f,
        stderr,
        'SUCCEEDED',
        null,
        f.valueKind === null || f.valueKind === 'null'
          ? null
          : { kind: KINDS[f.valueKind], data: decode(f.valueB64) },
      );
    case 'error': {
      const trace = f.errorStack ?? '';
      const withTrace =
        trace === ''
          ? stderr
          : Buffer.concat([stderr, Buffer.from(`${stderr.byteLength > 0 ? '\n' : ''}${trace}`)]);
      return callOutcome(f, withTrace, 'FAILED', f.errorMessage ?? 'handler failed', null);
    }
    case 'timeout':
      return callOutcome(f, stderr, 'TIMED_OUT', 'timed out (runtime killed and replaced)', null);
    case 'oom':
      return callOutcome(f, stderr, 'KILLED', `${oomReason(memoryBytes)} (runtime replaced)`, null);
    case 'crash': {
      const died = f.signal !== null ? `killed by ${f.signal}` : `exit code ${f.exitCode ?? 'unknown'}`;
      return callOutcome(
        f,
        stderr,
        'FAILED',
        `runtime crashed during the call: ${died} (runtime replaced)`,
        null,
      );
    }
    case 'cancelled':
      return callOutcome(f, stderr, 'CANCELLED', 'cancelled', null);
  }
}

/** One object literal of one shape for every call outcome (this runs once per function call). */
function callOutcome(
  f: CallResultFrame,
  stderr: Uint8Array,
  status: ExecutionOutcome['status'],
  reason: string | null,
  returnValue: ReturnValue | null,
): ExecutionOutcome {
  return {
    status,
    exitCode: null,
    reason,
    stdout: decode(f.stdoutB64),
    stdoutTruncated: f.stdoutTruncated,
    stderr,
    stderrTruncated: f.stderrTruncated,
    outputs: [],
    outputsTruncated: false,
    startedAtMs: f.startedAtMs,
    finishedAtMs: f.finishedAtMs ?? Date.now(),
    returnValue,
    runPreciseMs: f.runUs === null ? null : f.runUs / 1000,
  };
}

import type { ExecutionRequest } from '../domain/executor-port.js';
import { InfraError } from '../domain/infra-error.js';
import type { AttachedStreams } from './docker-engine-port.js';
import { FrameLineReader } from './frame-line-reader.js';
import { encodeTaskFrame, maxFrameBytes, parseLauncherFrame } from './launcher-frames.js';
import type { SessionEnd, SessionIdentity } from './launcher-session.js';
import { LiveOutput } from './live-output.js';
import { StderrTail } from './stderr-tail.js';

const IDLE_FRAME_CAP_BYTES = 64 * 1024;

type HotState = 'starting' | 'idle' | 'busy' | 'cleaning' | 'dead';

/**
 * A long-lived container whose launcher runs in keep-alive mode (docs/launcher-protocol.md):
 * ready → task → result → (cleanup) → ready → task …
 *
 * Contract: `ready` resolves at the first ready frame, rejects (InfraError, retriable) if the
 * output ends or breaks first. `run` may only be called while `idle`; its promise resolves once,
 * never rejects: with the result frame, or `ended`/`protocol-error` (the container is then dead).
 * `idleAgain()` resolves true when the launcher announced readiness after a task, false if the
 * container died instead. The code tar is sent only with the first task; later frames reuse it.
 */
export class HotSession {
  readonly ready: Promise<void>;
  /** Epoch ms of the current task's `started` frame; null until it arrived. */
  startedAtMs: number | null = null;
  /** Tasks handed over to this container so far. */
  tasksServed = 0;
  lastUsedMs = Date.now();
  private state: HotState = 'starting';
  private readonly reader = new FrameLineReader(IDLE_FRAME_CAP_BYTES);
  private readonly stderrTail = new StderrTail();
  private live: LiveOutput | null = null;
  private onReady: ((ok: boolean, why: string) => void) | null = null;
  private onEnd: ((end: SessionEnd) => void) | null = null;

  constructor(
    readonly identity: SessionIdentity,
    private readonly streams: AttachedStreams,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.onReady = (ok, why) =>
        ok
          ? resolve()
          : reject(new InfraError(`launcher not ready: ${why}`, { retriable: true, component: 'docker' }));
    });
    this.ready.catch(() => {});
    streams.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    streams.stdout.on('end', () => this.die({ kind: 'ended' }));
    streams.stdout.on('error', () => this.die({ kind: 'ended' }));
    streams.stderr.on('data', (chunk: Buffer) => this.stderrTail.push(chunk));
    streams.stdin.on('error', () => {});
  }

  get containerId(): string {
    return this.identity.containerId;
  }

  get idle(): boolean {
    return this.state === 'idle';
  }

  get alive(): boolean {
    return this.state !== 'dead';
  }

  /** Hands `request` over; the code tar travels only with the container's first task. */
  run(request: ExecutionRequest): Promise<SessionEnd> {
    if (this.state !== 'idle') throw new Error(`hot session is ${this.state}, not idle`);
    this.state = 'busy';
    this.startedAtMs = null;
    this.live = new LiveOutput(request.live, request.stdoutCapBytes, request.stderrCapBytes);
    const reuseCode = this.tasksServed > 0;
    this.tasksServed++;
    this.reader.setMaxLineBytes(maxFrameBytes(request));
    const end = new Promise<SessionEnd>((resolve) => {
      this.onEnd = resolve;
    });
    this.streams.stdin.write(encodeTaskFrame(request, { keepAlive: true, reuseCode }));
    return end;
  }

  /** After a result: true once the launcher is ready for the next task, false if it died. */
  idleAgain(): Promise<boolean> {
    if (this.state === 'idle') return Promise.resolve(true);
    if (this.state !== 'cleaning') return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.onReady = (ok) => resolve(ok);
    });
  }

  /** The output the current task's live frames brought so far (empty without live frames). */
  liveOutput(): { stdout: Uint8Array; stderr: Uint8Array } {
    return this.live?.snapshot() ?? { stdout: new Uint8Array(0), stderr: new Uint8Array(0) };
  }

  diagnostics(): string {
    return this.stderrTail.text();
  }

  /** Drops the attach connection (the launcher sees stdin end and exits); removal is the caller's. */
  close(): void {
    this.streams.close();
    this.die({ kind: 'ended' });
  }

  private onStdout(chunk: Buffer): void {
    if (this.state === 'dead') return;
    try {
      for (const line of this.reader.push(chunk)) this.onLine(line);
    } catch (err) {
      this.die({ kind: 'protocol-error', message: (err as Error).message });
      this.streams.close();
    }
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    const frame = parseLauncherFrame(line);
    if (frame.type === 'ready') {
      if (this.state !== 'starting' && this.state !== 'cleaning')
        throw new Error(`unexpected ready while ${this.state}`);
      this.state = 'idle';
      this.lastUsedMs = Date.now();
      this.reader.setMaxLineBytes(IDLE_FRAME_CAP_BYTES);
      this.settleReady(true, '');
    } else if (this.state !== 'busy') {
      throw new Error(`unexpected ${frame.type} frame while ${this.state}`);
    } else if (frame.type === 'started') {
      this.startedAtMs = frame.atMs;
    } else if (frame.type === 'live') {
      this.live?.add(frame);
    } else {
      this.live = null;
      this.state = 'cleaning';
      this.settleEnd({ kind: 'result', frame });
    }
  }

  private settleReady(ok: boolean, why: string): void {
    const f = this.onReady;
    this.onReady = null;
    f?.(ok, why);
  }

  private settleEnd(end: SessionEnd): void {
    const f = this.onEnd;
    this.onEnd = null;
    f?.(end);
  }

  private die(end: SessionEnd): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    const why = end.kind === 'protocol-error' ? end.message : 'container output ended';
    const tail = this.diagnostics();
    this.settleReady(false, `${why}${tail ? `; stderr: ${tail.slice(-500)}` : ''}`);
    this.settleEnd(end);
  }
}

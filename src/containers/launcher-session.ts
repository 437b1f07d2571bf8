import type { ExecutionRequest } from '../domain/executor-port.js';
import { InfraError } from '../domain/infra-error.js';
import type { AttachedStreams, ContainerLimits } from './docker-engine-port.js';
import { FrameLineReader } from './frame-line-reader.js';
import { encodeTaskFrame, maxFrameBytes, parseLauncherFrame, type ResultFrame } from './launcher-frames.js';
import { LiveOutput } from './live-output.js';
import { StderrTail } from './stderr-tail.js';

/** How a session's stdout ended: with a result frame, without one, or with garbage. */
export type SessionEnd =
  | { readonly kind: 'result'; readonly frame: ResultFrame }
  | { readonly kind: 'ended' }
  | { readonly kind: 'protocol-error'; readonly message: string };

export interface SessionIdentity {
  readonly containerId: string;
  readonly stack: string;
  readonly imageId: string;
  readonly limits: ContainerLimits;
  readonly network: boolean;
}

/** Frame cap before a task is handed over: only `ready` is expected. */
const IDLE_FRAME_CAP_BYTES = 64 * 1024;

/**
 * One started container running the launcher, seen through its attach streams.
 *
 * Contract: `ready` resolves when the launcher printed its ready frame and rejects (InfraError,
 * retriable) if output ends first; `done` resolves exactly once, never rejects. Stdout lines are
 * capped (see `maxFrameBytes`), so a broken launcher cannot make the worker buffer without
 * bound. Only the last few KiB of the container's stderr are kept, for diagnostics.
 */
export class LauncherSession {
  readonly ready: Promise<void>;
  readonly done: Promise<SessionEnd>;
  /** Epoch ms from the launcher's `started` frame; null until it arrived. */
  startedAtMs: number | null = null;
  private finished = false;
  private handedOver = false;
  private readonly reader = new FrameLineReader(IDLE_FRAME_CAP_BYTES);
  private readonly stderrTail = new StderrTail();
  private live: LiveOutput | null = null;
  private resolveReady!: () => void;
  private rejectReady!: (err: InfraError) => void;
  private resolveDone!: (end: SessionEnd) => void;

  constructor(
    readonly identity: SessionIdentity,
    private readonly streams: AttachedStreams,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {});
    this.done = new Promise<SessionEnd>((resolve) => {
      this.resolveDone = resolve;
    });
    streams.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    streams.stdout.on('end', () => this.finish({ kind: 'ended' }));
    streams.stdout.on('error', () => this.finish({ kind: 'ended' }));
    streams.stderr.on('data', (chunk: Buffer) => this.stderrTail.push(chunk));
    streams.stdin.on('error', () => {});
  }

  get containerId(): string {
    return this.identity.containerId;
  }

  /** True while the container's output has not ended. */
  get alive(): boolean {
    return !this.finished;
  }

  /** Writes the task frame; may be called once. */
  handOver(request: ExecutionRequest): void {
    if (this.handedOver) throw new Error('launcher session already handed over');
    this.handedOver = true;
    this.live = new LiveOutput(request.live, request.stdoutCapBytes, request.stderrCapBytes);
    this.reader.setMaxLineBytes(maxFrameBytes(request));
    this.streams.stdin.write(encodeTaskFrame(request));
  }

  /** The output live frames brought so far (empty without live frames). */
  liveOutput(): { stdout: Uint8Array; stderr: Uint8Array } {
    return this.live?.snapshot() ?? { stdout: new Uint8Array(0), stderr: new Uint8Array(0) };
  }

  /** The last bytes the container wrote on stderr (launcher diagnostics), as text. */
  diagnostics(): string {
    return this.stderrTail.text();
  }

  /** Drops the attach connection; the container itself is removed by the caller. */
  close(): void {
    this.streams.close();
    this.finish({ kind: 'ended' });
  }

  private onStdout(chunk: Buffer): void {
    if (this.finished) return;
    try {
      for (const line of this.reader.push(chunk)) this.onLine(line);
    } catch (err) {
      this.finish({ kind: 'protocol-error', message: (err as Error).message });
      this.streams.close();
    }
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    const frame = parseLauncherFrame(line);
    if (frame.type === 'ready') this.resolveReady();
    else if (!this.handedOver) throw new Error(`unexpected ${frame.type} frame before handover`);
    else if (frame.type === 'started') this.startedAtMs = frame.atMs;
    else if (frame.type === 'live') this.live?.add(frame);
    else this.finish({ kind: 'result', frame });
  }

  private finish(end: SessionEnd): void {
    if (this.finished) return;
    this.finished = true;
    const why = end.kind === 'protocol-error' ? end.message : 'container output ended';
    const tail = this.diagnostics();
    this.rejectReady(
      new InfraError(`launcher not ready: ${why}${tail ? `; stderr: ${tail.slice(-500)}` : ''}`, {
        retriable: true,
        component: 'docker',
      }),
    );
    this.resolveDone(end);
  }
}

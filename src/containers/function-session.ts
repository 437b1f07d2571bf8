import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { ExecutionRequest } from '../domain/executor-port.js';
import { InfraError } from '../domain/infra-error.js';
import type { AcceptedCall, CallSocketExpectation } from './call-socket-server.js';
import type { AttachedStreams } from './docker-engine-port.js';
import { FrameLineReader } from './frame-line-reader.js';
import {
  type CallResultFrame,
  encodeCallFrame,
  encodeCancelFrame,
  encodeInitFrame,
  type FunctionInit,
  parseFunctionFrame,
} from './function-frames.js';
import type { SessionIdentity } from './launcher-session.js';
import { LiveOutput } from './live-output.js';
import { StderrTail } from './stderr-tail.js';

/** The package's handler could not be loaded: every task of it would fail the same way. */
export class HandlerLoadError extends Error {
  constructor(
    readonly reason: string,
    readonly stderr: string,
  ) {
    super(`handler could not be loaded: ${reason}`);
    this.name = 'HandlerLoadError';
  }
}

/**
 * How one call ended: the launcher's result frame, the container went away first, or the call's
 * backstop passed with no answer (a launcher that stopped answering).
 */
export type CallEnd =
  | { readonly kind: 'result'; readonly frame: CallResultFrame }
  | { readonly kind: 'lost'; readonly why: string }
  | { readonly kind: 'backstop' };

interface PendingCall {
  readonly taskId: string;
  /** The call's request: its live feed and output caps (for the call's live frames). */
  readonly request: ExecutionRequest;
  /** Where the call's live frames go (progress; output is attributed at the call's end); made on the first. */
  live: LiveOutput | null;
  /** Epoch ms after which the call ends as `backstop` if the launcher has not answered. */
  readonly backstopAtMs: number;
  readonly settle: (end: CallEnd) => void;
}

/** How often a session looks for calls past their backstop (one timer per session, not per call). */
const BACKSTOP_CHECK_MS = 1_000;

/**
 * A function-mode container (docs/function-runtimes.md): on the launcher's ready frame it sends
 * the init frame and waits for `loaded`; then any number of calls may be queued (pipelined), and
 * results come back one per call.
 *
 * Contract: `ready` resolves once the handler is loaded and rejects with `HandlerLoadError` (the
 * package is broken) or `InfraError` (the container failed). `call` never rejects: it resolves
 * with the call's result frame, or `lost` when the container's output ended or broke before it —
 * the call may or may not have run — or `backstop` once `backstopMs` passed without an answer
 * (checked about once a second; the caller decides what to do with the container). `cancel` asks the launcher to cancel a queued or running
 * call (its result then says `cancelled`). Frames longer than `maxFrameBytes` break the session.
 */
export class FunctionSession {
  readonly ready: Promise<void>;
  lastUsedMs = Date.now();
  private readonly pending: PendingCall[] = [];
  private readonly reader: FrameLineReader;
  private readonly stderrTail = new StderrTail();
  private state: 'starting' | 'loading' | 'serving' | 'dead' = 'starting';
  private settleReady: ((err: Error | null) => void) | null = null;
  /** Frames written in this tick, sent together (one write on the attach socket for many calls). */
  private outgoing: string[] = [];
  private backstopTimer: NodeJS.Timeout | null = null;

  /** Where frames to the launcher go: stdin, or the call socket once the launcher connected. */
  private sink: Writable;
  private socket: Socket | null = null;

  constructor(
    readonly identity: SessionIdentity,
    private readonly streams: AttachedStreams,
    private readonly init: FunctionInit,
    private readonly maxFrameBytes: number,
    /** Run after the launcher's ready frame, before the init frame (secret files); may reject. */
    private readonly prepare?: () => Promise<void>,
    /**
     * The call socket this container is expected on (named in the init frame): once the launcher
     * connects, every frame travels there. A launcher that cannot connect keeps to stdin/stdout.
     */
    private readonly callSocket?: CallSocketExpectation,
  ) {
    this.reader = new FrameLineReader(maxFrameBytes);
    this.sink = streams.stdin;
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (err) => (err === null ? resolve() : reject(err));
    });
    this.ready.catch(() => {});
    callSocket?.accepted.then((call) => call !== null && this.adopt(call));
    streams.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    streams.stdout.on('end', () => this.die('container output ended'));
    streams.stdout.on('error', () => this.die('container output failed'));
    streams.stderr.on('data', (chunk: Buffer) => this.stderrTail.push(chunk));
    streams.stdin.on('error', () => {});
  }

  get containerId(): string {
    return this.identity.containerId;
  }

  get alive(): boolean {
    return this.state !== 'dead';
  }

  /** Calls handed over and not answered yet. */
  get inFlight(): number {
    return this.pending.length;
  }

  /** Queues a call; the promise settles once, with its result, `lost` or `backstop`. */
  call(
    request: ExecutionRequest,
    labels: Readonly<Record<string, string>>,
    deadlineMs: number,
    backstopMs: number,
  ): Promise<CallEnd> {
    if (this.state !== 'serving')
      return Promise.resolve({ kind: 'lost', why: `function session is ${this.state}` });
    const now = Date.now();
    this.lastUsedMs = now;
    this.backstopTimer ??= setInterval(() => this.checkBackstops(), BACKSTOP_CHECK_MS).unref();
    return new Promise<CallEnd>((settle) => {
      this.pending.push({
        taskId: request.taskId,
        request,
        live: null,
        backstopAtMs: now + backstopMs,
        settle,
      });
      this.write(encodeCallFrame(request, labels, deadlineMs));
    });
  }

  private checkBackstops(): void {
    const now = Date.now();
    for (let i = 0; i < this.pending.length; ) {
      const p = this.pending[i];
      if (p !== undefined && now > p.backstopAtMs) {
        this.pending.splice(i, 1);
        p.settle({ kind: 'backstop' });
      } else i++;
    }
  }

  cancel(taskId: string): void {
    if (this.state === 'serving') this.write(encodeCancelFrame(taskId));
  }

  private write(frame: string): void {
    this.outgoing.push(frame);
    if (this.outgoing.length > 1) return;
    setImmediate(() => {
      const frames = this.outgoing;
      this.outgoing = [];
      if (this.state !== 'dead') this.sink.write(frames.length === 1 ? frames[0] : frames.join(''));
    });
  }

  diagnostics(): string {
    return this.stderrTail.text();
  }

  /** Drops the attach connection and the call socket (the launcher exits); removal is the caller's. */
  close(): void {
    this.streams.close();
    this.socket?.destroy();
    this.die('session closed');
  }

  /** The launcher connected to the call socket: from now on its frames come and go there. */
  private adopt(call: AcceptedCall): void {
    if (this.state === 'dead') {
      call.socket.destroy();
      return;
    }
    const socket = call.socket;
    const reader = new FrameLineReader(this.maxFrameBytes);
    this.socket = socket;
    this.sink = socket;
    socket.on('data', (chunk: Buffer) => this.onFrames(reader, chunk));
    socket.on('end', () => this.die('call socket ended'));
    socket.on('close', () => this.die('call socket closed'));
    socket.on('error', () => this.die('call socket failed'));
    if (call.rest.length > 0) this.onFrames(reader, call.rest);
    socket.resume();
  }

  private onStdout(chunk: Buffer): void {
    this.onFrames(this.reader, chunk);
  }

  private onFrames(reader: FrameLineReader, chunk: Buffer): void {
    if (this.state === 'dead') return;
    try {
      for (const line of reader.push(chunk)) if (line !== '') this.onLine(line);
    } catch (err) {
      this.die(`launcher protocol error: ${(err as Error).message}`);
      this.streams.close();
      this.socket?.destroy();
    }
  }

  private onLine(line: string): void {
    if (this.state === 'starting') {
      // The launcher's own ready frame: the container runs; hand it the handler.
      const o = JSON.parse(line) as { type?: unknown };
      if (o.type !== 'ready') throw new Error(`expected ready, got ${line.slice(0, 80)}`);
      this.state = 'loading';
      if (this.prepare === undefined) this.streams.stdin.write(this.initFrame());
      else
        this.prepare().then(
          () => {
            if (this.state === 'loading') this.streams.stdin.write(this.initFrame());
          },
          (err: unknown) => {
            this.die(`preparing the container failed: ${(err as Error).message}`);
            this.streams.close();
          },
        );
      return;
    }
    const frame = parseFunctionFrame(line);
    if (frame.type === 'loaded') {
      if (this.state !== 'loading') throw new Error('unexpected loaded frame');
      // Loaded without connecting (a launcher without call sockets): stdin/stdout it is.
      if (this.socket === null) this.callSocket?.cancel();
      this.state = 'serving';
      this.settle(null);
    } else if (frame.type === 'load-error') {
      const stderr = Buffer.from(frame.stderrB64, 'base64').toString('utf8');
      this.settle(new HandlerLoadError(frame.reason, stderr));
      // A reload after a failed call failed: calls still queued in the launcher are lost.
      this.die(`handler could not be reloaded: ${frame.reason}`);
    } else if (frame.type === 'live') {
      // Best effort: a call that already ended (or never was) just loses the frame.
      const call = this.pending.find((p) => p.taskId === frame.taskId);
      const r = call?.request;
      if (call === undefined || r === undefined || r.live === undefined) return;
      call.live ??= new LiveOutput(r.live, r.stdoutCapBytes, r.stderrCapBytes);
      call.live.add(frame);
    } else {
      const at = this.pending.findIndex((p) => p.taskId === frame.taskId);
      if (at === -1) throw new Error(`result for unknown call ${frame.taskId}`);
      const [call] = this.pending.splice(at, 1);
      this.lastUsedMs = Date.now();
      call?.settle({ kind: 'result', frame });
    }
  }

  private initFrame(): string {
    const c = this.callSocket;
    return encodeInitFrame(
      c === undefined ? this.init : { ...this.init, callSocket: { path: c.containerPath, token: c.token } },
    );
  }

  private settle(err: Error | null): void {
    const f = this.settleReady;
    this.settleReady = null;
    f?.(err);
  }

  private die(why: string): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    this.callSocket?.cancel();
    if (this.backstopTimer !== null) clearInterval(this.backstopTimer);
    this.backstopTimer = null;
    const tail = this.diagnostics();
    this.settle(
      new InfraError(`function container not ready: ${why}${tail ? `; stderr: ${tail.slice(-500)}` : ''}`, {
        retriable: true,
        component: 'docker',
      }),
    );
    for (const p of this.pending.splice(0)) p.settle({ kind: 'lost', why });
  }
}

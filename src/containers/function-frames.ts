import type { ExecutionRequest } from '../domain/executor-port.js';
import { type LiveFrame, parseLiveFrame } from './launcher-frames.js';

/**
 * Frames of the launcher's function mode (docs/function-runtimes.md §1): what the executor writes
 * on a function container's stdin and what it reads back.
 */
export type FunctionFrame = LoadedFrame | LoadErrorFrame | CallResultFrame | LiveFrame;

export interface LoadedFrame {
  readonly type: 'loaded';
  readonly atMs: number;
}

export interface LoadErrorFrame {
  readonly type: 'load-error';
  readonly reason: string;
  readonly stderrB64: string;
}

export type CallStatus = 'ok' | 'error' | 'timeout' | 'oom' | 'crash' | 'cancelled';
export type ValueKind = 'bytes' | 'string' | 'json' | 'null';

export interface CallResultFrame {
  readonly type: 'result';
  readonly taskId: string;
  readonly status: CallStatus;
  readonly valueKind: ValueKind | null;
  readonly valueB64: string | null;
  readonly errorMessage: string | null;
  readonly errorStack: string | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdoutB64: string;
  readonly stdoutTruncated: boolean;
  readonly stderrB64: string;
  readonly stderrTruncated: boolean;
  readonly startedAtMs: number | null;
  readonly finishedAtMs: number | null;
  /** The call's duration in µs on the launcher's monotonic clock (null: never started, or an older launcher). */
  readonly runUs: number | null;
}

/** What the launcher needs to load a handler. */
export interface FunctionInit {
  readonly handler: string;
  readonly codeTar: Uint8Array | null;
  readonly env: Readonly<Record<string, string>>;
  readonly stdoutCapBytes: number;
  readonly stderrCapBytes: number;
  readonly loadTimeoutMs: number;
  /** > 0: the launcher forwards each call's progress as live frames, at most one per interval. */
  readonly liveIntervalMs?: number;
  /** The executor's call socket (path inside the container) and this container's token. */
  readonly callSocket?: { readonly path: string; readonly token: string };
}

export function encodeInitFrame(init: FunctionInit): string {
  return `${JSON.stringify({
    type: 'function',
    handler: init.handler,
    codeTarB64: init.codeTar === null ? null : Buffer.from(init.codeTar).toString('base64'),
    env: init.env,
    stdoutCapBytes: init.stdoutCapBytes,
    stderrCapBytes: init.stderrCapBytes,
    loadTimeoutMs: init.loadTimeoutMs,
    ...(init.liveIntervalMs ? { liveIntervalMs: init.liveIntervalMs } : {}),
    ...(init.callSocket ? { callSocket: init.callSocket.path, callToken: init.callSocket.token } : {}),
  })}\n`;
}

/** One call; `labels` are the task's labels, `deadlineMs` the epoch ms its timeout ends at the latest. */
export function encodeCallFrame(
  request: ExecutionRequest,
  labels: Readonly<Record<string, string>>,
  deadlineMs: number,
): string {
  return `${JSON.stringify({
    type: 'call',
    taskId: request.taskId,
    attempt: request.attempt,
    payloadB64: Buffer.from(
      request.payload.buffer,
      request.payload.byteOffset,
      request.payload.byteLength,
    ).toString('base64'),
    labels,
    timeoutMs: request.timeoutMs,
    deadlineMs,
  })}\n`;
}

export function encodeCancelFrame(taskId: string): string {
  return `${JSON.stringify({ type: 'cancel', taskId })}\n`;
}

const STATUSES = new Set<CallStatus>(['ok', 'error', 'timeout', 'oom', 'crash', 'cancelled']);
const KINDS = new Set<ValueKind>(['bytes', 'string', 'json', 'null']);

/** Parses one stdout line of a function container; throws `Error` for anything malformed. */
export function parseFunctionFrame(line: string): FunctionFrame {
  const value: unknown = JSON.parse(line);
  if (typeof value !== 'object' || value === null) throw new Error('frame is not a JSON object');
  const o = value as Record<string, unknown>;
  switch (o.type) {
    case 'loaded':
      return { type: 'loaded', atMs: typeof o.atMs === 'number' ? o.atMs : Date.now() };
    case 'load-error':
      return {
        type: 'load-error',
        reason: str(o.reason) ?? 'handler could not be loaded',
        stderrB64: str(o.stderrB64) ?? '',
      };
    case 'result': {
      const status = o.status as CallStatus;
      if (!STATUSES.has(status)) throw new Error(`unknown call status ${JSON.stringify(o.status)}`);
      const taskId = str(o.taskId);
      if (taskId === null) throw new Error('result frame without taskId');
      const kind = str(o.valueKind) as ValueKind | null;
      if (kind !== null && !KINDS.has(kind)) throw new Error(`unknown value kind ${JSON.stringify(kind)}`);
      return {
        type: 'result',
        taskId,
        status,
        valueKind: kind,
        valueB64: str(o.valueB64),
        errorMessage: str(o.errorMessage),
        errorStack: str(o.errorStack),
        exitCode: num(o.exitCode),
        signal: str(o.signal),
        stdoutB64: str(o.stdoutB64) ?? '',
        stdoutTruncated: o.stdoutTruncated === true,
        stderrB64: str(o.stderrB64) ?? '',
        stderrTruncated: o.stderrTruncated === true,
        startedAtMs: num(o.startedAtMs),
        finishedAtMs: num(o.finishedAtMs),
        runUs: num(o.runUs),
      };
    }
    case 'live': {
      const live = parseLiveFrame(o);
      if (live.taskId === null) throw new Error('live frame without taskId');
      return live;
    }
    default:
      throw new Error(`unknown function frame type ${JSON.stringify(o.type)}`);
  }
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

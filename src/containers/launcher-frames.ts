import type { ExecutionRequest } from '../domain/executor-port.js';

/** Frames the launcher writes on stdout (docs/launcher-protocol.md). */
export type LauncherFrame = ReadyFrame | StartedFrame | LiveFrame | ResultFrame;

/**
 * What a running task printed and reported since the previous live frame (sent only for frames
 * with `liveIntervalMs`, at most one per interval). `taskId` is set in function mode only.
 */
export interface LiveFrame {
  readonly type: 'live';
  readonly taskId: string | null;
  readonly stdoutB64: string;
  readonly stderrB64: string;
  readonly progress: { readonly pct: number | null; readonly msg: string } | null;
}

export interface ReadyFrame {
  readonly type: 'ready';
}

export interface StartedFrame {
  readonly type: 'started';
  readonly atMs: number;
}

export interface ResultFrame {
  readonly type: 'result';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** The launcher ended the task on a cancel signal (SIGUSR1); output up to then is kept. */
  readonly cancelled: boolean;
  readonly oomKilled: boolean;
  readonly spawnError: string | null;
  readonly stdoutB64: string;
  readonly stderrB64: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly stdoutBytes: number;
  readonly stderrBytes: number;
  readonly outputs: readonly { readonly name: string; readonly dataB64: string }[];
  readonly outputsTruncated: boolean;
  readonly startedAtMs: number | null;
  readonly finishedAtMs: number | null;
}

/** Bytes allowed for frame overhead besides the capped, base64-encoded contents. */
const FRAME_SLACK_BYTES = 256 * 1024;

/**
 * The largest stdout line accepted from the launcher for `request`: the three caps in base64
 * (4/3) plus slack for JSON, file names and numbers. Anything longer means a broken launcher.
 */
export function maxFrameBytes(
  request: Pick<ExecutionRequest, 'stdoutCapBytes' | 'stderrCapBytes' | 'outputCapBytes'>,
): number {
  const capped = request.stdoutCapBytes + request.stderrCapBytes + request.outputCapBytes;
  return Math.ceil((capped * 4) / 3) + FRAME_SLACK_BYTES;
}

/** Keep-alive fields of a task frame (hot isolation); absent for fresh containers. */
export interface KeepAliveFlags {
  readonly keepAlive: boolean;
  /** Keep /task/code from the previous task; the code tar is then not sent. */
  readonly reuseCode: boolean;
}

/** The one stdin line that hands `request` to a warm launcher. */
export function encodeTaskFrame(request: ExecutionRequest, keepAlive?: KeepAliveFlags): string {
  const sendCode = request.codeTar !== null && keepAlive?.reuseCode !== true;
  const frame = {
    taskId: request.taskId,
    attempt: request.attempt,
    command: request.command,
    env: request.env,
    payloadB64: Buffer.from(request.payload).toString('base64'),
    codeTarB64: sendCode && request.codeTar !== null ? Buffer.from(request.codeTar).toString('base64') : null,
    timeoutMs: request.timeoutMs,
    stdoutCapBytes: request.stdoutCapBytes,
    stderrCapBytes: request.stderrCapBytes,
    outputCapBytes: request.outputCapBytes,
    ...(keepAlive === undefined ? {} : { keepAlive: keepAlive.keepAlive, reuseCode: keepAlive.reuseCode }),
    ...(request.live === undefined ? {} : { liveIntervalMs: request.live.intervalMs }),
  };
  return `${JSON.stringify(frame)}\n`;
}

/**
 * Parses one stdout line. Contract: returns a well-typed frame or throws `Error` describing what
 * is wrong (the caller treats that as a launcher protocol violation).
 */
export function parseLauncherFrame(line: string): LauncherFrame {
  const value: unknown = JSON.parse(line);
  if (typeof value !== 'object' || value === null) throw new Error('frame is not a JSON object');
  const o = value as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
      return { type: 'ready' };
    case 'started':
      return { type: 'started', atMs: num(o.atMs, 'atMs') ?? Date.now() };
    case 'result':
      return parseResult(o);
    case 'live':
      return parseLiveFrame(o);
    default:
      throw new Error(`unknown frame type ${JSON.stringify(o.type)}`);
  }
}

function parseResult(o: Record<string, unknown>): ResultFrame {
  return {
    type: 'result',
    exitCode: num(o.exitCode, 'exitCode'),
    signal: str(o.signal, 'signal'),
    timedOut: o.timedOut === true,
    cancelled: o.cancelled === true,
    oomKilled: o.oomKilled === true,
    spawnError: str(o.spawnError, 'spawnError'),
    stdoutB64: str(o.stdoutB64, 'stdoutB64') ?? '',
    stderrB64: str(o.stderrB64, 'stderrB64') ?? '',
    stdoutTruncated: o.stdoutTruncated === true,
    stderrTruncated: o.stderrTruncated === true,
    stdoutBytes: num(o.stdoutBytes, 'stdoutBytes') ?? 0,
    stderrBytes: num(o.stderrBytes, 'stderrBytes') ?? 0,
    outputs: outputs(o.outputs),
    outputsTruncated: o.outputsTruncated === true,
    startedAtMs: num(o.startedAtMs, 'startedAtMs'),
    finishedAtMs: num(o.finishedAtMs, 'finishedAtMs'),
  };
}

/** Parses a `live` frame (task and function mode); throws like `parseLauncherFrame`. */
export function parseLiveFrame(o: Record<string, unknown>): LiveFrame {
  let progress: LiveFrame['progress'] = null;
  if (o.progress !== undefined && o.progress !== null) {
    if (typeof o.progress !== 'object') throw new Error('progress is not an object');
    const p = o.progress as Record<string, unknown>;
    progress = { pct: num(p.pct, 'progress.pct'), msg: str(p.msg, 'progress.msg') ?? '' };
  }
  return {
    type: 'live',
    taskId: str(o.taskId, 'taskId'),
    stdoutB64: str(o.stdoutB64, 'stdoutB64') ?? '',
    stderrB64: str(o.stderrB64, 'stderrB64') ?? '',
    progress,
  };
}

function outputs(value: unknown): ResultFrame['outputs'] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error('outputs is not an array');
  return value.map((item: unknown, i) => {
    const f = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const name = str(f.name, `outputs[${i}].name`);
    const dataB64 = str(f.dataB64, `outputs[${i}].dataB64`);
    if (name === null || dataB64 === null) throw new Error(`outputs[${i}] lacks name or dataB64`);
    return { name, dataB64 };
  });
}

function num(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${field} is not a number`);
  return value;
}

function str(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new Error(`${field} is not a string`);
  return value;
}

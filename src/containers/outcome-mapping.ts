import type { ExecutionOutcome } from '../domain/executor-port.js';
import { NO_OUTPUT } from '../domain/task-result.js';
import type { ResultFrame } from './launcher-frames.js';

const EMPTY = new Uint8Array(0);

/** What the engine knows about the container beyond the launcher's own report. */
export interface EngineVerdict {
  /** The engine saw the container's memory cgroup hit its limit. */
  readonly oomKilled: boolean;
}

/**
 * Maps the launcher's result frame to an outcome:
 * spawnError → FAILED (reason); timedOut → TIMED_OUT; cancelled → CANCELLED "cancelled"; oomKilled (launcher or engine) → KILLED
 * "out of memory (limit N bytes)"; other signal → KILLED "killed by SIG…"; exit 0 → SUCCEEDED;
 * exit N → FAILED "exit code N".
 */
export function outcomeFromResult(
  frame: ResultFrame,
  memoryBytes: number,
  engine: EngineVerdict,
): ExecutionOutcome {
  const base = {
    stdout: decode(frame.stdoutB64),
    stdoutTruncated: frame.stdoutTruncated,
    stderr: decode(frame.stderrB64),
    stderrTruncated: frame.stderrTruncated,
    outputs: frame.outputs.map((f) => ({ name: f.name, data: decode(f.dataB64) })),
    outputsTruncated: frame.outputsTruncated,
    startedAtMs: frame.spawnError === null ? frame.startedAtMs : null,
    finishedAtMs: frame.finishedAtMs ?? Date.now(),
  };
  if (frame.spawnError !== null)
    return { ...base, status: 'FAILED', exitCode: null, reason: frame.spawnError };
  if (frame.timedOut) return { ...base, status: 'TIMED_OUT', exitCode: null, reason: 'timed out' };
  if (frame.cancelled) return { ...base, status: 'CANCELLED', exitCode: null, reason: 'cancelled' };
  if (frame.oomKilled || (frame.signal === 'SIGKILL' && engine.oomKilled)) {
    return { ...base, status: 'KILLED', exitCode: null, reason: oomReason(memoryBytes) };
  }
  if (frame.signal !== null)
    return { ...base, status: 'KILLED', exitCode: null, reason: `killed by ${frame.signal}` };
  if (frame.exitCode === 0) return { ...base, status: 'SUCCEEDED', exitCode: 0, reason: null };
  const code = frame.exitCode;
  return {
    ...base,
    status: 'FAILED',
    exitCode: code,
    reason: code === null ? 'no exit status' : `exit code ${code}`,
  };
}

/** True when the engine should be asked whether the OOM killer fired (launcher saw a bare SIGKILL). */
export function needsOomCheck(frame: ResultFrame): boolean {
  return frame.spawnError === null && !frame.timedOut && !frame.oomKilled && frame.signal === 'SIGKILL';
}

export function oomReason(memoryBytes: number): string {
  return `out of memory (limit ${memoryBytes} bytes)`;
}

/**
 * The outcome of a cancelled run: the launcher's result frame when it answered the cancel signal
 * (with everything the task printed; a task that ended by itself meanwhile keeps its own outcome),
 * else what the live frames brought.
 */
export function cancelledOutcome(
  frame: ResultFrame | null,
  live: { readonly stdout: Uint8Array; readonly stderr: Uint8Array },
  reason: string,
  memoryBytes: number,
  startedAtMs: number | null,
): ExecutionOutcome {
  if (frame !== null) {
    const o = outcomeFromResult(frame, memoryBytes, { oomKilled: false });
    return frame.cancelled ? { ...o, status: 'CANCELLED', exitCode: null, reason } : o;
  }
  return { ...emptyOutcome('CANCELLED', reason, startedAtMs), stdout: live.stdout, stderr: live.stderr };
}

/** An outcome without anything from the task: it was cut off before or while running. */
export function emptyOutcome(
  status: ExecutionOutcome['status'],
  reason: string,
  startedAtMs: number | null,
): ExecutionOutcome {
  return {
    status,
    exitCode: null,
    reason,
    ...NO_OUTPUT,
    startedAtMs,
    finishedAtMs: Date.now(),
  };
}

function decode(b64: string): Uint8Array {
  if (b64 === '') return EMPTY;
  const buf = Buffer.from(b64, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** What one progress record carries besides its identity (task, attempt, worker, seq, time). */
export interface ProgressChunk {
  readonly percent: number | null;
  readonly message: string | null;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  readonly droppedBytes: number;
}

export interface CoalescerLimits {
  /** At most one chunk per this many ms (1000 / chunks per second). */
  readonly minIntervalMs: number;
  /** Output bytes published per attempt at most; later output is counted in `droppedBytes`. */
  readonly maxBytes: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Gathers one attempt's output and progress between two chunks. Contract: `take` returns a chunk
 * only when something is pending and at least `minIntervalMs` passed since the previous chunk
 * (`force` skips the wait, for the attempt's end), so an attempt yields at most
 * 1000 / minIntervalMs chunks a second however often it prints; the output in all its chunks
 * together never exceeds `maxBytes` (memory held is bounded by it too), bytes beyond are counted
 * and reported in `droppedBytes`; of several progress reports between two chunks only the newest
 * is kept. Pure: time is passed in.
 */
export class ProgressCoalescer {
  private stdout: Uint8Array[] = [];
  private stderr: Uint8Array[] = [];
  private pendingBytes = 0;
  private spentBytes = 0;
  private dropped = 0;
  private droppedReported = 0;
  private progress: { percent: number | null; message: string } | null = null;
  private lastTakeMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly limits: CoalescerLimits) {}

  addOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    if (data.byteLength === 0) return;
    const room = Math.max(0, this.limits.maxBytes - this.spentBytes - this.pendingBytes);
    const kept = Math.min(room, data.byteLength);
    if (kept > 0) {
      (stream === 'stdout' ? this.stdout : this.stderr).push(
        kept === data.byteLength ? data : data.subarray(0, kept),
      );
      this.pendingBytes += kept;
    }
    this.dropped += data.byteLength - kept;
  }

  setProgress(percent: number | null, message: string): void {
    this.progress = { percent, message };
  }

  /** True when a chunk would carry something (output, progress or a new drop count). */
  get pending(): boolean {
    return this.pendingBytes > 0 || this.progress !== null || this.dropped !== this.droppedReported;
  }

  /** Ms from `nowMs` until a chunk may be taken (0: now). */
  waitMs(nowMs: number): number {
    return Math.max(0, this.lastTakeMs + this.limits.minIntervalMs - nowMs);
  }

  take(nowMs: number, force = false): ProgressChunk | null {
    if (!this.pending || (!force && this.waitMs(nowMs) > 0)) return null;
    const chunk: ProgressChunk = {
      percent: this.progress?.percent ?? null,
      message: this.progress === null ? null : this.progress.message,
      stdout: join(this.stdout),
      stderr: join(this.stderr),
      droppedBytes: this.dropped,
    };
    this.spentBytes += this.pendingBytes;
    this.stdout = [];
    this.stderr = [];
    this.pendingBytes = 0;
    this.progress = null;
    this.droppedReported = this.dropped;
    this.lastTakeMs = nowMs;
    return chunk;
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0] as Uint8Array;
  return new Uint8Array(Buffer.concat(parts));
}

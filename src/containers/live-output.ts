import type { LiveFeed } from '../domain/live-feed.js';
import type { LiveFrame } from './launcher-frames.js';

/**
 * The output of a running attempt as its live frames brought it, kept (up to the request's caps)
 * so that an attempt cut off without a result frame — a cancel the launcher could not answer —
 * still reports what it printed; each frame is also passed on to the request's live feed.
 */
export class LiveOutput {
  private readonly stdout: Buffer[] = [];
  private readonly stderr: Buffer[] = [];
  private stdoutBytes = 0;
  private stderrBytes = 0;

  constructor(
    private readonly feed: LiveFeed | undefined,
    private readonly stdoutCapBytes: number,
    private readonly stderrCapBytes: number,
  ) {}

  /** Keeps and forwards one live frame; the feed's failures never reach the session. */
  add(frame: LiveFrame): void {
    const out = frame.stdoutB64 === '' ? null : Buffer.from(frame.stdoutB64, 'base64');
    const err = frame.stderrB64 === '' ? null : Buffer.from(frame.stderrB64, 'base64');
    if (out !== null) this.stdoutBytes += keep(this.stdout, out, this.stdoutCapBytes - this.stdoutBytes);
    if (err !== null) this.stderrBytes += keep(this.stderr, err, this.stderrCapBytes - this.stderrBytes);
    const feed = this.feed;
    if (feed === undefined) return;
    try {
      if (out !== null) feed.output('stdout', new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
      if (err !== null) feed.output('stderr', new Uint8Array(err.buffer, err.byteOffset, err.byteLength));
      if (frame.progress !== null) feed.progress(frame.progress.pct, frame.progress.msg);
    } catch {
      // Best effort: a feed that throws loses this frame, never the task.
    }
  }

  /** What was kept so far; `truncated` is unknown here (a live frame never exceeds the caps). */
  snapshot(): { stdout: Uint8Array; stderr: Uint8Array } {
    return {
      stdout: new Uint8Array(Buffer.concat(this.stdout)),
      stderr: new Uint8Array(Buffer.concat(this.stderr)),
    };
  }
}

function keep(into: Buffer[], data: Buffer, room: number): number {
  if (room <= 0) return 0;
  const part = data.byteLength > room ? data.subarray(0, room) : data;
  into.push(part);
  return part.byteLength;
}

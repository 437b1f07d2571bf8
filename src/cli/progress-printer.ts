import type { TaskProgress } from '../domain/task-progress.js';
import type { TaskResult } from '../domain/task-result.js';
import { resultLine, returnValueText } from './result-printer.js';

/** `progress 40% copying files` (or without the percentage), for stderr. */
export function progressLine(p: Pick<TaskProgress, 'percent' | 'message'>): string {
  const pct = p.percent === null ? '' : ` ${Number(p.percent.toFixed(1))}%`;
  return `progress${pct}${p.message ? ` ${p.message}` : ''}`;
}

/** One progress record as JSON (bytes as UTF-8 text; invalid sequences replaced). */
export function progressJson(p: TaskProgress): Record<string, unknown> {
  return {
    taskId: p.taskId,
    attempt: p.attempt,
    workerId: p.workerId,
    seq: p.seq,
    atMs: p.atMs,
    percent: p.percent,
    message: p.message,
    stdout: Buffer.from(p.stdout).toString('utf8'),
    stderr: Buffer.from(p.stderr).toString('utf8'),
    droppedBytes: p.droppedBytes,
  };
}

/**
 * Prints progress records of one task as they come: output to our stdout/stderr as the task wrote
 * it, progress reports as `[berth] progress …` lines on stderr, a note when a new attempt starts
 * and when output was dropped. Counts what each attempt streamed, so that the rest of the output
 * can be taken from the attempt's result (`printRest`).
 */
export class ProgressPrinter {
  /** Per attempt: stdout and stderr bytes streamed, output bytes dropped. */
  private readonly streamed = new Map<number, { stdout: number; stderr: number; dropped: number }>();
  private attempt = 0;
  private dropped = 0;

  constructor(
    private readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  print(p: TaskProgress): void {
    const counts = this.streamed.get(p.attempt) ?? { stdout: 0, stderr: 0, dropped: 0 };
    counts.stdout += p.stdout.byteLength;
    counts.stderr += p.stderr.byteLength;
    counts.dropped = Math.max(counts.dropped, p.droppedBytes);
    this.streamed.set(p.attempt, counts);
    if (this.json) {
      this.out.write(`${JSON.stringify(progressJson(p))}\n`);
      return;
    }
    if (p.attempt !== this.attempt) {
      if (this.attempt !== 0) this.err.write(`[berth] attempt ${p.attempt} on ${p.workerId}\n`);
      this.attempt = p.attempt;
      this.dropped = 0;
    }
    if (p.stdout.byteLength > 0) this.out.write(p.stdout);
    if (p.stderr.byteLength > 0) this.err.write(p.stderr);
    if (p.percent !== null || p.message !== null) this.err.write(`[berth] ${progressLine(p)}\n`);
    if (p.droppedBytes > this.dropped) {
      this.err.write(`[berth] ${p.droppedBytes - this.dropped} output bytes not streamed (see the result)\n`);
      this.dropped = p.droppedBytes;
    }
  }

  /**
   * Prints what `result`'s attempt printed beyond what was streamed (the output of its last moments,
   * or all of it when nothing streamed), then its outcome line on stderr. Streamed output is a
   * prefix of the result's; when some was dropped, the rest cannot be placed and a note says so.
   */
  printRest(r: TaskResult): void {
    const counts = this.streamed.get(r.attempt) ?? { stdout: 0, stderr: 0, dropped: 0 };
    if (counts.dropped > 0) {
      this.err.write(`[berth] some output was not streamed: berth task ${r.id} --output shows all of it\n`);
    } else {
      if (r.stdout.byteLength > counts.stdout) this.out.write(r.stdout.subarray(counts.stdout));
      if (r.stderr.byteLength > counts.stderr) this.err.write(r.stderr.subarray(counts.stderr));
    }
    if (r.stdoutTruncated) this.err.write('[stdout truncated]\n');
    if (r.stderrTruncated) this.err.write('[stderr truncated]\n');
    if (r.returnValue != null) this.out.write(`${returnValueText(r.returnValue)}\n`);
    this.err.write(`${resultLine(r)}\n`);
  }
}

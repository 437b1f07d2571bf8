import type { TaskProgress } from '../domain/task-progress.js';
import { progressLine } from './progress-printer.js';

export interface WaitStatusOptions {
  /** e.g. `berth run`. */
  readonly prefix: string;
  readonly id: string;
  /** stderr is a terminal: one status line redrawn in place; otherwise plain lines. */
  readonly tty: boolean;
  readonly write: (text: string) => void;
  readonly now?: () => number;
  /** How often the terminal line is redrawn; default 1 s. */
  readonly redrawMs?: number;
}

const CLEAR_LINE = '\r\x1b[2K';

/**
 * What a waiting command shows while a task runs. On a terminal: one line, redrawn every second
 * in place, with the time waited and the task's last reported progress; other messages (`note`)
 * clear it, print, and it comes back. Otherwise: plain lines, one per change of reported
 * progress (percent or message), nothing on a timer, so logs and pipes stay readable.
 * Contract: `stop` is idempotent and leaves the terminal line cleared.
 */
export class WaitStatus {
  private readonly startedAtMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private shown = false;
  private last: Pick<TaskProgress, 'percent' | 'message'> | null = null;

  constructor(private readonly o: WaitStatusOptions) {
    this.now = o.now ?? Date.now;
    this.startedAtMs = this.now();
  }

  start(): void {
    if (!this.o.tty || this.timer !== null) return;
    this.render();
    this.timer = setInterval(() => this.render(), this.o.redrawMs ?? 1000);
    this.timer.unref();
  }

  /** A progress record of the task: kept for the status line (terminal) or printed if it changed. */
  progress(p: Pick<TaskProgress, 'percent' | 'message'>): void {
    if (p.percent === null && p.message === null) return; // output only, no report
    const changed = this.last === null || this.last.percent !== p.percent || this.last.message !== p.message;
    this.last = { percent: p.percent, message: p.message };
    if (this.o.tty) this.render();
    else if (changed) this.o.write(`${this.o.prefix}: task ${this.o.id} ${progressLine(p)}\n`);
  }

  /** Any other message for the user, as one line. */
  note(line: string): void {
    if (this.shown) this.o.write(CLEAR_LINE);
    this.shown = false;
    this.o.write(`${this.o.prefix}: ${line}\n`);
    if (this.timer !== null) this.render();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) this.o.write(CLEAR_LINE);
    this.shown = false;
  }

  private render(): void {
    const waited = Math.floor((this.now() - this.startedAtMs) / 1000);
    const report = this.last === null ? '' : ` · ${progressLine(this.last)}`;
    this.o.write(`${CLEAR_LINE}${this.o.prefix}: waiting for task ${this.o.id} (${waited} s)${report}`);
    this.shown = true;
  }
}

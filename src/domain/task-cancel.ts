/**
 * What the task path needs of a cancellation: whether and why it fired, and abort listeners.
 * `AbortSignal` satisfies it, and so does `TaskCancel`, which the worker makes per task.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * One task's cancellation, made for every task: a flag, a reason and a plain listener list — no
 * EventTarget (an AbortController's signal costs microseconds to make and to listen on, which
 * adds up at thousands of tasks per second). Code that needs a real `AbortSignal` asks for
 * `signal`, made on first use and aborted together with this.
 *
 * Contract: `abort` fires once (later calls change nothing) and calls the listeners registered
 * until then, each once, in order; a listener added after the abort is never called (check
 * `aborted` first, as with an AbortSignal); a listener that throws does not stop the others.
 */
export class TaskCancel implements CancelSignal {
  private fired = false;
  private why: unknown = undefined;
  private listeners: (() => void)[] | null = null;
  private controller: AbortController | null = null;

  get aborted(): boolean {
    return this.fired;
  }

  get reason(): unknown {
    return this.why;
  }

  /** An AbortSignal that aborts (with the same reason) when this does. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.fired) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  abort(reason?: unknown): void {
    if (this.fired) return;
    this.fired = true;
    this.why = reason ?? new DOMException('This operation was aborted', 'AbortError');
    const listeners = this.listeners;
    this.listeners = null;
    for (const l of listeners ?? []) {
      try {
        l();
      } catch {
        // As with EventTarget: one failing listener does not keep the others from hearing it.
      }
    }
    this.controller?.abort(this.why);
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.fired) return;
    if (this.listeners === null) this.listeners = [listener];
    else this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const l = this.listeners;
    if (l === null) return;
    const at = l.indexOf(listener);
    if (at !== -1) l.splice(at, 1);
  }
}

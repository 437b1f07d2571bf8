import type { CancelSignal } from '../domain/task-cancel.js';
import type { SessionEnd } from './launcher-session.js';

/** How waiting for one task ended: the launcher's own end, the backstop deadline, or a cancel. */
export type Verdict = SessionEnd | { readonly kind: 'cancelled' } | { readonly kind: 'backstop' };

/**
 * Resolves with the first of: `ended` (the session's end for this task), the backstop deadline
 * (`backstopMs`, the task timeout plus grace, for a launcher that never answers), `signal` aborting.
 * Cleans up its timer and listener whichever wins.
 */
export function raceVerdict(
  ended: Promise<SessionEnd>,
  backstopMs: number,
  signal: CancelSignal,
): Promise<Verdict> {
  return new Promise<Verdict>((resolve) => {
    const timer = setTimeout(() => settle({ kind: 'backstop' }), backstopMs);
    const onAbort = () => settle({ kind: 'cancelled' });
    function settle(verdict: Verdict) {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(verdict);
    }
    if (signal.aborted) return settle({ kind: 'cancelled' });
    signal.addEventListener('abort', onAbort, { once: true });
    void ended.then(settle);
  });
}

/** Resolves with `work`'s value, or null once `ms` passed first. */
export function within<T>(work: Promise<T>, ms: number): Promise<T | null> {
  return new Promise<T | null>((resolve, reject) => {
    const timer = setTimeout(() => resolve(null), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

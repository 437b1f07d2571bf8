import type { TaskEvent } from '../domain/task-event.js';

/**
 * The kinds of trivial task the throughput benches produce:
 * - `function`: a call of a HOT function package (`code` set, small JSON payload), the shape of a
 *   high-rate transaction task;
 * - `shell`: an inline `true` in the shell stack (fresh container per task);
 * - `rejected`: names a code package that does not exist, so the worker rejects it without
 *   touching a container while still going through intake, publish and commit.
 */
export const TRIVIAL_TASK_KINDS = ['function', 'shell', 'rejected'] as const;
export type TrivialTaskKind = (typeof TRIVIAL_TASK_KINDS)[number];

export interface TrivialTaskOptions {
  /** Code package called by `function` tasks; default `bench-echo`. */
  readonly functionPackage?: string;
  /** Stack of `shell` tasks; default `shell`. */
  readonly shellStack?: string;
  /** Code package named by `rejected` tasks; default `berth-bench-no-such-package`. */
  readonly missingPackage?: string;
  readonly createdAtMs?: number;
}

const PAYLOAD = new TextEncoder().encode('{"hello":"world","n":1}');

export function isTrivialTaskKind(s: string): s is TrivialTaskKind {
  return (TRIVIAL_TASK_KINDS as readonly string[]).includes(s);
}

/** One trivial task of `kind` with id `id`; the worker's defaults for everything else. */
export function trivialTaskEvent(
  kind: TrivialTaskKind,
  id: string,
  opts: TrivialTaskOptions = {},
): TaskEvent {
  const base = {
    id,
    payload: new Uint8Array(0),
    priority: 1,
    timeoutMs: 30_000,
    maxAttempts: 1,
    attempt: 1,
    memoryBytes: null,
    network: null,
    labels: {},
    createdAtMs: opts.createdAtMs ?? Date.now(),
  };
  switch (kind) {
    case 'function':
      return {
        ...base,
        code: { name: opts.functionPackage ?? 'bench-echo', revision: null },
        inline: null,
        payload: PAYLOAD,
      };
    case 'shell':
      return {
        ...base,
        code: null,
        inline: { stack: opts.shellStack ?? 'shell', command: ['true'], env: {} },
      };
    case 'rejected':
      return {
        ...base,
        code: { name: opts.missingPackage ?? 'berth-bench-no-such-package', revision: null },
        inline: null,
      };
  }
}

import { ResultTimeoutError } from '../client/client-errors.js';
import type { TaskInput } from '../client/task-input.js';
import { type CliSession, EXIT } from './cli-session.js';
import { UsageError } from './command.js';
import { printRun, resultJson } from './result-printer.js';

/**
 * Submits `task`, waits up to `waitMs` for its result and prints it (JSON or the task's output).
 * Resolves with the exit code: 0 when it SUCCEEDED, 1 otherwise; no result in time is a one-line
 * usage error with exit code 1 (the task may still run). Shared by `berth run` and `submit --wait`.
 */
export async function submitWaitAndPrint(
  s: CliSession,
  task: TaskInput,
  opts: { readonly waitMs: number; readonly json: boolean },
): Promise<number> {
  try {
    const r = await s.client().submitAndWait(task, { timeoutMs: opts.waitMs });
    if (opts.json) console.log(JSON.stringify(resultJson(r)));
    else printRun(r);
    return r.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
  } catch (err) {
    if (err instanceof ResultTimeoutError) throw new UsageError(err.message, EXIT.failed);
    throw err;
  }
}

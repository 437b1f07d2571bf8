import { InfraError } from '../domain/infra-error.js';
import type { TaskResult } from '../domain/task-result.js';
import { UsageError } from './command.js';

/**
 * Exit codes of the commands that wait for a task (`berth run`, `berth submit --wait`), which pass
 * the task's own exit code through, so Berth's own outcomes sit where shells and `timeout(1)` /
 * `docker run` put them: 0 SUCCEEDED; 1–255 the exit code of a FAILED task (1 when it has none);
 * then the values below.
 */
export const TASK_EXIT = Object.freeze({
  succeeded: 0,
  /** A FAILED task without an exit code of its own (e.g. a function handler that threw). */
  failed: 1,
  /** No result yet: `--wait-timeout` passed or a second Ctrl-C detached; the task may still run. */
  noResult: 75,
  /** TIMED_OUT: the task ran past its timeout (as `timeout(1)`). */
  timedOut: 124,
  /** Berth could not submit or wait: usage error, broker unreachable, Kafka failure (as `docker run`). */
  berthError: 125,
  /** REJECTED: unknown stack or package, invalid for its package; it never ran (as `docker run`'s 126). */
  rejected: 126,
  /** CANCELLED: by Ctrl-C or `berth cancel` (128 + SIGINT). */
  cancelled: 130,
  /** KILLED: memory limit or container loss (128 + SIGKILL). */
  killed: 137,
});

/** The exit codes of a waiting command, for help texts. */
export const TASK_EXIT_HELP = `  0        the task SUCCEEDED
  1-255    the task FAILED with this exit code (1 when it has none, e.g. a handler threw)
  ${TASK_EXIT.noResult}       no result yet: --wait-timeout passed or a second Ctrl-C detached (the task may still run)
  ${TASK_EXIT.timedOut}      TIMED_OUT          ${TASK_EXIT.rejected}  REJECTED (unknown stack or package)
  ${TASK_EXIT.cancelled}      CANCELLED          ${TASK_EXIT.killed}  KILLED (memory limit, container lost)
  ${TASK_EXIT.berthError}      Berth error: usage, broker unreachable, Kafka failure (one line on stderr)`;

/** The exit code `berth run` ends with for result `r`. */
export function taskExitCode(r: Pick<TaskResult, 'status' | 'exitCode'>): number {
  switch (r.status) {
    case 'SUCCEEDED':
      return TASK_EXIT.succeeded;
    case 'FAILED': {
      const code = r.exitCode === null ? 0 : r.exitCode & 0xff;
      return code === 0 ? TASK_EXIT.failed : code;
    }
    case 'TIMED_OUT':
      return TASK_EXIT.timedOut;
    case 'KILLED':
      return TASK_EXIT.killed;
    case 'CANCELLED':
      return TASK_EXIT.cancelled;
    case 'REJECTED':
      return TASK_EXIT.rejected;
    default:
      return TASK_EXIT.failed;
  }
}

/**
 * Runs a waiting command's body so that every Berth-side failure (usage, unreachable broker, Kafka
 * error) exits with `TASK_EXIT.berthError`, never with a code a task could have returned.
 */
export async function withTaskExitCodes(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message, TASK_EXIT.berthError);
    if (err instanceof InfraError) throw new UsageError(err.message, TASK_EXIT.berthError);
    throw err;
  }
}

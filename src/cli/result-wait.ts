import type { EventEmitter } from 'node:events';
import { AbortError, ResultTimeoutError } from '../client/client-errors.js';
import type { TaskInput } from '../client/task-input.js';
import { workerGroupId } from '../kafka/topic-names.js';
import { describeConsumerGroup } from '../kafka/worker-group-probe.js';
import type { CliSession } from './cli-session.js';
import { formatDuration } from './duration-flag.js';
import { printRun, resultJson } from './result-printer.js';
import { TASK_EXIT, taskExitCode } from './task-exit-code.js';
import { WaitStatus } from './wait-status.js';
import { type WorkerPresenceWatch, watchWorkerPresence } from './worker-presence.js';

export interface WaitAndPrintOptions {
  /** The command waiting (`run`, `submit`): names it in what it prints. */
  readonly command: string;
  readonly waitMs: number;
  readonly json: boolean;
  /** Where Ctrl-C (SIGINT) arrives; default `process`. */
  readonly interrupts?: EventEmitter;
  /** First look for a live worker after this long; default 0. */
  readonly presenceCheckMs?: number;
  /** What the status shows while waiting; default one for `berth <command>` on stderr. */
  readonly status?: WaitStatus;
}

/** How to keep following a task the command stopped waiting for. */
export function followHint(id: string): string {
  return `follow it with: berth results --follow --id ${id}  (or later: berth task ${id})`;
}

/**
 * Submits `task` (its id set), waits up to `waitMs` for its result and prints it (JSON or the
 * task's output). Shared by `berth run` and `submit --wait`. Contract:
 * - resolves with `taskExitCode(result)`: the task's own exit code passed through;
 * - warns on stderr when no live worker is in the workers' consumer group, and keeps waiting;
 * - shows the wait and the task's reported progress (`WaitStatus`: a redrawn line on a terminal,
 *   a line per progress change otherwise);
 * - the first Ctrl-C publishes a cancel for the task and keeps waiting for its (CANCELLED) result;
 *   the second stops waiting at once, prints the id and how to follow it, and resolves with
 *   `TASK_EXIT.noResult`, as does `waitMs` passing without a result.
 */
export async function submitWaitAndPrint(
  s: CliSession,
  task: TaskInput & { readonly id: string },
  opts: WaitAndPrintOptions,
): Promise<number> {
  const client = s.client();
  const id = task.id;
  const status =
    opts.status ??
    new WaitStatus({
      prefix: `berth ${opts.command}`,
      id,
      tty: process.stderr.isTTY === true,
      write: (t) => process.stderr.write(t),
    });
  const say = (line: string) => status.note(line);
  const interrupts = opts.interrupts ?? process;
  const detach = new AbortController();
  let submitted = false;
  let cancelWanted = false;
  let cancelling: Promise<void> | null = null;
  let presence: WorkerPresenceWatch | null = null;
  let presses = 0;
  const cancel = () => {
    cancelling ??= client.cancel(id, 'interrupted (Ctrl-C) while waiting').then(
      () => say(`cancel requested for task ${id}; waiting for its result`),
      (err: unknown) => say(`could not request the cancel: ${(err as Error).message}`),
    );
  };
  const onInterrupt = () => {
    presses++;
    if (presses === 1) {
      say(`cancelling task ${id} (Ctrl-C again to stop waiting and leave it running)`);
      cancelWanted = true;
      if (submitted) cancel();
    } else detach.abort(new Error('second Ctrl-C'));
  };
  interrupts.on('SIGINT', onInterrupt);
  try {
    const r = await client.submitAndWait(task, {
      timeoutMs: opts.waitMs,
      signal: detach.signal,
      onProgress: (p) => status.progress(p),
      onSubmitted: () => {
        submitted = true;
        status.start();
        if (cancelWanted) cancel();
        presence = watchWorkerPresence({
          probe: () => describeConsumerGroup(s.kafka, workerGroupId(s.topicPrefix), s.brokers),
          groupId: workerGroupId(s.topicPrefix),
          tasksTopic: s.topics.tasks,
          warn: say,
          waiting: formatDuration(opts.waitMs),
          firstCheckMs: opts.presenceCheckMs ?? 0,
        });
      },
    });
    status.stop();
    if (opts.json) console.log(JSON.stringify(resultJson(r)));
    else printRun(r);
    return taskExitCode(r);
  } catch (err) {
    status.stop();
    if (err instanceof AbortError) {
      s.progress(`stopped waiting; task ${id} may still run. ${followHint(id)}`);
      return TASK_EXIT.noResult;
    }
    if (err instanceof ResultTimeoutError) {
      s.progress(`${err.message}. ${followHint(id)}`);
      return TASK_EXIT.noResult;
    }
    throw err;
  } finally {
    status.stop();
    interrupts.off('SIGINT', onInterrupt);
    (presence as WorkerPresenceWatch | null)?.stop();
    await (cancelling as Promise<void> | null);
  }
}

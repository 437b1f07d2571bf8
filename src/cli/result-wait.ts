import type { EventEmitter } from 'node:events';
import { AbortError, ResultTimeoutError } from '../client/client-errors.js';
import type { TaskInput } from '../client/task-input.js';
import { workerGroupId } from '../kafka/topic-names.js';
import { describeConsumerGroup } from '../kafka/worker-group-probe.js';
import type { CliSession } from './cli-session.js';
import { formatDuration } from './duration-flag.js';
import { printRun, resultJson } from './result-printer.js';
import { TASK_EXIT, taskExitCode } from './task-exit-code.js';
import { type WorkerPresenceWatch, watchWorkerPresence } from './worker-presence.js';

export interface WaitAndPrintOptions {
  readonly waitMs: number;
  readonly json: boolean;
  /** Where Ctrl-C (SIGINT) arrives; default `process`. */
  readonly interrupts?: EventEmitter;
  /** First look for a live worker after this long; default 0. */
  readonly presenceCheckMs?: number;
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
  const interrupts = opts.interrupts ?? process;
  const detach = new AbortController();
  let submitted = false;
  let cancelWanted = false;
  let cancelling: Promise<void> | null = null;
  let presence: WorkerPresenceWatch | null = null;
  let presses = 0;
  const cancel = () => {
    cancelling ??= client.cancel(id, 'interrupted (Ctrl-C) while waiting').then(
      () => s.progress(`cancel requested for task ${id}; waiting for its result`),
      (err: unknown) => s.progress(`could not request the cancel: ${(err as Error).message}`),
    );
  };
  const onInterrupt = () => {
    presses++;
    if (presses === 1) {
      s.progress(`cancelling task ${id} (Ctrl-C again to stop waiting and leave it running)`);
      cancelWanted = true;
      if (submitted) cancel();
    } else detach.abort(new Error('second Ctrl-C'));
  };
  interrupts.on('SIGINT', onInterrupt);
  try {
    const r = await client.submitAndWait(task, {
      timeoutMs: opts.waitMs,
      signal: detach.signal,
      onSubmitted: () => {
        submitted = true;
        if (cancelWanted) cancel();
        presence = watchWorkerPresence({
          probe: () => describeConsumerGroup(s.kafka, workerGroupId(s.topicPrefix), s.brokers),
          groupId: workerGroupId(s.topicPrefix),
          tasksTopic: s.topics.tasks,
          warn: s.progress,
          waiting: formatDuration(opts.waitMs),
          firstCheckMs: opts.presenceCheckMs ?? 0,
        });
      },
    });
    if (opts.json) console.log(JSON.stringify(resultJson(r)));
    else printRun(r);
    return taskExitCode(r);
  } catch (err) {
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
    interrupts.off('SIGINT', onInterrupt);
    (presence as WorkerPresenceWatch | null)?.stop();
    await (cancelling as Promise<void> | null);
  }
}

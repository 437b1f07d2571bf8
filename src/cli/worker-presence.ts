import type { ConsumerGroupView } from '../kafka/worker-group-probe.js';

export interface WorkerPresenceOptions {
  /** Describes the workers' consumer group (admin DescribeGroups). */
  readonly probe: () => Promise<ConsumerGroupView>;
  /** The workers' consumer group and tasks topic, for the message. */
  readonly groupId: string;
  readonly tasksTopic: string;
  /** Writes one line on stderr. */
  readonly warn: (line: string) => void;
  /** How much longer the command keeps waiting, for the message (e.g. `10 min`). */
  readonly waiting: string;
  /** Delay before the first look; default 0 (the warning comes as soon as the broker answers). */
  readonly firstCheckMs?: number;
  /** Period of the next looks while no worker is seen; default 5 s. */
  readonly recheckMs?: number;
}

/** A running watch; `stop` ends it (idempotent). */
export interface WorkerPresenceWatch {
  stop(): void;
}

/**
 * Warns when no live worker would pick a task up, and says so again when one appears. The signal is
 * the workers' consumer group as the group coordinator reports it: a worker is a member from the
 * moment it consumes until it leaves or misses its session timeout, independent of how often it
 * publishes WorkerStats. Contract: at most one "no live worker" line and one "worker joined" line;
 * probe failures are silent (the wait itself reports a broker that is gone).
 */
export function watchWorkerPresence(opts: WorkerPresenceOptions): WorkerPresenceWatch {
  let stopped = false;
  let warned = false;
  let timer: NodeJS.Timeout | null = null;
  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(() => void look(), ms);
  };
  const look = async () => {
    const view = await opts.probe().catch(() => null);
    if (stopped) return;
    if (view && view.members > 0) {
      if (warned)
        opts.warn(
          `a worker joined consumer group ${opts.groupId} (${view.members} member(s)); still waiting`,
        );
      stopped = true;
      return;
    }
    if (view && !warned) {
      warned = true;
      opts.warn(
        `no live worker: consumer group ${opts.groupId} has no members (${view.state}); the task waits on ` +
          `${opts.tasksTopic} until a worker starts (berth worker). Still waiting up to ${opts.waiting}`,
      );
    }
    schedule(opts.recheckMs ?? 5000);
  };
  schedule(opts.firstCheckMs ?? 0);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

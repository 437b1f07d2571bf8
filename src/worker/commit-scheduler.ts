import type { DueCommit, InFlightLedger } from '../ledger/in-flight-ledger.js';

/** Commits next-offsets of one topic's partitions; returns the commits the broker accepted. */
export type CommitFn = (
  commits: readonly { partition: number; offset: string }[],
) => Promise<readonly { partition: number }[]>;

/**
 * Commits what the ledger says is safe, shortly after tasks finish (batched), one commit round at
 * a time. Contract: only offsets the ledger offers (lowest unfinished per owned partition) are
 * committed; a failed round is retried later; `flush()` runs a round now and waits for it.
 */
export class CommitScheduler {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly ledger: InFlightLedger,
    private readonly committers: ReadonlyMap<string, CommitFn>,
    private readonly delayMs = 50,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Asks for a commit round soon. */
  poke(delayMs = this.delayMs): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.round) {
      this.again = true;
      return this.round;
    }
    this.round = this.commitRound().finally(() => {
      this.round = null;
    });
    await this.round;
    if (this.again) {
      this.again = false;
      await this.flush();
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async commitRound(): Promise<void> {
    const byTopic = new Map<string, DueCommit[]>();
    for (const c of this.ledger.dueCommits()) byTopic.set(c.topic, [...(byTopic.get(c.topic) ?? []), c]);
    for (const [topic, due] of byTopic) {
      const commit = this.committers.get(topic);
      if (!commit) continue;
      try {
        const done = new Set((await commit(due)).map((c) => c.partition));
        for (const c of due) if (done.has(c.partition)) this.ledger.committed(c);
      } catch (err) {
        this.log(`commit on ${topic} failed, retrying: ${(err as Error).message}`);
        this.poke(1000);
      }
    }
  }
}

import type { TailConsumer } from '../kafka/tail-consumer.js';

/**
 * Starts a follower (a fresh one per attempt, from `make`), retrying a few times: right after the
 * topics were created the broker may still answer "not the leader" for a moment.
 */
export async function startFollower(make: () => TailConsumer, attempts = 5): Promise<TailConsumer> {
  for (let i = 1; ; i++) {
    const follower = make();
    try {
      await follower.start();
      return follower;
    } catch (err) {
      await follower.stop();
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 1000 * i));
    }
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { ScheduleExistsError, ScheduleNotFoundError } from '../../src/schedules/schedule-client.js';
import { availableStacks, WorkerHarness } from './worker-harness.js';

/**
 * The SDK's `client.schedules` against the shared broker and one in-process worker: a 6-field cron
 * schedule (every 2 s, read in a time zone with a half-hour offset) fires ticks on whole even
 * seconds with ids sched:<name>:<tick>, each of which runs; create refuses a taken name unless
 * replacing; pause and delete take effect; a priority-2 schedule fires into the high lane.
 */
const h = new WorkerHarness();
const [stack] = availableStacks(['shell', 'python-3.11', 'node-20']);
let client: BerthClient;

beforeAll(async () => {
  if (stack === undefined) throw new Error('no stack image built (berth stacks build)');
  await h.setUp(2);
  await h.startWorker({ prewarmStacks: stack });
  client = new BerthClient({ kafka: h.kafka, topicPrefix: h.prefix });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await h.tearDown();
}, 120_000);

const ticksOf = (name: string) =>
  [...new Set(h.results.map((r) => r.result.id).filter((id) => id.startsWith(`sched:${name}:`)))]
    .map((id) => Number(id.split(':')[2]))
    .sort((a, b) => a - b);

describe('client.schedules', () => {
  it('cron with seconds in a time zone: fires on the expression, runs, pauses, deletes', async () => {
    const task = { inline: { stack: stack as string, command: ['sh', '-c', 'echo cron'] } };
    const created = await client.schedules.create({
      name: 'even-seconds',
      cron: '*/2 * * * * *',
      timeZone: 'Asia/Kolkata',
      task,
    });
    expect(created.missedTicks).toBe('LATEST');
    await expect(
      client.schedules.create({ name: 'even-seconds', cron: '*/4 * * * * *', task }),
    ).rejects.toBeInstanceOf(ScheduleExistsError);

    await h.until('3 cron results', () => ticksOf('even-seconds').length >= 3, 60_000);
    const ticks = ticksOf('even-seconds');
    expect(ticks.every((t) => t % 2000 === 0)).toBe(true);
    expect(ticks.slice(1).map((t, i) => t - (ticks[i] as number))).toEqual(ticks.slice(1).map(() => 2000));
    const result = h.results.find((r) => r.result.id === `sched:even-seconds:${ticks[0]}`)?.result;
    expect(result?.status).toBe('SUCCEEDED');
    expect(result?.stdout.toString()).toBe('cron\n');
    const last = (await client.schedules.lastTicks()).get('even-seconds');
    expect(last?.taskId).toBe(`sched:even-seconds:${last?.tickMs}`);

    // Replace with a slower expression; then pause: nothing after the pause fires.
    await client.schedules.create({ name: 'even-seconds', cron: '*/4 * * * * *', task }, { replace: true });
    expect((await client.schedules.get('even-seconds'))?.cron).toBe('*/4 * * * * *');
    const paused = await client.schedules.pause('even-seconds');
    expect(paused.paused).toBe(true);
    const pausedAt = Date.now();
    await new Promise((r) => setTimeout(r, 6000));
    expect(ticksOf('even-seconds').filter((t) => t > pausedAt + 1000)).toEqual([]);

    // Priority 2: fired to the high lane's tasks topic.
    await client.schedules.create({ name: 'urgent', everyMs: 1000, task: { ...task, priority: 2 } });
    await h.until('an urgent result', () => ticksOf('urgent').length >= 1, 30_000);
    const urgent = h.results.find((r) => r.result.id.startsWith('sched:urgent:'))?.result;
    expect(urgent?.sourceTopic).toBe(h.topics.tasksHigh);
    expect(await client.schedules.delete('urgent')).toBe(true);

    expect(await client.schedules.delete('even-seconds')).toBe(true);
    expect(await client.schedules.list()).toEqual([]);
    expect(await client.schedules.delete('even-seconds')).toBe(false);
    await expect(client.schedules.resume('even-seconds')).rejects.toBeInstanceOf(ScheduleNotFoundError);
  }, 180_000);
});

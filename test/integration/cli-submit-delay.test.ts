import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import { scanTopic } from '../../src/kafka/client-topic-scan.js';
import { deleteBerthTopics, ensureTopics } from '../../src/kafka/kafka-admin.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { topicNames } from '../../src/kafka/topic-names.js';
import { runBerth } from '../support/berth-cli.js';

/**
 * The compiled CLI against the real broker (no worker): `berth submit --delay / --at` put the
 * run-at time on the TaskEvent; bad values are usage errors before anything is sent.
 */
const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
const topics = topicNames(prefix);
const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: `test-${prefix}` });
const env = { BERTH_TOPIC_PREFIX: prefix, BERTH_KAFKA_BROKERS: '127.0.0.1:9092' };

async function tasksOnTopic(): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  await scanTopic(kafka, topics.tasks, (r) => {
    if (r.value) events.push(taskEventCodec.decode(r.value));
  });
  return events;
}

beforeAll(async () => {
  await ensureTopics(kafka, prefix, 1);
}, 60_000);

afterAll(async () => {
  await deleteBerthTopics(kafka, prefix).catch(() => undefined);
});

describe('berth submit --delay / --at', () => {
  it('put runAtMs on the event: now + the delay, or the given time', async () => {
    const before = Date.now();
    const delayed = await runBerth(['submit', 'pkg', '--id', 'in-10m', '--delay', '10m'], env);
    const after = Date.now();
    expect(delayed.stderr).toBe('');
    expect(delayed.code).toBe(0);
    expect(delayed.stdout.trim()).toBe('in-10m');
    const at = await runBerth(['submit', 'pkg', '--id', 'at-dec', '--at', '2026-12-01T09:00Z'], env);
    expect(at.code).toBe(0);
    const events = await tasksOnTopic();
    const e1 = events.find((e) => e.id === 'in-10m');
    expect(e1?.runAtMs).toBeGreaterThanOrEqual(before + 600_000);
    expect(e1?.runAtMs).toBeLessThanOrEqual(after + 600_000);
    expect(events.find((e) => e.id === 'at-dec')?.runAtMs).toBe(Date.UTC(2026, 11, 1, 9, 0));
  }, 60_000);

  it('a delay without a unit, a time without a zone, or both flags: exit 2, nothing sent', async () => {
    const cases: [string[], RegExp][] = [
      [['--delay', '10'], /^berth submit: --delay: '10' is not a duration \(a duration needs a unit/],
      [
        ['--at', '2026-12-01T09:00'],
        /^berth submit: --at: '2026-12-01T09:00' is not a date-time with a zone/,
      ],
      [['--delay', '1m', '--at', '2026-12-01T09:00Z'], /^berth submit: --delay and --at exclude each other/],
    ];
    for (const [flags, message] of cases) {
      const r = await runBerth(['submit', 'pkg', '--id', 'refused', ...flags], env);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect((await tasksOnTopic()).some((e) => e.id === 'refused')).toBe(false);
  }, 60_000);
});

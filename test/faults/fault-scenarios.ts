import { controlCodec } from '../../src/codecs/control-codec.js';
import { WorkerHarness } from '../integration/worker-harness.js';
import {
  account,
  allEnded,
  type Expected,
  type FaultRow,
  orphanContainers,
  stuckPartitions,
} from './fault-accounting.js';
import { pushWorkload, sleep, workloadEvents } from './fault-workload.js';
import { ProcessWorker } from './process-worker.js';

/** Worker flags shared by the scenarios: a short session so a dead member's partitions move fast. */
const FLAGS = { 'session-timeout-ms': '8000', 'dead-after-intervals': '3', slots: '2' };

/** Runs `body` on a fresh harness (own topics, labels) and turns the outcome into a table row. */
async function scenario(
  name: string,
  partitions: number,
  body: (h: WorkerHarness) => Promise<{ expected: Expected; records: number; notes?: string }>,
): Promise<FaultRow> {
  const h = new WorkerHarness();
  await h.setUp(partitions);
  try {
    const { expected, records, notes } = await body(h);
    const counts = account(h, expected);
    const stuck = await stuckPartitions(h);
    await sleep(1000);
    return {
      scenario: name,
      records,
      ...counts,
      orphans: orphanContainers(h),
      stuckPartitions: stuck,
      notes: notes ?? '',
    };
  } finally {
    await h.tearDown();
  }
}

/** Starts a worker, waits until every expected record ended, stops it; reports the wait. */
async function drainWith(
  h: WorkerHarness,
  expected: Expected,
  id: string,
  timeoutMs = 300_000,
): Promise<void> {
  const last = new ProcessWorker(id, h, FLAGS);
  await h.until('every record ended', () => allEnded(h, expected), timeoutMs);
  // Let the survivor's reaper see the dead workers' heartbeats go stale, then stop it.
  await sleep(8000);
  await last.stop();
}

/** kill -9 of the only worker, `kills` times, while a backlog drains; then one worker finishes. */
export function killLoop(kills: number, tasks: number): Promise<FaultRow> {
  return scenario(`kill -9 of a worker × ${kills} under load`, 4, async (h) => {
    const pkg = await pushWorkload(h, 30);
    const events = workloadEvents(pkg, 'kl', tasks);
    await h.send(events.map((event) => ({ event })));
    for (let i = 0; i < kills; i++) {
      const w = new ProcessWorker(`kl-${i}-${h.prefix}`, h, FLAGS);
      const before = h.results.length;
      const deadline = Date.now() + 30_000;
      while (h.results.length < before + 40 && Date.now() < deadline) await sleep(100);
      await w.kill9();
    }
    const expected = { taskIds: events.map((e) => e.id) };
    await drainWith(h, expected, `kl-final-${h.prefix}`);
    return { expected, records: tasks };
  });
}

/** Two workers share the load; one is killed -9 mid-run. */
export function killOneOfTwo(tasks: number): Promise<FaultRow> {
  return scenario('kill -9 of one of two workers', 4, async (h) => {
    const pkg = await pushWorkload(h, 30);
    const events = workloadEvents(pkg, 'k2', tasks);
    const a = new ProcessWorker(`k2-a-${h.prefix}`, h, FLAGS);
    const b = new ProcessWorker(`k2-b-${h.prefix}`, h, FLAGS);
    await sleep(4000);
    await h.send(events.map((event) => ({ event })));
    await h.until('a third done', () => h.results.length >= tasks / 3, 120_000);
    await a.kill9();
    const expected = { taskIds: events.map((e) => e.id) };
    await h.until('every record ended', () => allEnded(h, expected), 300_000);
    await sleep(8000); // b's reaper removes a's containers
    await b.stop();
    return { expected, records: tasks };
  });
}

/**
 * SIGSTOP one of two workers for `stopMs` (longer than its session) while tasks run, then
 * SIGCONT: its partitions moved; it must not publish results for them (conflicting must be 0).
 */
export function sigstopOneOfTwo(tasks: number, stopMs: number): Promise<FaultRow> {
  return scenario(`SIGSTOP ${Math.round(stopMs / 1000)} s of one of two workers`, 4, async (h) => {
    // Slow tasks, so the stopped worker holds many in flight when it freezes.
    const pkg = await pushWorkload(h, 400);
    const events = workloadEvents(pkg, 'ss', tasks);
    const a = new ProcessWorker(`ss-a-${h.prefix}`, h, FLAGS);
    const b = new ProcessWorker(`ss-b-${h.prefix}`, h, FLAGS);
    await sleep(4000);
    await h.send(events.map((event) => ({ event })));
    await h.until('some done', () => h.results.length >= 20, 120_000);
    a.signal('SIGSTOP');
    await sleep(stopMs);
    a.signal('SIGCONT');
    const expected = { taskIds: events.map((e) => e.id) };
    await h.until('every record ended', () => allEnded(h, expected), 300_000);
    await sleep(5000); // whatever the woken worker would still publish
    await Promise.all([a.stop(), b.stop()]);
    const stale = h.results.filter((r) => r.result.workerId.startsWith('ss-a-')).length;
    return { expected, records: tasks, notes: `results by the stopped worker overall: ${stale}` };
  });
}

/** Partitions move back and forth: a second worker joins and leaves repeatedly under a backlog. */
export function partitionChurn(cycles: number, tasks: number): Promise<FaultRow> {
  return scenario(`partitions moved between workers × ${cycles} under backlog`, 6, async (h) => {
    const pkg = await pushWorkload(h, 30);
    const events = workloadEvents(pkg, 'pc', tasks);
    await h.send(events.map((event) => ({ event })));
    const steady = new ProcessWorker(`pc-steady-${h.prefix}`, h, {
      ...FLAGS,
      'intake-buffer-bytes': String(16 * 1024),
    });
    for (let i = 0; i < cycles; i++) {
      const guest = new ProcessWorker(`pc-guest-${i}-${h.prefix}`, h, {
        ...FLAGS,
        'intake-buffer-bytes': String(16 * 1024),
      });
      await sleep(5000);
      await guest.stop();
      await sleep(2000);
    }
    const expected = { taskIds: events.map((e) => e.id) };
    await h.until('every record ended', () => allEnded(h, expected), 300_000);
    await steady.stop();
    return { expected, records: tasks };
  });
}

/** Malformed records of every kind, 10 MiB ones included, between valid tasks. */
export function malformedFlood(count: number, hugeCount: number): Promise<FaultRow> {
  return scenario(`${count} malformed records (${hugeCount} of 10 MiB)`, 3, async (h) => {
    const pkg = await pushWorkload(h, 0);
    const valid = workloadEvents(pkg, 'mf', 100);
    const kinds: ((i: number) => Buffer)[] = [
      (i) => Buffer.from(`garbage ${i}`), // no framing
      () => Buffer.from([0, 0, 0, 0x7f, 0xff, 1, 2, 3]), // unknown schema id
      () => Buffer.from([0, 0, 0, 0x03, 0xe9, 0xff, 0xff, 0xff]), // TaskEvent id, body not Avro
      () => Buffer.alloc(0), // empty
      () => Buffer.from([0, 0, 0, 0x0f, 0xa1, 2, 3]), // a Control id on the tasks topic
      (i) => Buffer.alloc(200 * 1024, i % 256), // over the payload cap
    ];
    const keys: string[] = [];
    const raws: { key: string; raw: Buffer }[] = [];
    for (let i = 0; i < count; i++) {
      const key = `bad-${i}`;
      keys.push(key);
      raws.push({ key, raw: (kinds[i % kinds.length] as (i: number) => Buffer)(i) });
    }
    // A cancel record on the tasks topic: decodable bytes of the wrong schema.
    raws.push({
      key: 'bad-control',
      raw: controlCodec.encode({ taskId: 'x', action: 'CANCEL', reason: 'r', requestedAtMs: 1 }),
    });
    keys.push('bad-control');
    const w = new ProcessWorker(`mf-${h.prefix}`, h, FLAGS);
    await h.send([...raws.map((r) => ({ key: r.key, raw: r.raw })), ...valid.map((event) => ({ event }))]);
    for (let i = 0; i < hugeCount; i++) {
      const key = `bad-huge-${i}`;
      keys.push(key);
      await h.send([{ key, raw: Buffer.alloc(10_485_600, i) }]);
    }
    const expected = { taskIds: valid.map((e) => e.id), deadLetterKeys: keys };
    await h.until('every record ended', () => allEnded(h, expected), 300_000);
    await w.stop();
    return { expected, records: keys.length + valid.length, notes: `DLQ records: ${h.dlq.length}` };
  });
}

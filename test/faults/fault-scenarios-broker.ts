import { kafkaApiKey, TcpProxy } from '../support/tcp-proxy.js';
import { freePort, TestBroker } from '../support/test-broker.js';
import { TestBrokerHarness } from '../support/test-broker-harness.js';
import {
  account,
  allEnded,
  type FaultRow,
  orphanContainers,
  reread,
  stuckPartitions,
} from './fault-accounting.js';
import { pushWorkload, sleep, workloadEvents } from './fault-workload.js';
import { ProcessWorker } from './process-worker.js';

const FLAGS = { 'dead-after-intervals': '3', slots: '2' };
const PRODUCE_API_KEY = 0;

/**
 * Produces waves of workload tasks every `everyMs` until stopped; a wave the broker refuses is
 * sent again (its ids count only once acknowledged). Returns the ids produced.
 */
function steadyLoad(h: TestBrokerHarness, pkg: string, perWave: number, everyMs: number) {
  const ids: string[] = [];
  let wave = 0;
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const events = workloadEvents(pkg, `w${wave++}`, perWave);
      for (;;) {
        try {
          await h.send(events.map((event) => ({ event })));
          ids.push(...events.map((e) => e.id));
          break;
        } catch {
          if (stop) return;
          await sleep(500);
        }
      }
      await sleep(everyMs);
    }
  })();
  return {
    ids,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

/**
 * What the results and DLQ topics hold once every expected record ended there (or after about
 * three minutes): read from the topics, since the test's own followers may have stalled.
 */
async function rereadUntilEnded(h: TestBrokerHarness, expected: { taskIds: readonly string[] }) {
  let seen = await reread(h);
  for (let i = 0; i < 30 && !allEnded(seen, expected); i++) {
    await sleep(5000);
    seen = await reread(h);
  }
  return seen;
}

/** Results on the results topic: the sum of its partitions' high watermarks. */
async function resultsWritten(h: TestBrokerHarness): Promise<number> {
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(h.topics.results)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Milliseconds until the results topic grows past `count` — the worker publishing again. (The
 * test's own followers are group members too and recover on their own schedule; the topic is the
 * worker's truth.)
 */
async function nextResultAfter(h: TestBrokerHarness, count: number, limitMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const n = await resultsWritten(h).catch(() => count);
    if (n > count || Date.now() - t0 > limitMs) return Date.now() - t0;
    await sleep(100);
  }
}

/** A broker of the scenario's own killed -9 `times` times under a steady load; longest stall. */
export async function brokerKills(times: number): Promise<FaultRow> {
  const broker = await TestBroker.start();
  const h = new TestBrokerHarness(broker.bootstrap);
  await h.setUp(3);
  try {
    const pkg = await pushWorkload(h, 10);
    const w = new ProcessWorker(`bk-${h.prefix}`, h, { ...FLAGS, brokers: broker.bootstrap });
    const load = steadyLoad(h, pkg, 100, 500);
    const stalls: number[] = [];
    await h.until('load flowing', () => h.results.length >= 200, 120_000);
    for (let i = 0; i < times; i++) {
      await broker.kill9();
      await sleep(5000);
      await broker.restart();
      stalls.push(await nextResultAfter(h, await resultsWritten(h), 120_000));
      await sleep(5000);
    }
    await load.stop();
    const expected = { taskIds: load.ids };
    const seen = await rereadUntilEnded(h, expected);
    await w.stop();
    return {
      scenario: `test broker killed -9 × ${times} under load`,
      records: load.ids.length,
      ...account(seen, expected),
      orphans: orphanContainers(h),
      stuckPartitions: await stuckPartitions(h),
      notes: `longest stall after the broker answered: ${(Math.max(...stalls) / 1000).toFixed(1)} s`,
    };
  } finally {
    await h.tearDown().catch(() => undefined);
    await broker.stop();
  }
}

/** Connections cut right after produce requests (reply lost) and mid-fetch, through a proxy. */
export async function cutConnections(cuts: number): Promise<FaultRow> {
  // The proxy listens first: the broker advertises its port and waits until it can be reached.
  const brokerPort = await freePort();
  const proxy = await TcpProxy.start({ targetPort: brokerPort });
  const broker = await TestBroker.start({ port: brokerPort, advertisedPort: proxy.port });
  // The test's own clients bypass the proxy: its cuts hit the worker only.
  const h = new TestBrokerHarness(broker.direct);
  await h.setUp(3);
  try {
    const pkg = await pushWorkload(h, 10);
    const w = new ProcessWorker(`cc-${h.prefix}`, h, { ...FLAGS, brokers: broker.bootstrap });
    const load = steadyLoad(h, pkg, 100, 300);
    await h.until('load flowing', () => h.results.length >= 200, 120_000);
    for (let i = 0; i < cuts; i++) {
      // Alternately: a produce whose reply is lost, and every connection at once (fetches too).
      if (i % 2 === 0)
        await Promise.race([proxy.cutAfterRequest((c) => kafkaApiKey(c) === PRODUCE_API_KEY), sleep(10_000)]);
      else proxy.cutAll();
      await sleep(1500);
    }
    await load.stop();
    const expected = { taskIds: load.ids };
    // The test's own followers go through the proxy too and may stall after a cut: count what is
    // on the topics instead, once the worker had time to finish.
    const seen = await rereadUntilEnded(h, expected);
    await w.stop();
    return {
      scenario: `connections cut mid-produce and mid-fetch × ${cuts}`,
      records: load.ids.length,
      ...account(seen, expected),
      orphans: orphanContainers(h),
      stuckPartitions: await stuckPartitions(h),
      notes: `connections cut by the proxy: ${proxy.cuts}`,
    };
  } finally {
    await h.tearDown().catch(() => undefined);
    await proxy.close();
    await broker.stop();
  }
}

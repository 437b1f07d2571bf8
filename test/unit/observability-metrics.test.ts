import { afterEach, describe, expect, it } from 'vitest';
import { dlqReasonCategory } from '../../src/observability/dlq-reason.js';
import { METRIC } from '../../src/observability/metric-names.js';
import { type Observability, startObservability } from '../../src/observability/observability.js';

const open: Observability[] = [];

async function start(readiness = async () => ({ kafka: true, docker: true })): Promise<Observability> {
  const o = await startObservability({
    workerId: 'w-unit',
    serviceName: 'berth-worker',
    metricsHost: '127.0.0.1',
    metricsPort: 0,
    readiness,
  });
  open.push(o);
  return o;
}

async function scrape(o: Observability): Promise<string> {
  const res = await fetch(`${o.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

/** Value of the sample line `name{labels} value` (labels as written by prom-client), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('worker metrics', () => {
  it('counts finished tasks and observes the three durations in the right buckets', async () => {
    const o = await start();
    o.telemetry.taskFinished('python', 'SUCCEEDED', { queueWait: 0.2, startLatency: 0.03, run: 1.5, overhead: 0.001 });
    o.telemetry.taskFinished('python', 'SUCCEEDED', { queueWait: 0.4, startLatency: 0.07, run: 2, overhead: 0.001 });
    o.telemetry.taskFinished('python', 'FAILED', { queueWait: 0, startLatency: 0.01, run: 0.02, overhead: 0.001 });
    o.telemetry.taskFinished('node', 'TIMED_OUT', { queueWait: 1, startLatency: 0.2, run: 3600, overhead: 0.001 });
    const t = await scrape(o);
    expect(sample(t, `${METRIC.tasks}{stack="python",status="SUCCEEDED"}`)).toBe(2);
    expect(sample(t, `${METRIC.tasks}{stack="python",status="FAILED"}`)).toBe(1);
    expect(sample(t, `${METRIC.tasks}{stack="node",status="TIMED_OUT"}`)).toBe(1);
    expect(sample(t, `${METRIC.taskRunSeconds}_count{stack="python"}`)).toBe(3);
    expect(sample(t, `${METRIC.taskRunSeconds}_sum{stack="python"}`)).toBeCloseTo(3.52, 6);
    expect(sample(t, `${METRIC.taskRunSeconds}_bucket{le="1",stack="python"}`)).toBe(1);
    expect(sample(t, `${METRIC.taskRunSeconds}_bucket{le="2.5",stack="python"}`)).toBe(3);
    expect(sample(t, `${METRIC.taskRunSeconds}_bucket{le="1800",stack="node"}`)).toBe(0);
    expect(sample(t, `${METRIC.taskRunSeconds}_bucket{le="3600",stack="node"}`)).toBe(1);
    expect(sample(t, `${METRIC.taskStartLatencySeconds}_bucket{le="0.05",stack="python"}`)).toBe(2);
    expect(sample(t, `${METRIC.taskStartLatencySeconds}_bucket{le="0.005",stack="python"}`)).toBe(0);
    expect(sample(t, `${METRIC.taskQueueWaitSeconds}_sum{stack="python"}`)).toBeCloseTo(0.6, 6);
  });

  it('skips negative or non-finite durations but still counts the task', async () => {
    const o = await start();
    o.telemetry.taskFinished('go', 'REJECTED', { queueWait: -1, startLatency: Number.NaN, run: 0, overhead: 0.001 });
    const t = await scrape(o);
    expect(sample(t, `${METRIC.tasks}{stack="go",status="REJECTED"}`)).toBe(1);
    expect(sample(t, `${METRIC.taskQueueWaitSeconds}_count{stack="go"}`)).toBeUndefined();
    expect(sample(t, `${METRIC.taskRunSeconds}_count{stack="go"}`)).toBe(1);
  });

  it('counts retries, dead letters by bounded category, reaped containers and infra errors', async () => {
    const o = await start();
    o.telemetry.taskRetried('python');
    o.telemetry.taskRetried('python');
    o.telemetry.deadLettered('cannot decode Avro body: unknown magic byte 0x7b');
    o.telemetry.deadLettered('max attempts (3) exhausted for task 0193ab');
    o.telemetry.deadLettered('max attempts (3) exhausted for task 77ffee');
    o.telemetry.deadLettered('something nobody anticipated');
    o.telemetry.containersReaped(3);
    o.telemetry.containersReaped(0);
    o.telemetry.infraError('docker');
    o.telemetry.infraError('kafka');
    o.telemetry.infraError('kafka');
    const t = await scrape(o);
    expect(sample(t, `${METRIC.taskRetries}{stack="python"}`)).toBe(2);
    expect(sample(t, `${METRIC.dlq}{reason="undecodable"}`)).toBe(1);
    expect(sample(t, `${METRIC.dlq}{reason="retries_exhausted"}`)).toBe(2);
    expect(sample(t, `${METRIC.dlq}{reason="other"}`)).toBe(1);
    expect(t).not.toContain('0193ab');
    expect(sample(t, METRIC.containersReaped)).toBe(3);
    expect(sample(t, `${METRIC.infraErrors}{component="kafka"}`)).toBe(2);
    expect(sample(t, `${METRIC.infraErrors}{component="docker"}`)).toBe(1);
  });

  it('sets gauges from a snapshot and drops series no longer present', async () => {
    const o = await start();
    const base = {
      slotsTotal: 8,
      slotsBusy: 3,
      memoryBudgetBytes: 4e9,
      memoryUsedBytes: 1.5e9,
      bufferedTasks: 5,
    };
    o.telemetry.sample({
      ...base,
      warmContainers: { python: 2, node: 1 },
      partitions: [
        { topic: 'berth.tasks', partition: 0, paused: true, lag: 12 },
        { topic: 'berth.tasks', partition: 1, paused: false, lag: 0 },
        { topic: 'berth.tasks', partition: 2, paused: true, lag: 7 },
      ],
    });
    let t = await scrape(o);
    expect(sample(t, `${METRIC.slots}{state="total"}`)).toBe(8);
    expect(sample(t, `${METRIC.slots}{state="busy"}`)).toBe(3);
    expect(sample(t, METRIC.memoryBudgetBytes)).toBe(4e9);
    expect(sample(t, METRIC.memoryUsedBytes)).toBe(1.5e9);
    expect(sample(t, METRIC.bufferedTasks)).toBe(5);
    expect(sample(t, `${METRIC.warmContainers}{stack="node"}`)).toBe(1);
    expect(sample(t, METRIC.partitionsPaused)).toBe(2);
    expect(sample(t, `${METRIC.consumerLag}{topic="berth.tasks",partition="0"}`)).toBe(12);
    o.telemetry.sample({ ...base, slotsBusy: 0, warmContainers: { python: 3 }, partitions: [] });
    t = await scrape(o);
    expect(sample(t, `${METRIC.slots}{state="busy"}`)).toBe(0);
    expect(sample(t, `${METRIC.warmContainers}{stack="python"}`)).toBe(3);
    expect(sample(t, `${METRIC.warmContainers}{stack="node"}`)).toBeUndefined();
    expect(sample(t, `${METRIC.consumerLag}{topic="berth.tasks",partition="0"}`)).toBeUndefined();
    expect(sample(t, METRIC.partitionsPaused)).toBe(0);
  });

  it('exports worker info, up, and process defaults; two workers keep separate registries', async () => {
    const a = await start();
    const b = await start();
    a.telemetry.taskRetried('python');
    const ta = await scrape(a);
    const tb = await scrape(b);
    expect(ta).toMatch(/^berth_worker_info\{worker_id="w-unit",version="[^"]+"\} 1$/m);
    expect(sample(ta, METRIC.workerUp)).toBe(1);
    expect(ta).toMatch(/^process_cpu_seconds_total /m);
    expect(ta).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(sample(ta, `${METRIC.taskRetries}{stack="python"}`)).toBe(1);
    expect(sample(tb, `${METRIC.taskRetries}{stack="python"}`)).toBeUndefined();
  });
});

describe('dlq reason categories', () => {
  it.each([
    ['undecodable', 'undecodable'],
    ['too_large: record of 70000 bytes exceeds the payload cap', 'too_large'],
    ['retries_exhausted: 3 of 3 attempts ended FAILED', 'retries_exhausted'],
    ['invalid: timeout out of range', 'invalid'],
    ['value is not in Confluent wire format', 'undecodable'],
    ['payload exceeds 65536 bytes', 'too_large'],
    ['unknown stack "cobol"', 'unknown_stack'],
    ['code package billing revision 4 not found', 'code_unavailable'],
    ['invalid timeout: out of range', 'invalid'],
    ['', 'other'],
  ])('%s → %s', (text, category) => {
    expect(dlqReasonCategory(text)).toBe(category);
  });
});

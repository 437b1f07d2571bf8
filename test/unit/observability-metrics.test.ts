import { afterEach, describe, expect, it } from 'vitest';
import { DecodeError, RuleViolationError } from '../../src/codecs/codec.js';
import { defaultSchemaCatalog } from '../../src/codecs/schema-catalog.js';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { frame } from '../../src/codecs/wire-frame.js';
import { DLQ_REASONS, decodeFailureReason, dlqReasonCategory } from '../../src/observability/dlq-reason.js';
import { METRIC } from '../../src/observability/metric-names.js';
import { type Observability, startObservability } from '../../src/observability/observability.js';

const open: Observability[] = [];

/** Starts observability; `knownStacks` (default python, node, go) are registered as built stacks. */
async function start(
  readiness = async () => ({ kafka: true, docker: true }),
  knownStacks: readonly string[] | null = ['python', 'node', 'go'],
): Promise<Observability> {
  const o = await startObservability({
    workerId: 'w-unit',
    serviceName: 'berth-worker',
    metricsHost: '127.0.0.1',
    metricsPort: 0,
    readiness,
  });
  open.push(o);
  if (knownStacks !== null) o.telemetry.knownStacks?.(knownStacks);
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
    o.telemetry.taskFinished('python', 'SUCCEEDED', {
      queueWait: 0.2,
      startLatency: 0.03,
      run: 1.5,
      overhead: 0.001,
    });
    o.telemetry.taskFinished('python', 'SUCCEEDED', {
      queueWait: 0.4,
      startLatency: 0.07,
      run: 2,
      overhead: 0.001,
    });
    o.telemetry.taskFinished('python', 'FAILED', {
      queueWait: 0,
      startLatency: 0.01,
      run: 0.02,
      overhead: 0.001,
    });
    o.telemetry.taskFinished('node', 'TIMED_OUT', {
      queueWait: 1,
      startLatency: 0.2,
      run: 3600,
      overhead: 0.001,
    });
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
    o.telemetry.taskFinished('go', 'REJECTED', {
      queueWait: -1,
      startLatency: Number.NaN,
      run: 0,
      overhead: 0.001,
    });
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
        { topic: 'berth.tasks', partition: 0, paused: true, lag: 12, oldestUncommittedSeconds: 340 },
        { topic: 'berth.tasks', partition: 1, paused: false, lag: 0, oldestUncommittedSeconds: 0 },
        { topic: 'berth.tasks', partition: 2, paused: true, lag: 7, oldestUncommittedSeconds: 2.5 },
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
    expect(sample(t, `${METRIC.oldestUncommittedSeconds}{topic="berth.tasks",partition="0"}`)).toBe(340);
    o.telemetry.sample({ ...base, slotsBusy: 0, warmContainers: { python: 3 }, partitions: [] });
    t = await scrape(o);
    expect(sample(t, `${METRIC.slots}{state="busy"}`)).toBe(0);
    expect(sample(t, `${METRIC.warmContainers}{stack="python"}`)).toBe(3);
    expect(sample(t, `${METRIC.warmContainers}{stack="node"}`)).toBeUndefined();
    expect(sample(t, `${METRIC.consumerLag}{topic="berth.tasks",partition="0"}`)).toBeUndefined();
    expect(sample(t, METRIC.partitionsPaused)).toBe(0);
  });

  it('stack labels are bounded: stacks not registered as built are `unknown`', async () => {
    const o = await start(undefined, null);
    const secs = { queueWait: 0.1, startLatency: 0.01, run: 0.5, overhead: 0.001 };
    // Before the worker registers its stacks, every stack is unknown.
    o.telemetry.taskFinished('python', 'SUCCEEDED', secs);
    o.telemetry.knownStacks?.(['python', 'node']);
    o.telemetry.taskFinished('python', 'SUCCEEDED', secs);
    o.telemetry.taskFinished('cobol-85', 'REJECTED', secs);
    o.telemetry.taskFinished('x'.repeat(200), 'REJECTED', secs);
    o.telemetry.taskFinished('unknown', 'REJECTED', secs);
    o.telemetry.taskRetried('fortran-77');
    o.telemetry.taskRetried('node');
    o.telemetry.sample({
      slotsTotal: 1,
      slotsBusy: 0,
      memoryBudgetBytes: 1,
      memoryUsedBytes: 0,
      bufferedTasks: 0,
      warmContainers: { python: 2, ghost: 1, phantom: 3 },
      partitions: [],
    });
    let t = await scrape(o);
    expect(sample(t, `${METRIC.tasks}{stack="python",status="SUCCEEDED"}`)).toBe(1);
    expect(sample(t, `${METRIC.tasks}{stack="unknown",status="SUCCEEDED"}`)).toBe(1);
    expect(sample(t, `${METRIC.tasks}{stack="unknown",status="REJECTED"}`)).toBe(3);
    expect(sample(t, `${METRIC.taskRunSeconds}_count{stack="unknown"}`)).toBe(4);
    expect(sample(t, `${METRIC.taskRetries}{stack="unknown"}`)).toBe(1);
    expect(sample(t, `${METRIC.taskRetries}{stack="node"}`)).toBe(1);
    expect(sample(t, `${METRIC.warmContainers}{stack="python"}`)).toBe(2);
    expect(sample(t, `${METRIC.warmContainers}{stack="unknown"}`)).toBe(4);
    expect(t).not.toMatch(/cobol|fortran|xxxx|ghost|phantom/);
    // A later registration replaces the set: a stack removed from the catalog becomes unknown.
    o.telemetry.knownStacks?.(['node', 'cobol-85']);
    o.telemetry.taskFinished('python', 'FAILED', secs);
    o.telemetry.taskFinished('cobol-85', 'SUCCEEDED', secs);
    t = await scrape(o);
    expect(sample(t, `${METRIC.tasks}{stack="unknown",status="FAILED"}`)).toBe(1);
    expect(sample(t, `${METRIC.tasks}{stack="python",status="FAILED"}`)).toBeUndefined();
    expect(sample(t, `${METRIC.tasks}{stack="cobol-85",status="SUCCEEDED"}`)).toBe(1);
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
    ['invalid: invalid TaskEvent: code.revision 0 is not a positive integer', 'invalid'],
    ['invalid TaskEvent: code.revision 0 is not a positive integer', 'invalid'],
    ['invalid TaskEvent: priority 7 is not 0, 1 or 2', 'invalid'],
    ['undecodable: unknown schema id 999999 (not in schemas/ids.json)', 'undecodable'],
    ['undecodable: record has no value', 'undecodable'],
    ['', 'other'],
  ])('%s → %s', (text, category) => {
    expect(dlqReasonCategory(text)).toBe(category);
  });

  it('the categories are exactly the documented ones', () => {
    expect([...DLQ_REASONS]).toEqual([
      'undecodable',
      'invalid',
      'too_large',
      'retries_exhausted',
      'unknown_stack',
      'code_unavailable',
      'other',
    ]);
  });

  it('a decode failure becomes `invalid: …` for a rule violation, `undecodable: …` otherwise', () => {
    const decodeFailure = (bytes: Uint8Array): unknown => {
      try {
        taskEventCodec.decode(bytes);
      } catch (err) {
        return err;
      }
      throw new Error('decode did not throw');
    };
    const event = {
      id: 'a',
      code: { name: 'pkg', revision: null },
      inline: null,
      payload: Buffer.from('x'),
      priority: 1,
      timeoutMs: null,
      maxAttempts: null,
      attempt: 1,
      memoryBytes: null,
      network: null,
      labels: {},
      createdAtMs: 0,
    };
    const good = taskEventCodec.encode(event);
    // Written with the schema alone, past the rule check on encode.
    const type = defaultSchemaCatalog().current('io.berth.TaskEvent').type;
    const noAttempt = frame(taskEventCodec.schemaId, type.toBuffer({ ...event, attempt: 0 }));
    const invalid = decodeFailure(noAttempt);
    expect(invalid).toBeInstanceOf(RuleViolationError);
    expect(decodeFailureReason(invalid)).toBe(
      'invalid: invalid TaskEvent: attempt 0 is not a positive integer',
    );
    expect(dlqReasonCategory(decodeFailureReason(invalid))).toBe('invalid');

    const garbage = decodeFailure(Buffer.from('{"id":"a"}'));
    expect(decodeFailureReason(garbage)).toBe('undecodable: bad magic byte 0x7b (expected 0x00)');
    const foreign = decodeFailure(frame(999_999, good.subarray(5)));
    expect(dlqReasonCategory(decodeFailureReason(foreign))).toBe('undecodable');
    expect(decodeFailureReason(new DecodeError('truncated'))).toBe('undecodable: truncated');
    expect(decodeFailureReason('weird')).toBe('undecodable: weird');
  });
});

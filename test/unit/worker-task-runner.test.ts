import { describe, expect, it } from 'vitest';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import type { CodePackage } from '../../src/domain/code-package.js';
import type { ExecutionOutcome, ExecutionRequest, ExecutorPort } from '../../src/domain/executor-port.js';
import { InfraError } from '../../src/domain/infra-error.js';
import { noOpTelemetry } from '../../src/domain/no-op-telemetry.js';
import type { StackCatalogPort } from '../../src/domain/stack-catalog-port.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import type { TaskPhase, TaskSpan, TelemetryPort } from '../../src/domain/telemetry-port.js';
import { ExecutionPlanner } from '../../src/execution/execution-planner.js';
import type { HeldTask } from '../../src/intake/held-task.js';
import { HEADERS, topicNames } from '../../src/kafka/topic-names.js';
import { RecentTaskIds } from '../../src/ledger/recent-task-ids.js';
import { ATTR } from '../../src/observability/span-names.js';
import { OutcomePublisher } from '../../src/publishing/outcome-publisher.js';
import type { OutgoingRecord, RecordProducerPort } from '../../src/publishing/record-producer-port.js';
import { PackageLimiter } from '../../src/slots/package-limiter.js';
import { SlotPool } from '../../src/slots/slot-pool.js';
import { CancelRegistry, TaskAbort } from '../../src/worker/cancel-registry.js';
import { TaskRunner } from '../../src/worker/task-runner.js';
import { WorkerCounters } from '../../src/worker/worker-counters.js';
import { defined } from '../support/defined.js';

const MB = 1024 * 1024;
const topics = topicNames('t');

function event(over: Partial<TaskEvent> = {}): TaskEvent {
  return {
    id: 'task-1',
    code: null,
    inline: { stack: 'shell', command: ['echo', 'hi'], env: { A: '1' } },
    payload: Buffer.from('payload'),
    priority: 1,
    timeoutMs: 5000,
    maxAttempts: null,
    attempt: 1,
    memoryBytes: null,
    network: null,
    labels: { team: 'x' },
    createdAtMs: Date.now() - 10,
    ...over,
  };
}

function outcome(status: ExecutionOutcome['status'], over: Partial<ExecutionOutcome> = {}): ExecutionOutcome {
  return {
    status,
    exitCode: status === 'SUCCEEDED' ? 0 : null,
    reason: status === 'SUCCEEDED' ? null : status.toLowerCase(),
    stdout: Buffer.from('out'),
    stdoutTruncated: false,
    stderr: new Uint8Array(),
    stderrTruncated: false,
    outputs: [],
    outputsTruncated: false,
    startedAtMs: Date.now(),
    finishedAtMs: Date.now() + 5,
    ...over,
  };
}

class FakeProducer implements RecordProducerPort {
  readonly sent: { topic: string; record: OutgoingRecord }[] = [];
  failures = 0;
  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new InfraError('broker down', { retriable: true, component: 'kafka' });
    }
    for (const record of records) this.sent.push({ topic, record });
  }
  results(): TaskResult[] {
    return this.sent
      .filter((s) => s.topic === topics.results)
      .map((s) => taskResultCodec.decode(s.record.value));
  }
  on(topic: string) {
    return this.sent.filter((s) => s.topic === topic);
  }
}

type Behaviour = (req: ExecutionRequest, signal: AbortSignal) => Promise<ExecutionOutcome>;

class FakeExecutor implements ExecutorPort {
  readonly requests: ExecutionRequest[] = [];
  constructor(public behaviour: Behaviour = async () => outcome('SUCCEEDED')) {}
  execute(req: ExecutionRequest, signal: AbortSignal) {
    this.requests.push(req);
    return this.behaviour(req, signal);
  }
  prewarm() {}
  warmCounts() {
    return {};
  }
  async close() {}
}

/** Runs until its signal aborts, then reports CANCELLED (as the real executor does). */
const untilAborted: Behaviour = (_req, signal) =>
  new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(outcome('CANCELLED')), { once: true }),
  );

const stacks: StackCatalogPort = {
  resolve: async (name) =>
    name === 'shell' || name === 'python-3.11'
      ? { name, language: 'x', version: '1', imageId: `sha256:${name}`, runtime: null }
      : null,
  list: async () => [],
};

const pkg: CodePackage = {
  name: 'resize',
  revision: 3,
  digest: 'sha256:abc',
  manifest: {
    name: 'resize',
    stack: 'python-3.11',
    command: ['python3', 'main.py'],
    timeoutMs: 9000,
    memoryBytes: 64 * MB,
    env: { MODE: 'fast' },
    network: true,
    maxAttempts: 2,
    retryDelayMs: 100,
    maxConcurrency: 1,
    isolation: 'FRESH',
    handler: null,
    secrets: [],
  },
  tarball: Buffer.from('tar'),
  createdAtMs: 0,
};

function setup(
  executor = new FakeExecutor(),
  telemetry: TelemetryPort = noOpTelemetry,
  owns?: (task: HeldTask) => Promise<boolean>,
  ids?: RecentTaskIds,
  tick?: () => number,
) {
  const producer = new FakeProducer();
  const shutdown = new AbortController();
  const draining = new AbortController();
  const cancels = new CancelRegistry(60_000);
  const defaults = {
    memoryBudgetBytes: 512 * MB,
    defaultMemoryBytes: 128 * MB,
    defaultTimeoutMs: 60_000,
    defaultNanoCpus: 1e9,
    defaultPidsLimit: 64,
    defaultMaxAttempts: 1,
    retryBaseDelayMs: 1000,
    payloadCapBytes: 1024,
    stdoutCapBytes: 100,
    stderrCapBytes: 100,
    outputCapBytes: 100,
  };
  const code = { resolve: async (name: string) => (name === 'resize' ? pkg : null) };
  const runner = new TaskRunner({
    workerId: 'w1',
    eventCodec: taskEventCodec,
    planner: new ExecutionPlanner(stacks, code, defaults),
    slots: new SlotPool({ slots: 2, memoryBudgetBytes: 512 * MB }),
    packages: new PackageLimiter(),
    executor,
    publisher: new OutcomePublisher({
      producer,
      topics,
      resultCodec: taskResultCodec,
      eventCodec: taskEventCodec,
      workerId: 'w1',
      signal: shutdown.signal,
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 2,
    }),
    cancels,
    telemetry,
    counters: new WorkerCounters(),
    payloadCapBytes: 1024,
    retryMaxDelayMs: 10_000,
    draining: draining.signal,
    shutdown: shutdown.signal,
    ...(owns ? { owns } : {}),
    ...(ids ? { ids } : {}),
    ...(tick ? { tick } : {}),
  });
  return { runner, producer, executor, cancels, shutdown, draining };
}

let offset = 0;
function held(value: Uint8Array | null, key = 'k1', headers: Record<string, string> = {}): HeldTask {
  const o = String(offset++);
  return {
    record: { topic: topics.tasks, partition: 2, offset: o, key: Buffer.from(key), value, headers },
    ticket: { topic: topics.tasks, partition: 2, offset: BigInt(o), epoch: 1 },
    queueKey: key,
    consumedAtMs: Date.now(),
    consumedAtTick: performance.now(),
  };
}

/** Telemetry that records what the runner tells the task span. */
function recordingTelemetry() {
  const phases: { phase: TaskPhase; atMs: number | undefined }[] = [];
  const attrs: Record<string, string | number | boolean> = {};
  const ends: string[] = [];
  const span: TaskSpan = {
    phase: (phase, atMs) => {
      // The TaskSpan contract: naming the phase already open is a no-op.
      if (phases.at(-1)?.phase !== phase) phases.push({ phase, atMs });
    },
    setAttributes: (a) => Object.assign(attrs, a),
    end: (status) => ends.push(status),
  };
  const telemetry: TelemetryPort = { ...noOpTelemetry, startTask: () => span };
  return { telemetry, phases, attrs, ends };
}

describe('TaskRunner', () => {
  it('traces wait_slot, start, run (from the executor start time) and publish, with the attempt', async () => {
    const startedAtMs = Date.now() - 40;
    const rec = recordingTelemetry();
    const executor = new FakeExecutor(async () => outcome('SUCCEEDED', { startedAtMs }));
    const { runner } = setup(executor, rec.telemetry);
    expect(await runner.run(held(taskEventCodec.encode(event({ attempt: 2, maxAttempts: 3 }))))).toBe(true);
    expect(rec.phases.map((p) => p.phase)).toEqual(['wait_slot', 'start', 'run', 'publish']);
    expect(rec.phases.find((p) => p.phase === 'run')?.atMs).toBe(startedAtMs);
    expect(rec.attrs).toEqual({ [ATTR.stack]: 'shell', [ATTR.taskAttempt]: 2 });
    expect(rec.ends).toEqual(['SUCCEEDED']);
  });

  it('overhead: consumed → acknowledged on the monotonic clock, minus the precise run when known', async () => {
    const overheads: number[] = [];
    const telemetry: TelemetryPort = {
      ...noOpTelemetry,
      taskFinished: (_stack, _status, seconds) => overheads.push(seconds.overhead),
    };
    let tick = 1000.25;
    const at = (ms: number) => () => {
      tick = ms;
      return outcome('SUCCEEDED', { startedAtMs: 1000, finishedAtMs: 1003 });
    };
    // The executor's outcome moves the clock; the result is acknowledged at that tick.
    const precise = new FakeExecutor(async () => ({ ...at(1003.5)(), runPreciseMs: 1.75 }));
    const { runner } = setup(precise, telemetry, undefined, undefined, () => tick);
    await runner.run({ ...held(taskEventCodec.encode(event())), consumedAtTick: 1000.25 });
    const coarse = new FakeExecutor(async () => at(1004.5)());
    const second = setup(coarse, telemetry, undefined, undefined, () => tick);
    await second.runner.run({ ...held(taskEventCodec.encode(event())), consumedAtTick: 1000.25 });
    // 3.25 ms consumed → acked, minus 1.75 ms measured by the launcher; then minus whole-ms 3.
    expect(overheads.map((s) => Math.round(s * 1e6) / 1e3)).toEqual([1.5, 1.25]);
  });

  it('has no run phase when the task process never started', async () => {
    const rec = recordingTelemetry();
    const executor = new FakeExecutor(async () => outcome('FAILED', { startedAtMs: null }));
    const { runner } = setup(executor, rec.telemetry);
    await runner.run(held(taskEventCodec.encode(event())));
    expect(rec.phases.map((p) => p.phase)).toEqual(['wait_slot', 'start', 'publish']);
  });

  it('runs an inline task with defaults and publishes one result with provenance', async () => {
    const { runner, producer, executor } = setup();
    const task = held(taskEventCodec.encode(event()));
    expect(await runner.run(task)).toBe(true);
    const [req] = executor.requests;
    expect(req).toMatchObject({
      stack: 'shell',
      imageId: 'sha256:shell',
      memoryBytes: 128 * MB,
      timeoutMs: 5000,
      network: false,
    });
    expect(req?.command).toEqual(['echo', 'hi']);
    const results = producer.results();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      id: 'task-1',
      status: 'SUCCEEDED',
      workerId: 'w1',
      sourceTopic: topics.tasks,
      sourcePartition: 2,
      sourceOffset: task.record.offset,
      stackImage: 'sha256:shell',
      labels: { team: 'x' },
    });
    expect(producer.on(topics.results)[0]?.record.key).toBe('task-1');
  });

  it('dead-letters garbage with the original bytes and reason headers', async () => {
    const { runner, producer, executor } = setup();
    const garbage = Buffer.from([1, 2, 3, 4, 5, 6]);
    expect(await runner.run(held(garbage, 'kg'))).toBe(true);
    expect(executor.requests).toHaveLength(0);
    const dlq = defined(producer.on(topics.dlq)[0], 'a dead letter');
    expect(Buffer.from(dlq.record.value).equals(garbage)).toBe(true);
    expect(Buffer.from(dlq.record.key as Uint8Array).toString()).toBe('kg');
    expect(dlq.record.headers[HEADERS.dlqReason]).toMatch(/^undecodable/);
    expect(dlq.record.headers[HEADERS.dlqSourceTopic]).toBe(topics.tasks);
    expect(dlq.record.headers[HEADERS.dlqWorker]).toBe('w1');
    expect(producer.results()).toHaveLength(0);
  });

  it('dead-letters an oversized payload', async () => {
    const { runner, producer } = setup();
    await runner.run(held(taskEventCodec.encode(event({ payload: Buffer.alloc(2000) }))));
    expect(producer.on(topics.dlq)[0]?.record.headers[HEADERS.dlqReason]).toMatch(/^too_large/);
  });

  it('rejects an unknown stack, an unknown package and memory beyond the budget', async () => {
    const { runner, producer, executor } = setup();
    await runner.run(
      held(taskEventCodec.encode(event({ id: 'a', inline: { stack: 'cobol', command: ['x'], env: {} } }))),
    );
    await runner.run(
      held(taskEventCodec.encode(event({ id: 'b', inline: null, code: { name: 'nope', revision: null } }))),
    );
    await runner.run(held(taskEventCodec.encode(event({ id: 'c', memoryBytes: 1024 * MB }))));
    expect(executor.requests).toHaveLength(0);
    const results = producer.results();
    expect(results.map((r) => r.status)).toEqual(['REJECTED', 'REJECTED', 'REJECTED']);
    expect(results[0]?.reason).toMatch(/unknown stack 'cobol'/);
    expect(results[1]?.reason).toMatch(/unknown code package 'nope'/);
    expect(results[2]?.reason).toMatch(/budget/);
  });

  it('honours the code manifest', async () => {
    const { runner, producer, executor } = setup();
    await runner.run(
      held(
        taskEventCodec.encode(
          event({ inline: null, code: { name: 'resize', revision: null }, timeoutMs: null }),
        ),
      ),
    );
    expect(executor.requests[0]).toMatchObject({
      stack: 'python-3.11',
      command: ['python3', 'main.py'],
      env: { MODE: 'fast' },
      memoryBytes: 64 * MB,
      timeoutMs: 9000,
      network: true,
    });
    const codeTar = defined(executor.requests[0]?.codeTar, 'the code tarball of the request');
    expect(Buffer.from(codeTar).toString()).toBe('tar');
    expect(producer.results()[0]).toMatchObject({
      codeName: 'resize',
      codeRevision: 3,
      codeDigest: 'sha256:abc',
    });
  });

  it('a failed attempt with attempts left goes to berth.retry with attempt+1, no result', async () => {
    const { runner, producer } = setup(new FakeExecutor(async () => outcome('TIMED_OUT')));
    const before = Date.now();
    await runner.run(held(taskEventCodec.encode(event({ maxAttempts: 2 })), 'key-r', { traceparent: 'tp' }));
    expect(producer.results()).toHaveLength(0);
    const retry = defined(producer.on(topics.retry)[0], 'a retry record');
    expect(taskEventCodec.decode(retry.record.value).attempt).toBe(2);
    expect(Buffer.from(retry.record.key as Uint8Array).toString()).toBe('key-r');
    expect(Number(retry.record.headers[HEADERS.notBefore])).toBeGreaterThanOrEqual(before + 500);
    expect(retry.record.headers.traceparent).toBe('tp');
  });

  it('the last failed attempt goes to the DLQ and ends with a final result', async () => {
    const { runner, producer } = setup(new FakeExecutor(async () => outcome('FAILED', { exitCode: 3 })));
    await runner.run(held(taskEventCodec.encode(event({ maxAttempts: 2, attempt: 2 }))));
    expect(producer.on(topics.dlq)[0]?.record.headers[HEADERS.dlqReason]).toMatch(/^retries_exhausted/);
    expect(producer.results()).toMatchObject([{ status: 'FAILED', attempt: 2, exitCode: 3 }]);
  });

  it('re-runs the attempt on a retriable engine error and retries publishing', async () => {
    let calls = 0;
    const exec = new FakeExecutor(async () => {
      calls++;
      if (calls < 3) throw new InfraError('engine hiccup', { retriable: true, component: 'docker' });
      return outcome('SUCCEEDED');
    });
    const { runner, producer } = setup(exec);
    producer.failures = 2;
    expect(await runner.run(held(taskEventCodec.encode(event())))).toBe(true);
    expect(calls).toBe(3);
    expect(producer.results()).toHaveLength(1);
  }, 20_000);

  it('a cancel that arrived before the task skips it with CANCELLED', async () => {
    const { runner, producer, executor, cancels } = setup();
    cancels.cancel('task-1', 'user asked');
    await runner.run(held(taskEventCodec.encode(event())));
    expect(executor.requests).toHaveLength(0);
    expect(producer.results()[0]).toMatchObject({ status: 'CANCELLED' });
  });

  it('a cancel while running aborts the signal; the executor reports CANCELLED', async () => {
    const exec = new FakeExecutor(untilAborted);
    const { runner, producer, cancels } = setup(exec);
    const running = runner.run(held(taskEventCodec.encode(event())));
    await new Promise((r) => setTimeout(r, 20));
    expect(cancels.cancel('task-1', 'stop')).toBe(1);
    expect(await running).toBe(true);
    expect(producer.results()[0]?.status).toBe('CANCELLED');
  });

  it('a task killed at shutdown publishes nothing and is not acked', async () => {
    const exec = new FakeExecutor(untilAborted);
    const { runner, producer, cancels } = setup(exec);
    const running = runner.run(held(taskEventCodec.encode(event())));
    await new Promise((r) => setTimeout(r, 20));
    cancels.killAll('deadline');
    expect(await running).toBe(false);
    expect(producer.sent).toHaveLength(0);
  });

  it('tasks waiting for a slot give up on drain without publishing', async () => {
    const exec = new FakeExecutor(() => new Promise(() => {}));
    const { runner, producer, draining } = setup(exec);
    void runner.run(held(taskEventCodec.encode(event({ id: 'a' }))));
    void runner.run(held(taskEventCodec.encode(event({ id: 'b' }))));
    const waiting = runner.run(held(taskEventCodec.encode(event({ id: 'c' }))));
    await new Promise((r) => setTimeout(r, 20));
    expect(exec.requests).toHaveLength(2);
    draining.abort(new TaskAbort('shutdown', 'drain'));
    expect(await waiting).toBe(false);
    expect(producer.sent).toHaveLength(0);
  });

  it('withholds the outcome of a task whose partition moved to another worker (not acked)', async () => {
    const { runner, producer, executor } = setup(new FakeExecutor(), noOpTelemetry, async () => false);
    expect(await runner.run(held(taskEventCodec.encode(event())))).toBe(false);
    expect(executor.requests).toHaveLength(1); // it ran, but the new owner's result is the one that counts
    expect(producer.sent).toHaveLength(0);
    expect(await runner.run(held(Buffer.from('garbage')))).toBe(false);
    expect(producer.sent).toHaveLength(0);
  });

  it('dead-letters a record whose task fails inside the worker, so its offset can still be committed', async () => {
    const broken = new FakeExecutor(async () => {
      throw new TypeError('executor bug');
    });
    const { runner, producer } = setup(broken);
    expect(await runner.run(held(taskEventCodec.encode(event())))).toBe(true);
    const [dlq] = producer.on(topics.dlq);
    expect(dlq?.record.headers['berth-dlq-reason']).toMatch(
      /^other: worker failed to finish the task: executor bug/,
    );
  });
});

describe('TaskRunner: delayed tasks and idempotent submit', () => {
  const memory = () => new RecentTaskIds({ windowMs: 60_000, maxIds: 1000 });

  it('a task not due yet moves to berth.retry unchanged with its run-at time, holding no slot', async () => {
    const { runner, producer, executor } = setup();
    const runAtMs = Date.now() + 60_000;
    const task = held(taskEventCodec.encode(event({ id: 'later', runAtMs })), 'k-delay', {
      traceparent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01',
    });
    expect(await runner.run(task)).toBe(true);
    expect(executor.requests).toHaveLength(0);
    expect(producer.results()).toHaveLength(0);
    const [moved] = producer.on(topics.retry);
    expect(moved?.record.key).toEqual(Buffer.from('k-delay'));
    expect(moved?.record.headers?.[HEADERS.notBefore]).toBe(String(runAtMs));
    expect(moved?.record.headers?.[HEADERS.origin]).toBe(`${topics.tasks}/2@${task.record.offset}`);
    expect(moved?.record.headers?.traceparent).toContain('aaaa');
    const back = taskEventCodec.decode(defined(moved, 'the delay record').record.value);
    expect(back).toMatchObject({ id: 'later', attempt: 1, runAtMs });
  });

  it('a delayed task that is due runs (its delay record, or a run-at time in the past)', async () => {
    const { runner, producer, executor } = setup();
    expect(await runner.run(held(taskEventCodec.encode(event({ id: 'due', runAtMs: Date.now() - 1 }))))).toBe(
      true,
    );
    expect(executor.requests).toHaveLength(1);
    expect(producer.results()[0]).toMatchObject({ id: 'due', status: 'SUCCEEDED' });
  });

  it('the same id submitted twice runs once; nothing is published for the duplicate', async () => {
    const ids = memory();
    const { runner, producer, executor } = setup(undefined, undefined, undefined, ids);
    expect(await runner.run(held(taskEventCodec.encode(event({ id: 'once' })), 'a'))).toBe(true);
    expect(await runner.run(held(taskEventCodec.encode(event({ id: 'once' })), 'b'))).toBe(true);
    expect(executor.requests).toHaveLength(1);
    expect(producer.results().map((r) => r.id)).toEqual(['once']);
    expect(producer.sent.filter((s) => s.topic !== topics.results)).toHaveLength(0);
  });

  it('a retry (attempt 2) of a remembered id still runs', async () => {
    const ids = memory();
    const executor = new FakeExecutor(async () => outcome('FAILED'));
    const { runner, producer } = setup(executor, undefined, undefined, ids);
    await runner.run(held(taskEventCodec.encode(event({ id: 'r', maxAttempts: 2 }))));
    const [retry] = producer.on(topics.retry);
    const retryTask = held(
      defined(retry, 'the retry record').record.value,
      'k1',
      defined(retry, 'the retry record').record.headers as Record<string, string>,
    );
    expect(await runner.run(retryTask)).toBe(true);
    expect(executor.requests).toHaveLength(2);
    expect(producer.results()).toMatchObject([{ id: 'r', attempt: 2, status: 'FAILED' }]);
  });

  it('a delayed task resubmitted while it waits runs once, when its delay record falls due', async () => {
    const ids = memory();
    const { runner, producer, executor } = setup(undefined, undefined, undefined, ids);
    const runAtMs = Date.now() + 300;
    await runner.run(held(taskEventCodec.encode(event({ id: 'dl', runAtMs }))));
    await runner.run(held(taskEventCodec.encode(event({ id: 'dl', runAtMs }))));
    expect(producer.on(topics.retry)).toHaveLength(1);
    const [moved] = producer.on(topics.retry);
    const due = held(
      defined(moved, 'the delay record').record.value,
      'k1',
      defined(moved, 'the delay record').record.headers as Record<string, string>,
    );
    // The retry consumer hands it over once due (its not-before header).
    await new Promise((r) => setTimeout(r, runAtMs + 20 - Date.now()));
    expect(await runner.run(due)).toBe(true);
    expect(executor.requests).toHaveLength(1);
    expect(producer.results()).toMatchObject([{ id: 'dl', attempt: 1, status: 'SUCCEEDED' }]);
  });

  it('a run given up unacknowledged is forgotten, so its re-delivery runs', async () => {
    const ids = memory();
    const { runner, executor, cancels } = setup(new FakeExecutor(untilAborted), undefined, undefined, ids);
    const task = held(taskEventCodec.encode(event({ id: 'gone' })));
    const running = runner.run(task);
    await new Promise((r) => setTimeout(r, 20));
    cancels.killAll('deadline');
    expect(await running).toBe(false);
    expect(ids.admit('gone', 1, `${topics.tasks}/5@1`).kind).toBe('run');
    expect(executor.requests).toHaveLength(1);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushCodePackage } from '../../src/code/code-push.js';
import { controlCodec } from '../../src/codecs/control-codec.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { KafkaCodeTopic } from '../../src/kafka/code-topic.js';
import type { Worker } from '../../src/worker/worker.js';
import { FUNCTION_PACKAGES, FUNCTION_STACKS } from '../support/function-handlers.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * Function mode through a real worker, for every language stack: a handler loaded once per
 * runtime answers calls (return value, stdout per call, context and labels, globals kept between
 * calls); a thrown error is FAILED and the runtime keeps serving; timeout, crash, OOM and cancel
 * each end that task only (TIMED_OUT, FAILED, KILLED, CANCELLED) and the next task runs in a
 * fresh runtime (its global counter starts again at 1). Tasks of one stack share a key, so they
 * run in this order; stacks run in parallel.
 */
const h = new WorkerHarness();
const tmp = mkdtempSync(join(tmpdir(), 'berth-fn-'));
const stacks = FUNCTION_STACKS.filter(([stack]) => availableStacks([stack]).length === 1);
let codeTopic: KafkaCodeTopic;
let worker: Worker;
const callSocketDir = join(tmp, 'call');
/** Per function container: where /run/berth-call comes from, and whether its launcher holds a socket. */
let transports: { mountSource: string | null; launcherSocket: boolean }[] = [];

/** How each running function container of this test reaches its worker. */
function functionTransports(): { mountSource: string | null; launcherSocket: boolean }[] {
  return h.containers().map((id) => {
    const [info] = JSON.parse(execFileSync('docker', ['inspect', id]).toString()) as {
      Mounts: { Destination: string; Source: string; RW: boolean }[];
      State: { Pid: number };
      Config: { Labels: Record<string, string> };
    }[];
    if (info === undefined) throw new Error(`container ${id} not found`);
    const mount = info.Mounts.find((m) => m.Destination === '/run/berth-call' && !m.RW);
    // The launcher is the container's PID 1; a socket among its fds is the call socket (no network).
    const fdDir = `/proc/${info.State.Pid}/fd`;
    const launcherSocket = readdirSync(fdDir).some((fd) => {
      try {
        return readlinkSync(join(fdDir, fd)).startsWith('socket:');
      } catch {
        return false;
      }
    });
    return { mountSource: mount?.Source ?? null, launcherSocket };
  });
}

const STEPS = [
  ['ok1', 'ok'],
  ['throw', 'throw'],
  ['ok2', 'ok'],
  ['sleep', 'sleep'],
  ['ok3', 'ok'],
  ['crash', 'crash'],
  ['ok4', 'ok'],
  ['oom', 'oom'],
  ['ok5', 'ok'],
  ['cancel', 'sleep'],
  ['ok6', 'ok'],
] as const;

function pkgName(stack: string): string {
  return `fn-${stack.replace('.', '')}-${h.prefix}`;
}

function event(stack: string, step: string, payload: string): TaskEvent {
  const base = inlineEvent(`${stack}-${step}`, stack, ['unused'], {
    payload: Buffer.from(payload),
    labels: { k: `label-${step}` },
    // The JVM needs more room than the other runtimes; every handler's OOM case fills it.
    memoryBytes: (stack.startsWith('java') ? 192 : 96) * 1024 * 1024,
    // OOM gets longer: under heavy disk I/O (the full suite builds images meanwhile) the kernel
    // can spend more than a minute reclaiming and re-reading the runtime's file pages at the
    // memory limit before its OOM killer ends the runtime; seen as TIMED_OUT at 60 s.
    timeoutMs: step === 'sleep' ? 2500 : step === 'oom' ? 240_000 : 60_000,
  });
  return { ...base, inline: null, code: { name: pkgName(stack), revision: null } };
}

function result(stack: string, step: string): TaskResult {
  const [r] = h.resultsFor(`${stack}-${step}`);
  if (r === undefined) throw new Error(`no result for ${stack}-${step}`);
  return r;
}

function value(r: TaskResult): Record<string, unknown> {
  expect(r.returnValue?.kind).toBe('JSON');
  return JSON.parse(Buffer.from(r.returnValue?.data ?? []).toString()) as Record<string, unknown>;
}

beforeAll(async () => {
  await h.setUp(4);
  codeTopic = new KafkaCodeTopic({ kafka: h.kafka, topic: h.topics.code });
  for (const [stack, runtime] of stacks) {
    const pkg = FUNCTION_PACKAGES[runtime];
    if (pkg === undefined) throw new Error(`no test package for runtime ${runtime}`);
    const dir = join(tmp, stack);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(pkg.files)) writeFileSync(join(dir, file), text);
    const manifest = { name: pkgName(stack), stack, handler: pkg.handler, maxConcurrency: 1 };
    writeFileSync(join(dir, 'berth.json'), JSON.stringify(manifest));
    await pushCodePackage({ dir, topic: codeTopic, runTemplate: async () => null });
  }
  worker = await h.startWorker({
    slots: '2',
    warmPoolSize: '0',
    prewarmStacks: 'shell',
    codeCacheDir: join(tmp, 'cache'),
    callSocketDir,
    // Every stack's container must still be there when the call sockets are checked, however
    // long one stack's OOM step took.
    hotIdleMs: '900000',
  });
  // Every stack's steps share one key: they run in order, one at a time.
  await h.send(
    stacks.flatMap(([stack]) =>
      STEPS.filter(([step]) => step !== 'cancel' && step !== 'ok6').map(([step, payload]) => ({
        key: stack,
        event: event(stack, step, payload),
      })),
    ),
  );
  await h.until(
    'ok5 of every stack',
    () => stacks.every(([s]) => h.resultsFor(`${s}-ok5`).length > 0),
    480_000,
  );
  transports = functionTransports();
  await h.send(
    stacks.flatMap(([stack]) => [
      { key: stack, event: event(stack, 'cancel', 'sleep') },
      { key: stack, event: event(stack, 'ok6', 'ok') },
    ]),
  );
  await new Promise((r) => setTimeout(r, 4000)); // the sleeping calls are running now
  for (const [stack] of stacks) {
    const id = `${stack}-cancel`;
    await h.sendRaw(
      h.topics.control,
      id,
      controlCodec.encode({ taskId: id, action: 'CANCEL', reason: 'test', requestedAtMs: Date.now() }),
    );
  }
  await h.until(
    'ok6 of every stack',
    () => stacks.every(([s]) => h.resultsFor(`${s}-ok6`).length > 0),
    120_000,
  );
}, 600_000);

afterAll(async () => {
  await codeTopic?.close();
  await h.tearDown();
  rmSync(tmp, { recursive: true, force: true });
});

describe('function mode through a real worker', () => {
  it('covers every language stack', () => {
    expect(stacks.map(([s]) => s)).toEqual(FUNCTION_STACKS.map(([s]) => s));
  });

  describe.each(stacks.map(([s]) => s))('%s', (stack) => {
    it('returns the value, per-call stdout and the context; globals persist in one runtime', () => {
      const r = result(stack, 'ok1');
      expect(r.status).toBe('SUCCEEDED');
      expect(value(r)).toEqual({ taskId: `${stack}-ok1`, attempt: 1, label: 'label-ok1', count: 1 });
      expect(Buffer.from(r.stdout).toString()).toBe(`hello ${stack}-ok1\n`);
      expect(r.codeName).toBe(pkgName(stack));
      const again = result(stack, 'ok2');
      expect(value(again).count).toBe(2);
      expect(Buffer.from(again.stdout).toString()).toBe(`hello ${stack}-ok2\n`);
    });

    it('a thrown error is FAILED with its message and stack trace, and the runtime serves on', () => {
      const r = result(stack, 'throw');
      expect(r.status).toBe('FAILED');
      expect(r.reason).toMatch(/boom/);
      expect(Buffer.from(r.stderr).toString()).toMatch(/boom|script/i);
      expect(r.returnValue ?? null).toBeNull();
    });

    it('timeout, crash, OOM and cancel end that task only; the next task gets a fresh runtime', () => {
      expect(result(stack, 'sleep').status).toBe('TIMED_OUT');
      expect(value(result(stack, 'ok3')).count).toBe(1);
      const crash = result(stack, 'crash');
      expect(crash.status).toBe('FAILED');
      expect(crash.reason).toMatch(/crashed/);
      expect(value(result(stack, 'ok4')).count).toBe(1);
      const oom = result(stack, 'oom');
      expect(oom.status).toBe('KILLED');
      expect(oom.reason).toMatch(/out of memory/);
      expect(value(result(stack, 'ok5')).count).toBe(1);
      expect(result(stack, 'cancel').status).toBe('CANCELLED');
      const last = result(stack, 'ok6');
      expect(last.status).toBe('SUCCEEDED');
      expect(value(last).count).toBe(1);
    });
  });

  it("calls travel on the worker's call socket: mounted read-only, the launcher connected", () => {
    expect(transports.length).toBeGreaterThanOrEqual(stacks.length);
    for (const t of transports) expect(t).toEqual({ mountSource: callSocketDir, launcherSocket: true });
  });

  it('leaves no function container behind once the worker closes, nor its call socket', async () => {
    await worker.close();
    expect(h.containers()).toEqual([]);
    expect(readdirSync(callSocketDir)).toEqual([]);
  });

  it('with --call-socket-dir off, calls travel on the attach stream', async () => {
    const stack = 'node-20';
    if (!stacks.some(([s]) => s === stack)) return;
    const attachWorker = await h.startWorker({
      slots: '1',
      warmPoolSize: '0',
      prewarmStacks: 'shell',
      codeCacheDir: join(tmp, 'cache'),
      callSocketDir: 'off',
    });
    await h.send([{ key: stack, event: event(stack, 'attach', 'ok') }]);
    await h.until('the attach-mode task', () => h.resultsFor(`${stack}-attach`).length > 0, 60_000);
    expect(functionTransports()).toEqual([{ mountSource: null, launcherSocket: false }]);
    expect(result(stack, 'attach').status).toBe('SUCCEEDED');
    expect(value(result(stack, 'attach')).count).toBe(1);
    await attachWorker.close();
  });
});

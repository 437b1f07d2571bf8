import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerExecutor } from '../../src/containers/container-executor.js';
import { DockerodeEngine } from '../../src/containers/dockerode-engine.js';
import { executorOptions } from '../../src/containers/executor-options.js';
import type { ExecutionOutcome, ExecutionRequest } from '../../src/domain/executor-port.js';
import { InfraError } from '../../src/domain/infra-error.js';
import { executionRequest, localImageId, removeLeftovers, testRun } from '../support/executor-fixture.js';

/**
 * The fresh-isolation executor on the real engine with the real stack images: outcomes, limits
 * and cleanup. Needs `berth/base-bookworm:current` (bash, coreutils, the launcher).
 */
const IMAGE = 'berth/base-bookworm:current';
const MIB = 1024 * 1024;
const { run, labels } = testRun();
const engine = new DockerodeEngine();
const options = executorOptions({
  workerId: `test-${run}`,
  defaultLimits: { memoryBytes: 128 * MIB, nanoCpus: 500_000_000, pidsLimit: 64 },
  backstopGraceMs: 3000,
  extraLabels: labels,
});
let executor: ContainerExecutor;
let imageId: string;
const never = new AbortController().signal;

function request(command: string[], over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return executionRequest(
    {
      taskId: `task-${Math.random().toString(36).slice(2)}`,
      stack: 'base-bookworm',
      imageId,
      command,
      payload: new TextEncoder().encode('{"n":42}'),
      timeoutMs: 10_000,
    },
    options.defaultLimits,
    over,
  );
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const sh = (script: string) => ['bash', '-c', script];
function describeOutcome(o: ExecutionOutcome): string {
  return `${o.status} ${o.reason} stdout=${text(o.stdout).slice(0, 200)} stderr=${text(o.stderr).slice(0, 200)}`;
}

beforeAll(() => {
  imageId = localImageId(IMAGE);
  executor = new ContainerExecutor(engine, options);
});

afterAll(async () => {
  await executor.close();
  expect(await removeLeftovers(engine, labels)).toEqual([]);
});

describe('fresh executor on the real engine', () => {
  it('runs an echo task on a warm container with the payload at /task/payload and $PAYLOAD_FILE', async () => {
    executor.prewarm('base-bookworm', imageId, 1);
    const until = Date.now() + 30_000;
    while (executor.warmCounts()['base-bookworm'] !== 1 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(executor.warmCounts()['base-bookworm']).toBe(1);
    const o = await executor.execute(
      request(sh('echo hello; cat /task/payload; echo; cat "$PAYLOAD_FILE"')),
      never,
    );
    expect(o.status, describeOutcome(o)).toBe('SUCCEEDED');
    expect(o.exitCode).toBe(0);
    expect(text(o.stdout)).toBe('hello\n{"n":42}\n{"n":42}');
    expect(o.startedAtMs).toBeGreaterThan(0);
    executor.prewarm('base-bookworm', imageId, 0);
  });

  it("gives a warm container the request's memory and pids limits by update before handover", async () => {
    executor.prewarm('base-bookworm', imageId, 1);
    const until = Date.now() + 30_000;
    while (executor.warmCounts()['base-bookworm'] !== 1 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    const running = (await engine.listByLabels(labels)).filter((c) => c.state === 'running');
    expect(running).toHaveLength(1);
    const warm = running[0];
    const script = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max';
    const o = await executor.execute(request(sh(script), { memoryBytes: 48 * MIB, pidsLimit: 40 }), never);
    expect(text(o.stdout), describeOutcome(o)).toBe(`${48 * MIB}\n40\n`);
    executor.prewarm('base-bookworm', imageId, 0);
    const gone = Date.now() + 10_000;
    while ((await engine.inspect(warm?.id as string)) !== null && Date.now() < gone) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await engine.inspect(warm?.id as string)).toBeNull();
  });

  it('runs concurrent tasks in separate containers', async () => {
    const ids = ['one', 'two', 'three'];
    const outcomes = await Promise.all(
      ids.map((id) =>
        executor.execute(
          request(sh('cat /task/payload; echo " $TASK_ID"; hostname'), {
            taskId: id,
            payload: new TextEncoder().encode(id),
          }),
          never,
        ),
      ),
    );
    const lines = outcomes.map((o) => text(o.stdout).split('\n'));
    expect(lines.map((l) => l[0])).toEqual(ids.map((id) => `${id} ${id}`));
    expect(new Set(lines.map((l) => l[1])).size).toBe(3);
  });

  it('collects output files from /task/out', async () => {
    const script = 'mkdir -p /task/out/sub && echo a > /task/out/a.txt && printf b > /task/out/sub/b.bin';
    const o = await executor.execute(request(sh(script)), never);
    expect(o.status, describeOutcome(o)).toBe('SUCCEEDED');
    expect(o.outputs.map((f) => [f.name, text(f.data)])).toEqual([
      ['a.txt', 'a\n'],
      ['sub/b.bin', 'b'],
    ]);
  });

  it('maps exit 3 to FAILED with exit code 3', async () => {
    const o = await executor.execute(request(sh('echo oops >&2; exit 3')), never);
    expect([o.status, o.exitCode, o.reason]).toEqual(['FAILED', 3, 'exit code 3']);
    expect(text(o.stderr)).toBe('oops\n');
  });

  it('times out an infinite loop', async () => {
    const t0 = Date.now();
    const o = await executor.execute(
      request(sh('while :; do :; done'), { timeoutMs: 1500, nanoCpus: 250_000_000 }),
      never,
    );
    expect(o.status, describeOutcome(o)).toBe('TIMED_OUT');
    expect(Date.now() - t0).toBeLessThan(1500 + options.backstopGraceMs);
  });

  it('kills a memory hog with an out-of-memory reason', async () => {
    const o = await executor.execute(
      request(sh('head -c 500m /dev/zero | tail'), { memoryBytes: 32 * MIB }),
      never,
    );
    expect(o.status, describeOutcome(o)).toBe('KILLED');
    expect(o.reason).toBe(`out of memory (limit ${32 * MIB} bytes)`);
  });

  it('contains a fork bomb with the pids limit; the task ends and the engine stays usable', async () => {
    // The main shell stays alive for 2 s while the bomb grows against the pids limit; when it exits
    // the launcher kills the whole process group, bomb included.
    const bomb = request(sh('bomb() { bomb | bomb & }; bomb; sleep 2'), {
      timeoutMs: 3000,
      pidsLimit: 32,
      nanoCpus: 250_000_000,
    });
    const t0 = Date.now();
    const o = await executor.execute(bomb, never);
    // Contained: forks fail at the pids limit (bash reports it), the launcher itself survives to
    // report a result, and the task ends in time.
    expect(text(o.stderr), describeOutcome(o)).toMatch(/fork: .*Resource temporarily unavailable/);
    expect(Date.now() - t0).toBeLessThan(3000 + options.backstopGraceMs);
    const after = await executor.execute(request(sh('echo alive')), never);
    expect(text(after.stdout)).toBe('alive\n');
  });

  it('keeps the launcher alive when the task signals PID 1, so the result still arrives', async () => {
    const o = await executor.execute(
      // SIGUSR1 is the launcher's cancel signal (docs/launcher-protocol.md#cancel): left out here.
      request(sh('for s in TERM INT HUP QUIT USR2; do kill -$s 1; done; sleep 0.3; echo survived')),
      never,
    );
    expect(o.status, describeOutcome(o)).toBe('SUCCEEDED');
    expect(text(o.stdout)).toBe('survived\n');
  });

  it('caps 100 MB of stdout with the truncated flag and bounded memory', async () => {
    const rss0 = process.memoryUsage().rss;
    const o = await executor.execute(
      request(sh('yes 0123456789 | head -c 100000000; echo done >&2'), { stdoutCapBytes: MIB }),
      never,
    );
    expect(o.status, describeOutcome(o)).toBe('SUCCEEDED');
    expect(o.stdoutTruncated).toBe(true);
    expect(o.stdout.length).toBe(MIB);
    expect(text(o.stderr)).toBe('done\n');
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * MIB);
  });

  it('has no network unless asked: only loopback, outbound connects fail', async () => {
    const probe =
      'grep -c : /proc/net/dev; timeout 3 bash -c "exec 3<>/dev/tcp/1.1.1.1/53" && echo connected';
    const off = await executor.execute(request(sh(probe)), never);
    expect(off.status, describeOutcome(off)).toBe('FAILED');
    expect(text(off.stdout)).toBe('1\n');
    const on = await executor.execute(
      request(sh('grep -v lo: /proc/net/dev | grep -c :'), { network: true }),
      never,
    );
    expect(Number(text(on.stdout).trim()), describeOutcome(on)).toBeGreaterThanOrEqual(1);
  });

  it('has a read-only root and writable /tmp', async () => {
    const o = await executor.execute(
      request(sh('touch /root-file 2>/dev/null && echo root-writable; echo ok > /tmp/x && cat /tmp/x')),
      never,
    );
    expect(o.status, describeOutcome(o)).toBe('SUCCEEDED');
    expect(text(o.stdout)).toBe('ok\n');
  });

  it('runs as uid 10001 with no capabilities and no privilege escalation', async () => {
    const o = await executor.execute(
      request(sh('id -u; id -g; grep -E "^(CapEff|CapPrm|NoNewPrivs)" /proc/self/status')),
      never,
    );
    expect(text(o.stdout).replace(/[ \t]+/g, ' ')).toBe(
      '10001\n10001\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\nNoNewPrivs: 1\n',
    );
  });

  it('cancels a running task via the AbortSignal', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 1500);
    const o = await executor.execute(request(sh('sleep 60'), { timeoutMs: 60_000 }), ac.signal);
    expect(o.status).toBe('CANCELLED');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('rejects with a retriable InfraError when the container is lost mid-run', async () => {
    const running = executor.execute(request(sh('sleep 60'), { timeoutMs: 60_000 }), never);
    const outcome = running.then(
      () => null,
      (err: unknown) => err,
    );
    let victim: string | undefined;
    for (let i = 0; i < 100 && victim === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      victim = (await engine.listByLabels(labels)).find((c) => c.state === 'running')?.id;
    }
    expect(victim).toBeDefined();
    await engine.kill(victim as string);
    const err = await outcome;
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).retriable).toBe(true);
    expect((err as InfraError).message).toMatch(/ended without a result/);
  });

  it('reports a command that cannot start as FAILED with the reason', async () => {
    const o = await executor.execute(request(['no-such-program-here']), never);
    expect(o.status).toBe('FAILED');
    expect(o.reason).toMatch(/no-such-program-here/);
    expect(o.startedAtMs).toBeNull();
  });
});

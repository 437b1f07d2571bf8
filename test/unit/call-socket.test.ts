import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CALL_SOCKET_MOUNT_DIR,
  CallSocketServer,
  removeStaleDirs,
} from '../../src/containers/call-socket-server.js';
import { taskContainerSpec } from '../../src/containers/container-spec.js';
import { executorOptions } from '../../src/containers/executor-options.js';
import { FunctionExecutor } from '../../src/containers/function-executor.js';
import type { ExecutionRequest } from '../../src/domain/executor-port.js';
import { type FakeContainer, FakeEngine, type FakeLauncher, resultFrame } from './containers-fake-engine.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cs-'));
  closers.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function server(opts: { helloTimeoutMs?: number } = {}): Promise<CallSocketServer> {
  const s = await CallSocketServer.open({ dir: tempDir(), ...opts });
  closers.push(() => s.close());
  return s;
}

function dial(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.on('error', reject);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.on('close', () => resolve())));
}

const hello = (token: string) => `${JSON.stringify({ type: 'hello', token })}\n`;
const hostPath = (s: CallSocketServer, e: { containerPath: string }) =>
  join(s.dir, basename(e.containerPath));

describe('CallSocketServer', () => {
  it('gives each container a socket of its own; its hello hands the connection over, with what followed', async () => {
    const s = await server();
    expect(statSync(s.dir).mode & 0o777).toBe(0o711);
    const other = await s.expect();
    const mine = await s.expect();
    expect(mine.containerPath).toMatch(new RegExp(`^${CALL_SOCKET_MOUNT_DIR}/[0-9a-f]{32}\\.sock$`));
    expect(mine.containerPath).not.toBe(other.containerPath);
    expect(mine.token).toMatch(/^[0-9a-f]{32}$/);
    expect(mine.token).not.toBe(other.token);
    expect(statSync(hostPath(s, mine)).mode & 0o777).toBe(0o666);
    const c = await dial(hostPath(s, mine));
    c.write(`${hello(mine.token)}{"type":"loaded"}\n`);
    const call = await mine.accepted;
    expect(call).not.toBeNull();
    const got: Buffer[] = [];
    call?.socket.on('data', (b: Buffer) => got.push(b));
    call?.socket.resume();
    c.write('more\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(`${call?.rest.toString()}${Buffer.concat(got).toString()}`).toBe('{"type":"loaded"}\nmore\n');
    // Once connected, the container's socket is gone: nobody can connect to it again.
    expect(existsSync(hostPath(s, mine))).toBe(false);
    await expect(dial(hostPath(s, mine))).rejects.toThrow();
    other.cancel();
    expect(await other.accepted).toBeNull();
    expect(existsSync(hostPath(s, other))).toBe(false);
    c.destroy();
  });

  it("closes connections with another socket's token, a malformed or late hello", async () => {
    const s = await server({ helloTimeoutMs: 300 });
    const a = await s.expect();
    const b = await s.expect();
    const wrong = await dial(hostPath(s, a));
    wrong.write(hello(b.token));
    await closed(wrong);
    const garbage = await dial(hostPath(s, a));
    garbage.write(`${'x'.repeat(300)}`);
    await closed(garbage);
    const right = await dial(hostPath(s, a));
    right.write(hello(a.token));
    expect(await a.accepted).not.toBeNull();
    right.destroy();
    // b's launcher never says hello: its socket goes after the hello timeout.
    const silent = await dial(hostPath(s, b));
    expect(await b.accepted).toBeNull();
    await closed(silent);
    expect(readdirSync(s.dir)).toEqual([]);
  });

  it('close cancels waiting sockets and removes its own directory; a directory too long is refused', async () => {
    const s = await CallSocketServer.open();
    expect(basename(s.dir)).toMatch(new RegExp(`^berth-call-${process.pid}-`));
    const e = await s.expect();
    await s.close();
    await s.close();
    expect(await e.accepted).toBeNull();
    expect(existsSync(s.dir)).toBe(false);
    await expect(s.expect()).rejects.toThrow(/closed/);
    await expect(CallSocketServer.open({ dir: join(tempDir(), 'd'.repeat(100)) })).rejects.toThrow(
      /longer than 69 bytes/,
    );
  });

  it('a named volume is mounted instead of a host path', async () => {
    const s = await CallSocketServer.open({ dir: tempDir(), volume: 'berth-call' });
    closers.push(() => s.close());
    expect(s.mount).toEqual({ type: 'volume', source: 'berth-call' });
  });
});

describe('task container spec with a call socket', () => {
  const base = {
    imageId: 'sha256:a',
    stack: 'node-20',
    workerId: 'w',
    limits: { memoryBytes: 1 << 26, nanoCpus: 1e9, pidsLimit: 64 },
    network: false,
    taskTmpfsBytes: 1 << 20,
    tmpTmpfsBytes: 1 << 20,
    extraLabels: {},
    nowMs: 1,
  };
  it('mounts the directory read-only at /run/berth-call, and nothing without one', () => {
    const spec = taskContainerSpec({ ...base, callSocketMount: { type: 'bind', source: '/tmp/x' } });
    expect(spec.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/tmp/x', Target: '/run/berth-call', ReadOnly: true },
    ]);
    expect(spec.HostConfig?.NetworkMode).toBe('none');
    expect(taskContainerSpec(base).HostConfig?.Mounts).toBeUndefined();
  });
});

/** A function-mode launcher: connects to the call socket named in the function frame (when `dial`). */
function socketLauncher(dial: boolean): FakeLauncher {
  return (frame, c) => {
    if (frame.type === 'call') return c.frame(callResult(frame));
    if (frame.type !== 'function') return;
    const path = frame.callSocket;
    if (!dial || typeof path !== 'string') return c.frame({ type: 'loaded', atMs: 1 });
    const mount = c.spec.HostConfig?.Mounts?.[0];
    const hostPath = join(String(mount?.Source), basename(path));
    const s = connect(hostPath, () => {
      s.write(`${hello(String(frame.callToken))}${JSON.stringify({ type: 'loaded', atMs: 1 })}\n`);
    });
    let buffered = '';
    s.on('data', (b: Buffer) => {
      buffered += b.toString();
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const call = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
        buffered = buffered.slice(nl + 1);
        socketCalls(c).push(call);
        s.write(`${JSON.stringify(callResult(call))}\n`);
      }
    });
    c.stdout.on('end', () => s.destroy());
  };
}

const onSocket = new WeakMap<FakeContainer, Record<string, unknown>[]>();
function socketCalls(c: FakeContainer): Record<string, unknown>[] {
  const list = onSocket.get(c) ?? [];
  onSocket.set(c, list);
  return list;
}

function callResult(call: Record<string, unknown>): Record<string, unknown> {
  return {
    ...resultFrame(),
    taskId: call.taskId,
    status: 'ok',
    valueKind: 'bytes',
    valueB64: call.payloadB64,
    errorMessage: null,
    errorStack: null,
  };
}

function request(taskId: string): ExecutionRequest {
  return {
    taskId,
    attempt: 1,
    stack: 'node-20',
    imageId: 'sha256:aaa',
    command: [],
    env: {},
    payload: new Uint8Array(Buffer.from(`payload-${taskId}`)),
    codeTar: null,
    timeoutMs: 5000,
    memoryBytes: 64 * 1024 * 1024,
    nanoCpus: 1e9,
    pidsLimit: 64,
    network: false,
    stdoutCapBytes: 1024,
    stderrCapBytes: 1024,
    outputCapBytes: 1024,
  } as ExecutionRequest;
}

describe('FunctionExecutor on the call socket', () => {
  const hot = { packageKey: 'p@1#d', packageName: 'p', maxContainers: 1, handler: 'a.js:h' };
  const never = new AbortController().signal;
  const options = (dir: string) => ({
    ...executorOptions({ workerId: 'w1', readyTimeoutMs: 2000, extraLabels: { 'berth.test': '1' } }),
    idleMs: 60_000,
    pipelineDepth: 4,
    loadTimeoutMs: 1000,
    callSocket: { dir },
  });

  it('calls and results travel on the socket, not on the attach stream; close removes the socket', async () => {
    const dir = tempDir();
    const engine = new FakeEngine({ launcher: socketLauncher(true) });
    const ex = new FunctionExecutor(engine, options(dir), () => {});
    closers.push(() => ex.close());
    const outs = await Promise.all(['a', 'b', 'c'].map((id) => ex.execute(request(id), hot, never)));
    expect(outs.map((o) => Buffer.from(o.returnValue?.data ?? []).toString())).toEqual([
      'payload-a',
      'payload-b',
      'payload-c',
    ]);
    const [c] = [...engine.containers.values()];
    if (c === undefined) throw new Error('no container');
    expect(c.tasks.map((t) => t.type)).toEqual(['function']);
    expect(c.tasks[0]?.callSocket).toMatch(/^\/run\/berth-call\/[0-9a-f]{32}\.sock$/);
    // The container's socket went once its launcher connected.
    expect(readdirSync(dir)).toEqual([]);
    expect(
      socketCalls(c)
        .map((t) => t.taskId)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    await ex.close();
    expect(engine.live()).toEqual([]);
  });

  it('a launcher that does not connect is served on the attach stream, and its socket goes', async () => {
    const dir = tempDir();
    const engine = new FakeEngine({ launcher: socketLauncher(false) });
    const ex = new FunctionExecutor(engine, options(dir), () => {});
    closers.push(() => ex.close());
    const out = await ex.execute(request('a'), hot, never);
    expect(Buffer.from(out.returnValue?.data ?? []).toString()).toBe('payload-a');
    const [c] = [...engine.containers.values()];
    expect(c?.tasks.map((t) => t.type)).toEqual(['function', 'call']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a call socket that cannot be created is logged and the attach stream serves', async () => {
    const logs: string[] = [];
    const engine = new FakeEngine({ launcher: socketLauncher(true) });
    const ex = new FunctionExecutor(engine, options(join(tempDir(), 'd'.repeat(100))), (l) => logs.push(l));
    closers.push(() => ex.close());
    const out = await ex.execute(request('a'), hot, never);
    expect(out.status).toBe('SUCCEEDED');
    expect(logs.join('\n')).toMatch(
      /function containers use the attach stream: call sockets cannot be created/,
    );
    const [c] = [...engine.containers.values()];
    expect(c?.spec.HostConfig?.Mounts).toBeUndefined();
    expect(c?.tasks.map((t) => t.type)).toEqual(['function', 'call']);
  });
});

describe('removeStaleDirs', () => {
  it("removes the directories of workers whose process is gone, keeps live workers' and others", async () => {
    const parent = tempDir();
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    for (const d of [`berth-call-${dead}-aaaa`, `berth-call-${process.pid}-bbbb`, 'berth-call-x', 'other'])
      mkdirSync(join(parent, d));
    writeFileSync(join(parent, `berth-call-${dead}-aaaa`, 'left.sock'), '');
    await removeStaleDirs(parent);
    expect(readdirSync(parent).sort()).toEqual([`berth-call-${process.pid}-bbbb`, 'berth-call-x', 'other']);
  });
});

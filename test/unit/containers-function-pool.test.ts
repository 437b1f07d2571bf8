import { describe, expect, it } from 'vitest';
import { outcomeOfCall } from '../../src/containers/function-executor.js';
import type { CallResultFrame } from '../../src/containers/function-frames.js';
import { FunctionPool } from '../../src/containers/function-pool.js';
import { type FunctionSession, HandlerLoadError } from '../../src/containers/function-session.js';

/** A stand-in session: the pool only reads `alive` and `inFlight`. */
class FakeSession {
  inFlight = 0;
  alive = true;
  constructor(readonly name: string) {}
}

function pool(opts: { max: number; depth: number; open?: () => Promise<FakeSession> }) {
  let n = 0;
  const discarded: string[] = [];
  const p = new FunctionPool({
    open: (opts.open ??
      (async () => new FakeSession(`s${++n}`))) as unknown as () => Promise<FunctionSession>,
    discard: (s) => discarded.push((s as unknown as FakeSession).name),
    maxContainers: opts.max,
    depth: opts.depth,
    idleMs: 60_000,
  });
  const take = async () => {
    const s = (await p.acquire(new AbortController().signal)) as unknown as FakeSession;
    s.inFlight++;
    return s;
  };
  return { p, take, discarded };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('FunctionPool', () => {
  it('fills a container up to the pipeline depth, grows while all are busy, never beyond the cap', async () => {
    const { p, take } = pool({ max: 2, depth: 2 });
    const a = await take();
    const b = await take(); // a has a call: a second container starts in the background
    await tick();
    expect(p.size).toBe(2);
    const seats = [a, b, await take(), await take()].map((s) => s.name);
    expect(seats.filter((x) => x === 's1')).toHaveLength(2);
    expect(seats.filter((x) => x === 's2')).toHaveLength(2);
    let fifth: FakeSession | null = null;
    const waiting = take().then((s) => {
      fifth = s;
    });
    await tick();
    expect(fifth).toBeNull(); // every seat taken: it waits
    a.inFlight--;
    p.release(a as unknown as FunctionSession);
    await waiting;
    expect(fifth).not.toBeNull();
    expect(p.size).toBe(2);
  });

  it('discards a dead container on release and starts another for the next call', async () => {
    const { p, take, discarded } = pool({ max: 1, depth: 4 });
    const a = await take();
    a.alive = false;
    a.inFlight--;
    p.release(a as unknown as FunctionSession);
    expect(discarded).toEqual(['s1']);
    expect((await take()).name).toBe('s2');
  });

  it('remembers a handler load error and answers with it without opening again', async () => {
    let opens = 0;
    const { p } = pool({
      max: 2,
      depth: 2,
      open: async () => {
        opens++;
        throw new HandlerLoadError('no function handle in h.js', 'stderr tail');
      },
    });
    const signal = new AbortController().signal;
    await expect(p.acquire(signal)).rejects.toThrow(/handler could not be loaded: no function handle/);
    await expect(p.acquire(signal)).rejects.toBeInstanceOf(HandlerLoadError);
    expect(opens).toBe(1);
  });

  it('resolves null when the waiting call is cancelled', async () => {
    const { p, take } = pool({ max: 1, depth: 1 });
    await take();
    const ctl = new AbortController();
    const waiting = p.acquire(ctl.signal);
    ctl.abort();
    expect(await waiting).toBeNull();
  });
});

function frame(over: Partial<CallResultFrame>): CallResultFrame {
  return {
    type: 'result',
    taskId: 't',
    status: 'ok',
    valueKind: null,
    valueB64: null,
    errorMessage: null,
    errorStack: null,
    exitCode: null,
    signal: null,
    stdoutB64: Buffer.from('out').toString('base64'),
    stdoutTruncated: false,
    stderrB64: '',
    stderrTruncated: false,
    startedAtMs: 10,
    finishedAtMs: 12,
    runUs: 1250,
    ...over,
  };
}

describe('outcomeOfCall', () => {
  it('maps every call status to a task outcome', () => {
    const ok = outcomeOfCall(
      frame({ valueKind: 'json', valueB64: Buffer.from('{"a":1}').toString('base64') }),
      1,
    );
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.returnValue?.kind).toBe('JSON');
    expect(Buffer.from(ok.returnValue?.data ?? []).toString()).toBe('{"a":1}');
    expect(Buffer.from(ok.stdout).toString()).toBe('out');
    expect(ok.runPreciseMs).toBe(1.25);
    expect(outcomeOfCall(frame({ runUs: null }), 1).runPreciseMs).toBeNull();
    expect(outcomeOfCall(frame({ valueKind: 'null' }), 1).returnValue).toBeNull();
    const err = outcomeOfCall(
      frame({
        status: 'error',
        errorMessage: 'Error: boom',
        errorStack: 'at h.js:3',
        stderrB64: Buffer.from('log').toString('base64'),
      }),
      1,
    );
    expect(err).toMatchObject({ status: 'FAILED', reason: 'Error: boom' });
    expect(Buffer.from(err.stderr).toString()).toBe('log\nat h.js:3');
    expect(outcomeOfCall(frame({ status: 'timeout' }), 1).status).toBe('TIMED_OUT');
    expect(outcomeOfCall(frame({ status: 'oom' }), 64).reason).toMatch(/out of memory \(limit 64 bytes\)/);
    expect(outcomeOfCall(frame({ status: 'oom' }), 64).status).toBe('KILLED');
    expect(outcomeOfCall(frame({ status: 'crash', exitCode: 3 }), 1).reason).toMatch(
      /crashed during the call: exit code 3/,
    );
    expect(outcomeOfCall(frame({ status: 'crash', signal: 'SIGSEGV' }), 1).reason).toMatch(
      /killed by SIGSEGV/,
    );
    expect(outcomeOfCall(frame({ status: 'cancelled', startedAtMs: null }), 1)).toMatchObject({
      status: 'CANCELLED',
      startedAtMs: null,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { cancelledReason } from '../../src/containers/cancel-reason.js';
import { parseFunctionFrame } from '../../src/containers/function-frames.js';
import {
  encodeTaskFrame,
  parseLauncherFrame,
  type ResultFrame,
} from '../../src/containers/launcher-frames.js';
import { LiveOutput } from '../../src/containers/live-output.js';
import { cancelledOutcome } from '../../src/containers/outcome-mapping.js';
import type { ExecutionRequest } from '../../src/domain/executor-port.js';
import type { LiveFeed } from '../../src/domain/live-feed.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function recorder(): LiveFeed & { events: string[] } {
  const events: string[] = [];
  return {
    intervalMs: 100,
    events,
    output: (stream, data) => events.push(`${stream}:${Buffer.from(data).toString()}`),
    progress: (pct, msg) => events.push(`progress:${pct}:${msg}`),
  };
}

describe('live frames', () => {
  it('parses task-mode and function-mode live frames', () => {
    expect(
      parseLauncherFrame(
        JSON.stringify({
          type: 'live',
          stdoutB64: b64('hi'),
          stderrB64: '',
          progress: { pct: 40, msg: 'half' },
        }),
      ),
    ).toEqual({
      type: 'live',
      taskId: null,
      stdoutB64: b64('hi'),
      stderrB64: '',
      progress: { pct: 40, msg: 'half' },
    });
    expect(parseLauncherFrame('{"type":"live","stdoutB64":"","stderrB64":"","progress":null}')).toMatchObject(
      {
        progress: null,
      },
    );
    expect(
      parseFunctionFrame('{"type":"live","taskId":"t1","progress":{"pct":null,"msg":"m"}}'),
    ).toMatchObject({
      type: 'live',
      taskId: 't1',
      progress: { pct: null, msg: 'm' },
    });
  });

  it('refuses malformed live frames', () => {
    expect(() => parseLauncherFrame('{"type":"live","progress":{"pct":"x"}}')).toThrow(/progress.pct/);
    expect(() => parseLauncherFrame('{"type":"live","progress":3}')).toThrow(/progress/);
    expect(() => parseLauncherFrame('{"type":"live","stdoutB64":5}')).toThrow(/stdoutB64/);
    expect(() => parseFunctionFrame('{"type":"live","progress":null}')).toThrow(/taskId/);
  });

  it('asks for live frames only when the request has a feed', () => {
    const base = {
      taskId: 't',
      attempt: 1,
      command: ['true'],
      env: {},
      payload: new Uint8Array(0),
      codeTar: null,
      timeoutMs: 1000,
      stdoutCapBytes: 10,
      stderrCapBytes: 10,
      outputCapBytes: 10,
    } as unknown as ExecutionRequest;
    expect(JSON.parse(encodeTaskFrame(base)).liveIntervalMs).toBeUndefined();
    expect(JSON.parse(encodeTaskFrame({ ...base, live: recorder() })).liveIntervalMs).toBe(100);
  });

  it('LiveOutput forwards frames in order, keeps output up to the caps and survives a throwing feed', () => {
    const feed = recorder();
    const live = new LiveOutput(feed, 4, 2);
    live.add({ type: 'live', taskId: null, stdoutB64: b64('abc'), stderrB64: b64('e'), progress: null });
    live.add({
      type: 'live',
      taskId: null,
      stdoutB64: b64('defg'),
      stderrB64: b64('rr'),
      progress: { pct: 5, msg: 'x' },
    });
    expect(feed.events).toEqual(['stdout:abc', 'stderr:e', 'stdout:defg', 'stderr:rr', 'progress:5:x']);
    const kept = live.snapshot();
    expect(Buffer.from(kept.stdout).toString()).toBe('abcd');
    expect(Buffer.from(kept.stderr).toString()).toBe('er');
    const throwing = new LiveOutput(
      {
        intervalMs: 1,
        output: () => {
          throw new Error('boom');
        },
        progress: () => {},
      },
      10,
      10,
    );
    expect(() =>
      throwing.add({ type: 'live', taskId: null, stdoutB64: b64('a'), stderrB64: '', progress: null }),
    ).not.toThrow();
    expect(Buffer.from(throwing.snapshot().stdout).toString()).toBe('a');
  });
});

describe('cancelled outcomes', () => {
  it('says why: the abort reason, else plain cancelled', () => {
    const ac = new AbortController();
    ac.abort(new Error('operator said so'));
    expect(cancelledReason(ac.signal)).toBe('cancelled: operator said so');
    const plain = new AbortController();
    plain.abort();
    expect(cancelledReason(plain.signal)).toBe('cancelled');
  });

  const frame = (over: Partial<ResultFrame>): ResultFrame => ({
    type: 'result',
    exitCode: null,
    signal: 'SIGKILL',
    timedOut: false,
    cancelled: true,
    oomKilled: false,
    spawnError: null,
    stdoutB64: b64('so far\n'),
    stderrB64: b64('warn\n'),
    stdoutTruncated: false,
    stderrTruncated: false,
    stdoutBytes: 7,
    stderrBytes: 5,
    outputs: [],
    outputsTruncated: false,
    startedAtMs: 1,
    finishedAtMs: 2,
    ...over,
  });
  const none = { stdout: new Uint8Array(0), stderr: new Uint8Array(0) };

  it("keeps the launcher's output when it answered the cancel", () => {
    const o = cancelledOutcome(frame({}), none, 'cancelled: x', 1 << 20, 1);
    expect(o).toMatchObject({ status: 'CANCELLED', reason: 'cancelled: x', exitCode: null });
    expect(Buffer.from(o.stdout).toString()).toBe('so far\n');
    expect(Buffer.from(o.stderr).toString()).toBe('warn\n');
  });

  it('keeps the real outcome of a task that ended by itself meanwhile', () => {
    const o = cancelledOutcome(
      frame({ cancelled: false, signal: null, exitCode: 0 }),
      none,
      'cancelled: x',
      1,
      1,
    );
    expect(o.status).toBe('SUCCEEDED');
  });

  it('falls back to the live output when the launcher did not answer', () => {
    const live = { stdout: Buffer.from('streamed'), stderr: new Uint8Array(0) };
    const o = cancelledOutcome(null, live, 'cancelled: y', 1, 5);
    expect(o).toMatchObject({ status: 'CANCELLED', reason: 'cancelled: y', startedAtMs: 5 });
    expect(Buffer.from(o.stdout).toString()).toBe('streamed');
  });
});

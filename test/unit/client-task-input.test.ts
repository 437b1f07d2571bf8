import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../../src/client/async-queue.js';
import { parseCodeRef, toTaskEvent } from '../../src/client/task-input.js';

describe('toTaskEvent', () => {
  it('fills defaults: uuid id, attempt 1, priority 1, nulls, created now', () => {
    const e = toTaskEvent({ code: 'thumbs' }, 1234);
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(e).toMatchObject({
      code: { name: 'thumbs', revision: null },
      inline: null,
      priority: 1,
      attempt: 1,
      timeoutMs: null,
      maxAttempts: null,
      memoryBytes: null,
      network: null,
      labels: {},
      createdAtMs: 1234,
    });
    expect(e.payload.byteLength).toBe(0);
    expect(toTaskEvent({ code: 'x' }).id).not.toBe(e.id);
  });

  it('priority by lane name or number: high 2, normal 1, low 0', () => {
    expect(
      (['high', 'normal', 'low'] as const).map((priority) => toTaskEvent({ code: 'x', priority }).priority),
    ).toEqual([2, 1, 0]);
    expect(toTaskEvent({ code: 'x', priority: 0 }).priority).toBe(0);
    expect(() => toTaskEvent({ code: 'x', priority: 'urgent' as 'high' })).toThrow(
      /priority "urgent" is not 0, 1 or 2/,
    );
  });

  it('payload: bytes as is, strings as UTF-8, other values as JSON', () => {
    const bytes = new Uint8Array([0, 255]);
    expect(toTaskEvent({ code: 'x', payload: bytes }).payload).toBe(bytes);
    expect(Buffer.from(toTaskEvent({ code: 'x', payload: 'é' }).payload).toString()).toBe('é');
    expect(Buffer.from(toTaskEvent({ code: 'x', payload: { a: [1] } }).payload).toString()).toBe('{"a":[1]}');
  });

  it('delayMs and runAt set runAtMs; neither leaves it null; both, or bad values, are refused', () => {
    expect(toTaskEvent({ code: 'x', delayMs: 600_000 }, 1000).runAtMs).toBe(601_000);
    expect(toTaskEvent({ code: 'x', runAt: new Date(Date.UTC(2026, 11, 1, 9)) }, 1000).runAtMs).toBe(
      Date.UTC(2026, 11, 1, 9),
    );
    expect(toTaskEvent({ code: 'x', runAt: 5000 }, 1000).runAtMs).toBe(5000);
    expect('runAtMs' in toTaskEvent({ code: 'x' }, 1000)).toBe(false);
    expect(() => toTaskEvent({ code: 'x', delayMs: 5, runAt: 9 })).toThrow(/both delayMs and runAt/);
    expect(() => toTaskEvent({ code: 'x', delayMs: -1 })).toThrow(/delayMs -1/);
    expect(() => toTaskEvent({ code: 'x', delayMs: 1.5 })).toThrow(/delayMs 1.5/);
    expect(() => toTaskEvent({ code: 'x', runAt: new Date('nope') })).toThrow(/runAt is an invalid Date/);
    expect(() => toTaskEvent({ code: 'x', runAt: '2026-12-01' as unknown as number })).toThrow(
      /runAt "2026-12-01"/,
    );
  });

  it('code references: name@rev and objects', () => {
    expect(parseCodeRef('a@12')).toEqual({ name: 'a', revision: 12 });
    expect(parseCodeRef('a')).toEqual({ name: 'a', revision: null });
    expect(() => parseCodeRef('a@x')).toThrow(/revision must be a positive integer/);
    expect(toTaskEvent({ code: { name: 'b', revision: 2 } }).code).toEqual({ name: 'b', revision: 2 });
  });

  it('rejects tasks that break the rules with TypeError', () => {
    expect(() => toTaskEvent({})).toThrow(/neither code nor inline/);
    expect(() => toTaskEvent({ code: 'a', inline: { stack: 's', command: ['x'] } })).toThrow(
      /both code and inline/,
    );
    expect(() => toTaskEvent({ code: 'a', timeoutMs: 60 * 60 * 1000 + 1 })).toThrow(TypeError);
    expect(() => toTaskEvent({ inline: { stack: 's', command: [] } })).toThrow(/inline.command is empty/);
    expect(() => toTaskEvent({ code: 'a', maxAttempts: 0 })).toThrow(/maxAttempts 0/);
  });
});

describe('AsyncQueue', () => {
  it('delivers pushed items in order to waiting and later pulls, then ends', async () => {
    const q = new AsyncQueue<number>();
    const pending = q.next();
    q.push(1);
    q.push(2);
    expect(await pending).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
    q.end();
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('fail rejects pending pulls; return runs the close hook once iteration stops', async () => {
    let closed = 0;
    const q = new AsyncQueue<number>(async () => {
      closed++;
    });
    const pending = q.next();
    q.fail(new Error('broker gone'));
    await expect(pending).rejects.toThrow('broker gone');
    const r = new AsyncQueue<number>(async () => {
      closed++;
    });
    r.push(7);
    for await (const v of r) {
      expect(v).toBe(7);
      break;
    }
    expect(closed).toBe(1);
  });
});

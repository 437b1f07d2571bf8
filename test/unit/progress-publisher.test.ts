import { describe, expect, it, vi } from 'vitest';
import { createTaskProgressCodec } from '../../src/codecs/task-progress-codec.js';
import type { TaskProgress } from '../../src/domain/task-progress.js';
import { ProgressCoalescer } from '../../src/progress/progress-coalescer.js';
import { ProgressPublisher } from '../../src/progress/progress-publisher.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('ProgressCoalescer', () => {
  it('gives at most one chunk per interval, joining output and keeping the newest progress', () => {
    const c = new ProgressCoalescer({ minIntervalMs: 250, maxBytes: 1024 });
    c.addOutput('stdout', bytes('a'));
    c.setProgress(10, 'ten');
    const first = c.take(0);
    expect(first).toMatchObject({ percent: 10, message: 'ten', droppedBytes: 0 });
    expect(text(first?.stdout ?? bytes('?'))).toBe('a');
    for (let i = 0; i < 50; i++) c.addOutput(i % 2 ? 'stderr' : 'stdout', bytes(String(i % 10)));
    c.setProgress(20, 'twenty');
    c.setProgress(30, 'thirty');
    expect(c.take(100)).toBeNull();
    expect(c.waitMs(100)).toBe(150);
    const second = c.take(250);
    expect(second?.percent).toBe(30);
    expect(second?.message).toBe('thirty');
    expect(second?.stdout.byteLength).toBe(25);
    expect(second?.stderr.byteLength).toBe(25);
    expect(c.take(600)).toBeNull(); // nothing pending
  });

  it('never publishes more than maxBytes per attempt and reports the dropped bytes', () => {
    const c = new ProgressCoalescer({ minIntervalMs: 100, maxBytes: 10 });
    c.addOutput('stdout', bytes('123456'));
    const a = c.take(0);
    c.addOutput('stderr', bytes('abcdefgh'));
    const b = c.take(100);
    c.addOutput('stdout', bytes('zz'));
    const d = c.take(200);
    expect(text(a?.stdout ?? bytes(''))).toBe('123456');
    expect(text(b?.stderr ?? bytes(''))).toBe('abcd');
    expect(b?.droppedBytes).toBe(4);
    expect(d?.stdout.byteLength).toBe(0);
    expect(d?.droppedBytes).toBe(6); // a new drop count is worth a chunk
    expect(c.take(300)).toBeNull();
  });

  it('force takes what is pending at once (the attempt ended)', () => {
    const c = new ProgressCoalescer({ minIntervalMs: 10_000, maxBytes: 100 });
    c.addOutput('stdout', bytes('x'));
    expect(c.take(0)).not.toBeNull();
    c.addOutput('stdout', bytes('y'));
    expect(c.take(1)).toBeNull();
    expect(text(c.take(1, true)?.stdout ?? bytes(''))).toBe('y');
  });
});

describe('ProgressPublisher', () => {
  const codec = createTaskProgressCodec();

  function setup(opts: {
    intervalMs?: number;
    maxBytes?: number;
    maxInFlight?: number;
    send?: () => Promise<void>;
  }) {
    const sent: TaskProgress[] = [];
    let now = 1_000;
    const publisher = new ProgressPublisher({
      workerId: 'w1',
      intervalMs: opts.intervalMs ?? 250,
      maxBytesPerTask: opts.maxBytes ?? 1024,
      maxInFlight: opts.maxInFlight,
      now: () => now,
      encode: (p) => codec.encode(p),
      send: {
        send: async (r) => {
          const p = codec.decode(r.value);
          expect(r.key).toBe(p.taskId);
          sent.push(p);
          await (opts.send?.() ?? Promise.resolve());
        },
      },
    });
    return { publisher, sent, advance: (ms: number) => (now += ms) };
  }

  it('rate-limits per attempt with a timer and publishes the rest on close, numbering records', async () => {
    vi.useFakeTimers();
    try {
      const { publisher, sent, advance } = setup({ intervalMs: 250 });
      const feed = publisher.open('t1', 2);
      expect(feed.intervalMs).toBe(250);
      feed.output('stdout', bytes('one\n')); // first chunk goes at once
      feed.output('stdout', bytes('two\n'));
      feed.progress(140, 'over'); // clamped
      await vi.advanceTimersByTimeAsync(0);
      expect(sent).toHaveLength(1);
      advance(250);
      await vi.advanceTimersByTimeAsync(250);
      expect(sent).toHaveLength(2);
      expect(text(sent[1]?.stdout ?? bytes(''))).toBe('two\n');
      expect(sent[1]?.percent).toBe(100);
      feed.output('stderr', bytes('tail'));
      feed.close();
      feed.output('stdout', bytes('after close'));
      await vi.advanceTimersByTimeAsync(1000);
      expect(sent.map((p) => [p.taskId, p.attempt, p.workerId, p.seq])).toEqual([
        ['t1', 2, 'w1', 0],
        ['t1', 2, 'w1', 1],
        ['t1', 2, 'w1', 2],
      ]);
      expect(text(sent[2]?.stderr ?? bytes(''))).toBe('tail');
    } finally {
      vi.useRealTimers();
    }
  });

  it('never waits for the broker: a hanging or failing send neither blocks nor throws, excess is dropped', async () => {
    const errors: unknown[] = [];
    let release = () => {};
    const hang = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { publisher, sent } = setup({ intervalMs: 1, maxInFlight: 2, send: () => hang });
    const started = Date.now();
    for (let i = 0; i < 5; i++) publisher.open(`t${i}`, 1).close();
    const failing = new ProgressPublisher({
      workerId: 'w',
      intervalMs: 1,
      maxBytesPerTask: 10,
      encode: (p) => codec.encode(p),
      send: { send: () => Promise.reject(new Error('broker gone')) },
      onError: (err) => errors.push(err),
    });
    const f = failing.open('x', 1);
    f.progress(1, 'a');
    f.close();
    expect(Date.now() - started).toBeLessThan(100);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Five closes with nothing pending publish nothing; the failing one was counted.
    expect(sent).toHaveLength(0);
    expect(failing.dropped).toBe(1);
    expect((errors[0] as Error).message).toBe('broker gone');
    // Now fill the in-flight window: the third record is dropped.
    for (let i = 0; i < 3; i++) {
      const feed = publisher.open(`h${i}`, 1);
      feed.progress(i, 'x');
      feed.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sent).toHaveLength(2);
    expect(publisher.dropped).toBe(1);
    release();
    await publisher.drain(1000);
    expect(publisher.sent).toBe(2);
  });
});

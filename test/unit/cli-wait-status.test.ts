import { describe, expect, it } from 'vitest';
import { WaitStatus } from '../../src/cli/wait-status.js';

function recorder() {
  const out: string[] = [];
  return { out, write: (t: string) => out.push(t) };
}

describe('WaitStatus', () => {
  it('on a terminal redraws one line with the time waited and the last report, and clears it at the end', () => {
    const r = recorder();
    let now = 1_000;
    const s = new WaitStatus({ prefix: 'berth run', id: 't1', tty: true, write: r.write, now: () => now });
    s.start();
    now += 12_000;
    s.progress({ percent: 40, message: 'copying' });
    expect(r.out.at(-1)).toBe('\r\x1b[2Kberth run: waiting for task t1 (12 s) · progress 40% copying');
    s.note('cancel requested');
    expect(r.out.slice(-3)).toEqual([
      '\r\x1b[2K',
      'berth run: cancel requested\n',
      '\r\x1b[2Kberth run: waiting for task t1 (12 s) · progress 40% copying',
    ]);
    s.stop();
    s.stop();
    expect(r.out.at(-1)).toBe('\r\x1b[2K');
    expect(r.out.filter((t) => t === '\r\x1b[2K')).toHaveLength(2);
  });

  it('elsewhere prints a plain line per change of reported progress and nothing on a timer', () => {
    const r = recorder();
    const s = new WaitStatus({ prefix: 'berth run', id: 't1', tty: false, write: r.write });
    s.start();
    s.progress({ percent: null, message: null });
    s.progress({ percent: 10, message: 'a' });
    s.progress({ percent: 10, message: 'a' });
    s.progress({ percent: 50, message: 'b' });
    s.note('done');
    s.stop();
    expect(r.out).toEqual([
      'berth run: task t1 progress 10% a\n',
      'berth run: task t1 progress 50% b\n',
      'berth run: done\n',
    ]);
  });
});

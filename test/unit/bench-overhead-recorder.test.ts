import { describe, expect, it } from 'vitest';
import {
  OverheadRecorder,
  overheadFigures,
  phaseFigures,
  type SpanStretch,
  StretchSpan,
} from '../../src/bench/overhead-recorder.js';
import type { TaskSpan } from '../../src/domain/telemetry-port.js';

const seconds = (overhead: number) => ({ queueWait: 0, startLatency: 0, run: 0, overhead });
const attrs = { taskId: 't', topic: 'x', partition: 0, offset: '0' };

describe('OverheadRecorder', () => {
  it('keeps the overhead of SUCCEEDED tasks only; take hands them over and forgets them', () => {
    const r = new OverheadRecorder();
    r.taskFinished('node-20', 'SUCCEEDED', seconds(0.001));
    r.taskFinished('node-20', 'FAILED', seconds(5));
    r.taskFinished('node-20', 'SUCCEEDED', seconds(0.003));
    expect(r.recorded).toBe(2);
    expect(r.take()).toEqual([0.001, 0.003]);
    expect(r.take()).toEqual([]);
  });

  it('passes everything on to the inner telemetry', () => {
    const calls: string[] = [];
    const span: TaskSpan = {
      phase: () => calls.push('phase'),
      setAttributes() {},
      end: () => calls.push('end'),
    };
    const r = new OverheadRecorder({
      startTask: () => span,
      taskFinished: (_s, status) => calls.push(`finished ${status}`),
      taskRetried: () => calls.push('retried'),
      deadLettered: () => calls.push('dlq'),
      containersReaped: () => calls.push('reaped'),
      infraError: () => calls.push('infra'),
      sample: () => calls.push('sample'),
    });
    const s = r.startTask({}, attrs);
    s.phase('run');
    s.end('SUCCEEDED');
    r.taskFinished('x', 'FAILED', seconds(1));
    r.taskRetried('x');
    r.deadLettered('why');
    r.containersReaped(1);
    r.infraError('kafka');
    expect(calls).toEqual(['phase', 'end', 'finished FAILED', 'retried', 'dlq', 'reaped', 'infra']);
  });

  it('collects span stretches of SUCCEEDED tasks', () => {
    const r = new OverheadRecorder();
    const s = r.startTask({}, attrs);
    s.phase('start');
    s.end('SUCCEEDED');
    const failed = r.startTask({}, attrs);
    failed.end('FAILED');
    const stretches = r.takeStretches();
    expect([...stretches.keys()]).toEqual(['plan', 'start']);
    expect(stretches.get('plan')).toHaveLength(1);
    expect(r.takeStretches().size).toBe(0);
  });
});

describe('StretchSpan', () => {
  const inner: TaskSpan = { phase() {}, setAttributes() {}, end() {} };

  it('measures each stretch, clamps a boundary given before the open one began, ignores a repeat', () => {
    let now = 100;
    let got: readonly [SpanStretch, number][] = [];
    const s = new StretchSpan(
      inner,
      (d) => (got = d),
      () => now,
    );
    now = 102;
    s.phase('wait_slot');
    now = 103;
    s.phase('start');
    s.phase('run', 90); // reported after the fact, earlier than `start` began: clamped
    now = 110;
    s.phase('publish');
    s.phase('publish');
    now = 111.5;
    s.end('SUCCEEDED');
    expect(got).toEqual([
      ['plan', 2],
      ['wait_slot', 1],
      ['start', 0],
      ['run', 7],
      ['publish', 1.5],
    ]);
  });

  it('hands nothing over for other endings', () => {
    let called = false;
    const s = new StretchSpan(
      inner,
      () => (called = true),
      () => 0,
    );
    s.end('RETRY');
    expect(called).toBe(false);
  });
});

describe('figures', () => {
  it('overheadFigures turns seconds into ms percentiles', () => {
    const f = overheadFigures([0.001, 0.002, 0.003, 0.1]);
    expect(f.count).toBe(4);
    expect(f.p50Ms).toBeCloseTo(2);
    expect(f.p99Ms).toBeCloseTo(100);
    expect(f.maxMs).toBeCloseTo(100);
    expect(Number.isNaN(overheadFigures([]).p50Ms)).toBe(true);
  });

  it('phaseFigures gives p50/p99 per stretch present', () => {
    const f = phaseFigures(
      new Map<SpanStretch, number[]>([
        ['run', [1, 2, 3]],
        ['plan', []],
      ]),
    );
    expect(f).toEqual({ run: { p50Ms: 2, p99Ms: 3 } });
  });
});

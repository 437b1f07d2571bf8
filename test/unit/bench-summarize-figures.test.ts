import { describe, expect, it } from 'vitest';
import { targetText } from '../../src/bench/bench-summary.js';
import type { PackageThroughputFigures } from '../../src/bench/package-throughput.js';
import { emptyFigures, phasesText, summarizeFigures } from '../../src/bench/summarize-figures.js';

function pkgRun(
  kind: 'node-function' | 'python-function' | 'hot-shell',
  rate: number,
): PackageThroughputFigures {
  const tally = {
    expected: 100,
    answered: 100,
    succeeded: 100,
    correct: 100,
    duplicates: 0,
    unknown: 0,
    statuses: { SUCCEEDED: 100 },
    problems: [],
    firstArrivalMs: 1,
    lastArrivalMs: 2,
    legs: null,
  };
  return {
    pkg: { kind, name: `bench-${kind}`, description: kind },
    worker: { slots: 2, prefetch: 256, functionPipelineDepth: 8 },
    maxConcurrency: 2,
    tasks: 100,
    warmup: 10,
    seconds: 100 / rate,
    tasksPerSecond: rate,
    produceSeconds: 0.1,
    timedMode: 'backlog',
    tally,
    verdict: null,
    overhead: { count: 100, p50Ms: 50, p99Ms: 90, maxMs: 95 },
    phases: { plan: { p50Ms: 0.5, p99Ms: 2 } },
    workerMode: 'in-process',
    workerCpuMsPerTask: null,
    cpuByRole: [{ role: 'worker', microsPerTask: 200 }],
    paced: {
      latency: {
        offeredPerSecond: 200,
        producedPerSecond: 200,
        produced: 100,
        answered: 100,
        missing: 0,
        p50Ms: 4,
        p99Ms: 9,
        maxMs: 10,
        produceErrors: 0,
      },
      overhead: { count: 100, p50Ms: 1.5, p99Ms: 3, maxMs: 4 },
      settling: { seconds: 3, overhead: { count: 30, p50Ms: 2.5, p99Ms: 7, maxMs: 8 } },
      phases: { plan: { p50Ms: 0.1, p99Ms: 0.3 }, run: { p50Ms: 0.4, p99Ms: 1 } },
      tally,
      verdict: null,
    },
    undecodable: 0,
  };
}

describe('targetText', () => {
  it('says whether a value meets its target', () => {
    expect(targetText(0.2, '>=', 0.15)).toBe('target ≥ 0.15: met');
    expect(targetText(3, '<=', 2)).toBe('target ≤ 2: NOT met');
    expect(targetText(null, '>=', 1)).toBe('target ≥ 1: n/a');
    expect(targetText(1.5, '<=', 2, 'ms')).toBe('target ≤ 2 ms: met');
  });
});

describe('phasesText', () => {
  it('lists the stretches present in span order', () => {
    expect(phasesText({ run: { p50Ms: 1, p99Ms: 2 }, plan: { p50Ms: 0.5, p99Ms: 3 } })).toBe(
      'plan 0.50 · run 1.00',
    );
    expect(phasesText({}, 'p99Ms')).toBe('n/a');
  });
});

describe('summarizeFigures', () => {
  it('rows function mode against the bare loop, Fn c4 and each other, with targets', () => {
    const f = emptyFigures();
    f.loadStart = [1, 2, 3];
    f.loadEnd = [4, 5, 6];
    f.bare = {
      records: 1000,
      recordBytes: 120,
      recordsPerSecond: 10_000,
      batches: 10,
      seconds: 0.1,
      preProduceSeconds: 1,
    };
    const fnCase = { calls: 500, ok: 500, errors: 0, p95Ms: 1, p99Ms: 2 };
    f.fn = {
      kind: 'measured',
      c1: { ...fnCase, concurrency: 1, callsPerSecond: 1000, p50Ms: 0.9 },
      c4: { ...fnCase, concurrency: 4, callsPerSecond: 4000, p50Ms: 1 },
      coldP50Ms: null,
      dockerRunP50Ms: null,
      resultsDir: '/x',
      notes: [],
    };
    f.functionNode = pkgRun('node-function', 2000);
    f.functionPython = pkgRun('python-function', 800);
    f.hotProcess = pkgRun('hot-shell', 300);
    const text = summarizeFigures(f).lines().join('\n');
    const row = (start: string) => text.split('\n').find((l) => l.startsWith(`| ${start}`)) ?? '';
    expect(row('load average 1/5/15 min at start')).toContain('1.00 / 2.00 / 3.00');
    expect(row('load average 1/5/15 min at end')).toContain('4.00 / 5.00 / 6.00');
    expect(row('Berth function mode, Node, 100 tasks')).toContain('2000 tasks/s (100/100 correct)');
    expect(row('Berth function mode, Node, 100 tasks')).toContain('0.500x Fn hot c4');
    expect(row('Berth function Node ÷ bare KafkaJS loop')).toContain('0.200');
    expect(row('Berth function Node ÷ bare KafkaJS loop')).toContain('target ≥ 0.15: met');
    expect(row('Berth function mode, Python')).toContain('0.40x Node, target ≥ 0.5: NOT met');
    expect(row('function Node overhead at 200/s, steady')).toContain('1.50/3.00 ms');
    expect(row('function Node overhead at 200/s, steady')).toContain('p50 target ≤ 2 ms: met');
    const settling = row('function Node overhead at 200/s, first 3 s after the drain');
    expect(settling).toContain('2.50/7.00 ms (30 tasks)');
    expect(settling).not.toContain('target');
    expect(row('Berth HOT process mode')).toContain('300 tasks/s');
    expect(text).toContain('- function Node at 200/s, span stretches p50 ms: plan 0.10 · run 0.40');
  });

  it("rows a fresh worker's first seconds at the offered rate apart from the timed window", () => {
    const f = emptyFigures();
    const latency = (p50Ms: number, produced: number) => ({
      offeredPerSecond: 500,
      producedPerSecond: 500,
      produced,
      answered: produced,
      missing: 0,
      p50Ms,
      p99Ms: p50Ms * 4,
      maxMs: p50Ms * 5,
      produceErrors: 0,
    });
    f.offered = {
      ...latency(4, 5000),
      kind: 'function',
      codeName: 'bench-offered-node',
      statuses: { SUCCEEDED: 7501 },
      workerExit: 'exit 0',
      overhead: { count: 5000, p50Ms: 1.8, p99Ms: 9 },
      settling: {
        seconds: 5,
        latency: latency(40, 2500),
        overhead: { count: 2500, p50Ms: 12, p99Ms: 300 },
      },
    };
    const text = summarizeFigures(f).lines().join('\n');
    const row = (start: string) => text.split('\n').find((l) => l.startsWith(`| ${start}`)) ?? '';
    const first = row("fresh worker's first 5 s at 500/s");
    expect(first).toContain('40.0/160.0 ms (2500/2500)');
    expect(first).toContain('overhead p50/p99 12.00/300.00 ms');
    expect(first).not.toContain('target');
    expect(row('produced → result acked, function bench-offered-node at 500/s, after those')).toContain(
      '4.0/16.0 ms (5000/5000)',
    );
    expect(row('  overhead at 500/s')).toContain('p50 target ≤ 2 ms: met');
  });

  it('marks a run whose results did not check out', () => {
    const f = emptyFigures();
    const bad = pkgRun('node-function', 10);
    f.functionNode = { ...bad, verdict: '99/100 correct; 1 without a result' };
    const text = summarizeFigures(f).lines().join('\n');
    expect(text).toContain('CHECK FAILED');
    expect(text).toContain('- Berth function mode, Node: 99/100 correct; 1 without a result');
  });
});

import { describe, expect, it } from 'vitest';
import { parseMetricsBase, workerArgv } from '../../src/bench/worker-process.js';

describe('parseMetricsBase', () => {
  it('finds the metrics URL the worker logs', () => {
    expect(parseMetricsBase('berth worker: metrics on http://127.0.0.1:40123/metrics')).toBe(
      'http://127.0.0.1:40123',
    );
    expect(parseMetricsBase('berth worker: worker w running: 2 slots')).toBeNull();
  });
});

describe('workerArgv', () => {
  it('passes the extra flags last, so they win', () => {
    const argv = workerArgv({ topicPrefix: 'p', workerId: 'w', args: ['--prefetch', '256'] });
    expect(argv.slice(-2)).toEqual(['--prefetch', '256']);
    expect(argv).toContain('--metrics-port');
  });
});

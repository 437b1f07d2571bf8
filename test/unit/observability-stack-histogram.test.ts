import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { StackHistogram } from '../../src/observability/stack-histogram.js';

const BUCKETS = [0.001, 0.005, 0.025, 0.1, 1, 10];

async function exposition(feed: (observe: (stack: string, v: number) => void) => void) {
  const ours = new Registry();
  const theirs = new Registry();
  const h = new StackHistogram('berth_test_seconds', 'A test histogram.', BUCKETS, ours);
  const p = new Histogram({
    name: 'berth_test_seconds',
    help: 'A test histogram.',
    labelNames: ['stack'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  feed((stack, v) => {
    h.observe(stack, v);
    p.observe({ stack }, v);
  });
  return { ours: await ours.metrics(), theirs: await theirs.metrics(), h };
}

describe('StackHistogram', () => {
  it('exposes the same text as a prom-client Histogram fed the same values', async () => {
    const values = [0, 0.001, 0.0011, 0.004, 0.025, 0.3, 1, 9.99, 10, 10.5, 1234];
    const { ours, theirs } = await exposition((observe) => {
      for (const [i, v] of values.entries()) observe(i % 3 === 0 ? 'node-20' : 'python-3.11', v);
    });
    expect(ours).toBe(theirs);
    expect(ours).toContain('berth_test_seconds_bucket{le="0.001",stack="node-20"} 1');
    expect(ours).toContain('berth_test_seconds_bucket{le="+Inf",stack="python-3.11"} 7');
  });

  it('puts a value equal to a bound in that bound’s bucket and one above all bounds only in +Inf', async () => {
    const { ours } = await exposition((observe) => {
      observe('s', 0.1);
      observe('s', 11);
    });
    expect(ours).toContain('berth_test_seconds_bucket{le="0.025",stack="s"} 0');
    expect(ours).toContain('berth_test_seconds_bucket{le="0.1",stack="s"} 1');
    expect(ours).toContain('berth_test_seconds_bucket{le="10",stack="s"} 1');
    expect(ours).toContain('berth_test_seconds_bucket{le="+Inf",stack="s"} 2');
    expect(ours).toContain('berth_test_seconds_sum{stack="s"} 11.1');
    expect(ours).toContain('berth_test_seconds_count{stack="s"} 2');
  });

  it('reset forgets every series', async () => {
    const { h } = await exposition((observe) => observe('s', 1));
    h.reset();
    expect((await h.get()).values).toEqual([]);
  });
});

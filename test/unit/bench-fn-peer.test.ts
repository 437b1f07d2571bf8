import { describe, expect, it } from 'vitest';
import { fnPeerMissing, parseFnBenchJson, parseResultsDir, parseTableP50 } from '../../src/bench/fn-peer.js';

const TABLE = `# Fn v0.3.749 peer measurement 20261130T070502Z

| case | calls | conc | calls/s | p50 ms | p95 ms | max ms | errors | containers used |
|---|---|---|---|---|---|---|---|---|
| Fn hot, keep-alive client | 500 | 1 | 1243.5 | 0.40 | 2.10 | 29.59 | 0 | 1 |

| cold / reference | figures (ms) |
|---|---|
| Fn first call of a fresh fn (echo-hot) | 353.94 |
| Fn cold call (idle_timeout=1s, no container alive), x10 | p50=298.3 p95=724.4 min=177.1 max=724.4 n=10 (10 containers) |
| docker run --rm berth/stack-shell:current true, x10 | p50=345.8 p95=705.4 min=295.1 max=705.4 n=10 |
`;

describe('parseFnBenchJson', () => {
  it('reads the bench client line', () => {
    const line =
      '{"c":4,"elapsed_s":0.35,"errors":0,"first_ms":2.1,"gap_ms":0,"label":"hot_c4","max_ms":19.92,' +
      '"min_ms":0.5,"n":500,"ok":500,"p50_ms":1.57,"p95_ms":10.92,"p99_ms":16.15,"rps":1412.1}\n';
    expect(parseFnBenchJson(line)).toEqual({
      calls: 500,
      concurrency: 4,
      ok: 500,
      errors: 0,
      callsPerSecond: 1412.1,
      p50Ms: 1.57,
      p95Ms: 10.92,
      p99Ms: 16.15,
    });
  });

  it('rejects a line without the figures', () => {
    expect(() => parseFnBenchJson('{"n":500}')).toThrow(/'c' is not a number/);
  });
});

describe('parseTableP50', () => {
  it('reads the p50 of the cold and docker run rows', () => {
    expect(parseTableP50(TABLE, 'Fn cold call')).toBe(298.3);
    expect(parseTableP50(TABLE, 'docker run --rm')).toBe(345.8);
  });

  it('is null for a missing row or an empty p50 (no reference run)', () => {
    expect(parseTableP50(TABLE, 'nothing')).toBeNull();
    expect(parseTableP50('| docker run --rm x, x0 |  |', 'docker run --rm')).toBeNull();
  });
});

describe('parseResultsDir', () => {
  it('takes the last results line', () => {
    expect(parseResultsDir('…\nresults: /root/.cache/berth-peers/fn/results/X\n')).toBe(
      '/root/.cache/berth-peers/fn/results/X',
    );
    expect(parseResultsDir('no results here')).toBeNull();
  });
});

describe('fnPeerMissing', () => {
  it('says what is missing when the peer is not built', async () => {
    expect(await fnPeerMissing('/nonexistent-peer', '/nonexistent/measure.sh')).toMatch(/no measure script/);
    expect(await fnPeerMissing('/nonexistent-peer', '/bin/sh')).toMatch(
      /Fn peer not built .*fnserver missing/,
    );
  });
});

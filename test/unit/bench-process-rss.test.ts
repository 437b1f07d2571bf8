import { describe, expect, it } from 'vitest';
import { parseVmRssBytes, readRssBytes, summarizeRss } from '../../src/bench/process-rss.js';

const MIB = 1024 * 1024;

describe('parseVmRssBytes', () => {
  it('reads the VmRSS line in kB', () => {
    const status = 'Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 1 kB\n';
    expect(parseVmRssBytes(status)).toBe(12345 * 1024);
  });

  it('is null without a VmRSS line (e.g. a zombie)', () => {
    expect(parseVmRssBytes('Name:\tnode\nState:\tZ (zombie)\n')).toBeNull();
  });
});

describe('readRssBytes', () => {
  it('reads this process', async () => {
    const rss = await readRssBytes(process.pid);
    expect(rss).toBeGreaterThan(MIB);
  });

  it('is null for a process that does not exist', async () => {
    expect(await readRssBytes(2 ** 30)).toBeNull();
  });
});

describe('summarizeRss', () => {
  const samples = [
    { atMs: 0, bytes: 50 * MIB },
    { atMs: 1000, bytes: 100 * MIB },
    { atMs: 2000, bytes: 180 * MIB },
    { atMs: 3000, bytes: 120 * MIB },
    { atMs: 4000, bytes: 500 * MIB },
  ];

  it('takes start, max and end within the window', () => {
    expect(summarizeRss(samples, 1000, 3000)).toEqual({
      startMiB: 100,
      maxMiB: 180,
      endMiB: 120,
      growthMiB: 20,
      // a tenth of [1000, 3000] is 1200: the first sample from then on is 180 MiB
      growthAfterWarmupMiB: -60,
      samples: 3,
    });
  });

  it('is null when no sample falls in the window', () => {
    expect(summarizeRss(samples, 5000, 6000)).toBeNull();
  });
});

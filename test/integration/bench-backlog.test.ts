import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backlogRss } from '../../src/bench/backlog-rss.js';
import { benchPackage, writeBenchPackage } from '../../src/bench/bench-packages.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { berthCli } from '../support/berth-cli.js';

/**
 * The backlog bench drains what it claims to: a `function` backlog runs a pushed handler (every
 * result SUCCEEDED), a `rejected` one never reaches a container (every result REJECTED), and the
 * statuses it reports are read back from the results topic.
 */
const run = `bbl${Date.now().toString(36)}`;
const labels = { 'berth.test': '1', 'berth.test-run': run };
const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: run });

afterAll(() => {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=berth.test-run=${run}`])
    .toString()
    .split('\n')
    .filter((s) => s !== '');
  if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids]);
});

describe('backlog bench', () => {
  it('drains a function backlog through the pushed handler, every result SUCCEEDED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-test-backlog-'));
    try {
      await writeBenchPackage(dir, benchPackage('node-function', `${run}-echo`, 2));
      const r = await backlogRss({
        kafka,
        backlog: 300,
        kind: 'function',
        packageDir: dir,
        topicPrefix: `${run}-fn`,
        containerLabels: labels,
        workerArgs: ['--slots', '2', '--prefetch', '64', '--warm-pool-size', '0'],
        cli: berthCli,
        timeoutMs: 120_000,
      });
      expect(r.complete).toBe(true);
      expect(r.expectedStatus).toBe('SUCCEEDED');
      expect(r.statuses).toEqual({ SUCCEEDED: 300 });
      expect(r.rss?.samples).toBeGreaterThan(0);
      expect(r.workerExit).toBe('exit 0');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('drains a rejected backlog without a container, every result REJECTED', async () => {
    const r = await backlogRss({
      kafka,
      backlog: 300,
      kind: 'rejected',
      topicPrefix: `${run}-rej`,
      containerLabels: labels,
      cli: berthCli,
      timeoutMs: 120_000,
    });
    expect(r.complete).toBe(true);
    expect(r.statuses).toEqual({ REJECTED: 300 });
    expect(r.results).toBe(300);
  }, 240_000);

  it('refuses a function backlog without a package', async () => {
    await expect(
      backlogRss({ kafka, backlog: 1, kind: 'function', topicPrefix: `${run}-none`, cli: berthCli }),
    ).rejects.toThrow(/needs a package dir/);
  });
});

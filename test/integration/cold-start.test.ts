import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The README's quick start from an empty state: scripts/cold-start-check.sh runs `npm run demo`
 * and a one-file `npm test` in a clean copy of the checkout with new, empty BERTH_STATE_DIR and
 * BERTH_CACHE_DIR, a new topic prefix and a broker of its own (Kafka jars from Maven Central into
 * the empty cache). What it cannot cover on a machine that already runs Berth is listed in the
 * script's header. Takes several minutes (npm ci, Maven, the demo).
 */
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'cold-start-check.sh');

interface Run {
  readonly code: number | null;
  readonly output: string;
}

function runCheck(timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
    const child = spawn('sh', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (d: Buffer) => {
      output += d.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    // SIGTERM lets the script's trap stop its broker and remove its work dir.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('quick start from an empty state', () => {
  it('npm run demo and npm test succeed with new state and cache dirs and a new topic prefix', async () => {
    const run = await runCheck(1_500_000);
    const tail = run.output.split('\n').slice(-40).join('\n');
    expect(run.code, tail).toBe(0);
    expect(run.output).toMatch(/berth demo: all \d+ tasks produced the expected result/);
    expect(run.output).toContain('resolving org.apache.kafka:kafka_2.13');
    expect(run.output).toMatch(/cold-start: demo passed in \d+ s/);
    expect(run.output).toMatch(/cold-start: tests passed in \d+ s/);
    expect(run.output).toMatch(/^cold-start: OK$/m);
    // The broker it started is stopped again; the shared engine is left alone.
    expect(run.output).toContain('kafka: broker stopped');
    expect(run.output).toContain('docker: nothing of ours running');
  }, 1_600_000);
});

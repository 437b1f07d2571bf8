import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WORKER_NODE_FLAGS } from '../../src/worker/worker-node-flags.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('WORKER_NODE_FLAGS', () => {
  it('are the flags on the berth shebang, in scripts/berth.sh and the image entrypoint', () => {
    const shebang = read('src/cli/main.ts').split('\n')[0] ?? '';
    const script = read('scripts/berth.sh')
      .split('\n')
      .find((l) => l.startsWith('exec node'));
    const entrypoint = read('Dockerfile')
      .split('\n')
      .find((l) => l.startsWith('ENTRYPOINT'));
    expect(WORKER_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of WORKER_NODE_FLAGS) {
      expect(shebang.split(' ')).toContain(flag);
      expect(script?.split(' ')).toContain(flag);
      expect(entrypoint).toContain(`"${flag}"`);
    }
  });

  it('are accepted by this node (an unknown or malformed flag makes it refuse to start)', () => {
    const r = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, '-e', 'process.stdout.write("up")'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('up');
    const bad = spawnSync(process.execPath, ['--heap-growing-percnt=100', '-e', '1'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
  });
});

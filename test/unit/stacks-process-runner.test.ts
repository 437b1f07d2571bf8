import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/stacks/process-runner.js';

describe('runProcess', () => {
  it('returns the exit code, the full stdout and the tail of both streams', async () => {
    const res = await runProcess(
      'sh',
      ['-c', 'for i in 1 2 3 4 5; do echo out$i; done; echo err >&2; exit 4'],
      { tailLines: 3 },
    );
    expect(res.exitCode).toBe(4);
    expect(res.stdout).toBe('out1\nout2\nout3\nout4\nout5\n');
    expect(res.tail.split('\n')).toHaveLength(3);
    expect(res.tail).toContain('err');
    expect(res.tail).not.toContain('out1');
  });

  it('feeds string input on stdin', async () => {
    const res = await runProcess('cat', [], { input: 'hello\n' });
    expect(res).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
  });

  it('reports a program that cannot start as exit 127 with the reason in the tail', async () => {
    const res = await runProcess('berth-no-such-program-xyz', []);
    expect(res.exitCode).toBe(127);
    expect(res.tail).toContain('ENOENT');
  });
});

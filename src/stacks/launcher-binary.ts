import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BuildStepError } from './docker-cli.js';
import { runProcess } from './process-runner.js';

/**
 * Builds the static Go launcher from `<stacksRoot>/launcher` and copies it to `dest` (mode 0755).
 * Uses the local Go toolchain only (no download), CGO off, trimmed paths, stripped symbols.
 */
export async function buildLauncher(stacksRoot: string, dest: string): Promise<void> {
  const outDir = await mkdtemp(join(tmpdir(), 'berth-launcher-'));
  try {
    const out = join(outDir, 'berth-launcher');
    // Go's official installs live in /usr/local/go/bin, which a non-login shell may not have on PATH.
    const path = `${process.env.PATH ?? ''}:/usr/local/go/bin`;
    const env = { ...process.env, PATH: path, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
    const args = ['build', '-trimpath', '-ldflags=-s -w', '-o', out, '.'];
    const res = await runProcess('go', args, { cwd: join(stacksRoot, 'launcher'), env });
    if (res.exitCode !== 0)
      throw new BuildStepError(`go build of the launcher failed (exit ${res.exitCode})`, res.tail);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(out, dest);
    await chmod(dest, 0o755);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

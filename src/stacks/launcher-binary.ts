import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostDirs } from '../config/host-dirs.js';
import { BuildStepError } from './docker-cli.js';
import { runProcess } from './process-runner.js';

/** Where the Go toolchain keeps its build cache and GOPATH (module cache) for the launcher build. */
export type GoCacheDirs = Pick<HostDirs, 'goBuildCacheDir' | 'goPath'>;

/**
 * Builds the static Go launcher from `<stacksRoot>/launcher` and copies it to `dest` (mode 0755).
 * Uses the local Go toolchain only (no download), CGO off, trimmed paths, stripped symbols. Go's
 * build cache and GOPATH are the given directories (created here), so the build works with an
 * empty or unset HOME. A missing `go` is a BuildStepError saying what to install.
 */
export async function buildLauncher(stacksRoot: string, dest: string, caches: GoCacheDirs): Promise<void> {
  const outDir = await mkdtemp(join(tmpdir(), 'berth-launcher-'));
  try {
    const out = join(outDir, 'berth-launcher');
    await mkdir(caches.goBuildCacheDir, { recursive: true });
    // Go's official installs live in /usr/local/go/bin, which a non-login shell may not have on PATH.
    const path = `${process.env.PATH ?? ''}:/usr/local/go/bin`;
    const env = {
      ...process.env,
      PATH: path,
      GOTOOLCHAIN: 'local',
      CGO_ENABLED: '0',
      GOCACHE: caches.goBuildCacheDir,
      GOPATH: caches.goPath,
    };
    const args = ['build', '-trimpath', '-ldflags=-s -w', '-o', out, '.'];
    const res = await runProcess('go', args, { cwd: join(stacksRoot, 'launcher'), env });
    if (res.exitCode === 127)
      throw new BuildStepError(
        'go not found: the launcher needs Go >= 1.21 on PATH or in /usr/local/go',
        res.tail,
      );
    if (res.exitCode !== 0)
      throw new BuildStepError(`go build of the launcher failed (exit ${res.exitCode})`, res.tail);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(out, dest);
    await chmod(dest, 0o755);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

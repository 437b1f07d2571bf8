import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostDirs } from '../config/host-dirs.js';
import { ensureAptPackages } from '../infra/apt-package.js';
import { BuildStepError, dockerTag } from './docker-cli.js';
import type { ImageStore } from './image-store-port.js';
import { buildLauncher } from './launcher-binary.js';
import { runProcess } from './process-runner.js';
import { baseImageRef, CURRENT_TAG, LABEL } from './stack-labels.js';
import type { BaseDir } from './stacks-root.js';

/** What building (or skipping) one image produced. */
export interface ImageBuildOutcome {
  readonly name: string;
  readonly status: 'built' | 'cached' | 'failed';
  readonly imageId: string | null;
  readonly hash: string;
  readonly durationMs: number;
  /** For failures: one line saying what failed, plus the tail of the log. */
  readonly error?: string;
  readonly logTail?: string;
}

/**
 * The host directories a base build writes to: debootstrap's package cache (downloaded .debs,
 * speeds up rebuilds) and Go's caches for the launcher. Each is created when missing.
 */
export type BaseBuildDirs = Pick<HostDirs, 'debootstrapCacheDir' | 'goBuildCacheDir' | 'goPath'>;

/**
 * Builds a base image offline: `debootstrap --variant=minbase`, the base's customize.sh (user
 * berth 10001, /task, apt sources, slimming), the static launcher, then `docker import` with
 * labels (plus `extraLabels`), `USER 10001:10001` and the launcher as command. Needs root. Skips
 * the build when an image tagged with the same content hash exists; always moves `:current` to
 * the result. A failure is an outcome, never a throw.
 */
export async function buildBase(
  base: BaseDir,
  hash: string,
  store: ImageStore,
  log: (line: string) => void,
  dirs: BaseBuildDirs,
  extraLabels: Readonly<Record<string, string>> = {},
): Promise<ImageBuildOutcome> {
  const name = base.manifest.name;
  const started = Date.now();
  const tag = baseImageRef(name, hash.slice(0, 12));
  const existing = await store.inspect(tag);
  if (existing && existing.labels[LABEL.baseHash] === hash) {
    await dockerTag(existing.id, baseImageRef(name, CURRENT_TAG));
    return { name, status: 'cached', imageId: existing.id, hash, durationMs: Date.now() - started };
  }
  const work = await mkdtemp('/var/tmp/berth-base-');
  try {
    await makeRootfs(base, join(work, 'rootfs'), log, dirs);
    await importRootfs(join(work, 'rootfs'), tag, importChanges(name, hash, extraLabels));
    await dockerTag(tag, baseImageRef(name, CURRENT_TAG));
    const built = await store.inspect(tag);
    return { name, status: 'built', imageId: built?.id ?? null, hash, durationMs: Date.now() - started };
  } catch (err) {
    const tail = err instanceof BuildStepError ? err.logTail : '';
    return {
      name,
      status: 'failed',
      imageId: null,
      hash,
      durationMs: Date.now() - started,
      error: (err as Error).message,
      logTail: tail,
    };
  } finally {
    await removeWorkDir(work);
  }
}

async function makeRootfs(
  base: BaseDir,
  rootfs: string,
  log: (line: string) => void,
  dirs: BaseBuildDirs,
): Promise<void> {
  const m = base.manifest;
  const include = m.packages.length > 0 ? [`--include=${m.packages.join(',')}`] : [];
  await ensureAptPackages('debootstrap', ['debootstrap'], log);
  log(`${m.name}: debootstrap ${m.suite} from ${m.mirror} (package cache ${dirs.debootstrapCacheDir})`);
  // debootstrap refuses a --cache-dir that does not exist: a fresh machine has none.
  await mkdir(dirs.debootstrapCacheDir, { recursive: true });
  await step('debootstrap', 'debootstrap', [
    '--variant=minbase',
    `--cache-dir=${dirs.debootstrapCacheDir}`,
    ...include,
    m.suite,
    rootfs,
    m.mirror,
  ]);
  log(`${m.name}: customize.sh`);
  await step('customize.sh', 'sh', [
    join(base.dir, 'customize.sh'),
    rootfs,
    m.suite,
    m.mirror,
    m.securityMirror,
  ]);
  log(`${m.name}: launcher`);
  await buildLauncher(join(base.dir, '..'), join(rootfs, 'usr/local/bin/berth-launcher'), dirs);
}

async function step(what: string, cmd: string, args: readonly string[]): Promise<void> {
  const res = await runProcess(cmd, args, { tailLines: 20 });
  if (res.exitCode !== 0) throw new BuildStepError(`${what} failed (exit ${res.exitCode})`, res.tail);
}

function importChanges(name: string, hash: string, extraLabels: Readonly<Record<string, string>>): string[] {
  return [
    `LABEL ${LABEL.role}=base`,
    `LABEL ${LABEL.baseName}=${name}`,
    `LABEL ${LABEL.baseHash}=${hash}`,
    ...Object.entries(extraLabels).map(([k, v]) => `LABEL ${k}=${v}`),
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV LANG=C.UTF-8',
    'WORKDIR /task',
    'USER 10001:10001',
    'CMD ["/usr/local/bin/berth-launcher"]',
  ];
}

/** `tar -c ROOTFS | docker import` — the tree becomes a single-layer image. */
async function importRootfs(rootfs: string, tag: string, changes: readonly string[]): Promise<void> {
  const tar = spawn(
    'tar',
    [
      '--numeric-owner',
      '--exclude=./dev/*',
      '--exclude=./proc/*',
      '--exclude=./sys/*',
      '-C',
      rootfs,
      '-c',
      '.',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const tarDone = new Promise<number | null>((resolve) => tar.on('close', resolve));
  const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag];
  const res = await runProcess('docker', args, { input: tar.stdout });
  const tarCode = await tarDone;
  if (tarCode !== 0 || res.exitCode !== 0)
    throw new BuildStepError(`docker import failed (tar ${tarCode}, import ${res.exitCode})`, res.tail);
}

/** Removes the work dir unless something is still mounted below it (never delete through a mount). */
async function removeWorkDir(work: string): Promise<void> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  if (mounts.split('\n').some((l) => l.split(' ')[1]?.startsWith(work))) return;
  await rm(work, { recursive: true, force: true });
}

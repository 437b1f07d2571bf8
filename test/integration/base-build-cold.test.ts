import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHostDirs } from '../../src/config/host-dirs.js';
import { DockerImageStore } from '../../src/containers/image-store.js';
import { probeWithLauncher } from '../../src/stacks/launcher-probe.js';
import { type BuildReport, buildStacks } from '../../src/stacks/stack-builder.js';
import { baseImageRef } from '../../src/stacks/stack-labels.js';
import { defaultStacksRoot } from '../../src/stacks/stacks-root.js';

/**
 * A stack base built from nothing: debootstrap with a new, empty package cache, the launcher
 * compiled with new, empty Go caches, the state and cache dirs new and empty (none of them exist
 * before: the build must create them), then `docker import`. The base is a copy of base-bookworm
 * under a name of its own, so the shared `berth/base-*` images are never touched; its images are
 * removed afterwards.
 */
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const baseName = `base-coldtest-${suffix}`;
const labels = { 'berth.test': '1', 'berth.test.cold': suffix };
let work: string;
let report: BuildReport;
let dirs: ReturnType<typeof loadHostDirs>;
const logs: string[] = [];

beforeAll(async () => {
  work = await mkdtemp('/var/tmp/berth-base-cold-');
  const root = join(work, 'stacks');
  const real = defaultStacksRoot();
  for (const d of ['base-common', 'launcher']) await cp(join(real, d), join(root, d), { recursive: true });
  await cp(join(real, 'base-bookworm'), join(root, baseName), { recursive: true });
  const manifest = JSON.parse(await readFile(join(root, baseName, 'base.json'), 'utf8'));
  await writeFile(join(root, baseName, 'base.json'), JSON.stringify({ ...manifest, name: baseName }));
  // Not even the parents exist yet; GOCACHE/GOPATH of the caller must not be used either.
  dirs = loadHostDirs({
    BERTH_STATE_DIR: join(work, 'new', 'state'),
    BERTH_CACHE_DIR: join(work, 'new', 'cache'),
  });
  report = await buildStacks({
    root,
    names: [],
    store: new DockerImageStore(),
    dirs,
    log: (l) => logs.push(l),
    extraLabels: labels,
  });
}, 900_000);

afterAll(async () => {
  const ids = execFileSync('docker', ['images', '-q', '--filter', `label=berth.test.cold=${suffix}`])
    .toString()
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) execFileSync('docker', ['rmi', '-f', ...new Set(ids)], { stdio: 'ignore' });
  if (work) await rm(work, { recursive: true, force: true });
});

describe('stack base from an empty state (real debootstrap and engine)', () => {
  it('builds into new cache dirs under BERTH_CACHE_DIR, creating them', async () => {
    expect(dirs.debootstrapCacheDir).toBe(join(work, 'new', 'cache', 'debootstrap'));
    expect(dirs.goBuildCacheDir).toBe(join(work, 'new', 'cache', 'go-build'));
    const outcome = report.bases[0];
    expect(outcome, logs.join('\n')).toMatchObject({ name: baseName, status: 'built' });
    expect(report.ok).toBe(true);
    const debs = (await readdir(dirs.debootstrapCacheDir)).filter((f) => f.endsWith('.deb'));
    expect(debs.length).toBeGreaterThan(50);
    expect((await readdir(dirs.goBuildCacheDir)).length).toBeGreaterThan(0);
    expect(logs).toContainEqual(expect.stringContaining(`package cache ${dirs.debootstrapCacheDir}`));
  });

  it('the image runs its launcher as uid 10001 under the task limits, and is not a shared tag', async () => {
    const image = baseImageRef(baseName);
    const probe = await probeWithLauncher(image, ['sh', '-c', 'id -u; cat /etc/debian_version'], labels);
    expect(probe.error).toBeNull();
    expect(probe.ready).toBe(true);
    expect(probe.result?.exitCode).toBe(0);
    expect(probe.output).toMatch(/^10001\n12\.\d+/);
    const tags = execFileSync('docker', ['image', 'inspect', '-f', '{{json .RepoTags}}', image]).toString();
    expect(JSON.parse(tags)).toEqual(expect.arrayContaining([image]));
    expect(tags).not.toContain('berth/base-bookworm');
  });
});

import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import stacksCommand from '../../src/cli/commands/stacks.js';
import { loadHostDirs } from '../../src/config/host-dirs.js';
import { DockerImageStore } from '../../src/containers/image-store.js';
import { type BuildReport, buildStacks } from '../../src/stacks/stack-builder.js';
import { StackCatalog } from '../../src/stacks/stack-catalog.js';
import { verifyStack } from '../../src/stacks/stack-verifier.js';
import { defaultStacksRoot, readStacksTree } from '../../src/stacks/stacks-root.js';
import { removeTestImages } from '../support/test-images.js';

const TEST_LABELS = { 'berth.test': '1' };
const realRoot = defaultStacksRoot();
const store = new DockerImageStore();
const dirs = loadHostDirs();
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let tempRoot: string;
let fullBuild: BuildReport;
const logs: string[] = [];

async function writeStack(name: string, runLine: string, expect = '^v\\d'): Promise<void> {
  const dir = join(tempRoot, name);
  await mkdir(dir, { recursive: true });
  const manifest = { name, language: 'shell', version: '0', base: 'base-bookworm', run: ['bash', '{entry}'] };
  const smoke = { command: ['cat', '/opt/berth-test-marker'], expect };
  await writeFile(join(dir, 'stack.json'), JSON.stringify({ ...manifest, smoke }));
  const dockerfile = [
    'ARG BASE_IMAGE',
    'FROM $BASE_IMAGE',
    'USER root',
    `RUN ${runLine}`,
    'USER 10001:10001',
    '',
  ];
  await writeFile(join(dir, 'Dockerfile'), dockerfile.join('\n'));
}

function buildTemp(names: string[] = []): Promise<BuildReport> {
  return buildStacks({
    root: tempRoot,
    names,
    store,
    dirs,
    log: (l) => logs.push(l),
    extraLabels: TEST_LABELS,
  });
}

beforeAll(async () => {
  fullBuild = await buildStacks({ root: realRoot, names: [], store, dirs, log: (l) => logs.push(l) });
  tempRoot = await mkdtemp(join(tmpdir(), 'berth-stacks-it-'));
  for (const d of ['base-bookworm', 'base-common', 'launcher'])
    await cp(join(realRoot, d), join(tempRoot, d), { recursive: true });
}, 1_200_000);

afterAll(async () => {
  removeTestImages();
  await rm(tempRoot, { recursive: true, force: true });
});

describe('berth stacks (real engine)', () => {
  it('builds every base and stack of the repository', () => {
    const failed = [...fullBuild.bases, ...fullBuild.stacks].filter((o) => o.status === 'failed');
    expect(failed.map((f) => `${f.name}: ${f.error}`)).toEqual([]);
    expect(fullBuild.problems).toEqual([]);
    expect(fullBuild.stacks.length).toBeGreaterThanOrEqual(12);
    expect(fullBuild.ok).toBe(true);
  });

  it('verifies every stack reports exactly the version its name says, under the task limits', async () => {
    const tree = await readStacksTree(realRoot);
    for (const stack of tree.stacks) {
      const outcome = await verifyStack(stack, TEST_LABELS);
      expect(outcome, stack.manifest.name).toMatchObject({ ok: true });
      if (/^\D+-\d/.test(stack.manifest.name)) expect(outcome.detail).toContain(stack.manifest.version);
    }
  });

  it('a second build of an unchanged tree builds nothing', async () => {
    const again = await buildStacks({ root: realRoot, names: [], store, dirs, log: () => {} });
    expect([...again.bases, ...again.stacks].map((o) => o.status).every((s) => s === 'cached')).toBe(true);
    const ids = (outcomes: BuildReport['stacks']) => outcomes.map((o) => [o.name, o.imageId]);
    expect(ids(again.stacks)).toEqual(ids(fullBuild.stacks));
  });

  it('rebuilding a changed stack moves only its :current; other stacks keep their image ids', async () => {
    const name = `t-${suffix}`;
    await writeStack(name, 'echo v1 > /opt/berth-test-marker');
    const catalog = new StackCatalog(store, { cacheTtlMs: 0 });
    const first = await buildTemp([name]);
    expect(first.stacks[0]).toMatchObject({ name, status: 'built' });
    const before = await catalog.list();
    const pinned = await catalog.resolve(name);

    await writeStack(name, 'echo v2 > /opt/berth-test-marker', '^v2$');
    const second = await buildTemp([name]);
    expect(second.stacks[0]?.status).toBe('built');
    expect(second.stacks[0]?.imageId).not.toBe(pinned?.imageId);
    const after = await catalog.list();
    const others = (l: typeof before) => l.filter((s) => s.name !== name).map((s) => [s.name, s.imageId]);
    expect(others(after)).toEqual(others(before));
    expect(others(after).length).toBeGreaterThanOrEqual(12);
    expect((await catalog.resolve(name))?.imageId).toBe(second.stacks[0]?.imageId);
    expect(
      execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', pinned?.imageId ?? 'none'])
        .toString()
        .trim(),
    ).toBe(pinned?.imageId);

    const tree = await readStacksTree(tempRoot);
    const testStack = tree.stacks.find((s) => s.manifest.name === name);
    if (!testStack) throw new Error(`test stack ${name} not found in ${tempRoot}`);
    const verified = await verifyStack(testStack, TEST_LABELS);
    expect(verified).toMatchObject({ ok: true, detail: 'v2' });
  });

  it('a broken stack.json is one clear line and a failing Dockerfile does not stop the others', async () => {
    const broken = `broken-${suffix}`;
    const failing = `failing-${suffix}`;
    const fine = `fine-${suffix}`;
    await mkdir(join(tempRoot, broken));
    await writeFile(join(tempRoot, broken, 'stack.json'), '{"name": "oops",');
    await writeFile(join(tempRoot, broken, 'Dockerfile'), 'FROM scratch\n');
    await writeStack(failing, `echo about-to-fail-${suffix} && exit 3`);
    await writeStack(fine, 'echo v1 > /opt/berth-test-marker');
    logs.length = 0;
    const report = await buildTemp();
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]?.name).toBe(broken);
    expect(logs.filter((l) => l.includes(broken))).toEqual([
      expect.stringMatching(/^problem: broken-\w+: stack\.json is not valid JSON/),
    ]);
    const byName = Object.fromEntries(report.stacks.map((o) => [o.name, o]));
    expect(byName[failing]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('docker build failed'),
    });
    expect(byName[failing]?.logTail).toContain('about-to-fail');
    // The failed step's container is removed too (docker build keeps it unless --force-rm).
    const leftovers = execFileSync('docker', ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}'])
      .toString()
      .split('\n')
      .filter((l) => l.includes(`about-to-fail-${suffix}`));
    expect(leftovers).toEqual([]);
    expect(byName[fine]?.status).toBe('built');

    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((l: string) => void out.push(l));
    try {
      expect(await stacksCommand.run(['build', '--root', tempRoot, fine])).toBe(0);
      expect(await stacksCommand.run(['build', '--root', tempRoot, broken])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(out.filter((l) => l.startsWith('problem:'))).toHaveLength(1);
    await rm(join(tempRoot, broken), { recursive: true });
    await rm(join(tempRoot, failing), { recursive: true });
  });
});

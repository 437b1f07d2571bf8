import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerImageStore } from '../../src/containers/image-store.js';
import { addCustomImage } from '../../src/stacks/custom-image.js';
import { StackCatalog } from '../../src/stacks/stack-catalog.js';
import { removeTestImages } from '../support/test-images.js';

const TEST_LABELS = { 'berth.test': '1' };
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const store = new DockerImageStore();
const source = {
  good: `berth-test/custom-good:${suffix}`,
  nouser: `berth-test/custom-nouser:${suffix}`,
  nolauncher: `berth-test/custom-nolauncher:${suffix}`,
};

/** Builds a test image FROM the bookworm base with one extra step (Dockerfile on stdin). */
function buildFrom(tag: string, step: string): void {
  const dockerfile = `FROM berth/base-bookworm:current\nUSER root\nRUN ${step}\nCMD ["sleep", "1"]\n`;
  execFileSync('docker', ['build', '--network', 'none', '--label', 'berth.test=1', '-t', tag, '-'], {
    input: dockerfile,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
}

beforeAll(() => {
  const base = execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', 'berth/base-bookworm:current'])
    .toString()
    .trim();
  expect(base).toMatch(/^sha256:/); // `berth stacks build` (stacks-build.test.ts) made it
  buildFrom(source.good, 'echo custom > /etc/custom-marker');
  buildFrom(source.nouser, 'userdel berth');
  buildFrom(source.nolauncher, 'rm /usr/local/bin/berth-launcher');
}, 300_000);

afterAll(() => {
  removeTestImages();
});

describe('berth stacks add-image (real engine)', () => {
  it('accepts an image that keeps the contract and makes it a resolvable stack', async () => {
    const name = `custom-${suffix}`;
    const outcome = await addCustomImage({
      name,
      image: source.good,
      language: 'shell',
      version: 'custom-1',
      store,
      smoke: { command: ['cat', '/etc/custom-marker'], expect: '^custom$' },
      extraLabels: TEST_LABELS,
    });
    expect(outcome.problems).toEqual([]);
    const resolved = await new StackCatalog(store).resolve(name);
    expect(resolved).toEqual({
      name,
      language: 'shell',
      version: 'custom-1',
      imageId: outcome.imageId,
      runtime: null,
    });
    const config = execFileSync('docker', [
      'image',
      'inspect',
      '-f',
      '{{.Config.User}} {{json .Config.Cmd}}',
      `berth/stack-${name}:current`,
    ]);
    expect(config.toString().trim()).toBe('10001:10001 ["/usr/local/bin/berth-launcher"]');
  });

  it('refuses an image without user 10001 and one without the launcher, tagging nothing', async () => {
    const noUser = await addCustomImage({
      name: `nouser-${suffix}`,
      image: source.nouser,
      language: 'x',
      version: '1',
      store,
      extraLabels: TEST_LABELS,
    });
    expect(noUser.problems).toEqual([expect.stringContaining('no user with uid/gid 10001')]);
    const noLauncher = await addCustomImage({
      name: `nolauncher-${suffix}`,
      image: source.nolauncher,
      language: 'x',
      version: '1',
      store,
      extraLabels: TEST_LABELS,
    });
    expect(noLauncher.problems).toEqual([expect.stringContaining('berth-launcher does not answer')]);
    expect(await store.inspect(`berth/stack-nouser-${suffix}:current`)).toBeNull();
    expect(await store.inspect(`berth/stack-nolauncher-${suffix}:current`)).toBeNull();
  });

  it('refuses an image that is not local and a failing smoke test', async () => {
    const missing = await addCustomImage({
      name: `missing-${suffix}`,
      image: `berth-test/absent:${suffix}`,
      language: 'x',
      version: '1',
      store,
    });
    expect(missing.problems).toEqual([expect.stringContaining('no local image')]);
    const smoke = { command: ['cat', '/etc/custom-marker'], expect: '^other$' };
    const wrong = await addCustomImage({
      name: `wrong-${suffix}`,
      image: source.good,
      language: 'x',
      version: '1',
      store,
      smoke,
      extraLabels: TEST_LABELS,
    });
    expect(wrong.problems).toEqual([expect.stringContaining('smoke output does not match')]);
  });
});

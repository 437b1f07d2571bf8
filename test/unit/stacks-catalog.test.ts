import { describe, expect, it } from 'vitest';
import { InfraError } from '../../src/domain/infra-error.js';
import type { ImageInfo, ImageStore } from '../../src/stacks/image-store-port.js';
import { StackCatalog } from '../../src/stacks/stack-catalog.js';

/** In-memory image store: refs map to images; counts engine calls. */
class FakeImageStore implements ImageStore {
  readonly refs = new Map<string, ImageInfo>();
  inspectCalls = 0;
  failNext = false;

  async inspect(ref: string): Promise<ImageInfo | null> {
    this.inspectCalls++;
    if (this.failNext) {
      this.failNext = false;
      throw new InfraError('engine down', { retriable: true, component: 'docker' });
    }
    return this.refs.get(ref) ?? null;
  }

  async listByLabel(key: string, value: string): Promise<readonly ImageInfo[]> {
    return [...new Set(this.refs.values())].filter((i) => i.labels[key] === value);
  }

  put(name: string, id: string, extra: Record<string, string> = {}): ImageInfo {
    const image: ImageInfo = {
      id,
      repoTags: [`berth/stack-${name}:current`],
      labels: {
        'berth.role': 'stack',
        'berth.stack.name': name,
        'berth.stack.language': 'python',
        'berth.stack.version': '3.11',
        ...extra,
      },
      sizeBytes: 1,
      createdAtMs: 0,
    };
    this.refs.set(`berth/stack-${name}:current`, image);
    return image;
  }
}

function setup(ttlMs = 2000) {
  const store = new FakeImageStore();
  let now = 1_000;
  const catalog = new StackCatalog(store, { cacheTtlMs: ttlMs, nowMs: () => now });
  return { store, catalog, advance: (ms: number) => (now += ms) };
}

describe('StackCatalog', () => {
  it('resolves a name to the image id :current points at, with language and version', async () => {
    const { store, catalog } = setup();
    store.put('python-3.11', 'sha256:aaa');
    await expect(catalog.resolve('python-3.11')).resolves.toEqual({
      name: 'python-3.11',
      language: 'python',
      version: '3.11',
      imageId: 'sha256:aaa',
      runtime: null,
    });
  });

  it('reads the function runtime from the berth.stack.runtime label', async () => {
    const { store, catalog } = setup();
    store.put('python-3.13', 'sha256:ppp', { 'berth.stack.runtime': 'python' });
    expect((await catalog.resolve('python-3.13'))?.runtime).toBe('python');
    expect((await catalog.list()).map((s) => s.runtime)).toEqual(['python']);
  });

  it('returns null for unknown names, invalid names and images that are not stacks', async () => {
    const { store, catalog } = setup();
    store.put('imposter', 'sha256:bbb', { 'berth.role': 'base' });
    store.put('renamed', 'sha256:ccc', { 'berth.stack.name': 'other' });
    expect(await catalog.resolve('nope')).toBeNull();
    expect(await catalog.resolve('../etc')).toBeNull();
    expect(await catalog.resolve('imposter')).toBeNull();
    expect(await catalog.resolve('renamed')).toBeNull();
  });

  it('caches answers for the TTL, then sees a rebuilt stack under its new id', async () => {
    const { store, catalog, advance } = setup(2000);
    store.put('node-20', 'sha256:old');
    const pinned = await catalog.resolve('node-20');
    store.put('node-20', 'sha256:new');
    advance(1999);
    expect((await catalog.resolve('node-20'))?.imageId).toBe('sha256:old');
    expect(store.inspectCalls).toBe(1);
    advance(1);
    expect((await catalog.resolve('node-20'))?.imageId).toBe('sha256:new');
    expect(store.inspectCalls).toBe(2);
    expect(pinned?.imageId).toBe('sha256:old');
  });

  it('shares one engine call between concurrent resolutions', async () => {
    const { store, catalog } = setup();
    store.put('ruby-3.3', 'sha256:r');
    const all = await Promise.all(Array.from({ length: 50 }, () => catalog.resolve('ruby-3.3')));
    expect(all.every((s) => s?.imageId === 'sha256:r')).toBe(true);
    expect(store.inspectCalls).toBe(1);
  });

  it('does not cache engine errors', async () => {
    const { store, catalog } = setup();
    store.put('php-8.2', 'sha256:p');
    store.failNext = true;
    await expect(catalog.resolve('php-8.2')).rejects.toBeInstanceOf(InfraError);
    expect((await catalog.resolve('php-8.2'))?.imageId).toBe('sha256:p');
  });

  it('lists stacks whose :current tag exists, sorted by name', async () => {
    const { store, catalog } = setup();
    store.put('shell', 'sha256:s');
    store.put('java-21', 'sha256:j');
    store.refs.set('berth/base-trixie:current', {
      id: 'sha256:base',
      repoTags: ['berth/base-trixie:current'],
      labels: { 'berth.role': 'base' },
      sizeBytes: 1,
      createdAtMs: 0,
    });
    const names = (await catalog.list()).map((s) => s.name);
    expect(names).toEqual(['java-21', 'shell']);
  });
});

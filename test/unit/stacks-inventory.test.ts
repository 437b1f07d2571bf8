import { describe, expect, it } from 'vitest';
import type { ImageInfo, ImageStore } from '../../src/stacks/image-store-port.js';
import { readInventory } from '../../src/stacks/stack-inventory.js';

class FakeImageStore implements ImageStore {
  constructor(private readonly images: Map<string, ImageInfo>) {}
  async inspect(ref: string): Promise<ImageInfo | null> {
    return this.images.get(ref) ?? null;
  }
  async listByLabel(key: string, value: string): Promise<readonly ImageInfo[]> {
    return [...new Set(this.images.values())].filter((i) => i.labels[key] === value);
  }
}

function image(id: string, tags: string[], sizeBytes: number, labels: Record<string, string>): ImageInfo {
  return { id, repoTags: tags, labels, sizeBytes, createdAtMs: Date.UTC(2026, 0, 2) };
}

function stack(
  name: string,
  id: string,
  size: number,
  base: string,
  baseRef?: string,
  current = true,
): ImageInfo {
  const labels: Record<string, string> = {
    'berth.role': 'stack',
    'berth.stack.name': name,
    'berth.stack.language': 'lang',
    'berth.stack.version': '1',
    'berth.stack.base': base,
  };
  if (baseRef) labels['berth.stack.base-ref'] = baseRef;
  return image(id, current ? [`berth/stack-${name}:current`] : [`berth/stack-${name}:old`], size, labels);
}

describe('readInventory', () => {
  it('computes each stack diff over its pinned base and shared vs unshared totals', async () => {
    const bookworm = image('sha256:b1', ['berth/base-bookworm:h1', 'berth/base-bookworm:current'], 100, {
      'berth.role': 'base',
    });
    const trixie = image('sha256:t1', ['berth/base-trixie:h2'], 80, { 'berth.role': 'base' });
    const images = new Map<string, ImageInfo>([
      ['berth/base-bookworm:h1', bookworm],
      ['berth/base-bookworm:current', bookworm],
      ['berth/base-trixie:h2', trixie],
      ['berth/stack-py:current', stack('py', 'sha256:p', 130, 'base-bookworm', 'berth/base-bookworm:h1')],
      ['berth/stack-sh:current', stack('sh', 'sha256:s', 100, 'base-bookworm')],
      ['berth/stack-rb:current', stack('rb', 'sha256:r', 95, 'base-trixie', 'berth/base-trixie:h2')],
      ['berth/stack-own:current', stack('own', 'sha256:o', 50, 'custom')],
      ['berth/stack-py:old', stack('py', 'sha256:p0', 500, 'base-bookworm', 'berth/base-bookworm:h1', false)],
    ]);
    const inv = await readInventory(new FakeImageStore(images));
    expect(inv.stacks.map((s) => [s.name, s.diffBytes])).toEqual([
      ['own', 50],
      ['py', 30],
      ['rb', 15],
      ['sh', 0],
    ]);
    expect(inv.bases.map((b) => [b.imageId, b.sizeBytes])).toEqual([
      ['sha256:b1', 100],
      ['sha256:t1', 80],
    ]);
    expect(inv.totals.sharedBytes).toBe(100 + 80 + 50 + 30 + 15 + 0);
    expect(inv.totals.unsharedBytes).toBe(130 + 100 + 95 + 50);
    expect(inv.totals.savedBytes).toBe(inv.totals.unsharedBytes - inv.totals.sharedBytes);
    expect(inv.stacks[1]?.builtAt).toBe('2026-01-02T00:00:00.000Z');
  });
});

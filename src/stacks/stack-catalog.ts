import type { ResolvedStack, StackCatalogPort } from '../domain/stack-catalog-port.js';
import type { ImageInfo, ImageStore } from './image-store-port.js';
import { CURRENT_TAG, LABEL, stackImageRef } from './stack-labels.js';

export interface StackCatalogOptions {
  /** How long a resolution (found or not) is reused. Default 2000 ms. */
  readonly cacheTtlMs?: number;
  /** Clock, for tests. */
  readonly nowMs?: () => number;
}

interface CacheEntry {
  readonly atMs: number;
  readonly value: Promise<ResolvedStack | null>;
}

/**
 * `StackCatalogPort` over the local images: a stack name resolves to the image id that
 * `berth/stack-<name>:current` points at when asked, so rebuilding a stack never changes a task
 * already pinned to the old id. Never builds or pulls; null for a name with no such image (or an
 * image that is not a Berth stack). Answers are cached for `cacheTtlMs`, so high task rates
 * cost one engine call per stack per interval; engine errors are not cached.
 */
export class StackCatalog implements StackCatalogPort {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: ImageStore,
    options: StackCatalogOptions = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 2000;
    this.now = options.nowMs ?? Date.now;
  }

  resolve(name: string): Promise<ResolvedStack | null> {
    const hit = this.cache.get(name);
    const now = this.now();
    if (hit && now - hit.atMs < this.ttlMs) return hit.value;
    const value = this.lookup(name);
    this.cache.set(name, { atMs: now, value });
    value.catch(() => {
      if (this.cache.get(name)?.value === value) this.cache.delete(name);
    });
    return value;
  }

  async list(): Promise<readonly ResolvedStack[]> {
    const images = await this.store.listByLabel(LABEL.role, 'stack');
    const stacks: ResolvedStack[] = [];
    for (const img of images) {
      const stack = toResolved(img);
      if (stack && img.repoTags.includes(stackImageRef(stack.name, CURRENT_TAG))) stacks.push(stack);
    }
    return stacks.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async lookup(name: string): Promise<ResolvedStack | null> {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) return null;
    const img = await this.store.inspect(stackImageRef(name, CURRENT_TAG));
    if (!img) return null;
    const stack = toResolved(img);
    return stack && stack.name === name ? stack : null;
  }
}

function toResolved(img: ImageInfo): ResolvedStack | null {
  const name = img.labels[LABEL.stackName];
  if (img.labels[LABEL.role] !== 'stack' || !name) return null;
  return Object.freeze({
    name,
    language: img.labels[LABEL.stackLanguage] ?? 'unknown',
    version: img.labels[LABEL.stackVersion] ?? 'unknown',
    imageId: img.id,
    runtime: img.labels[LABEL.stackRuntime] ?? null,
  });
}

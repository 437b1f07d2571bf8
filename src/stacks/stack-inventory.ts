import type { ImageInfo, ImageStore } from './image-store-port.js';
import { baseImageRef, CURRENT_TAG, LABEL, stackImageRef } from './stack-labels.js';

/** One built stack as `berth stacks list` shows it. */
export interface StackRow {
  readonly name: string;
  readonly language: string;
  readonly version: string;
  readonly imageId: string;
  readonly base: string;
  readonly sizeBytes: number;
  /** What the stack adds over its base (its own layers); the full size for custom images. */
  readonly diffBytes: number;
  readonly builtAt: string;
}

export interface BaseRow {
  readonly ref: string;
  readonly imageId: string;
  readonly sizeBytes: number;
}

export interface Inventory {
  readonly stacks: readonly StackRow[];
  readonly bases: readonly BaseRow[];
  readonly totals: {
    /** Bases once plus every stack's own diff: what the disk holds. */
    readonly sharedBytes: number;
    /** Every stack's full size: what it would cost without shared bases. */
    readonly unsharedBytes: number;
    readonly savedBytes: number;
  };
}

/**
 * Reads the built stacks (images labelled `berth.role=stack` tagged `:current`) and the bases
 * they were built on; sizes come from the engine (a base is counted once however many stacks
 * share it).
 */
export async function readInventory(store: ImageStore): Promise<Inventory> {
  const images = await store.listByLabel(LABEL.role, 'stack');
  const current = images.filter((i) => {
    const name = i.labels[LABEL.stackName];
    return name !== undefined && i.repoTags.includes(stackImageRef(name, CURRENT_TAG));
  });
  const bases = new Map<string, BaseRow>();
  const stacks: StackRow[] = [];
  for (const img of current) {
    const base = await baseOf(store, img, bases);
    stacks.push({
      name: img.labels[LABEL.stackName] ?? '?',
      language: img.labels[LABEL.stackLanguage] ?? '?',
      version: img.labels[LABEL.stackVersion] ?? '?',
      imageId: img.id,
      base: img.labels[LABEL.stackBase] ?? 'custom',
      sizeBytes: img.sizeBytes,
      diffBytes: base ? Math.max(0, img.sizeBytes - base.sizeBytes) : img.sizeBytes,
      builtAt: new Date(img.createdAtMs).toISOString(),
    });
  }
  stacks.sort((a, b) => a.name.localeCompare(b.name));
  const baseRows = [...bases.values()].sort((a, b) => a.ref.localeCompare(b.ref));
  const sharedBytes = sum(baseRows.map((b) => b.sizeBytes)) + sum(stacks.map((s) => s.diffBytes));
  const unsharedBytes = sum(stacks.map((s) => s.sizeBytes));
  return {
    stacks,
    bases: baseRows,
    totals: { sharedBytes, unsharedBytes, savedBytes: unsharedBytes - sharedBytes },
  };
}

/** The base image a stack was built on (pinned ref label, else the base's :current), memoized by id. */
async function baseOf(
  store: ImageStore,
  img: ImageInfo,
  seen: Map<string, BaseRow>,
): Promise<BaseRow | null> {
  const baseName = img.labels[LABEL.stackBase];
  if (!baseName || baseName === 'custom') return null;
  const ref = img.labels[LABEL.stackBaseRef] ?? baseImageRef(baseName, CURRENT_TAG);
  const base = await store.inspect(ref);
  if (!base) return null;
  const row = seen.get(base.id) ?? { ref, imageId: base.id, sizeBytes: base.sizeBytes };
  seen.set(base.id, row);
  return row;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

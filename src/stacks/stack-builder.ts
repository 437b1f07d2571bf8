import { join } from 'node:path';
import { type BaseBuildDirs, buildBase, type ImageBuildOutcome } from './base-builder.js';
import { hashContent } from './content-hash.js';
import type { ImageStore } from './image-store-port.js';
import { stackContentHash } from './stack-hash.js';
import { type BaseRef, buildStackImage } from './stack-image-builder.js';
import { baseImageRef } from './stack-labels.js';
import { readStacksTree, type StackProblem, type StacksTree } from './stacks-root.js';

/** Directories of the stacks root every base is built from, besides its own. */
const SHARED_BASE_INPUTS = ['base-common', 'launcher'];

/** Launcher tests do not go into the image, so they do not change a base's hash. */
const isTestSource = (fileName: string) => fileName.endsWith('_test.go');

export interface BuildRequest {
  readonly root: string;
  /** Stack names to build; empty means all. Their bases are always built (or found cached). */
  readonly names: readonly string[];
  readonly store: ImageStore;
  /** Progress lines for the operator. */
  readonly log: (line: string) => void;
  /** Labels added to every base and stack image built (tests add `berth.test=1`). */
  readonly extraLabels?: Readonly<Record<string, string>>;
  /** Host directories the base builds write to (debootstrap and Go caches): from loadHostDirs. */
  readonly dirs: BaseBuildDirs;
}

export interface BuildReport {
  readonly problems: readonly StackProblem[];
  readonly bases: readonly ImageBuildOutcome[];
  readonly stacks: readonly ImageBuildOutcome[];
  /** True when nothing selected failed and no selected stack had a problem. */
  readonly ok: boolean;
}

/**
 * `berth stacks build`: validates the tree, builds the bases the selected stacks need, then each
 * selected stack in name order. One failure does not stop the others. Content hashes make
 * unchanged images a no-op: a base's hash covers its directory and the launcher and shared
 * recipe; a stack's covers its directory, its function runtime's files and its base's image id.
 */
export async function buildStacks(req: BuildRequest): Promise<BuildReport> {
  const tree = await readStacksTree(req.root);
  const problems = selectProblems(tree, req.names);
  for (const p of problems) req.log(`problem: ${p.name}: ${p.message}`);
  const selected = tree.stacks.filter((s) => req.names.length === 0 || req.names.includes(s.manifest.name));
  const neededBases = new Set(selected.map((s) => s.manifest.base));
  if (req.names.length === 0) for (const b of tree.bases) neededBases.add(b.manifest.name);

  const bases: ImageBuildOutcome[] = [];
  const baseRefs = new Map<string, BaseRef>();
  for (const base of tree.bases.filter((b) => neededBases.has(b.manifest.name))) {
    const dirs = [base.dir, ...SHARED_BASE_INPUTS.map((d) => join(req.root, d))];
    const hash = await hashContent(dirs, [], isTestSource);
    req.log(`base ${base.manifest.name}: hash ${hash.slice(0, 12)}`);
    const outcome = await buildBase(base, hash, req.store, req.log, req.dirs, req.extraLabels);
    report(req.log, 'base', outcome);
    bases.push(outcome);
    if (outcome.imageId)
      baseRefs.set(base.manifest.name, {
        ref: baseImageRef(base.manifest.name, hash.slice(0, 12)),
        imageId: outcome.imageId,
      });
  }

  const stacks: ImageBuildOutcome[] = [];
  for (const stack of selected) {
    const base = baseRefs.get(stack.manifest.base);
    if (!base) {
      const outcome = failedWithoutBase(stack.manifest.name, stack.manifest.base);
      report(req.log, 'stack', outcome);
      stacks.push(outcome);
      continue;
    }
    const hash = await stackContentHash(stack, base.imageId);
    req.log(`stack ${stack.manifest.name}: building on ${base.ref}`);
    const outcome = await buildStackImage(stack, base, hash, req.store, req.extraLabels);
    report(req.log, 'stack', outcome);
    stacks.push(outcome);
  }
  const ok = problems.length === 0 && [...bases, ...stacks].every((o) => o.status !== 'failed');
  return { problems, bases, stacks, ok };
}

/** Problems of the selected stacks (all when none is named), plus unknown names. */
function selectProblems(tree: StacksTree, names: readonly string[]): StackProblem[] {
  if (names.length === 0) return [...tree.problems];
  const known = new Set([...tree.stacks.map((s) => s.manifest.name), ...tree.problems.map((p) => p.name)]);
  const unknown = names
    .filter((n) => !known.has(n))
    .map((name) => ({ name, message: `no such stack under ${tree.root}` }));
  return [...tree.problems.filter((p) => names.includes(p.name)), ...unknown];
}

function failedWithoutBase(name: string, base: string): ImageBuildOutcome {
  return {
    name,
    status: 'failed',
    imageId: null,
    hash: '',
    durationMs: 0,
    error: `base ${base} is not available (its build failed)`,
  };
}

function report(log: (line: string) => void, kind: string, o: ImageBuildOutcome): void {
  const secs = (o.durationMs / 1000).toFixed(1);
  if (o.status === 'failed') {
    log(`${kind} ${o.name}: FAILED after ${secs}s: ${o.error ?? 'unknown error'}`);
    if (o.logTail) for (const line of o.logTail.split('\n')) log(`  | ${line}`);
    return;
  }
  log(`${kind} ${o.name}: ${o.status} ${o.imageId?.slice(7, 19) ?? ''} in ${secs}s`);
}

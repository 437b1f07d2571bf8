import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeDirOf, runtimeDirProblem } from './runtime-dir.js';
import {
  type BaseManifest,
  parseBaseManifest,
  parseStackManifest,
  type StackManifest,
} from './stack-manifest.js';

/** A stack directory whose stack.json is valid. */
export interface StackDir {
  readonly dir: string;
  readonly manifest: StackManifest;
  /** `<root>/runtimes/<manifest.runtime>` (checked to have an executable `start`), or null. */
  readonly runtimeDir: string | null;
}

/** A base directory whose base.json is valid. */
export interface BaseDir {
  readonly dir: string;
  readonly manifest: BaseManifest;
}

/** One thing wrong with a directory under the stacks root, as one printable line. */
export interface StackProblem {
  readonly name: string;
  readonly message: string;
}

export interface StacksTree {
  readonly root: string;
  readonly bases: readonly BaseDir[];
  readonly stacks: readonly StackDir[];
  readonly problems: readonly StackProblem[];
}

/** The repository's `stacks/` directory (works from both `src/stacks` and `dist/stacks`). */
export function defaultStacksRoot(): string {
  const fromEnv = process.env.BERTH_STACKS_DIR;
  if (fromEnv) return resolve(fromEnv);
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'stacks');
}

/**
 * Reads every directory of the stacks root. A directory with base.json is a base; one with
 * stack.json or a Dockerfile is a stack (a Dockerfile without stack.json is a problem); others
 * (the launcher source, shared recipe parts, the function runtimes) are ignored. A stack naming an
 * unknown base, or a runtime without an executable `start`, is a problem, not an exception.
 */
export async function readStacksTree(root: string): Promise<StacksTree> {
  const entries = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory());
  const bases: BaseDir[] = [];
  const candidates: string[] = [];
  const problems: StackProblem[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = join(root, e.name);
    if (existsSync(join(dir, 'base.json'))) {
      const parsed = parseBaseManifest(await readFile(join(dir, 'base.json'), 'utf8'), e.name);
      if (parsed.ok) bases.push({ dir, manifest: parsed.value });
      else problems.push({ name: e.name, message: parsed.error });
    } else if (existsSync(join(dir, 'stack.json')) || existsSync(join(dir, 'Dockerfile'))) {
      candidates.push(e.name);
    }
  }
  const baseNames = new Set(bases.map((b) => b.manifest.name));
  const stacks: StackDir[] = [];
  for (const name of candidates) {
    const result = await readStackDir(root, name, baseNames);
    if ('message' in result) problems.push(result);
    else stacks.push(result);
  }
  return { root, bases, stacks, problems };
}

async function readStackDir(
  root: string,
  name: string,
  baseNames: ReadonlySet<string>,
): Promise<StackDir | StackProblem> {
  const dir = join(root, name);
  if (!existsSync(join(dir, 'stack.json'))) return { name, message: 'missing stack.json' };
  if (!existsSync(join(dir, 'Dockerfile'))) return { name, message: 'missing Dockerfile' };
  const parsed = parseStackManifest(await readFile(join(dir, 'stack.json'), 'utf8'), name);
  if (!parsed.ok) return { name, message: parsed.error };
  if (!baseNames.has(parsed.value.base)) {
    return {
      name,
      message: `stack.json: unknown base "${parsed.value.base}" (known: ${[...baseNames].join(', ') || 'none'})`,
    };
  }
  const runtime = parsed.value.runtime;
  if (runtime === undefined) return { dir, manifest: parsed.value, runtimeDir: null };
  const runtimeDir = runtimeDirOf(root, runtime);
  const problem = await runtimeDirProblem(runtimeDir, runtime);
  if (problem) return { name, message: `stack.json: ${problem}` };
  return { dir, manifest: parsed.value, runtimeDir };
}

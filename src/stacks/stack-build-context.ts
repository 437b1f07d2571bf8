import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { RUNTIME_CONTEXT_DIR, runtimeIgnore } from './runtime-dir.js';
import type { StackDir } from './stacks-root.js';

/** The directory `docker build` reads a stack from; dispose removes it when it is a copy. */
export interface BuildContext {
  readonly dir: string;
  dispose(): Promise<void>;
}

/**
 * The build context of a stack: its own directory when it has no function runtime; otherwise a
 * temporary directory holding the stack's files and, under `berth-runtime/`, the runtime
 * directory's files (modes kept, files its `.gitignore` names left out), so the stack's
 * Dockerfile can `COPY berth-runtime/ /opt/berth/runtime/`. The caller disposes of it after the
 * build.
 */
export async function stackBuildContext(stack: StackDir): Promise<BuildContext> {
  const runtimeDir = stack.runtimeDir;
  if (!runtimeDir) return { dir: stack.dir, dispose: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), `berth-stack-${stack.manifest.name}-`));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await cp(stack.dir, dir, { recursive: true });
    const ignored = await runtimeIgnore(runtimeDir);
    await cp(runtimeDir, join(dir, RUNTIME_CONTEXT_DIR), {
      recursive: true,
      filter: (src) => src === runtimeDir || !ignored(basename(src)),
    });
  } catch (err) {
    await dispose();
    throw err;
  }
  return { dir, dispose };
}

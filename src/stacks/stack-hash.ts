import { hashContent } from './content-hash.js';
import { runtimeIgnore } from './runtime-dir.js';
import type { StackDir } from './stacks-root.js';

/** Bumped when the way stack images are built or labelled changes, so they are rebuilt. */
export const STACK_RECIPE_VERSION = 'stack-recipe-2';

/**
 * A stack's content hash: its directory, its base's image id, the recipe version and, for a stack
 * with a function runtime, the runtime's name and files (without those its `.gitignore` names),
 * so editing a runtime rebuilds every stack carrying it. A stack without a runtime keeps the hash
 * it had before runtimes existed.
 */
export async function stackContentHash(stack: StackDir, baseImageId: string): Promise<string> {
  const extras = [baseImageId, STACK_RECIPE_VERSION];
  if (stack.runtimeDir) {
    const runtimeHash = await hashContent([stack.runtimeDir], [], await runtimeIgnore(stack.runtimeDir));
    extras.push(`runtime\0${stack.manifest.runtime ?? ''}\0${runtimeHash}`);
  }
  return hashContent([stack.dir], extras);
}

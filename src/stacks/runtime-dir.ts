import { existsSync } from 'node:fs';
import { access, constants, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Directory of the stacks root holding one directory per function runtime (`runtimes/<name>/`). */
export const RUNTIMES_DIR = 'runtimes';

/** Name of the runtime's copy in a stack's build context (`COPY berth-runtime/ /opt/berth/runtime/`). */
export const RUNTIME_CONTEXT_DIR = 'berth-runtime';

/** `<stacksRoot>/runtimes/<name>` */
export function runtimeDirOf(stacksRoot: string, name: string): string {
  return join(stacksRoot, RUNTIMES_DIR, name);
}

/**
 * Checks that a runtime directory can go into an image: it exists and has an executable `start`
 * (the entry the launcher runs). Returns the problem as one line, or null.
 */
export async function runtimeDirProblem(dir: string, name: string): Promise<string | null> {
  const start = join(dir, 'start');
  if (!existsSync(dir)) return `runtime "${name}": no directory ${RUNTIMES_DIR}/${name}`;
  try {
    if (!(await stat(start)).isFile())
      return `runtime "${name}": ${RUNTIMES_DIR}/${name}/start is not a file`;
    await access(start, constants.X_OK);
  } catch {
    return `runtime "${name}": ${RUNTIMES_DIR}/${name}/start is missing or not executable`;
  }
  return null;
}

/**
 * The files a runtime directory's `.gitignore` names (local build products such as a jar built
 * while developing the runtime): they go neither into the image nor into the stack's content
 * hash. Supports the simple form only — one base-name pattern per line with `*` and `?`; comments,
 * negations and anchored paths with inner slashes are skipped.
 */
export async function runtimeIgnore(dir: string): Promise<(fileName: string) => boolean> {
  let text: string;
  try {
    text = await readFile(join(dir, '.gitignore'), 'utf8');
  } catch {
    return () => false;
  }
  const patterns: RegExp[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^\//, '').replace(/\/$/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!') || line.includes('/')) continue;
    const source = line
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    patterns.push(new RegExp(`^${source}$`));
  }
  return (fileName) => patterns.some((p) => p.test(fileName));
}

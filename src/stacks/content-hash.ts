import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A content hash (sha256 hex) over directory trees and extra strings: every entry's relative
 * path, type, executable bit and content, in sorted order. Timestamps do not count, so touching a
 * file changes nothing but editing one does. Files whose name `ignore` accepts are left out.
 */
export async function hashContent(
  dirs: readonly string[],
  extras: readonly string[] = [],
  ignore: (fileName: string) => boolean = () => false,
): Promise<string> {
  const h = createHash('sha256');
  for (const [index, dir] of dirs.entries()) {
    h.update(`dir\0${index}\0`);
    await hashTree(h, dir, '', ignore);
  }
  for (const extra of extras) h.update(`extra\0${extra}\0`);
  return h.digest('hex');
}

async function hashTree(
  h: ReturnType<typeof createHash>,
  root: string,
  rel: string,
  ignore: (name: string) => boolean,
): Promise<void> {
  const names = (await readdir(join(root, rel))).sort();
  for (const name of names) {
    if (ignore(name)) continue;
    const relPath = rel === '' ? name : `${rel}/${name}`;
    const full = join(root, relPath);
    const st = await lstat(full);
    if (st.isDirectory()) {
      h.update(`d\0${relPath}\0`);
      await hashTree(h, root, relPath, ignore);
    } else if (st.isSymbolicLink()) {
      h.update(`l\0${relPath}\0${await readlink(full)}\0`);
    } else if (st.isFile()) {
      const data = await readFile(full);
      h.update(`f\0${relPath}\0${st.mode & 0o111 ? 'x' : '-'}\0${data.length}\0`);
      h.update(data);
    }
  }
}

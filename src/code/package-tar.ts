import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** Directory names never packed. */
const SKIPPED = new Set(['.git', '.hg', '.svn']);
const BLOCK = 512;

export interface PackedDirectory {
  readonly tar: Buffer;
  /** Relative paths of the regular files packed, sorted. */
  readonly files: readonly string[];
}

interface Entry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink';
  readonly executable: boolean;
  readonly data: Buffer;
  readonly linkTarget: string;
}

/**
 * Packs `dir` into a reproducible, uncompressed ustar archive: entries sorted by path, mtime 0,
 * uid/gid 0 with empty owner names, modes normalised to 0755 (directories and executables) or 0644,
 * so the same files always give the same bytes (and digest). Skips `.git`; refuses special files
 * and symlinks pointing outside the directory.
 */
export async function packDirectory(dir: string): Promise<PackedDirectory> {
  const entries = await collect(dir, '');
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    if (e.type === 'file' && e.data.length > 0) {
      parts.push(e.data, Buffer.alloc((BLOCK - (e.data.length % BLOCK)) % BLOCK));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return { tar: Buffer.concat(parts), files: entries.filter((e) => e.type === 'file').map((e) => e.path) };
}

async function collect(root: string, rel: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel === '' ? name : `${rel}/${name}`;
    const full = join(root, path);
    const st = await lstat(full);
    if (st.isDirectory()) {
      if (SKIPPED.has(name)) continue;
      out.push({ path: `${path}/`, type: 'dir', executable: true, data: Buffer.alloc(0), linkTarget: '' });
      out.push(...(await collect(root, path)));
    } else if (st.isFile()) {
      const executable = (st.mode & 0o111) !== 0;
      out.push({ path, type: 'file', executable, data: await readFile(full), linkTarget: '' });
    } else if (st.isSymbolicLink()) {
      const target = await readlink(full);
      const resolved = posix.normalize(posix.join(posix.dirname(path), target));
      if (posix.isAbsolute(target) || resolved.startsWith('..')) {
        throw new Error(`${path}: symlink to ${target} points outside the package`);
      }
      out.push({ path, type: 'symlink', executable: false, data: Buffer.alloc(0), linkTarget: target });
    } else {
      throw new Error(`${path}: not a regular file, directory or symlink`);
    }
  }
  return out;
}

function header(e: Entry): Buffer {
  const h = Buffer.alloc(BLOCK);
  const [prefix, name] = splitName(e.path);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, e.type === 'dir' || e.executable ? 0o755 : 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, e.type === 'file' ? e.data.length : 0);
  octal(h, 136, 12, 0);
  h.write(e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2', 156, 1, 'ascii');
  if (Buffer.byteLength(e.linkTarget) > 100)
    throw new Error(`${e.path}: symlink target longer than 100 bytes`);
  h.write(e.linkTarget, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return h;
}

/** ustar stores long paths as prefix (≤155 bytes) + name (≤100 bytes), split at a slash. */
function splitName(path: string): [string, string] {
  if (Buffer.byteLength(path) <= 100) return ['', path];
  for (let i = path.lastIndexOf('/', path.length - 2); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return [prefix, name];
  }
  throw new Error(`${path}: path too long for a tar entry`);
}

function octal(h: Buffer, offset: number, width: number, value: number): void {
  h.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'ascii');
}

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { matchesDigest } from './content-digest.js';

/**
 * Code package tarballs on disk, addressed by digest (`<dir>/sha256-<hex>.tar`). Contract: `get`
 * returns bytes only after verifying them against the digest (a corrupt file is deleted and
 * reported as null); `put` refuses bytes that do not match. Recently read tarballs are kept in
 * memory up to `memoryBytes`.
 */
export class TarballCache {
  private readonly hot = new Map<string, Buffer>();
  private hotBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly memoryBytes = 64 * 1024 * 1024,
  ) {}

  async put(digest: string, tarball: Uint8Array): Promise<void> {
    if (!matchesDigest(tarball, digest)) throw new Error(`tarball does not match ${digest}`);
    await mkdir(this.dir, { recursive: true });
    const file = this.fileOf(digest);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, tarball);
    await rename(tmp, file);
  }

  async get(digest: string): Promise<Buffer | null> {
    const hot = this.hot.get(digest);
    if (hot) {
      this.hot.delete(digest);
      this.hot.set(digest, hot);
      return hot;
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(this.fileOf(digest));
    } catch {
      return null;
    }
    if (!matchesDigest(bytes, digest)) {
      await rm(this.fileOf(digest), { force: true });
      return null;
    }
    this.remember(digest, bytes);
    return bytes;
  }

  private remember(digest: string, bytes: Buffer): void {
    if (bytes.length > this.memoryBytes) return;
    this.hot.set(digest, bytes);
    this.hotBytes += bytes.length;
    for (const [d, b] of this.hot) {
      if (this.hotBytes <= this.memoryBytes) break;
      this.hot.delete(d);
      this.hotBytes -= b.length;
    }
  }

  private fileOf(digest: string): string {
    return join(this.dir, `${digest.replace(':', '-')}.tar`);
  }
}

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/code/content-digest.js';
import { packDirectory } from '../../src/code/package-tar.js';

const dirs: string[] = [];
function makePackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-pack-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'lib/deep'), { recursive: true });
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git/HEAD'), 'ref');
  writeFileSync(join(dir, 'main.py'), 'print("hi")\n');
  writeFileSync(join(dir, 'lib/deep/data.bin'), Buffer.alloc(1500, 7));
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho run\n');
  chmodSync(join(dir, 'run.sh'), 0o700);
  symlinkSync('main.py', join(dir, 'alias.py'));
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('reproducible package tar', () => {
  it('same files give the same digest regardless of mtime, mode bits beyond x, and creation order', async () => {
    const a = makePackage();
    const b = makePackage();
    utimesSync(join(b, 'main.py'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    chmodSync(join(b, 'main.py'), 0o600);
    chmodSync(join(b, 'run.sh'), 0o755);
    const [pa, pb] = [await packDirectory(a), await packDirectory(b)];
    expect(sha256Digest(pa.tar)).toBe(sha256Digest(pb.tar));
    writeFileSync(join(b, 'main.py'), 'print("changed")\n');
    expect(sha256Digest((await packDirectory(b)).tar)).not.toBe(sha256Digest(pa.tar));
  });

  it('is a valid tar that GNU tar lists and extracts with normalised metadata, without .git', async () => {
    const dir = makePackage();
    const packed = await packDirectory(dir);
    expect(packed.files).toEqual(['lib/deep/data.bin', 'main.py', 'run.sh']);
    const tarFile = join(dir, '..', `${dir.split('/').pop()}.tar`);
    writeFileSync(tarFile, packed.tar);
    dirs.push(tarFile);
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', tarFile], { encoding: 'utf8' });
    expect(listing).not.toContain('.git');
    expect(listing).toMatch(/-rwxr-xr-x 0\/0 +\d+ 1970-01-01 00:00 run\.sh/);
    expect(listing).toMatch(/-rw-r--r-- 0\/0 +1500 1970-01-01 00:00 lib\/deep\/data\.bin/);
    expect(listing).toMatch(/alias\.py -> main\.py/);
    const out = mkdtempSync(join(tmpdir(), 'berth-unpack-'));
    dirs.push(out);
    execFileSync('tar', ['-xf', tarFile, '-C', out]);
    expect(readFileSync(join(out, 'lib/deep/data.bin'))).toEqual(Buffer.alloc(1500, 7));
    expect(readFileSync(join(out, 'alias.py'), 'utf8')).toBe('print("hi")\n');
  });

  it('long paths use the ustar prefix field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-pack-'));
    dirs.push(dir);
    const deep = join(dir, 'a'.repeat(60), 'b'.repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'c'.repeat(50)), 'x');
    const tarFile = `${dir}.tar`;
    dirs.push(tarFile);
    writeFileSync(tarFile, (await packDirectory(dir)).tar);
    expect(execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' })).toContain(
      `${'b'.repeat(60)}/${'c'.repeat(50)}`,
    );
  });

  it('refuses a symlink that leaves the package', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-pack-'));
    dirs.push(dir);
    symlinkSync('../../etc/passwd', join(dir, 'evil'));
    await expect(packDirectory(dir)).rejects.toThrow(/points outside the package/);
  });
});

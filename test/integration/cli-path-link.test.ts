import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** scripts/link-cli.sh (run by bring-up) puts a working `berth` on PATH from the built checkout. */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = mkdtempSync(join(tmpdir(), 'berth-bin-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe('berth on PATH', () => {
  it('links BERTH_BIN_DIR/berth to dist/cli/main.js; `berth --version` then runs from anywhere', () => {
    const log = execFileSync('sh', [join(root, 'scripts', 'link-cli.sh')], {
      env: { ...process.env, BERTH_BIN_DIR: bin },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(log.toString()).toBe('');
    expect(readlinkSync(join(bin, 'berth'))).toBe(join(root, 'dist', 'cli', 'main.js'));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const out = execFileSync('berth', ['--version'], {
      cwd: tmpdir(),
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    expect(out.toString()).toBe(`berth ${pkg.version}\n`);
  });

  it('bring-up runs it, so the quick start leaves berth on PATH', () => {
    const bringUp = readFileSync(join(root, 'scripts', 'bring-up.sh'), 'utf8');
    expect(bringUp.indexOf('sh scripts/link-cli.sh')).toBeGreaterThan(
      bringUp.indexOf('sh scripts/ensure-node.sh'),
    );
  });
});

import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashContent } from '../../src/stacks/content-hash.js';
import { readStacksTree } from '../../src/stacks/stacks-root.js';

let root: string;

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), text);
}

function stackJson(name: string, base = 'base-x'): string {
  return JSON.stringify({
    name,
    language: 'l',
    version: '1',
    base,
    run: ['x'],
    smoke: { command: ['x'], expect: '1' },
  });
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-stacks-'));
  await put(
    'base-x/base.json',
    JSON.stringify({ name: 'base-x', suite: 's', mirror: 'm', securityMirror: 'm', packages: [] }),
  );
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readStacksTree', () => {
  it('finds bases and valid stacks and ignores other directories', async () => {
    await put('good/stack.json', stackJson('good'));
    await put('good/Dockerfile', 'FROM x');
    await put('launcher/go.mod', 'module x');
    const tree = await readStacksTree(root);
    expect(tree.bases.map((b) => b.manifest.name)).toEqual(['base-x']);
    expect(tree.stacks.map((s) => s.manifest.name)).toEqual(['good']);
    expect(tree.problems).toEqual([]);
  });

  it('reports one clear line per broken stack directory', async () => {
    await put('nojson/Dockerfile', 'FROM x');
    await put('broken/stack.json', '{"name": "broken",');
    await put('broken/Dockerfile', 'FROM x');
    await put('orphan/stack.json', stackJson('orphan', 'base-nowhere'));
    await put('orphan/Dockerfile', 'FROM x');
    await put('nodocker/stack.json', stackJson('nodocker'));
    const tree = await readStacksTree(root);
    const byName = Object.fromEntries(tree.problems.map((p) => [p.name, p.message]));
    expect(byName.nojson).toBe('missing stack.json');
    expect(byName.broken).toMatch(/^stack\.json is not valid JSON/);
    expect(byName.orphan).toBe('stack.json: unknown base "base-nowhere" (known: base-x)');
    expect(byName.nodocker).toBe('missing Dockerfile');
    expect(tree.stacks).toEqual([]);
    for (const p of tree.problems) expect(p.message).not.toContain('\n');
  });
});

describe('hashContent', () => {
  it('ignores timestamps but sees content, names, executable bits and extras', async () => {
    await put('s/Dockerfile', 'FROM x');
    await put('s/stack.json', '{}');
    const dir = join(root, 's');
    const h0 = await hashContent([dir], ['base-id-1']);
    await utimes(join(dir, 'Dockerfile'), new Date(0), new Date(0));
    expect(await hashContent([dir], ['base-id-1'])).toBe(h0);
    expect(await hashContent([dir], ['base-id-2'])).not.toBe(h0);
    await put('s/Dockerfile', 'FROM y');
    const h1 = await hashContent([dir], ['base-id-1']);
    expect(h1).not.toBe(h0);
    await put('s/extra.txt', '');
    expect(await hashContent([dir], ['base-id-1'])).not.toBe(h1);
  });

  it('leaves out files the ignore predicate names', async () => {
    await put('l/main.go', 'package main');
    const dir = join(root, 'l');
    const ignoreTests = (n: string) => n.endsWith('_test.go');
    const h0 = await hashContent([dir], [], ignoreTests);
    await put('l/main_test.go', 'package main // test');
    expect(await hashContent([dir], [], ignoreTests)).toBe(h0);
    expect(await hashContent([dir])).not.toBe(h0);
  });
});

import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashContent } from '../../src/stacks/content-hash.js';
import { stackBuildContext } from '../../src/stacks/stack-build-context.js';
import { STACK_RECIPE_VERSION, stackContentHash } from '../../src/stacks/stack-hash.js';
import { readStacksTree, type StackDir } from '../../src/stacks/stacks-root.js';

let root: string;

async function put(path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), text);
  await chmod(join(root, path), mode);
}

async function stack(name: string, runtime?: string): Promise<void> {
  const manifest = { name, language: 'l', version: '1', base: 'base-x', run: ['x'], runtime };
  await put(`${name}/stack.json`, JSON.stringify({ ...manifest, smoke: { command: ['x'], expect: '1' } }));
  await put(`${name}/Dockerfile`, 'FROM x\nCOPY berth-runtime/ /opt/berth/runtime/\n');
}

async function only(name: string): Promise<StackDir> {
  const tree = await readStacksTree(root);
  const found = tree.stacks.find((s) => s.manifest.name === name);
  if (!found) throw new Error(`no stack ${name}: ${JSON.stringify(tree.problems)}`);
  return found;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-runtime-ctx-'));
  await put(
    'base-x/base.json',
    JSON.stringify({ name: 'base-x', suite: 's', mirror: 'm', securityMirror: 'm', packages: [] }),
  );
  await put('runtimes/node/start', '#!/bin/sh\nexec node runtime.mjs\n', 0o755);
  await put('runtimes/node/runtime.mjs', 'export {}\n');
  await put('runtimes/node/lib/wire.mjs', 'export const x = 1\n');
  await put('runtimes/node/.gitignore', '# local build products\nbuilt.jar\n*.tmp\n');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('stacks with a function runtime', () => {
  it('resolve their runtime directory; one without an executable start is a problem', async () => {
    await stack('with-node', 'node');
    await stack('plain');
    await stack('missing', 'cobol');
    await put('runtimes/broken/start', 'not executable');
    await stack('broken-start', 'broken');
    const tree = await readStacksTree(root);
    const dirs = Object.fromEntries(tree.stacks.map((s) => [s.manifest.name, s.runtimeDir]));
    expect(dirs).toEqual({ plain: null, 'with-node': join(root, 'runtimes', 'node') });
    const problems = Object.fromEntries(tree.problems.map((p) => [p.name, p.message]));
    expect(problems.missing).toBe('stack.json: runtime "cobol": no directory runtimes/cobol');
    expect(problems['broken-start']).toBe(
      'stack.json: runtime "broken": runtimes/broken/start is missing or not executable',
    );
  });

  it('hash over the runtime files, but not over files its .gitignore names', async () => {
    await stack('with-node', 'node');
    const s = await only('with-node');
    const h0 = await stackContentHash(s, 'base-id');
    expect(h0).not.toBe(await hashContent([s.dir], ['base-id', STACK_RECIPE_VERSION]));
    await put('runtimes/node/built.jar', 'local build');
    await put('runtimes/node/lib/x.tmp', 'scratch');
    expect(await stackContentHash(s, 'base-id')).toBe(h0);
    await put('runtimes/node/lib/wire.mjs', 'export const x = 2\n');
    const h1 = await stackContentHash(s, 'base-id');
    expect(h1).not.toBe(h0);
    await chmod(join(root, 'runtimes/node/runtime.mjs'), 0o755);
    expect(await stackContentHash(s, 'base-id')).not.toBe(h1);
    expect(await stackContentHash(s, 'other-base')).not.toBe(await stackContentHash(s, 'base-id'));
  });

  it('keep the hash of a stack without a runtime as it was before runtimes existed', async () => {
    await stack('plain');
    const s = await only('plain');
    expect(await stackContentHash(s, 'base-id')).toBe(
      await hashContent([s.dir], ['base-id', 'stack-recipe-2']),
    );
  });

  it('build from a temporary context with the runtime under berth-runtime/', async () => {
    await stack('with-node', 'node');
    await put('runtimes/node/built.jar', 'local build');
    const ctx = await stackBuildContext(await only('with-node'));
    try {
      expect(ctx.dir).not.toBe(join(root, 'with-node'));
      expect(await readFile(join(ctx.dir, 'Dockerfile'), 'utf8')).toContain('COPY berth-runtime/');
      expect(existsSync(join(ctx.dir, 'stack.json'))).toBe(true);
      const start = await stat(join(ctx.dir, 'berth-runtime', 'start'));
      expect(start.mode & 0o111).toBe(0o111);
      expect(await readFile(join(ctx.dir, 'berth-runtime', 'lib', 'wire.mjs'), 'utf8')).toContain('x = 1');
      expect(existsSync(join(ctx.dir, 'berth-runtime', 'built.jar'))).toBe(false);
    } finally {
      await ctx.dispose();
    }
    expect(existsSync(ctx.dir)).toBe(false);
    expect(existsSync(join(root, 'with-node', 'berth-runtime'))).toBe(false);
  });

  it('build a stack without a runtime from its own directory', async () => {
    await stack('plain');
    const ctx = await stackBuildContext(await only('plain'));
    expect(ctx.dir).toBe(join(root, 'plain'));
    await ctx.dispose();
    expect(existsSync(join(root, 'plain', 'Dockerfile'))).toBe(true);
  });
});

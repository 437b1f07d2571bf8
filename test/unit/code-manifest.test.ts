import { describe, expect, it } from 'vitest';
import { type ManifestContext, parseManifest } from '../../src/code/package-manifest.js';

const ctx: ManifestContext = {
  runTemplate: async (stack) => (stack === 'python-3.11' ? ['python3', '-u', '{entry}'] : null),
  fileExists: (p) => p === 'main.py',
};

describe('berth.json validation', () => {
  it('fills defaults and turns entry into the stack run command', async () => {
    const r = await parseManifest(
      JSON.stringify({ name: 'thumbs', stack: 'python-3.11', entry: 'main.py' }),
      ctx,
    );
    expect(r).toEqual({
      ok: true,
      manifest: {
        name: 'thumbs',
        stack: 'python-3.11',
        command: ['python3', '-u', 'main.py'],
        timeoutMs: 300_000,
        memoryBytes: 268_435_456,
        env: {},
        network: false,
        maxAttempts: 1,
        retryDelayMs: 1000,
        maxConcurrency: 0,
        isolation: 'FRESH',
        handler: null,
        secrets: [],
      },
    });
  });

  it('a handler makes the package HOT function mode and needs no command', async () => {
    const r = await parseManifest(
      JSON.stringify({ name: 'fn', stack: 'python-3.11', handler: 'main.py:handle', maxConcurrency: 2 }),
      ctx,
    );
    expect(r.ok && r.manifest).toMatchObject({ handler: 'main.py:handle', isolation: 'HOT', command: [] });
  });

  it('rejects a handler with FRESH isolation, a missing file or a bad shape, naming the field', async () => {
    const fresh = await parseManifest(
      JSON.stringify({ name: 'fn', stack: 'python-3.11', handler: 'main.py:handle', isolation: 'FRESH' }),
      ctx,
    );
    expect(fresh.ok ? [] : fresh.errors).toEqual([
      expect.stringMatching(/^handler: needs "isolation": "HOT"/),
    ]);
    const missing = await parseManifest(
      JSON.stringify({ name: 'fn', stack: 'python-3.11', handler: 'app.py:handle' }),
      ctx,
    );
    expect(missing.ok ? [] : missing.errors).toEqual(['handler: file "app.py" is not in the package']);
    const bad = await parseManifest(
      JSON.stringify({ name: 'fn', stack: 'python-3.11', handler: '../x.py:handle' }),
      ctx,
    );
    expect(bad.ok ? [] : bad.errors).toEqual([expect.stringMatching(/^handler: must be "FILE:FUNCTION"/)]);
  });

  it('keeps explicit values', async () => {
    const r = await parseManifest(
      JSON.stringify({
        name: 'v',
        stack: 'node-20',
        command: ['node', 'v.js'],
        timeoutMs: 3_600_000,
        env: { MODE: 'strict' },
        network: true,
        maxAttempts: 3,
        retryDelayMs: 0,
        maxConcurrency: 4,
        isolation: 'HOT',
      }),
      ctx,
    );
    expect(r.ok && r.manifest).toMatchObject({
      timeoutMs: 3_600_000,
      env: { MODE: 'strict' },
      isolation: 'HOT',
      maxAttempts: 3,
    });
  });

  it('reports every bad field on its own line, naming the field', async () => {
    const r = await parseManifest(
      JSON.stringify({
        name: 'Bad Name',
        command: [],
        timeoutMs: 3_600_001,
        memoryBytes: '1g',
        env: { '1X': 'a', OK: 3 },
        network: 'yes',
        isolation: 'WARM',
        colour: 'blue',
      }),
      ctx,
    );
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors).toEqual(
      expect.arrayContaining([
        'colour: unknown field',
        expect.stringMatching(/^name: must be lowercase/),
        'stack: required',
        expect.stringMatching(/^command: must be a non-empty array/),
        expect.stringMatching(/^timeoutMs: must be an integer from 1 to 3600000, got 3600001/),
        expect.stringMatching(/^memoryBytes: must be an integer/),
        'env: "1X" is not a valid variable name',
        'env.OK: must be a string',
        expect.stringMatching(/^network: must be true or false/),
        expect.stringMatching(/^isolation: must be "FRESH" or "HOT"/),
      ]),
    );
    expect(errors).toHaveLength(10);
  });

  it('command and entry: exactly one, entry must exist and the stack must have a run template', async () => {
    const both = await parseManifest(
      JSON.stringify({ name: 'a', stack: 'python-3.11', command: ['x'], entry: 'main.py' }),
      ctx,
    );
    expect(both.ok ? [] : both.errors).toEqual(['entry: give either "command" or "entry", not both']);
    const none = await parseManifest(JSON.stringify({ name: 'a', stack: 'python-3.11' }), ctx);
    expect(none.ok ? [] : none.errors).toEqual(['command: required (or "entry")']);
    const missing = await parseManifest(
      JSON.stringify({ name: 'a', stack: 'python-3.11', entry: 'nope.py' }),
      ctx,
    );
    expect(missing.ok ? [] : missing.errors).toEqual(['entry: file "nope.py" is not in the package']);
    const unknown = await parseManifest(
      JSON.stringify({ name: 'a', stack: 'cobol-85', entry: 'main.py' }),
      ctx,
    );
    expect(unknown.ok ? [] : unknown.errors[0]).toMatch(/stack "cobol-85" has no run template/);
    const escaping = await parseManifest(
      JSON.stringify({ name: 'a', stack: 'python-3.11', entry: '../x.py' }),
      ctx,
    );
    expect(escaping.ok ? [] : escaping.errors[0]).toMatch(/relative path/);
  });

  it('bad JSON is one line', async () => {
    const r = await parseManifest('{"name": ', ctx);
    expect(r.ok ? [] : r.errors).toEqual([expect.stringMatching(/^berth\.json is not valid JSON/)]);
  });
});

import { describe, expect, it } from 'vitest';
import { parseBaseManifest, parseStackManifest } from '../../src/stacks/stack-manifest.js';

const good = {
  name: 'python-3.11',
  language: 'python',
  version: '3.11',
  base: 'base-bookworm',
  run: ['python3', '{entry}'],
  smoke: { command: ['python3', '--version'], expect: '^Python 3\\.11\\.' },
};

const withChange = (change: Record<string, unknown>) => JSON.stringify({ ...good, ...change });

describe('parseStackManifest', () => {
  it('accepts a complete stack.json', () => {
    const parsed = parseStackManifest(JSON.stringify(good), 'python-3.11');
    expect(parsed).toEqual({ ok: true, value: good });
  });

  it.each([
    ['{"name":', 'stack.json is not valid JSON'],
    ['[1,2]', 'stack.json is not a JSON object'],
    [withChange({ language: '' }), '"language" must be a non-empty string'],
    [withChange({ version: 3.11 }), '"version" must be a non-empty string'],
    [withChange({ name: 'python' }), '"name" is "python" but the directory is "python-3.11"'],
    [withChange({ run: [] }), '"run" must be a non-empty string array'],
    [withChange({ smoke: { command: ['x'] } }), '"smoke" must be'],
    [
      withChange({ smoke: { command: ['x'], expect: '(' } }),
      '"smoke.expect" is not a valid regular expression',
    ],
    [withChange({ runtime: '' }), '"runtime" must name a directory of stacks/runtimes'],
    [withChange({ runtime: '../node' }), '"runtime" must name a directory of stacks/runtimes'],
    [withChange({ runtime: 7 }), '"runtime" must name a directory of stacks/runtimes'],
  ])('rejects %s with one line naming the problem', (text, message) => {
    const parsed = parseStackManifest(text, 'python-3.11');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toContain(message);
      expect(parsed.error).not.toContain('\n');
    }
  });

  it('accepts an optional runtime directory name', () => {
    const parsed = parseStackManifest(withChange({ runtime: 'python' }), 'python-3.11');
    expect(parsed).toEqual({ ok: true, value: { ...good, runtime: 'python' } });
  });

  it('reports every problem of one file on the same line', () => {
    const parsed = parseStackManifest(JSON.stringify({ name: 'x' }), 'x');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.split('; ').length).toBeGreaterThanOrEqual(4);
  });
});

describe('parseBaseManifest', () => {
  const base = {
    name: 'base-trixie',
    suite: 'trixie',
    mirror: 'http://m',
    securityMirror: 'http://s',
    packages: ['tzdata'],
  };

  it('accepts a complete base.json', () => {
    expect(parseBaseManifest(JSON.stringify(base), 'base-trixie').ok).toBe(true);
  });

  it('rejects a name that differs from the directory and non-string packages', () => {
    const parsed = parseBaseManifest(JSON.stringify({ ...base, packages: [1] }), 'base-other');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/"name" must equal.*"packages" must be a string array/);
  });
});

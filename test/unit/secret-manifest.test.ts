import { describe, expect, it } from 'vitest';
import { type ManifestContext, parseManifest } from '../../src/code/package-manifest.js';

const ctx: ManifestContext = { runTemplate: async () => null, fileExists: () => true };
const parse = (extra: Record<string, unknown>) =>
  parseManifest(JSON.stringify({ name: 'p', stack: 'node-20', command: ['node', 'a.js'], ...extra }), ctx);

describe('berth.json secrets', () => {
  it('takes names (env) and {name, as} objects; only names are kept', async () => {
    const r = await parse({ secrets: ['DB_PASSWORD', { name: 'TLS_KEY', as: 'file' }, { name: 'TOKEN' }] });
    expect(r.ok && r.manifest.secrets).toEqual([
      { name: 'DB_PASSWORD', as: 'env' },
      { name: 'TLS_KEY', as: 'file' },
      { name: 'TOKEN', as: 'env' },
    ]);
  });

  it('reports every bad declaration at once, one per entry', async () => {
    const r = await parse({
      env: { MODE: 'x' },
      secrets: [
        'ok_1',
        'bad-name',
        { name: 'HOME' },
        { name: 'F', as: 'disk' },
        'ok_1',
        'MODE',
        { name: 'X', value: 'v' },
      ],
    });
    expect(r.ok ? [] : r.errors).toEqual([
      'secrets[1]: "bad-name" is not a valid secret name (a letter or "_", then letters, digits or "_", at most 128)',
      'secrets[2]: "HOME" is reserved (set by the launcher for every task)',
      'secrets[3]: "as" must be "env" or "file", got "disk"',
      'secrets[4]: "ok_1" is declared twice',
      'secrets[5]: "MODE" is also in env (env values are not secret; drop it there)',
      'secrets[6]: unknown field "value"',
    ]);
    const notArray = await parse({ secrets: { DB: 'x' } });
    expect(notArray.ok ? [] : notArray.errors).toEqual([
      'secrets: must be an array of names or {"name", "as"} objects',
    ]);
  });

  it('defaults to none', async () => {
    const r = await parse({});
    expect(r.ok && r.manifest.secrets).toEqual([]);
  });
});

import { chmodSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../src/config/worker-config.js';
import { DirSecretSource, MAX_SECRET_BYTES } from '../../src/secrets/dir-secret-source.js';
import { EnvSecretSource } from '../../src/secrets/env-secret-source.js';
import { createSecretResolver, SecretResolver } from '../../src/secrets/secret-resolver.js';
import { parseSecretsConfig } from '../../src/secrets/secrets-config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-secrets-'));
  chmodSync(dir, 0o700);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString();

describe('secrets settings', () => {
  it('parses BERTH_SECRETS_DIR and BERTH_SECRETS_FROM_ENV once into a frozen config', () => {
    const c = loadWorkerConfig(
      {},
      { BERTH_SECRETS_DIR: dir, BERTH_SECRETS_FROM_ENV: 'DB_PASSWORD, API_KEY,DB_PASSWORD' },
    );
    expect(c.secrets).toEqual({ dir, fromEnv: ['DB_PASSWORD', 'API_KEY'] });
    expect(Object.isFrozen(c.secrets)).toBe(true);
    expect(loadWorkerConfig({}, {}).secrets).toEqual({ dir: null, fromEnv: [] });
  });

  it('refuses a missing directory, a file, a world-writable directory and bad names', () => {
    expect(() => parseSecretsConfig(join(dir, 'nope'), [])).toThrow(/cannot be used: ENOENT/);
    writeFileSync(join(dir, 'f'), 'x');
    expect(() => parseSecretsConfig(join(dir, 'f'), [])).toThrow(/is not a directory/);
    chmodSync(dir, 0o777);
    expect(() => parseSecretsConfig(dir, [])).toThrow(/writable by every user \(mode 777\)/);
    chmodSync(dir, 0o1777); // sticky, as a Kubernetes secret volume
    expect(parseSecretsConfig(dir, []).dir).toBe(dir);
    expect(() => parseSecretsConfig(undefined, ['not-a-name'])).toThrow(
      /BERTH_SECRETS_FROM_ENV: "not-a-name"/,
    );
    expect(() => parseSecretsConfig(undefined, ['HOME'])).toThrow(/reserved/);
    expect(() => loadWorkerConfig({}, { BERTH_SECRETS_FROM_ENV: '1X' })).toThrow(/not a valid secret name/);
  });
});

describe('DirSecretSource', () => {
  it('reads <dir>/<NAME>, says where it looked when absent, and re-reads a changed file', async () => {
    const source = new DirSecretSource(dir);
    expect(await source.lookup('DB')).toEqual({ kind: 'absent', looked: `file ${join(dir, 'DB')}` });
    writeFileSync(join(dir, 'DB'), 'first\n', { mode: 0o600 });
    const a = await source.lookup('DB');
    expect(a.kind === 'found' && text(a.value)).toBe('first\n');
    writeFileSync(join(dir, 'DB'), 'second-longer\n');
    utimesSync(join(dir, 'DB'), new Date(), new Date(Date.now() + 5000));
    const b = await source.lookup('DB');
    expect(b.kind === 'found' && text(b.value)).toBe('second-longer\n');
  });

  it('refuses world-writable files, non-files and oversized files without reading them', async () => {
    const source = new DirSecretSource(dir);
    writeFileSync(join(dir, 'W'), 'v');
    chmodSync(join(dir, 'W'), 0o666);
    expect(await source.lookup('W')).toMatchObject({
      kind: 'unusable',
      reason: expect.stringMatching(/writable by every user/),
    });
    expect(await source.lookup('.')).toMatchObject({
      kind: 'unusable',
      reason: expect.stringMatching(/not a regular file/),
    });
    writeFileSync(join(dir, 'BIG'), Buffer.alloc(MAX_SECRET_BYTES + 1));
    expect(await source.lookup('BIG')).toMatchObject({
      kind: 'unusable',
      reason: expect.stringMatching(/more than 65536/),
    });
  });
});

describe('EnvSecretSource', () => {
  it('gives only allow-listed variables and says which list it consulted', async () => {
    const env = { A: 'alpha', B: 'beta' };
    const source = new EnvSecretSource(['A', 'C'], env);
    const a = await source.lookup('A');
    expect(a.kind === 'found' && text(a.value)).toBe('alpha');
    expect(await source.lookup('B')).toEqual({
      kind: 'absent',
      looked: 'B is not in BERTH_SECRETS_FROM_ENV',
    });
    expect(await source.lookup('C')).toEqual({
      kind: 'absent',
      looked: "C is in BERTH_SECRETS_FROM_ENV but not set in the worker's environment",
    });
  });
});

describe('SecretResolver', () => {
  it('directory first, then env; env values lose one final line break, files keep their bytes', async () => {
    writeFileSync(join(dir, 'DB'), 'from-dir\n');
    writeFileSync(join(dir, 'KEY'), '-----BEGIN-----\nabc\n');
    const r = createSecretResolver({ dir, fromEnv: ['DB', 'TOKEN'] }, { DB: 'from-env', TOKEN: 'tok' });
    const got = await r.resolve(
      [
        { name: 'DB', as: 'env' },
        { name: 'TOKEN', as: 'env' },
        { name: 'KEY', as: 'file' },
      ],
      "code package 'p@1'",
    );
    if (!got.ok) throw new Error(got.reason);
    expect(got.secrets.env).toEqual({ DB: 'from-dir', TOKEN: 'tok' });
    expect(got.secrets.files.map((f) => [f.name, text(f.data)])).toEqual([['KEY', '-----BEGIN-----\nabc\n']]);
    expect(got.secrets.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(text(got.secrets.redactor.bytes(Buffer.from('x from-dir tok -----BEGIN-----\nabc y')))).toBe(
      'x [redacted:DB] [redacted:TOKEN] [redacted:KEY] y',
    );
  });

  it('a missing or unusable secret: one reason naming each and where the worker looked, no value', async () => {
    writeFileSync(join(dir, 'BAD'), 'leaky');
    chmodSync(join(dir, 'BAD'), 0o666);
    const r = createSecretResolver({ dir, fromEnv: ['OTHER'] }, { OTHER: 'o', NOPE: 'not-allowed' });
    const got = await r.resolve(
      [
        { name: 'NOPE', as: 'env' },
        { name: 'BAD', as: 'file' },
      ],
      "code package 'p@2'",
    );
    expect(got.ok).toBe(false);
    const reason = got.ok ? '' : got.reason;
    expect(reason).toBe(
      `code package 'p@2' needs secrets this worker cannot give: secret 'NOPE' is not provided (looked for file ${join(dir, 'NOPE')}; NOPE is not in BERTH_SECRETS_FROM_ENV); secret 'BAD' is unusable: ${join(dir, 'BAD')} is writable by every user (mode 666); refusing it`,
    );
    expect(reason).not.toContain('not-allowed');
    expect(reason).not.toContain('leaky');
  });

  it('without any source the reason says how to configure one', async () => {
    const got = await new SecretResolver([]).resolve([{ name: 'X', as: 'env' }], "code package 'p@1'");
    expect(got.ok ? '' : got.reason).toMatch(
      /secret 'X' is not provided: this worker has no secrets configured \(set BERTH_SECRETS_DIR or BERTH_SECRETS_FROM_ENV\)/,
    );
  });

  it('binary values cannot be environment variables but can be files', async () => {
    writeFileSync(join(dir, 'BIN'), Buffer.from([0xff, 0x00, 0x01]));
    const r = createSecretResolver({ dir, fromEnv: [] });
    const asEnv = await r.resolve([{ name: 'BIN', as: 'env' }], 'pkg');
    expect(asEnv.ok ? '' : asEnv.reason).toMatch(/not UTF-8 text without NUL bytes.*declare it "as": "file"/);
    const asFile = await r.resolve([{ name: 'BIN', as: 'file' }], 'pkg');
    expect(asFile.ok && [...(asFile.secrets.files[0]?.data ?? [])]).toEqual([0xff, 0x00, 0x01]);
  });

  it('the fingerprint changes with a value and differs between worker processes (salted)', async () => {
    const decl = [{ name: 'S', as: 'env' as const }];
    const r = createSecretResolver({ dir, fromEnv: [] });
    writeFileSync(join(dir, 'S'), 'one');
    const a = await r.resolve(decl, 'pkg');
    const same = await r.resolve(decl, 'pkg');
    writeFileSync(join(dir, 'S'), 'two-changed');
    const b = await r.resolve(decl, 'pkg');
    const other = await createSecretResolver({ dir, fromEnv: [] }).resolve(decl, 'pkg');
    const fp = (x: typeof a) => (x.ok ? x.secrets.fingerprint : 'none');
    expect(fp(a)).toBe(fp(same));
    expect(fp(b)).not.toBe(fp(a));
    expect(fp(other)).not.toBe(fp(b));
  });
});

import { createHash, randomBytes } from 'node:crypto';
import type { SecretDeclaration } from '../domain/code-package.js';
import type { SecretFile } from '../domain/executor-port.js';
import { DirSecretSource } from './dir-secret-source.js';
import { EnvSecretSource } from './env-secret-source.js';
import { SecretRedactor } from './secret-redactor.js';
import type { SecretSourcePort } from './secret-source-port.js';
import type { SecretsConfig } from './secrets-config.js';

/** The secrets of one task, resolved on this worker. */
export interface ResolvedSecrets {
  /** Secrets declared `"as": "env"`: added to the task's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Secrets declared `"as": "file"`: written to /run/secrets/<name>. */
  readonly files: readonly SecretFile[];
  /**
   * Salted digest (salt random per worker process) of names, deliveries and values: containers
   * kept across tasks are keyed by it, so a changed value never reuses a container holding the
   * old one. Reveals nothing about the values.
   */
  readonly fingerprint: string;
  readonly redactor: SecretRedactor;
}

export type SecretResolution =
  | { readonly ok: true; readonly secrets: ResolvedSecrets }
  | { readonly ok: false; readonly reason: string };

/** Resolves a package's declared secrets on the worker's host. */
export interface SecretResolverPort {
  /**
   * Contract: never rejects; resolves every declared name or returns one reason naming each
   * missing or unusable secret and where the worker looked, never a value. `owner` names the
   * package in the reason (e.g. `code package 'x@2'`).
   */
  resolve(declarations: readonly SecretDeclaration[], owner: string): Promise<SecretResolution>;
}

const EMPTY: ResolvedSecrets = Object.freeze({
  env: Object.freeze({}),
  files: Object.freeze([]),
  fingerprint: '',
  redactor: new SecretRedactor([]),
});

/**
 * Looks each name up in the sources in order (the secrets directory, then the allow-listed
 * environment): the first that has it wins. A value delivered as an environment variable loses
 * one trailing line break (`echo x > file` gives `x`) and must be UTF-8 text without NUL bytes;
 * a file gets the exact bytes.
 */
export class SecretResolver implements SecretResolverPort {
  private readonly salt = randomBytes(16);

  constructor(private readonly sources: readonly SecretSourcePort[]) {}

  async resolve(declarations: readonly SecretDeclaration[], owner: string): Promise<SecretResolution> {
    if (declarations.length === 0) return { ok: true, secrets: EMPTY };
    const env: Record<string, string> = {};
    const files: SecretFile[] = [];
    const problems: string[] = [];
    const hash = createHash('sha256').update(this.salt);
    const redacted: { name: string; value: Uint8Array }[] = [];
    for (const d of declarations) {
      const found = await this.lookup(d.name);
      if (typeof found === 'string') {
        problems.push(`secret '${d.name}' ${found}`);
        continue;
      }
      hash.update(`${d.name}\0${d.as}\0${found.byteLength}\0`).update(found);
      if (d.as === 'file') {
        files.push({ name: d.name, data: found });
        redacted.push({ name: d.name, value: withoutFinalLineBreak(found) });
        continue;
      }
      const text = envText(found);
      if (text === null)
        problems.push(
          `secret '${d.name}' is not UTF-8 text without NUL bytes, so it cannot be an environment variable (declare it "as": "file")`,
        );
      else {
        env[d.name] = text;
        redacted.push({ name: d.name, value: Buffer.from(text, 'utf8') });
      }
    }
    if (problems.length > 0)
      return { ok: false, reason: `${owner} needs secrets this worker cannot give: ${problems.join('; ')}` };
    return {
      ok: true,
      secrets: {
        env: Object.freeze(env),
        files: Object.freeze(files),
        fingerprint: hash.digest('hex').slice(0, 16),
        redactor: new SecretRedactor(redacted),
      },
    };
  }

  /** The value, or why there is none (where the worker looked). */
  private async lookup(name: string): Promise<Uint8Array | string> {
    if (this.sources.length === 0)
      return 'is not provided: this worker has no secrets configured (set BERTH_SECRETS_DIR or BERTH_SECRETS_FROM_ENV)';
    const looked: string[] = [];
    for (const source of this.sources) {
      const r = await source.lookup(name);
      if (r.kind === 'found') return r.value;
      if (r.kind === 'unusable') return `is unusable: ${r.reason}`;
      looked.push(r.looked);
    }
    return `is not provided (looked for ${looked.join('; ')})`;
  }
}

/** The sources `config` names, in lookup order. */
export function createSecretResolver(
  config: SecretsConfig,
  env: NodeJS.ProcessEnv = process.env,
): SecretResolver {
  const sources: SecretSourcePort[] = [];
  if (config.dir !== null) sources.push(new DirSecretSource(config.dir));
  if (config.fromEnv.length > 0) sources.push(new EnvSecretSource(config.fromEnv, env));
  return new SecretResolver(sources);
}

function withoutFinalLineBreak(value: Uint8Array): Uint8Array {
  let end = value.byteLength;
  if (end > 0 && value[end - 1] === 0x0a) end--;
  if (end > 0 && value[end - 1] === 0x0d && end < value.byteLength) end--;
  return value.subarray(0, end);
}

function envText(value: Uint8Array): string | null {
  const trimmed = withoutFinalLineBreak(value);
  if (trimmed.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(trimmed);
  } catch {
    return null;
  }
}

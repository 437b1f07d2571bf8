import type { SecretLookup, SecretSourcePort } from './secret-source-port.js';

/**
 * Secrets from the worker's own environment, only for names on the allow-list
 * (`BERTH_SECRETS_FROM_ENV`): no other variable of the worker can be asked for by a package.
 * Values are copied once, at construction (a process's environment does not change from outside).
 */
export class EnvSecretSource implements SecretSourcePort {
  private readonly values = new Map<string, Uint8Array>();

  constructor(
    private readonly allowed: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    for (const name of allowed) {
      const v = env[name];
      if (v !== undefined) this.values.set(name, new Uint8Array(Buffer.from(v, 'utf8')));
    }
  }

  async lookup(name: string): Promise<SecretLookup> {
    const value = this.values.get(name);
    if (value !== undefined) return { kind: 'found', value };
    return {
      kind: 'absent',
      looked: this.allowed.includes(name)
        ? `${name} is in BERTH_SECRETS_FROM_ENV but not set in the worker's environment`
        : `${name} is not in BERTH_SECRETS_FROM_ENV`,
    };
  }
}

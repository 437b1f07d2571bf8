import { readFileSync } from 'node:fs';
import { InfraError } from '../domain/infra-error.js';

/** SASL mechanisms Berth's Kafka clients speak (lower case, as KafkaJS names them). */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** TLS towards the brokers. PEM texts are read once, at load. */
export interface KafkaTlsSettings {
  /** CA bundle (PEM) that signs the brokers' certificates; null: Node's built-in public roots. */
  readonly ca: string | null;
  /** Client certificate chain (PEM) for mutual TLS; null: none. */
  readonly cert: string | null;
  /** The client certificate's private key (PEM, unencrypted); null with `cert`. */
  readonly key: string | null;
  /** Check the broker's certificate chain and host name (default true; off only when asked). */
  readonly verify: boolean;
}

/** SASL authentication after the connection (and TLS handshake) is up. */
export type KafkaSaslSettings =
  | {
      readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
      readonly username: string;
      readonly password: string;
    }
  | {
      readonly mechanism: 'oauthbearer';
      /** File holding the bearer token; re-read at every authentication so it can be rotated. */
      readonly tokenFile: string;
    };

/**
 * How every Berth Kafka client (worker, CLI, SDK, `berth infra`) secures its connections: parsed
 * and validated once, frozen. Contract: `tls` null means plaintext, `sasl` null means no
 * authentication; `warnings` lists settings that weaken security (verification off, a password
 * sent without TLS) — entry points print them at start.
 */
export interface KafkaSecurityConfig {
  readonly tls: KafkaTlsSettings | null;
  readonly sasl: KafkaSaslSettings | null;
  readonly warnings: readonly string[];
}

/** Plaintext, no authentication: what a client gets when nothing is configured. */
export const NO_KAFKA_SECURITY: KafkaSecurityConfig = Object.freeze({
  tls: null,
  sasl: null,
  warnings: Object.freeze([]),
});

/**
 * The security settings as a plain object, e.g. for an SDK user:
 * `new BerthClient({ brokers, security: kafkaSecurity({ ssl: true, saslMechanism: 'scram-sha-512', … }) })`.
 * File settings take paths; a password may be given inline or as a file, not both.
 */
export interface KafkaSecurityOptions {
  /** Connect with TLS; default: on when a CA, certificate or key file is given, else off. */
  readonly ssl?: boolean;
  readonly sslCaFile?: string;
  readonly sslCertFile?: string;
  readonly sslKeyFile?: string;
  /** Default true; false accepts any broker certificate (a warning says so). */
  readonly sslVerify?: boolean;
  readonly saslMechanism?: string;
  readonly saslUsername?: string;
  readonly saslPassword?: string;
  readonly saslPasswordFile?: string;
  /** OAUTHBEARER: file with the token (e.g. written by a sidecar that refreshes it). */
  readonly saslOauthbearerTokenFile?: string;
}

type OptionKey = keyof KafkaSecurityOptions;

/** One setting: its `BERTH_*` variable and CLI flag (every `berth` command takes the flag). */
export interface KafkaSecuritySettingSpec {
  readonly env: string;
  readonly flag: string;
  readonly boolean: boolean;
  readonly help: string;
}

/** The table of security settings; env reading, CLI flags and help derive from it. */
export const KAFKA_SECURITY_SETTINGS: { readonly [K in OptionKey]-?: KafkaSecuritySettingSpec } = {
  ssl: {
    env: 'BERTH_KAFKA_SSL',
    flag: 'kafka-ssl',
    boolean: true,
    help: 'connect to Kafka with TLS (default: on when a CA/cert/key file is set)',
  },
  sslCaFile: {
    env: 'BERTH_KAFKA_SSL_CA_FILE',
    flag: 'kafka-ssl-ca-file',
    boolean: false,
    help: 'PEM CA bundle for the brokers (default: public roots)',
  },
  sslCertFile: {
    env: 'BERTH_KAFKA_SSL_CERT_FILE',
    flag: 'kafka-ssl-cert-file',
    boolean: false,
    help: 'PEM client certificate (mutual TLS)',
  },
  sslKeyFile: {
    env: 'BERTH_KAFKA_SSL_KEY_FILE',
    flag: 'kafka-ssl-key-file',
    boolean: false,
    help: 'PEM private key of the client certificate',
  },
  sslVerify: {
    env: 'BERTH_KAFKA_SSL_VERIFY',
    flag: 'kafka-ssl-verify',
    boolean: true,
    help: 'verify the broker certificate and host name (default true)',
  },
  saslMechanism: {
    env: 'BERTH_KAFKA_SASL_MECHANISM',
    flag: 'kafka-sasl-mechanism',
    boolean: false,
    help: `SASL mechanism: ${SASL_MECHANISMS.join(', ')}`,
  },
  saslUsername: {
    env: 'BERTH_KAFKA_SASL_USERNAME',
    flag: 'kafka-sasl-username',
    boolean: false,
    help: 'SASL user (PLAIN, SCRAM)',
  },
  saslPassword: {
    env: 'BERTH_KAFKA_SASL_PASSWORD',
    flag: 'kafka-sasl-password',
    boolean: false,
    help: 'SASL password (prefer the _FILE variant)',
  },
  saslPasswordFile: {
    env: 'BERTH_KAFKA_SASL_PASSWORD_FILE',
    flag: 'kafka-sasl-password-file',
    boolean: false,
    help: 'file holding the SASL password',
  },
  saslOauthbearerTokenFile: {
    env: 'BERTH_KAFKA_SASL_OAUTHBEARER_TOKEN_FILE',
    flag: 'kafka-sasl-oauthbearer-token-file',
    boolean: false,
    help: 'OAUTHBEARER token file, re-read at every authentication',
  },
};

const OPTION_KEYS = Object.keys(KAFKA_SECURITY_SETTINGS) as OptionKey[];

type Label = (key: OptionKey) => string;

function fail(message: string): never {
  throw new InfraError(message, { retriable: false, component: 'config' });
}

function parseBoolean(raw: string, label: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return fail(`${label} must be true or false, got '${raw}'`);
}

function readText(path: string, label: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
    return fail(`${label}: cannot read '${path}' (${why ?? (err as Error).message})`);
  }
}

function readPem(path: string, label: string, what: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  const text = readText(path, label);
  const pattern =
    what === 'CERTIFICATE' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  if (!pattern.test(text)) fail(`${label}: '${path}' holds no PEM ${what.toLowerCase()}`);
  if (what === 'PRIVATE KEY' && /ENCRYPTED/.test(text))
    fail(`${label}: '${path}' is an encrypted key; give an unencrypted PEM key`);
  return text;
}

function isSet(v: string | boolean | undefined): boolean {
  return v !== undefined && v !== '';
}

function str(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function resolveTls(o: KafkaSecurityOptions, label: Label, warnings: string[]): KafkaTlsSettings | null {
  const anyFile = isSet(o.sslCaFile) || isSet(o.sslCertFile) || isSet(o.sslKeyFile);
  if (o.ssl === false) {
    const file = (['sslCaFile', 'sslCertFile', 'sslKeyFile'] as const).find((k) => isSet(o[k]));
    if (file) fail(`${label('ssl')} is false but ${label(file)} is set`);
    if (o.sslVerify !== undefined) fail(`${label('sslVerify')} is set but ${label('ssl')} is false`);
    return null;
  }
  if (o.ssl !== true && !anyFile) {
    if (o.sslVerify !== undefined)
      fail(`${label('sslVerify')} is set but TLS is off (set ${label('ssl')}=true)`);
    return null;
  }
  const certFile = str(o.sslCertFile);
  const keyFile = str(o.sslKeyFile);
  if (certFile && !keyFile) fail(`${label('sslCertFile')} is set without ${label('sslKeyFile')}`);
  if (keyFile && !certFile) fail(`${label('sslKeyFile')} is set without ${label('sslCertFile')}`);
  const caFile = str(o.sslCaFile);
  const verify = o.sslVerify ?? true;
  if (!verify)
    warnings.push(
      `TLS certificate verification is off (${label('sslVerify')}=false): any server can pose as the Kafka broker`,
    );
  return Object.freeze({
    ca: caFile ? readPem(caFile, label('sslCaFile'), 'CERTIFICATE') : null,
    cert: certFile ? readPem(certFile, label('sslCertFile'), 'CERTIFICATE') : null,
    key: keyFile ? readPem(keyFile, label('sslKeyFile'), 'PRIVATE KEY') : null,
    verify,
  });
}

function resolveSasl(
  o: KafkaSecurityOptions,
  label: Label,
  tls: boolean,
  warnings: string[],
): KafkaSaslSettings | null {
  const rawMechanism = str(o.saslMechanism);
  const username = str(o.saslUsername);
  const password = str(o.saslPassword);
  const passwordFile = str(o.saslPasswordFile);
  const tokenFile = str(o.saslOauthbearerTokenFile);
  if (!rawMechanism) {
    const stray = (
      ['saslUsername', 'saslPassword', 'saslPasswordFile', 'saslOauthbearerTokenFile'] as const
    ).find((k) => isSet(o[k]));
    if (stray)
      fail(`${label(stray)} is set without ${label('saslMechanism')} (${SASL_MECHANISMS.join(', ')})`);
    return null;
  }
  const mechanism = rawMechanism.trim().toLowerCase() as SaslMechanism;
  if (!SASL_MECHANISMS.includes(mechanism))
    fail(`${label('saslMechanism')} must be one of ${SASL_MECHANISMS.join(', ')}, got '${rawMechanism}'`);
  if (mechanism === 'oauthbearer') {
    const stray = (['saslUsername', 'saslPassword', 'saslPasswordFile'] as const).find((k) => isSet(o[k]));
    if (stray)
      fail(`${label(stray)} does not apply to OAUTHBEARER (it uses ${label('saslOauthbearerTokenFile')})`);
    if (!tokenFile) fail(`${label('saslMechanism')}=oauthbearer needs ${label('saslOauthbearerTokenFile')}`);
    if (readText(tokenFile, label('saslOauthbearerTokenFile')).trim() === '')
      fail(`${label('saslOauthbearerTokenFile')}: '${tokenFile}' is empty`);
    if (!tls) warnings.push('SASL OAUTHBEARER without TLS: the token crosses the network in clear text');
    return Object.freeze({ mechanism, tokenFile });
  }
  if (tokenFile)
    fail(`${label('saslOauthbearerTokenFile')} applies only to ${label('saslMechanism')}=oauthbearer`);
  if (!username) fail(`${label('saslMechanism')}=${mechanism} needs ${label('saslUsername')}`);
  if (password && passwordFile)
    fail(`set ${label('saslPassword')} or ${label('saslPasswordFile')}, not both`);
  if (!password && !passwordFile)
    fail(`${label('saslUsername')} is set without ${label('saslPassword')} or ${label('saslPasswordFile')}`);
  const secret =
    password ?? readText(passwordFile as string, label('saslPasswordFile')).replace(/\r?\n$/, '');
  if (secret === '') fail(`${label('saslPasswordFile')}: '${passwordFile}' is empty`);
  if (mechanism === 'plain' && !tls)
    warnings.push('SASL PLAIN without TLS: the password crosses the network in clear text');
  const settings = { mechanism, username, password: secret };
  // Keep the password out of JSON dumps of a config.
  Object.defineProperty(settings, 'toJSON', {
    value: () => ({ mechanism, username, password: '<redacted>' }),
    enumerable: false,
  });
  return Object.freeze(settings);
}

function resolve(o: KafkaSecurityOptions, label: Label): KafkaSecurityConfig {
  const warnings: string[] = [];
  const tls = resolveTls(o, label, warnings);
  const sasl = resolveSasl(o, label, tls !== null, warnings);
  if (tls === null && sasl === null) return NO_KAFKA_SECURITY;
  return Object.freeze({ tls, sasl, warnings: Object.freeze(warnings) });
}

/**
 * Validates security options given as an object (SDK users), reads the files they name and
 * freezes the result. Throws a one-line `InfraError` (component `config`) naming the bad option.
 */
export function kafkaSecurity(options: KafkaSecurityOptions = {}): KafkaSecurityConfig {
  return resolve(options, (key) => key);
}

/**
 * Reads the `BERTH_KAFKA_SSL*` / `BERTH_KAFKA_SASL_*` variables (the `berth` CLI turns its
 * `--kafka-*` flags into them first), validates, reads the files and freezes the result. Throws a
 * one-line `InfraError` (component `config`) naming the bad variable and its flag.
 */
export function kafkaSecurityFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaSecurityConfig {
  const label: Label = (key) =>
    `${KAFKA_SECURITY_SETTINGS[key].env} (--${KAFKA_SECURITY_SETTINGS[key].flag})`;
  const options: Record<string, string | boolean> = {};
  for (const key of OPTION_KEYS) {
    const spec = KAFKA_SECURITY_SETTINGS[key];
    const raw = env[spec.env];
    if (raw === undefined || raw === '') continue;
    options[key] = spec.boolean ? parseBoolean(raw, label(key)) : raw;
  }
  return resolve(options as KafkaSecurityOptions, label);
}

/** Short description for log lines, e.g. `TLS (CA /etc/ca.pem), SASL SCRAM-SHA-512 as "alice"`. */
export function describeKafkaSecurity(c: KafkaSecurityConfig): string {
  const parts: string[] = [];
  if (c.tls)
    parts.push(`TLS${c.tls.cert ? ' with client certificate' : ''}${c.tls.verify ? '' : ' (unverified)'}`);
  if (c.sasl)
    parts.push(
      c.sasl.mechanism === 'oauthbearer'
        ? 'SASL OAUTHBEARER'
        : `SASL ${c.sasl.mechanism.toUpperCase()} as "${c.sasl.username}"`,
    );
  return parts.length === 0 ? 'plaintext' : parts.join(', ');
}

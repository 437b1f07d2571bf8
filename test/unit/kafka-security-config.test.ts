import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { takeKafkaSecurityFlags } from '../../src/cli/kafka-security-flags.js';
import {
  kafkaSecurity,
  kafkaSecurityFromEnv,
  NO_KAFKA_SECURITY,
} from '../../src/config/kafka-security-config.js';
import { kafkaSecurityFailureOf } from '../../src/kafka/kafka-security-failure.js';

let dir = '';
let ca = '';
let key = '';
let passwordFile = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-security-unit-'));
  ca = join(dir, 'ca.pem');
  key = join(dir, 'ca.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=t',
      '-keyout',
      key,
      '-out',
      ca,
    ],
    { stdio: 'ignore' },
  );
  passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, 'from-file\n');
});

describe('kafkaSecurityFromEnv', () => {
  it('nothing set: plaintext, no authentication', () => {
    expect(kafkaSecurityFromEnv({})).toBe(NO_KAFKA_SECURITY);
  });

  it('reads TLS files and SASL settings, verification on by default, frozen', () => {
    const c = kafkaSecurityFromEnv({
      BERTH_KAFKA_SSL_CA_FILE: ca,
      BERTH_KAFKA_SSL_CERT_FILE: ca,
      BERTH_KAFKA_SSL_KEY_FILE: key,
      BERTH_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      BERTH_KAFKA_SASL_USERNAME: 'alice',
      BERTH_KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(c.tls).toEqual({
      ca: readFileSync(ca, 'utf8'),
      cert: readFileSync(ca, 'utf8'),
      key: readFileSync(key, 'utf8'),
      verify: true,
    });
    expect(c.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'alice', password: 'from-file' });
    expect(c.warnings).toEqual([]);
    expect(Object.isFrozen(c) && Object.isFrozen(c.tls) && Object.isFrozen(c.sasl)).toBe(true);
    expect(JSON.stringify(c)).not.toContain('from-file');
  });

  it('BERTH_KAFKA_SSL=true alone uses the public roots; verify=false warns', () => {
    expect(kafkaSecurityFromEnv({ BERTH_KAFKA_SSL: 'true' }).tls).toEqual({
      ca: null,
      cert: null,
      key: null,
      verify: true,
    });
    const off = kafkaSecurityFromEnv({ BERTH_KAFKA_SSL: '1', BERTH_KAFKA_SSL_VERIFY: 'false' });
    expect(off.tls?.verify).toBe(false);
    expect(off.warnings[0]).toMatch(
      /verification is off \(BERTH_KAFKA_SSL_VERIFY \(--kafka-ssl-verify\)=false\)/,
    );
  });

  it('PLAIN without TLS warns that the password travels in clear text', () => {
    const c = kafkaSecurityFromEnv({
      BERTH_KAFKA_SASL_MECHANISM: 'plain',
      BERTH_KAFKA_SASL_USERNAME: 'u',
      BERTH_KAFKA_SASL_PASSWORD: 'p',
    });
    expect(c.tls).toBeNull();
    expect(c.warnings).toEqual(['SASL PLAIN without TLS: the password crosses the network in clear text']);
  });

  it.each([
    [
      { BERTH_KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' },
      "BERTH_KAFKA_SSL_CA_FILE (--kafka-ssl-ca-file): cannot read '/nonexistent/ca.pem' (no such file)",
    ],
    [{ BERTH_KAFKA_SSL_CA_FILE: '__PW__' }, 'holds no PEM certificate'],
    [
      { BERTH_KAFKA_SSL_CERT_FILE: '__CA__' },
      'BERTH_KAFKA_SSL_CERT_FILE (--kafka-ssl-cert-file) is set without BERTH_KAFKA_SSL_KEY_FILE',
    ],
    [{ BERTH_KAFKA_SSL: 'maybe' }, "BERTH_KAFKA_SSL (--kafka-ssl) must be true or false, got 'maybe'"],
    [
      { BERTH_KAFKA_SSL: 'false', BERTH_KAFKA_SSL_CA_FILE: '__CA__' },
      'BERTH_KAFKA_SSL (--kafka-ssl) is false but BERTH_KAFKA_SSL_CA_FILE (--kafka-ssl-ca-file) is set',
    ],
    [{ BERTH_KAFKA_SSL_VERIFY: 'false' }, 'TLS is off'],
    [
      { BERTH_KAFKA_SASL_MECHANISM: 'gssapi' },
      "must be one of plain, scram-sha-256, scram-sha-512, oauthbearer, got 'gssapi'",
    ],
    [
      { BERTH_KAFKA_SASL_MECHANISM: 'plain', BERTH_KAFKA_SASL_USERNAME: 'u' },
      'BERTH_KAFKA_SASL_USERNAME (--kafka-sasl-username) is set without BERTH_KAFKA_SASL_PASSWORD',
    ],
    [
      { BERTH_KAFKA_SASL_MECHANISM: 'plain', BERTH_KAFKA_SASL_PASSWORD: 'p' },
      'needs BERTH_KAFKA_SASL_USERNAME',
    ],
    [
      { BERTH_KAFKA_SASL_USERNAME: 'u', BERTH_KAFKA_SASL_PASSWORD: 'p' },
      'is set without BERTH_KAFKA_SASL_MECHANISM',
    ],
    [
      {
        BERTH_KAFKA_SASL_MECHANISM: 'plain',
        BERTH_KAFKA_SASL_USERNAME: 'u',
        BERTH_KAFKA_SASL_PASSWORD: 'p',
        BERTH_KAFKA_SASL_PASSWORD_FILE: '__PW__',
      },
      'not both',
    ],
    [{ BERTH_KAFKA_SASL_MECHANISM: 'oauthbearer' }, 'needs BERTH_KAFKA_SASL_OAUTHBEARER_TOKEN_FILE'],
  ])('rejects %j naming the setting', (raw, message) => {
    const env = Object.fromEntries(
      Object.entries(raw).map(([k, v]) => [k, v === '__CA__' ? ca : v === '__PW__' ? passwordFile : v]),
    );
    expect(() => kafkaSecurityFromEnv(env)).toThrow(message);
  });
});

describe('kafkaSecurity (SDK options)', () => {
  it('names the option, not the variable', () => {
    expect(() => kafkaSecurity({ saslMechanism: 'scram-sha-256', saslUsername: 'u' })).toThrow(
      'saslUsername is set without saslPassword or saslPasswordFile',
    );
  });

  it('OAUTHBEARER takes a token file', () => {
    const token = join(dir, 'token');
    writeFileSync(token, 'eyJ.token\n');
    expect(
      kafkaSecurity({ ssl: true, saslMechanism: 'oauthbearer', saslOauthbearerTokenFile: token }).sasl,
    ).toEqual({
      mechanism: 'oauthbearer',
      tokenFile: token,
    });
  });
});

describe('takeKafkaSecurityFlags', () => {
  it('turns --kafka-* flags before -- into variables and leaves the rest', () => {
    const r = takeKafkaSecurityFlags([
      'submit',
      '--kafka-ssl',
      '--kafka-sasl-username',
      'alice',
      '--kafka-ssl-verify=false',
      '--json',
      '--',
      'cmd',
      '--kafka-ssl',
    ]);
    expect(r.argv).toEqual(['submit', '--json', '--', 'cmd', '--kafka-ssl']);
    expect(r.env).toEqual({
      BERTH_KAFKA_SSL: 'true',
      BERTH_KAFKA_SASL_USERNAME: 'alice',
      BERTH_KAFKA_SSL_VERIFY: 'false',
    });
    expect(() => takeKafkaSecurityFlags(['--kafka-sasl-username'])).toThrow(
      '--kafka-sasl-username needs a value',
    );
  });
});

describe('kafkaSecurityFailureOf', () => {
  it('maps KafkaJS SASL and TLS errors to one line, anything else to null', () => {
    const sasl = Object.assign(
      new Error('SASL SCRAM SHA512 authentication failed: Invalid username or password'),
      {
        name: 'KafkaJSSASLAuthenticationError',
      },
    );
    const security = kafkaSecurity({ saslMechanism: 'scram-sha-512', saslUsername: 'x', saslPassword: 'y' });
    expect(kafkaSecurityFailureOf(new Error('retries exceeded', { cause: sasl }), security)).toEqual({
      kind: 'credentials',
      text: 'rejected the credentials (SASL SCRAM-SHA-512 for user "x")',
    });
    const tls = Object.assign(new Error('Connection error: self-signed certificate in certificate chain'), {
      name: 'KafkaJSConnectionError',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(kafkaSecurityFailureOf(tls)?.text).toBe(
      'TLS: certificate not trusted (self-signed certificate in certificate chain); set BERTH_KAFKA_SSL_CA_FILE',
    );
    expect(
      kafkaSecurityFailureOf(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1')),
    ).toBeNull();
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { kafkaSecurity } from '../../src/config/kafka-security-config.js';
import { KafkaRefusedError } from '../../src/kafka/client-errors.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { berthCli, runBerth } from '../support/berth-cli.js';
import { TestBroker } from '../support/test-broker.js';
import { TestBrokerHarness } from '../support/test-broker-harness.js';
import { availableStacks } from './worker-harness.js';

/**
 * Issue 12 item 2: workers, CLI and SDK against a broker that only speaks SASL_SSL to them. One
 * test broker for the file: a SASL_SSL listener with certificates made here (a test CA, the
 * broker's certificate for 127.0.0.1/localhost, a client certificate; client certificates
 * requested), SCRAM users created at storage format time, PLAIN users in the listener's JAAS
 * config. The harness watches topics through the broker's PLAINTEXT listener, so what it sees
 * does not depend on the code under test. Runs the compiled CLI (npm run build first).
 */

const SCRAM_USER = 'alice';
const SCRAM_PASSWORD = `alice-${randomUUID()}`;
const PLAIN_USER = 'bob';
const PLAIN_PASSWORD = `bob-${randomUUID()}`;
const stack = availableStacks(['shell', 'python-3.11', 'node-20'])[0] ?? 'shell';

let broker: TestBroker;
let h: TestBrokerHarness;
let passwordFile = '';
let worker: ChildProcess | null = null;
let workerLog = '';

/** The environment of a worker or CLI speaking SCRAM-SHA-512 over verified TLS. */
function scramEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    BERTH_KAFKA_BROKERS: broker.saslSsl.bootstrap,
    BERTH_TOPIC_PREFIX: h.prefix,
    BERTH_KAFKA_SSL_CA_FILE: broker.saslSsl.caFile,
    BERTH_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    BERTH_KAFKA_SASL_USERNAME: SCRAM_USER,
    BERTH_KAFKA_SASL_PASSWORD_FILE: passwordFile,
    ...extra,
  };
}

function workerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return scramEnv({
    BERTH_METRICS_PORT: '0',
    BERTH_SLOTS: '2',
    BERTH_MEMORY_BUDGET_BYTES: String(1024 ** 3),
    BERTH_PREWARM_STACKS: stack,
    BERTH_CONTAINER_LABELS: Object.entries(h.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    ...extra,
  });
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${what}; worker log:\n${workerLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  broker = await TestBroker.start({
    saslSsl: {
      scramUsers: { [SCRAM_USER]: SCRAM_PASSWORD },
      plainUsers: { [PLAIN_USER]: PLAIN_PASSWORD },
      clientAuth: 'requested',
    },
  });
  h = new TestBrokerHarness(broker.bootstrap);
  await h.setUp(2);
  passwordFile = join(broker.dir, 'alice.password');
  writeFileSync(passwordFile, `${SCRAM_PASSWORD}\n`);
}, 180_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker?.once('exit', resolve));
  }
  await h?.tearDown();
  await broker?.stop();
}, 90_000);

describe('secured Kafka (SASL_SSL)', () => {
  it('SCRAM-SHA-512: a worker process runs tasks submitted by the CLI and by the SDK', async () => {
    worker = spawn(process.execPath, [berthCli, 'worker'], {
      env: { ...process.env, ...workerEnv() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    worker.stderr?.on('data', (d: Buffer) => {
      workerLog += d.toString();
    });
    await until('the worker to start', () => /metrics on /.test(workerLog), 90_000);

    // The CLI, with the password file given as a flag instead of its variable.
    const cli = await runBerth(
      ['run', stack, '--kafka-sasl-password-file', passwordFile, '--', 'sh', '-c', 'echo from-cli'],
      scramEnv({ BERTH_KAFKA_SASL_PASSWORD_FILE: '' }),
      180_000,
    );
    expect(cli.stderr).not.toMatch(/rejected|TLS/);
    expect(cli.stdout).toContain('from-cli');
    expect(cli.code).toBe(0);

    const client = new BerthClient({
      brokers: [broker.saslSsl.bootstrap],
      topicPrefix: h.prefix,
      security: kafkaSecurity({
        sslCaFile: broker.saslSsl.caFile,
        saslMechanism: 'scram-sha-512',
        saslUsername: SCRAM_USER,
        saslPassword: SCRAM_PASSWORD,
      }),
    });
    try {
      const result = await client.submitAndWait(
        { inline: { stack, command: ['sh', '-c', 'echo from-sdk'] } },
        { timeoutMs: 120_000 },
      );
      expect(result.status).toBe('SUCCEEDED');
      expect(Buffer.from(result.stdout).toString()).toContain('from-sdk');
    } finally {
      await client.close();
    }
    // Both results, seen through the PLAINTEXT listener by the harness.
    await until('two results on the results topic', () => h.results.length >= 2, 30_000);
    expect(h.results.map((r) => r.result.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  }, 300_000);

  it.each([
    ['plain', PLAIN_USER, false, PLAIN_PASSWORD],
    ['scram-sha-256', SCRAM_USER, false, SCRAM_PASSWORD],
    ['plain', PLAIN_USER, true, PLAIN_PASSWORD],
  ] as const)(
    'SASL %s as %s, client certificate %s: produce and consume a record',
    async (mechanism, username, clientCert, password) => {
      const security = kafkaSecurity({
        sslCaFile: broker.saslSsl.caFile,
        ...(clientCert
          ? { sslCertFile: broker.saslSsl.clientCertFile, sslKeyFile: broker.saslSsl.clientKeyFile }
          : {}),
        saslMechanism: mechanism,
        saslUsername: username,
        saslPassword: password,
      });
      const kafka = createKafka({ brokers: [broker.saslSsl.bootstrap], clientId: 'security-test', security });
      const value = `${mechanism}-${randomUUID()}`;
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      const consumer = kafka.consumer({ groupId: `${h.prefix}-${randomUUID()}`, maxWaitTimeInMs: 200 });
      try {
        await producer.connect();
        await producer.send({ topic: h.topics.control, acks: -1, messages: [{ key: 'k', value }] });
        await consumer.connect();
        await consumer.subscribe({ topic: h.topics.control, fromBeginning: true });
        const seen: string[] = [];
        await consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(String(message.value));
          },
        });
        await until(`the ${mechanism} record`, () => seen.includes(value), 30_000);
        expect(seen).toContain(value);
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
      }
    },
    60_000,
  );

  it('a wrong password: the worker says so in one line and exits 1; the CLI exits 3', async () => {
    const wrong = { BERTH_KAFKA_SASL_PASSWORD_FILE: '', BERTH_KAFKA_SASL_PASSWORD: 'not-the-password' };
    const expected = `Kafka at ${broker.saslSsl.bootstrap} rejected the credentials (SASL SCRAM-SHA-512 for user "alice")`;
    const w = await runBerth(['worker'], workerEnv(wrong), 60_000);
    expect(w.stderr.split('\n')[0]).toBe(`berth worker: ${expected}`);
    expect(w.code).toBe(1);
    const cli = await runBerth(['status'], scramEnv(wrong), 60_000);
    expect(cli.stderr.trim()).toBe(`berth status: ${expected}`);
    expect(cli.code).toBe(3);
  }, 120_000);

  it('no CA given: the broker certificate is not trusted, said in one line', async () => {
    const noCa = { BERTH_KAFKA_SSL_CA_FILE: '', BERTH_KAFKA_SSL: 'true' };
    const expected = `Kafka at ${broker.saslSsl.bootstrap} TLS: certificate not trusted (self-signed certificate in certificate chain); set BERTH_KAFKA_SSL_CA_FILE`;
    const w = await runBerth(['worker'], workerEnv(noCa), 60_000);
    expect(w.stderr.split('\n')[0]).toBe(`berth worker: ${expected}`);
    expect(w.code).toBe(1);
    const cli = await runBerth(['status'], scramEnv(noCa), 60_000);
    expect(cli.stderr.trim()).toBe(`berth status: ${expected}`);
    expect(cli.code).toBe(3);
    // The SDK rejects with a non-retriable KafkaRefusedError carrying the same text.
    const client = new BerthClient({
      brokers: [broker.saslSsl.bootstrap],
      topicPrefix: h.prefix,
      security: kafkaSecurity({
        ssl: true,
        saslMechanism: 'scram-sha-512',
        saslUsername: SCRAM_USER,
        saslPassword: SCRAM_PASSWORD,
      }),
    });
    try {
      const err = await client.submit({ inline: { stack, command: ['true'] } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KafkaRefusedError);
      expect((err as KafkaRefusedError).message).toBe(expected);
      expect((err as KafkaRefusedError).retriable).toBe(false);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('verification turned off explicitly connects with a warning', async () => {
    const r = await runBerth(
      ['status'],
      scramEnv({ BERTH_KAFKA_SSL_CA_FILE: '', BERTH_KAFKA_SSL_VERIFY: 'false', BERTH_KAFKA_SSL: 'true' }),
      60_000,
    );
    expect(r.stderr).toContain('berth status: warning: TLS certificate verification is off');
    expect(r.stderr).not.toMatch(/rejected|not trusted/);
  }, 60_000);
});

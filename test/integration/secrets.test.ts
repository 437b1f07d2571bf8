import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { berthCli, runBerth } from '../support/berth-cli.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * Secrets through a real `berth worker` process (compiled CLI), the real broker and engine:
 * packages declare secrets by name, the worker resolves them from its own host (a secrets
 * directory and an allow-listed variable of its environment), tasks get them as environment
 * variables and as files under /run/secrets in fresh, HOT process and HOT function containers,
 * whatever a task prints of them is published redacted, a missing one is REJECTED with the
 * reason, and no value is anywhere on Kafka: every record of every topic of the run's prefix
 * (keys, values, headers) is read back from the beginning and searched byte for byte.
 */
const h = new WorkerHarness();
const tmp = mkdtempSync(join(tmpdir(), 'berth-secrets-it-'));
const secretsDir = join(tmp, 'secrets');
const rand = () => randomBytes(9).toString('hex');
const SECRETS = {
  DB_PASSWORD: `db-pass-${rand()}`,
  TLS_KEY: `-----BEGIN TEST KEY-----\n${rand()}\n-----END TEST KEY-----`,
  API_TOKEN: `api-token-${rand()}`,
};
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const env = () => ({ BERTH_TOPIC_PREFIX: h.prefix, BERTH_KAFKA_BROKERS: '127.0.0.1:9092' });
const name = (kind: string) => `sec-${kind}-${h.prefix}`;
const DECLARED = ['DB_PASSWORD', { name: 'TLS_KEY', as: 'file' }, 'API_TOKEN'];

/** Prints each secret, its hash (to prove the right value arrived), the file's mode and owner. */
const SCRIPT = `
const fs = require('node:fs');
const crypto = require('node:crypto');
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
const key = fs.readFileSync('/run/secrets/TLS_KEY', 'utf8');
const st = fs.statSync('/run/secrets/TLS_KEY');
const db = process.env.DB_PASSWORD, api = process.env.API_TOKEN;
console.log('db=' + db + ' api=' + api);
console.log('key=' + key);
console.log('hash db=' + sha(db) + ' api=' + sha(api) + ' key=' + sha(key.replace(/\\n$/, '')));
console.log('mode=' + (st.mode & 0o777).toString(8) + ' uid=' + st.uid + ' keyInEnv=' + ('TLS_KEY' in process.env));
console.error('stderr has ' + db);
fs.writeFileSync(process.env.TASK_OUT + '/leak.txt', 'out ' + api);
`;
const HANDLER = `
const fs = require('node:fs');
const crypto = require('node:crypto');
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
// Read once, when the runtime loads the handler: the file must already be there.
const keyAtLoad = fs.readFileSync('/run/secrets/TLS_KEY', 'utf8');
exports.handle = (payload) => {
  const db = process.env.DB_PASSWORD;
  console.log('fn db=' + db);
  if (payload.toString() === 'throw') throw new Error('cannot connect with ' + db);
  return { db, api: process.env.API_TOKEN, key: keyAtLoad, hashes: [sha(db), sha(process.env.API_TOKEN), sha(keyAtLoad.replace(/\\n$/, ''))] };
};
`;

let worker: ChildProcess;
let workerLog = '';
let workerExited: Promise<unknown>;

function pushPackage(kind: string, manifest: Record<string, unknown>, files: Record<string, string>) {
  const dir = join(tmp, kind);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  writeFileSync(
    join(dir, 'berth.json'),
    JSON.stringify({
      name: name(kind),
      stack: 'node-20',
      memoryBytes: 128 * 1024 * 1024,
      timeoutMs: 60_000,
      ...manifest,
    }),
  );
  return runBerth(['code', 'push', dir], env());
}

function codeEvent(id: string, kind: string, payload = ''): TaskEvent {
  const base = inlineEvent(id, 'node-20', ['unused'], {
    payload: Buffer.from(payload),
    timeoutMs: 60_000,
    memoryBytes: null,
  });
  return { ...base, inline: null, code: { name: name(kind), revision: null } };
}

function result(id: string): TaskResult {
  const [r] = h.resultsFor(id);
  if (r === undefined) throw new Error(`no result for ${id}`);
  return r;
}
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString();

/** Every record of every topic of the run's prefix, from the beginning: keys, values, header values. */
async function readEveryTopic(): Promise<{ topics: string[]; records: number; blobs: Buffer[] }> {
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${h.prefix}.`)).sort();
    const ends = new Map<string, number>();
    for (const t of topics)
      for (const p of await admin.fetchTopicOffsets(t)) ends.set(`${t}/${p.partition}`, Number(p.high));
    const pending = new Set([...ends].filter(([, high]) => high > 0).map(([k]) => k));
    const blobs: Buffer[] = [];
    let records = 0;
    const consumer = h.kafka.consumer({ groupId: `${h.prefix}-scan-${rand()}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      if (pending.size === 0) resolve();
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          records++;
          if (message.key) blobs.push(message.key);
          if (message.value) blobs.push(message.value);
          for (const v of Object.values(message.headers ?? {}))
            for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined) blobs.push(Buffer.from(one));
          const k = `${topic}/${partition}`;
          if (Number(message.offset) + 1 >= (ends.get(k) ?? 0)) pending.delete(k);
          if (pending.size === 0) resolve();
        },
      });
    });
    await Promise.race([
      done,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`topics not read to the end: ${[...pending]}`)), 60_000),
      ),
    ]);
    await consumer.disconnect();
    return { topics, records, blobs };
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  if (availableStacks(['node-20']).length === 0)
    throw new Error('stack node-20 not built (run berth stacks build)');
  await h.setUp(2);
  mkdirSync(secretsDir, { mode: 0o700 });
  chmodSync(secretsDir, 0o700);
  writeFileSync(join(secretsDir, 'DB_PASSWORD'), `${SECRETS.DB_PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(join(secretsDir, 'TLS_KEY'), `${SECRETS.TLS_KEY}\n`, { mode: 0o600 });
  for (const [kind, manifest, files] of [
    ['fresh', { command: ['node', 'main.js'], secrets: DECLARED }, { 'main.js': SCRIPT }],
    ['hot', { command: ['node', 'main.js'], isolation: 'HOT', secrets: DECLARED }, { 'main.js': SCRIPT }],
    ['fn', { handler: 'h.js:handle', secrets: DECLARED }, { 'h.js': HANDLER }],
    [
      'missing',
      { command: ['node', 'main.js'], secrets: ['DB_PASSWORD', 'NOT_ON_THIS_HOST'] },
      { 'main.js': SCRIPT },
    ],
  ] as const) {
    const push = await pushPackage(kind, manifest, files);
    expect(push.stdout, push.stderr).toMatch(/@1 published/);
  }
  const labels = Object.entries(h.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  worker = spawn(
    process.execPath,
    [
      berthCli,
      'worker',
      `--topic-prefix=${h.prefix}`,
      `--worker-id=w-${h.prefix}`,
      `--container-labels=${labels}`,
      '--metrics-port=0',
      '--stats-interval-ms=1000',
      '--warm-pool-size=1',
      '--prewarm-stacks=node-20',
      `--code-cache-dir=${join(tmp, 'cache')}`,
    ],
    {
      env: {
        ...process.env,
        BERTH_KAFKA_BROKERS: '127.0.0.1:9092',
        BERTH_SECRETS_DIR: secretsDir,
        BERTH_SECRETS_FROM_ENV: 'API_TOKEN',
        API_TOKEN: SECRETS.API_TOKEN,
      },
    },
  );
  worker.stdout?.on('data', (d: Buffer) => {
    workerLog += d.toString();
  });
  worker.stderr?.on('data', (d: Buffer) => {
    workerLog += d.toString();
  });
  workerExited = new Promise((resolve) => worker.once('exit', resolve));
  await h.send([
    { event: codeEvent('fresh-1', 'fresh') },
    { key: 'hot', event: codeEvent('hot-1', 'hot') },
    { key: 'hot', event: codeEvent('hot-2', 'hot') },
    { key: 'fn', event: codeEvent('fn-1', 'fn', 'ok') },
    { key: 'fn', event: codeEvent('fn-2', 'fn', 'throw') },
    { event: codeEvent('missing-1', 'missing') },
  ]);
  await h.until(
    'every result',
    () =>
      ['fresh-1', 'hot-1', 'hot-2', 'fn-1', 'fn-2', 'missing-1'].every((id) => h.resultsFor(id).length > 0),
    240_000,
  );
}, 300_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await workerExited;
  }
  await h.tearDown();
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

const hashes = `hash db=${sha(SECRETS.DB_PASSWORD)} api=${sha(SECRETS.API_TOKEN)} key=${sha(SECRETS.TLS_KEY)}`;

describe('secrets of code packages through a real worker process', () => {
  it.each(['fresh-1', 'hot-1', 'hot-2'])(
    '%s: env and file secrets arrive; what the task prints is redacted',
    (id) => {
      const r = result(id);
      expect(r.status, r.reason ?? '').toBe('SUCCEEDED');
      expect(text(r.stdout)).toBe(
        [
          'db=[redacted:DB_PASSWORD] api=[redacted:API_TOKEN]',
          'key=[redacted:TLS_KEY]',
          '',
          hashes,
          'mode=400 uid=10001 keyInEnv=false',
          '',
        ].join('\n'),
      );
      expect(text(r.stderr)).toBe('stderr has [redacted:DB_PASSWORD]\n');
      expect(r.outputs.map((o) => [o.name, text(o.data)])).toEqual([
        ['leak.txt', 'out [redacted:API_TOKEN]'],
      ]);
    },
  );

  it('HOT function mode: the handler reads the file at load; return value, stdout and error are redacted', () => {
    const ok = result('fn-1');
    expect(ok.status, ok.reason ?? '').toBe('SUCCEEDED');
    expect(text(ok.stdout)).toBe('fn db=[redacted:DB_PASSWORD]\n');
    expect(ok.returnValue?.kind).toBe('JSON');
    expect(JSON.parse(text(ok.returnValue?.data))).toEqual({
      db: '[redacted:DB_PASSWORD]',
      api: '[redacted:API_TOKEN]',
      key: '[redacted:TLS_KEY]\n',
      hashes: [sha(SECRETS.DB_PASSWORD), sha(SECRETS.API_TOKEN), sha(SECRETS.TLS_KEY)],
    });
    const failed = result('fn-2');
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toBe('Error: cannot connect with [redacted:DB_PASSWORD]');
    expect(text(failed.stderr)).toContain('cannot connect with [redacted:DB_PASSWORD]');
  });

  it('a secret the worker does not have: REJECTED naming it and where the worker looked', () => {
    const r = result('missing-1');
    expect(r.status).toBe('REJECTED');
    expect(r.reason).toBe(
      `code package '${name('missing')}@1' needs secrets this worker cannot give: secret 'NOT_ON_THIS_HOST' is not provided (looked for file ${join(secretsDir, 'NOT_ON_THIS_HOST')}; NOT_ON_THIS_HOST is not in BERTH_SECRETS_FROM_ENV)`,
    );
    expect(r.codeName).toBe(name('missing'));
    expect(h.resultsFor('missing-1')).toHaveLength(1);
  });

  it('berth code show lists secret names only', async () => {
    const show = await runBerth(['code', 'show', name('fresh')], env());
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/secrets +DB_PASSWORD TLS_KEY \(file\) API_TOKEN/);
    const json = await runBerth(['code', 'show', name('fresh'), '--json'], env());
    expect(JSON.parse(json.stdout).manifest.secrets).toEqual([
      { name: 'DB_PASSWORD', as: 'env' },
      { name: 'TLS_KEY', as: 'file' },
      { name: 'API_TOKEN', as: 'env' },
    ]);
    for (const value of Object.values(SECRETS)) expect(show.stdout + json.stdout).not.toContain(value);
  });

  it('no secret value is anywhere on Kafka (every topic of the prefix, keys, values, headers) nor in the worker log', async () => {
    const { topics, records, blobs } = await readEveryTopic();
    expect(topics).toEqual(
      expect.arrayContaining([h.topics.tasks, h.topics.results, h.topics.code, h.topics.metrics]),
    );
    expect(records).toBeGreaterThanOrEqual(6 + 4);
    const all = Buffer.concat(blobs);
    // The search can find: the redaction markers are there.
    expect(all.includes(Buffer.from('[redacted:DB_PASSWORD]'))).toBe(true);
    for (const [secret, value] of Object.entries(SECRETS)) {
      for (const form of [value, ...value.split('\n').filter((line) => line.length >= 16)])
        expect(all.includes(Buffer.from(form)), `${secret} on Kafka`).toBe(false);
      expect(workerLog.includes(value), `${secret} in the worker log`).toBe(false);
    }
    expect(workerLog).not.toBe('');
  }, 120_000);
});

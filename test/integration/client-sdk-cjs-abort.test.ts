import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { AbortError } from '../../src/client/client-errors.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { deleteBerthTopics, ensureTopics } from '../../src/kafka/kafka-admin.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { topicNames } from '../../src/kafka/topic-names.js';
import { taskResultFixture } from '../support/task-result.js';

/**
 * The SDK against the real broker: the built package loaded with require() from a CommonJS file
 * and with import from an ES module; getResult/waitForResult for ids submitted earlier; every wait
 * stopped by an AbortSignal.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
const topics = topicNames(prefix);
const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: `test-${prefix}` });
const tmp = mkdtempSync(join(tmpdir(), 'berth-sdk-cjs-'));
let producer: Producer;
let client: BerthClient;

function result(id: string, attempt: number, status: TaskResult['status']): TaskResult {
  return taskResultFixture(id, status, {
    attempt,
    stdout: Buffer.from(`attempt ${attempt}\n`),
    sourceTopic: topics.tasks,
    sourceOffset: String(attempt),
  });
}

const publish = (r: TaskResult) =>
  producer.send({
    topic: topics.results,
    acks: -1,
    messages: [{ key: r.id, value: taskResultCodec.encode(r) }],
  });

beforeAll(async () => {
  await ensureTopics(kafka, prefix, 2);
  producer = kafka.producer();
  await producer.connect();
  await publish(result('earlier', 1, 'FAILED'));
  await publish(result('earlier', 2, 'SUCCEEDED'));
  client = new BerthClient({ brokers: ['127.0.0.1:9092'], topicPrefix: prefix });
  // A project that depends on berth: node_modules/berth is the built package.
  mkdirSync(join(tmp, 'node_modules'));
  symlinkSync(root, join(tmp, 'node_modules', 'berth'), 'dir');
}, 120_000);

afterAll(async () => {
  await client?.close();
  await producer?.disconnect();
  await deleteBerthTopics(kafka, prefix);
  rmSync(tmp, { recursive: true, force: true });
});

describe('the built package from CommonJS and ESM', () => {
  it('require("berth") loads the CommonJS build; it encodes, validates and reads results', () => {
    writeFileSync(
      join(tmp, 'consumer.cjs'),
      `const berth = require('berth');
const out = { resolved: require.resolve('berth') };
const ev = berth.toTaskEvent({ id: 'x', code: 'pkg@2', payload: { a: 1 } });
out.roundTrip = berth.taskEventCodec.decode(berth.taskEventCodec.encode(ev)).code;
try { berth.toTaskEvent({ code: 'pkg', priority: 9 }); } catch (e) {
  out.invalid = { validation: e instanceof berth.TaskValidationError, type: e instanceof TypeError, paths: e.paths };
}
const client = new berth.BerthClient({ brokers: ['127.0.0.1:9092'], topicPrefix: process.argv[2] });
client.getResult('earlier').then(async (r) => {
  out.result = r && { attempt: r.attempt, status: r.status };
  await client.close();
  console.log(JSON.stringify(out));
});`,
    );
    const out = JSON.parse(
      execFileSync(process.execPath, [join(tmp, 'consumer.cjs'), prefix], {
        cwd: tmp,
        timeout: 90_000,
      }).toString(),
    );
    // Node resolves the node_modules link to the package's real place.
    expect(out.resolved).toBe(join(realpathSync(root), 'dist-cjs', 'index.js'));
    expect(out.roundTrip).toEqual({ name: 'pkg', revision: 2 });
    expect(out.invalid).toEqual({ validation: true, type: true, paths: ['priority'] });
    expect(out.result).toEqual({ attempt: 2, status: 'SUCCEEDED' });
  }, 120_000);

  it('import from an ES module loads the ESM build', () => {
    writeFileSync(
      join(tmp, 'consumer.mjs'),
      `import { BerthClient, TaskValidationError, AbortError } from 'berth';
console.log(JSON.stringify({ url: import.meta.resolve('berth'), kinds: [typeof BerthClient, typeof TaskValidationError, typeof AbortError] }));`,
    );
    const out = JSON.parse(
      execFileSync(process.execPath, [join(tmp, 'consumer.mjs')], { cwd: tmp }).toString(),
    );
    expect(out.url).toBe(`file://${join(realpathSync(root), 'dist', 'index.js')}`);
    expect(out.kinds).toEqual(['function', 'function', 'function']);
  });
});

describe('results for earlier ids, and AbortSignal on every wait', () => {
  it('getResult: the final attempt of an earlier task, null for an unknown id', async () => {
    expect(await client.getResult('earlier')).toMatchObject({ attempt: 2, status: 'SUCCEEDED' });
    expect(await client.getResult('unknown')).toBeNull();
  }, 60_000);

  it('waitForResult: finds a result published before the call, and one published after', async () => {
    expect(await client.waitForResult('earlier', { timeoutMs: 60_000 })).toMatchObject({ attempt: 2 });
    const later = client.waitForResult('later', { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    await publish(result('later', 1, 'FAILED'));
    expect(await later).toMatchObject({ id: 'later', status: 'FAILED' });
  }, 120_000);

  it('aborting waitForResult, submitAndWait, getResult and results() rejects or ends promptly', async () => {
    const ac = new AbortController();
    const waiting = client.waitForResult('never', { timeoutMs: 60_000, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 1000));
    let started = Date.now();
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(1000);

    const ac2 = new AbortController();
    const submitted: string[] = [];
    const run = client.submitAndWait(
      { id: `abort-${prefix}`, inline: { stack: 'shell', command: ['true'] } },
      { signal: ac2.signal, onSubmitted: (id) => submitted.push(id) },
    );
    while (submitted.length === 0) await new Promise((r) => setTimeout(r, 50));
    started = Date.now();
    ac2.abort(new Error('caller gave up'));
    const err = await run.catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: new Error('caller gave up') });
    expect(Date.now() - started).toBeLessThan(1000);

    const ac3 = new AbortController();
    const lookup = client.getResult('earlier', { signal: ac3.signal });
    ac3.abort();
    await expect(lookup).rejects.toBeInstanceOf(AbortError);

    const ac4 = new AbortController();
    const stream = client.results({ signal: ac4.signal });
    await stream.ready;
    const next = stream.next();
    ac4.abort();
    expect(await next).toEqual({ value: undefined, done: true });
  }, 120_000);
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeCatalog } from '../../src/code/code-catalog.js';
import { PushError, pushCodePackage } from '../../src/code/code-push.js';
import { sha256Digest } from '../../src/code/content-digest.js';
import { createKafkaCodeCatalog } from '../../src/code/kafka-code-catalog.js';
import { KafkaCodeTopic } from '../../src/kafka/code-topic.js';
import { deleteBerthTopics, ensureTopics } from '../../src/kafka/kafka-admin.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { topicNames } from '../../src/kafka/topic-names.js';

const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
const topics = topicNames(prefix);
const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: `test-${prefix}` });
const smallTopic = `${prefix}.code-small`;
const runTemplate = async (stack: string) => (stack === 'python-3.11' ? ['python3', '{entry}'] : null);
const tmp = mkdtempSync(join(tmpdir(), 'berth-code-it-'));
const catalogs: CodeCatalog[] = [];

function writePackage(dir: string, body: string): string {
  const full = join(tmp, dir);
  mkdirSync(full, { recursive: true });
  writeFileSync(
    join(full, 'berth.json'),
    JSON.stringify({ name: `hello-${prefix}`, stack: 'python-3.11', entry: 'main.py' }),
  );
  writeFileSync(join(full, 'main.py'), body);
  return full;
}

beforeAll(async () => {
  await ensureTopics(kafka, prefix, 1);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      {
        topic: smallTopic,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: [{ name: 'max.message.bytes', value: '65536' }],
      },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
});

afterAll(async () => {
  await Promise.all(catalogs.map((c) => c.close()));
  await deleteBerthTopics(kafka, prefix);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [smallTopic] }).catch(() => undefined);
  await admin.disconnect();
  rmSync(tmp, { recursive: true, force: true });
});

describe('code packages on a real broker', () => {
  const topic = new KafkaCodeTopic({ kafka, topic: topics.code });
  afterAll(() => topic.close());

  it('push publishes revision 1, an identical push is unchanged, a change is revision 2', async () => {
    const dir = writePackage('v1', 'print("one")\n');
    const first = await pushCodePackage({ dir, topic, runTemplate });
    expect(first.kind).toBe('published');
    expect(first.pkg.revision).toBe(1);
    expect(first.pkg.manifest.command).toEqual(['python3', 'main.py']);
    const again = await pushCodePackage({ dir, topic, runTemplate });
    expect(again).toMatchObject({ kind: 'unchanged', pkg: { revision: 1, digest: first.pkg.digest } });
    writeFileSync(join(dir, 'main.py'), 'print("two")\n');
    const second = await pushCodePackage({ dir, topic, runTemplate });
    expect(second).toMatchObject({ kind: 'published', pkg: { revision: 2 } });
    expect(second.pkg.digest).not.toBe(first.pkg.digest);
    const all = await topic.readAll();
    expect(all.map((p) => p.revision).sort()).toEqual([1, 2]);
  });

  it('the catalog resolves newest and pinned revisions, and a push made after it started', async () => {
    const catalog = createKafkaCodeCatalog({ kafka, topic: topics.code, cacheDir: join(tmp, 'cache') });
    catalogs.push(catalog);
    await catalog.start();
    const name = `hello-${prefix}`;
    const newest = await catalog.resolve(name, null);
    expect(newest?.revision).toBe(2);
    expect(sha256Digest(newest?.tarball ?? new Uint8Array())).toBe(newest?.digest);
    expect((await catalog.resolve(name, 1))?.revision).toBe(1);
    expect(await catalog.resolveOrReason(name, 9)).toEqual({
      ok: false,
      reason: `code package '${name}' has no revision 9 (newest is 2)`,
    });

    const dir = writePackage('v3', 'print("three")\n');
    const pushed = await pushCodePackage({ dir, topic, runTemplate });
    const started = Date.now();
    const resolved = await catalog.resolve(name, null);
    expect(resolved?.revision).toBe(3);
    expect(resolved?.digest).toBe(pushed.pkg.digest);
    console.log(`catalog saw a fresh push within ${Date.now() - started} ms of the push ack`);
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) await catalog.resolve(name, null);
    const t1 = performance.now();
    for (let i = 0; i < 100; i++) await catalog.resolve(name, 3);
    const t2 = performance.now();
    console.log(
      `resolve newest (with catch-up): ${((t1 - t0) / 100).toFixed(2)} ms; pinned: ${((t2 - t1) / 100).toFixed(3)} ms`,
    );
  });

  it('a package bigger than the topic max.message.bytes fails naming the limit', async () => {
    const small = new KafkaCodeTopic({ kafka, topic: smallTopic });
    const dir = writePackage('big', 'print(1)\n');
    writeFileSync(join(dir, 'blob.bin'), Buffer.alloc(100_000, 1));
    await expect(pushCodePackage({ dir, topic: small, runTemplate })).rejects.toThrow(PushError);
    await expect(pushCodePackage({ dir, topic: small, runTemplate })).rejects.toThrow(
      /max\.message\.bytes of 65536 bytes/,
    );
    await small.close();
  });
});

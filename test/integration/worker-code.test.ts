import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushCodePackage } from '../../src/code/code-push.js';
import { KafkaCodeTopic } from '../../src/kafka/code-topic.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/** Code tasks through the worker: the package is resolved from berth.code, its manifest honoured. */
const h = new WorkerHarness();
const tmp = mkdtempSync(join(tmpdir(), 'berth-worker-code-'));
const hasPython = availableStacks(['python-3.11']).length === 1;
let codeTopic: KafkaCodeTopic;

beforeAll(async () => {
  await h.setUp(2);
  codeTopic = new KafkaCodeTopic({ kafka: h.kafka, topic: h.topics.code });
  const dir = join(tmp, 'pkg');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'berth.json'),
    JSON.stringify({ name: `doubler-${h.prefix}`, stack: 'python-3.11', entry: 'main.py' }),
  );
  writeFileSync(
    join(dir, 'main.py'),
    [
      'import os',
      'n = int(open(os.environ["PAYLOAD_FILE"]).read())',
      'open(os.path.join(os.environ["TASK_OUT"], "result.txt"), "w").write(str(n * 2))',
      'print("doubled", n)',
    ].join('\n'),
  );
  await pushCodePackage({
    dir,
    topic: codeTopic,
    runTemplate: async (s) => (s === 'python-3.11' ? ['python3', '{entry}'] : null),
  });
  await h.startWorker({
    slots: '2',
    prefetch: '2',
    prewarmStacks: 'python-3.11',
    codeCacheDir: join(tmp, 'cache'),
  });
}, 90_000);

afterAll(async () => {
  await codeTopic?.close();
  await h.tearDown();
  rmSync(tmp, { recursive: true, force: true });
});

describe.runIf(hasPython)('code packages through the worker', () => {
  it('runs a pushed package with its manifest and rejects an unknown one', async () => {
    const base = inlineEvent('code-1', 'python-3.11', ['unused'], { payload: Buffer.from('21') });
    await h.send([
      { event: { ...base, inline: null, code: { name: `doubler-${h.prefix}`, revision: null } } },
      { event: { ...base, id: 'code-2', inline: null, code: { name: 'no-such-package', revision: null } } },
      { event: { ...base, id: 'code-3', inline: null, code: { name: `doubler-${h.prefix}`, revision: 9 } } },
    ]);
    await h.until(
      'code results',
      () => ['code-1', 'code-2', 'code-3'].every((id) => h.resultsFor(id).length > 0),
      60_000,
    );
    const [ok] = h.resultsFor('code-1');
    expect(ok?.status, ok?.reason ?? '').toBe('SUCCEEDED');
    expect(
      Buffer.from(ok?.stdout ?? [])
        .toString()
        .trim(),
    ).toBe('doubled 21');
    expect(ok?.outputs.map((o) => [o.name, Buffer.from(o.data).toString()])).toEqual([['result.txt', '42']]);
    expect(ok).toMatchObject({ codeName: `doubler-${h.prefix}`, codeRevision: 1, stack: 'python-3.11' });
    expect(ok?.codeDigest).toMatch(/^sha256:/);
    const [rejected] = h.resultsFor('code-2');
    expect(rejected?.status).toBe('REJECTED');
    expect(rejected?.reason).toMatch(/unknown code package 'no-such-package'/);
    const [noRevision] = h.resultsFor('code-3');
    expect(noRevision?.status).toBe('REJECTED');
    expect(noRevision?.reason).toBe(`code package 'doubler-${h.prefix}' has no revision 9 (newest is 1)`);
  }, 90_000);
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushCodePackage } from '../../src/code/code-push.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import { KafkaCodeTopic } from '../../src/kafka/code-topic.js';
import { inlineEvent, type WorkerHarness } from '../integration/worker-harness.js';

/**
 * The load of the fault scenarios: a function-mode Node package whose handler takes `delayMs`
 * and returns its payload, so results can be checked and many tasks are in flight at any time.
 */
export async function pushWorkload(h: WorkerHarness, delayMs = 20): Promise<string> {
  const name = `faults-${h.prefix}`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-faults-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'h.js'),
    `exports.handle = async (p) => { await new Promise((r) => setTimeout(r, ${delayMs})); return p; };\n`,
  );
  writeFileSync(
    join(dir, 'berth.json'),
    JSON.stringify({ name, stack: 'node-20', handler: 'h.js:handle', maxConcurrency: 2, timeoutMs: 20_000 }),
  );
  const topic = new KafkaCodeTopic({ kafka: h.kafka, topic: h.topics.code });
  try {
    await pushCodePackage({ dir, topic, runTemplate: async () => null });
  } finally {
    await topic.close();
  }
  return name;
}

/** `count` tasks of the workload package, ids `<prefix>-<i>`, keyed by id. */
export function workloadEvents(pkg: string, prefix: string, count: number): TaskEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const base = inlineEvent(`${prefix}-${i}`, 'node-20', ['unused'], { payload: Buffer.from(`p${i}`) });
    return { ...base, inline: null, code: { name: pkg, revision: null } };
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

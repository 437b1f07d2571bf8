import { describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { AbortError, PayloadTooLargeError, TaskValidationError } from '../../src/client/client-errors.js';
import type { ResultSource } from '../../src/client/result-source.js';
import { toTaskEvent } from '../../src/client/task-input.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import * as sdk from '../../src/index.js';
import type { KafkaInstance } from '../../src/kafka/client-kafka.js';

/** A Kafka instance that must never be used: every test here stays before any connection. */
const noKafka = {
  producer: () => ({ connect: async () => {}, send: async () => [], disconnect: async () => {} }),
  consumer: () => {
    throw new Error('consumer must not be created');
  },
  admin: () => {
    throw new Error('admin must not be created');
  },
} as unknown as KafkaInstance;

function caught(fn: () => unknown): TaskValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaskValidationError);
    return err as TaskValidationError;
  }
  throw new Error('no error thrown');
}

const result = (attempt: number, finishedAtMs: number, status: TaskResult['status']) =>
  ({ id: 't1', attempt, finishedAtMs, status }) as TaskResult;

describe('SDK validation errors', () => {
  it('are TaskValidationError (a TypeError, exported) listing every broken rule with its path', () => {
    const err = caught(() =>
      toTaskEvent({
        id: 't9',
        inline: { stack: '', command: ['echo', 7 as unknown as string] },
        priority: 5 as 0,
        maxAttempts: 0,
        labels: { team: 1 as unknown as string },
      }),
    );
    expect(err).toBeInstanceOf(TypeError);
    expect(sdk.TaskValidationError).toBe(TaskValidationError);
    expect(err.taskId).toBe('t9');
    expect(err.paths).toEqual([
      'inline.stack',
      'inline.command[1]',
      'priority',
      'maxAttempts',
      'labels.team',
    ]);
    expect(err.message).toBe(
      "invalid task: inline.stack is empty; inline.command[1] 7 is not a string; priority 5 is not 0, 1 or 2 (or 'low', 'normal', 'high'); maxAttempts 0 is not a positive integer; labels.team 1 is not a string",
    );
  });

  it('name the field for shapes plain JavaScript can pass', () => {
    expect(caught(() => toTaskEvent({})).paths).toEqual(['code']);
    expect(caught(() => toTaskEvent({ code: 'a', inline: { stack: 's', command: ['x'] } })).paths).toEqual([
      'inline',
    ]);
    expect(caught(() => toTaskEvent({ code: 'a@x' })).issues[0]?.message).toMatch(
      /revision must be a positive integer/,
    );
    expect(caught(() => toTaskEvent({ code: { name: 'a', revision: 0 } })).paths).toEqual(['code.revision']);
    expect(
      caught(() => toTaskEvent({ inline: { stack: 's', command: 'ls' as unknown as string[] } })).paths,
    ).toEqual(['inline.command']);
    expect(caught(() => toTaskEvent({ code: 'a', timeoutMs: 3_600_001 })).paths).toEqual(['timeoutMs']);
    expect(caught(() => toTaskEvent(null as unknown as object)).paths).toEqual(['']);
  });

  it('a payload over the cap is a TaskValidationError on `payload`; submit rejects before sending', async () => {
    const client = new BerthClient({ kafka: noKafka, payloadCapBytes: 4 });
    const err = await client.submit({ id: 'big', code: 'a', payload: 'hello' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toBeInstanceOf(TaskValidationError);
    expect((err as TaskValidationError).paths).toEqual(['payload']);
    await expect(client.submit({ code: 'a', priority: 3 as 0 })).rejects.toThrow(TaskValidationError);
  });
});

describe('getResult through the result source port', () => {
  it('returns the final attempt’s result, or null', async () => {
    const asked: string[] = [];
    const source: ResultSource = {
      resultsFor: async (id) => {
        asked.push(id);
        return id === 't1'
          ? [result(2, 50, 'SUCCEEDED'), result(1, 10, 'FAILED'), result(2, 40, 'SUCCEEDED')]
          : [];
      },
    };
    const client = new BerthClient({ kafka: noKafka, resultSource: source });
    expect(await client.getResult('t1')).toMatchObject({ attempt: 2, finishedAtMs: 50 });
    expect(await client.getResult('nope')).toBeNull();
    expect(asked).toEqual(['t1', 'nope']);
  });

  it('aborting rejects with AbortError and stops the lookup', async () => {
    let lookupSignal: AbortSignal | undefined;
    const source: ResultSource = {
      resultsFor: (_id, opts) =>
        new Promise((_, reject) => {
          lookupSignal = opts?.signal;
          opts?.signal?.addEventListener('abort', () => reject(opts.signal?.reason));
        }),
    };
    const client = new BerthClient({ kafka: noKafka, resultSource: source });
    const ac = new AbortController();
    const pending = client.getResult('t1', { signal: ac.signal });
    ac.abort(new Error('user left'));
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: new Error('user left') });
    expect(lookupSignal?.aborted).toBe(true);
    await expect(client.getResult('t1', { signal: AbortSignal.abort() })).rejects.toThrow(AbortError);
  });
});

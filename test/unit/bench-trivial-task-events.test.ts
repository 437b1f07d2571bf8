import { describe, expect, it } from 'vitest';
import {
  isTrivialTaskKind,
  TRIVIAL_TASK_KINDS,
  trivialTaskEvent,
} from '../../src/bench/trivial-task-events.js';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';

describe('trivialTaskEvent', () => {
  it('makes valid events of every kind that survive the codec', () => {
    for (const kind of TRIVIAL_TASK_KINDS) {
      const e = trivialTaskEvent(kind, `id-${kind}`, { createdAtMs: 42 });
      const back = taskEventCodec.decode(taskEventCodec.encode(e));
      expect({ ...back, payload: new Uint8Array(back.payload) }).toEqual(e);
    }
  });

  it('sets exactly one of code and inline', () => {
    expect(trivialTaskEvent('function', 'a').code?.name).toBe('bench-echo');
    expect(trivialTaskEvent('function', 'a', { functionPackage: 'p' }).code?.name).toBe('p');
    expect(trivialTaskEvent('shell', 'a').inline).toEqual({ stack: 'shell', command: ['true'], env: {} });
    expect(trivialTaskEvent('shell', 'a').code).toBeNull();
    expect(trivialTaskEvent('rejected', 'a').code?.name).toBe('berth-bench-no-such-package');
    expect(trivialTaskEvent('rejected', 'a').inline).toBeNull();
  });

  it('knows its kinds', () => {
    expect(isTrivialTaskKind('rejected')).toBe(true);
    expect(isTrivialTaskKind('other')).toBe(false);
  });
});

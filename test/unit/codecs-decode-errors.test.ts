import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/codecs/codec.js';
import { defaultSchemaCatalog } from '../../src/codecs/schema-catalog.js';
import { taskEventCodec } from '../../src/codecs/task-event-codec.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import { frame } from '../../src/codecs/wire-frame.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import { taskEvent } from '../support/task-event.js';

const valid: TaskEvent = taskEvent({
  id: 'a',
  inline: { stack: 'python-3.11', command: ['true'], env: {} },
  payload: Buffer.from('x'),
});

function decodeError(bytes: Uint8Array): DecodeError {
  try {
    taskEventCodec.decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return err as DecodeError;
  }
  throw new Error('decode did not throw');
}

describe('TaskEvent decode refuses bad bytes with a reason', () => {
  const good = taskEventCodec.encode(valid);

  it('bad magic byte', () => {
    const bad = Buffer.from(good);
    bad[0] = 0x7b; // '{': somebody produced JSON
    expect(decodeError(bad).message).toMatch(/bad magic byte 0x7b/);
  });

  it('shorter than the header', () => {
    expect(decodeError(Buffer.from([0, 0, 0])).message).toMatch(/shorter than the 5-byte/);
  });

  it('unknown schema id', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32BE(999_999, 1);
    expect(decodeError(bad).message).toMatch(/unknown schema id 999999/);
  });

  it('schema id of another record type', () => {
    expect(decodeError(frame(2001, good.subarray(5))).message).toMatch(/is io\.berth\.TaskResult, expected/);
  });

  it('truncated body', () => {
    expect(decodeError(good.subarray(0, good.length - 3)).message).toMatch(/truncated|corrupt/);
  });

  it('trailing bytes', () => {
    expect(decodeError(Buffer.concat([good, Buffer.from([1, 2])])).message).toMatch(/2 trailing bytes/);
  });

  it('neither code nor inline', () => {
    const type = defaultSchemaCatalog().current('io.berth.TaskEvent').type;
    const body = type.toBuffer({ ...valid, inline: null, payload: Buffer.from('x') });
    expect(decodeError(frame(1001, body)).message).toMatch(/neither code nor inline/);
  });

  it('timeout above 60 minutes', () => {
    const type = defaultSchemaCatalog().current('io.berth.TaskEvent').type;
    const body = type.toBuffer({ ...valid, timeoutMs: 3_600_001 });
    expect(decodeError(frame(1001, body)).message).toMatch(/timeoutMs 3600001/);
  });

  it('an enum index out of range is corrupt, not garbage', () => {
    const plain = avsc.Type.forSchema({
      type: 'record',
      name: 'X',
      fields: [{ name: 'id', type: 'string' }],
    });
    const body = Buffer.concat([plain.toBuffer({ id: 'x' }), Buffer.from([2, 40])]);
    expect(() => taskResultCodec.decode(frame(2001, body))).toThrow(DecodeError);
  });
});

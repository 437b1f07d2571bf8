import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { DecodeError, isRuleViolation, RuleViolationError } from '../../src/codecs/codec.js';
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

function decodeError(bytes: Uint8Array, kind: DecodeError['kind'] = 'undecodable'): DecodeError {
  try {
    taskEventCodec.decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).kind).toBe(kind);
    expect(isRuleViolation(err)).toBe(kind === 'invalid');
    expect(err instanceof RuleViolationError).toBe(kind === 'invalid');
    return err as DecodeError;
  }
  throw new Error('decode did not throw');
}

/** A well-formed TaskEvent body (current schema) of `fields` over the valid event, framed. */
function framedEvent(fields: Record<string, unknown>): Buffer {
  const current = defaultSchemaCatalog().current('io.berth.TaskEvent');
  return frame(
    current.id,
    current.type.toBuffer({ ...valid, payload: Buffer.from('x'), runAtMs: null, ...fields }),
  );
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
    expect(decodeError(framedEvent({ inline: null }), 'invalid').message).toMatch(/neither code nor inline/);
  });

  it('timeout above 60 minutes', () => {
    expect(decodeError(framedEvent({ timeoutMs: 3_600_001 }), 'invalid').message).toMatch(
      /timeoutMs 3600001/,
    );
  });

  it('rule violations are kind invalid and name the rule; everything unreadable is undecodable', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ id: '' }, 'id is empty'],
      [{ code: { name: 'pkg', revision: null } }, 'both code and inline are set'],
      [{ inline: null, code: { name: 'pkg', revision: 0 } }, 'code.revision 0 is not a positive integer'],
      [{ inline: { stack: '', command: ['x'], env: {} } }, 'inline.stack is empty'],
      [{ priority: 3 }, 'priority 3 is not 0, 1 or 2'],
      [{ maxAttempts: 0 }, 'maxAttempts 0 is not a positive integer'],
      [{ attempt: 0 }, 'attempt 0 is not a positive integer'],
      [{ memoryBytes: -1 }, 'memoryBytes -1 is not positive'],
    ];
    for (const [fields, rule] of cases) {
      const err = decodeError(framedEvent(fields), 'invalid') as RuleViolationError;
      expect(err.message).toBe(`invalid TaskEvent: ${rule}`);
      expect(err.violation).toBe(rule);
    }
    expect(isRuleViolation(new DecodeError('x'))).toBe(false);
    expect(isRuleViolation(new TypeError('invalid TaskEvent: id is empty'))).toBe(false);
    expect(isRuleViolation(null)).toBe(false);
  });

  it('an enum index out of range is corrupt, not garbage', () => {
    const plain = avsc.Type.forSchema({
      type: 'record',
      name: 'X',
      fields: [{ name: 'id', type: 'string' }],
    });
    const body = Buffer.concat([plain.toBuffer({ id: 'x' }), Buffer.from([2, 40])]);
    expect(() => taskResultCodec.decode(frame(2001, body))).toThrow(DecodeError);
    expect(() => taskResultCodec.decode(frame(2001, body))).not.toThrow(RuleViolationError);
  });
});

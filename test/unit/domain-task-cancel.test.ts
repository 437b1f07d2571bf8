import { describe, expect, it } from 'vitest';
import { TaskCancel } from '../../src/domain/task-cancel.js';

describe('TaskCancel', () => {
  it('fires once: listeners registered until then are called in order, each once', () => {
    const c = new TaskCancel();
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const gone = () => calls.push('gone');
    c.addEventListener('abort', a);
    c.addEventListener('abort', gone);
    c.addEventListener('abort', b);
    c.removeEventListener('abort', gone);
    expect(c.aborted).toBe(false);
    c.abort(new Error('user'));
    c.abort(new Error('again'));
    expect(calls).toEqual(['a', 'b']);
    expect(c.aborted).toBe(true);
    expect((c.reason as Error).message).toBe('user');
    c.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['a', 'b']);
  });

  it('a throwing listener does not keep the others from hearing the abort', () => {
    const c = new TaskCancel();
    let heard = false;
    c.addEventListener('abort', () => {
      throw new Error('boom');
    });
    c.addEventListener('abort', () => {
      heard = true;
    });
    c.abort('why');
    expect(heard).toBe(true);
  });

  it('its AbortSignal aborts with the same reason, whether asked for before or after the abort', () => {
    const before = new TaskCancel();
    const signal = before.signal;
    expect(signal.aborted).toBe(false);
    const reason = new Error('stop');
    before.abort(reason);
    expect(signal.aborted && signal.reason === reason).toBe(true);
    const after = new TaskCancel();
    after.abort(reason);
    expect(after.signal.aborted && after.signal.reason === reason).toBe(true);
    expect(new TaskCancel().reason).toBeUndefined();
    const bare = new TaskCancel();
    bare.abort();
    expect((bare.reason as DOMException).name).toBe('AbortError');
  });
});

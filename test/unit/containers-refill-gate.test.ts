import { describe, expect, it } from 'vitest';
import { RefillGate } from '../../src/containers/refill-gate.js';

describe('RefillGate', () => {
  it('runs work one at a time in arrival order, past failures', async () => {
    const gate = new RefillGate();
    const log: string[] = [];
    let active = 0;
    const job = (name: string, fail = false) =>
      gate.run(async () => {
        active++;
        expect(active).toBe(1);
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${name}`);
        active--;
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job('a'), job('b', true), job('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});

import { describe, expect, it } from 'vitest';
import { printTable, REDUCED, runSuite } from '../faults/fault-suite.js';

/** The fault suite at reduced size (the full one is `npm run faults`). */
describe('fault suite (reduced)', () => {
  it('loses nothing, never conflicts, leaves nothing behind', async () => {
    const rows = await runSuite(REDUCED, () => {});
    console.log(`\nberth fault suite (reduced)\n${printTable(rows)}`);
    for (const r of rows) {
      expect({
        scenario: r.scenario,
        lost: r.lost,
        conflicting: r.conflicting,
        orphans: r.orphans,
        stuck: r.stuckPartitions,
      }).toEqual({
        scenario: r.scenario,
        lost: 0,
        conflicting: 0,
        orphans: 0,
        stuck: 0,
      });
    }
  }, 1_200_000);
});

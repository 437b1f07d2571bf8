import { describe, it } from 'vitest';
import { expectClean, printTable, REDUCED, runSuite } from '../faults/fault-suite.js';

/** The fault suite at reduced size (the full one is `npm run faults`). */
describe('fault suite (reduced)', () => {
  it('loses nothing, never conflicts, leaves nothing behind', async () => {
    const rows = await runSuite(REDUCED, () => {});
    console.log(`\nberth fault suite (reduced)\n${printTable(rows)}`);
    expectClean(rows);
  }, 1_200_000);
});

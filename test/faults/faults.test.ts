import { describe, it } from 'vitest';
import { expectClean, FULL, printTable, runSuite } from './fault-suite.js';

/**
 * `npm run faults`: every fault scenario at full size against the real broker and engine, one
 * table of figures at the end. Every row must show 0 lost, 0 conflicting, 0 orphans, 0 stuck.
 */
describe('fault suite (full)', () => {
  it('loses nothing, never conflicts, leaves nothing behind', async () => {
    const rows = await runSuite(FULL, (l) => console.log(l));
    console.log(`\nberth fault suite\n${printTable(rows)}`);
    expectClean(rows);
  }, 3_600_000);
});

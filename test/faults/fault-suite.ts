import { expect } from 'vitest';
import { type FaultRow, printTable } from './fault-accounting.js';
import {
  killLoop,
  killOneOfTwo,
  malformedFlood,
  partitionChurn,
  sigstopOneOfTwo,
} from './fault-scenarios.js';
import { brokerKills, cutConnections } from './fault-scenarios-broker.js';
import { dockerdRestart, twoInstallations } from './fault-scenarios-engine.js';

/** Sizes of one run of the suite: `npm run faults` runs `FULL`, `npm test` runs `REDUCED`. */
export interface SuiteScale {
  readonly kills: number;
  readonly killTasks: number;
  readonly twoWorkerTasks: number;
  readonly stopMs: number;
  readonly churnCycles: number;
  readonly churnTasks: number;
  readonly malformed: number;
  readonly huge: number;
  /** Task length of the two-installations scenario, seconds. */
  readonly installationTaskS: number;
  /** Function tasks during the dockerd restart; 0 leaves the scenario out. */
  readonly dockerdTasks: number;
  /** kill -9s of a broker of the suite's own; 0 leaves the scenario out. */
  readonly brokerKills: number;
  /** Connection cuts through the proxy (alternately after a produce request and all at once). */
  readonly connectionCuts: number;
}

export const FULL: SuiteScale = {
  kills: 20,
  killTasks: 2600,
  twoWorkerTasks: 1500,
  stopMs: 60_000,
  churnCycles: 6,
  churnTasks: 3000,
  malformed: 1000,
  huge: 5,
  installationTaskS: 300,
  dockerdTasks: 1500,
  brokerKills: 3,
  connectionCuts: 20,
};

export const REDUCED: SuiteScale = {
  kills: 2,
  killTasks: 300,
  twoWorkerTasks: 300,
  stopMs: 20_000,
  churnCycles: 2,
  churnTasks: 600,
  malformed: 60,
  huge: 1,
  installationTaskS: 15,
  dockerdTasks: 0,
  // test/integration/broker-outage.test.ts kills a broker three times in every npm test already.
  brokerKills: 0,
  connectionCuts: 4,
};

/** Runs every scenario in turn and returns the rows (printed as one table by the caller). */
export async function runSuite(scale: SuiteScale, log: (line: string) => void): Promise<FaultRow[]> {
  const rows: FaultRow[] = [];
  const steps: (() => Promise<FaultRow>)[] = [
    () => killLoop(scale.kills, scale.killTasks),
    () => killOneOfTwo(scale.twoWorkerTasks),
    () => sigstopOneOfTwo(scale.twoWorkerTasks / 3, scale.stopMs),
    () => partitionChurn(scale.churnCycles, scale.churnTasks),
    () => malformedFlood(scale.malformed, scale.huge),
    () => twoInstallations(scale.installationTaskS),
    ...(scale.brokerKills > 0 ? [() => brokerKills(scale.brokerKills)] : []),
    () => cutConnections(scale.connectionCuts),
    // FAULTS_SKIP_DOCKERD=1 leaves the engine alone (when other work shares it).
    ...(scale.dockerdTasks > 0 && process.env.FAULTS_SKIP_DOCKERD !== '1'
      ? [() => dockerdRestart(scale.dockerdTasks)]
      : []),
  ];
  for (const step of steps) {
    const row = await step();
    rows.push(row);
    log(printTable([row]));
  }
  return rows;
}

export { printTable };

/** Every row: 0 lost, 0 conflicting results, 0 orphan containers, 0 stuck partitions. */
export function expectClean(rows: readonly FaultRow[]): void {
  for (const r of rows) {
    const { scenario, lost, conflicting, orphans, stuckPartitions } = r;
    expect({ scenario, lost, conflicting, orphans, stuckPartitions }).toEqual({
      scenario,
      lost: 0,
      conflicting: 0,
      orphans: 0,
      stuckPartitions: 0,
    });
  }
}

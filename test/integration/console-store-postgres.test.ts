import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { openStore } from '../../src/console/store-connection.js';
import { describeResultStore } from '../support/console-store-contract.js';
import { PostgresHarness } from '../support/postgres-harness.js';

/** The store contract on a real PostgreSQL (a throwaway cluster), one fresh database per test. */
const pg = new PostgresHarness();
let n = 0;
beforeAll(() => pg.start(), 60_000);
afterAll(() => pg.stop());

describeResultStore('PostgreSQL', async () => {
  const admin = openStore({ kind: 'postgres', url: pg.url });
  const name = `store_${process.pid}_${n++}`;
  await sql.raw(`CREATE DATABASE ${name}`).execute(admin.db);
  await admin.close();
  return openStore({ kind: 'postgres', url: pg.url.replace(/\/postgres$/, `/${name}`) });
});

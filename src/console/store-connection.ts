import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { StoreDialect } from './store-migrations.js';
import type { ConsoleTables } from './store-schema.js';

/** Where the store lives: a SQLite file (default) or a PostgreSQL URL. */
export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

export interface StoreConnection {
  readonly db: Kysely<ConsoleTables>;
  readonly dialect: StoreDialect;
  close(): Promise<void>;
}

/** int8 (bigint) and numeric counts as JS numbers: epoch ms and byte counts stay below 2^53. */
const PG_INT8 = 20;

/**
 * Opens the store. SQLite runs in WAL mode with a busy timeout, so a second console on the same
 * file waits for the writer instead of failing; PostgreSQL uses a small pool.
 */
export function openStore(location: StoreLocation): StoreConnection {
  if (location.kind === 'sqlite') {
    if (location.path !== ':memory:') mkdirSync(dirname(location.path), { recursive: true });
    const database = new Database(location.path);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('busy_timeout = 10000');
    const db = new Kysely<ConsoleTables>({ dialect: new SqliteDialect({ database }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: location.url,
    max: 5,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<ConsoleTables>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from '@jest/globals';
import { systemClock } from '../../controller/clock/clock';
import { openStore, type SqlStore } from '../../controller/store/store';
import { createTestDatabase } from './postgres';

/** The store the shared store suites run on: `postgres` under the store-postgres jest project, SQLite otherwise. */
export function storeBackend(): 'sqlite' | 'postgres' {
  return process.env.PREWARM_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * A fresh store: SQLite in its own temp dir, or (store-postgres project) a new database on the test cluster. Both
 * are removed by cleanup().
 */
export async function tempStore(clock: { now(): number } = systemClock): Promise<{ store: SqlStore; dir: string; cleanup(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-store-'));
  if (storeBackend() === 'postgres') {
    const database = await createTestDatabase('store');
    const store = await openStore(database.url, { clock });
    // The store's leader-only writes are fenced on PostgreSQL: the test process leads, so every suite runs through
    // the fence checks too.
    store.setFence(await store.acquireLeadership('test-process', 24 * 3_600_000));
    return {
      store,
      dir,
      async cleanup() {
        await store.close().catch(() => undefined);
        await database.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const store = await openStore(`sqlite:${path.join(dir, 'test.db')}`, { exclusive: true, clock });
  return {
    store,
    dir,
    async cleanup() {
      await store.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registers nothing: a test that belongs to the other store's run (not a skipped test, which would count as one). */
const elsewhere = (() => undefined) as unknown as typeof test;

/** A test of SQLite's own behaviour (its query plans, its file lock): part of the SQLite run only. */
export const sqliteOnly = storeBackend() === 'sqlite' ? test : elsewhere;

/** A test of what only PostgreSQL has (several connections, the fence): part of the `store postgres` run only. */
export const postgresOnly = storeBackend() === 'postgres' ? test : elsewhere;

import type { Kysely, Transaction } from 'kysely';
import type { Database } from './tables';

/** Either the database or a transaction on it: store functions work inside or outside a transaction. */
export type Db = Kysely<Database> | Transaction<Database>;

/** PostgreSQL's deadlock_detected and serialization_failure: the server undid the transaction, which may run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

/**
 * Runs `fn` in one transaction: every mutation is all-or-nothing. On PostgreSQL, where transactions on other
 * connections and replicas can deadlock with this one (two writers of the same rows in opposite orders), a transaction
 * the server aborted for that is run again from the start, up to three times; `fn` touches only the database, so a
 * second run is a clean retry. SQLite has one writer and never reports these.
 */
export async function inTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (err) {
      if (attempt >= ATTEMPTS || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
    }
  }
}

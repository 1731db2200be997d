import type { Kysely, Transaction } from 'kysely';
import type { Database } from './tables';

/** Either the database or a transaction on it: store functions work inside or outside a transaction. */
export type Db = Kysely<Database> | Transaction<Database>;

/** Runs `fn` in one transaction: every mutation is all-or-nothing. */
export function inTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from '../../controller/store/migrations';

/**
 * A database file as an older release left it: migrated up to and including `last`, nothing later. `seed` runs on
 * the raw connection afterwards (rows that must survive the newer migrations).
 */
export async function oldDatabase(last: string, seed?: (raw: BetterSqlite3.Database) => void): Promise<{ file: string; dir: string; cleanup(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-old-db-'));
  const file = path.join(dir, 'test.db');
  const raw = new BetterSqlite3(file);
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }) });
  try {
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo(last);
    if (error) throw error;
    seed?.(raw);
  } finally {
    await db.destroy();
  }
  return { file, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

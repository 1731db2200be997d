import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DEFAULT_MIGRATION_TABLE, Kysely, Migrator, SqliteDialect, type SqliteStatement } from 'kysely';
import { type ClaimCall, claimManySync } from './claims';
import { checkDatabasePath, checkOwnership, DatabaseDamagedError, DatabaseFileError, explainOpenError, type FileState, isDamage } from './file-checks';
import { checkIntegrity, type IntegrityReport } from './integrity';
import { migrationNames, migrationProvider } from './migrations';
import type { Database, InstanceRow } from './tables';

/** An open database: the query builder plus what only the SQLite connection itself can do. */
export interface Connection {
  db: Kysely<Database>;
  /** Human description for logs, e.g. `sqlite:/abs/prewarm.db`. */
  description: string;
  /** Directory next to the database file, for state that belongs with it (driver state, by default). */
  dataDir: string;
  /**
   * True while the store answers a read of every table the reconcile loop reads, and no query since the open
   * met a damaged page (damage does not heal while running: false until a restart, whose integrity check names it).
   */
  ping(): Promise<boolean>;
  /** Moves the WAL into the database without waiting for readers (cheap when there is little to move). */
  checkpoint(): void;
  /** Many claims in one transaction, synchronously; null while another transaction is open (retry). */
  claimMany(requests: readonly ClaimCall[]): Array<InstanceRow | undefined> | null;
  /**
   * Runs `fn` synchronously in one transaction of its own, now, when no other transaction is open on the connection;
   * null otherwise (the caller retries or uses `sync`). For batches: one commit for many small writes.
   */
  trySync<T>(fn: (db: SyncDb) => T): { value: T } | null;
  /** Runs `fn` synchronously in one transaction: at once when the connection is idle, else after the open transaction. */
  sync<T>(fn: (db: SyncDb) => T): Promise<T>;
  close(): Promise<void>;
}

/**
 * Synchronous access to the connection for the store's batched paths (claims, activity, lifecycle actions): no
 * awaits inside, so nothing else can interleave, and statements are prepared once per SQL text.
 */
export interface SyncDb {
  prepare(sql: string): BetterSqlite3.Statement;
  /** Runs `fn` in a savepoint: its failure undoes its own writes only, and is rethrown. */
  savepoint<T>(fn: () => T): T;
}

/**
 * SQLite's page cache for the connection, in KiB. better-sqlite3 builds SQLite with 16 MiB, which a controller fills
 * with its first full read of a large database (the integrity check, the snapshot mirror's load) and then keeps
 * resident for good: 12 MiB more than this, in a controller that holds 100,000 instances in about 170 MB. What the
 * loops read every tick (revision deltas, in-flight jobs, the claim index) is a small working set, and a page that is
 * not cached comes from the operating system's cache; 4 MiB is twice SQLite's own default.
 */
export const pageCacheKiB = 4096;

/** A second controller on the same SQLite file: refused, because SQLite has one writer and no row locks. */
export class StoreLockedError extends Error {
  constructor(file: string) {
    super(
      `another prewarm controller is already using ${file} (the database is locked). ` +
        `Stop it first, or start this one with a different --database.`,
    );
    this.name = 'StoreLockedError';
  }
}

/** Where the store tells the operator about the file it opened (the controller's logger fits). */
export interface StoreLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface OpenOptions {
  /** Hold an exclusive lock on the file for the life of the process (the controller does; tools reading a copy do not). */
  exclusive?: boolean;
  /** Notes about the file: a new database, an empty file initialised, an integrity check limited by size. */
  log?: StoreLog;
  /** Existing files up to this size are integrity-checked whole at open, larger ones partly (integrity.ts). */
  fullCheckMaxBytes?: number;
}

/** Parses `sqlite:PATH`, `sqlite://PATH` and `sqlite::memory:`; other schemes get a clear error. */
export function parseDatabaseUrl(url: string): { kind: 'sqlite'; file: string } {
  const trimmed = url.trim();
  if (trimmed === '') throw new Error('--database: empty; expected sqlite:PATH');
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    throw new Error('--database: PostgreSQL is not supported by this version yet; use sqlite:PATH');
  }
  const m = /^sqlite:(?:\/\/)?(.+)$/i.exec(trimmed);
  if (!m) throw new Error(`--database: unsupported URL "${url}"; expected sqlite:PATH (for example sqlite:./prewarm.db)`);
  return { kind: 'sqlite', file: m[1] };
}

/**
 * Opens (creating if needed) and migrates the database. Before anything is written, the file must be a SQLite
 * database that is prewarm's (or new), that this version knows every migration of, and that passes the integrity
 * check; otherwise the open fails with a message that names the file and says what to do.
 */
export async function openConnection(url: string, options: OpenOptions = {}): Promise<Connection> {
  const { file } = parseDatabaseUrl(url);
  const memory = file === ':memory:';
  const abs = memory ? ':memory:' : path.resolve(file);
  const state: FileState = memory ? { existed: false, empty: false, bytes: 0 } : checkDatabasePath(abs);
  let raw: BetterSqlite3.Database;
  try {
    raw = new BetterSqlite3(abs, { timeout: 200 });
  } catch (err) {
    throw explainOpenError(err, abs);
  }
  let fresh: boolean;
  let integrity: IntegrityReport | undefined;
  try {
    // Set first, so the integrity check's read of every page cannot fill a larger one (see pageCacheKiB).
    raw.pragma(`cache_size = -${pageCacheKiB}`);
    if (options.exclusive && !memory) {
      // EXCLUSIVE locking mode keeps the lock after the first write transaction until the connection
      // closes; the OS drops it if the process dies, so a kill -9 never leaves a stale lock behind.
      raw.pragma('locking_mode = EXCLUSIVE');
      try {
        raw.exec('BEGIN IMMEDIATE; COMMIT;');
      } catch (err) {
        if (isBusy(err)) throw new StoreLockedError(abs);
        throw err;
      }
    }
    // Reads only, up to here: a database that is someone else's, newer or damaged is left exactly as it was.
    ({ fresh } = checkOwnership(raw, abs, migrationNames, DEFAULT_MIGRATION_TABLE));
    if (state.existed && !state.empty) integrity = checkIntegrity(raw, abs, state.bytes, options.fullCheckMaxBytes);
    const journal = raw.pragma('journal_mode = WAL', { simple: true });
    if (!memory && journal !== 'wal') {
      throw new DatabaseFileError(
        abs,
        `--database: ${abs} cannot use write-ahead logging (the journal mode stays "${String(journal)}"). ` +
          `Check that ${path.dirname(abs)} is writable and on a local file system (WAL needs shared memory, which network file systems lack).`,
      );
    }
    // FULL: a commit is on disk before it is acknowledged, so a claim handed out or a build intent written
    // survives power loss too, not just a process crash (NORMAL may roll back the last commits then).
    raw.pragma('synchronous = FULL');
    // Checkpoints copy the WAL into the database and fsync; left to auto-checkpointing they land inside
    // whichever claim crosses the threshold. The reconcile loop checkpoints between ticks instead
    // (checkpoint()), and the threshold only guards against an unbounded WAL.
    raw.pragma('wal_autocheckpoint = 16384');
    raw.pragma('foreign_keys = ON');
  } catch (err) {
    raw.close();
    if (isBusy(err)) throw new StoreLockedError(abs);
    throw explainOpenError(err, abs);
  }

  if (!memory) reportOpened(options.log, abs, state, fresh, integrity);

  /** The first damaged page a query met; from then on ping() answers false. */
  let damage: DatabaseDamagedError | undefined;
  /** Runs a statement; SQLite's "malformed" errors become ones that name the file and say what to do. */
  const guard = <T>(run: () => T): T => {
    try {
      return run();
    } catch (err) {
      if (!isDamage(err)) throw err;
      const named = new DatabaseDamagedError(abs, [(err as Error).message], { cause: err });
      damage ??= named;
      throw named;
    }
  };

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(raw, guard) }) });
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`--database: ${abs}: migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }

  const statements = new Map<string, BetterSqlite3.Statement>();
  const syncDb: SyncDb = {
    prepare(sqlText) {
      let stmt = statements.get(sqlText);
      if (!stmt) statements.set(sqlText, (stmt = guard(() => raw.prepare(sqlText))));
      return stmt;
    },
    savepoint: (fn) => raw.transaction(fn)(),
  };
  // better-sqlite3 turns a nested transaction() into a savepoint, so the same wrapper serves both levels.
  const runSync = <T>(fn: (db: SyncDb) => T): T => guard(() => raw.transaction(() => fn(syncDb))());

  let pingStatement: BetterSqlite3.Statement | undefined;
  return {
    db,
    description: `sqlite:${abs}`,
    dataDir: memory ? process.cwd() : path.dirname(abs),
    async ping() {
      if (damage) return false;
      try {
        guard(() => (pingStatement ??= raw.prepare(pingSql)).get());
        return true;
      } catch {
        return false;
      }
    },
    checkpoint() {
      // A kysely transaction (a job starting or finishing) may be open on the connection across awaits; SQLite
      // refuses a checkpoint then. Skipping is harmless: the next tick checkpoints, and the WAL has its own cap.
      if (raw.inTransaction) return;
      try {
        guard(() => raw.pragma('wal_checkpoint(PASSIVE)'));
      } catch (err) {
        if (!isBusy(err)) throw err;
      }
    },
    claimMany: (requests) => guard(() => claimManySync(raw, requests)),
    // Kysely's own transactions span awaits; a statement run while one is open would silently join it.
    trySync: (fn) => (raw.inTransaction ? null : { value: runSync(fn) }),
    async sync(fn) {
      if (!raw.inTransaction) return runSync(fn);
      // Kysely holds its connection for the whole of its transaction: queued behind it, ours runs alone, and
      // runSync nests in it as a savepoint.
      return db.transaction().execute(async () => runSync(fn));
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * One read of every table a reconcile tick reads, along the paths the tick takes, bounded so a readiness probe
 * stays cheap whatever the pool size: the small tables whole (meta, templates, revisions, as every tick does),
 * the newest preset and instance through the revision indexes the loop's deltas use (index and table pages), and
 * the in-flight jobs through the state index. A damaged page elsewhere is met by the loop's own queries (its
 * periodic full re-read, the API's listings), and from then on ping() stays false.
 */
const pingSql = `
  select
    (select count(*) from meta)
  + (select count(*) from templates)
  + (select count(*) from revisions)
  + coalesce((select length(spec) from presets order by rev desc limit 1), 0)
  + coalesce((select length(state) from instances order by rev desc limit 1), 0)
  + (select count(*) from jobs where state in ('pending', 'running')) as n`;

function reportOpened(log: StoreLog | undefined, file: string, state: FileState, fresh: boolean, integrity: IntegrityReport | undefined): void {
  if (!log) return;
  if (fresh && state.empty) {
    // An empty file is what `touch` or a provisioning tool leaves, and SQLite reads it as an empty database; it is
    // also what a failed copy leaves, hence the warning.
    log.warn('the database file was empty (0 bytes): initialised a new prewarm database in it', {
      database: file,
      hint: 'if this file should have held your pools (a truncated copy or a failed restore), stop the controller and restore it from a backup',
    });
  } else if (fresh) {
    log.info(state.existed ? 'initialised a new prewarm database in an empty SQLite database' : 'created a new prewarm database', { database: file });
  }
  if (integrity?.scope === 'bounded') {
    log.warn('database integrity check limited by size: history tables not checked', {
      database: file,
      bytes: state.bytes,
      not_checked: integrity.skipped,
      hint: `check them while the controller is stopped: sqlite3 ${file} "PRAGMA quick_check"`,
    });
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/**
 * Kysely prepares every statement anew; preparing costs more than running the small queries of the claim and
 * API paths. Statements are reused by SQL text (the set of distinct query shapes is small and fixed). Every run
 * goes through `guard`, so a damaged page met by any query is noticed (ping) and named in the error.
 */
function cachingStatements(
  raw: BetterSqlite3.Database,
  guard: <T>(run: () => T) => T,
): { close(): void; prepare(sql: string): SqliteStatement } {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        const prepared = guard(() => raw.prepare(sql));
        stmt = {
          reader: prepared.reader,
          all: (params) => guard(() => prepared.all(params)),
          run: (params) => guard(() => prepared.run(params)),
          iterate: (params) => guarded(prepared.iterate(params), guard),
        };
        // A query built with a variable number of parameters (IN lists) makes many shapes; keep the cache bounded.
        if (cache.size > 500) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

function* guarded(rows: IterableIterator<unknown>, guard: <T>(run: () => T) => T): IterableIterator<unknown> {
  for (;;) {
    const next = guard(() => rows.next());
    if (next.done) return;
    yield next.value;
  }
}

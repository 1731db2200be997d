/**
 * What is checked about a SQLite database file before the controller uses it, and the messages an operator reads
 * when it cannot be used. Every message starts `--database:`, names the file and says what to do: the controller
 * refuses to start on these problems rather than start and fail every tick.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

/** A database file the controller cannot use as it is; the message says why and what to do. */
export class DatabaseFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'DatabaseFileError';
  }
}

/** The damage advice, shared by the start-up check and the errors of queries that meet a damaged page later. */
export function damageAdvice(file: string): string {
  return (
    `Stop the controller and restore ${file} from a backup; or move it aside (with its -wal file) to start ` +
    `with a new, empty database; \`sqlite3 ${file} ".recover" > recovered.sql\` salvages the readable rows`
  );
}

/** A database whose pages are damaged: found at start by the integrity check, or by a query while running. */
export class DatabaseDamagedError extends DatabaseFileError {
  constructor(
    file: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(file, `--database: ${file} is damaged (${problems.join('; ')}). ${damageAdvice(file)}.`);
    this.name = 'DatabaseDamagedError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
    // Callers that look at SQLite's code (to tell damage from a busy database) still can.
    const code = (options?.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') (this as { code?: string }).code = code;
  }
}

export interface FileState {
  /** The file existed before this open (false: SQLite creates it). */
  existed: boolean;
  /** The file existed and was empty (zero bytes): SQLite treats it as a new database. */
  empty: boolean;
  /** Bytes of the database and its write-ahead log, which the integrity check reads. */
  bytes: number;
}

const sqliteHeader = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Checks the path before SQLite opens it, so each problem gets its own message instead of SQLite's generic
 * "unable to open database file". Permissions are checked with access(2), which a root process passes whatever
 * the mode bits say; what SQLite itself refuses later is explained by `explainOpenError`.
 */
export function checkDatabasePath(file: string): FileState {
  const dir = path.dirname(file);
  const dirStat = statOrUndefined(dir);
  if (!dirStat) {
    throw new DatabaseFileError(file, `--database: directory ${dir} does not exist. Create it (mkdir -p ${dir}), or point --database at a file in an existing directory.`);
  }
  if (!dirStat.isDirectory()) {
    throw new DatabaseFileError(file, `--database: ${dir} is not a directory, so ${file} cannot be created in it. Point --database at a file in a directory.`);
  }
  const st = statOrUndefined(file);
  if (st?.isDirectory()) {
    throw new DatabaseFileError(
      file,
      `--database: ${file} is a directory, not a database file. Point --database at a file, for example sqlite:${path.join(file, 'prewarm.db')} (it is created if missing).`,
    );
  }
  if (st && !st.isFile()) {
    throw new DatabaseFileError(file, `--database: ${file} is not a regular file. Point --database at a SQLite database file (it is created if missing).`);
  }
  if (!accessible(dir, fs.constants.W_OK | fs.constants.X_OK)) {
    throw new DatabaseFileError(
      file,
      st
        ? `--database: directory ${dir} is not writable by this user (uid ${uid()}): SQLite creates its write-ahead log ` +
            `(${path.basename(file)}-wal) next to the database. Make ${dir} writable for the controller's user, or move the database to a writable directory.`
        : `--database: cannot create ${file}: directory ${dir} is not writable by this user (uid ${uid()}). ` +
            `Make it writable for the controller's user, or point --database at a writable directory.`,
    );
  }
  if (!st) return { existed: false, empty: false, bytes: 0 };
  if (!accessible(file, fs.constants.R_OK | fs.constants.W_OK)) {
    throw new DatabaseFileError(file, readOnlyFile(file));
  }
  // SQLite's companion files: a tool run as another user (sqlite3 as root, a backup job) leaves them behind, and
  // SQLite then silently opens the database read-only. The -wal file may hold committed writes: never delete it.
  for (const suffix of ['-wal', '-shm', '-journal']) {
    const companion = `${file}${suffix}`;
    if (fs.existsSync(companion) && !accessible(companion, fs.constants.R_OK | fs.constants.W_OK)) {
      throw new DatabaseFileError(
        file,
        `--database: ${companion} (SQLite's ${suffix === '-journal' ? 'rollback journal' : suffix === '-wal' ? 'write-ahead log' : 'shared-memory index'} ` +
          `of ${path.basename(file)}) is not writable by this user (uid ${uid()}); another user's tool probably left it. ` +
          `Give it to the controller's user (chown it like ${path.basename(file)}); do not delete it, it may hold committed writes.`,
      );
    }
  }
  if (st.size === 0) return { existed: true, empty: true, bytes: 0 };
  const head = Buffer.alloc(sqliteHeader.length);
  const fd = fs.openSync(file, 'r');
  let n: number;
  try {
    n = fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (n < head.length || !head.equals(sqliteHeader)) {
    throw new DatabaseFileError(file, notSqlite(file, st.size));
  }
  const wal = statOrUndefined(`${file}-wal`);
  return { existed: true, empty: false, bytes: st.size + (wal?.isFile() ? wal.size : 0) };
}

/**
 * SQLite's own refusals, for what the path checks cannot see (root, read-only mounts, a file changed between the
 * check and the open), in the same words. Errors this does not know are returned unchanged.
 */
export function explainOpenError(err: unknown, file: string): unknown {
  if (err instanceof DatabaseFileError) return err;
  const code = sqliteCode(err);
  const dir = path.dirname(file);
  if (code === 'SQLITE_NOTADB') return new DatabaseFileError(file, notSqlite(file));
  if (code.startsWith('SQLITE_CORRUPT')) return new DatabaseDamagedError(file, [(err as Error).message], { cause: err });
  if (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN_ISDIR') {
    return new DatabaseFileError(
      file,
      `--database: cannot write next to ${file}: directory ${dir} is read-only (SQLite creates ${path.basename(file)}-wal there). ` +
        `Make it writable for the controller's user, or move the database to a writable directory.`,
    );
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new DatabaseFileError(
      file,
      `--database: ${file} cannot be written (${(err as Error).message}): the file, its -wal or -shm file, or the file system ` +
        `is read-only for this user (uid ${uid()}). Give the controller's user write access to all three (chown or chmod u+w), ` +
        `or copy the database to a writable place and point --database there.`,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new DatabaseFileError(
      file,
      `--database: cannot open ${file} (${(err as Error).message}): the controller needs to read and write it and to create files in ${dir}. ` +
        `Check the path, the permissions of the file and of ${dir}, and that the file system is not mounted read-only.`,
    );
  }
  if (code === 'SQLITE_FULL') {
    return new DatabaseFileError(file, `--database: the disk holding ${file} is full. Free space on it, then start again.`);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new DatabaseFileError(
      file,
      `--database: input/output error on ${file} (${code}: ${(err as Error).message}). Check the disk and the file system ` +
        `(dmesg); if the file itself is damaged, restore it from a backup.`,
    );
  }
  return err;
}

/** True for the errors that mean the database's pages are damaged (not busy, not a full disk). */
export function isDamage(err: unknown): boolean {
  const code = sqliteCode(err);
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

export function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Decides whether an existing SQLite database is prewarm's to open, before anything is written to it:
 * - no tables at all: a new database (SQLite's view of an empty file too), migrated from scratch;
 * - tables but no migration bookkeeping: another program's database, refused rather than adopted;
 * - migrations this version does not know: written by a newer prewarm, refused; nothing is migrated.
 * Returns whether the database is new.
 */
export function checkOwnership(raw: BetterSqlite3.Database, file: string, known: readonly string[], migrationTable: string): { fresh: boolean } {
  const tables = (
    raw.prepare(`select name from sqlite_schema where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by name`).all() as Array<{ name: string }>
  ).map((r) => r.name);
  if (tables.length === 0) return { fresh: true };
  if (!tables.includes(migrationTable)) {
    throw new DatabaseFileError(
      file,
      `--database: ${file} is a SQLite database but not a prewarm database: it has tables (${list(tables)}) and no record of prewarm's migrations ` +
        `(table ${migrationTable}). prewarm does not take over a database it did not create. Point --database at a new file ` +
        `(it is created) or at an existing prewarm database.`,
    );
  }
  const applied = (raw.prepare(`select name from ${migrationTable} order by name`).all() as Array<{ name: string }>).map((r) => r.name);
  const unknown = applied.filter((n) => !known.includes(n));
  if (unknown.length > 0 && unknown.length === applied.length) {
    throw new DatabaseFileError(
      file,
      `--database: ${file} is not a prewarm database: its migrations (${list(applied)}) are none of prewarm's (${list(known)}). ` +
        `Point --database at a new file (it is created) or at an existing prewarm database.`,
    );
  }
  if (unknown.length > 0) {
    throw new DatabaseFileError(
      file,
      `--database: ${file} was written by a newer prewarm: it has migration${unknown.length > 1 ? 's' : ''} ${list(unknown)}, which this version ` +
        `does not know (it knows ${list(known)}). Nothing was changed. Run the newer prewarm with it, or restore a backup taken before the upgrade.`,
    );
  }
  return { fresh: false };
}

function readOnlyFile(file: string): string {
  return (
    `--database: ${file} is read-only for this user (uid ${uid()}): the controller writes to its database. ` +
    `Give the controller's user write access (chown or chmod u+w), or copy the file to a writable place and point --database there.`
  );
}

function notSqlite(file: string, size?: number): string {
  return (
    `--database: ${file} is not a SQLite database${size === undefined ? '' : ` (${size} bytes that do not start with the SQLite header)`}. ` +
    `Check that --database names the right file; to start a new database at this path, move the file aside first.`
  );
}

function list(names: readonly string[]): string {
  return names.length > 6 ? `${names.slice(0, 6).join(', ')}, … ${names.length - 6} more` : names.join(', ');
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function accessible(p: string, mode: number): boolean {
  try {
    fs.accessSync(p, mode);
    return true;
  } catch {
    return false;
  }
}

function uid(): string {
  return typeof process.getuid === 'function' ? String(process.getuid()) : 'unknown';
}

/**
 * Opening a PostgreSQL database: the URL, the pool, clear errors for the ways an open fails, and the migrations, run
 * once under an advisory lock (kysely's migrator on PostgreSQL takes one) and in one transaction, so replicas that
 * start together migrate once and a failed migration leaves nothing half-applied.
 */
import { DEFAULT_MIGRATION_TABLE, Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { ArrayQuery } from './workspace-reader';
import { migrationNames, migrationProviderFor } from './migrations';
import { numbered } from './sql-text';
import type { Database } from './tables';

/** What `--database postgres://…` asks for, with prewarm's own parameters taken out of the URL. */
export interface PostgresTarget {
  /** The URL handed to the driver: TLS parameters (sslmode, sslrootcert, sslcert, sslkey) pass through. */
  connectionString: string;
  /** The URL without its password, for logs and messages. */
  display: string;
  host: string;
  port: number;
  user: string;
  database: string;
  poolMax: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
}

const ownParams = {
  pool_max: { min: 2, max: 200, fallback: 10 },
  statement_timeout_ms: { min: 100, max: 3_600_000, fallback: 30_000 },
  connect_timeout_ms: { min: 100, max: 300_000, fallback: 10_000 },
} as const;

/** A malformed or unusable --database URL. */
export class DatabaseUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUrlError';
  }
}

/** sysexits.h: the service is unavailable (worth retrying later) vs a configuration error (retrying will not help). */
export const EX_UNAVAILABLE = 69;
export const EX_CONFIG = 78;

/**
 * The server could not be used: unreachable (exit code 69, a supervisor may retry), or refused the credentials, no
 * such database, not prewarm's, newer, a failed migration (78: someone has to change something first).
 */
export class PostgresOpenError extends Error {
  readonly exitCode: number;
  constructor(message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PostgresOpenError';
    this.exitCode = options.exitCode ?? EX_CONFIG;
  }
}

export function parsePostgresUrl(url: string): PostgresTarget {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new DatabaseUrlError(`--database: "${redact(url)}" is not a valid URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new DatabaseUrlError(`--database: unsupported scheme "${u.protocol}"; expected postgres://… or sqlite:PATH`);
  }
  if (u.hostname === '') throw new DatabaseUrlError(`--database: ${redact(url)} names no host; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new DatabaseUrlError(`--database: ${redact(url)} names no database; add it as the path, e.g. postgres://prewarm@db.internal:5432/prewarm`);
  }
  const port = u.port === '' ? 5432 : Number(u.port);
  const numbers: Record<string, number> = {};
  for (const [name, range] of Object.entries(ownParams)) {
    const raw = u.searchParams.get(name);
    u.searchParams.delete(name);
    if (raw === null) {
      numbers[name] = range.fallback;
      continue;
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < range.min || n > range.max) {
      throw new DatabaseUrlError(`--database: ${name}=${JSON.stringify(raw.slice(0, 40))} must be a whole number from ${range.min} to ${range.max}`);
    }
    numbers[name] = n;
  }
  const user = decodeURIComponent(u.username) || process.env.PGUSER || process.env.USER || 'postgres';
  return {
    connectionString: u.toString(),
    display: redact(u.toString()),
    host: u.hostname,
    port,
    user,
    database,
    poolMax: numbers.pool_max,
    statementTimeoutMs: numbers.statement_timeout_ms,
    connectTimeoutMs: numbers.connect_timeout_ms,
  };
}

/** The URL with any password replaced: it is never logged or printed. */
export function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/** int8 (bigint, count(*)) as a JavaScript number: times are epoch milliseconds and ids stay far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format);
  },
};

export interface PostgresLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface PostgresConnection {
  db: Kysely<Database>;
  /** Two connections of their own for the replica heartbeat and the leader lease. */
  controlDb: Kysely<Database>;
  pool: pg.Pool;
  target: PostgresTarget;
  /** True while a query on the pool succeeds. */
  ping(): Promise<boolean>;
  /** Runs `fn` in one read-only transaction that sees a single snapshot (repeatable read); rows as arrays. */
  readSnapshot<T>(fn: (query: ArrayQuery) => Promise<T>): Promise<T>;
  /** A connection of its own, outside the pool (the leader's advisory-lock session). */
  dedicatedClient(): Promise<pg.Client>;
  close(): Promise<void>;
}

/** Creates the pool, checks the server and the schema, and migrates; every failure names its cause. */
export async function openPostgres(url: string, log?: PostgresLog): Promise<PostgresConnection> {
  const target = parsePostgresUrl(url);
  const clientConfig: pg.ClientConfig = {
    connectionString: target.connectionString,
    application_name: 'prewarm',
    statement_timeout: target.statementTimeoutMs,
    // A transaction left open by a paused or wedged process would hold its locks; the server ends it.
    idle_in_transaction_session_timeout: Math.max(60_000, target.statementTimeoutMs * 2),
    connectionTimeoutMillis: target.connectTimeoutMs,
    // A statement whose answer never comes (a half-open connection after a network cut) fails here instead of
    // hanging a renewal or a request; the server's own statement_timeout fires first for a slow one.
    query_timeout: target.statementTimeoutMs + 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types,
  };
  const pool = new pg.Pool({ ...clientConfig, max: target.poolMax, idleTimeoutMillis: 30_000 });
  // An idle connection the server drops (a restart, a failover) is reported here; without a listener it would
  // crash the process. The next query opens a new one, and ping() and the loops report the outage meanwhile.
  let lastPoolError = 0;
  pool.on('error', (err) => {
    const now = Date.now();
    if (now - lastPoolError > 10_000) log?.warn('lost a PostgreSQL connection; it is replaced on the next query', { database: target.display, error: err.message });
    lastPoolError = now;
  });
  try {
    const client = await pool.connect().catch((err: unknown) => {
      throw explainConnectError(err, target);
    });
    try {
      await checkSchema(client, target);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }

  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const controlPool = new pg.Pool({ ...clientConfig, max: 2, idleTimeoutMillis: 60_000 });
  controlPool.on('error', () => undefined);
  const controlDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: controlPool }) });
  const { error, results } = await new Migrator({ db, provider: migrationProviderFor('postgres') }).migrateToLatest();
  if (error) {
    await db.destroy();
    await controlDb.destroy();
    const failed = results?.find((r) => r.status === 'Error');
    throw new PostgresOpenError(
      `--database: ${target.display}: migration ${failed?.migrationName ?? ''} failed and was rolled back (nothing of it was applied): ${explainQueryError(error, target)}`,
      { cause: error },
    );
  }
  const applied = results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
  if (applied.length > 0) log?.info('migrated the PostgreSQL database', { database: target.display, migrations: applied });

  return {
    db,
    controlDb,
    pool,
    target,
    async ping() {
      try {
        await pool.query(`select count(*) from revisions`);
        return true;
      } catch {
        return false;
      }
    },
    async readSnapshot(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin isolation level repeatable read read only');
        const query: ArrayQuery = async (text, params) =>
          (await client.query({ text: numbered(text), values: params as unknown[], rowMode: 'array' })).rows as unknown[][];
        const value = await fn(query);
        await client.query('commit');
        return value;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async dedicatedClient() {
      const client = new pg.Client(clientConfig);
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    async close() {
      await controlDb.destroy();
      await db.destroy();
    },
  };
}

/**
 * Read-only checks before anything is written: a database with tables but no record of prewarm's migrations is
 * someone else's; one that records migrations this version does not know was written by a newer prewarm.
 */
async function checkSchema(client: pg.PoolClient, target: PostgresTarget): Promise<void> {
  const tables = (
    await client.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
    )
  ).rows.map((r) => r.table_name);
  if (tables.length === 0) return;
  if (!tables.includes(DEFAULT_MIGRATION_TABLE)) {
    throw new PostgresOpenError(
      `--database: ${target.display} is not a prewarm database: schema has tables (${list(tables)}) and no record of prewarm's migrations ` +
        `(table ${DEFAULT_MIGRATION_TABLE}). prewarm does not take over a database it did not create; point it at an empty database (createdb prewarm).`,
    );
  }
  const applied = (await client.query<{ name: string }>(`select name from ${DEFAULT_MIGRATION_TABLE} order by name`)).rows.map((r) => r.name);
  const unknown = applied.filter((n) => !migrationNames.includes(n));
  if (unknown.length > 0) {
    throw new PostgresOpenError(
      `--database: ${target.display} was written by a newer prewarm: it has migration${unknown.length > 1 ? 's' : ''} ${list(unknown)}, which this version ` +
        `does not know (it knows ${list(migrationNames)}). Nothing was changed. Run the newer prewarm on every replica.`,
    );
  }
}

function explainConnectError(err: unknown, t: PostgresTarget): Error {
  const e = err as { code?: string; message?: string };
  const where = `${t.host}:${t.port}`;
  const reason = e.message ?? String(err);
  switch (e.code) {
    case '28P01':
    case '28000':
      return new PostgresOpenError(
        `--database: PostgreSQL at ${where} refused the credentials of user "${t.user}" (${reason}). Check the user and password in the URL.`,
        { cause: err },
      );
    case '3D000':
      return new PostgresOpenError(
        `--database: PostgreSQL at ${where} has no database "${t.database}". Create it first (createdb -h ${t.host} -p ${t.port} -U ${t.user} ${t.database}).`,
        { cause: err },
      );
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new PostgresOpenError(
        `--database: cannot reach PostgreSQL at ${where} (${e.code}: ${reason}). Check that the server runs and accepts TCP connections there.`,
        { cause: err, exitCode: EX_UNAVAILABLE },
      );
  }
  if (/timeout/i.test(reason)) {
    return new PostgresOpenError(
      `--database: PostgreSQL at ${where} did not answer within ${t.connectTimeoutMs} ms (${reason}). Check the host, the port and any firewall between.`,
      { cause: err, exitCode: EX_UNAVAILABLE },
    );
  }
  // Anything else (the server starting up or shutting down, too many connections, TLS trouble) may pass.
  return new PostgresOpenError(`--database: cannot connect to PostgreSQL at ${where}: ${reason}`, { cause: err, exitCode: EX_UNAVAILABLE });
}

function explainQueryError(err: unknown, t: PostgresTarget): string {
  const e = err as { code?: string; message?: string };
  if (e.code === '42501') return `user "${t.user}" may not create tables in database "${t.database}" (${e.message}); grant it CREATE on the schema`;
  return e.message ?? String(err);
}

function list(names: readonly string[]): string {
  return names.length > 6 ? `${names.slice(0, 6).join(', ')}, … ${names.length - 6} more` : names.join(', ');
}

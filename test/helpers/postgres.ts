/**
 * Real, throwaway PostgreSQL for the tests.
 *
 * jest's globalSetup (test/helpers/pg-global-setup.js) starts one cluster for the whole run when PostgreSQL's server
 * binaries are installed; test files take a database of their own from it with createTestDatabase() and drop it in
 * afterAll. A test that needs a server of its own (to stop or restart it) starts one with startCluster().
 * When no cluster is configured (no binaries, outside CI), skip: `(skipping(pgSkipReason(), 'what') ? test.skip : test)`.
 *
 * The cluster logic is test/helpers/pg-cluster.js (plain JS, so the globalSetup can load it); this file types it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where a running cluster is and its superuser (postgres, with a random password; TCP needs the password). */
export interface PgClusterInfo {
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres */
  adminUrl: string;
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface PgCluster extends PgClusterInfo {
  dataDir: string;
  /** `pg_ctl stop -m immediate`, then removes the cluster's temp directory. Idempotent. */
  stop(): Promise<void>;
}

export interface TestDatabase {
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/NAME */
  url: string;
  name: string;
  /** Ends the database's connections (pg_terminate_backend) and drops it. Idempotent. */
  drop(): Promise<void>;
}

interface ClusterModule {
  ADMIN_URL_ENV: string;
  findBinDir(): string | undefined;
  pgUnavailableReason(): string | undefined;
  startCluster(): Promise<PgCluster>;
}

// A plain-JS module (no declaration file): typed here.
const impl = require('./pg-cluster.js') as ClusterModule;

/** The variable holding the global cluster's superuser URL (set by jest's globalSetup, or by hand for a server of your own). */
export const PG_ADMIN_URL_ENV = impl.ADMIN_URL_ENV;

/**
 * Starts a new cluster of its own (a temp directory, a free loopback port) and resolves once it accepts connections.
 * About 0.7 s here. Call stop() when done; a process that ends without stopping it still has it stopped.
 */
export function startCluster(): Promise<PgCluster> {
  return impl.startCluster();
}

/** Whether PostgreSQL's server binaries are installed here (and, as root, a `postgres` OS user to run them). */
export function pgAvailable(): boolean {
  return impl.pgUnavailableReason() === undefined;
}

/** Why startCluster() cannot work here, or undefined. */
export function pgUnavailableReason(): string | undefined {
  return impl.pgUnavailableReason();
}

/** The cluster jest's globalSetup started for this run, or undefined when there is none. */
export function testCluster(): PgClusterInfo | undefined {
  const adminUrl = process.env[PG_ADMIN_URL_ENV];
  if (!adminUrl) return undefined;
  const url = new URL(adminUrl);
  return {
    adminUrl,
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/** Why there is no test cluster for createTestDatabase(), or undefined when there is one: a reason to skip with. */
export function pgSkipReason(): string | undefined {
  if (testCluster()) return undefined;
  return `no PostgreSQL test cluster: ${impl.pgUnavailableReason() ?? `$${PG_ADMIN_URL_ENV} is not set (jest's globalSetup test/helpers/pg-global-setup.js sets it)`}`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A new, empty database with a random name (`<prefix>_<12 hex digits>`) on the run's cluster, for one test file.
 * Throws when no cluster is configured (see pgSkipReason()).
 */
export async function createTestDatabase(prefix = 'prewarm'): Promise<TestDatabase> {
  const cluster = testCluster();
  if (!cluster) throw new Error(`createTestDatabase: ${pgSkipReason()}`);
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) {
    throw new Error(`createTestDatabase: prefix ${JSON.stringify(prefix)} must be 1-41 of [a-z0-9_], not starting with a digit`);
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin(cluster.adminUrl, (client) => client.query(`CREATE DATABASE ${quoteIdent(name)}`));
  const url = new URL(cluster.adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(cluster.adminUrl, async (client) => {
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      });
    },
  };
}

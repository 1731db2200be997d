/**
 * The PostgreSQL test harness itself (test/helpers/postgres.ts): databases from the run's cluster are separate and
 * usable, and the cluster checks passwords over TCP.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, pgSkipReason, testCluster, type TestDatabase } from '../../helpers/postgres';
import { skipping } from '../../helpers/skip';

const pgTest = skipping(pgSkipReason(), 'the PostgreSQL harness tests') ? test.skip : test;

async function withClient<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let first: TestDatabase | undefined;
let second: TestDatabase | undefined;

beforeAll(async () => {
  if (!testCluster()) return;
  [first, second] = await Promise.all([createTestDatabase(), createTestDatabase('harness')]);
});

afterAll(async () => {
  await Promise.all([first?.drop(), second?.drop()]);
});

pgTest('two test databases are distinct and usable', async () => {
  const a = first!;
  const b = second!;
  expect(a.name).not.toBe(b.name);
  expect(a.url).not.toBe(b.url);
  expect(a.name).toMatch(/^prewarm_[0-9a-f]{12}$/);
  expect(b.name).toMatch(/^harness_[0-9a-f]{12}$/);

  await withClient(a.url, async (client) => {
    expect((await client.query('SELECT current_database() AS db')).rows[0].db).toBe(a.name);
    await client.query('CREATE TABLE t (id integer PRIMARY KEY, label text NOT NULL)');
    await client.query('INSERT INTO t VALUES ($1, $2), ($3, $4)', [1, 'one', 2, 'two']);
    expect((await client.query('SELECT id, label FROM t ORDER BY id')).rows).toEqual([
      { id: 1, label: 'one' },
      { id: 2, label: 'two' },
    ]);
  });
  await withClient(b.url, async (client) => {
    expect((await client.query('SELECT current_database() AS db')).rows[0].db).toBe(b.name);
    expect((await client.query("SELECT to_regclass('public.t') AS t")).rows[0].t).toBeNull();
    await client.query('CREATE TABLE t (id integer PRIMARY KEY)');
  });
});

pgTest('a wrong password is refused (28P01)', async () => {
  const url = new URL(first!.url);
  url.password = 'not-the-password';
  const client = new pg.Client({ connectionString: url.toString() });
  client.on('error', () => {});
  await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
  await client.end().catch(() => {});
});

pgTest('drop() removes the database and ends its connections', async () => {
  const db = await createTestDatabase('dropped');
  const held = new pg.Client({ connectionString: db.url });
  held.on('error', () => {});
  await held.connect();
  try {
    await db.drop();
    await db.drop();
    const { adminUrl } = testCluster()!;
    await withClient(adminUrl, async (client) => {
      expect((await client.query('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [db.name])).rows[0].n).toBe(0);
    });
  } finally {
    await held.end().catch(() => {});
  }
});

/**
 * Every file the controller cannot use is refused at open with a message that names it and says what to do, and
 * nothing is written to a file that is not prewarm's to change. (Read-only files and directories need another
 * user than root: test/integration/damaged-database.test.ts runs those in a process of their own.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { DatabaseFileError } from '../../../controller/store/file-checks';
import { migrationNames } from '../../../controller/store/migrations';
import { openStore } from '../../../controller/store/store';
import { seedDatabase } from '../../helpers/damage';

const clock = { now: () => Date.UTC(2026, 2, 2, 12) };
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

interface Logged {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}
const recordingLog = (lines: Logged[]) => ({
  info: (msg: string, fields?: Record<string, unknown>) => lines.push({ level: 'info', msg, fields }),
  warn: (msg: string, fields?: Record<string, unknown>) => lines.push({ level: 'warn', msg, fields }),
});

/** Opens like the controller does; the rejection must be a DatabaseFileError whose message matches every pattern. */
async function refused(file: string, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(openStore(`sqlite:${file}`, { exclusive: true, clock }), (err: unknown) => {
    assert.ok(err instanceof DatabaseFileError, `expected DatabaseFileError, got ${String(err)}`);
    assert.ok(err.message.startsWith('--database: '), err.message);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-open-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('files that are not usable databases', () => {
  test('a file that is not SQLite is refused and left as it was', async () => {
    const file = path.join(dir, 'prewarm.db');
    fs.writeFileSync(file, 'name,instances\nus-nix,3\n'.repeat(200));
    const before = sha256(file);
    await refused(file, new RegExp(`${esc(file)} is not a SQLite database`), /move the file aside/);
    assert.equal(sha256(file), before);
    assert.deepEqual([...fs.readdirSync(dir)], ['prewarm.db']);
  });

  test('a path that is a directory is refused with the file to give instead', async () => {
    const file = path.join(dir, 'data');
    fs.mkdirSync(file);
    await refused(file, new RegExp(`${esc(file)} is a directory, not a database file`), new RegExp(`sqlite:${esc(path.join(file, 'prewarm.db'))}`));
  });

  test('a missing directory keeps the flag name and says how to fix it; nothing is created', async () => {
    const missing = path.join(dir, 'no', 'such');
    await refused(path.join(missing, 'p.db'), new RegExp(`^--database: directory ${esc(missing)} does not exist`), /mkdir -p/);
    assert.equal(fs.existsSync(path.join(dir, 'no')), false);
  });

  test('a parent that is a file, not a directory, is refused', async () => {
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    await refused(path.join(dir, 'plain', 'p.db'), new RegExp(`${esc(path.join(dir, 'plain'))} is not a directory`));
  });
});

describe('SQLite databases that are not this prewarm’s', () => {
  test('a database of another program (tables, no prewarm migrations) is refused, not adopted', async () => {
    const file = path.join(dir, 'app.db');
    const other = new BetterSqlite3(file);
    other.exec(`create table customers (id integer primary key, name text); insert into customers (name) values ('ada')`);
    other.close();
    const before = sha256(file);
    await refused(file, new RegExp(`${esc(file)} is a SQLite database but not a prewarm database`), /tables \(customers\)/, /new file/);
    assert.equal(sha256(file), before);
    const check = new BetterSqlite3(file, { readonly: true });
    const tables = check.prepare(`select name from sqlite_schema where type = 'table' order by name`).all();
    check.close();
    assert.deepEqual([...tables.map((t) => (t as { name: string }).name)], ['customers']);
  });

  test('a database of another program that also uses kysely migrations is refused', async () => {
    const file = path.join(dir, 'app.db');
    const other = new BetterSqlite3(file);
    other.exec(`create table kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null);
                insert into kysely_migration values ('2024_01_add_users', '2024-01-01T00:00:00.000Z');
                create table users (id integer primary key)`);
    other.close();
    await refused(file, new RegExp(`${esc(file)} is not a prewarm database`), /2024_01_add_users/);
  });

  test('a database written by a newer prewarm is refused, and nothing is migrated', async () => {
    const file = path.join(dir, 'prewarm.db');
    await seedDatabase(file, { historyRows: 10 });
    const newer = new BetterSqlite3(file);
    newer.prepare(`insert into kysely_migration (name, timestamp) values ('9000_from_a_newer_prewarm', '2030-01-01T00:00:00.000Z')`).run();
    newer.close();
    const before = sha256(file);
    await refused(file, new RegExp(`${esc(file)} was written by a newer prewarm`), /9000_from_a_newer_prewarm/, /Nothing was changed/);
    assert.equal(sha256(file), before);
  });
});

describe('new databases', () => {
  test('a zero-byte file becomes a new prewarm database, and the log says the file was empty', async () => {
    const file = path.join(dir, 'prewarm.db');
    fs.writeFileSync(file, '');
    const lines: Logged[] = [];
    const store = await openStore(`sqlite:${file}`, { exclusive: true, clock, log: recordingLog(lines) });
    try {
      assert.equal(await store.ping(), true);
      const note = lines.find((l) => l.msg.includes('empty (0 bytes)'));
      assert.ok(note, JSON.stringify(lines));
      assert.equal(note.level, 'warn');
      assert.equal(note.fields?.database, file);
      assert.match(String(note.fields?.hint), /restore it from a backup/);
      const applied = await store.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
      assert.deepEqual([...applied.map((r) => (r as { name: string }).name)], [...migrationNames]);
    } finally {
      await store.close();
    }
  });

  test('a file that does not exist is created, and the log says so', async () => {
    const file = path.join(dir, 'prewarm.db');
    const lines: Logged[] = [];
    const store = await openStore(`sqlite:${file}`, { exclusive: true, clock, log: recordingLog(lines) });
    await store.close();
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [['info', 'created a new prewarm database']],
    );
  });

  test('a prewarm database opens without notes', async () => {
    const file = path.join(dir, 'prewarm.db');
    await seedDatabase(file, { historyRows: 10 });
    const lines: Logged[] = [];
    const store = await openStore(`sqlite:${file}`, { exclusive: true, clock, log: recordingLog(lines) });
    await store.close();
    assert.deepEqual(lines, []);
  });
});

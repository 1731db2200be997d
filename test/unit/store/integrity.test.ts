/**
 * A damaged database is found at open, not by the first tick that reads the bad page: real prewarm databases are
 * written, closed, and damaged by overwriting bytes in the middle of a page of a table or index (found with
 * dbstat). And ping() reads the tables the loop reads, so a store that cannot answer them is not "ready".
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import { sql } from 'kysely';
import { DatabaseDamagedError } from '../../../controller/store/file-checks';
import { openStore } from '../../../controller/store/store';
import { damageMiddleLeaf, seedDatabase } from '../../helpers/damage';
import { tempStore } from '../../helpers/store';

const clock = { now: () => Date.UTC(2026, 2, 2, 12) };

interface Logged {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

function recordingLog(lines: Logged[]) {
  return {
    info: (msg: string, fields?: Record<string, unknown>) => lines.push({ level: 'info', msg, fields }),
    warn: (msg: string, fields?: Record<string, unknown>) => lines.push({ level: 'warn', msg, fields }),
  };
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The message an operator reads: the file, that it is damaged and the problem, and the ways out. */
function assertDamageMessage(err: unknown, file: string): true {
  assert.ok(err instanceof DatabaseDamagedError, `expected DatabaseDamagedError, got ${String(err)}`);
  assert.ok(err.message.startsWith(`--database: ${file} is damaged (`), err.message);
  assert.match(err.message, /restore .* from a backup/);
  assert.match(err.message, /move it aside/);
  assert.ok(err.message.includes(`sqlite3 ${file} ".recover"`), err.message);
  return true;
}

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-integrity-'));
  file = path.join(dir, 'prewarm.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('integrity check at open', () => {
  test('a damaged page of a table stops the open, names the file and what to do, and writes nothing', async () => {
    await seedDatabase(file, { historyRows: 400 });
    const page = damageMiddleLeaf(file, 'instances');
    const before = sha256(file);
    await assert.rejects(openStore(`sqlite:${file}`, { exclusive: true, clock }), (err: unknown) => {
      assertDamageMessage(err, file);
      assert.match((err as Error).message, new RegExp(`page ${page}\\b`));
      return true;
    });
    assert.equal(sha256(file), before);
    assert.ok(!fs.existsSync(`${file}-wal`) || fs.statSync(`${file}-wal`).size === 0);
  });

  test('a damaged page of an index stops the open too', async () => {
    await seedDatabase(file, { historyRows: 400 });
    damageMiddleLeaf(file, 'instances_claim');
    await assert.rejects(openStore(`sqlite:${file}`, { exclusive: true, clock }), (err: unknown) => assertDamageMessage(err, file));
  });

  test('an undamaged database opens after the check', async () => {
    await seedDatabase(file, { historyRows: 400 });
    const store = await openStore(`sqlite:${file}`, { exclusive: true, clock });
    try {
      assert.equal((await store.listInstances({ state: 'deleted' })).length, 400);
      assert.equal(await store.ping(), true);
    } finally {
      await store.close();
    }
  });

  describe('a file larger than the full-check bound', () => {
    test('the pool tables are still checked: a damaged preset page stops the open', async () => {
      await seedDatabase(file, { presets: 12, historyRows: 50 });
      damageMiddleLeaf(file, 'presets');
      await assert.rejects(openStore(`sqlite:${file}`, { exclusive: true, clock, fullCheckMaxBytes: 1 }), (err: unknown) => assertDamageMessage(err, file));
    });

    test('the history tables are not: the log says which, and the first query that meets the damage names it; ping stays false', async () => {
      await seedDatabase(file, { historyRows: 400 });
      damageMiddleLeaf(file, 'instances');
      const lines: Logged[] = [];
      const store = await openStore(`sqlite:${file}`, { exclusive: true, clock, fullCheckMaxBytes: 1, log: recordingLog(lines) });
      try {
        const note = lines.find((l) => l.msg.startsWith('database integrity check limited by size'));
        assert.ok(note, JSON.stringify(lines));
        assert.equal(note.level, 'warn');
        assert.deepEqual([...(note.fields?.not_checked as string[])], ['instances', 'jobs', 'notifications']);
        assert.equal(note.fields?.database, file);
        assert.match(String(note.fields?.hint), /PRAGMA quick_check/);

        // The probe's bounded read does not reach the damaged page; the full listing does.
        assert.equal(await store.ping(), true);
        await assert.rejects(store.listInstances({}), (err: unknown) => assertDamageMessage(err, file));
        assert.equal(await store.ping(), false);
      } finally {
        await store.close();
      }
    });
  });
});

describe('ping reads the tables the reconcile loop reads', () => {
  test('a table the loop reads that cannot be read makes ping false, and true again once it can', async () => {
    const { store, cleanup } = await tempStore(clock);
    try {
      assert.equal(await store.ping(), true);
      for (const table of ['meta', 'templates', 'presets', 'instances', 'jobs', 'revisions']) {
        await sql.raw(`alter table ${table} rename to ${table}_away`).execute(store.db);
        assert.equal(await store.ping(), false, `ping with ${table} unreadable`);
        await sql.raw(`alter table ${table}_away rename to ${table}`).execute(store.db);
        assert.equal(await store.ping(), true, `ping with ${table} back`);
      }
    } finally {
      await cleanup();
    }
  });

  test('a closed store is not ready', async () => {
    const { store, cleanup } = await tempStore(clock);
    await store.close();
    assert.equal(await store.ping(), false);
    await cleanup();
  });
});

/** The SQLite connection's page cache is bounded by the store (pageCacheKiB), not left at better-sqlite3's 16 MiB. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from '@jest/globals';
import { sql } from 'kysely';
import { openConnection, pageCacheKiB } from '../../../controller/store/connection';

test('a connection opened on a new or an existing file has the bounded page cache', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-page-cache-'));
  try {
    const file = path.join(dir, 'test.db');
    for (const what of ['new', 'existing']) {
      const connection = await openConnection(`sqlite:${file}`, { exclusive: true });
      try {
        const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(connection.db);
        assert.equal(rows[0]?.cache_size, -pageCacheKiB, what);
      } finally {
        await connection.close();
      }
    }
    assert.ok(pageCacheKiB >= 2000 && pageCacheKiB < 16000, 'between SQLite\'s default and better-sqlite3\'s');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

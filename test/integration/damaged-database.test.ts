/**
 * A damaged or unusable database, seen from outside the controller: a real controller process refuses to start
 * on it and says why on stderr, and damage that appears while a controller runs turns /readyz to 503. The damage
 * is real (bytes overwritten in the middle of b-tree pages found with dbstat); read-only files are made read-only
 * for the user the controller runs as (`nobody` when the tests run as root, since root ignores file modes).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import type { Logger } from '../../controller/log';
import { exampleDrivers, repoRoot, startTestController } from '../helpers/controller';
import { damageMiddleLeaf, leafPages, pageCacheCapacity, seedDatabase, zeroFirstSectors } from '../helpers/damage';
import { FakeClock } from '../helpers/fake-clock';
import { skipping } from '../helpers/skip';

const runner = path.join(repoRoot, 'test/helpers/run-controller.ts');
const T0 = Date.UTC(2026, 2, 2, 12);

/** uid/gid to run the controller as: unprivileged, so file modes apply. */
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
/** Run as nobody, the controller must be able to read the sources and node_modules. */
const unreadable =
  asUser.uid !== undefined &&
  [repoRoot, path.join(repoRoot, 'node_modules')].find((p) => (fs.statSync(p).mode & 0o005) !== 0o005);
const refusalTest = skipping(unreadable && `${unreadable} is not readable by other users, so the controller cannot run as nobody`, 'the controller-process refusal tests')
  ? test.skip
  : test;

/** Starts a real controller process on `db` and waits for it to exit; it must not get as far as serving. */
function startExpectingRefusal(db: string, cwd: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      runner,
      JSON.stringify({ database: `sqlite:${db}`, listen: '127.0.0.1:0', opsListen: '127.0.0.1:0', driverDir: exampleDrivers }),
    ],
    { cwd: repoRoot, env: { ...process.env, PREWARM_TOKEN: 'refusal-test-token', PREWARM_STATE_DIR: path.join(cwd, 'state') }, stdio: ['ignore', 'pipe', 'pipe'], ...asUser },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      if (/^ready /m.test(stdout)) {
        child.kill('SIGKILL');
        reject(new Error(`the controller started on ${db}`));
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** A temp dir the controller's user can enter (mkdtemp makes it 0700, owned by whoever runs the tests). */
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Hands a path to the controller's user (a no-op when the tests do not run as root). */
function giveToController(p: string): void {
  if (asUser.uid !== undefined) fs.chownSync(p, asUser.uid, asUser.gid!);
}

describe('a controller process refuses a database it cannot use', () => {
  refusalTest('a damaged page: exit 1, and stderr names the file, the damage and what to do', async () => {
    const dir = tempDir('prewarm-damaged-');
    try {
      const db = path.join(dir, 'prewarm.db');
      await seedDatabase(db, { historyRows: 400, now: T0 });
      const page = damageMiddleLeaf(db, 'instances');
      for (const f of [dir, db]) giveToController(f);
      const { code, stderr } = await startExpectingRefusal(db, dir);
      assert.equal(code, 1, stderr);
      assert.match(stderr, new RegExp(`--database: ${db} is damaged \\(.*page ${page}\\b`));
      assert.match(stderr, /restore .* from a backup/);
      assert.ok(stderr.includes(`sqlite3 ${db} ".recover"`), stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  refusalTest('a database file the controller may not write', async () => {
    const dir = tempDir('prewarm-rofile-');
    try {
      const db = path.join(dir, 'prewarm.db');
      await seedDatabase(db, { historyRows: 10, now: T0 });
      giveToController(dir); // the directory is writable: only the file is not
      fs.chmodSync(db, 0o444);
      const { code, stderr } = await startExpectingRefusal(db, dir);
      assert.equal(code, 1, stderr);
      assert.match(stderr, new RegExp(`--database: ${db} is read-only for this user`));
      assert.match(stderr, /write access/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  refusalTest('a database in a directory the controller may not write (no room for its write-ahead log)', async () => {
    const dir = tempDir('prewarm-rodir-');
    const data = path.join(dir, 'data');
    try {
      fs.mkdirSync(data);
      const db = path.join(data, 'prewarm.db');
      await seedDatabase(db, { historyRows: 10, now: T0 });
      giveToController(db); // the file is writable: only its directory is not
      fs.chmodSync(data, 0o555);
      const { code, stderr } = await startExpectingRefusal(db, dir);
      assert.equal(code, 1, stderr);
      assert.match(stderr, new RegExp(`--database: directory ${data} is not writable by this user`));
      assert.match(stderr, /prewarm\.db-wal/);
    } finally {
      fs.chmodSync(data, 0o755);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

test('damage that appears while the controller runs turns /readyz to 503 (store and reconcile loop)', async () => {
  const dir = tempDir('prewarm-rundamage-');
  const db = path.join(dir, 'prewarm.db');
  // History well beyond SQLite's page cache: the controller holds the file exclusively, so a page it has cached is
  // never read from the file again, and the damage must cover more pages than the cache holds for a read to meet it.
  await seedDatabase(db, { presets: 2, historyRows: 40_000, attributeBytes: 1000, now: T0 });
  const { pageSize, leaves } = leafPages(db, 'instances');
  const damaged = leaves.slice(Math.floor(leaves.length * 0.1), Math.floor(leaves.length * 0.9));
  expect(damaged.length).toBeGreaterThan(1.5 * pageCacheCapacity(db));

  const clock = new FakeClock(T0);
  const errors: Array<{ msg: string; error?: unknown }> = [];
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (msg, fields) => void errors.push({ msg, error: fields?.error }),
  };
  const interval = 60_000;
  // The lifecycle loop ticks once at start and not again within the test: what is watched here is the reconcile loop.
  const ctl = await startTestController({ database: `sqlite:${db}`, reconcileIntervalMs: interval, lifecycleIntervalMs: 24 * 3_600_000 }, { clock, log });
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${ctl.running.opsPort}/readyz`);
    return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, boolean> } };
  };
  const run = (ms: number) => clock.advanceAsync(ms, () => ctl.running.reconciler.idle());
  try {
    // The first tick reads every instance row; the following ones read only what changed.
    await run(0);
    // Up to just before the loop's periodic full re-read (every 15 minutes): every tick succeeds.
    await run(15 * 60_000 - interval);
    expect(ctl.running.reconciler.lastTickSucceeded).toBe(true);
    let r = await readyz();
    expect(r.status).toBe(200);
    expect(r.body.checks).toStrictEqual({ running: true, store: true, reconcile_loop: true, lifecycle_loop: true, delivery_loop: true });
    expect(errors).toEqual([]);

    // The disk loses writes under the running controller: most of the history's pages start with a zeroed sector.
    zeroFirstSectors(db, pageSize, damaged);
    await run(interval); // the tick that re-reads everything meets the damage

    r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body.checks).toStrictEqual({ running: true, store: false, reconcile_loop: false, lifecycle_loop: true, delivery_loop: true });
    expect(errors.map((e) => e.msg)).toEqual(['reconcile failed']);
    const message = (errors[0].error as Error).message;
    expect(message).toContain(`--database: ${db} is damaged (database disk image is malformed)`);
    expect(message).toContain(`sqlite3 ${db} ".recover"`);

    // It stays unready: the next tick fails again, and the store does not forget what it met.
    await run(interval);
    r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body.checks).toStrictEqual({ running: true, store: false, reconcile_loop: false, lifecycle_loop: true, delivery_loop: true });
  } finally {
    await ctl.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

import BetterSqlite3 from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeClock } from '../helpers/fake-clock';
import { Executor } from '../../controller/executor/executor';
import { silentLogger } from '../../controller/log';
import { Reconciler } from '../../controller/loop/reconciler';
import { openStore, type Store } from '../../controller/store/store';
import { type Figure, median, timeRuns, withRatio } from './figures';
import { seedSteadyState } from './seed';
import { benchZones } from './zones';

/**
 * A no-op reconcile cycle over 10,000 presets and 100,000 ready instances on SQLite, against a bare read of the
 * same rows with raw prepared statements in the same run.
 */
export async function benchReconcile(runs = 7): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-bench-'));
  const file = path.join(dir, 'bench.db');
  const now = Date.parse('2026-11-23T10:00:00Z');
  try {
    await seedSteadyState({ file, presets: 10_000, instancesPerPreset: 10, zones: benchZones, now });
    const clock = new FakeClock(now);
    const store = await openStore(`sqlite:${file}`, { clock });
    const noopCycles = noopCycleTimer(store, clock, runs);
    const cycle = await noopCycles('the steady state');

    // The same cycle with an undelivered webhook backlog (a receiver down for hours): nothing the reconcile loop
    // reads may grow with it.
    const backlog = new BetterSqlite3(file);
    insertUndelivered(backlog, 10_000, now);
    backlog.close();
    const withBacklog = await noopCycles('the steady state with the backlog');
    await store.close();

    const raw = new BetterSqlite3(file, { readonly: true });
    const stmts = bareReadSql.map((text) => raw.prepare(text));
    const bare = await timeRuns(runs, () => {
      raw.exec('begin');
      for (const s of stmts) s.all();
      raw.exec('commit');
    });
    raw.close();
    return [
      withRatio({
        name: 'reconcile no-op cycle (10,000 presets, 100,000 instances, SQLite)',
        value: round(median(cycle)),
        unit: 'ms',
        baseline: { name: 'bare read of the same rows', value: round(median(bare)) },
        goal: '<= 1.5x and <= 1000 ms',
        runs,
      }),
      withRatio({
        name: 'reconcile no-op cycle with 10,000 undelivered notifications (5,000 waiting, 5,000 deliveries pending)',
        value: round(median(withBacklog)),
        unit: 'ms',
        baseline: { name: 'the same cycle without them', value: round(median(cycle)) },
        goal: '~1x (the backlog is not read)',
        runs,
      }),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What a no-op cycle reads, as plain statements: the bare-read baseline (one read transaction). */
export const bareReadSql = [
  "select value from meta where key = 'reconciliation_paused'",
  'select name, version, deleted_at from templates',
  'select * from presets order by id',
  "select id, preset_id, state, owner, template_version, generation, created_at, ready_at, failed_at, stopped_at, next_attempt_at from instances where state not in ('deleted', 'archived')",
  "select instance_id from jobs where state in ('pending', 'running')",
];

/**
 * A Reconciler on `store` whose driver refuses every call; the returned function times `runs` cycles (after one
 * unmeasured warm-up, which loads the mirror) and fails, naming `what`, when a cycle acts.
 */
export function noopCycleTimer(store: Store, clock: FakeClock, runs: number): (what: string) => Promise<number[]> {
  const reconciler = noopReconciler(store, clock);
  return async (what) => {
    let actions = -1;
    const times = await timeRuns(runs, async () => {
      const r = await reconciler.tick();
      actions = r ? r.executed.length : -1;
    });
    if (actions !== 0) throw new Error(`${what} produced ${actions} actions; the benchmark would not measure a no-op`);
    return times;
  };
}

export function noopReconciler(store: Store, clock: FakeClock): Reconciler {
  const executor = new Executor({
    store,
    clock,
    log: silentLogger,
    driver: {
      run: () => Promise.reject(new Error('a no-op cycle must not call a driver')),
      killAll: () => undefined,
    },
    policy: { failureHardLimit: 3, createBackoffMs: () => 0, deleteRetryMs: () => 0 },
  });
  return new Reconciler({
    store,
    clock,
    executor,
    options: { inFlightLimit: 8, retentionMs: 3_600_000, surgeFraction: 0.25 },
    intervalMs: 60_000,
    log: silentLogger,
  });
}

/** Half the backlog not fanned out yet, half fanned out to a target whose deliveries are all pending. */
function insertUndelivered(raw: BetterSqlite3.Database, count: number, now: number): void {
  const note = raw.prepare(
    `insert into notifications (dedupe_key, kind, payload, attempts, next_attempt_at, created_at, delivered_at, fanned_out_at)
     values (?, 'workspace_autostop_reminder', ?, 0, ?, ?, null, ?)`,
  );
  const delivery = raw.prepare(
    `insert into notification_deliveries (notification_id, target, state, attempts, notification_created_at, window_start, next_attempt_at, created_at)
     values (?, 'down', 'pending', 3, ?, ?, ?, ?)`,
  );
  raw.transaction(() => {
    raw
      .prepare(
        `insert into notification_targets (name, url, events, format, enabled, sealed_secret, secret_fingerprint, created_at, updated_at)
         values ('down', 'http://127.0.0.1:9/', '["*"]', 'json', 1, 'v1:unused', 'unused', ?, ?)`,
      )
      .run(now, now);
    const payload = JSON.stringify({ subject: { type: 'workspace', id: 'w', name: 'w', owner: 'alice' }, occurred_at: new Date(now).toISOString(), data: {} });
    for (let i = 0; i < count; i++) {
      const fanned = i % 2 === 0;
      const id = note.run(`bench:${i}`, payload, now, now - i, fanned ? now : null).lastInsertRowid;
      if (fanned) delivery.run(id, now - i, now, now + 3_600_000, now);
    }
  })();
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

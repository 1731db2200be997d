import BetterSqlite3 from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeClock } from '../helpers/fake-clock';
import { Executor } from '../../controller/executor/executor';
import { silentLogger } from '../../controller/log';
import { LifecycleLoop } from '../../controller/loop/lifecycle-loop';
import { openStore } from '../../controller/store/store';
import { fullSql } from '../../controller/store/workspace-reader';
import { type Figure, median, withRatio } from './figures';
import { seedSteadyState } from './seed';

const HOUR = 3_600_000;

/**
 * One lifecycle tick over 100,000 claimed workspaces of which 1% are past their autostop deadline, on SQLite,
 * against a bare read of the same rows with raw prepared statements in the same run. Each measured tick decides
 * and applies (claim-then-act: state change, job intent, outbox row) the 1,000 due stops; between runs those
 * rows are put back, outside the timing, so every run has the same work. No driver runs (a zero budget leaves the
 * jobs pending): the tick, not the drivers, is what is measured. Two figures: a steady tick (the mirror reads only
 * the rows changed since the last tick) and a tick that loads every workspace (after a start, and every 15 minutes).
 */
export async function benchLifecycle(runs = 7): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-lifecycle-bench-'));
  const file = path.join(dir, 'bench.db');
  const now = Date.parse('2026-11-23T10:00:00Z');
  const total = 100_000;
  try {
    await seedSteadyState({ file, presets: 1_000, instancesPerPreset: total / 1_000, now });
    const raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    // Every instance becomes a running workspace with an 8h autostop; every hundredth is past its deadline.
    raw.exec(`update instances set owner = 'user-' || (rowid % 500), state = 'claimed', claimed_at = ${now - 4 * HOUR},
      last_used_at = ${now - 4 * HOUR}, autostop_after_ms = ${8 * HOUR}, autostop_reminder_ms = ${30 * 60_000},
      stopped_ttl_ms = ${HOUR}, dormant_after_ms = ${7 * 24 * HOUR},
      deadline = case when rowid % 100 = 0 then ${now - 60_000} else ${now + 4 * HOUR} end`);
    const dueIds = raw.prepare('select id from instances where rowid % 100 = 0').pluck().all() as string[];
    const reset = () => {
      raw.transaction(() => {
        raw.exec(`delete from jobs; delete from notifications;
          update instances set state = 'claimed', deadline = ${now - 60_000}, dormant_at = null where rowid % 100 = 0`);
      })();
    };

    const clock = new FakeClock(now);
    const open = async () => {
      const store = await openStore(`sqlite:${file}`, { clock });
      const executor = new Executor({
        store,
        clock,
        log: silentLogger,
        driver: { run: () => Promise.reject(new Error('the benchmark runs no driver')), killAll: () => undefined },
        policy: { failureHardLimit: 3, createBackoffMs: () => 0, deleteRetryMs: () => 0 },
      });
      return { store, loop: new LifecycleLoop({ store, clock, executor, intervalMs: 15_000, inFlightLimit: 0, log: silentLogger }) };
    };
    const measure = async (loop: LifecycleLoop): Promise<number> => {
      reset();
      const t = performance.now();
      const r = await loop.tick();
      const ms = performance.now() - t;
      const applied = r ? r.applied.filter((a) => a.applied).length : -1;
      if (applied !== dueIds.length) throw new Error(`the tick applied ${applied} actions, expected ${dueIds.length}`);
      return ms;
    };

    // A steady tick: the mirror is loaded, so the tick reads only the rows changed since the last one.
    const steady = await open();
    const ticks: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const ms = await measure(steady.loop);
      if (i > 0) ticks.push(ms); // the first tick is the full load, measured below
    }
    await steady.store.close();

    // A tick that loads every workspace (the first after a start, and every 15 minutes): a fresh store each run.
    const fullTicks: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const fresh = await open();
      const ms = await measure(fresh.loop);
      await fresh.store.close();
      if (i > 0) fullTicks.push(ms);
    }

    const stmts = [
      raw.prepare("select value from meta where key = 'reconciliation_paused'"),
      // The reader's own full-load statement, in raw (array) mode: the cheapest way to read every workspace row.
      raw.prepare(fullSql).raw(true),
      raw.prepare("select instance_id from jobs where state in ('pending', 'running')"),
    ];
    const bare: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t = performance.now();
      raw.exec('begin');
      for (const s of stmts) s.all();
      raw.exec('commit');
      if (i > 0) bare.push(performance.now() - t);
    }
    raw.close();
    const bareMs = round(median(bare));
    const label = `${total.toLocaleString('en')} workspaces, ${dueIds.length.toLocaleString('en')} due, SQLite`;
    return [
      withRatio({
        name: `lifecycle tick (${label})`,
        value: round(median(ticks)),
        unit: 'ms',
        baseline: { name: 'bare read of the same rows', value: bareMs },
        goal: '<= 1.5x and <= 1000 ms',
        runs,
        note: 'steady state: the mirror reads only changed rows',
      }),
      withRatio({
        name: `lifecycle tick with a full load (${label})`,
        value: round(median(fullTicks)),
        unit: 'ms',
        baseline: { name: 'bare read of the same rows', value: bareMs },
        goal: '<= 1.5x and <= 1000 ms',
        runs,
        note: 'the first tick after a start, and every 15 minutes',
      }),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

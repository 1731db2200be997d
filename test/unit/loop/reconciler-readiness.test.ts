/**
 * The loop says whether its last tick succeeded, so /readyz turns false as soon as ticks fail, not only once the
 * last success is old. The store is a real SQLite file whose queries fail for real (a table the tick reads is
 * renamed away), on a fake clock.
 */
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import type { DriverRunner } from '../../../controller/executor/executor';
import { makeLoop } from '../../helpers/loop';
import type { Logger } from '../../../controller/log';
import type { Reconciler } from '../../../controller/loop/reconciler';
import type { SqlStore } from '../../../controller/store/store';
import { FakeClock } from '../../helpers/fake-clock';
import { poolSpec, templateSpec } from '../../helpers/fixtures';
import { tempStore } from '../../helpers/store';

const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);
const INTERVAL = 10_000;

/** The pool is sized 0: nothing is built, so no driver operation may happen. */
const noDriver: DriverRunner = {
  run: async () => {
    throw new Error('no driver operation expected');
  },
  killAll: () => undefined,
};

let clock: FakeClock;
let store: SqlStore;
let cleanup: () => Promise<void>;
let loop: Reconciler;
let errors: string[];

beforeEach(async () => {
  clock = new FakeClock(T0);
  ({ store, cleanup } = await tempStore(clock));
  errors = [];
  const log: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (msg) => void errors.push(msg) };
  ({ loop } = makeLoop({ store, clock, driver: noDriver, intervalMs: INTERVAL, backoffMs: 1000, log }));
  await store.putTemplate(templateSpec(), T0);
  await store.putPreset(poolSpec('idle', 0), T0);
});

afterEach(async () => {
  await loop.stop();
  await cleanup();
});

async function run(ms: number): Promise<void> {
  await clock.advanceAsync(ms, () => loop.idle());
}

test('a failing tick makes the loop unready at once, and the next successful tick makes it ready again', async () => {
  expect(loop.lastTickSucceeded).toBe(false); // nothing has run yet
  loop.start();
  await run(0);
  expect(loop.tickCount).toBe(1);
  expect(loop.lastTickSucceeded).toBe(true);

  await sql`alter table templates rename to templates_away`.execute(store.db);
  await run(INTERVAL);
  expect(loop.tickCount).toBe(2);
  expect(errors).toEqual(['reconcile failed']);
  expect(loop.lastTickSucceeded).toBe(false);
  // The last success is one interval old: an age-based check alone would still call this loop ready.
  expect(clock.now() - loop.lastTickAt).toBe(INTERVAL);

  await sql`alter table templates_away rename to templates`.execute(store.db);
  await run(INTERVAL);
  expect(loop.tickCount).toBe(3);
  expect(loop.lastTickSucceeded).toBe(true);
  expect(loop.lastTickAt).toBe(clock.now());
});

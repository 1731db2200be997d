/**
 * The reconcile loop on a fake clock: tick cadence, coalesced kicks, re-ticks after acting, backoff expiry
 * and stop, all without sleeping. The store is a real SQLite file; the driver is an in-process fake.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import type { DriverOutcome, DriverRequest } from '../../../controller/drivers/exec';
import type { DriverRunner, Executor } from '../../../controller/executor/executor';
import { makeLoop } from '../../helpers/loop';

import type { Reconciler, TickResult } from '../../../controller/loop/reconciler';
import type { SqlStore } from '../../../controller/store/store';
import { FakeClock } from '../../helpers/fake-clock';
import { presetSpec, templateSpec } from '../../helpers/fixtures';
import { tempStore } from '../../helpers/store';
import { waitFor } from '../../helpers/wait';

const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);
const INTERVAL = 10_000;
const BACKOFF = 60_000;

/** Answers every operation at once: ok, or a retryable failure while `failing` is set. */
class FakeDriver implements DriverRunner {
  failing = false;
  readonly calls: DriverRequest[] = [];
  async run(_program: string, req: DriverRequest): Promise<DriverOutcome> {
    this.calls.push(req);
    if (this.failing && req.op === 'create') {
      return { kind: 'retryable', message: 'boom', stderr: 'boom', exitCode: 1, durationMs: 1 };
    }
    return { kind: 'ok', attributes: { path: `/tmp/${req.instance.id}` }, stderr: '', exitCode: 0, durationMs: 1 };
  }
  killAll(): void {}
  creates(): number {
    return this.calls.filter((c) => c.op === 'create').length;
  }
}

describe('reconcile loop on a fake clock', () => {
  let clock: FakeClock;
  let store: SqlStore;
  let cleanup: () => Promise<void>;
  let driver: FakeDriver;
  let executor: Executor;
  let loop: Reconciler;
  let ticks: TickResult[];

  beforeEach(async () => {
    clock = new FakeClock(T0);
    ({ store, cleanup } = await tempStore(clock));
    driver = new FakeDriver();
    ticks = [];
    ({ loop, executor } = makeLoop({ store, clock, driver, intervalMs: INTERVAL, backoffMs: BACKOFF, onTick: (r) => ticks.push(r) }));
    await store.putTemplate(templateSpec(), clock.now());
  });

  afterEach(async () => {
    await loop.stop();
    await cleanup();
  });

  /** Runs every timer due within `ms`, letting each tick (and the driver runs it starts) finish. */
  async function run(ms: number): Promise<void> {
    await clock.advanceAsync(ms, async () => {
      await loop.idle();
      await waitFor('driver runs to settle', () => executor.active === 0);
      await loop.idle();
    });
  }

  test('the first tick runs at start; with nothing to do the next one is a full interval later', async () => {
    loop.start();
    expect(clock.pending()).toEqual([0]);
    await run(0);
    expect(ticks).toHaveLength(1);
    expect(loop.nextTickIn()).toBe(INTERVAL);

    await run(INTERVAL - 1);
    expect(ticks).toHaveLength(1);
    await run(1);
    expect(ticks).toHaveLength(2);
  });

  test('a tick that acts looks again right away, and the pool fills without waiting an interval', async () => {
    await store.putPreset(presetSpec({ name: 'pool', prebuilds: { instances: 2 } }), clock.now());
    loop.start();
    await run(1_000);
    expect(driver.creates()).toBe(2);
    const ready = await store.listInstances({ presetId: 'devbox/pool', state: 'ready' });
    expect(ready).toHaveLength(2);
    // Acting and the builds settling asked for more ticks; none of them needed an interval to pass.
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks[ticks.length - 1].executed).toEqual([]);
    // Once there is nothing left to do, the next tick is a full interval after the last one.
    expect(loop.lastTickAt).toBeLessThan(T0 + 1_000);
    expect(loop.nextTickIn()).toBe(loop.lastTickAt + INTERVAL - clock.now());
  });

  test('kicks coalesce into one tick and never postpone a tick that is already due sooner', async () => {
    loop.start();
    await run(0);
    const before = ticks.length;
    loop.kick(500);
    loop.kick(500);
    loop.kick(2_000); // later than the pending one: ignored
    expect(loop.nextTickIn()).toBe(500);
    await run(499);
    expect(ticks.length).toBe(before);
    await run(1);
    expect(ticks.length).toBe(before + 1);
  });

  test('a failed build backs off: no create until the backoff has passed on the clock', async () => {
    driver.failing = true;
    await store.putPreset(presetSpec({ name: 'flaky', prebuilds: { instances: 1 } }), clock.now());
    loop.start();
    await run(1_000);
    expect(driver.creates()).toBe(1);
    const backoffUntil = T0 + BACKOFF;

    driver.failing = false;
    // Interval ticks inside the backoff window plan no create.
    await run(backoffUntil - clock.now() - 1);
    expect(driver.creates()).toBe(1);
    expect(ticks.length).toBeGreaterThan(3);

    // The first tick after the backoff builds again.
    await run(INTERVAL);
    expect(driver.creates()).toBe(2);
    expect(await store.listInstances({ presetId: 'devbox/flaky', state: 'ready' })).toHaveLength(1);
  });

  test('while paused a tick ends before the snapshot, yet counts for readiness', async () => {
    await store.setGloballyPaused(true);
    await store.putPreset(presetSpec({ name: 'held', prebuilds: { instances: 1 } }), clock.now());
    loop.start();
    await run(0);
    expect(ticks).toHaveLength(0); // no snapshot, no plan
    expect(loop.lastTickAt).toBe(T0);
    await run(INTERVAL);
    expect(loop.lastTickAt).toBe(T0 + INTERVAL);
    expect(driver.creates()).toBe(0);
  });

  test('while paused, a build a crash left unfinished (a claimer\'s fallback) is still driven to the end', async () => {
    await store.putPreset(presetSpec({ name: 'claimable', prebuilds: { instances: 0 } }), clock.now());
    // What a crash leaves behind: the intent and its job were written, the driver never reported.
    const { instance } = await store.insertClaimBuild('devbox/claimable', 'alice', clock.now());
    await store.setGloballyPaused(true);
    loop.start();
    await run(0);
    expect(driver.creates()).toBe(1);
    const built = await store.resolveInstance(instance.id);
    expect(built.state).toBe('claimed');
    expect(built.owner).toBe('alice');
  });

  test('stop cancels the scheduled tick and ignores later kicks', async () => {
    loop.start();
    await run(0);
    expect(clock.pending()).toEqual([INTERVAL]);
    await loop.stop();
    expect(clock.pending()).toEqual([]);
    loop.kick(0);
    expect(clock.pending()).toEqual([]);
  });
});

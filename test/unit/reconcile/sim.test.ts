/**
 * Multi-tick simulations: the plan is applied to a fake world tick after tick to prove convergence and
 * the rolling-replacement invariants (ready never below desired because of expiry or a version change,
 * surge bound respected, no double operations, claimed instances untouched).
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { compileScheduling } from '../../../controller/domain/scheduling';
import type { Action } from '../../../controller/reconcile/types';
import { HOUR, MIN, pool, preset, ready, short, stopped, T0 } from '../../helpers/reconcile-fixtures';
import { Sim } from '../../helpers/reconcile-sim';

const P = 'tpl/p';

/** Pool instances that are alive (not being deleted): ready of any kind, pending, starting. */
function live(sim: Sim, presetId = P): number {
  return sim.poolOf(presetId).filter((i) => i.state === 'ready' || i.state === 'pending' || i.state === 'starting').length;
}

function creates(actions: Action[], presetId = P): number {
  let n = 0;
  for (const a of actions) if (a.type === 'create' && a.presetId === presetId) n += a.count;
  return n;
}

function deletes(actions: Action[], presetId = P): string[] {
  const out: string[] = [];
  for (const a of actions) if (a.type === 'delete' && a.presetId === presetId) out.push(...a.instanceIds);
  return out;
}

describe('convergence', () => {
  test('net new: an empty pool of 5 fills up and stays put', () => {
    const sim = new Sim([preset(P, { pool: pool(5) })]);
    const ticks = sim.settle();
    assert.equal(sim.readyCount(P), 5);
    assert.ok(ticks <= 5, `settled in ${ticks} ticks`);
    assert.equal(sim.instances.length, 5);
    for (let k = 0; k < 5; k++) assert.deepEqual(sim.tick().budget.actions, []);
  });

  test('scaling up and down follows desired and never over-shoots by more than the in-flight builds', () => {
    const sim = new Sim([preset(P, { pool: pool(2) })]);
    sim.settle();
    sim.update(P, { pool: pool(7) });
    sim.settle();
    assert.equal(sim.readyCount(P), 7);
    sim.update(P, { pool: pool(3) });
    const rec = sim.tick();
    assert.equal(deletes(rec.budget.actions).length, 4, 'shrinks on the first tick');
    sim.settle();
    assert.equal(sim.readyCount(P), 3);
    assert.equal(live(sim), 3);
  });

  test('claims are replaced and claimed instances are never touched', () => {
    const sim = new Sim([preset(P, { pool: pool(3, 3600) })]);
    sim.settle();
    const claimedOnes = [sim.claim(P)!, sim.claim(P)!];
    sim.settle();
    assert.equal(sim.readyCount(P), 3);
    // Long after their TTL, the claimed ones are still there, untouched (the sim throws on a delete of one).
    for (let k = 0; k < 90; k++) sim.tick();
    for (const c of claimedOnes) {
      assert.ok(sim.instances.includes(c));
      assert.equal(c.state, 'claimed');
    }
  });
});

describe('rolling replacement (surge, then retire)', () => {
  test('a template version bump replaces the pool without ready ever dropping below desired', () => {
    const D = 4; // surge = max(1, floor(1)) = 1
    const sim = new Sim([preset(P, { pool: pool(D) })]);
    sim.settle();
    const oldIds = new Set(sim.instances.map((i) => i.id));
    sim.update(P, { templateVersion: 2 });
    let maxCreatesPerTick = 0;
    for (let n = 0; n < 60 && !(sim.readyCount(P) === D && sim.poolOf(P).every((i) => i.templateVersion === 2)); n++) {
      const rec = sim.tick();
      maxCreatesPerTick = Math.max(maxCreatesPerTick, creates(rec.budget.actions));
      assert.ok(sim.readyCount(P) >= D, `tick ${n}: ready ${sim.readyCount(P)} < ${D}`);
      assert.ok(live(sim) <= D + 1, `tick ${n}: ${live(sim)} alive > desired + surge`);
    }
    sim.settle();
    assert.equal(sim.readyCount(P), D);
    assert.ok(sim.poolOf(P).every((i) => i.templateVersion === 2 && !oldIds.has(i.id)));
    assert.equal(maxCreatesPerTick, 1);
  });

  test('a whole pool expiring at once respects the surge bound over many ticks and converges', () => {
    const D = 8; // surge 2
    const ttl = 3600;
    const sim = new Sim([preset(P, { pool: pool(D, ttl) })], { buildTicks: 3 });
    // All eight became ready together 59 minutes ago: they expire together on the second tick.
    for (let k = 0; k < D; k++) sim.add(ready(`old${k}`, P, T0 - 59 * MIN));
    let replaced = false;
    let ticks = 0;
    for (; ticks < 80 && !replaced; ticks++) {
      const rec = sim.tick();
      assert.ok(creates(rec.budget.actions) <= 2, `tick ${ticks}: more than surge created`);
      assert.ok(live(sim) <= D + 2, `tick ${ticks}: ${live(sim)} alive`);
      assert.ok(sim.readyCount(P) >= D, `tick ${ticks}: ready ${sim.readyCount(P)} below desired`);
      for (const id of deletes(rec.budget.actions)) assert.ok(id.startsWith('old'), `fresh ${id} deleted`);
      replaced = sim.poolOf(P).every((i) => !i.id.startsWith('old')) && sim.readyCount(P) === D;
    }
    assert.ok(replaced, 'the whole pool was replaced');
    assert.ok(ticks < 30, `took ${ticks} ticks`);
    sim.settle();
    assert.equal(sim.readyCount(P), D);
  });

  test('a preset invalidation replaces every instance built before it, one surge at a time', () => {
    const sim = new Sim([preset(P, { pool: pool(3) })]);
    sim.settle();
    sim.update(P, { invalidatedAt: sim.now });
    const before = new Set(sim.instances.map((i) => i.id));
    for (let n = 0; n < 40; n++) {
      sim.tick();
      assert.ok(sim.readyCount(P) >= 3);
    }
    assert.equal(sim.readyCount(P), 3);
    assert.ok(sim.poolOf(P).every((i) => !before.has(i.id)));
  });

  test('desired 0 with a ttl does not thrash', () => {
    const sim = new Sim([preset(P, { pool: pool(0, 3600) })]);
    sim.add(ready('x', P, T0 - 2 * HOUR), ready('y', P, T0 - 10 * MIN));
    const first = sim.tick();
    assert.deepEqual(short(first.budget.actions), [
      ['delete', 'expired', ['x']],
      ['delete', 'surplus', ['y']],
    ]);
    let created = 0;
    for (let n = 0; n < 200; n++) created += creates(sim.tick().budget.actions);
    assert.equal(created, 0);
    assert.equal(sim.instances.length, 0);
  });

  test('a pool expiring during backoff: expired instances go at once, recreation waits for the backoff', () => {
    const sim = new Sim([preset(P, { pool: pool(2, 3600), backoffUntil: T0 + 10 * MIN })]);
    sim.add(ready('x', P, T0 - 2 * HOUR), ready('y', P, T0 - 2 * HOUR));
    const first = sim.tick();
    assert.deepEqual(deletes(first.budget.actions).sort(), ['x', 'y']);
    assert.ok(first.budget.actions.some((a) => a.type === 'backoff'));
    let firstCreateAt = -1;
    for (let n = 0; n < 30; n++) {
      const rec = sim.tick();
      if (firstCreateAt < 0 && creates(rec.budget.actions) > 0) firstCreateAt = rec.now;
    }
    assert.equal(firstCreateAt, T0 + 10 * MIN, 'creates resume at backoffUntil');
    assert.equal(sim.readyCount(P), 2);
  });
});

describe('schedules over time', () => {
  test('a window boundary crossed mid-provisioning: starting instances keep counting, surplus goes once ready', () => {
    const scheduling = compileScheduling({ timezone: 'UTC', schedule: [{ cron: '* 9 * * *', instances: 5 }] });
    const start = Date.UTC(2026, 2, 2, 9, 57, 0);
    const sim = new Sim([preset(P, { pool: pool(1, 0, scheduling) })], { start, buildTicks: 5 });
    sim.add(ready('base', P, start - HOUR));
    const t1 = sim.tick(); // 09:58: desired 5
    assert.equal(t1.plan.presets[0]!.desired, 5);
    assert.equal(creates(t1.budget.actions), 4);
    sim.tick(); // 09:59
    const t3 = sim.tick(); // 10:00: desired back to 1, four builds running
    const pp = t3.plan.presets[0]!;
    assert.equal(pp.desired, 1);
    assert.equal(pp.counts.starting, 4);
    assert.deepEqual(pp.actions, [], 'no create, no delete, nothing to cancel');
    let trimmed: string[] = [];
    for (let n = 0; n < 10 && trimmed.length === 0; n++) trimmed = deletes(sim.tick().budget.actions);
    assert.equal(trimmed.length, 4, 'surplus deleted once they are ready');
    assert.ok(trimmed.includes('base'), 'oldest first');
    sim.settle();
    assert.equal(sim.readyCount(P), 1);
  });

  test('desired dropping while creates are still queued: the queued ones are cancelled, not built', () => {
    const scheduling = compileScheduling({ timezone: 'UTC', schedule: [{ cron: '* 9 * * *', instances: 20 }] });
    const start = Date.UTC(2026, 2, 2, 9, 58, 0);
    const sim = new Sim([preset(P, { pool: pool(1, 0, scheduling) })], { start, queueTicks: 3, buildTicks: 2 });
    sim.tick(false); // 09:58 → create 20, queued
    assert.equal(live(sim), 20);
    sim.tick(); // 09:59, still queued
    const rec = sim.tick(); // 10:00: desired 1
    const cancels = rec.budget.actions.filter((a) => a.type === 'cancel_pending');
    assert.equal(cancels.length, 1);
    assert.equal((cancels[0] as { instanceIds: string[] }).instanceIds.length, 19);
    sim.settle();
    assert.equal(sim.readyCount(P), 1);
    assert.equal(sim.instances.length, 1);
  });

  test('lead time warms the pool so it is ready when the window opens', () => {
    const scheduling = compileScheduling({
      timezone: 'America/New_York',
      lead_time: '30m',
      schedule: [{ cron: '* 9-17 * * 1-5', instances: 3 }],
    });
    // Monday 2026-03-02 08:20 in New York is 13:20 UTC (EST, UTC-5).
    const start = Date.UTC(2026, 2, 2, 13, 20, 0);
    const sim = new Sim([preset(P, { pool: pool(0, 0, scheduling) })], { start, buildTicks: 5 });
    let readyAtNine = -1;
    for (let n = 0; n < 60; n++) {
      const rec = sim.tick();
      if (rec.now === Date.UTC(2026, 2, 2, 14, 0, 0)) readyAtNine = sim.readyCount(P);
    }
    assert.equal(readyAtNine, 3);
  });
});

describe('failures and zombies over time', () => {
  test('failed builds are replaced, then reaped after retention, never piling up', () => {
    let failures = 0;
    const sim = new Sim([preset(P, { pool: pool(2) })], {
      failBuild: () => failures++ < 3,
      reconcile: { retentionMs: 30 * MIN },
    });
    for (let n = 0; n < 120; n++) sim.tick();
    assert.equal(sim.readyCount(P), 2);
    assert.equal(sim.poolOf(P).filter((i) => i.state === 'failed').length, 0, 'failed ones reaped');
  });

  test('a stopped pool instance is replaced at once and reaped after retention, not before', () => {
    const sim = new Sim([preset(P, { pool: pool(1) })], { reconcile: { retentionMs: 10 * MIN } });
    sim.add(stopped('zombie', P, T0));
    let reapedAt = -1;
    for (let n = 0; n < 20; n++) {
      const rec = sim.tick();
      if (deletes(rec.budget.actions).includes('zombie')) reapedAt = rec.now;
    }
    assert.equal(reapedAt, T0 + 11 * MIN, 'first tick strictly after retention');
    assert.equal(sim.readyCount(P), 1);
  });
});

describe('budget across presets over time', () => {
  test('a small pool fills up early even next to a big one under a tight in-flight limit', () => {
    const big = preset('tpl/big', { pool: pool(20) });
    const small = preset('tpl/small', { pool: pool(2) });
    const sim = new Sim([big, small], { reconcile: { inFlightLimit: 2 }, buildTicks: 1 });
    let smallFullAt = -1;
    for (let n = 1; n <= 60; n++) {
      sim.tick();
      assert.ok(sim.instances.filter((i) => i.jobInFlight).length <= 2, 'in-flight limit respected');
      if (smallFullAt < 0 && sim.readyCount('tpl/small') === 2) smallFullAt = n;
    }
    assert.ok(smallFullAt > 0 && smallFullAt <= 6, `small full at tick ${smallFullAt}`);
    assert.equal(sim.readyCount('tpl/big'), 20);
  });
});

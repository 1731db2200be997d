/**
 * Cost of one reconcile: 10,000 presets × 10 instances must plan in a few tens of milliseconds. The
 * assertion bound is loose (shared CI machines); the measured time is printed for the record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyBudget, reconcile } from '../../controller/reconcile';
import { compileScheduling } from '../../controller/schedule';
import type { InstanceView, PresetView, Snapshot } from '../../controller/reconcile/types';
import { claimed, failed, HOUR, MIN, options, pending, pool, preset, ready, snapshot, starting, stopped, T0 } from './reconcile-fixtures';

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata'];

function bigWorld(presetCount: number, perPreset: number): Snapshot {
  const schedulings = ZONES.map((timezone) =>
    compileScheduling({
      timezone,
      lead_time: '30m',
      schedule: [
        { cron: '* 8-18 * * 1-5', instances: 10 },
        { cron: '* 9-13 * * 6', instances: 4 },
      ],
    }),
  );
  const presets: PresetView[] = [];
  const instances: InstanceView[] = [];
  for (let n = 0; n < presetCount; n++) {
    const id = `tpl${n % 100}/p${n}`;
    presets.push(
      preset(id, {
        templateVersion: n % 10 === 0 ? 2 : 1,
        pool: pool(8, n % 2 === 0 ? 86_400 : 3600, n % 3 === 0 ? schedulings[n % ZONES.length]! : null),
        backoffUntil: n % 50 === 0 ? T0 + MIN : null,
        invalidatedAt: n % 40 === 0 ? T0 - 30 * MIN : null,
        status: n % 200 === 0 ? 'hard_limited' : 'healthy',
      }),
    );
    for (let k = 0; k < perPreset; k++) {
      const iid = `${id}-${k}`;
      const t = T0 - ((n + k * 17) % 150) * MIN;
      switch (k) {
        case 8:
          instances.push(n % 4 === 0 ? failed(iid, id, t) : starting(iid, id));
          break;
        case 9:
          instances.push(n % 5 === 0 ? stopped(iid, id, t) : n % 7 === 0 ? pending(iid, id) : claimed(iid, id));
          break;
        default:
          instances.push(ready(iid, id, t));
      }
    }
  }
  return snapshot(T0, presets, instances);
}

test('10,000 presets × 10 instances plan in a few tens of ms', () => {
  const snap = bigWorld(10_000, 10);
  const opts = options({ inFlightLimit: 64 });
  // Warm up the JIT.
  for (let k = 0; k < 3; k++) reconcile(snap, opts);
  let best = Infinity;
  let plan = reconcile(snap, opts);
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    plan = reconcile(snap, opts);
    best = Math.min(best, performance.now() - t);
  }
  for (let k = 0; k < 3; k++) applyBudget(plan, 10, opts, k);
  const t = performance.now();
  const budgeted = applyBudget(plan, 10, opts, 1234);
  const budgetMs = performance.now() - t;
  const actions = plan.presets.reduce((n, p) => n + p.actions.length, 0);
  console.log(`reconcile 10k×10: best ${best.toFixed(1)} ms, ${actions} actions; applyBudget ${budgetMs.toFixed(1)} ms`);
  assert.equal(plan.presets.length, 10_000);
  assert.ok(actions > 1000, 'the fixture produces real work');
  assert.equal(budgeted.actions.filter((a) => a.type === 'create' || a.type === 'delete').length > 0, true);
  assert.ok(best < 150, `reconcile took ${best.toFixed(1)} ms`);
  assert.ok(budgetMs < 30, `applyBudget took ${budgetMs.toFixed(1)} ms`);
});

test('cost grows linearly with instances (no quadratic path)', () => {
  const opts = options();
  const small = bigWorld(2_000, 10);
  const large = bigWorld(20_000, 10);
  for (let k = 0; k < 3; k++) {
    reconcile(small, opts);
    reconcile(large, opts);
  }
  const time = (s: Snapshot) => {
    let best = Infinity;
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      reconcile(s, opts);
      best = Math.min(best, performance.now() - t);
    }
    return best;
  };
  const a = time(small);
  const b = time(large);
  // 10× the input; allow generous slack for GC and timer noise, but a quadratic path would be ~100×.
  assert.ok(b < a * 30 + 20, `2k: ${a.toFixed(1)} ms, 20k: ${b.toFixed(1)} ms`);
});

test('one huge pool (1 preset × 100,000 instances) is linear too', () => {
  const id = 'tpl/huge';
  const instances: InstanceView[] = [];
  for (let k = 0; k < 100_000; k++) instances.push(ready(`i${k}`, id, T0 - (k % 5000) * MIN - HOUR));
  const snap = snapshot(T0, [preset(id, { pool: pool(50_000, 3600) })], instances);
  const t = performance.now();
  const plan = reconcile(snap, options());
  const ms = performance.now() - t;
  const del = plan.presets[0]!.actions.find((a) => a.type === 'delete');
  assert.ok(del !== undefined && del.type === 'delete');
  assert.ok(ms < 500, `${ms.toFixed(1)} ms`);
});

/**
 * Edge case 4 of the lifecycle notes: clock jumps. Decisions are level-based, so a jump forwards or backwards
 * yields exactly the plan for the new instant (no catch-up storm), and a backoff set before the clock went
 * backwards cannot stall a pool for longer than the longest backoff.
 */
import assert from 'node:assert/strict';
import { describe, test } from '@jest/globals';
import { reconcile } from '../../../controller/reconcile';
import { compileScheduling } from '../../../controller/domain/scheduling';
import { HOUR, MIN, options, pool, preset, presetPlan, ready, short, snapshot, T0 } from '../../helpers/reconcile-fixtures';

const id = 'devbox/clock';
// T0 is Monday 2026-03-02 12:00 UTC.
const windows = compileScheduling({ timezone: 'UTC', schedule: [{ cron: '* 9-17 * * 1-5', instances: 4 }] });

function world(now: number, backoffUntil: number | null = null) {
  const p = preset(id, { pool: pool(1, 0, windows), backoffUntil });
  return snapshot(now, [p], [ready('a', id, T0 - 2 * HOUR), ready('b', id, T0 - HOUR)]);
}

describe('clock jumps', () => {
  test('a jump forward past several window edges plans only for the new instant', () => {
    // From inside the window (desired 4) to 3 days later at 02:00 (outside, desired 1).
    const later = reconcile(world(T0 + 3 * 24 * HOUR - 10 * HOUR), options());
    const p = presetPlan(later, id);
    assert.equal(p.desired, 1);
    assert.deepEqual(short(p.actions), [['delete', 'surplus', ['a']]]);
  });

  test('a jump backwards into the window asks for the window count once, not once per missed tick', () => {
    const p = presetPlan(reconcile(world(T0 - 2 * MIN), options()), id);
    assert.equal(p.desired, 4);
    assert.deepEqual(short(p.actions), [['create', 2, 'scale']]);
  });

  test('a backoff from before a backwards clock step is clamped to the longest backoff', () => {
    // The clock stepped back 6 hours after a backoff of 30 s was recorded.
    const now = T0 - 6 * HOUR;
    const p = presetPlan(reconcile(world(now, T0 + 30_000), options({ backoffCapMs: 30 * MIN })), id);
    assert.equal(p.backoffUntil, now + 30 * MIN);
    const unclamped = presetPlan(reconcile(world(now, T0 + 30_000), options()), id);
    assert.equal(unclamped.backoffUntil, T0 + 30_000, 'without a cap the recorded time stands');
  });

  test('a backoff within the cap is kept as recorded', () => {
    const p = presetPlan(reconcile(world(T0, T0 + 5 * MIN), options({ backoffCapMs: 30 * MIN })), id);
    assert.equal(p.backoffUntil, T0 + 5 * MIN);
  });
});

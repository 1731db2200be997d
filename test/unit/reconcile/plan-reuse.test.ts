/**
 * reconcile(snapshot, options, previous): the previous plan changes no value in the result, only which objects it is
 * made of. A preset whose plan comes out equal to its previous one, with no actions, gets that object back, and a
 * plan where every preset does gets the previous list. These tests hold the value equal to a plan made without
 * `previous` in every case, and check when objects are and are not shared.
 */
import { describe, expect, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { reconcile } from '../../../controller/reconcile';
import { Buckets } from '../../../controller/reconcile/classify';
import type { Plan } from '../../../controller/reconcile/types';
import type { InstanceView, PresetView } from '../../../controller/domain/snapshot';
import { desiredCount } from '../../../controller/schedule/desired-count';
import { evaluateDesired } from '../../../controller/reconcile/desired';
import { LocalTimeCache } from '../../../controller/schedule/localtime';
import { claimed, failed, HOUR, hourWindows, MIN, options, pool, preset, ready, snapshot, starting, T0 } from '../../helpers/reconcile-fixtures';

const A = 'tpl/a';
const B = 'tpl/b';
const C = 'tpl/c';

/** Three pools at rest: 2 ready of 2 wanted each. */
function atRest(): { presets: PresetView[]; instances: InstanceView[] } {
  const presets = [A, B, C].map((id) => preset(id, { pool: pool(2) }));
  const instances = [A, B, C].flatMap((id) => [ready(`${id}-1`, id, T0 - HOUR), ready(`${id}-2`, id, T0 - HOUR)]);
  return { presets, instances };
}

/** The plan made with `previous`, after checking it equals the plan made without. */
function planWith(presets: PresetView[], instances: InstanceView[], previous: Plan | undefined, now = T0, paused = false): Plan {
  const s = snapshot(now, presets, instances, { paused });
  const plan = reconcile(s, options(), previous);
  assert.deepEqual(plan, reconcile(s, options()));
  return plan;
}

describe('reconcile with the previous plan', () => {
  test('pools at rest: every plan, and the list of plans, is the previous one', () => {
    const { presets, instances } = atRest();
    const first = planWith(presets, instances, undefined);
    const second = planWith(presets, instances, first, T0 + MIN);
    assert.equal(second.presets, first.presets);
    assert.equal(second.now, T0 + MIN);
  });

  test('one pool changes: its plan is new, the others are shared, the list is new', () => {
    const { presets, instances } = atRest();
    const first = planWith(presets, instances, undefined);
    const second = planWith(presets, [...instances, starting('b-3', B)], first);
    assert.notEqual(second.presets, first.presets);
    assert.equal(second.presets[0], first.presets[0]);
    assert.notEqual(second.presets[1], first.presets[1]);
    assert.equal(second.presets[1]!.counts.starting, 1);
    assert.equal(second.presets[2], first.presets[2]);
    // The earlier plan is as it was.
    assert.equal(first.presets[1]!.counts.starting, 0);
  });

  test('a change of desired, status, pause or backoff makes a new plan', () => {
    const { presets, instances } = atRest();
    const first = planWith(presets, instances, undefined);
    const variants: PresetView[] = [
      preset(B, { pool: pool(1) }),
      preset(B, { pool: pool(2), status: 'hard_limited', statusReason: 'too many failures' }),
      preset(B, { pool: pool(2), paused: true }),
      preset(B, { pool: pool(2), backoffUntil: T0 + MIN }),
    ];
    for (const changed of variants) {
      const next = planWith([presets[0]!, changed, presets[2]!], instances, first);
      assert.equal(next.presets[0], first.presets[0]);
      assert.notEqual(next.presets[1], first.presets[1]);
      assert.equal(next.presets[2], first.presets[2]);
    }
  });

  test('a plan with actions is never reused, even when equal to the previous one', () => {
    const presets = [preset(A, { pool: pool(3) })];
    const instances = [ready('a-1', A, T0 - HOUR)];
    const first = planWith(presets, instances, undefined);
    assert.equal(first.presets[0]!.actions.length, 1);
    const second = planWith(presets, instances, first);
    assert.notEqual(second.presets[0], first.presets[0]);
    assert.notEqual(second.presets[0]!.actions, first.presets[0]!.actions);
  });

  test('a globally paused plan (no actions) is shared while nothing changes, and not when the pause ends', () => {
    const presets = [preset(A, { pool: pool(3) })];
    const first = planWith(presets, [], undefined, T0, true);
    const second = planWith(presets, [], first, T0, true);
    assert.equal(second.presets, first.presets);
    const third = planWith(presets, [], second, T0, false);
    assert.notEqual(third.presets[0], second.presets[0]);
  });

  test('presets added, removed or reordered since the previous plan are matched by place and id only', () => {
    const { presets, instances } = atRest();
    const first = planWith(presets, instances, undefined);
    // Fewer presets (the list is cut short, not padded).
    const fewer = planWith(presets.slice(0, 2), instances, first);
    assert.equal(fewer.presets.length, 2);
    assert.equal(fewer.presets[0], first.presets[0]);
    // More presets.
    const d = preset('tpl/d', { pool: pool(0) });
    const more = planWith([...presets, d], instances, first);
    assert.equal(more.presets.length, 4);
    assert.equal(more.presets[2], first.presets[2]);
    // Another order: no plan is at the place it was, so none is taken from there.
    const reversed = planWith([...presets].reverse(), instances, first);
    assert.equal(reversed.presets[1], first.presets[1], 'B stays in the middle');
    assert.notEqual(reversed.presets[0], first.presets[2]);
    // No presets at all.
    assert.deepEqual(planWith([], [], first).presets, []);
  });

  test('a previous plan from a snapshot with no presets, or an empty one, is no different from none', () => {
    const { presets, instances } = atRest();
    const empty = planWith([], [], undefined);
    assert.deepEqual(empty.presets, []);
    planWith(presets, instances, empty);
    planWith([], [], empty);
  });

  test('desired from a schedule window: an equal source from another call still shares the plan', () => {
    const scheduling = hourWindows([{ from: 9, to: 17, instances: 2 }]);
    const presets = [preset(A, { pool: pool(0, 0, scheduling) })];
    const instances = [ready('a-1', A, T0 - HOUR), ready('a-2', A, T0 - HOUR)];
    const first = planWith(presets, instances, undefined);
    assert.equal(first.presets[0]!.desiredSource.kind, 'schedule');
    const second = planWith(presets, instances, first, T0 + MIN);
    assert.equal(second.presets, first.presets);
  });

  test('claimed instances and instances past retention are counted the same way with or without the previous plan', () => {
    const presets = [preset(A, { pool: pool(1) })];
    const instances = [ready('a-1', A, T0 - HOUR), claimed('a-c', A), failed('a-f', A, T0 - 2 * HOUR)];
    const first = planWith(presets, instances, undefined);
    planWith(presets, instances, first);
  });
});

describe('shared desired results', () => {
  test('the same answer is the same frozen object', () => {
    const s = hourWindows([{ from: 9, to: 17, instances: 4 }], 30 * MIN);
    const cache = new LocalTimeCache();
    const inWindow = desiredCount(1, s, T0, cache);
    expect(desiredCount(1, s, T0 + MIN, cache)).toBe(inWindow);
    expect(inWindow).toEqual({ desired: 4, source: { kind: 'schedule', index: 0, cron: s.schedules[0]!.cron, via: 'now' } });
    expect(Object.isFrozen(inWindow) && Object.isFrozen(inWindow.source)).toBe(true);
    // Half an hour before the window opens: the lead time's answer, another object.
    const lead = desiredCount(1, s, Date.UTC(2026, 2, 2, 8, 40), cache);
    expect(lead).toEqual({ desired: 4, source: { kind: 'schedule', index: 0, cron: s.schedules[0]!.cron, via: 'lead_time' } });
    expect(lead).not.toBe(inWindow);
    // Base counts: one object per count, whatever the scheduling.
    expect(desiredCount(3, null, T0)).toBe(desiredCount(3, hourWindows([{ from: 1, to: 2, instances: 9 }]), T0));
    expect(desiredCount(3, null, T0)).not.toBe(desiredCount(2, null, T0));
  });

  test('counts outside the valid range are answered with objects of their own, and clamped by evaluateDesired', () => {
    for (const base of [-1, 2.5, 10_001, Number.NaN]) {
      const r = desiredCount(base, null, T0);
      expect(r.desired).toBe(base);
      expect(desiredCount(base, null, T0)).not.toBe(r);
    }
    const cache = new LocalTimeCache();
    expect(evaluateDesired(preset(A, { pool: pool(2.5) }), T0, cache)).toEqual({ desired: 2, source: { kind: 'base' } });
    expect(evaluateDesired(preset(A, { pool: pool(-1) }), T0, cache)).toEqual({ desired: 0, source: { kind: 'base' } });
    expect(evaluateDesired(preset(A, { pool: pool(2) }), T0, cache)).toBe(desiredCount(2, null, T0));
  });
});

describe('fresh ready instances are collected on demand', () => {
  test('freshReady lists the last fill\'s fresh, unclaimed, idle ready instances in instance order', () => {
    const p = preset(A, { pool: pool(1, 3600), templateVersion: 2 });
    const instances = [
      ready('fresh-1', A, T0 - 10 * MIN, { templateVersion: 2 }),
      ready('expired', A, T0 - 2 * HOUR, { templateVersion: 2 }),
      ready('outdated', A, T0 - 10 * MIN, { templateVersion: 1 }),
      ready('busy', A, T0 - 10 * MIN, { templateVersion: 2, jobInFlight: true }),
      claimed('mine', A, { state: 'ready', templateVersion: 2 }),
      starting('building', A),
      ready('fresh-2', A, T0 - 20 * MIN, { templateVersion: 2 }),
    ];
    const b = new Buckets();
    b.fill(p, instances, T0, HOUR);
    expect(b.fresh).toBe(3);
    expect(b.freshReady().map((i) => i.id)).toEqual(['fresh-1', 'fresh-2']);
    // Asked again: the same list, not doubled.
    expect(b.freshReady().map((i) => i.id)).toEqual(['fresh-1', 'fresh-2']);
    // A deleted preset has none (its ready instances go as preset_deleted).
    b.fill({ ...p, deleted: true }, instances, T0, HOUR);
    expect(b.freshReady()).toEqual([]);
    // Before any fill, and after a fill with no instances: none.
    expect(new Buckets().freshReady()).toEqual([]);
    b.fill(p, [], T0, HOUR);
    expect(b.freshReady()).toEqual([]);
  });

  test('a pool above desired deletes its oldest fresh ready instances as surplus', () => {
    const presets = [preset(A, { pool: pool(1) })];
    const instances = [ready('new', A, T0 - MIN), ready('old', A, T0 - HOUR), ready('mid', A, T0 - 30 * MIN)];
    const plan = planWith(presets, instances, undefined);
    expect(plan.presets[0]!.actions).toEqual([{ type: 'delete', presetId: A, instanceIds: ['old', 'mid'], reason: 'surplus' }]);
  });
});

/**
 * Cases Coder's prebuilds tests leave out (see gaps-expiry.test.ts). This file: claimed instances and instances with a
 * job in flight are never acted on, and planning is deterministic.
 */
import { describe, test, expect } from '@jest/globals';
import assert from 'node:assert/strict';
import { reconcile } from '../../../controller/reconcile';
import { claimed, DAY, deleting, failed, HOUR, instance, MIN, options, pending, pool, preset, presetPlan, ready, short, snapshot, starting, stopped, T0 } from '../../helpers/reconcile-fixtures';
import type { InstanceView, PresetView, Snapshot } from '../../../controller/domain/snapshot';
import { P, planOne } from './plan-one';

describe('claimed instances are never touched', () => {
  test('whatever their state and age, on live and deleted presets', () => {
    const nasty = (presetId: string): InstanceView[] => [
      claimed('c-outdated', presetId, { state: 'ready', readyAt: T0 - 30 * DAY, templateVersion: 0, generation: 0 }),
      claimed('c-failed', presetId, { state: 'failed', failedAt: T0 - 30 * DAY }),
      claimed('c-stopped', presetId, { state: 'stopped', stoppedAt: T0 - 30 * DAY }),
      claimed('c-deleting', presetId, { state: 'deleting', jobInFlight: false }),
      claimed('c-pending', presetId, { state: 'pending', templateVersion: 0 }),
    ];
    for (const over of [{}, { deleted: true }, { status: 'hard_limited' as const }, { invalidatedAt: T0 }]) {
      const p = preset(P, { pool: pool(0, 3600), templateVersion: 2, ...over });
      const pp = planOne(p, nasty(P));
      assert.deepEqual(pp.actions, [], JSON.stringify(over));
      assert.equal(pp.counts.claimed, 5);
      assert.equal(pp.counts.ready + pp.counts.expired + pp.counts.outdated + pp.counts.failed + pp.counts.stopped, 0);
    }
  });

  test('claimed instances do not count toward the pool', () => {
    const pp = planOne(preset(P, { pool: pool(2) }), [claimed('c1', P, { state: 'ready' }), claimed('c2', P)]);
    assert.deepEqual(short(pp.actions), [['create', 2, 'scale']]);
  });
});

describe('instances with a job in flight are never acted on again', () => {
  test('busy expired and outdated instances are counted but not deleted', () => {
    const p = preset(P, { pool: pool(0, 3600), templateVersion: 2 });
    const pp = planOne(p, [
      ready('exp', P, T0 - 2 * HOUR, { templateVersion: 2, jobInFlight: true }),
      ready('out', P, T0 - MIN, { templateVersion: 1, jobInFlight: true }),
      ready('fresh', P, T0 - MIN, { templateVersion: 2, jobInFlight: true }),
    ]);
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.counts.expired, 1);
    assert.equal(pp.counts.outdated, 1);
    assert.equal(pp.counts.ready, 1);
  });

  test('surplus skips a busy instance and takes the next oldest', () => {
    const pp = planOne(preset(P, { pool: pool(1) }), [
      ready('oldest-busy', P, T0 - 3 * HOUR, { jobInFlight: true }),
      ready('older', P, T0 - 2 * HOUR),
      ready('newest', P, T0 - HOUR),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'surplus', ['older', 'newest']]]);
  });

  test('deleting: in-flight is left alone; a crashed delete or a due retry is re-driven', () => {
    const p = preset(P, { pool: pool(0) });
    const pp = planOne(p, [
      deleting('busy', P),
      deleting('crashed', P, { jobInFlight: false, createdAt: T0 - 3 * HOUR }),
      deleting('due', P, { jobInFlight: false, nextAttemptAt: T0, createdAt: T0 - 2 * HOUR }),
      deleting('waiting', P, { jobInFlight: false, nextAttemptAt: T0 + 1 }),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'retry', ['crashed', 'due']]]);
    assert.equal(pp.counts.deleting, 4);
  });

  test('deleting and stopping instances do not count as ready: replacements are created', () => {
    const pp = planOne(preset(P, { pool: pool(2) }), [deleting('d', P), instance('st', P, 'stopping', { jobInFlight: true })]);
    assert.deepEqual(short(pp.actions), [['create', 2, 'scale']]);
  });

  test('transitional and terminal states are ignored', () => {
    const pp = planOne(preset(P, { pool: pool(0) }), [
      instance('a', P, 'archived'),
      instance('d', P, 'deleted'),
      instance('s', P, 'stopping'),
    ]);
    assert.deepEqual(pp.actions, []);
  });
});

describe('determinism', () => {
  function busyWorld(): Snapshot {
    const presets: PresetView[] = [];
    const instances: InstanceView[] = [];
    for (let n = 0; n < 20; n++) {
      const id = `tpl/p${n}`;
      presets.push(
        preset(id, {
          templateVersion: 1 + (n % 2),
          pool: pool(n % 5, n % 3 === 0 ? 3600 : 0),
          backoffUntil: n % 7 === 0 ? T0 + MIN : null,
          invalidatedAt: n % 4 === 0 ? T0 - 50 * MIN : null,
          deleted: n === 13,
        }),
      );
      for (let k = 0; k < 8; k++) {
        const iid = `${id}-i${k}`;
        const t = T0 - ((n * 7 + k * 13) % 180) * MIN;
        switch (k % 8) {
          case 0:
          case 1:
          case 2:
            instances.push(ready(iid, id, t, { createdAt: t - (k % 2) * HOUR }));
            break;
          case 3:
            instances.push(pending(iid, id, { templateVersion: k % 2, createdAt: t }));
            break;
          case 4:
            instances.push(starting(iid, id));
            break;
          case 5:
            instances.push(failed(iid, id, t));
            break;
          case 6:
            instances.push(stopped(iid, id, t));
            break;
          default:
            instances.push(claimed(iid, id));
        }
      }
    }
    return snapshot(T0, presets, instances);
  }

  test('the same snapshot twice gives identical plans, and the snapshot is not modified', () => {
    const snap = busyWorld();
    const before = structuredClone(snap);
    const a = reconcile(snap, options());
    const b = reconcile(snap, options());
    assert.deepEqual(a, b);
    // structuredClone builds its copy in Node's realm, not the test's: compare with expect, which treats built-in
    // types of both realms alike (node:assert's strict mode compares prototypes by identity).
    expect(snap).toStrictEqual(before);
    assert.ok(a.presets.some((p) => p.actions.length > 2), 'the fixture exercises real decisions');
  });

  test('instance order in the snapshot does not change the plan', () => {
    const snap = busyWorld();
    const reversed: Snapshot = {
      ...snap,
      instancesByPreset: new Map([...snap.instancesByPreset].map(([k, v]) => [k, [...v].reverse()])),
    };
    assert.deepEqual(reconcile(reversed, options()), reconcile(snap, options()));
  });

  test('presets missing from instancesByPreset are planned with no instances', () => {
    const snap: Snapshot = { now: T0, paused: false, presets: [preset(P, { pool: pool(2) })], instancesByPreset: new Map(), inFlight: 0 };
    assert.deepEqual(short(presetPlan(reconcile(snap, options()), P).actions), [['create', 2, 'scale']]);
  });

  test('a negative or fractional desired from bad configuration is clamped to a whole number ≥ 0', () => {
    assert.equal(planOne(preset(P, { pool: pool(-3) }), []).desired, 0);
    assert.equal(planOne(preset(P, { pool: pool(2.7) }), []).desired, 2);
  });
});

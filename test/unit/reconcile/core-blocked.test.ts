/**
 * Ports of Coder's pure prebuild tests (see core-scale.test.ts), presets that may not create: deleted, backing off
 * after failed builds (deletes go on meanwhile), hard limited, validation failed, paused; and the order of the actions
 * in a preset's plan.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { reconcile } from '../../../controller/reconcile';
import { antagonists, deleting, failed, HOUR, MIN, options, pending, pool, preset, presetPlan, ready, short, snapshot, starting, stopped, T0 } from '../../helpers/reconcile-fixtures';
import type { InstanceView } from '../../../controller/domain/snapshot';
import { P, planOne } from './plan-one';

describe('TestDeprecated → deleted preset', () => {
  test('every unclaimed ready, failed and stopped instance goes; pending is cancelled; nothing is created', () => {
    const p = preset(P, { deleted: true, pool: pool(3, 3600), backoffUntil: T0 + HOUR });
    const pp = planOne(p, [
      ready('fresh', P, T0 - 10 * MIN),
      ready('expired', P, T0 - 5 * HOUR),
      failed('failed-recent', P, T0 - MIN), // inside retention: goes anyway
      stopped('stopped', P, T0 - 2 * HOUR),
      pending('pend', P),
      starting('start', P), // cannot be cancelled: deleted once ready
      deleting('busy', P),
      ready('busy-ready', P, T0 - HOUR, { jobInFlight: true }),
      ...antagonists(P),
    ]);
    assert.equal(pp.desired, 0);
    assert.deepEqual(pp.desiredSource, { kind: 'deleted' });
    assert.deepEqual(short(pp.actions), [
      ['cancel', ['pend']],
      ['delete', 'preset_deleted', ['expired', 'stopped', 'fresh', 'failed-recent']],
    ]);
    assert.equal(pp.backoffUntil, T0 + HOUR, 'reported, but no backoff action: nothing would be created anyway');
  });

  test('a deleted preset still re-drives crashed deletes', () => {
    const p = preset(P, { deleted: true });
    const pp = planOne(p, [deleting('d', P, { jobInFlight: false })]);
    assert.deepEqual(short(pp.actions), [['delete', 'retry', ['d']]]);
  });

  test('a deleted preset with nothing left plans nothing', () => {
    const pp = planOne(preset(P, { deleted: true }), antagonists(P));
    assert.deepEqual(pp.actions, []);
  });
});

describe('TestLatestBuildFailed → backoff', () => {
  test('creates wait for the backoff; other presets are unaffected; creation resumes after it', () => {
    const until = T0 + 5 * MIN;
    const p = preset(P, { pool: pool(1), backoffUntil: until });
    const q = preset('tpl/q', { pool: pool(1) });
    const instances = [failed('f1', P, T0 - 2 * MIN), failed('f2', P, T0 - MIN), ...antagonists(P)];

    const during = reconcile(snapshot(T0, [p, q], instances), options());
    assert.deepEqual(short(presetPlan(during, P).actions), [['backoff', until]]);
    assert.equal(presetPlan(during, P).backoffUntil, until);
    assert.equal(presetPlan(during, P).counts.failed, 2);
    assert.deepEqual(short(presetPlan(during, 'tpl/q').actions), [['create', 1, 'scale']]);

    // Constant across ticks while the window lasts.
    const later = reconcile(snapshot(until - 1, [p, q], instances), options());
    assert.deepEqual(short(presetPlan(later, P).actions), [['backoff', until]]);

    // backoffUntil is exclusive: at that instant creates resume.
    const after = reconcile(snapshot(until, [p, q], instances), options());
    assert.deepEqual(short(presetPlan(after, P).actions), [['create', 1, 'scale']]);
    assert.equal(presetPlan(after, P).backoffUntil, null);
  });

  test('a backoff in the past is not reported', () => {
    const pp = planOne(preset(P, { pool: pool(0), backoffUntil: T0 - 1 }), []);
    assert.equal(pp.backoffUntil, null);
    assert.deepEqual(pp.actions, []);
  });
});

describe('TestSkippingHardLimitedPresets', () => {
  test('a hard-limited preset creates nothing; a healthy one does', () => {
    const limited = preset('tpl/lim', { pool: pool(2), status: 'hard_limited' });
    const healthy = preset('tpl/ok', { pool: pool(2) });
    const plan = reconcile(
      snapshot(T0, [limited, healthy], [failed('f', 'tpl/lim', T0 - MIN), ...antagonists('tpl/lim')]),
      options(),
    );
    const pl = presetPlan(plan, 'tpl/lim');
    assert.deepEqual(pl.actions, []);
    assert.equal(pl.status, 'hard_limited');
    assert.equal(pl.desired, 2, 'desired is still reported');
    assert.deepEqual(short(presetPlan(plan, 'tpl/ok').actions), [['create', 2, 'scale']]);
  });
});

describe('TestValidationFailedPresets', () => {
  test('validation_failed creates nothing; healthy presets are unaffected', () => {
    const presets = [
      preset('tpl/A', { pool: pool(1), status: 'validation_failed' }),
      preset('tpl/E', { pool: pool(1) }),
    ];
    const plan = reconcile(snapshot(T0, presets, []), options());
    assert.deepEqual(presetPlan(plan, 'tpl/A').actions, []);
    assert.equal(presetPlan(plan, 'tpl/A').status, 'validation_failed');
    assert.deepEqual(short(presetPlan(plan, 'tpl/E').actions), [['create', 1, 'scale']]);
  });

  test('validation_failed still deletes outdated and surplus instances', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(1), status: 'validation_failed' });
    const pp = planOne(p, [
      ready('o', P, T0 - HOUR, { templateVersion: 1 }),
      ready('a', P, T0 - 30 * MIN, { templateVersion: 2 }),
      ready('b', P, T0 - 20 * MIN, { templateVersion: 2 }),
    ]);
    assert.deepEqual(short(pp.actions), [
      ['delete', 'outdated', ['o']],
      ['delete', 'surplus', ['a']],
    ]);
  });
});

describe('TestHardLimitedPresetShouldNotBlockDeletion', () => {
  test('new template version: outdated instances go even though no replacement can be built', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(2), status: 'hard_limited' });
    const pp = planOne(p, [
      ready('o1', P, T0 - 2 * HOUR, { templateVersion: 1 }),
      ready('o2', P, T0 - HOUR, { templateVersion: 1 }),
      ...antagonists(P),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'outdated', ['o1', 'o2']]]);
  });

  test('deleted template: everything goes', () => {
    const p = preset(P, { deleted: true, pool: pool(2), status: 'hard_limited' });
    const pp = planOne(p, [ready('r', P, T0 - HOUR), failed('f', P, T0 - MIN), ...antagonists(P)]);
    assert.deepEqual(short(pp.actions), [['delete', 'preset_deleted', ['r', 'f']]]);
  });

  test('failed instances past retention are reaped while hard limited', () => {
    const p = preset(P, { pool: pool(1), status: 'hard_limited' });
    const pp = planOne(p, [failed('f-old', P, T0 - 2 * HOUR), failed('f-new', P, T0 - MIN)]);
    assert.deepEqual(short(pp.actions), [['delete', 'retention', ['f-old']]]);
  });
});

describe('pause (TestReconciliationRespectsPauseSetting)', () => {
  const busy = (id: string): InstanceView[] => [
    ready(`${id}-exp`, id, T0 - 5 * HOUR),
    ready(`${id}-r1`, id, T0 - HOUR),
    ready(`${id}-r2`, id, T0 - HOUR),
    failed(`${id}-f`, id, T0 - 5 * HOUR),
    deleting(`${id}-d`, id, { jobInFlight: false }),
    pending(`${id}-p`, id, { templateVersion: 0 }),
  ];

  test('a paused preset gets no actions at all, but explain still shows desired and counts', () => {
    const p = preset(P, { paused: true, pool: pool(1, 3600), backoffUntil: T0 + MIN });
    const pp = planOne(p, busy(P));
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.paused, true);
    assert.equal(pp.desired, 1);
    assert.deepEqual(pp.desiredSource, { kind: 'base' });
    assert.equal(pp.backoffUntil, T0 + MIN);
    assert.deepEqual(pp.counts, { ready: 2, starting: 1, expired: 1, outdated: 0, claimed: 0, failed: 1, stopped: 0, deleting: 1 });
  });

  test('a paused deleted preset keeps everything too', () => {
    const pp = planOne(preset(P, { paused: true, deleted: true }), busy(P));
    assert.deepEqual(pp.actions, []);
    assert.deepEqual(pp.desiredSource, { kind: 'deleted' });
  });

  test('global pause stops every preset; per-preset pause only its own', () => {
    const a = preset('tpl/a', { pool: pool(1, 3600) });
    const b = preset('tpl/b', { pool: pool(1, 3600), paused: true });
    const instances = [...busy('tpl/a'), ...busy('tpl/b')];
    const global = reconcile(snapshot(T0, [a, b], instances, { paused: true }), options());
    for (const pp of global.presets) {
      assert.deepEqual(pp.actions, []);
      assert.equal(pp.paused, true);
    }
    const local = reconcile(snapshot(T0, [a, b], instances), options());
    assert.notDeepEqual(presetPlan(local, 'tpl/a').actions, []);
    assert.deepEqual(presetPlan(local, 'tpl/b').actions, []);
    assert.equal(presetPlan(local, 'tpl/a').paused, false);
  });
});

describe('action ordering inside a preset', () => {
  test('cancel_pending, retry, retention, retiring, surplus, backoff (creates blocked)', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(1, 3600), backoffUntil: T0 + MIN });
    const pp = planOne(p, [
      pending('pend', P, { templateVersion: 1 }),
      deleting('del', P, { jobInFlight: false, nextAttemptAt: T0 }),
      failed('fail', P, T0 - 2 * HOUR),
      stopped('stop', P, T0 - 3 * HOUR),
      ready('exp', P, T0 - 2 * HOUR, { templateVersion: 2 }),
      ready('out', P, T0 - 30 * MIN, { templateVersion: 1 }),
      ready('r1', P, T0 - 20 * MIN, { templateVersion: 2 }),
      ready('r2', P, T0 - 10 * MIN, { templateVersion: 2 }),
    ]);
    assert.deepEqual(short(pp.actions), [
      ['cancel', ['pend']],
      ['delete', 'retry', ['del']],
      ['delete', 'retention', ['stop', 'fail']],
      ['delete', 'expired', ['exp']],
      ['delete', 'outdated', ['out']],
      ['delete', 'surplus', ['r1']],
      ['backoff', T0 + MIN],
    ]);
  });

  test('deletes come before the create', () => {
    const p = preset(P, { pool: pool(2) });
    const pp = planOne(p, [failed('fail', P, T0 - 2 * HOUR), deleting('del', P, { jobInFlight: false })]);
    assert.deepEqual(short(pp.actions), [
      ['delete', 'retry', ['del']],
      ['delete', 'retention', ['fail']],
      ['create', 2, 'scale'],
    ]);
  });
});

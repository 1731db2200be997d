/**
 * Ports of Coder's pure prebuild tests (see core-scale.test.ts), replacing instances: outdated template versions and
 * generations (surge, then retire), cancelled pending creates, expired and invalidated instances.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { reconcile } from '../../../controller/reconcile';
import { antagonists, deleting, HOUR, MIN, options, pending, pool, preset, presetPlan, ready, short, snapshot, starting, T0 } from '../../helpers/reconcile-fixtures';
import { P, planOne } from './plan-one';

describe('TestOutdatedPrebuilds (surge, then retire)', () => {
  test('template version bump: the replacement is created first and is not blocked by the outdated instance', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(1) });
    const pp = planOne(p, [ready('old', P, T0 - HOUR, { templateVersion: 1 }), ...antagonists(P)]);
    assert.deepEqual(short(pp.actions), [['create', 1, 'replace']]);
    assert.equal(pp.counts.outdated, 1);
    assert.equal(pp.counts.ready, 0);
  });

  test('once the replacement is ready the outdated instance is deleted', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(1) });
    const pp = planOne(p, [
      ready('old', P, T0 - HOUR, { templateVersion: 1 }),
      ready('new', P, T0 - MIN, { templateVersion: 2 }),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'outdated', ['old']]]);
  });

  test('a generation bump (preset parameters changed) is outdated too', () => {
    const p = preset(P, { generation: 3, pool: pool(1) });
    const pp = planOne(p, [
      ready('g2', P, T0 - HOUR, { generation: 2 }),
      ready('g3', P, T0 - MIN, { generation: 3 }),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'outdated', ['g2']]]);
  });

  test('an instance from a newer version than the preset knows is not outdated', () => {
    const pp = planOne(preset(P, { pool: pool(1) }), [ready('r', P, T0 - MIN, { templateVersion: 5, generation: 5 })]);
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.counts.ready, 1);
  });

  test('a running build from the old version still counts as starting (it cannot be cancelled)', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(1) });
    const pp = planOne(p, [starting('s-old', P, { templateVersion: 1 })]);
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.counts.starting, 1);
  });
});

describe('TestDeleteOutdatedPrebuilds', () => {
  test('an outdated instance is deleted while another outdated delete is in flight', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(1) });
    const pp = planOne(p, [
      deleting('o1', P, { templateVersion: 1 }),
      ready('o2', P, T0 - HOUR, { templateVersion: 1 }),
      ready('f1', P, T0 - MIN, { templateVersion: 2 }),
      ...antagonists(P),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'outdated', ['o2']]]);
    assert.equal(pp.counts.deleting, 1);
  });
});

describe('TestCancelPendingPrebuilds', () => {
  test('cancels only pending pool creates of an outdated version', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(2) });
    const q = preset('tpl/q', { templateVersion: 1, pool: pool(1) });
    const plan = reconcile(
      snapshot(
        T0,
        [p, q],
        [
          pending('p-old', P, { templateVersion: 1 }), // cancel
          pending('p-new', P, { templateVersion: 2 }), // current version: keep
          starting('s-old', P, { templateVersion: 1 }), // already running: cannot cancel
          pending('user-old', P, { templateVersion: 1, owner: 'bob' }), // a user's build: not ours
          deleting('d-old', P, { templateVersion: 1 }), // delete transition: not a create
          ready('r-old', P, T0 - HOUR, { templateVersion: 1, jobInFlight: true }), // completed long ago, busy
          pending('q-old', 'tpl/q', { templateVersion: 1 }), // other preset, current there
        ],
      ),
      options(),
    );
    const pp = presetPlan(plan, P);
    assert.deepEqual(short(pp.actions), [['cancel', ['p-old']]]);
    assert.equal(pp.counts.starting, 3, 'counts show what is observed, cancelled or not');
    assert.deepEqual(presetPlan(plan, 'tpl/q').actions, []);
  });

  test('the replacement of a cancelled outdated pending create is asked for on the same tick', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(1) });
    const pp = planOne(p, [pending('p-old', P, { templateVersion: 1 })]);
    assert.deepEqual(short(pp.actions), [
      ['cancel', ['p-old']],
      ['create', 1, 'scale'],
    ]);
  });

  test('pending creates beyond what is needed are cancelled (newest first), starting ones are left', () => {
    const p = preset(P, { pool: pool(2) });
    const pp = planOne(p, [
      ready('r1', P, T0 - HOUR),
      starting('s1', P, { createdAt: T0 - 10 * MIN }),
      pending('pa', P, { createdAt: T0 - 3 * MIN }),
      pending('pb', P, { createdAt: T0 - 2 * MIN }),
      pending('pc', P, { createdAt: T0 - 1 * MIN }),
    ]);
    // Need 2 - 1 ready = 1 more; s1 covers it; all three pending are excess.
    assert.deepEqual(short(pp.actions), [['cancel', ['pa', 'pb', 'pc']]]);
  });

  test('only the excess is cancelled, newest intents first; ids are listed oldest first', () => {
    const p = preset(P, { pool: pool(3) });
    const pp = planOne(p, [
      ready('r1', P, T0 - HOUR),
      pending('pa', P, { createdAt: T0 - 3 * MIN }),
      pending('pb', P, { createdAt: T0 - 2 * MIN }),
      pending('pc', P, { createdAt: T0 - 1 * MIN }),
      pending('pd', P, { createdAt: T0 - 1 * MIN }),
    ]);
    // Need 2, 4 pending: cancel the 2 newest (pc, pd; tie broken by id).
    assert.deepEqual(short(pp.actions), [['cancel', ['pc', 'pd']]]);
  });

  test('pending creates that are still needed are never cancelled', () => {
    const pp = planOne(preset(P, { pool: pool(3) }), [pending('pa', P), pending('pb', P), ready('r', P, T0 - MIN)]);
    assert.deepEqual(pp.actions, []);
  });
});

describe('TestExpiredPrebuilds (adapted to surge, then retire)', () => {
  const ttl = 3600; // 1 h
  const fresh = (id: string) => ready(id, P, T0 - 10 * MIN);
  const old = (id: string, ageMin = 90) => ready(id, P, T0 - ageMin * MIN);

  test('none expired: no actions', () => {
    const pp = planOne(preset(P, { pool: pool(2, ttl) }), [fresh('a'), fresh('b'), ...antagonists(P)]);
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.counts.expired, 0);
  });

  test('1 of 2 expired: create the replacement first, keep the expired one until it is ready', () => {
    const pp = planOne(preset(P, { pool: pool(2, ttl) }), [old('x'), fresh('b'), ...antagonists(P)]);
    assert.deepEqual(short(pp.actions), [['create', 1, 'replace']]);
    assert.equal(pp.counts.expired, 1);
    assert.equal(pp.counts.ready, 1);
    // Next tick: the replacement is ready; now the expired one goes.
    const pp2 = planOne(preset(P, { pool: pool(2, ttl) }), [old('x'), fresh('b'), ready('n', P, T0)]);
    assert.deepEqual(short(pp2.actions), [['delete', 'expired', ['x']]]);
  });

  test('all expired: replacements are created up to the surge bound, nothing deleted yet', () => {
    const pp = planOne(preset(P, { pool: pool(2, ttl) }), [old('x', 120), old('y', 90)]);
    assert.deepEqual(short(pp.actions), [['create', 1, 'replace']]); // surge = max(1, floor(0.25 × 2)) = 1
    const wide = planOne(preset(P, { pool: pool(2, ttl) }), [old('x', 120), old('y', 90)], T0, options({ surgeFraction: 1 }));
    assert.deepEqual(short(wide.actions), [['create', 2, 'replace']]);
  });

  test('all expired, one replacement ready: the oldest expired one is retired, the next replacement created', () => {
    const pp = planOne(preset(P, { pool: pool(2, ttl) }), [old('x', 120), old('y', 90), ready('n1', P, T0)]);
    assert.deepEqual(short(pp.actions), [['delete', 'expired', ['x']]]);
    const pp2 = planOne(preset(P, { pool: pool(2, ttl) }), [old('y', 90), ready('n1', P, T0)]);
    assert.deepEqual(short(pp2.actions), [['create', 1, 'replace']]);
  });

  test('4 running, 2 expired, desired 2: delete the expired only', () => {
    const pp = planOne(preset(P, { pool: pool(2, ttl) }), [old('x', 120), old('y', 90), fresh('a'), fresh('b')]);
    assert.deepEqual(short(pp.actions), [['delete', 'expired', ['x', 'y']]]);
  });

  test('4 running, 1 expired, desired 2: delete the expired, then the oldest extraneous', () => {
    const pp = planOne(preset(P, { pool: pool(2, ttl) }), [
      old('x'),
      ready('a', P, T0 - 30 * MIN),
      ready('b', P, T0 - 20 * MIN),
      ready('c', P, T0 - 10 * MIN),
    ]);
    assert.deepEqual(short(pp.actions), [
      ['delete', 'expired', ['x']],
      ['delete', 'surplus', ['a']],
    ]);
  });

  test('invalidated preset: both instances are stale and replaced one at a time', () => {
    const p = preset(P, { pool: pool(2), invalidatedAt: T0 - MIN });
    const pp = planOne(p, [fresh('a'), fresh('b')]);
    assert.deepEqual(short(pp.actions), [['create', 1, 'replace']]);
    assert.equal(pp.counts.expired, 2, 'invalidated instances are reported as expired');
  });

  test('invalidated preset, one instance newer than the invalidation: only the older one is stale', () => {
    const p = preset(P, { pool: pool(1), invalidatedAt: T0 - 20 * MIN });
    const pp = planOne(p, [
      ready('before', P, T0 - 30 * MIN, { createdAt: T0 - 40 * MIN }),
      ready('after', P, T0 - 5 * MIN, { createdAt: T0 - 15 * MIN }),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'invalidated', ['before']]]);
    assert.equal(pp.counts.expired, 1);
    assert.equal(pp.counts.ready, 1);
  });

  test('created exactly at the invalidation instant counts as invalidated', () => {
    const p = preset(P, { pool: pool(1), invalidatedAt: T0 - 20 * MIN });
    const pp = planOne(p, [
      ready('edge', P, T0 - 15 * MIN, { createdAt: T0 - 20 * MIN }),
      ready('after', P, T0 - 5 * MIN, { createdAt: T0 - 19 * MIN }),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'invalidated', ['edge']]]);
  });

  test('delete reason priority: outdated > invalidated > expired', () => {
    const p = preset(P, { templateVersion: 2, pool: pool(0, ttl), invalidatedAt: T0 - MIN });
    const pp = planOne(p, [
      ready('all3', P, T0 - 3 * HOUR, { templateVersion: 1 }), // outdated + invalidated + expired
      ready('inv-exp', P, T0 - 2 * HOUR, { templateVersion: 2 }), // invalidated + expired
      ready('exp', P, T0 - 2 * HOUR, { templateVersion: 2, createdAt: T0 }), // expired only
    ]);
    assert.deepEqual(short(pp.actions), [
      ['delete', 'expired', ['exp']],
      ['delete', 'outdated', ['all3']],
      ['delete', 'invalidated', ['inv-exp']],
    ]);
    assert.equal(pp.counts.outdated, 1);
    assert.equal(pp.counts.expired, 2);
  });
});

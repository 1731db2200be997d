/**
 * Cases Coder's prebuilds tests leave out, plus prewarm's own promises (the others are in gaps-shrink.test.ts and
 * gaps-invariants.test.ts). This file: expiry during backoff and on deleted presets, TTL from readyAt with the
 * injected clock, and the surge that bounds replacements.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { createCount, retireCount, surgeFor } from '../../../controller/reconcile';
import { antagonists, DAY, failed, HOUR, MIN, pool, preset, ready, short, stopped, T0 } from '../../helpers/reconcile-fixtures';
import { P, planOne } from './plan-one';

describe('expiry while creates are blocked', () => {
  test('expired instances are deleted during backoff (TTL is a hard promise), creates wait', () => {
    const p = preset(P, { pool: pool(2, 3600), backoffUntil: T0 + 5 * MIN });
    const pp = planOne(p, [ready('x', P, T0 - 2 * HOUR), ready('a', P, T0 - 10 * MIN), ...antagonists(P)]);
    assert.deepEqual(short(pp.actions), [
      ['delete', 'expired', ['x']],
      ['backoff', T0 + 5 * MIN],
    ]);
  });

  test('a whole expired pool goes during backoff even though that leaves it empty', () => {
    const p = preset(P, { pool: pool(2, 3600), backoffUntil: T0 + 5 * MIN });
    const pp = planOne(p, [ready('x', P, T0 - 3 * HOUR), ready('y', P, T0 - 2 * HOUR)]);
    assert.deepEqual(short(pp.actions), [
      ['delete', 'expired', ['x', 'y']],
      ['backoff', T0 + 5 * MIN],
    ]);
  });

  test('surplus and retention deletes also run during backoff', () => {
    const p = preset(P, { pool: pool(1), backoffUntil: T0 + 5 * MIN });
    const pp = planOne(p, [
      ready('a', P, T0 - 30 * MIN),
      ready('b', P, T0 - 20 * MIN),
      failed('f', P, T0 - 2 * HOUR),
      stopped('s', P, T0 - 2 * HOUR - 1),
    ]);
    assert.deepEqual(short(pp.actions), [
      ['delete', 'retention', ['s', 'f']],
      ['delete', 'surplus', ['a']],
      ['backoff', T0 + 5 * MIN],
    ]);
  });

  test('outdated instances go while validation_failed', () => {
    const p = preset(P, { templateVersion: 3, pool: pool(1), status: 'validation_failed' });
    const pp = planOne(p, [ready('o', P, T0 - MIN, { templateVersion: 2 })]);
    assert.deepEqual(short(pp.actions), [['delete', 'outdated', ['o']]]);
  });

  test('expired instances of a deleted preset are deleted (Coder leaves them behind)', () => {
    const p = preset(P, { deleted: true, pool: pool(1, 3600), templateVersion: 2 });
    const pp = planOne(p, [ready('old', P, T0 - 5 * HOUR, { templateVersion: 1 }), ready('exp', P, T0 - 2 * HOUR)]);
    assert.deepEqual(short(pp.actions), [['delete', 'preset_deleted', ['old', 'exp']]]);
  });
});

describe('TTL is measured from readyAt with the injected clock', () => {
  test('a slow build is not expired early: age counts from readyAt, not createdAt', () => {
    const p = preset(P, { pool: pool(1, 3600) });
    const pp = planOne(p, [ready('slow', P, T0 - 30 * MIN, { createdAt: T0 - 10 * HOUR })]);
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.counts.ready, 1);
  });

  test('strictly greater than ttl: exactly ttl is fresh, one millisecond more is expired', () => {
    const p = preset(P, { pool: pool(1, 3600) });
    assert.equal(planOne(p, [ready('r', P, T0 - HOUR)]).counts.expired, 0);
    assert.equal(planOne(p, [ready('r', P, T0 - HOUR - 1)]).counts.expired, 1);
  });

  test('the snapshot clock is the only clock: instants years away from the wall clock work', () => {
    const y2001 = Date.UTC(2001, 0, 1);
    const p = preset(P, { pool: pool(1, 3600) });
    const inst = [ready('r', P, y2001)];
    assert.equal(planOne(p, inst, y2001 + 30 * MIN).counts.expired, 0);
    assert.equal(planOne(p, inst, y2001 + 61 * MIN).counts.expired, 1);
    const y2099 = Date.UTC(2099, 0, 1);
    assert.equal(planOne(p, [ready('r', P, y2099)], y2099 + 59 * MIN).counts.expired, 0);
  });

  test('ttl 0 disables expiry', () => {
    const pp = planOne(preset(P, { pool: pool(1, 0) }), [ready('ancient', P, T0 - 365 * DAY)]);
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.counts.expired, 0);
  });

  test('desired 0 with a ttl: the expired instance is deleted and nothing is created', () => {
    const p = preset(P, { pool: pool(0, 3600) });
    const pp = planOne(p, [ready('x', P, T0 - 2 * HOUR)]);
    assert.deepEqual(short(pp.actions), [['delete', 'expired', ['x']]]);
    assert.deepEqual(planOne(p, []).actions, []);
  });
});

describe('surge arithmetic', () => {
  test('surge = max(1, floor(fraction × desired))', () => {
    assert.equal(surgeFor(0, 0.25), 1);
    assert.equal(surgeFor(3, 0.25), 1);
    assert.equal(surgeFor(8, 0.25), 2);
    assert.equal(surgeFor(10, 0.25), 2);
    assert.equal(surgeFor(100, 0.25), 25);
    assert.equal(surgeFor(10, 0), 1);
    assert.equal(surgeFor(10, Number.NaN), 1);
    assert.equal(surgeFor(10, -1), 1);
  });

  test('a whole pool of 8 expiring at once: 2 replacements at a time, nothing deleted yet', () => {
    const instances = Array.from({ length: 8 }, (_, k) => ready(`x${k}`, P, T0 - 2 * HOUR + k));
    const pp = planOne(preset(P, { pool: pool(8, 3600) }), instances);
    assert.deepEqual(short(pp.actions), [['create', 2, 'replace']]);
  });

  test('the create formula and retire formula', () => {
    // createCount(D, R, E, S, surge)
    assert.equal(createCount(3, 0, 0, 0, 1), 3, 'plain scale-up is not bounded by surge');
    assert.equal(createCount(3, 3, 0, 0, 1), 0);
    assert.equal(createCount(3, 1, 2, 0, 1), 1, 'replacement bounded by surge');
    assert.equal(createCount(3, 1, 2, 1, 1), 0, 'one replacement already starting');
    assert.equal(createCount(3, 1, 1, 0, 1), 2, 'one scale + one replacement (headroom 2)');
    assert.equal(createCount(0, 0, 5, 0, 1), 0);
    // retireCount(D, R, E, blocked)
    assert.equal(retireCount(3, 3, 2, false), 2);
    assert.equal(retireCount(3, 2, 2, false), 1);
    assert.equal(retireCount(3, 0, 2, false), 0);
    assert.equal(retireCount(3, 0, 2, true), 2);
  });

  test('reason is replace whenever a retiring instance exists (the surge slot is always theirs)', () => {
    const pp = planOne(preset(P, { pool: pool(3, 3600) }), [ready('x', P, T0 - 2 * HOUR), ready('a', P, T0 - MIN)]);
    assert.deepEqual(short(pp.actions), [['create', 2, 'replace']]);
  });
});

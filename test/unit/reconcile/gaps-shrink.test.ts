/**
 * Cases Coder's prebuilds tests leave out (see gaps-expiry.test.ts). This file: the pool shrinks right away when
 * desired drops, and failed and stopped pool instances are reaped after the retention period (zombies).
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { compileScheduling } from '../../../controller/domain/scheduling';
import { claimed, DAY, failed, HOUR, instance, MIN, options, pending, pool, preset, ready, short, starting, stopped, T0 } from '../../helpers/reconcile-fixtures';
import type { InstanceView } from '../../../controller/domain/snapshot';
import { P, planOne } from './plan-one';

describe('desired drops (#19871)', () => {
  const twenty = (): InstanceView[] => Array.from({ length: 20 }, (_, k) => ready(`r${String(k).padStart(2, '0')}`, P, T0 - (100 - k) * MIN));

  test('20 → 1 shrinks right away: the 19 oldest go on one tick', () => {
    const pp = planOne(preset(P, { pool: pool(1) }), twenty());
    assert.equal(pp.actions.length, 1);
    const [a] = pp.actions;
    assert.ok(a !== undefined && a.type === 'delete' && a.reason === 'surplus');
    assert.equal(a.instanceIds.length, 19);
    assert.equal(a.instanceIds[0], 'r00');
    assert.ok(!a.instanceIds.includes('r19'), 'the newest is kept');
  });

  test('a schedule window closing drops desired and shrinks on the same tick', () => {
    const scheduling = compileScheduling({ timezone: 'UTC', schedule: [{ cron: '* 9-17 * * *', instances: 20 }] });
    const p = preset(P, { pool: pool(1, 0, scheduling) });
    const inside = planOne(p, twenty(), Date.UTC(2026, 2, 2, 17, 59, 59));
    assert.equal(inside.desired, 20);
    assert.deepEqual(inside.actions, []);
    const after = planOne(p, twenty(), Date.UTC(2026, 2, 2, 18, 0, 0));
    assert.equal(after.desired, 1);
    assert.deepEqual(after.desiredSource, { kind: 'base' });
    assert.equal((after.actions[0] as { instanceIds: string[] }).instanceIds.length, 19);
  });

  test('pending creates are cancelled, running builds are left to finish and trimmed later', () => {
    const instances = [
      ...twenty().slice(0, 3),
      starting('s1', P),
      starting('s2', P),
      pending('p1', P, { createdAt: T0 - 2 * MIN }),
      pending('p2', P, { createdAt: T0 - MIN }),
    ];
    const pp = planOne(preset(P, { pool: pool(1) }), instances);
    assert.deepEqual(short(pp.actions), [
      ['cancel', ['p1', 'p2']],
      ['delete', 'surplus', ['r00', 'r01']],
    ]);
  });

  test('schedule boundary crossed while instances are starting: they keep counting, no create, no delete', () => {
    const p = preset(P, { pool: pool(1) }); // was 4 a tick ago
    const pp = planOne(p, [ready('r', P, T0 - HOUR), starting('s1', P), starting('s2', P), starting('s3', P)]);
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.counts.starting, 3);
    // Once they are ready the surplus (oldest first) goes.
    const later = planOne(p, [
      ready('r', P, T0 - HOUR),
      ready('s1', P, T0 + 3 * MIN),
      ready('s2', P, T0 + 3 * MIN),
      ready('s3', P, T0 + 3 * MIN),
    ], T0 + 4 * MIN);
    assert.deepEqual(short(later.actions), [['delete', 'surplus', ['r', 's1', 's2']]]);
  });

  test('desired rising while instances are starting: they count toward it', () => {
    const pp = planOne(preset(P, { pool: pool(5) }), [ready('r', P, T0 - HOUR), starting('s1', P), starting('s2', P)]);
    assert.deepEqual(short(pp.actions), [['create', 2, 'scale']]);
  });
});

describe('zombie reaping (#18658): failed and stopped pool instances after retention', () => {
  const ret = HOUR;
  test('not before the retention period, reaped strictly after it', () => {
    const p = preset(P, { pool: pool(0) });
    const at = (ageMs: number) =>
      planOne(p, [failed('f', P, T0 - ageMs), stopped('s', P, T0 - ageMs)], T0, options({ retentionMs: ret }));
    assert.deepEqual(at(ret - 1).actions, []);
    assert.deepEqual(at(ret).actions, [], 'exactly the retention period is still kept');
    assert.deepEqual(short(at(ret + 1).actions), [['delete', 'retention', ['s', 'f']]]);
    assert.deepEqual(short(at(10 * DAY).actions), [['delete', 'retention', ['s', 'f']]]);
  });

  test('retention is measured from failedAt / stoppedAt, not createdAt', () => {
    const p = preset(P, { pool: pool(0) });
    const pp = planOne(p, [
      failed('f', P, T0 - 10 * MIN, { createdAt: T0 - 5 * DAY }),
      stopped('s', P, T0 - 10 * MIN, { createdAt: T0 - 5 * DAY }),
    ]);
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.counts.failed, 1);
    assert.equal(pp.counts.stopped, 1);
  });

  test('a row missing failedAt falls back to createdAt so it can never become a permanent zombie', () => {
    const p = preset(P, { pool: pool(0) });
    const pp = planOne(p, [instance('f', P, 'failed', { createdAt: T0 - 2 * HOUR })]);
    assert.deepEqual(short(pp.actions), [['delete', 'retention', ['f']]]);
  });

  test('a failed or stopped instance with a job in flight is left alone', () => {
    const p = preset(P, { pool: pool(0) });
    const pp = planOne(p, [failed('f', P, T0 - DAY, { jobInFlight: true }), stopped('s', P, T0 - DAY, { jobInFlight: true })]);
    assert.deepEqual(pp.actions, []);
  });

  test('a stopped pool instance does not count as ready: it is replaced and later reaped', () => {
    const p = preset(P, { pool: pool(1) });
    const early = planOne(p, [stopped('s', P, T0 - MIN)]);
    assert.deepEqual(short(early.actions), [['create', 1, 'scale']]);
    const late = planOne(p, [stopped('s', P, T0 - 2 * HOUR), ready('n', P, T0 - HOUR)]);
    assert.deepEqual(short(late.actions), [['delete', 'retention', ['s']]]);
  });

  test('claimed stopped workspaces are never reaped by the pool', () => {
    const p = preset(P, { pool: pool(0) });
    const pp = planOne(p, [claimed('c', P, { state: 'stopped', stoppedAt: T0 - 30 * DAY })]);
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.counts.stopped, 0);
    assert.equal(pp.counts.claimed, 1);
  });
});

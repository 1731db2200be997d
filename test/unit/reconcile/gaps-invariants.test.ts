/**
 * Cases Coder's prebuilds tests leave out, plus prewarm's own promises: expiry
 * during backoff and on deleted presets, immediate shrink, zombie reaping, TTL from readyAt with the
 * injected clock, claimed and busy instances untouched, determinism.
 */
import { describe, test, expect } from '@jest/globals';
import assert from 'node:assert/strict';
import { compileScheduling } from '../../../controller/domain/scheduling';
import { createCount, reconcile, retireCount, surgeFor } from '../../../controller/reconcile';
import { antagonists, claimed, DAY, deleting, failed, HOUR, instance, MIN, options, pending, pool, preset, presetPlan, ready, short, snapshot, starting, stopped, T0 } from '../../helpers/reconcile-fixtures';
import type { InstanceView, PresetView, Snapshot } from '../../../controller/domain/snapshot';

const P = 'tpl/p';

function planOne(p: PresetView, instances: InstanceView[], now = T0, opts = options()) {
  return presetPlan(reconcile(snapshot(now, [p], instances), opts), p.id);
}

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

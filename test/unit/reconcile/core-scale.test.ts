/**
 * Ports of Coder's pure state-machine tests (coderd/prebuilds/preset_snapshot_test.go) and the pure parts of its
 * database-backed reconciler tests, adapted to prewarm's
 * decided semantics where they differ (surge-then-retire, deletes during backoff, retention).
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { reconcile } from '../../../controller/reconcile';
import { antagonists, claimed, deleting, failed, HOUR, hourWindows, instance, MIN, options, pending, pool, preset, presetPlan, ready, short, snapshot, starting, stopped, T0 } from '../../helpers/reconcile-fixtures';
import type { InstanceView, PresetView } from '../../../controller/domain/snapshot';

const P = 'tpl/p';

function planOne(p: PresetView, instances: InstanceView[], now = T0, opts = options()) {
  return presetPlan(reconcile(snapshot(now, [p], instances), opts), p.id);
}

describe('TestNoPrebuilds', () => {
  test('a pool of 0 produces no actions', () => {
    const pp = planOne(preset(P, { pool: pool(0) }), antagonists(P));
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.desired, 0);
    assert.deepEqual(pp.desiredSource, { kind: 'base' });
    assert.equal(pp.counts.claimed, 3);
    assert.equal(pp.counts.ready, 0);
  });

  test('a preset without a prebuilds block has desired 0 from source none', () => {
    const pp = planOne(preset(P, { pool: null }), antagonists(P));
    assert.deepEqual(pp.actions, []);
    assert.equal(pp.desired, 0);
    assert.deepEqual(pp.desiredSource, { kind: 'none' });
  });

  test('pool instances left over after the prebuilds block is removed are deleted as surplus', () => {
    const pp = planOne(preset(P, { pool: null }), [ready('r1', P, T0 - HOUR), ...antagonists(P)]);
    assert.deepEqual(short(pp.actions), [['delete', 'surplus', ['r1']]]);
  });

  test('no presets at all: empty plan', () => {
    const plan = reconcile(snapshot(T0, [], []), options());
    assert.deepEqual(plan, { now: T0, presets: [] });
  });
});

describe('TestNetNew', () => {
  test('1 desired, nothing there: create 1', () => {
    const pp = planOne(preset(P, { pool: pool(1) }), antagonists(P));
    assert.deepEqual(short(pp.actions), [['create', 1, 'scale']]);
    assert.equal(pp.desired, 1);
    assert.equal(pp.status, 'healthy');
    assert.equal(pp.paused, false);
    assert.equal(pp.backoffUntil, null);
    assert.deepEqual(pp.counts, {
      ready: 0,
      starting: 0,
      expired: 0,
      outdated: 0,
      claimed: 3,
      failed: 0,
      stopped: 0,
      deleting: 0,
    });
  });

  test('3 desired with 1 ready: create 2', () => {
    const pp = planOne(preset(P, { pool: pool(3) }), [ready('r1', P, T0 - MIN), ...antagonists(P)]);
    assert.deepEqual(short(pp.actions), [['create', 2, 'scale']]);
  });

  test('a claim leaves the pool one short: replaced by a scale create', () => {
    const pp = planOne(preset(P, { pool: pool(2) }), [
      ready('r1', P, T0 - MIN),
      claimed('r2', P), // was the pool's second instance
    ]);
    assert.deepEqual(short(pp.actions), [['create', 1, 'scale']]);
    assert.equal(pp.counts.claimed, 1);
  });
});

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

describe('TestInProgressActions', () => {
  type Transition = 'start' | 'stop' | 'delete';
  const inProgress = (t: Transition, id: string): InstanceView =>
    t === 'start'
      ? starting(id, P)
      : t === 'stop'
        ? instance(id, P, 'stopping', { jobInFlight: true })
        : deleting(id, P);
  const running = (n: number): InstanceView[] =>
    Array.from({ length: n }, (_, k) => ready(`run${k}`, P, T0 - (10 - k) * MIN));

  const cases: {
    name: string;
    desired: number;
    running: number;
    inProgress: number;
    expect: Record<Transition, ReturnType<typeof short>>;
  }[] = [
    {
      name: 'short: 1 running + 1 in progress of 3',
      desired: 3,
      running: 1,
      inProgress: 1,
      expect: {
        start: [['create', 1, 'scale']],
        stop: [['create', 2, 'scale']],
        delete: [['create', 2, 'scale']],
      },
    },
    {
      name: 'balanced: 2 running + 1 in progress of 3',
      desired: 3,
      running: 2,
      inProgress: 1,
      expect: { start: [], stop: [['create', 1, 'scale']], delete: [['create', 1, 'scale']] },
    },
    {
      name: 'extraneous: 5 running + 2 in progress of 3',
      desired: 3,
      running: 5,
      inProgress: 2,
      expect: {
        start: [['delete', 'surplus', ['run0', 'run1']]],
        stop: [['delete', 'surplus', ['run0', 'run1']]],
        delete: [['delete', 'surplus', ['run0', 'run1']]],
      },
    },
    {
      name: 'inhibit: 1 running + 2 in progress of 3',
      desired: 3,
      running: 1,
      inProgress: 2,
      expect: { start: [], stop: [['create', 2, 'scale']], delete: [['create', 2, 'scale']] },
    },
  ];
  for (const c of cases) {
    for (const t of ['start', 'stop', 'delete'] as const) {
      test(`${c.name} (${t})`, () => {
        const instances = [
          ...running(c.running),
          ...Array.from({ length: c.inProgress }, (_, k) => inProgress(t, `ip${k}`)),
          ...antagonists(P),
        ];
        const pp = planOne(preset(P, { pool: pool(c.desired) }), instances);
        assert.deepEqual(short(pp.actions), c.expect[t]);
      });
    }
  }
});

describe('TestExtraneous', () => {
  test('the oldest surplus instance (by readyAt) is deleted', () => {
    const pp = planOne(preset(P, { pool: pool(1) }), [
      ready('newer', P, T0 - HOUR, { createdAt: T0 - 3 * HOUR }),
      ready('older', P, T0 - 2 * HOUR, { createdAt: T0 - 2 * HOUR - MIN }),
      ...antagonists(P),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'surplus', ['older']]]);
  });

  test('ties on readyAt are broken by createdAt, then id', () => {
    const pp = planOne(preset(P, { pool: pool(1) }), [
      ready('c', P, T0 - HOUR, { createdAt: T0 - 2 * HOUR }),
      ready('b', P, T0 - HOUR, { createdAt: T0 - 3 * HOUR }),
      ready('a', P, T0 - HOUR, { createdAt: T0 - 2 * HOUR }),
    ]);
    assert.deepEqual(short(pp.actions), [['delete', 'surplus', ['b', 'a']]]);
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

describe('TestMultiplePresetsPerTemplateVersion', () => {
  test("one preset's in-progress builds do not block another's", () => {
    const a = preset('tpl/a', { pool: pool(1) });
    const b = preset('tpl/b', { pool: pool(1) });
    const plan = reconcile(snapshot(T0, [a, b], [starting('sa', 'tpl/a'), ...antagonists('tpl/a'), ...antagonists('tpl/b', 'bb')]), options());
    assert.deepEqual(presetPlan(plan, 'tpl/a').actions, []);
    assert.deepEqual(short(presetPlan(plan, 'tpl/b').actions), [['create', 1, 'scale']]);
    assert.deepEqual(
      plan.presets.map((x) => x.presetId),
      ['tpl/a', 'tpl/b'],
      'plans come in snapshot order',
    );
  });
});

describe('TestPrebuildScheduling', () => {
  // Two presets × two schedules each, in UTC.
  const a = preset('tpl/a', {
    pool: pool(1, 0, hourWindows([
      { from: 2, to: 4, instances: 2 },
      { from: 6, to: 8, instances: 3 },
    ])),
  });
  const b = preset('tpl/b', {
    pool: pool(0, 0, hourWindows([
      { from: 0, to: 2, instances: 4 },
      { from: 10, to: 12, instances: 5 },
    ])),
  });
  const at = (h: number) => Date.UTC(2026, 2, 2, h, 0, 0);
  const cases: [number, number, number][] = [
    // hour, desired a, desired b
    [1, 1, 4],
    [3, 2, 0],
    [7, 3, 0],
    [11, 1, 5],
    [15, 1, 0],
  ];
  for (const [h, da, db] of cases) {
    test(`at ${String(h).padStart(2, '0')}:00 UTC a=${da} b=${db}`, () => {
      const plan = reconcile(snapshot(at(h), [a, b], [...antagonists('tpl/a'), ...antagonists('tpl/b', 'bb')]), options());
      const pa = presetPlan(plan, 'tpl/a');
      const pb = presetPlan(plan, 'tpl/b');
      assert.equal(pa.desired, da);
      assert.equal(pb.desired, db);
      assert.deepEqual(short(pa.actions), da > 0 ? [['create', da, 'scale']] : []);
      assert.deepEqual(short(pb.actions), db > 0 ? [['create', db, 'scale']] : []);
      if (h === 15) assert.deepEqual(pa.desiredSource, { kind: 'base' });
      if (h === 7) {
        assert.equal(pa.desiredSource.kind, 'schedule');
        assert.equal((pa.desiredSource as { index: number }).index, 1);
      }
    });
  }

  test('lead time warms the pool before the window opens', () => {
    const p = preset(P, { pool: pool(0, 0, hourWindows([{ from: 9, to: 17, instances: 3 }], 30 * MIN)) });
    const before = planOne(p, [], Date.UTC(2026, 2, 2, 8, 29, 0));
    assert.equal(before.desired, 0);
    const warm = planOne(p, [], Date.UTC(2026, 2, 2, 8, 30, 0));
    assert.equal(warm.desired, 3);
    assert.equal(warm.desiredSource.kind, 'schedule');
    assert.equal((warm.desiredSource as { via: string }).via, 'lead_time');
    assert.deepEqual(short(warm.actions), [['create', 3, 'scale']]);
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

/**
 * Ports of Coder's pure state-machine tests (coderd/prebuilds/preset_snapshot_test.go) and the pure parts of its
 * database-backed reconciler tests, adapted to prewarm's decided semantics where they differ. This file: sizing the
 * pool (nothing desired, net new, builds in progress, surplus, presets side by side, schedule windows). Replacing
 * instances is in core-replace.test.ts, presets that may not create in core-blocked.test.ts.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { reconcile } from '../../../controller/reconcile';
import { antagonists, claimed, deleting, HOUR, hourWindows, instance, MIN, options, pool, preset, presetPlan, ready, short, snapshot, starting, T0 } from '../../helpers/reconcile-fixtures';
import type { InstanceView } from '../../../controller/domain/snapshot';
import { P, planOne } from './plan-one';

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

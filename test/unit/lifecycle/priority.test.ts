/**
 * Which rule wins when several are due, what holds a workspace back (a job in flight, a retry backoff), that pool
 * instances are never touched, and clock jumps: forward by days gives one action per workspace (the most important
 * one), never a storm; backwards gives nothing early.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { LifecycleRule, WorkspaceView } from '../../../controller/domain/workspace';
import { explainWorkspace, planLifecycle } from '../../../controller/lifecycle';
import { applyAction, DAY, decide, HOUR, MIN, snapshot, stoppedView, T0, view, type ViewOverrides } from '../../helpers/workspace-views';

const ALL_POLICIES = {
  autostopAfterMs: 8 * HOUR,
  autostopReminderMs: 30 * MIN,
  stoppedTtlMs: DAY,
  dormantAfterMs: 7 * DAY,
  dormantDeleteAfterMs: 7 * DAY,
  autoDestroyReminderMs: HOUR,
};

/** Everything overdue at T0 for a stopped, dormant workspace. */
const STOPPED_DORMANT: ViewOverrides = {
  state: 'stopped',
  stoppedAt: T0 - 20 * DAY,
  lastUsedAt: T0 - 30 * DAY,
  dormantAt: T0 - 10 * DAY,
  autoDestroyAt: T0 - HOUR,
  autoDestroyInactivityMs: DAY,
  policy: ALL_POLICIES,
};

/** Everything overdue at T0 for a running workspace that is not dormant yet. */
const RUNNING: ViewOverrides = {
  state: 'claimed',
  lastUsedAt: T0 - 30 * DAY,
  deadline: T0 - HOUR,
  autoDestroyAt: T0 - HOUR,
  autoDestroyInactivityMs: DAY,
  policy: ALL_POLICIES,
};

describe('priority when several rules are due', () => {
  // Each row turns off the winner of the row above: the next rule in the documented order must take over.
  test.each<[string, ViewOverrides, LifecycleRule, string]>([
    ['stopped, dormant: everything due', STOPPED_DORMANT, 'auto_destroy_at', 'delete'],
    ['… without auto_destroy_at', { ...STOPPED_DORMANT, autoDestroyAt: null }, 'auto_destroy_inactivity', 'delete'],
    ['… without inactivity', { ...STOPPED_DORMANT, autoDestroyAt: null, autoDestroyInactivityMs: null }, 'dormant_delete', 'delete'],
    [
      '… without dormant_delete_after: stopped_ttl',
      { ...STOPPED_DORMANT, autoDestroyAt: null, autoDestroyInactivityMs: null, policy: { ...ALL_POLICIES, dormantDeleteAfterMs: null } },
      'stopped_ttl',
      'delete',
    ],
    [
      'stopped, not dormant yet, no stopped_ttl: dormancy marks it',
      { ...STOPPED_DORMANT, dormantAt: null, autoDestroyAt: null, autoDestroyInactivityMs: null, policy: { ...ALL_POLICIES, stoppedTtlMs: null } },
      'dormancy',
      'mark_dormant',
    ],
    ['running: everything due', RUNNING, 'auto_destroy_at', 'delete'],
    ['… without auto_destroy_at', { ...RUNNING, autoDestroyAt: null }, 'auto_destroy_inactivity', 'delete'],
    ['… without inactivity: dormancy before autostop', { ...RUNNING, autoDestroyAt: null, autoDestroyInactivityMs: null }, 'dormancy', 'stop'],
    [
      '… without dormant_after: autostop',
      { ...RUNNING, autoDestroyAt: null, autoDestroyInactivityMs: null, policy: { ...ALL_POLICIES, dormantAfterMs: null } },
      'autostop',
      'stop',
    ],
    [
      'running but already dormant (its dormancy stop failed): dormant_delete before autostop',
      { ...RUNNING, autoDestroyAt: null, autoDestroyInactivityMs: null, dormantAt: T0 - 8 * DAY },
      'dormant_delete',
      'delete',
    ],
  ])('%s', (_name, over, rule, kind) => {
    const a = decide(view(over), T0);
    assert.equal(a?.rule, rule);
    assert.equal(a?.kind, kind);
    assert.equal(explainWorkspace(view(over), T0).next?.rule, rule);
  });

  test('dormant_delete runs before stopped_ttl when both are due', () => {
    const v = stoppedView(T0 - 2 * DAY, { dormantAt: T0 - 2 * DAY, policy: { stoppedTtlMs: DAY, dormantAfterMs: DAY, dormantDeleteAfterMs: DAY } });
    const a = decide(v, T0);
    assert.equal(a?.rule, 'dormant_delete');
    assert.equal(a?.kind === 'delete' && a.reason, 'dormant_delete');
  });

  test('a due transition suppresses every reminder', () => {
    // Autostop reminder window open (deadline in 10 min) and auto-destroy reminder window open, but dormancy is due.
    const v = view({
      lastUsedAt: T0 - 8 * DAY,
      deadline: T0 + 10 * MIN,
      autoDestroyAt: T0 + 30 * MIN,
      policy: { ...ALL_POLICIES, stoppedTtlMs: null },
    });
    assert.equal(decide(v, T0)?.rule, 'dormancy');
    assert.equal(decide({ ...v, lastUsedAt: T0 - HOUR }, T0)?.rule, 'autostop_reminder');
  });

  test('both reminders due: the autostop one first, the auto-destroy one on the next tick', () => {
    let v: WorkspaceView | null = view({ deadline: T0 + 10 * MIN, autoDestroyAt: T0 + 30 * MIN, policy: ALL_POLICIES });
    const first = decide(v, T0)!;
    assert.equal(first.rule, 'autostop_reminder');
    v = applyAction(v, first, T0)!;
    const second = decide(v, T0 + 15_000)!;
    assert.equal(second.rule, 'auto_destroy_reminder');
    v = applyAction(v, second, T0 + 15_000)!;
    assert.equal(decide(v, T0 + 30_000), null);
  });
});

describe('holds: nothing is decided for a workspace with a job in flight or in a retry backoff', () => {
  const overdue = [view(RUNNING), view(STOPPED_DORMANT), view({ state: 'deleting', destroyReason: 'stopped_ttl', deleteAttempts: 1, nextAttemptAt: T0 - MIN })];

  test.each(overdue.map((v) => [v.state, v] as const))('%s with a job in flight: nothing, and explain has no next', (_s, v) => {
    const held = { ...v, jobInFlight: true };
    assert.equal(decide(held, T0), null);
    assert.equal(decide(held, T0 + 30 * DAY), null);
    const outlook = explainWorkspace(held, T0);
    assert.equal(outlook.next, null);
    assert.ok(outlook.rules.some((r) => r.at !== null && /job in flight/.test(r.detail)));
  });

  test('next_attempt_at in the future holds every rule; at next_attempt_at the first due rule runs', () => {
    // A failed autostop: back to claimed with a backoff.
    const v = view({ ...RUNNING, nextAttemptAt: T0 + 2 * MIN });
    assert.equal(decide(v, T0), null);
    assert.equal(decide(v, T0 + 2 * MIN - 1), null);
    assert.equal(decide(v, T0 + 2 * MIN)?.rule, 'auto_destroy_at');
    const outlook = explainWorkspace(v, T0);
    assert.equal(outlook.next, null);
    const rule = outlook.rules.find((r) => r.rule === 'autostop')!;
    assert.equal(rule.at, T0 + 2 * MIN);
    assert.match(rule.detail, /held until 2026-03-10T12:02:00\.000Z \(backoff after a failed stop\)/);
  });

  test('a backoff that outlasts a reminder window drops the reminder instead of sending it late', () => {
    const v = view({ deadline: T0 + 10 * MIN, nextAttemptAt: T0 + HOUR, policy: { autostopAfterMs: 8 * HOUR, autostopReminderMs: 30 * MIN } });
    for (let t = T0; t < T0 + 10 * MIN; t += MIN) assert.equal(decide(v, t), null);
    assert.equal(explainWorkspace(v, T0).rules.find((r) => r.rule === 'autostop_reminder')!.at, null);
  });
});

describe('pool instances are outside every rule', () => {
  test.each(['ready', 'pending', 'starting'] as const)('a view in pool state %s with every setting armed: nothing', (state) => {
    const v = view({ ...RUNNING, state, dormantAt: T0 - 10 * DAY, stoppedAt: T0 - 10 * DAY });
    assert.equal(decide(v, T0 + 100 * DAY), null);
    assert.equal(explainWorkspace(v, T0).next, null);
  });

  test('a view without an owner is ignored even in a state the rules act on', () => {
    for (const over of [RUNNING, STOPPED_DORMANT]) {
      const pool = { ...view(over), owner: null as unknown as string };
      assert.equal(decide(pool, T0 + 100 * DAY), null);
      const outlook = explainWorkspace(pool, T0);
      assert.equal(outlook.next, null);
      assert.ok(outlook.rules.every((r) => r.at === null && /pool instance/.test(r.detail)));
    }
  });
});

describe('claim-then-act: every action carries the revision it was decided on', () => {
  test('rev and id come from the view, for every kind of action', () => {
    const views = [
      view({ id: 'a', rev: 11, ...RUNNING }),
      view({ id: 'b', rev: 12, ...STOPPED_DORMANT }),
      view({ id: 'c', rev: 13, state: 'deleting', destroyReason: 'auto_destroy_at', nextAttemptAt: T0 }),
      view({ id: 'd', rev: 14, deadline: T0 + MIN, policy: ALL_POLICIES }),
      view({ id: 'e', rev: 15, deadline: T0 - MIN, policy: ALL_POLICIES }),
      view({ id: 'f', rev: 16, ...STOPPED_DORMANT, dormantAt: null, autoDestroyAt: null, autoDestroyInactivityMs: null, policy: { dormantAfterMs: DAY } }),
    ];
    const actions = planLifecycle(snapshot(T0, ...views));
    assert.deepEqual(
      actions.map((a) => [a.workspaceId, a.rev, a.kind]),
      [
        ['a', 11, 'delete'],
        ['b', 12, 'delete'],
        ['c', 13, 'delete'],
        ['d', 14, 'remind'],
        ['e', 15, 'stop'],
        ['f', 16, 'mark_dormant'],
      ],
    );
  });
});

describe('clock jumps', () => {
  /** A fleet with one workspace per rule, each armed to fire within the next day. */
  function fleet(): WorkspaceView[] {
    return [
      view({ id: 'at', autoDestroyAt: T0 + HOUR, policy: ALL_POLICIES, deadline: T0 + 2 * HOUR }),
      view({ id: 'idle', lastUsedAt: T0, autoDestroyInactivityMs: 2 * HOUR, policy: ALL_POLICIES, deadline: T0 + 3 * HOUR }),
      view({ id: 'retry', state: 'deleting', destroyReason: 'dormant_delete', deleteAttempts: 1, nextAttemptAt: T0 + MIN }),
      stoppedView(T0 - 12 * HOUR, { id: 'dormant', lastUsedAt: T0 - 8 * DAY, dormantAt: T0 - 6 * DAY, policy: ALL_POLICIES }),
      stoppedView(T0 - 12 * HOUR, { id: 'ttl', lastUsedAt: T0 - 12 * HOUR, policy: ALL_POLICIES }),
      view({ id: 'run', lastUsedAt: T0, deadline: T0 + 8 * HOUR, policy: ALL_POLICIES }),
    ];
  }

  test('forward by days: exactly one action per workspace, the highest-priority one, and no reminder for a past instant', () => {
    const later = T0 + 10 * DAY;
    const actions = planLifecycle(snapshot(later, ...fleet()));
    assert.deepEqual(
      actions.map((a) => [a.workspaceId, a.rule]),
      [
        ['at', 'auto_destroy_at'],
        ['idle', 'auto_destroy_inactivity'],
        ['retry', 'delete_retry'],
        ['dormant', 'dormant_delete'],
        ['ttl', 'stopped_ttl'],
        ['run', 'dormancy'],
      ],
    );
    assert.ok(actions.every((a) => a.kind !== 'remind'));
  });

  test('forward by days, tick after tick: each workspace converges in a handful of actions, never a storm', () => {
    let views = fleet();
    let now = T0 + 10 * DAY;
    const perWorkspace = new Map<string, string[]>();
    for (let tick = 0; tick < 50; tick++, now += 15_000) {
      const actions = planLifecycle(snapshot(now, ...views));
      assert.ok(new Set(actions.map((a) => a.workspaceId)).size === actions.length, 'two actions for one workspace in one tick');
      for (const a of actions) perWorkspace.set(a.workspaceId, [...(perWorkspace.get(a.workspaceId) ?? []), a.rule]);
      views = views.flatMap((v) => {
        const a = actions.find((x) => x.workspaceId === v.id);
        if (a === undefined) return [v];
        const next = applyAction(v, a, now);
        return next === null ? [] : [next];
      });
    }
    assert.deepEqual(Object.fromEntries(perWorkspace), {
      at: ['auto_destroy_at'],
      idle: ['auto_destroy_inactivity'],
      retry: ['delete_retry'],
      dormant: ['dormant_delete'],
      ttl: ['stopped_ttl'],
      // Stopped and marked dormant by the jump; the dormant delete then counts from that instant, a week away.
      run: ['dormancy'],
    });
  });

  test('backwards: after a day of ticks the clock steps back; nothing fires early and no reminder repeats', () => {
    let views = fleet();
    const decided: string[] = [];
    const tickAt = (now: number) => {
      const actions = planLifecycle(snapshot(now, ...views));
      for (const a of actions) {
        const v = views.find((x) => x.id === a.workspaceId)!;
        const at = explainWorkspace(v, now).rules.find((r) => r.rule === a.rule)!.at;
        assert.ok(at !== null && at <= now, `${a.workspaceId}: ${a.rule} at ${at} decided early at ${now}`);
        decided.push(`${a.workspaceId}:${a.rule}`);
      }
      views = views.flatMap((v) => {
        const a = actions.find((x) => x.workspaceId === v.id);
        const next = a === undefined ? v : applyAction(v, a, now);
        return next === null ? [] : [next];
      });
    };
    views.push(view({ id: 'late', lastUsedAt: T0, deadline: T0 + 14 * HOUR, policy: ALL_POLICIES }));
    for (let now = T0; now <= T0 + 13 * HOUR + 45 * MIN; now += 5 * MIN) tickAt(now);
    assert.deepEqual(decided, [
      'at:auto_destroy_reminder', // T0: the destroy at +1h is already inside the 1h lead
      'retry:delete_retry', // +5m, the first tick after the backoff ended at +1m
      'at:auto_destroy_at', // +1h; its autostop reminder (deadline +2h) never comes: the destroy ran first
      'idle:auto_destroy_reminder', // +1h, one lead before the inactivity destroy
      'idle:auto_destroy_inactivity', // +2h
      'run:autostop_reminder', // +7h30
      'run:autostop', // +8h
      'dormant:stopped_ttl', // +12h, before its dormant delete (+1d) comes due
      'ttl:stopped_ttl', // +12h
      'late:autostop_reminder', // +13h30
    ]);
    decided.length = 0;
    // A small step back inside the reminder's lead: the marker holds, no second reminder.
    for (let now = T0 + 13 * HOUR + 31 * MIN; now <= T0 + 13 * HOUR + 45 * MIN; now += MIN) tickAt(now);
    assert.deepEqual(decided, []);
    // A day back (NTP correction, a restored VM snapshot): every instant left lies ahead again.
    for (let now = T0 - DAY; now <= T0 - DAY + HOUR; now += 5 * MIN) tickAt(now);
    assert.deepEqual(decided, []);
  });
});

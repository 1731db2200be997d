/**
 * Each rule on its own, with a fake clock: due exactly at its instant, not 1 ms before, never when its setting is
 * off, and only in the states it applies to. explain shows the same instant and calls the rule next exactly when
 * the planner runs it.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { LifecycleAction, WorkspaceView } from '../../../controller/domain/workspace';
import { explainWorkspace } from '../../../controller/lifecycle';
import { DAY, decide, HOUR, MIN, stoppedView, T0, view, type ViewOverrides } from '../../helpers/workspace-views';

/** Fires at X = T0. */
const X = T0;

interface RuleCase {
  name: string;
  armed: WorkspaceView;
  /** The same workspace with the rule's setting turned off. */
  off: WorkspaceView;
  expect: Partial<LifecycleAction> & { kind: LifecycleAction['kind']; rule: LifecycleAction['rule'] };
}

const CASES: RuleCase[] = [
  {
    name: 'auto_destroy_at (running)',
    armed: view({ autoDestroyAt: X }),
    off: view({ autoDestroyAt: null }),
    expect: { kind: 'delete', rule: 'auto_destroy_at', reason: 'auto_destroy_at', notification: null },
  },
  {
    name: 'auto_destroy_at (stopped)',
    armed: stoppedView(X - DAY, { autoDestroyAt: X }),
    off: stoppedView(X - DAY, { autoDestroyAt: null }),
    expect: { kind: 'delete', rule: 'auto_destroy_at', reason: 'auto_destroy_at' },
  },
  {
    name: 'auto_destroy_inactivity counts from last_used_at',
    armed: view({ lastUsedAt: X - 8 * HOUR, autoDestroyInactivityMs: 8 * HOUR }),
    off: view({ lastUsedAt: X - 8 * HOUR, autoDestroyInactivityMs: null }),
    expect: { kind: 'delete', rule: 'auto_destroy_inactivity', reason: 'auto_destroy_inactivity', notification: null },
  },
  {
    name: 'auto_destroy_inactivity falls back to claimed_at when no activity is recorded',
    armed: view({ lastUsedAt: null, claimedAt: X - 2 * HOUR, autoDestroyInactivityMs: 2 * HOUR }),
    off: view({ lastUsedAt: null, claimedAt: X - 2 * HOUR, autoDestroyInactivityMs: null }),
    expect: { kind: 'delete', rule: 'auto_destroy_inactivity' },
  },
  {
    name: 'delete_retry after the backoff of a failed policy delete',
    armed: view({ state: 'deleting', destroyReason: 'stopped_ttl', deleteAttempts: 2, nextAttemptAt: X }),
    off: view({ state: 'deleting', destroyReason: 'stopped_ttl', deleteAttempts: 2, nextAttemptAt: null }),
    expect: { kind: 'delete', rule: 'delete_retry', reason: 'stopped_ttl', notification: null },
  },
  {
    name: 'dormant_delete counts from dormant_at',
    armed: stoppedView(X - 10 * DAY, { dormantAt: X - 7 * DAY, policy: { dormantAfterMs: 30 * DAY, dormantDeleteAfterMs: 7 * DAY } }),
    off: stoppedView(X - 10 * DAY, { dormantAt: X - 7 * DAY, policy: { dormantAfterMs: 30 * DAY, dormantDeleteAfterMs: null } }),
    expect: { kind: 'delete', rule: 'dormant_delete', reason: 'dormant_delete', notification: null },
  },
  {
    name: 'stopped_ttl counts from stopped_at',
    armed: stoppedView(X - HOUR, { policy: { stoppedTtlMs: HOUR } }),
    off: stoppedView(X - HOUR, { policy: { stoppedTtlMs: null } }),
    expect: { kind: 'delete', rule: 'stopped_ttl', reason: 'stopped_ttl', notification: null },
  },
  {
    name: 'dormancy of a running workspace is a stop',
    armed: view({ lastUsedAt: X - 30 * DAY, policy: { dormantAfterMs: 30 * DAY } }),
    off: view({ lastUsedAt: X - 30 * DAY, policy: { dormantAfterMs: null } }),
    expect: { kind: 'stop', rule: 'dormancy' },
  },
  {
    name: 'dormancy of a stopped workspace only marks it',
    armed: stoppedView(X - 40 * DAY, { lastUsedAt: X - 30 * DAY, policy: { dormantAfterMs: 30 * DAY } }),
    off: stoppedView(X - 40 * DAY, { lastUsedAt: X - 30 * DAY, policy: { dormantAfterMs: null } }),
    expect: { kind: 'mark_dormant', rule: 'dormancy' },
  },
  {
    name: 'autostop at the deadline',
    armed: view({ deadline: X, policy: { autostopAfterMs: 8 * HOUR } }),
    off: view({ deadline: null, policy: { autostopAfterMs: null } }),
    expect: { kind: 'stop', rule: 'autostop' },
  },
  {
    name: 'autostop_reminder one lead before the deadline',
    armed: view({ deadline: X + 30 * MIN, policy: { autostopAfterMs: 8 * HOUR, autostopReminderMs: 30 * MIN } }),
    off: view({ deadline: X + 30 * MIN, policy: { autostopAfterMs: 8 * HOUR, autostopReminderMs: null } }),
    expect: { kind: 'remind', rule: 'autostop_reminder', marker: X + 30 * MIN },
  },
  {
    name: 'auto_destroy_reminder one lead before auto_destroy_at',
    armed: stoppedView(X - DAY, { autoDestroyAt: X + HOUR, policy: { autoDestroyReminderMs: HOUR } }),
    off: stoppedView(X - DAY, { autoDestroyAt: X + HOUR, policy: { autoDestroyReminderMs: null } }),
    expect: { kind: 'remind', rule: 'auto_destroy_reminder', marker: X + HOUR },
  },
  {
    name: 'auto_destroy_reminder one lead before the inactivity destroy',
    armed: view({ lastUsedAt: X - 7 * HOUR, autoDestroyInactivityMs: 8 * HOUR, policy: { autoDestroyReminderMs: HOUR } }),
    off: view({ lastUsedAt: X - 7 * HOUR, autoDestroyInactivityMs: 8 * HOUR, policy: { autoDestroyReminderMs: null } }),
    expect: { kind: 'remind', rule: 'auto_destroy_reminder', marker: X + HOUR },
  },
];

describe.each(CASES)('$name', ({ armed, off, expect }) => {
  test('due exactly at its instant, with the view id and rev', () => {
    const a = decide(armed, X);
    assert.ok(a !== null, 'nothing decided at the instant');
    for (const [key, value] of Object.entries(expect)) assert.deepEqual(a[key as keyof LifecycleAction], value, key);
    assert.equal(a.workspaceId, armed.id);
    assert.equal(a.rev, armed.rev);
  });

  test('nothing 1 ms before', () => {
    assert.equal(decide(armed, X - 1), null);
  });

  test('nothing when the setting is off', () => {
    assert.equal(decide(off, X), null);
    assert.equal(decide(off, X + 1), null);
  });

  test('explain shows the instant, and names the rule next exactly from that instant', () => {
    const before = explainWorkspace(armed, X - 1);
    assert.equal(before.next, null);
    assert.equal(before.rules.find((r) => r.rule === expect.rule)?.at, X);
    const at = explainWorkspace(armed, X);
    assert.equal(at.next?.rule, expect.rule);
    assert.equal(at.next?.at, X);
    assert.equal(at.next?.action, expect.kind === 'remind' ? 'notify' : expect.kind);
    const offOutlook = explainWorkspace(off, X).rules.find((r) => r.rule === expect.rule)!;
    assert.equal(offOutlook.at, null);
  });
});

describe('states a rule does not apply to', () => {
  const everything: ViewOverrides = {
    lastUsedAt: T0 - 40 * DAY,
    deadline: T0 - DAY,
    stoppedAt: T0 - 20 * DAY,
    autoDestroyAt: T0 - DAY,
    autoDestroyInactivityMs: HOUR,
    policy: { autostopAfterMs: HOUR, stoppedTtlMs: HOUR, dormantAfterMs: DAY, dormantDeleteAfterMs: DAY, autostopReminderMs: MIN, autoDestroyReminderMs: MIN },
  };

  test.each(['pending', 'starting', 'stopping', 'failed', 'deleted', 'archived'] as const)('%s: nothing, however overdue', (state) => {
    assert.equal(decide(view({ ...everything, state }), T0), null);
    assert.equal(decide(view({ ...everything, state, dormantAt: T0 - 10 * DAY }), T0), null);
  });

  test('a failed workspace (a delete that gave up) is left for a person, even with a backoff that ended', () => {
    assert.equal(decide(view({ ...everything, state: 'failed', destroyReason: 'auto_destroy_at', deleteAttempts: 5, nextAttemptAt: null }), T0), null);
  });

  test('stopped_ttl does not count for a running workspace; autostop does not stop a stopped one', () => {
    assert.equal(decide(view({ stoppedAt: T0 - DAY, policy: { stoppedTtlMs: HOUR } }), T0), null);
    assert.equal(decide(stoppedView(T0 - DAY, { deadline: T0 - HOUR, policy: { autostopAfterMs: HOUR } }), T0), null);
  });

  test('an already dormant workspace is not marked again', () => {
    assert.equal(decide(stoppedView(T0 - 40 * DAY, { lastUsedAt: T0 - 40 * DAY, dormantAt: T0 - DAY, policy: { dormantAfterMs: DAY } }), T0), null);
  });

  test('the autostop reminder is for running workspaces only', () => {
    assert.equal(decide(stoppedView(T0 - DAY, { deadline: T0 + MIN, policy: { autostopAfterMs: HOUR, autostopReminderMs: 30 * MIN } }), T0), null);
  });
});

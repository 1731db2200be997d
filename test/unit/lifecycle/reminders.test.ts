/**
 * Reminders exactly once per deadline (a marker column holds the instant a reminder was sent for), the auto-destroy
 * reminder for the earlier of the two destroys, and the semantic dedupe keys of every notification the core writes:
 * exact instants, so bucket edges (an hour, UTC midnight) never merge or split events.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { LifecycleAction, WorkspaceView } from '../../../controller/domain/workspace';
import { explainWorkspace, planLifecycle } from '../../../controller/lifecycle';
import { activity, applyAction, DAY, decide, HOUR, MIN, SEC, snapshot, stoppedView, T0, utc, view } from '../../helpers/workspace-views';

const AUTOSTOP = { autostopAfterMs: 8 * HOUR, autostopReminderMs: 30 * MIN };

/** Ticks every `step` from `from` to `to` (inclusive), applying each action; returns every action decided. */
function run(start: WorkspaceView, from: number, to: number, step: number, between?: (v: WorkspaceView, now: number) => WorkspaceView): LifecycleAction[] {
  let v: WorkspaceView | null = start;
  const out: LifecycleAction[] = [];
  for (let now = from; now <= to && v !== null; now += step) {
    if (between) v = between(v, now);
    const a = decide(v, now);
    if (a !== null) {
      out.push(a);
      v = applyAction(v, a, now);
    }
  }
  return out;
}

describe('autostop reminder: exactly once per deadline', () => {
  test('ticking every 15 s through the lead and past the deadline: one reminder, then one autostop', () => {
    const deadline = T0 + HOUR;
    const actions = run(view({ deadline, policy: AUTOSTOP }), T0, deadline + HOUR, 15 * SEC);
    assert.deepEqual(
      actions.map((a) => [a.rule, a.kind === 'remind' ? a.marker : null]),
      [
        ['autostop_reminder', deadline],
        ['autostop', null],
      ],
    );
  });

  test('marker == deadline: nothing, however often it ticks inside the lead', () => {
    const v = view({ deadline: T0 + 10 * MIN, remindedDeadline: T0 + 10 * MIN, policy: AUTOSTOP });
    for (let t = T0; t < T0 + 10 * MIN; t += SEC) assert.equal(decide(v, t), null);
    assert.match(explainWorkspace(v, T0).rules.find((r) => r.rule === 'autostop_reminder')!.detail, /already sent for the deadline 2026-03-10T12:10:00\.000Z/);
  });

  test('a moved deadline re-arms it: activity inside the lead moves the deadline, a second reminder comes for the new one', () => {
    const first = T0 + 20 * MIN;
    let v = view({ deadline: first, remindedDeadline: first, policy: AUTOSTOP });
    assert.equal(decide(v, T0), null);
    v = activity(v, T0 + 5 * MIN); // new deadline T0 + 5m + 8h
    const second = T0 + 5 * MIN + 8 * HOUR;
    assert.equal(v.deadline, second);
    assert.equal(decide(v, T0 + 6 * MIN), null, 'the new deadline is hours away');
    const a = decide(v, second - 30 * MIN);
    assert.equal(a?.rule, 'autostop_reminder');
    assert.equal(a?.kind === 'remind' && a.marker, second);
    assert.equal(a?.notification?.key, `autostop-reminder:ws-1:${second}`);
  });

  test('activity that leaves the deadline where it is (already later) does not re-arm it', () => {
    const deadline = T0 + 20 * MIN;
    let v = view({ deadline, remindedDeadline: deadline, policy: { autostopAfterMs: 10 * MIN, autostopReminderMs: 5 * MIN } });
    v = activity(v, T0 + 5 * MIN); // now + 10m < deadline: the deadline stays
    assert.equal(v.deadline, deadline);
    for (let t = T0 + 5 * MIN; t < deadline; t += 15 * SEC) assert.equal(decide(v, t), null);
  });

  test('a deadline already inside the lead when set is reminded on the next tick', () => {
    // A lead almost as long as autostop_after, or a controller that was paused or down since the claim, finds the
    // deadline already inside the lead on the first tick that sees it.
    const v = view({ deadline: T0 + 10 * MIN, policy: AUTOSTOP });
    const a = decide(v, T0);
    assert.equal(a?.rule, 'autostop_reminder');
    assert.equal(a?.notification?.payload.data && (a.notification.payload.data as Record<string, unknown>).stops_in, '10m');
  });

  test('a deadline already past: no reminder, the autostop runs instead', () => {
    const deadline = T0 - MIN;
    const actions = run(view({ deadline, policy: AUTOSTOP }), T0, T0 + HOUR, 15 * SEC);
    assert.deepEqual(
      actions.map((a) => a.rule),
      ['autostop'],
    );
    assert.equal(decide(view({ deadline: T0, policy: AUTOSTOP }), T0)?.rule, 'autostop', 'at the deadline itself the stop, not the reminder');
  });

  test('the lead is measured exactly: 1 ms before the lead nothing, at its start the reminder', () => {
    const v = view({ deadline: T0 + 30 * MIN, policy: AUTOSTOP });
    assert.equal(decide(v, T0 - 1), null);
    assert.equal(decide(v, T0)?.rule, 'autostop_reminder');
    assert.equal(decide(v, T0 + 30 * MIN - 1)?.rule, 'autostop_reminder');
  });
});

describe('auto-destroy reminder', () => {
  const LEAD = { autoDestroyReminderMs: HOUR };

  test('for the earlier of auto_destroy_at and the inactivity destroy, naming the rule of that one', () => {
    const idleFirst = view({ lastUsedAt: T0 - 7 * HOUR, autoDestroyInactivityMs: 8 * HOUR, autoDestroyAt: T0 + 3 * HOUR, policy: LEAD });
    const a = decide(idleFirst, T0)!;
    assert.equal(a.kind === 'remind' && a.marker, T0 + HOUR);
    assert.equal((a.notification!.payload.data as Record<string, unknown>).rule, 'auto_destroy_inactivity');

    const atFirst = view({ lastUsedAt: T0, autoDestroyInactivityMs: 8 * HOUR, autoDestroyAt: T0 + 30 * MIN, policy: LEAD });
    const b = decide(atFirst, T0)!;
    assert.equal(b.kind === 'remind' && b.marker, T0 + 30 * MIN);
    assert.equal((b.notification!.payload.data as Record<string, unknown>).rule, 'auto_destroy_at');
    assert.equal(b.notification!.key, `auto-destroy-reminder:ws-1:${T0 + 30 * MIN}`);
  });

  test('both at the same instant: one reminder, for auto_destroy_at (the rule that runs)', () => {
    const v = view({ lastUsedAt: T0 - 7 * HOUR, autoDestroyInactivityMs: 8 * HOUR, autoDestroyAt: T0 + HOUR, policy: LEAD });
    const actions = run(v, T0, T0 + 2 * HOUR, MIN);
    assert.deepEqual(
      actions.map((x) => x.rule),
      ['auto_destroy_reminder', 'auto_destroy_at'],
    );
    assert.equal((actions[0]!.notification!.payload.data as Record<string, unknown>).rule, 'auto_destroy_at');
  });

  test('re-armed when activity moves the inactivity instant', () => {
    let v = view({ lastUsedAt: T0 - 7 * HOUR, autoDestroyInactivityMs: 8 * HOUR, policy: LEAD });
    const first = decide(v, T0)!;
    assert.equal(first.kind === 'remind' && first.marker, T0 + HOUR);
    v = applyAction(v, first, T0)!;
    assert.equal(decide(v, T0 + 10 * MIN), null, 'sent once for that instant');
    v = activity(v, T0 + 20 * MIN); // the destroy moves to T0 + 20m + 8h
    assert.equal(decide(v, T0 + 30 * MIN), null);
    const again = decide(v, T0 + 20 * MIN + 7 * HOUR)!;
    assert.equal(again.kind === 'remind' && again.marker, T0 + 20 * MIN + 8 * HOUR);
    assert.notEqual(again.notification!.key, first.notification!.key);
  });

  test('a destroy already past: no reminder, the destroy runs; a destroy inside the lead: reminded at once', () => {
    assert.equal(decide(stoppedView(T0 - DAY, { autoDestroyAt: T0 - SEC, policy: LEAD }), T0)?.rule, 'auto_destroy_at');
    assert.equal(decide(stoppedView(T0 - DAY, { autoDestroyAt: T0 + SEC, policy: LEAD }), T0)?.rule, 'auto_destroy_reminder');
  });

  test('marker == destroy instant: nothing until the destroy itself', () => {
    const v = stoppedView(T0 - DAY, { autoDestroyAt: T0 + HOUR, destroyRemindedAt: T0 + HOUR, policy: LEAD });
    for (let t = T0; t < T0 + HOUR; t += MIN) assert.equal(decide(v, t), null);
    assert.equal(decide(v, T0 + HOUR)?.rule, 'auto_destroy_at');
  });

  test('changing auto_destroy_at re-arms it for the new instant', () => {
    const v = stoppedView(T0 - DAY, { autoDestroyAt: T0 + 45 * MIN, destroyRemindedAt: T0 + 30 * MIN, policy: LEAD });
    const a = decide(v, T0)!;
    assert.equal(a.kind === 'remind' && a.marker, T0 + 45 * MIN);
  });
});

describe('dedupe keys: exact instants, so bucket edges neither merge nor split events', () => {
  /** The key of the reminder (now inside the lead) or of the autostop (now at or past the deadline). */
  const keyOf = (deadline: number, now: number) => decide(view({ deadline, policy: AUTOSTOP }), now)?.notification?.key;
  const reminderKey = keyOf;
  const stopKey = keyOf;

  test('12:59:59.999 and 13:00:00 are two deadlines, two keys', () => {
    const a = utc('2026-03-10T12:59:59.999Z');
    const b = utc('2026-03-10T13:00:00.000Z');
    const now = utc('2026-03-10T12:45:00Z');
    assert.equal(reminderKey(a, now), `autostop-reminder:ws-1:${a}`);
    assert.equal(reminderKey(b, now), `autostop-reminder:ws-1:${b}`);
    assert.notEqual(reminderKey(a, now), reminderKey(b, now));
    assert.notEqual(stopKey(a, b), stopKey(b, b));
  });

  test('either side of UTC midnight: distinct keys', () => {
    const before = utc('2026-03-10T23:59:59.999Z');
    const midnight = utc('2026-03-11T00:00:00Z');
    const now = utc('2026-03-10T23:50:00Z');
    assert.notEqual(reminderKey(before, now), reminderKey(midnight, now));
    assert.notEqual(stopKey(before, midnight + HOUR), stopKey(midnight, midnight + HOUR));
  });

  test('the same deadline decided at different instants (two replicas, a retried tick, across midnight): one key', () => {
    const deadline = utc('2026-03-11T00:10:00Z');
    const keys = [utc('2026-03-10T23:40:00Z'), utc('2026-03-10T23:59:59.999Z'), utc('2026-03-11T00:00:00Z'), utc('2026-03-11T00:09:59.999Z')].map((now) =>
      reminderKey(deadline, now),
    );
    assert.equal(new Set(keys).size, 1);
    const stops = [deadline, deadline + MIN, deadline + DAY].map((now) => stopKey(deadline, now));
    assert.deepEqual(new Set(stops), new Set([`autostop:ws-1:${deadline}`]));
  });

  test('dormancy: one key per idle spell, whenever it is decided; a new spell after activity is a new key', () => {
    const since = T0 - 30 * DAY;
    const v = view({ lastUsedAt: since, policy: { dormantAfterMs: 30 * DAY, dormantDeleteAfterMs: 7 * DAY } });
    const k1 = decide(v, T0)!.notification!.key;
    const k2 = decide(v, T0 + 5 * DAY)!.notification!.key;
    assert.equal(k1, `dormant:ws-1:${since}`);
    assert.equal(k1, k2);
    const later = activity(v, T0 + HOUR);
    assert.equal(decide(later, T0 + HOUR + 30 * DAY)!.notification!.key, `dormant:ws-1:${T0 + HOUR}`);
  });

  test('two workspaces with the same deadline: two keys', () => {
    const deadline = T0 + 10 * MIN;
    const actions = planLifecycle(snapshot(T0, view({ id: 'a', deadline, policy: AUTOSTOP }), view({ id: 'b', deadline, policy: AUTOSTOP })));
    assert.deepEqual(
      actions.map((a) => a.notification?.key),
      [`autostop-reminder:a:${deadline}`, `autostop-reminder:b:${deadline}`],
    );
  });
});

describe('notification payloads', () => {
  test('autostop: the deadline, as RFC 3339 UTC', () => {
    const deadline = utc('2026-03-10T18:00:00Z');
    const a = decide(view({ deadline, policy: AUTOSTOP }), deadline + 15 * SEC)!;
    assert.equal(a.notification?.event, 'workspace_autostopped');
    assert.deepEqual(a.notification?.payload, {
      subject: { type: 'workspace', id: 'ws-1', name: 'dev-ws-1', owner: 'alice', template: 'devbox', preset: 'small' },
      occurred_at: '2026-03-10T18:00:15.000Z',
      data: { deadline: '2026-03-10T18:00:00.000Z' },
    });
  });

  test('dormancy of a running workspace: stopped, with the delete instant counted from now', () => {
    const a = decide(view({ lastUsedAt: T0 - 30 * DAY, policy: { dormantAfterMs: 30 * DAY, dormantDeleteAfterMs: 7 * DAY } }), T0)!;
    assert.equal(a.kind, 'stop');
    assert.equal(a.notification?.event, 'workspace_dormant');
    assert.deepEqual(a.notification?.payload.data, { last_used_at: new Date(T0 - 30 * DAY).toISOString(), stopped: true, delete_at: new Date(T0 + 7 * DAY).toISOString() });
  });

  test('dormancy of a stopped workspace without dormant_delete_after: marked only, no delete instant', () => {
    const a = decide(stoppedView(T0 - 40 * DAY, { lastUsedAt: T0 - 30 * DAY, policy: { dormantAfterMs: 30 * DAY } }), T0)!;
    assert.equal(a.kind, 'mark_dormant');
    assert.deepEqual(a.notification?.payload.data, { last_used_at: new Date(T0 - 30 * DAY).toISOString(), stopped: false, delete_at: null });
  });

  test('deletes carry no notification: the result is reported when the delete job finishes', () => {
    const actions = planLifecycle(
      snapshot(
        T0,
        view({ id: 'a', autoDestroyAt: T0 }),
        stoppedView(T0 - DAY, { id: 'b', policy: { stoppedTtlMs: HOUR } }),
        view({ id: 'c', state: 'deleting', destroyReason: 'auto_destroy_inactivity', nextAttemptAt: T0, deleteAttempts: 1 }),
      ),
    );
    assert.deepEqual(
      actions.map((a) => [a.kind, a.notification]),
      [
        ['delete', null],
        ['delete', null],
        ['delete', null],
      ],
    );
  });
});

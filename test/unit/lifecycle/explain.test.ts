/**
 * explain: every rule, in priority order, with its instant and a detail naming the setting and the instant it
 * counts from; and, over many random workspaces, the same `next` the planner acts on and instants that are exact
 * (nothing becomes due before the earliest one shown).
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { WorkspaceView } from '../../../controller/domain/workspace';
import { explainWorkspace, LIFECYCLE_RULES, planLifecycle } from '../../../controller/lifecycle';
import { DAY, HOUR, MIN, prng, randomView, snapshot, stoppedView, T0, view } from '../../helpers/workspace-views';

const iso = (ms: number) => new Date(ms).toISOString();

function detailOf(v: WorkspaceView, rule: string, now = T0): { at: number | null; action: string; detail: string } {
  const r = explainWorkspace(v, now).rules.find((x) => x.rule === rule)!;
  return { at: r.at, action: r.action, detail: r.detail };
}

describe('explain lists every rule', () => {
  test('in priority order, at the instant asked for', () => {
    const o = explainWorkspace(view(), T0 + 5);
    assert.equal(o.at, T0 + 5);
    assert.deepEqual(
      o.rules.map((r) => r.rule),
      [...LIFECYCLE_RULES],
    );
    assert.equal(o.next, null);
  });

  test('a workspace without a policy or settings: every rule off, and says which setting would arm it', () => {
    const o = explainWorkspace(view(), T0);
    assert.ok(o.rules.every((r) => r.at === null));
    assert.deepEqual(
      o.rules.map((r) => r.detail),
      [
        'off: no auto_destroy_at is set on the workspace',
        'off: no auto_destroy_inactivity is set on the workspace',
        'only a failed policy delete is retried (this workspace is claimed)',
        'off: the template sets no dormant_delete_after',
        'off: the template sets no stopped_ttl',
        'off: the template sets no dormant_after',
        'off: the template sets no autostop_after',
        'off: the template sets no autostop_reminder',
        'off: the template sets no auto_destroy_reminder',
      ],
    );
  });
});

describe('each detail names the setting and the instant it counts from', () => {
  const P = { autostopAfterMs: 8 * HOUR, autostopReminderMs: 30 * MIN, stoppedTtlMs: DAY, dormantAfterMs: 7 * DAY, dormantDeleteAfterMs: 14 * DAY, autoDestroyReminderMs: HOUR };

  test('running workspace', () => {
    const v = view({ lastUsedAt: T0 - HOUR, deadline: T0 + 7 * HOUR, autoDestroyAt: T0 + 2 * DAY, autoDestroyInactivityMs: DAY, policy: P });
    assert.deepEqual(detailOf(v, 'auto_destroy_at'), {
      at: T0 + 2 * DAY,
      action: 'delete',
      detail: `auto_destroy_at ${iso(T0 + 2 * DAY)}: the scheduled one-shot destroy (cleared once it starts)`,
    });
    assert.deepEqual(detailOf(v, 'auto_destroy_inactivity'), {
      at: T0 + 23 * HOUR,
      action: 'delete',
      detail: `auto_destroy_inactivity 1d after the last activity at ${iso(T0 - HOUR)}`,
    });
    assert.deepEqual(detailOf(v, 'dormancy'), {
      at: T0 - HOUR + 7 * DAY,
      action: 'stop',
      detail: `dormant_after 7d after the last activity at ${iso(T0 - HOUR)}: stop it and mark it dormant`,
    });
    assert.deepEqual(detailOf(v, 'dormant_delete'), {
      at: null,
      action: 'delete',
      detail: `not dormant: dormant_delete_after 14d counts from when it is marked dormant (dormant_after would mark it at ${iso(T0 - HOUR + 7 * DAY)})`,
    });
    assert.deepEqual(detailOf(v, 'stopped_ttl'), { at: null, action: 'delete', detail: 'stopped_ttl 1d counts from the stop (this workspace is claimed)' });
    assert.deepEqual(detailOf(v, 'autostop'), {
      at: T0 + 7 * HOUR,
      action: 'stop',
      detail: `deadline ${iso(T0 + 7 * HOUR)}: autostop_after 8h from the claim, the start or the last activity`,
    });
    assert.deepEqual(detailOf(v, 'autostop_reminder'), {
      at: T0 + 6 * HOUR + 30 * MIN,
      action: 'notify',
      detail: `autostop_reminder 30m before the deadline ${iso(T0 + 7 * HOUR)}`,
    });
    assert.deepEqual(detailOf(v, 'auto_destroy_reminder'), {
      at: T0 + 22 * HOUR,
      action: 'notify',
      detail: `auto_destroy_reminder 1h before the auto_destroy_inactivity destroy at ${iso(T0 + 23 * HOUR)}`,
    });
  });

  test('stopped, dormant workspace', () => {
    const v = stoppedView(T0 - 2 * HOUR, { lastUsedAt: T0 - 8 * DAY, dormantAt: T0 - DAY, policy: P });
    assert.deepEqual(detailOf(v, 'stopped_ttl'), { at: T0 + 22 * HOUR, action: 'delete', detail: `stopped_ttl 1d after it stopped at ${iso(T0 - 2 * HOUR)}` });
    assert.deepEqual(detailOf(v, 'dormant_delete'), {
      at: T0 + 13 * DAY,
      action: 'delete',
      detail: `dormant_delete_after 14d after it was marked dormant at ${iso(T0 - DAY)}`,
    });
    assert.deepEqual(detailOf(v, 'dormancy'), { at: null, action: 'mark_dormant', detail: `already dormant since ${iso(T0 - DAY)} (activity or a start clears it)` });
    assert.deepEqual(detailOf(v, 'autostop'), { at: null, action: 'stop', detail: 'only a running workspace is stopped (this one is stopped)' });
  });

  test('due rules show instants in the past; next is the first of them', () => {
    const v = stoppedView(T0 - 2 * DAY, { lastUsedAt: T0 - 8 * DAY, policy: P });
    const o = explainWorkspace(v, T0);
    assert.equal(o.next?.rule, 'stopped_ttl');
    assert.equal(o.next?.at, T0 - DAY);
    assert.equal(o.rules.find((r) => r.rule === 'dormancy')!.at, T0 - DAY);
  });

  test('past instants for reminders say the transition runs instead', () => {
    const v = view({ deadline: T0 - MIN, policy: P });
    assert.deepEqual(detailOf(v, 'autostop_reminder'), {
      at: null,
      action: 'notify',
      detail: `the deadline ${iso(T0 - MIN)} has passed: the autostop runs instead of a reminder`,
    });
  });

  test('explain --at a future instant answers for that instant', () => {
    const v = view({ deadline: T0 + 7 * HOUR, policy: P });
    assert.equal(explainWorkspace(v, T0).next, null);
    assert.equal(explainWorkspace(v, T0 + 6 * HOUR + 30 * MIN).next?.rule, 'autostop_reminder');
    assert.equal(explainWorkspace(v, T0 + 7 * HOUR).next?.rule, 'autostop');
  });
});

describe('explain agrees with the planner (seeded random workspaces)', () => {
  const SEEDS = [1, 2, 3, 42, 2026];
  const PER_SEED = 2000;

  test.each(SEEDS)('seed %i: next is the action the planner takes, with the same instant bound', (seed) => {
    const rand = prng(seed);
    let acted = 0;
    for (let i = 0; i < PER_SEED; i++) {
      const now = T0 + Math.floor(rand() * DAY);
      const v = randomView(rand, now, `w${i}`);
      const actions = planLifecycle(snapshot(now, v));
      const outlook = explainWorkspace(v, now);
      const context = () => `seed ${seed} #${i}: ${JSON.stringify({ now, v, actions, next: outlook.next })}`;
      assert.ok(actions.length <= 1, context());
      assert.equal(outlook.next?.rule ?? null, actions[0]?.rule ?? null, context());
      if (actions[0] !== undefined) {
        acted++;
        assert.equal(actions[0].rev, v.rev, context());
        assert.equal(actions[0].workspaceId, v.id, context());
        assert.ok(outlook.next!.at! <= now, context());
        const kind = actions[0].kind === 'remind' ? 'notify' : actions[0].kind;
        assert.equal(outlook.next!.action, kind, context());
      }
    }
    // The generator must exercise both sides, or the comparison proves little.
    assert.ok(acted > PER_SEED / 10 && acted < PER_SEED * 0.9, `only ${acted} of ${PER_SEED} acted`);
  });

  test.each(SEEDS)('seed %i: the earliest future instant shown is exactly when the next action comes', (seed) => {
    const rand = prng(seed * 7919);
    let checked = 0;
    for (let i = 0; i < PER_SEED; i++) {
      const now = T0 + Math.floor(rand() * DAY);
      const v = randomView(rand, now, `w${i}`);
      const outlook = explainWorkspace(v, now);
      if (v.jobInFlight || outlook.next !== null) continue;
      const future = outlook.rules.map((r) => r.at).filter((at): at is number => at !== null);
      const context = () => `seed ${seed} #${i}: ${JSON.stringify({ now, v, outlook })}`;
      assert.ok(
        future.every((at) => at > now),
        context(),
      );
      if (future.length === 0) {
        assert.deepEqual(planLifecycle(snapshot(now + 400 * DAY, v)), [], context());
        continue;
      }
      const first = Math.min(...future);
      checked++;
      assert.deepEqual(planLifecycle(snapshot(first - 1, v)), [], context());
      assert.equal(planLifecycle(snapshot(first, v)).length, 1, context());
    }
    assert.ok(checked > PER_SEED / 10, `only ${checked} of ${PER_SEED} had a future instant`);
  });
});

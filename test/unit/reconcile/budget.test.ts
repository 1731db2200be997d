/** applyBudget: the slice of a plan that runs under the global in-flight limit. */
import { describe, test, expect } from '@jest/globals';
import assert from 'node:assert/strict';
import { applyBudget } from '../../../controller/reconcile';
import type { Action, Plan, PresetPlan } from '../../../controller/reconcile/types';
import { options, short, T0 } from '../../helpers/reconcile-fixtures';

function presetPlan(presetId: string, actions: Action[]): PresetPlan {
  return {
    presetId,
    template: 'tpl',
    preset: presetId,
    desired: 0,
    desiredSource: { kind: 'base' },
    counts: { ready: 0, starting: 0, expired: 0, outdated: 0, claimed: 0, failed: 0, stopped: 0, deleting: 0 },
    status: 'healthy',
    statusReason: '',
    paused: false,
    backoffUntil: null,
    actions,
  };
}

function plan(...presets: [string, Action[]][]): Plan {
  return { now: T0, presets: presets.map(([id, actions]) => presetPlan(id, actions)) };
}

const create = (presetId: string, count: number, reason: 'scale' | 'replace' = 'scale'): Action => ({
  type: 'create',
  presetId,
  count,
  reason,
});
const del = (presetId: string, ids: string[], reason: 'surplus' | 'expired' | 'retry' = 'surplus'): Action => ({
  type: 'delete',
  presetId,
  instanceIds: ids,
  reason,
});
const cancel = (presetId: string, ids: string[]): Action => ({ type: 'cancel_pending', presetId, instanceIds: ids });
const backoff = (presetId: string, until: number): Action => ({ type: 'backoff', presetId, until });

/** Budget = limit when nothing is in flight. */
const budget = (p: Plan, slots: number, cursor = 0) => applyBudget(p, 0, options({ inFlightLimit: slots }), cursor);

/** [presetId, type, amount] per action, in output order. */
function served(actions: Action[]): [string, string, number][] {
  return actions.map((a) => [
    a.presetId,
    a.type,
    a.type === 'create' ? a.count : a.type === 'backoff' ? 0 : a.instanceIds.length,
  ]);
}

describe('applyBudget', () => {
  test('an empty plan', () => {
    assert.deepEqual(budget(plan(), 8, 3), { actions: [], nextCursor: 0 });
  });

  test('everything fits: all actions, deletes before creates', () => {
    const p = plan(['a', [create('a', 2)]], ['b', [del('b', ['b1'])]]);
    const r = budget(p, 8);
    assert.deepEqual(served(r.actions), [
      ['b', 'delete', 1],
      ['a', 'create', 2],
    ]);
  });

  test('deletes are served before creates when the budget is short', () => {
    const p = plan(['a', [create('a', 3)]], ['b', [del('b', ['b1', 'b2'])]]);
    const r = budget(p, 3);
    assert.deepEqual(served(r.actions), [
      ['b', 'delete', 2],
      ['a', 'create', 1],
    ]);
    assert.deepEqual(served(budget(p, 2).actions), [['b', 'delete', 2]]);
  });

  test('available = max(0, limit - inFlight)', () => {
    const p = plan(['a', [create('a', 5)]]);
    assert.deepEqual(short(applyBudget(p, 6, options({ inFlightLimit: 8 }), 0).actions), [['create', 2, 'scale']]);
    assert.deepEqual(applyBudget(p, 8, options({ inFlightLimit: 8 }), 0).actions, []);
    assert.deepEqual(applyBudget(p, 12, options({ inFlightLimit: 8 }), 0).actions, []);
  });

  test('an infinite limit serves everything; a NaN limit serves nothing but the free actions', () => {
    const p = plan(['a', [cancel('a', ['p']), create('a', 1000)]], ['b', [del('b', ['b1', 'b2'])]]);
    assert.deepEqual(served(applyBudget(p, 5, options({ inFlightLimit: Infinity }), 0).actions), [
      ['a', 'cancel_pending', 1],
      ['b', 'delete', 2],
      ['a', 'create', 1000],
    ]);
    assert.deepEqual(served(applyBudget(p, 0, options({ inFlightLimit: Number.NaN }), 0).actions), [['a', 'cancel_pending', 1]]);
  });

  test('cancel_pending and backoff cost nothing and are always included; cursor stays when nothing is served', () => {
    const p = plan(
      ['a', [cancel('a', ['p1', 'p2']), del('a', ['a1']), create('a', 1)]],
      ['b', [backoff('b', T0 + 1000)]],
      ['c', [cancel('c', ['p3']), create('c', 4)]],
    );
    const r = applyBudget(p, 10, options({ inFlightLimit: 8 }), 1);
    assert.deepEqual(served(r.actions), [
      ['c', 'cancel_pending', 1],
      ['a', 'cancel_pending', 2],
      ['b', 'backoff', 0],
    ]);
    assert.equal(r.nextCursor, 1);
  });

  test('output order: cancel_pending, deletes, backoff, creates', () => {
    const p = plan(
      ['a', [cancel('a', ['p1']), del('a', ['a1']), backoff('a', T0 + 5)]],
      ['b', [del('b', ['b1']), create('b', 1)]],
    );
    assert.deepEqual(
      budget(p, 8).actions.map((a) => a.type),
      ['cancel_pending', 'delete', 'delete', 'backoff', 'create'],
    );
  });

  test('round-robin, one operation per preset per round, from the cursor', () => {
    const p = plan(['a', [del('a', ['a1', 'a2', 'a3', 'a4', 'a5'])]], ['b', [del('b', ['b1'])]], ['c', [del('c', ['c1', 'c2'])]]);
    const r0 = budget(p, 5, 0);
    assert.deepEqual(served(r0.actions), [
      ['a', 'delete', 2],
      ['b', 'delete', 1],
      ['c', 'delete', 2],
    ]);
    assert.equal(r0.nextCursor, 0, 'c was served last; the next tick starts after it (wrapping to a)');
    const r1 = budget(p, 4, 1);
    // Rounds from b: b, c, a | c  → b 1, c 2, a 1; output in serving order from the cursor.
    assert.deepEqual(served(r1.actions), [
      ['b', 'delete', 1],
      ['c', 'delete', 2],
      ['a', 'delete', 1],
    ]);
    assert.equal(r1.nextCursor, 0, 'c was served last');
  });

  test('a create that does not fit whole is split (create 5 with 2 slots → create 2)', () => {
    const r = budget(plan(['a', [create('a', 5, 'replace')]]), 2);
    assert.deepEqual(r.actions, [{ type: 'create', presetId: 'a', count: 2, reason: 'replace' }]);
  });

  test('a delete that does not fit whole keeps its first (oldest) ids; several delete actions are taken in order', () => {
    const r = budget(plan(['a', [del('a', ['r'], 'retry'), del('a', ['e1', 'e2', 'e3'], 'expired'), del('a', ['s1'])]]), 3);
    assert.deepEqual(short(r.actions), [
      ['delete', 'retry', ['r']],
      ['delete', 'expired', ['e1', 'e2']],
    ]);
  });

  test('cursor wraps around and is taken modulo the preset count (also when negative or huge)', () => {
    const p = plan(['a', [create('a', 1)]], ['b', [create('b', 1)]], ['c', [create('c', 1)]]);
    const one = (cursor: number) => {
      const r = budget(p, 1, cursor);
      return [r.actions[0]?.presetId, r.nextCursor];
    };
    assert.deepEqual(one(0), ['a', 1]);
    assert.deepEqual(one(1), ['b', 2]);
    assert.deepEqual(one(2), ['c', 0]);
    assert.deepEqual(one(3), ['a', 1]);
    assert.deepEqual(one(5), ['c', 0]);
    assert.deepEqual(one(-1), ['c', 0]);
    assert.deepEqual(one(3001), ['b', 2]);
  });

  test('presets without work (paused, idle) do not take a turn', () => {
    const p = plan(['a', []], ['b', [create('b', 3)]], ['c', []], ['d', [create('d', 3)]]);
    const r = budget(p, 3, 0);
    assert.deepEqual(served(r.actions), [
      ['b', 'create', 2],
      ['d', 'create', 1],
    ]);
    assert.equal(r.nextCursor, 2, 'b was served last (round 2), so c is next');
  });

  test('the plan is not modified', () => {
    const p = plan(['a', [del('a', ['a1', 'a2', 'a3']), create('a', 4)]], ['b', [create('b', 2)]]);
    const before = structuredClone(p);
    budget(p, 2);
    // structuredClone builds its copy in Node's realm, not the test's: compare with expect, which treats built-in
    // types of both realms alike (node:assert's strict mode compares prototypes by identity).
    expect(p).toStrictEqual(before);
  });

  test('fairness over ticks: a big pool cannot starve a small one', () => {
    // Demand shrinks by what was served (operations finish within the tick).
    function run(order: ('big' | 'small')[], slots: number) {
      const demand: Record<string, number> = { big: 10, small: 2 };
      let cursor = 0;
      const doneAt: Record<string, number> = {};
      for (let tick = 1; tick <= 20 && (demand.big! > 0 || demand.small! > 0); tick++) {
        const p = plan(...order.map((id): [string, Action[]] => [id, demand[id]! > 0 ? [create(id, demand[id]!)] : []]));
        const r = budget(p, slots, cursor);
        cursor = r.nextCursor;
        for (const a of r.actions) if (a.type === 'create') demand[a.presetId]! -= a.count;
        for (const id of order) if (demand[id] === 0 && doneAt[id] === undefined) doneAt[id] = tick;
      }
      return doneAt;
    }
    // One slot per tick: the two alternate, so the small pool is done by tick 4 (not tick 12).
    assert.deepEqual(run(['big', 'small'], 1), { small: 4, big: 12 });
    assert.deepEqual(run(['small', 'big'], 1), { small: 3, big: 12 });
    // Two slots per tick: one each.
    assert.deepEqual(run(['big', 'small'], 2), { small: 2, big: 6 });
  });

  test('fairness over ticks with three presets: served counts never differ by more than one while all want more', () => {
    const ids = ['a', 'b', 'c'];
    const total: Record<string, number> = { a: 0, b: 0, c: 0 };
    let cursor = 0;
    for (let tick = 0; tick < 30; tick++) {
      const p = plan(...ids.map((id): [string, Action[]] => [id, [create(id, 100)]]));
      const r = budget(p, 2, cursor); // 2 slots for 3 presets: someone always waits
      cursor = r.nextCursor;
      for (const a of r.actions) if (a.type === 'create') total[a.presetId]! += a.count;
      const counts = Object.values(total);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `tick ${tick}: ${JSON.stringify(total)}`);
    }
    assert.deepEqual(total, { a: 20, b: 20, c: 20 });
  });

  test('deletes across presets first, then creates, both round-robin; cursor after the last served', () => {
    const p = plan(['a', [del('a', ['a1', 'a2', 'a3'])]], ['b', [create('b', 3)]], ['c', [del('c', ['c1']), create('c', 2)]]);
    const r = budget(p, 6, 0);
    // 6 slots: deletes 4 (a 3, c 1); creates 2 round-robin from a: b, c → b 1, c 1.
    const exact = served(r.actions);
    assert.deepEqual(exact, [
      ['a', 'delete', 3],
      ['c', 'delete', 1],
      ['b', 'create', 1],
      ['c', 'create', 1],
    ]);
    assert.equal(r.nextCursor, 0);
  });

  test('10,000 presets with work and a budget of 8: wraps from the cursor, serves eight', () => {
    const presets: [string, Action[]][] = [];
    for (let k = 0; k < 10_000; k++) presets.push([`p${k}`, [del(`p${k}`, [`p${k}-x`]), create(`p${k}`, 3)]]);
    const p = plan(...presets);
    const r = applyBudget(p, 0, options({ inFlightLimit: 8 }), 9_998);
    assert.deepEqual(
      r.actions.map((a) => a.presetId),
      ['p9998', 'p9999', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5'],
    );
    assert.equal(r.nextCursor, 6);
  });
});

/**
 * prewarm_workspace through the real gRPC client against the workspace fake, with the controller's jobs scripted
 * (workspace-harness.ts): plan-time validation with attribute paths, plans (create, in place, replace, a failed
 * workspace), claim from a ready pool and from an empty one (wait, build failure, wait_ready running out), destroy
 * settings changed and cleared in place, delete waiting for the archive (and its failure), drift and import.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { equalValues, isUnknown, unknown, type CtyValue } from '../../../provider/values';
import { createProviderHandlers } from '../../../provider/rpc-handlers';
import { Diagnostic_Severity } from '../../../provider/protocol';
import { ValidationError } from '../../../controller/domain/errors';
import { assertNoDiags, assertOneError, describeDiags, steps } from '../../helpers/provider-harness';
import { HOUR, WS_NOW } from '../../helpers/workspace-fake';
import { checkReadResult } from '../../helpers/plan-rules';
import {
  addReady,
  apply,
  calls,
  importState,
  jsonBlockOf,
  obj,
  plan,
  planApply,
  read,
  refreshNoDiff,
  useWorkspaceHarness,
  validate,
  wsObj,
  wsType,
} from './workspace-harness';

const WS = 'prewarm_workspace';
const U = unknown();
const offline = createProviderHandlers({ env: {} });
const hh = useWorkspaceHarness();

describe('prewarm_workspace validation (plan time, provider not configured)', () => {
  test('a full configuration, and one with unknown values, are valid', async () => {
    assertNoDiags(
      await validate(offline, WS, wsObj({ auto_destroy_at: '2026-12-24T18:00:00+01:00', auto_destroy_inactivity: '1d12h', wait_ready: '1h30m' })),
    );
    assertNoDiags(await validate(offline, WS, wsObj({ template: U, preset: U, owner: U, auto_destroy_at: U, auto_destroy_inactivity: U, wait_ready: U })));
  });

  test('each bad value is one error at its attribute', async () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ auto_destroy_at: '2026-12-24 18:00' }, 'auto_destroy_at', /RFC 3339/],
      [{ auto_destroy_at: '2026-12-24T18:00:00' }, 'auto_destroy_at', /time zone/],
      [{ auto_destroy_at: '2026-02-30T18:00:00Z' }, 'auto_destroy_at', /out of range/],
      [{ auto_destroy_inactivity: '8' }, 'auto_destroy_inactivity', /missing unit/],
      [{ auto_destroy_inactivity: '366d' }, 'auto_destroy_inactivity', /at most 365d/],
      [{ auto_destroy_inactivity: '0s' }, 'auto_destroy_inactivity', /greater than zero/],
      [{ auto_destroy_inactivity: '2w' }, 'auto_destroy_inactivity', /unknown unit/],
      [{ wait_ready: '0s' }, 'wait_ready', /greater than zero/],
      [{ wait_ready: '25h' }, 'wait_ready', /at most 24h/],
      [{ wait_ready: '10' }, 'wait_ready', /missing unit/],
      [{ owner: '   ' }, 'owner', /blank/],
      [{ owner: 'a\u0007b' }, 'owner', /control/],
      [{ template: 'Bad Name' }, 'template', /characters/],
      [{ preset: '' }, 'preset', /empty/],
    ];
    for (const [o, path, detail] of cases) {
      const diags = await validate(offline, WS, wsObj(o));
      assertOneError(diags, { summary: `Invalid value for "${path}"`, detail, path });
    }
  });

  test('an instant in the past is valid at plan time (the controller refuses it at apply, see below)', async () => {
    assertNoDiags(await validate(offline, WS, wsObj({ auto_destroy_at: '2001-01-01T00:00:00Z' })));
  });
});

describe('prewarm_workspace plan', () => {
  const state = () =>
    wsObj({
      id: 'i-1',
      name: 'us-nix-1',
      state: 'claimed',
      attributes: new Map([['url', 'http://x/']]),
      deadline: '2026-03-08T15:30:00.000Z',
      auto_destroy_inactivity: '8h',
    });

  test('create: every computed attribute unknown, nothing to replace', async () => {
    const r = await plan(offline, WS, null, wsObj({ auto_destroy_inactivity: '8h' }));
    assertNoDiags(r.diagnostics);
    for (const n of ['id', 'name', 'state', 'attributes', 'deadline']) assert.ok(isUnknown(obj(r.planned)[n]), n);
    assert.equal(obj(r.planned).auto_destroy_inactivity, '8h');
    assert.deepEqual(r.requiresReplace, []);
  });

  test('no change: planned equals prior', async () => {
    const prior = state();
    const r = await plan(offline, WS, decodeWs(prior), wsObj({ auto_destroy_inactivity: '8h' }));
    assert.ok(equalValues(r.planned, decodeWs(prior), wsType));
  });

  test('a destroy setting changed or removed: in place, state and deadline unknown (the controller reports them)', async () => {
    for (const config of [wsObj({ auto_destroy_inactivity: '2h' }), wsObj(), wsObj({ auto_destroy_inactivity: '8h', auto_destroy_at: '2026-12-24T18:00:00Z' })]) {
      const r = await plan(offline, WS, decodeWs(state()), config);
      assert.deepEqual(r.requiresReplace, []);
      const p = obj(r.planned);
      assert.ok(isUnknown(p.state) && isUnknown(p.deadline));
      assert.equal(p.id, 'i-1');
      assert.equal(p.name, 'us-nix-1');
    }
  });

  test('only wait_ready changed: an update with every value known (apply calls nothing)', async () => {
    const r = await plan(offline, WS, decodeWs(state()), wsObj({ auto_destroy_inactivity: '8h', wait_ready: '5m' }));
    assert.deepEqual(r.requiresReplace, []);
    assert.equal(obj(r.planned).state, 'claimed');
    assert.equal(obj(r.planned).wait_ready, '5m');
  });

  test('template, preset or owner changed: replace', async () => {
    for (const [attr, value] of [
      ['template', 'other'],
      ['preset', 'eu'],
      ['owner', 'bob'],
    ] as const) {
      const r = await plan(offline, WS, decodeWs(state()), wsObj({ auto_destroy_inactivity: '8h', [attr]: value }));
      assert.deepEqual(r.requiresReplace, [[{ attr }]], attr);
      assert.ok(isUnknown(obj(r.planned).id));
    }
  });

  test('a failed workspace (its build, or a delete that gave up) is planned for replacement', async () => {
    const r = await plan(offline, WS, decodeWs(wsObj({ ...state(), state: 'failed' })), wsObj({ auto_destroy_inactivity: '8h' }));
    assert.deepEqual(r.requiresReplace, [[{ attr: 'state' }]]);
    assert.ok(isUnknown(obj(r.planned).state));
  });

  test('destroy: planned null', async () => {
    const r = await plan(offline, WS, decodeWs(state()), null);
    assert.equal(r.planned, null);
  });
});

describe('prewarm_workspace create', () => {
  test('from a ready pool: claimed at once, with the destroy settings; refresh plans no diff', async () => {
    addReady(hh);
    const config = wsObj({ owner: ' alice ', auto_destroy_at: '2026-12-24T19:00:00+01:00', auto_destroy_inactivity: '480m' });
    const { state } = await planApply(hh, WS, null, config);
    const s = obj(state);
    assert.equal(s.state, 'claimed');
    assert.equal(s.name, 'us-nix-1');
    assert.deepEqual(s.attributes, new Map([['url', 'http://127.0.0.1:41234/']]));
    assert.equal(s.deadline, null, 'the template has no autostop');
    // The configured spellings are kept: the controller stores a trimmed owner, UTC ms and a duration in ms.
    assert.equal(s.owner, ' alice ');
    assert.equal(s.auto_destroy_at, '2026-12-24T19:00:00+01:00');
    assert.equal(s.auto_destroy_inactivity, '480m');
    assert.deepEqual(calls(hh), [
      {
        method: 'claim',
        args: [{ template: 'devbox', preset: 'us-nix', owner: ' alice ', autoDestroyAt: '2026-12-24T19:00:00+01:00', autoDestroyInactivity: '480m' }],
      },
    ]);
    const w = hh.api.fake.workspaces.get('i-1')!;
    assert.equal(w.autoDestroyAt, Date.UTC(2026, 11, 24, 18));
    assert.equal(w.autoDestroyInactivityMs, 8 * HOUR);
    await refreshNoDiff(hh, WS, state, config);
  });

  test('from an empty pool: waits for the fallback build, then claimed with the driver attributes', async () => {
    let n = 0;
    hh.advance = (w) => (w.state === 'pending' && ++n >= 3 ? { state: 'claimed', attributes: { url: 'http://built/' }, readyAt: WS_NOW } : undefined);
    const { state } = await planApply(hh, WS, null, wsObj());
    assert.equal(obj(state).state, 'claimed');
    assert.deepEqual(obj(state).attributes, new Map([['url', 'http://built/']]));
    assert.ok(hh.polls >= 3);
  });

  test('the fallback build fails: error with the driver message, the workspace kept in state (tainted)', async () => {
    hh.advance = (w) => (w.state === 'pending' ? { state: 'failed', error: 'create failed: image node:99 not found' } : undefined);
    const pl = await plan(hh.h, WS, null, wsObj());
    const res = await apply(hh.h, WS, null, pl.plannedDv, wsObj());
    assertOneError(res.diagnostics, { summary: 'failed to build', detail: /image node:99 not found.*tainted/s, path: null });
    const s = obj(res.newState);
    assert.equal(s.state, 'failed');
    assert.equal(s.id, 'i-1');
    assert.deepEqual(checkReadResult(jsonBlockOf(WS), res.newState as CtyValue), [], 'a wholly known object');
  });

  test('wait_ready runs out: error that says so, the workspace kept in state (tainted)', async () => {
    const started = Date.now();
    const pl = await plan(hh.h, WS, null, wsObj({ wait_ready: '1s' }));
    const res = await apply(hh.h, WS, null, pl.plannedDv, wsObj({ wait_ready: '1s' }));
    const elapsed = Date.now() - started;
    assertOneError(res.diagnostics, { summary: 'not ready within wait_ready', detail: /still pending after 1s/, path: null });
    assert.equal(obj(res.newState).state, 'pending');
    assert.ok(elapsed >= 1000 && elapsed < 4000, `waited ${elapsed} ms`);
  });

  test('an instant in the past: the controller refuses it, the error points at auto_destroy_at, nothing claimed', async () => {
    addReady(hh);
    const config = wsObj({ auto_destroy_at: '2026-03-08T07:00:00Z' });
    const pl = await plan(hh.h, WS, null, config);
    const res = await apply(hh.h, WS, null, pl.plannedDv, config);
    assertOneError(res.diagnostics, { summary: 'Invalid value for "auto_destroy_at"', detail: /in the future.*rejected by the prewarm controller/, path: 'auto_destroy_at' });
    assert.equal(res.newState, null);
    assert.equal(hh.api.fake.workspaces.size, 0);
  });

  test('an unknown preset: NOT_FOUND as an error, nothing saved', async () => {
    const config = wsObj({ preset: 'nope' });
    const pl = await plan(hh.h, WS, null, config);
    const res = await apply(hh.h, WS, null, pl.plannedDv, config);
    assertOneError(res.diagnostics, { summary: 'Cannot claim a workspace from devbox/nope: not found', path: null });
    assert.equal(res.newState, null);
  });
});

describe('prewarm_workspace update, delete, read, import', () => {
  async function claimed(config = wsObj({ auto_destroy_inactivity: '8h' })) {
    addReady(hh);
    return (await planApply(hh, WS, null, config)).state;
  }

  test('auto_destroy_inactivity changed, then removed (cleared with null); auto_destroy_at set; refresh plans no diff', async () => {
    let state = await claimed();
    hh.api.fake.calls.length = 0;
    state = (await planApply(hh, WS, state, wsObj({ auto_destroy_inactivity: '2h' }))).state;
    assert.equal(obj(state).auto_destroy_inactivity, '2h');
    assert.equal(obj(state).state, 'claimed');
    state = (await planApply(hh, WS, state, wsObj())).state;
    assert.equal(obj(state).auto_destroy_inactivity, null);
    state = (await planApply(hh, WS, state, wsObj({ auto_destroy_at: '2026-03-09T00:00:00Z' }))).state;
    assert.deepEqual(
      calls(hh).map((c) => c.args),
      [['i-1', { autoDestroyInactivity: '2h' }], ['i-1', { autoDestroyInactivity: null }], ['i-1', { autoDestroyAt: '2026-03-09T00:00:00Z' }]],
    );
    assert.equal(hh.api.fake.workspaces.get('i-1')!.autoDestroyInactivityMs, null);
    await refreshNoDiff(hh, WS, state, wsObj({ auto_destroy_at: '2026-03-09T00:00:00Z' }));
  });

  test('only wait_ready changed: applied without a call to the controller', async () => {
    const state = await claimed();
    hh.api.fake.calls.length = 0;
    const { state: next } = await planApply(hh, WS, state, wsObj({ auto_destroy_inactivity: '8h', wait_ready: '5m' }));
    assert.equal(obj(next).wait_ready, '5m');
    assert.deepEqual(hh.api.fake.calls, []);
  });

  test('delete: the controller deletes, the provider waits until the record is archived', async () => {
    const state = await claimed();
    let n = 0;
    hh.advance = (w) => (w.state === 'deleting' && ++n >= 2 ? { state: 'archived', archivedAt: WS_NOW } : undefined);
    const res = await apply(hh.h, WS, state, null, null);
    assertNoDiags(res.diagnostics);
    assert.equal(res.newState, null);
    assert.equal(hh.api.fake.workspaces.get('i-1')!.state, 'archived');
    assert.deepEqual(calls(hh).at(-1), { method: 'workspaceOp', args: ['i-1', 'delete'] });
    // Deleting what is gone already succeeds.
    const again = await apply(hh.h, WS, state, null, null);
    assertNoDiags(again.diagnostics);
    hh.api.fake.workspaces.clear();
    hh.api.fake.instances.clear();
    assertNoDiags((await apply(hh.h, WS, state, null, null)).diagnostics);
  });

  test('the driver\'s delete fails: an error naming the state and the driver error, the prior state kept', async () => {
    const state = await claimed();
    hh.advance = (w) => (w.state === 'deleting' ? { state: 'failed', error: 'rm: permission denied' } : undefined);
    const res = await apply(hh.h, WS, state, null, null);
    assertOneError(res.diagnostics, { summary: "the driver's delete failed", detail: /is failed: rm: permission denied/, path: null });
    assert.ok(equalValues(res.newState as CtyValue, state, wsType), 'prior state kept');
  });

  test('a delete while a build runs waits for the build, then deletes', async () => {
    const pl = await plan(hh.h, WS, null, wsObj({ wait_ready: '1s' }));
    const created = await apply(hh.h, WS, null, pl.plannedDv, wsObj({ wait_ready: '1s' }));
    assert.equal(obj(created.newState).state, 'pending');
    let n = 0;
    hh.advance = (w) => {
      if (w.state === 'pending' && ++n >= 2) return { state: 'claimed' };
      if (w.state === 'deleting') return { state: 'archived' };
      return undefined;
    };
    const res = await apply(hh.h, WS, created.newState as CtyValue, null, null);
    assertNoDiags(res.diagnostics);
    assert.equal(hh.api.fake.workspaces.get('i-1')!.state, 'archived');
  });

  test('read: archived, deleting (a policy destroy) or unknown → gone; a stop outside Terraform shows in state', async () => {
    const state = await claimed();
    const fake = hh.api.fake;
    fake.workspaces.set('i-1', { ...fake.workspaces.get('i-1')!, state: 'stopped', deadline: null });
    const stopped = await read(hh.h, WS, state);
    assert.equal(obj(stopped.newState).state, 'stopped');
    for (const s of ['deleting', 'archived'] as const) {
      fake.workspaces.set('i-1', { ...fake.workspaces.get('i-1')!, state: s, autoDestroyAt: null });
      const r = await read(hh.h, WS, state);
      assertNoDiags(r.diagnostics);
      assert.equal(r.newState, null, s);
    }
    fake.workspaces.clear();
    fake.instances.clear();
    const gone = await read(hh.h, WS, state);
    assertNoDiags(gone.diagnostics);
    assert.equal(gone.newState, null);
  });

  test('import by id: the stub, then the read fills it; the same configuration plans no change', async () => {
    await claimed(wsObj({ auto_destroy_inactivity: '8h', auto_destroy_at: '2026-12-24T18:00:00Z' }));
    const imp = await importState(hh.h, WS, 'i-1');
    assertNoDiags(imp.diagnostics);
    assert.equal(imp.resources.length, 1);
    assert.equal(imp.resources[0].typeName, WS);
    const stub = obj(imp.resources[0].state);
    assert.equal(stub.id, 'i-1');
    assert.ok(Object.entries(stub).every(([k, v]) => k === 'id' || v === null));
    const state = await refreshNoDiff(hh, WS, imp.resources[0].state, wsObj({ auto_destroy_inactivity: '8h', auto_destroy_at: '2026-12-24T18:00:00.000Z' }));
    assert.equal(obj(state).owner, 'alice');

    // By name too; a malformed id is explained.
    const byName = await importState(hh.h, WS, 'us-nix-1');
    assert.equal(obj((await read(hh.h, WS, byName.resources[0].state)).newState).id, 'i-1');
    const bad = await importState(hh.h, WS, 'not an id');
    assertOneError(bad.diagnostics, { summary: 'Invalid import ID', detail: 'imported by its id', path: null });
  });

  test('import of a pool instance: the controller says it is not a workspace', async () => {
    addReady(hh);
    const imp = await importState(hh.h, WS, 'i-1');
    const r = await read(hh.h, WS, imp.resources[0].state);
    assert.equal(r.diagnostics.length, 1, describeDiags(r.diagnostics));
    assert.equal(r.diagnostics[0].severity, Diagnostic_Severity.ERROR);
    assert.match(r.diagnostics[0].detail, /belongs to the pool/);
  });

  test('a set refused by the controller points at the attribute; the prior state is kept', async () => {
    const state = await claimed();
    hh.api.fake.failWith = new ValidationError([{ path: ['auto_destroy_inactivity'], message: "must be longer than the template's auto_destroy_reminder (1h), got 30m" }]);
    const pl = await plan(hh.h, WS, state, wsObj({ auto_destroy_inactivity: '30m' }));
    const res = await apply(hh.h, WS, state, pl.plannedDv, wsObj({ auto_destroy_inactivity: '30m' }));
    const d = assertOneError(res.diagnostics, { summary: 'Invalid value for "auto_destroy_inactivity"', detail: 'auto_destroy_reminder', path: 'auto_destroy_inactivity' });
    assert.deepEqual(steps(d.attribute), [{ attr: 'auto_destroy_inactivity' }]);
    assert.ok(equalValues(res.newState as CtyValue, state, wsType));
  });
});

function decodeWs(o: Record<string, unknown>): CtyValue {
  return o as CtyValue;
}

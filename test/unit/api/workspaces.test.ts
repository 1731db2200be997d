/**
 * The workspace RPCs through a real server and client, in front of a fake service: every RPC, what reaches the
 * service, and how each error class comes back (INVALID_ARGUMENT with field paths, NOT_FOUND, FAILED_PRECONDITION).
 */
import { afterAll, beforeAll, beforeEach, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as pb from '../../../controller/api/gen/prewarm/v1/prewarm_pb';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../../controller/domain/errors';
import { formatInstant } from '../../../controller/domain/instant';
import { rawCall } from '../../helpers/raw-grpc';
import { TOKEN, type TestApi } from '../../helpers/api-fake';
import { templateSpec } from '../../helpers/fixtures';
import { FULL_POLICY, HOUR, WS_NOW, fullWorkspace, startWorkspaceTestApi, type WorkspaceFakeService } from '../../helpers/workspace-fake';
import type { WorkspaceRecord } from '../../../controller/domain/workspace';

async function validationErrors(call: Promise<unknown>): Promise<FieldError[]> {
  const err = await call.then(
    () => assert.fail('expected a ValidationError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ValidationError, String(err));
  return err.errors;
}

describe('workspace RPCs', () => {
  let api: TestApi & { fake: WorkspaceFakeService };
  let ws: WorkspaceRecord;
  let pool: string;

  beforeAll(async () => {
    api = await startWorkspaceTestApi();
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.fake.workspaces.clear();
    api.fake.instances.clear();
    api.fake.calls.length = 0;
    api.fake.outlook = undefined;
    api.fake.now = WS_NOW;
    ws = api.fake.addWorkspace({ presetId: 'devbox/us-nix', owner: 'alice', policy: FULL_POLICY, autoDestroyInactivityMs: 8 * HOUR });
    pool = api.fake.addInstance({ presetId: 'devbox/us-nix' }).id;
  });
  const lastCall = () => api.fake.calls.at(-1);

  test('a template with a lifecycle_policy goes to the service and comes back whole', async () => {
    const spec = templateSpec({ lifecycle_policy: { autostop_after: '8h', autostop_reminder: '30m' } });
    const put = await api.client.putTemplate(spec);
    assert.deepEqual(lastCall()?.args[0], spec);
    assert.deepEqual(put.lifecycle_policy, { autostop_after: '8h', autostop_reminder: '30m' });
    assert.deepEqual(await api.client.getTemplate(spec.name), put);
  });

  test('list: an answer larger than 4 MiB (tens of thousands of workspaces) reaches the client whole', async () => {
    const attributes = { path: `/srv/workspaces/${'x'.repeat(200)}` };
    for (let n = 0; n < 20_000; n++) api.fake.addWorkspace({ presetId: 'devbox/us-nix', owner: `user-${n}`, attributes });
    const all = await api.client.listWorkspaces({});
    assert.equal(all.length, 20_001);
    assert.equal(all[20_000].attributes.path, attributes.path);
  }, 20_000);

  test('list: filters reach the service; every field comes back', async () => {
    const bob = api.fake.addWorkspace({ presetId: 'devbox/eu', owner: 'bob' });
    const gone = api.fake.addWorkspace({ presetId: 'devbox/us-nix', owner: 'alice', state: 'archived', archivedAt: WS_NOW });
    assert.deepEqual(await api.client.listWorkspaces({}), [ws, bob]);
    assert.deepEqual(lastCall(), { method: 'listWorkspaces', args: [{}] });
    assert.deepEqual(await api.client.listWorkspaces({ owner: 'alice', presetId: 'devbox/us-nix', archived: true }), [ws, gone]);
    assert.deepEqual(lastCall(), { method: 'listWorkspaces', args: [{ owner: 'alice', presetId: 'devbox/us-nix', archived: true }] });
    // Owners are stored trimmed at claim, so the filter is trimmed the same way.
    await api.client.listWorkspaces({ owner: '  alice ' });
    assert.deepEqual(lastCall(), { method: 'listWorkspaces', args: [{ owner: 'alice' }] });
    assert.deepEqual(await validationErrors(api.client.listWorkspaces({ presetId: 'no-slash' })), [
      { path: ['preset_id'], message: (await validationErrors(api.client.listInstances({ presetId: 'no-slash' })))[0].message },
    ]);
    assert.deepEqual((await validationErrors(api.client.listWorkspaces({ owner: 'a\nb' })))[0].path, ['owner']);
  });

  test('get: by id and by name; unknown → NOT_FOUND; a pool instance → FAILED_PRECONDITION', async () => {
    const full = api.fake.addWorkspace(fullWorkspace({ id: 'w-full', name: 'full-1' }));
    assert.deepEqual(await api.client.getWorkspace('w-full'), full);
    assert.deepEqual(await api.client.getWorkspace(ws.name), ws);
    assert.deepEqual(lastCall(), { method: 'getWorkspace', args: [ws.name] });
    await assert.rejects(api.client.getWorkspace('3f2a9c1e-nope'), (e: unknown) => e instanceof NotFoundError && /3f2a9c1e-nope not found/.test(e.message));
    await assert.rejects(api.client.getWorkspace(pool), (e: unknown) => e instanceof ConflictError && /belongs to the pool/.test(e.message));
  });

  test('start, stop, delete: each its own RPC; idempotent; start of an archived one → FAILED_PRECONDITION', async () => {
    let w = await api.client.workspaceOp(ws.id, 'stop');
    assert.equal(w.state, 'stopping');
    assert.deepEqual(lastCall(), { method: 'workspaceOp', args: [ws.id, 'stop'] });
    assert.equal((await api.client.workspaceOp(ws.id, 'stop')).state, 'stopping', 'a second stop changes nothing');
    api.fake.workspaces.set(ws.id, { ...w, state: 'stopped' });
    w = await api.client.workspaceOp(ws.id, 'start');
    assert.equal(w.state, 'starting');
    assert.deepEqual(lastCall(), { method: 'workspaceOp', args: [ws.id, 'start'] });
    api.fake.workspaces.set(ws.id, { ...w, state: 'claimed' });
    w = await api.client.workspaceOp(ws.id, 'delete');
    assert.deepEqual([w.state, w.destroyReason], ['deleting', 'user']);
    assert.deepEqual(lastCall(), { method: 'workspaceOp', args: [ws.id, 'delete'] });

    api.fake.workspaces.set(ws.id, { ...w, state: 'archived', archivedAt: WS_NOW });
    await assert.rejects(api.client.workspaceOp(ws.id, 'start'), (e: unknown) => e instanceof ConflictError && /is archived/.test(e.message));
    assert.equal((await api.client.workspaceOp(ws.id, 'delete')).state, 'archived', 'deleting an archived workspace is a no-op');
    await assert.rejects(api.client.workspaceOp('nope-nope', 'stop'), NotFoundError);
  });

  test('the raw status codes are the documented ones', async () => {
    api.fake.workspaces.set(ws.id, { ...ws, state: 'archived' });
    const auth = `Bearer ${TOKEN}`;
    const start = await rawCall(api.endpoint, pb.Prewarm.method.startWorkspace, { id: ws.id }, auth);
    assert.equal(start.err?.code, grpc.status.FAILED_PRECONDITION);
    const get = await rawCall(api.endpoint, pb.Prewarm.method.getWorkspace, { id: 'nope-nope' }, auth);
    assert.equal(get.err?.code, grpc.status.NOT_FOUND);
    const set = await rawCall(api.endpoint, pb.Prewarm.method.setWorkspace, { id: ws.id, autoDestroyAt: 'tomorrow' }, auth);
    assert.equal(set.err?.code, grpc.status.INVALID_ARGUMENT);
    const stop = await rawCall(api.endpoint, pb.Prewarm.method.stopWorkspace, { id: ws.id }, undefined);
    assert.equal(stop.err?.code, grpc.status.UNAUTHENTICATED);
  });

  test('activity: bumps last use and the deadline; a pool instance → FAILED_PRECONDITION', async () => {
    api.fake.now = WS_NOW + HOUR;
    const w = await api.client.reportActivity(ws.id);
    assert.deepEqual(lastCall(), { method: 'reportActivity', args: [ws.id] });
    assert.equal(w.lastUsedAt, WS_NOW + HOUR);
    assert.equal(w.deadline, WS_NOW + 9 * HOUR);
    await assert.rejects(api.client.reportActivity(pool), (e: unknown) => e instanceof ConflictError && /belongs to the pool/.test(e.message));
    await assert.rejects(api.client.reportActivity('nope-nope'), NotFoundError);
  });

  test('set: leave, clear and set are three different requests', async () => {
    const at = formatInstant(WS_NOW + 24 * HOUR);
    let w = await api.client.setWorkspace(ws.id, { autoDestroyAt: at });
    assert.deepEqual(lastCall(), { method: 'setWorkspace', args: [ws.id, { autoDestroyAt: at }] }, 'inactivity left out: left alone');
    assert.deepEqual([w.autoDestroyAt, w.autoDestroyInactivityMs], [WS_NOW + 24 * HOUR, 8 * HOUR]);
    w = await api.client.setWorkspace(ws.id, { autoDestroyInactivity: null });
    assert.deepEqual(lastCall(), { method: 'setWorkspace', args: [ws.id, { autoDestroyInactivity: null }] });
    assert.deepEqual([w.autoDestroyAt, w.autoDestroyInactivityMs], [WS_NOW + 24 * HOUR, null]);
    w = await api.client.setWorkspace(ws.id, { autoDestroyAt: null, autoDestroyInactivity: '2d' });
    assert.deepEqual(lastCall(), { method: 'setWorkspace', args: [ws.id, { autoDestroyAt: null, autoDestroyInactivity: '2d' }] });
    assert.deepEqual([w.autoDestroyAt, w.autoDestroyInactivityMs], [null, 48 * HOUR]);
    w = await api.client.setWorkspace(ws.id, {});
    assert.deepEqual(lastCall(), { method: 'setWorkspace', args: [ws.id, {}] });
  });

  test('set and claim: a malformed value is refused at the wire, naming the field, and never reaches the service', async () => {
    const before = api.fake.calls.length;
    const cases: Array<[Promise<unknown>, FieldError['path'], RegExp]> = [
      [api.client.setWorkspace(ws.id, { autoDestroyAt: '2026-03-09 07:30' }), ['auto_destroy_at'], /not an RFC 3339 timestamp with a time zone/],
      [api.client.setWorkspace(ws.id, { autoDestroyInactivity: '90' }), ['auto_destroy_inactivity'], /missing unit in "90"/],
      [api.client.setWorkspace(ws.id, { autoDestroyInactivity: '366d' }), ['auto_destroy_inactivity'], /at most 365d/],
      [api.client.setWorkspace(ws.id, { autoDestroyInactivity: '0s' }), ['auto_destroy_inactivity'], /greater than zero/],
      [api.client.claim({ template: 'devbox', preset: 'us-nix', autoDestroyAt: 'soon' }), ['auto_destroy_at'], /RFC 3339/],
      [api.client.claim({ template: 'devbox', preset: 'us-nix', autoDestroyInactivity: '8 hours' }), ['auto_destroy_inactivity'], /invalid duration|unknown unit/],
    ];
    for (const [call, path, message] of cases) {
      const errors = await validationErrors(call);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.deepEqual(errors[0].path, path);
      assert.match(errors[0].message, message);
    }
    const both = await validationErrors(api.client.setWorkspace('', { autoDestroyAt: 'x', autoDestroyInactivity: 'y' }));
    assert.deepEqual(both.map((e) => e.path), [['id'], ['auto_destroy_at'], ['auto_destroy_inactivity']], 'every problem at once');
    assert.equal(api.fake.calls.length, before);
  });

  test('an auto_destroy_at in the past is the service\'s INVALID_ARGUMENT, with its field path intact', async () => {
    const past = formatInstant(WS_NOW - 1000);
    const errors = await validationErrors(api.client.setWorkspace(ws.id, { autoDestroyAt: past }));
    assert.deepEqual(errors, [{ path: ['auto_destroy_at'], message: `must be in the future, got "${past}"` }]);
    assert.equal(api.fake.workspaces.get(ws.id)?.autoDestroyAt, null, 'nothing changed');
    const claimErrors = await validationErrors(api.client.claim({ template: 'devbox', preset: 'us-nix', autoDestroyAt: past }));
    assert.deepEqual(claimErrors.map((e) => e.path), [['auto_destroy_at']]);
    assert.equal(api.fake.instances.get(pool)?.owner, null, 'the pool instance was not handed out');
  });

  test('claim: the settings reach the service and the workspace comes back', async () => {
    api.fake.presets.set('devbox/us-nix', { id: 'devbox/us-nix' } as never);
    const at = formatInstant(WS_NOW + 2 * HOUR);
    const w = await api.client.claim({ template: 'devbox', preset: 'us-nix', owner: 'carol', autoDestroyAt: at, autoDestroyInactivity: '2h' });
    assert.deepEqual(lastCall(), {
      method: 'claim',
      args: [{ template: 'devbox', preset: 'us-nix', owner: 'carol', autoDestroyAt: at, autoDestroyInactivity: '2h' }],
    });
    assert.deepEqual(w, api.fake.workspaces.get(pool));
    assert.deepEqual([w.owner, w.autoDestroyAt, w.autoDestroyInactivityMs], ['carol', WS_NOW + 2 * HOUR, 2 * HOUR]);
  });

  test('the claim response still carries the bare instance for older clients', async () => {
    api.fake.presets.set('devbox/us-nix', { id: 'devbox/us-nix' } as never);
    const r = await rawCall(api.endpoint, pb.Prewarm.method.claim, { template: 'devbox', preset: 'us-nix', owner: 'dave' }, `Bearer ${TOKEN}`);
    assert.equal(r.err, null);
    assert.equal(r.res?.instance?.id, pool);
    assert.equal(r.res?.instance?.owner, 'dave');
    assert.equal(r.res?.workspace?.instance?.id, pool);
  });

  test('explain: the outlook and the instant reach the client; --at reaches the service', async () => {
    api.fake.outlook = {
      at: WS_NOW,
      next: null,
      rules: [{ rule: 'autostop', action: 'stop', at: WS_NOW + 8 * HOUR, detail: 'autostop_after 8h since the claim' }],
    };
    const r = await api.client.explainWorkspace(ws.name);
    assert.deepEqual(lastCall(), { method: 'explainWorkspace', args: [ws.name, undefined] });
    assert.deepEqual(r, { workspace: ws, outlook: api.fake.outlook });
    const later = await api.client.explainWorkspace(ws.id, WS_NOW + HOUR);
    assert.deepEqual(lastCall(), { method: 'explainWorkspace', args: [ws.id, WS_NOW + HOUR] });
    assert.equal(later.outlook.at, WS_NOW + HOUR);
    await assert.rejects(api.client.explainWorkspace('nope-nope'), NotFoundError);
    assert.deepEqual((await validationErrors(api.client.explainWorkspace('')))[0].path, ['id']);
  });

  test('ids are checked at the wire for every workspace RPC', async () => {
    const before = api.fake.calls.length;
    for (const call of [
      api.client.getWorkspace(''),
      api.client.workspaceOp(' ', 'start'),
      api.client.workspaceOp('', 'stop'),
      api.client.workspaceOp('', 'delete'),
      api.client.reportActivity('x'.repeat(10_000)),
      api.client.setWorkspace('a\nb', {}),
    ]) {
      const errors = await validationErrors(call);
      assert.deepEqual(errors.map((e) => e.path), [['id']]);
    }
    assert.equal(api.fake.calls.length, before);
  });

  test('an unexpected service error is a generic INTERNAL', async () => {
    api.fake.failWith = new Error('SQLITE_BUSY at /var/lib/prewarm/db');
    await assert.rejects(api.client.listWorkspaces({}), (e: unknown) => e instanceof Error && /internal error in the prewarm controller/.test(e.message) && !/SQLITE/.test(e.message));
  });
});

/**
 * The life of a workspace end to end: a real controller (SQLite, the example localdir driver, the gRPC API) on a
 * fake clock, so hours of policy pass in milliseconds while every driver operation runs for real. The loops'
 * timers never fire on their own here: each step moves the clock and runs one tick, then waits for the driver.
 */
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { createClient, type PrewarmClient } from '../../controller/api/client';
import type { WorkspaceRecord } from '../../controller/domain/workspace';
import type { SqlStore } from '../../controller/store/store';
import { startTestController, type TestController } from '../helpers/controller';
import { FakeClock } from '../helpers/fake-clock';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { waitFor } from '../helpers/wait';

const T0 = Date.parse('2026-12-07T09:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

let clock: FakeClock;
let ctl: TestController;
let client: PrewarmClient;

beforeEach(async () => {
  clock = new FakeClock(T0);
  ctl = await startTestController({}, { clock });
  client = createClient({ endpoint: `127.0.0.1:${ctl.running.apiPort}`, token: ctl.token });
  await client.putTemplate(
    templateSpec({
      name: 'devbox',
      driver: 'localdir',
      config: {},
      lifecycle_policy: { autostop_after: '1h', autostop_reminder: '10m', stopped_ttl: '2h', auto_destroy_reminder: '30m' },
    }),
  );
  await client.putPreset(poolSpec('small', 2, { template: 'devbox' }));
  await ctl.running.reconciler.tick();
  await waitFor('a ready pool', async () => (await client.listInstances({ presetId: 'devbox/small', state: 'ready' })).length === 2);
});

afterEach(async () => {
  client.close();
  await ctl.stop();
});

async function tickAt(at: number): Promise<void> {
  clock.set(at);
  await ctl.running.lifecycle.tick();
}

async function settled(id: string, state: string): Promise<WorkspaceRecord> {
  return waitFor(`workspace ${id} ${state}`, async () => {
    const w = await client.getWorkspace(id);
    return w.state === state ? w : false;
  });
}

function outbox(): Promise<Array<{ dedupe_key: string; kind: string }>> {
  return (ctl.running.store as SqlStore).db.selectFrom('notifications').select(['dedupe_key', 'kind']).orderBy('id').execute();
}

test('autostop with a reminder per deadline, activity moving the deadline, then stopped-TTL delete and archive', async () => {
  const w = await client.claim({ template: 'devbox', preset: 'small', owner: 'alice' });
  expect(w.state).toBe('claimed');
  expect(w.deadline).toBe(T0 + HOUR);

  // explain shows what the ticks below will do, and when.
  const outlook = (await client.explainWorkspace(w.id)).outlook;
  expect(outlook.rules.find((r) => r.rule === 'autostop')?.at).toBe(T0 + HOUR);
  expect(outlook.rules.find((r) => r.rule === 'autostop_reminder')?.at).toBe(T0 + 50 * MIN);
  expect((await client.explainWorkspace(w.id, T0 + 50 * MIN)).outlook.next?.rule).toBe('autostop_reminder');
  expect((await client.explainWorkspace(w.id, T0 + HOUR)).outlook.next?.rule).toBe('autostop');

  await tickAt(T0 + 49 * MIN); // before the reminder lead
  expect(await outbox()).toEqual([]);
  await tickAt(T0 + 50 * MIN);
  await tickAt(T0 + 51 * MIN); // the marker holds: no second reminder for the same deadline
  expect((await outbox()).map((n) => n.dedupe_key)).toEqual([`autostop-reminder:${w.id}:${T0 + HOUR}`]);

  clock.set(T0 + 55 * MIN);
  const bumped = await client.reportActivity(w.id);
  expect(bumped.deadline).toBe(T0 + 55 * MIN + HOUR);
  await tickAt(T0 + 55 * MIN + 50 * MIN); // the moved deadline re-arms the reminder
  expect((await outbox()).map((n) => n.kind)).toEqual(['workspace_autostop_reminder', 'workspace_autostop_reminder']);

  await tickAt(T0 + 55 * MIN + HOUR);
  const stopped = await settled(w.id, 'stopped');
  expect(stopped.deadline).toBeNull();
  expect((await outbox()).map((n) => n.kind)).toContain('workspace_autostopped');

  await tickAt(stopped.stoppedAt! + 2 * HOUR - 1);
  expect((await client.getWorkspace(w.id)).state).toBe('stopped');
  await tickAt(stopped.stoppedAt! + 2 * HOUR);
  const archived = await settled(w.id, 'archived');
  expect(archived.destroyReason).toBe('stopped_ttl');
  expect((await outbox()).map((n) => n.kind)).toContain('workspace_deleted');

  // History is kept, and an archived workspace cannot be started.
  expect((await client.listWorkspaces({ archived: true })).map((x) => x.id)).toContain(w.id);
  expect((await client.listWorkspaces({})).map((x) => x.id)).not.toContain(w.id);
  await expect(client.workspaceOp(w.id, 'start')).rejects.toThrow(/archived/);
});

test('a user stop and start: the start clears dormancy and sets a fresh deadline', async () => {
  const w = await client.claim({ template: 'devbox', preset: 'small', owner: 'bob' });
  clock.set(T0 + 10 * MIN);
  expect((await client.workspaceOp(w.id, 'stop')).state).toBe('stopping');
  await settled(w.id, 'stopped');
  expect((await client.workspaceOp(w.id, 'stop')).state).toBe('stopped'); // idempotent
  clock.set(T0 + 20 * MIN);
  expect((await client.workspaceOp(w.id, 'start')).state).toBe('starting');
  const running = await settled(w.id, 'claimed');
  expect(running.deadline).toBe(T0 + 20 * MIN + HOUR);
  expect(running.dormantAt).toBeNull();
});

test('auto-destroy at an instant: a reminder first, then the destroy archives and reports; the instant is one-shot', async () => {
  const at = new Date(T0 + 3 * HOUR).toISOString();
  const w = await client.claim({ template: 'devbox', preset: 'small', owner: 'carol', autoDestroyAt: at });
  expect(w.autoDestroyAt).toBe(T0 + 3 * HOUR);
  // Keep it running past autostop so auto-destroy is what fires.
  for (const t of [T0 + 50 * MIN, T0 + 100 * MIN, T0 + 150 * MIN]) {
    clock.set(t);
    await client.reportActivity(w.id);
  }
  await tickAt(T0 + 2 * HOUR + 31 * MIN);
  expect((await outbox()).map((n) => n.dedupe_key)).toContain(`auto-destroy-reminder:${w.id}:${T0 + 3 * HOUR}`);
  await tickAt(T0 + 3 * HOUR);
  const archived = await settled(w.id, 'archived');
  expect(archived.destroyReason).toBe('auto_destroy_at');
  expect(archived.autoDestroyAt).toBeNull();
  expect((await outbox()).map((n) => n.kind)).toContain('workspace_auto_destroy_result');
});

test('bad input changes nothing: a past instant, a duration without a unit, activity on a pool instance', async () => {
  await expect(client.claim({ template: 'devbox', preset: 'small', owner: 'dave', autoDestroyAt: new Date(T0 - 1000).toISOString() })).rejects.toThrow(
    /auto_destroy_at/,
  );
  await expect(client.claim({ template: 'devbox', preset: 'small', owner: 'dave', autoDestroyInactivity: '8' })).rejects.toThrow(/auto_destroy_inactivity/);
  // The failed claims took nothing from the pool.
  const pool = await client.listInstances({ presetId: 'devbox/small', state: 'ready' });
  expect(pool).toHaveLength(2);
  await expect(client.reportActivity(pool[0].id)).rejects.toThrow(/pool/);
  await expect(client.getWorkspace('00000000-0000-0000-0000-000000000000')).rejects.toThrow(/no instance/);
  const w = await client.claim({ template: 'devbox', preset: 'small', owner: 'dave' });
  await expect(client.setWorkspace(w.id, { autoDestroyInactivity: '400d' })).rejects.toThrow(/365d/);
  await expect(client.setWorkspace(w.id, { autoDestroyInactivity: '10m' })).rejects.toThrow(/auto_destroy_reminder/);
  expect((await client.getWorkspace(w.id)).autoDestroyInactivityMs).toBeNull();
});

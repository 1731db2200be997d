/**
 * The store's workspace layer on a real SQLite file: claims that copy the template's policy, the lifecycle mirror,
 * claim-then-act on revisions, user operations, activity and job results.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import { ConflictError, NotFoundError } from '../../../controller/domain/errors';
import type { LifecycleAction, WorkspaceRecord, WorkspaceView } from '../../../controller/domain/workspace';
import { autostopped, autostopReminder, dormant } from '../../../controller/domain/workspace-notifications';
import { WORKSPACE_DELETE_ATTEMPTS } from '../../../controller/domain/limits';
import { planLifecycle } from '../../../controller/lifecycle';
import type { SqlStore } from '../../../controller/store/store';
import { FakeClock } from '../../helpers/fake-clock';
import { tempStore, sqliteOnly } from '../../helpers/store';
import { claimedWorkspace, DAY, fail, HOUR, MIN, ok, readyInstances, runJob, workspaceFixture } from '../../helpers/workspace-store';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const policy = { autostop_after: '8h', autostop_reminder: '30m', stopped_ttl: '1d', dormant_after: '7d', dormant_delete_after: '14d', auto_destroy_reminder: '1h' };

let store: SqlStore;
let clock: FakeClock;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  clock = new FakeClock(T0);
  ({ store, cleanup } = await tempStore(clock));
  await workspaceFixture(store, policy, T0);
});
afterEach(() => cleanup());

/** deepEqual across realms: better-sqlite3 builds its arrays and rows outside jest's sandbox. */
const same = (actual: unknown, expected: unknown, message?: string) =>
  assert.deepEqual(JSON.parse(JSON.stringify(actual) ?? 'null'), JSON.parse(JSON.stringify(expected) ?? 'null'), message);
const row = (id: string) => store.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const jobsOf = (id: string) => store.db.selectFrom('jobs').selectAll().where('instance_id', '=', id).orderBy('id').execute();
const outbox = () => store.db.selectFrom('notifications').selectAll().orderBy('id').execute();
async function view(id: string, now = T0): Promise<WorkspaceView> {
  const v = (await store.readWorkspaces(now)).workspaces.find((w) => w.id === id);
  if (!v) throw new Error(`no view of ${id}`);
  return v;
}

describe('claim', () => {
  test('copies the template policy, sets last_used_at, the deadline and the destroy settings in the claim itself', async () => {
    const w = await claimedWorkspace(store, T0, { autoDestroyAt: T0 + 3 * DAY, autoDestroyInactivityMs: 2 * DAY });
    assert.equal(w.state, 'claimed');
    assert.equal(w.owner, 'alice');
    assert.equal(w.lastUsedAt, T0);
    assert.equal(w.deadline, T0 + 8 * HOUR);
    assert.equal(w.autoDestroyAt, T0 + 3 * DAY);
    assert.equal(w.autoDestroyInactivityMs, 2 * DAY);
    same(w.policy, {
      autostopAfterMs: 8 * HOUR,
      autostopReminderMs: 30 * MIN,
      stoppedTtlMs: DAY,
      dormantAfterMs: 7 * DAY,
      dormantDeleteAfterMs: 14 * DAY,
      autoDestroyReminderMs: HOUR,
    });
  });

  test('a template without a policy gives a workspace without deadline or rules', async () => {
    await store.putTemplate({ name: 'devbox', driver: 'localdir', config: {} }, T0);
    const w = await claimedWorkspace(store, T0);
    assert.equal(w.deadline, null);
    assert.equal(w.policy.autostopAfterMs, null);
  });

  test('the policy at the moment of the claim: a later template change applies to later claims only', async () => {
    await readyInstances(store, 2, T0);
    const first = await store.claim({ presetId: 'devbox/ws', template: 'devbox', owner: 'a', now: T0 });
    await store.putTemplate({ name: 'devbox', driver: 'localdir', config: {}, lifecycle_policy: { autostop_after: '1h' } }, T0 + 1);
    const second = await store.claim({ presetId: 'devbox/ws', template: 'devbox', owner: 'b', now: T0 + 2 });
    assert.equal(first?.policy.autostopAfterMs, 8 * HOUR);
    assert.equal(second?.policy.autostopAfterMs, HOUR);
    assert.equal(second?.policy.stoppedTtlMs, null);
    assert.equal(second?.deadline, T0 + 2 + HOUR);
    assert.equal((await row(first!.id)).autostop_after_ms, 8 * HOUR, 'the running workspace keeps its rules');
  });

  test('batched claims (the hot path) set the lifecycle fields too', async () => {
    await readyInstances(store, 3, T0);
    const got = await Promise.all(
      ['a', 'b', 'c'].map((owner) => store.claim({ presetId: 'devbox/ws', template: 'devbox', owner, now: T0 + 5, autoDestroyInactivityMs: DAY })),
    );
    for (const w of got) {
      assert.equal(w?.deadline, T0 + 5 + 8 * HOUR);
      assert.equal(w?.autoDestroyInactivityMs, DAY);
      assert.equal(w?.lastUsedAt, T0 + 5);
    }
  });

  test('a fallback build carries owner, policy and settings; its deadline starts when it is ready', async () => {
    const { instance, jobId } = await store.insertClaimBuild('devbox/ws', 'bob', T0, { autoDestroyAt: T0 + DAY });
    assert.equal(instance.state, 'pending');
    assert.equal(instance.deadline, null);
    assert.equal(instance.autoDestroyAt, T0 + DAY);
    assert.equal(instance.policy.autostopAfterMs, 8 * HOUR);
    await runJob(store, jobId, ok({ host: 'h' }), T0 + 10 * MIN);
    const w = await store.getWorkspace(instance.id);
    assert.equal(w.state, 'claimed');
    assert.equal(w.deadline, T0 + 10 * MIN + 8 * HOUR);
    assert.equal(w.lastUsedAt, T0 + 10 * MIN);
    same(w.attributes, { host: 'h' });
  });

  test('a failed fallback build is failed, as before', async () => {
    const { instance, jobId } = await store.insertClaimBuild('devbox/ws', 'bob', T0);
    await runJob(store, jobId, fail('no capacity'), T0 + MIN);
    const w = await store.getWorkspace(instance.id);
    assert.equal(w.state, 'failed');
    assert.equal(w.error, 'no capacity');
  });
});

describe('reads', () => {
  test('getWorkspace by id, prefix or name; a pool instance is a conflict; unknown is not found', async () => {
    const w = await claimedWorkspace(store, T0);
    assert.equal((await store.getWorkspace(w.id)).id, w.id);
    assert.equal((await store.getWorkspace(w.id.slice(0, 8))).id, w.id);
    assert.equal((await store.getWorkspace(w.name)).id, w.id);
    const [pool] = await readyInstances(store, 1, T0);
    await assert.rejects(store.getWorkspace(pool), (err: Error) => err instanceof ConflictError && /belongs to the pool \(unclaimed\)/.test(err.message));
    await assert.rejects(store.getWorkspace('ffffffff-0000-0000-0000-000000000000'), NotFoundError);
  });

  test('listWorkspaces: owner and preset filters, oldest claim first, archived only when asked', async () => {
    const a = await claimedWorkspace(store, T0 + 2, { owner: 'alice' });
    const b = await claimedWorkspace(store, T0 + 1, { owner: 'bob' });
    const c = await claimedWorkspace(store, T0 + 3, { owner: 'alice' });
    await readyInstances(store, 1, T0); // a pool instance is never listed
    same((await store.listWorkspaces({})).map((w) => w.id), [b.id, a.id, c.id]);
    same((await store.listWorkspaces({ owner: 'alice' })).map((w) => w.id), [a.id, c.id]);
    same((await store.listWorkspaces({ presetId: 'devbox/other' })).map((w) => w.id), []);
    const { jobId } = await store.requestWorkspaceOp(a.id, 'delete', T0 + 10);
    await runJob(store, jobId!, ok(), T0 + 11);
    same((await store.listWorkspaces({})).map((w) => w.id), [b.id, c.id]);
    const all = await store.listWorkspaces({ archived: true });
    same(all.map((w) => w.id), [b.id, a.id, c.id]);
    assert.equal(all[1].state, 'archived');
    assert.equal(all[1].archivedAt, T0 + 11);
  });

  sqliteOnly('the owner filter uses the partial owner index', async () => {
    const rows = await store.db
      .selectFrom('instances')
      .select('id')
      .where('owner', 'is not', null)
      .where('owner', '=', 'x')
      .compile();
    const plan = await store.db.executeQuery<{ detail: string }>({ ...rows, sql: `explain query plan ${rows.sql}` } as never);
    assert.match(plan.rows.map((r) => r.detail).join('\n'), /instances_owner/);
  });
});

describe('readWorkspaces (the mirror)', () => {
  test('only owned, live rows; sees rows written after the first read; forgets archived ones; marks jobs in flight', async () => {
    const w = await claimedWorkspace(store, T0);
    await readyInstances(store, 2, T0);
    const first = await store.readWorkspaces(T0);
    same(first.workspaces.map((v) => v.id), [w.id]);
    assert.equal(first.now, T0);

    const later = await claimedWorkspace(store, T0 + 1, { owner: 'bob' });
    const second = await store.readWorkspaces(T0 + 2);
    same(second.workspaces.map((v) => v.id).sort(), [w.id, later.id].sort());
    same(first.workspaces.map((v) => v.id), [w.id], 'an earlier snapshot keeps its list');

    const { jobId } = await store.requestWorkspaceOp(w.id, 'delete', T0 + 3);
    const deleting = await view(w.id, T0 + 3);
    assert.equal(deleting.state, 'deleting');
    assert.equal(deleting.jobInFlight, true);
    await runJob(store, jobId!, ok(), T0 + 4);
    const third = await store.readWorkspaces(T0 + 5);
    same(third.workspaces.map((v) => v.id), [later.id]);
    assert.equal(third.workspaces[0].jobInFlight, false);
  });

  test('a view carries everything the core reads, with the row revision', async () => {
    const w = await claimedWorkspace(store, T0, { autoDestroyInactivityMs: 2 * DAY });
    const v = await view(w.id);
    const r = await row(w.id);
    assert.equal(v.rev, Number(r.rev));
    assert.equal(v.owner, 'alice');
    assert.equal(v.presetId, 'devbox/ws');
    assert.equal(v.deadline, T0 + 8 * HOUR);
    assert.equal(v.lastUsedAt, T0);
    assert.equal(v.claimedAt, T0);
    assert.equal(v.autoDestroyInactivityMs, 2 * DAY);
    assert.equal(v.policy.stoppedTtlMs, DAY);
    assert.equal(v.deleteAttempts, 0);
  });

  test('unchanged rows are not re-read: a view object stays the same between reads', async () => {
    const a = await claimedWorkspace(store, T0);
    const b = await claimedWorkspace(store, T0, { owner: 'bob' });
    const va = await view(a.id);
    const vb = await view(b.id);
    await store.reportActivity(b.id, T0 + MIN);
    assert.equal(await view(a.id), va, 'a is untouched');
    assert.notEqual(await view(b.id), vb, 'b changed and was re-read');
    assert.equal((await view(b.id)).lastUsedAt, T0 + MIN);
  });

  test('a row that loses its owner leaves the mirror', async () => {
    const a = await claimedWorkspace(store, T0);
    await view(a.id);
    await store.db.updateTable('instances').set({ owner: null }).where('id', '=', a.id).execute();
    same((await store.readWorkspaces(T0)).workspaces, []);
  });

  test('readWorkspace: one workspace as the mirror maps it, with its job in flight; null for pool, archived or unknown ids', async () => {
    const w = await claimedWorkspace(store, T0, { autoDestroyInactivityMs: 2 * DAY });
    const other = await claimedWorkspace(store, T0, { owner: 'bob' });
    same(await store.readWorkspace(w.id, T0), await view(w.id));
    same(await store.readWorkspace(other.id, T0), await view(other.id));

    const { jobId } = await store.requestWorkspaceOp(w.id, 'delete', T0 + 1);
    const deleting = await store.readWorkspace(w.id, T0 + 1);
    same([deleting?.state, deleting?.jobInFlight], ['deleting', true]);
    same(deleting, await view(w.id, T0 + 1));
    assert.equal((await store.readWorkspace(other.id, T0 + 1))?.jobInFlight, false, "another workspace's job is not this one's");

    await runJob(store, jobId!, ok(), T0 + 2);
    assert.equal(await store.readWorkspace(w.id, T0 + 2), null, 'archived');
    const [pool] = await readyInstances(store, 1, T0);
    assert.equal(await store.readWorkspace(pool, T0), null, 'a pool instance');
    assert.equal(await store.readWorkspace('00000000-0000-0000-0000-000000000000', T0), null, 'unknown');
    const byName = (await row(other.id)).name;
    assert.equal(await store.readWorkspace(byName, T0), null, 'an id, not a name or prefix');
  });

  test('a periodic full reload rebuilds the mirror', async () => {
    const a = await claimedWorkspace(store, T0);
    const va = await view(a.id);
    clock.advance(16 * MIN);
    const again = await view(a.id);
    assert.notEqual(again, va);
    same(again, va);
  });
});

function stopAction(v: WorkspaceView, rule: 'autostop' | 'dormancy' = 'autostop'): LifecycleAction {
  const notification = rule === 'autostop' ? autostopped(v, v.deadline!, T0) : dormant(v, v.lastUsedAt!, T0, null, true);
  return { kind: 'stop', rule, workspaceId: v.id, rev: v.rev, notification };
}

describe('applyLifecycle (claim, then act)', () => {
  test('stop: state, job intent and outbox row together; the job id comes back', async () => {
    const w = await claimedWorkspace(store, T0);
    const v = await view(w.id);
    const [applied] = await store.applyLifecycle([stopAction(v)], T0 + 9 * HOUR);
    assert.equal(applied.applied, true);
    assert.ok(applied.jobId !== null);
    assert.equal((await row(w.id)).state, 'stopping');
    const jobs = await jobsOf(w.id);
    same(jobs.at(-1), { ...jobs.at(-1)!, id: applied.jobId, op: 'stop', state: 'pending' });
    const rows = await outbox();
    same(rows.map((n) => [n.dedupe_key, n.kind]), [[`autostop:${w.id}:${T0 + 8 * HOUR}`, 'workspace_autostopped']]);
    assert.equal(JSON.parse(rows[0].payload).subject.id, w.id);
  });

  test('a revision mismatch applies nothing and writes nothing', async () => {
    const w = await claimedWorkspace(store, T0);
    const v = await view(w.id);
    await store.reportActivity(w.id, T0 + MIN); // any write since the snapshot
    const before = await jobsOf(w.id);
    const [applied] = await store.applyLifecycle([stopAction(v)], T0 + 9 * HOUR);
    same([applied.applied, applied.jobId], [false, null]);
    assert.equal((await row(w.id)).state, 'claimed');
    same(await jobsOf(w.id), before);
    same(await outbox(), []);
  });

  test('a pool instance is never touched, whatever revision an action carries', async () => {
    const [pool] = await readyInstances(store, 1, T0);
    const r = await row(pool);
    const action: LifecycleAction = { kind: 'mark_dormant', rule: 'dormancy', workspaceId: pool, rev: Number(r.rev), notification: dormant({ id: pool, name: r.name, owner: 'x', presetId: r.preset_id }, T0, T0, null, false) };
    const [applied] = await store.applyLifecycle([action], T0);
    assert.equal(applied.applied, false);
    assert.equal((await row(pool)).dormant_at, null);
  });

  test('dormancy: a running workspace stops and is marked dormant; a stopped one is only marked', async () => {
    const running = await claimedWorkspace(store, T0);
    const stopped = await claimedWorkspace(store, T0, { owner: 'bob' });
    const { jobId } = await store.requestWorkspaceOp(stopped.id, 'stop', T0);
    await runJob(store, jobId!, ok(), T0);
    const now = T0 + 8 * DAY;
    const vs = await view(stopped.id, now);
    const applied = await store.applyLifecycle(
      [
        stopAction(await view(running.id, now), 'dormancy'),
        { kind: 'mark_dormant', rule: 'dormancy', workspaceId: vs.id, rev: vs.rev, notification: dormant(vs, T0, now, now + 14 * DAY, false) },
      ],
      now,
    );
    same(applied.map((a) => [a.applied, a.jobId === null]), [[true, false], [true, true]]);
    same([(await row(running.id)).state, (await row(running.id)).dormant_at], ['stopping', now]);
    same([(await row(stopped.id)).state, (await row(stopped.id)).dormant_at], ['stopped', now]);
    assert.equal((await outbox()).length, 2);
  });

  test('a failed dormancy stop undoes its dormancy mark: the core decides the dormancy stop again after the backoff', async () => {
    const w = await claimedWorkspace(store, T0);
    const now = T0 + 8 * DAY;
    const [planned] = planLifecycle(await store.readWorkspaces(now));
    same([planned.kind, planned.rule], ['stop', 'dormancy']);
    const [applied] = await store.applyLifecycle([planned], now);
    same([(await row(w.id)).state, (await row(w.id)).dormant_at], ['stopping', now]);

    await runJob(store, applied.jobId!, fail('stuck'), now + 1);
    const r = await row(w.id);
    same([r.state, r.dormant_at, r.next_attempt_at], ['claimed', null, now + 1 + MIN], 'running again, not dormant, backing off');
    same(planLifecycle(await store.readWorkspaces(now + MIN)), [], 'held during the backoff');

    const later = now + 2 * MIN;
    const [again] = planLifecycle(await store.readWorkspaces(later));
    same([again.kind, again.rule, again.workspaceId], ['stop', 'dormancy', w.id]);
    const [retried] = await store.applyLifecycle([again], later);
    assert.equal(retried.applied, true);
    same([(await row(w.id)).state, (await row(w.id)).dormant_at], ['stopping', later]);
    assert.equal((await outbox()).length, 1, 'the dormancy notification is not sent twice');
  });

  test('a failed stop keeps a dormancy mark it did not set', async () => {
    const w = await claimedWorkspace(store, T0);
    await store.db.updateTable('instances').set({ dormant_at: T0 + 5 }).where('id', '=', w.id).execute();
    const { jobId } = await store.requestWorkspaceOp(w.id, 'stop', T0 + 10);
    await runJob(store, jobId!, fail('stuck'), T0 + 11);
    same([(await row(w.id)).state, (await row(w.id)).dormant_at], ['claimed', T0 + 5]);
  });

  test('delete: deleting with its reason; auto_destroy_at is spent; a retry keeps attempts and the start instant', async () => {
    const w = await claimedWorkspace(store, T0, { autoDestroyAt: T0 + DAY });
    const v = await view(w.id, T0 + DAY);
    const [applied] = await store.applyLifecycle(
      [{ kind: 'delete', rule: 'auto_destroy_at', reason: 'auto_destroy_at', workspaceId: w.id, rev: v.rev, notification: null }],
      T0 + DAY,
    );
    assert.equal(applied.applied, true);
    let r = await row(w.id);
    same([r.state, r.destroy_reason, r.auto_destroy_at, r.deleting_at, r.delete_attempts], ['deleting', 'auto_destroy_at', null, T0 + DAY, 0]);
    same((await jobsOf(w.id)).filter((j) => j.op === 'delete').map((j) => j.id), [applied.jobId]);

    await runJob(store, applied.jobId!, fail(), T0 + DAY + 1);
    r = await row(w.id);
    same([r.state, r.delete_attempts, r.next_attempt_at], ['deleting', 1, T0 + DAY + 1 + MIN]);
    const retryAt = T0 + DAY + 2 * MIN;
    const vr = await view(w.id, retryAt);
    const [retry] = await store.applyLifecycle(
      [{ kind: 'delete', rule: 'delete_retry', reason: 'auto_destroy_at', workspaceId: w.id, rev: vr.rev, notification: null }],
      retryAt,
    );
    assert.equal(retry.applied, true);
    r = await row(w.id);
    same([r.state, r.delete_attempts, r.next_attempt_at, r.deleting_at, r.destroy_reason], ['deleting', 1, null, T0 + DAY, 'auto_destroy_at']);
  });

  test('a reminder applied twice writes one outbox row and one marker', async () => {
    const w = await claimedWorkspace(store, T0);
    const now = T0 + 8 * HOUR - 20 * MIN;
    const v = await view(w.id, now);
    const action: LifecycleAction = { kind: 'remind', rule: 'autostop_reminder', marker: v.deadline!, workspaceId: w.id, rev: v.rev, notification: autostopReminder(v, v.deadline!, now) };
    const first = await store.applyLifecycle([action], now);
    const second = await store.applyLifecycle([action], now + 1);
    same([first[0].applied, second[0].applied], [true, false]);
    assert.equal((await row(w.id)).reminded_deadline, T0 + 8 * HOUR);
    assert.equal((await outbox()).length, 1);
    // Even at the current revision (another replica decided the same), the dedupe key stores it once.
    const v2 = await view(w.id, now + 2);
    const again = await store.applyLifecycle([{ ...action, rev: v2.rev }], now + 2);
    assert.equal(again[0].applied, true);
    assert.equal((await outbox()).length, 1);
  });

  test('auto-destroy reminder sets its own marker', async () => {
    const w = await claimedWorkspace(store, T0, { autoDestroyAt: T0 + DAY });
    const v = await view(w.id);
    const [a] = await store.applyLifecycle(
      [{ kind: 'remind', rule: 'auto_destroy_reminder', marker: T0 + DAY, workspaceId: w.id, rev: v.rev, notification: autostopReminder(v, T0 + DAY, T0) }],
      T0,
    );
    assert.equal(a.applied, true);
    const r = await row(w.id);
    same([r.destroy_reminded_at, r.reminded_deadline], [T0 + DAY, null]);
  });

  test("one action's failure does not undo the others", async () => {
    const a = await claimedWorkspace(store, T0);
    const b = await claimedWorkspace(store, T0, { owner: 'bob' });
    const va = await view(a.id);
    const vb = await view(b.id);
    // A payload that cannot be serialized makes the outbox insert throw after the row moved.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: LifecycleAction = { ...stopAction(va), notification: { key: 'bad', event: 'workspace_autostopped', payload: cyclic } };
    const applied = await store.applyLifecycle([bad, stopAction(vb)], T0 + 9 * HOUR);
    same(applied.map((x) => x.applied), [false, true]);
    assert.match(applied[0].error ?? '', /circular/i);
    assert.equal((await row(a.id)).state, 'claimed', 'the failed action left nothing behind');
    same((await jobsOf(a.id)).filter((j) => j.op === 'stop'), []);
    assert.equal((await row(b.id)).state, 'stopping');
  });

  test('a crash between the intent and the driver leaves a pending job that unfinishedJobs returns', async () => {
    const w = await claimedWorkspace(store, T0);
    const [applied] = await store.applyLifecycle([stopAction(await view(w.id))], T0 + 9 * HOUR);
    const unfinished = await store.unfinishedJobs(10);
    same(unfinished.map((j) => [j.id, j.op, j.state]), [[applied.jobId, 'stop', 'pending']]);
  });

  test('unfinishedJobs: the oldest `limit` pending or running jobs, with only what re-driving needs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await claimedWorkspace(store, T0, { owner: `u${i}` })).id);
    const applied = await store.applyLifecycle((await store.readWorkspaces(T0 + 9 * HOUR)).workspaces.map((v) => stopAction(v)), T0 + 9 * HOUR);
    const [j0, j1, j2, j3] = applied.map((a) => a.jobId!);
    await runJob(store, j0, ok(), T0 + 9 * HOUR);
    await store.startJob(j1, T0 + 9 * HOUR);
    same(await store.unfinishedJobs(2), [
      { id: j1, op: 'stop', state: 'running', attempt: 1, instance_id: applied[1].action.workspaceId },
      { id: j2, op: 'stop', state: 'pending', attempt: 0, instance_id: applied[2].action.workspaceId },
    ]);
    same((await store.unfinishedJobs(100)).map((j) => j.id), [j1, j2, j3]);
    same(await store.unfinishedJobs(0), []);
  });

  // 300 workspaces take about 1,500 transactions to set up; on PostgreSQL beside another suite that is seconds.
  test('many actions over several chunks all apply', async () => {
    await readyInstances(store, 300, T0);
    for (let i = 0; i < 300; i++) assert.ok(await store.claim({ presetId: 'devbox/ws', template: 'devbox', owner: `u${i}`, now: T0 }));
    const snap = await store.readWorkspaces(T0 + 9 * HOUR);
    const applied = await store.applyLifecycle(snap.workspaces.map((v) => stopAction(v)), T0 + 9 * HOUR);
    assert.equal(applied.filter((a) => a.applied).length, 300);
    assert.equal(new Set(applied.map((a) => a.jobId)).size, 300);
  }, 30_000);
});

describe('user operations', () => {
  test('stop, then start: jobs, states and results', async () => {
    const w = await claimedWorkspace(store, T0);
    const stop = await store.requestWorkspaceOp(w.id, 'stop', T0 + HOUR);
    assert.equal(stop.record.state, 'stopping');
    assert.equal((await store.requestWorkspaceOp(w.id, 'stop', T0 + HOUR)).jobId, null, 'stopping: no-op');
    await runJob(store, stop.jobId!, ok(), T0 + HOUR + 1);
    let s = await store.getWorkspace(w.id);
    same([s.state, s.stoppedAt, s.deadline], ['stopped', T0 + HOUR + 1, null]);
    assert.equal((await store.requestWorkspaceOp(w.id, 'stop', T0 + HOUR)).jobId, null, 'stopped: no-op');

    const start = await store.requestWorkspaceOp(w.id, 'start', T0 + 2 * HOUR);
    assert.equal(start.record.state, 'starting');
    assert.equal((await store.requestWorkspaceOp(w.id, 'start', T0 + 2 * HOUR)).jobId, null, 'starting: no-op');
    await runJob(store, start.jobId!, ok({ host: 'new' }), T0 + 3 * HOUR);
    s = await store.getWorkspace(w.id);
    same([s.state, s.deadline, s.lastUsedAt, s.stoppedAt, s.dormantAt], ['claimed', T0 + 11 * HOUR, T0 + 3 * HOUR, null, null]);
    assert.equal((await store.requestWorkspaceOp(w.id, 'start', T0)).jobId, null, 'claimed: no-op');
  });

  test('a failed start goes back to stopped (not retried); a failed stop back to claimed with backoff', async () => {
    const w = await claimedWorkspace(store, T0);
    const stop = await store.requestWorkspaceOp(w.id, 'stop', T0);
    await runJob(store, stop.jobId!, fail('stuck'), T0 + 1);
    let r = await row(w.id);
    same([r.state, r.error, r.lifecycle_failures, r.next_attempt_at], ['claimed', 'stuck', 1, T0 + 1 + MIN]);
    const stop2 = await store.requestWorkspaceOp(w.id, 'stop', T0 + 2);
    await runJob(store, stop2.jobId!, fail('stuck'), T0 + 3);
    r = await row(w.id);
    same([r.lifecycle_failures, r.next_attempt_at], [2, T0 + 3 + 2 * MIN]);
    const stop3 = await store.requestWorkspaceOp(w.id, 'stop', T0 + 4);
    await runJob(store, stop3.jobId!, ok(), T0 + 5);
    r = await row(w.id);
    same([r.state, r.lifecycle_failures, r.next_attempt_at], ['stopped', 0, null]);

    const start = await store.requestWorkspaceOp(w.id, 'start', T0 + 6);
    await runJob(store, start.jobId!, fail('no host'), T0 + 7);
    r = await row(w.id);
    same([r.state, r.error, r.next_attempt_at], ['stopped', 'no host', null]);
  });

  test('refusals name the state and change nothing', async () => {
    const w = await claimedWorkspace(store, T0);
    const del = await store.requestWorkspaceOp(w.id, 'delete', T0);
    assert.equal(del.record.state, 'deleting');
    assert.equal(del.record.destroyReason, 'user');
    assert.equal((await store.requestWorkspaceOp(w.id, 'delete', T0)).jobId, null, 'deleting: no-op');
    await assert.rejects(store.requestWorkspaceOp(w.id, 'start', T0), /deleting/);
    await assert.rejects(store.requestWorkspaceOp(w.id, 'stop', T0), /deleting/);
    await runJob(store, del.jobId!, ok(), T0 + 1);
    await assert.rejects(store.requestWorkspaceOp(w.id, 'start', T0), (err: Error) => err instanceof ConflictError && /is archived/.test(err.message));
    assert.equal((await store.requestWorkspaceOp(w.id, 'delete', T0)).jobId, null, 'archived: no-op');

    const busy = await claimedWorkspace(store, T0, { owner: 'bob' });
    await store.requestWorkspaceOp(busy.id, 'stop', T0);
    await assert.rejects(store.requestWorkspaceOp(busy.id, 'delete', T0), /stopping: wait for the stop to finish/);
    await assert.rejects(store.requestWorkspaceOp(busy.id, 'start', T0), /stopping/);
    const { instance } = await store.insertClaimBuild('devbox/ws', 'carol', T0);
    await assert.rejects(store.requestWorkspaceOp(instance.id, 'delete', T0), /pending: wait for the build to finish/);
    assert.equal((await store.requestWorkspaceOp(instance.id, 'start', T0)).jobId, null, 'a build in progress: start is a no-op');

    const [pool] = await readyInstances(store, 1, T0);
    await assert.rejects(store.requestWorkspaceOp(pool, 'delete', T0), /belongs to the pool/);
    assert.equal((await row(pool)).state, 'ready');
  });

  test('a start racing a stopped-TTL delete: the start commits first, the delete applies nothing', async () => {
    const w = await claimedWorkspace(store, T0);
    const stop = await store.requestWorkspaceOp(w.id, 'stop', T0);
    await runJob(store, stop.jobId!, ok(), T0);
    const now = T0 + 2 * DAY;
    const v = await view(w.id, now);
    await store.requestWorkspaceOp(w.id, 'start', now);
    const [applied] = await store.applyLifecycle([{ kind: 'delete', rule: 'stopped_ttl', reason: 'stopped_ttl', workspaceId: w.id, rev: v.rev, notification: null }], now);
    assert.equal(applied.applied, false);
    same((await jobsOf(w.id)).filter((j) => j.op === 'delete'), []);
    assert.equal((await row(w.id)).state, 'starting');
  });

  test('a start racing a stopped-TTL delete: the delete commits first, the start is refused', async () => {
    const w = await claimedWorkspace(store, T0);
    const stop = await store.requestWorkspaceOp(w.id, 'stop', T0);
    await runJob(store, stop.jobId!, ok(), T0);
    const now = T0 + 2 * DAY;
    const v = await view(w.id, now);
    const [applied] = await store.applyLifecycle([{ kind: 'delete', rule: 'stopped_ttl', reason: 'stopped_ttl', workspaceId: w.id, rev: v.rev, notification: null }], now);
    assert.equal(applied.applied, true);
    await assert.rejects(store.requestWorkspaceOp(w.id, 'start', now), /deleting/);
    same((await jobsOf(w.id)).filter((j) => j.op === 'start'), []);
  });

  test('a user delete of a failed workspace starts again with zero attempts', async () => {
    const w = await claimedWorkspace(store, T0);
    const del = await store.requestWorkspaceOp(w.id, 'delete', T0);
    await runJob(store, del.jobId!, fail('boom'), T0 + 1);
    let r = await row(w.id);
    same([r.state, r.delete_attempts, r.next_attempt_at], ['failed', 1, null], 'a user delete fails at once, not retried');
    same(await outbox(), [], 'a user delete reports to its caller, not the outbox');
    const again = await store.requestWorkspaceOp(w.id, 'delete', T0 + 2);
    assert.ok(again.jobId !== null);
    r = await row(w.id);
    same([r.state, r.delete_attempts], ['deleting', 0]);
  });
});

describe('activity', () => {
  test('moves last_used_at and the deadline later, never earlier; clears dormancy', async () => {
    const w = await claimedWorkspace(store, T0);
    await store.db.updateTable('instances').set({ dormant_at: T0 }).where('id', '=', w.id).execute();
    const a = await store.reportActivity(w.id, T0 + HOUR);
    same([a.lastUsedAt, a.deadline, a.dormantAt], [T0 + HOUR, T0 + 9 * HOUR, null]);
    // An earlier report (a replica with a slow clock) moves nothing back.
    const b = await store.reportActivity(w.id, T0 + 30 * MIN);
    same([b.lastUsedAt, b.deadline], [T0 + HOUR, T0 + 9 * HOUR]);
    // A deadline already later than now + autostop_after stays (a start set it so).
    await store.db.updateTable('instances').set({ deadline: T0 + 20 * HOUR }).where('id', '=', w.id).execute();
    const c = await store.reportActivity(w.id, T0 + 2 * HOUR);
    assert.equal(c.deadline, T0 + 20 * HOUR);
  });

  test('by name or prefix too; a stopped workspace records use but gets no deadline', async () => {
    const w = await claimedWorkspace(store, T0);
    assert.equal((await store.reportActivity(w.name, T0 + 1)).lastUsedAt, T0 + 1);
    assert.equal((await store.reportActivity(w.id.slice(0, 10), T0 + 2)).lastUsedAt, T0 + 2);
    const stop = await store.requestWorkspaceOp(w.id, 'stop', T0 + 3);
    await runJob(store, stop.jobId!, ok(), T0 + 3);
    const s = await store.reportActivity(w.id, T0 + 4);
    same([s.state, s.lastUsedAt, s.deadline], ['stopped', T0 + 4, null]);
  });

  test('on a pool instance or an archived, deleting or failed workspace: an error that changes nothing', async () => {
    const [pool] = await readyInstances(store, 1, T0);
    const poolBefore = await row(pool);
    await assert.rejects(store.reportActivity(pool, T0 + 1), (err: Error) => err instanceof ConflictError && /belongs to the pool \(unclaimed\); activity is reported for workspaces only/.test(err.message));
    same(await row(pool), poolBefore);

    const w = await claimedWorkspace(store, T0);
    const del = await store.requestWorkspaceOp(w.id, 'delete', T0);
    const deleting = await row(w.id);
    await assert.rejects(store.reportActivity(w.id, T0 + 1), /deleting/);
    same(await row(w.id), deleting);
    await runJob(store, del.jobId!, ok(), T0 + 2);
    const archived = await row(w.id);
    await assert.rejects(store.reportActivity(w.name, T0 + 3), /archived/);
    same(await row(w.id), archived);
    await assert.rejects(store.reportActivity('ffffffff-0000-0000-0000-000000000000', T0), NotFoundError);
  });

  test('32 concurrent reporters are batched and each gets its own record', async () => {
    const ws: WorkspaceRecord[] = [];
    for (let i = 0; i < 32; i++) ws.push(await claimedWorkspace(store, T0, { owner: `u${i}` }));
    const results = await Promise.all(ws.map((w, i) => store.reportActivity(w.id, T0 + i)));
    results.forEach((r, i) => {
      assert.equal(r.id, ws[i].id);
      assert.equal(r.lastUsedAt, T0 + i);
    });
  });
});

describe('setAutoDestroy', () => {
  test('sets, keeps and clears each field independently', async () => {
    const w = await claimedWorkspace(store, T0);
    let r = await store.setAutoDestroy(w.id, { autoDestroyAt: T0 + DAY }, T0);
    same([r.autoDestroyAt, r.autoDestroyInactivityMs], [T0 + DAY, null]);
    r = await store.setAutoDestroy(w.name, { autoDestroyInactivityMs: 3 * DAY }, T0);
    same([r.autoDestroyAt, r.autoDestroyInactivityMs], [T0 + DAY, 3 * DAY]);
    r = await store.setAutoDestroy(w.id, { autoDestroyAt: null }, T0);
    same([r.autoDestroyAt, r.autoDestroyInactivityMs], [null, 3 * DAY]);
  });

  test('refused for pool instances and archived workspaces', async () => {
    const [pool] = await readyInstances(store, 1, T0);
    await assert.rejects(store.setAutoDestroy(pool, { autoDestroyAt: T0 + DAY }, T0), /belongs to the pool/);
    const w = await claimedWorkspace(store, T0);
    const del = await store.requestWorkspaceOp(w.id, 'delete', T0);
    await runJob(store, del.jobId!, ok(), T0);
    await assert.rejects(store.setAutoDestroy(w.id, { autoDestroyAt: T0 + DAY }, T0), /archived/);
  });
});

describe('delete results', () => {
  async function policyDelete(reason: 'stopped_ttl' | 'auto_destroy_inactivity', now: number) {
    const w = await claimedWorkspace(store, T0);
    const v = await view(w.id, now);
    const [a] = await store.applyLifecycle([{ kind: 'delete', rule: reason, reason, workspaceId: w.id, rev: v.rev, notification: null }], now);
    return { w, jobId: a.jobId! };
  }

  test('success archives (history kept) with one result notification', async () => {
    const { w, jobId } = await policyDelete('auto_destroy_inactivity', T0 + DAY);
    await runJob(store, jobId, ok(), T0 + DAY + 1);
    const r = await row(w.id);
    same([r.state, r.archived_at, r.deleted_at], ['archived', T0 + DAY + 1, T0 + DAY + 1]);
    const rows = await outbox();
    same(rows.map((n) => [n.dedupe_key, n.kind]), [[`auto-destroy:${w.id}:${T0 + DAY}:1`, 'workspace_auto_destroy_result']]);
    assert.equal(JSON.parse(rows[0].payload).data.status, 'archived');
  });

  test(`the retry streak ends failed after ${WORKSPACE_DELETE_ATTEMPTS} attempts, one result notification per attempt, never archived`, async () => {
    const start = T0 + 2 * DAY;
    const { w, jobId } = await policyDelete('stopped_ttl', start);
    let job = jobId;
    let now = start;
    const backoffs: number[] = [];
    for (let attempt = 1; attempt <= WORKSPACE_DELETE_ATTEMPTS; attempt++) {
      await runJob(store, job, fail(`attempt ${attempt}`), now);
      const r = await row(w.id);
      assert.equal(r.delete_attempts, attempt);
      assert.notEqual(r.state, 'archived');
      if (attempt < WORKSPACE_DELETE_ATTEMPTS) {
        assert.equal(r.state, 'deleting');
        backoffs.push(r.next_attempt_at! - now);
        now = r.next_attempt_at!;
        const v = await view(w.id, now);
        const [retry] = await store.applyLifecycle([{ kind: 'delete', rule: 'delete_retry', reason: 'stopped_ttl', workspaceId: w.id, rev: v.rev, notification: null }], now);
        assert.equal(retry.applied, true);
        job = retry.jobId!;
      } else {
        same([r.state, r.next_attempt_at, r.error], ['failed', null, `attempt ${attempt}`]);
      }
    }
    same(backoffs, [MIN, 2 * MIN, 4 * MIN, 8 * MIN]);
    const rows = await outbox();
    same(rows.map((n) => n.dedupe_key), [1, 2, 3, 4, 5].map((k) => `deleted:${w.id}:${start}:${k}`));
    same(rows.map((n) => JSON.parse(n.payload).data.will_retry), [true, true, true, true, false]);
    assert.ok(rows.every((n) => n.kind === 'workspace_deleted'));
  });

  test('pool deletes behave as before (deleted, retried by the pool policy)', async () => {
    const [pool] = await readyInstances(store, 1, T0);
    const intent = await store.insertDeleteIntent(pool, T0);
    await runJob(store, intent!.jobId, fail(), T0 + 1);
    let r = await row(pool);
    same([r.state, r.delete_attempts, r.next_attempt_at], ['deleting', 1, T0 + 1 + 500]);
    const again = await store.insertDeleteIntent(pool, T0 + 600);
    await runJob(store, again!.jobId, ok(), T0 + 700);
    r = await row(pool);
    same([r.state, r.archived_at], ['deleted', null]);
    same(await outbox(), []);
  });
});

describe('housekeeping', () => {
  test('purgeFinished keeps archived workspaces and their jobs', async () => {
    const w = await claimedWorkspace(store, T0);
    const del = await store.requestWorkspaceOp(w.id, 'delete', T0);
    await runJob(store, del.jobId!, ok(), T0);
    await store.purgeFinished(T0 + 365 * DAY);
    assert.equal((await row(w.id)).state, 'archived');
    assert.ok((await jobsOf(w.id)).length >= 2);
  });
});

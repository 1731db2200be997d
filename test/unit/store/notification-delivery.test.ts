/**
 * The store side of notification delivery on the real SQLite store: targets (create-or-replace, createOnly, an
 * unchanged put, the secret never in a record), fan-out (one delivery per enabled matching target, once), leases
 * (one holder, expiry, a lost lease records nothing), settling, resend, listing, the outbox gauges and the purge.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import { ConflictError, NotFoundError } from '../../../controller/domain/errors';
import type { StoredTargetInput } from '../../../controller/domain/notification-target';
import type { OutboxNotification } from '../../../controller/domain/workspace';
import { historyRetentionMs } from '../../../controller/store/housekeeping';
import { migrationNames } from '../../../controller/store/migrations';
import { insertNotification } from '../../../controller/store/outbox';
import type { Connection } from '../../../controller/store/connection';
import { openStore, type SqlStore, type SqliteStore } from '../../../controller/store/store';
import { oldDatabase } from '../../helpers/old-database';
import { FakeClock } from '../../helpers/fake-clock';
import { tempStore, sqliteOnly } from '../../helpers/store';

const T0 = Date.parse('2026-12-05T10:00:00Z');
let store: SqlStore;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore(new FakeClock(T0)));
});
afterEach(() => cleanup());

function target(name: string, over: Partial<StoredTargetInput> = {}): StoredTargetInput {
  return {
    name,
    url: `http://127.0.0.1:9/${name}`,
    events: ['*'],
    format: 'json',
    enabled: true,
    sealedSecret: `sealed-${name}`,
    secretFingerprint: `fp-${name}`,
    ...over,
  };
}

let seq = 0;
async function notify(event: OutboxNotification['event'] = 'workspace_autostopped', at = T0): Promise<number> {
  seq += 1;
  await insertNotification(store.db, { key: `${event}:${seq}`, event, payload: { subject: { type: 'workspace', name: `ws-${seq}` }, occurred_at: new Date(at).toISOString(), data: {} } } as OutboxNotification, at);
  const row = await store.db.selectFrom('notifications').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Rows built in the driver's realm compare by value only after a JSON round trip. */
const eq = (actual: unknown, expected: unknown, message?: string) => assert.deepEqual(JSON.parse(JSON.stringify(actual)), expected, message);

const slots = (entries: Record<string, number>) => new Map(Object.entries(entries));

test('migration 0004 is known, so an older binary refuses a database that has it', () => {
  assert.ok(migrationNames.includes('0004_notification_delivery'));
});

describe('targets', () => {
  test('put creates, an identical put changes nothing, a changed secret (by fingerprint) is a change', async () => {
    const first = await store.putNotificationTarget(target('ops'), T0);
    assert.equal(first.changed, true);
    eq(first.record, { name: 'ops', url: 'http://127.0.0.1:9/ops', events: ['*'], format: 'json', enabled: true, createdAt: T0, updatedAt: T0 });
    const same = await store.putNotificationTarget(target('ops', { sealedSecret: 'sealed-again-with-new-iv' }), T0 + 5);
    assert.equal(same.changed, false);
    assert.equal(same.record.updatedAt, T0);
    const rotated = await store.putNotificationTarget(target('ops', { secretFingerprint: 'fp-new', sealedSecret: 'sealed-new' }), T0 + 10);
    assert.equal(rotated.changed, true);
    assert.equal(rotated.record.updatedAt, T0 + 10);
    assert.equal(rotated.record.createdAt, T0);
    assert.equal((await store.deliveryTargets())[0].sealedSecret, 'sealed-new');
    const edited = await store.putNotificationTarget(target('ops', { secretFingerprint: 'fp-new', events: ['workspace_dormant'], format: 'slack', enabled: false }), T0 + 20);
    assert.equal(edited.changed, true);
    eq(await store.getNotificationTarget('ops'), { ...edited.record });
    eq(edited.record.events, ['workspace_dormant']);
    assert.equal(edited.record.format, 'slack');
    assert.equal(edited.record.enabled, false);
  });

  test('createOnly refuses a taken name with the import advice; get and delete of an unknown name are NotFound', async () => {
    await store.putNotificationTarget(target('ops'), T0, { createOnly: true });
    await assert.rejects(store.putNotificationTarget(target('ops'), T0, { createOnly: true }), (e: Error) => e instanceof ConflictError && /already exists.*terraform import prewarm_notification_target/.test(e.message));
    await assert.rejects(store.getNotificationTarget('nope'), (e: Error) => e instanceof NotFoundError && /no notification target named "nope"/.test(e.message));
    await assert.rejects(store.deleteNotificationTarget('nope'), NotFoundError);
  });

  test('no record carries the sealed secret or its fingerprint; only deliveryTargets has it', async () => {
    await store.putNotificationTarget(target('a'), T0);
    await store.putNotificationTarget(target('b', { enabled: false }), T0);
    const text = JSON.stringify([await store.listNotificationTargets(), await store.getNotificationTarget('a')]);
    assert.doesNotMatch(text, /sealed-|fp-/);
    eq(
      (await store.listNotificationTargets()).map((t) => t.name),
      ['a', 'b'],
    );
    eq(await store.deliveryTargets(), [
      { name: 'a', url: 'http://127.0.0.1:9/a', format: 'json', enabled: true, sealedSecret: 'sealed-a' },
      { name: 'b', url: 'http://127.0.0.1:9/b', format: 'json', enabled: false, sealedSecret: 'sealed-b' },
    ]);
  });

  test('delete removes the target and its deliveries', async () => {
    await store.putNotificationTarget(target('a'), T0);
    await store.putNotificationTarget(target('b'), T0);
    await notify();
    await store.fanOutNotifications(T0, 100);
    await store.deleteNotificationTarget('a');
    eq(
      (await store.listDeliveries({})).map((d) => d.target),
      ['b'],
    );
  });
});

describe('fan-out', () => {
  test('one pending delivery per enabled target that wants the event, each notification once', async () => {
    await store.putNotificationTarget(target('all'), T0);
    await store.putNotificationTarget(target('dormant-only', { events: ['workspace_dormant'] }), T0);
    await store.putNotificationTarget(target('off', { enabled: false }), T0);
    const a = await notify('workspace_autostopped');
    const b = await notify('workspace_dormant');
    assert.equal(await store.fanOutNotifications(T0 + 1, 100), 2);
    assert.equal(await store.fanOutNotifications(T0 + 2, 100), 0, 'fanned out once');
    const rows = await store.listDeliveries({});
    eq(
      rows.map((d) => [d.notificationId, d.target, d.state, d.attempts, d.nextAttemptAt]).sort(),
      [
        [a, 'all', 'pending', 0, T0 + 1],
        [b, 'all', 'pending', 0, T0 + 1],
        [b, 'dormant-only', 'pending', 0, T0 + 1],
      ].sort(),
    );
    assert.equal(rows.find((d) => d.notificationId === b)!.event, 'workspace_dormant');
    assert.equal(rows.find((d) => d.notificationId === b)!.key, `workspace_dormant:${seq}`);
  });

  test('a notification with no target is fanned out to nothing and leaves the gauges', async () => {
    await notify();
    eq(await store.outboxStats(T0), { depth: 1, oldestPendingAt: T0 });
    assert.equal(await store.fanOutNotifications(T0, 100), 1);
    eq(await store.outboxStats(T0), { depth: 0, oldestPendingAt: null });
    eq(await store.listDeliveries({}), []);
  });

  test('the limit takes the oldest first; a larger backlog than one insert statement holds is fanned out whole', async () => {
    for (let i = 0; i < 5; i += 1) await store.putNotificationTarget(target(`t${i}`), T0);
    const ids: number[] = [];
    for (let i = 0; i < 450; i += 1) ids.push(await notify('workspace_autostopped', T0 + i));
    assert.equal(await store.fanOutNotifications(T0 + 1000, 3), 3);
    const first = await store.listDeliveries({ limit: 1000 });
    eq([...new Set(first.map((d) => d.notificationId))].sort((x, y) => x - y), ids.slice(0, 3));
    assert.equal(await store.fanOutNotifications(T0 + 1000, 1000), 447);
    const stats = await store.outboxStats(T0 + 1000);
    eq(stats, { depth: 2250, oldestPendingAt: T0 });
  }, 20_000);
});

describe('leases and attempts', () => {
  beforeEach(async () => {
    await store.putNotificationTarget(target('a'), T0);
    await store.putNotificationTarget(target('b'), T0);
  });

  test('claims honour the slots per target, the due time and a held lease; an expired lease is claimed again', async () => {
    for (let i = 0; i < 3; i += 1) await notify();
    await store.fanOutNotifications(T0, 100);
    const first = await store.claimDeliveries(slots({ a: 2, b: 0 }), T0, T0 + 15_000);
    assert.equal(first.length, 2);
    assert.ok(first.every((d) => d.target === 'a' && d.lease === 1 && d.attempts === 0 && d.windowStart === T0));
    assert.equal(first[0].event, 'workspace_autostopped');
    assert.match(first[0].payload, /"subject"/);
    assert.equal(first[0].notificationCreatedAt, T0);
    const second = await store.claimDeliveries(slots({ a: 5 }), T0 + 1, T0 + 15_000);
    assert.equal(second.length, 1, 'the two leased rows are not handed out again');
    assert.equal(second[0].lease, 1);
    const expired = await store.claimDeliveries(slots({ a: 5 }), T0 + 15_000, T0 + 30_000);
    eq(expired.map((d) => d.id).sort(), [...first, ...second].map((d) => d.id).sort());
    assert.ok(expired.every((d) => d.lease === 2));
    assert.equal(await store.recordDeliveryAttempt(first[0].id, 1, { kind: 'delivered', status: 200, latencyMs: 3 }, T0 + 15_001), false, 'the old holder lost its lease');
    assert.equal(await store.recordDeliveryAttempt(first[0].id, 2, { kind: 'delivered', status: 204, latencyMs: 3.4 }, T0 + 15_001), true);
    assert.equal(await store.recordDeliveryAttempt(first[0].id, 2, { kind: 'delivered', status: 204, latencyMs: 3 }, T0 + 15_002), false, 'settled once');
  });

  test('a retry is due again at its time; failed and delivered rows are never claimed', async () => {
    await notify();
    await store.fanOutNotifications(T0, 100);
    const [d] = await store.claimDeliveries(slots({ a: 1 }), T0, T0 + 15_000);
    assert.ok(await store.recordDeliveryAttempt(d.id, d.lease, { kind: 'retry', status: 500, error: 'HTTP 500: down', latencyMs: 12, nextAttemptAt: T0 + 10_000 }, T0 + 1));
    eq(await store.claimDeliveries(slots({ a: 1 }), T0 + 9_999, T0 + 30_000), []);
    const [again] = await store.claimDeliveries(slots({ a: 1 }), T0 + 10_000, T0 + 30_000);
    assert.equal(again.attempts, 1);
    const [row] = await store.listDeliveries({ target: 'a' });
    eq([row.state, row.attempts, row.lastStatus, row.lastError, row.lastLatencyMs], ['pending', 1, 500, 'HTTP 500: down', 12]);
    assert.ok(await store.recordDeliveryAttempt(again.id, again.lease, { kind: 'failed', status: null, error: 'connection refused', latencyMs: 1 }, T0 + 20_000));
    const [failed] = await store.listDeliveries({ target: 'a' });
    eq([failed.state, failed.attempts, failed.failedAt, failed.nextAttemptAt, failed.lastStatus], ['failed', 2, T0 + 20_000, null, null]);
    eq(await store.claimDeliveries(slots({ a: 1 }), T0 + 10 * 86_400_000, T0 + 10 * 86_400_000), []);
    const [b] = await store.claimDeliveries(slots({ b: 1 }), T0, T0 + 15_000);
    assert.ok(await store.recordDeliveryAttempt(b.id, b.lease, { kind: 'delivered', status: 200, latencyMs: 2 }, T0 + 5));
    const [delivered] = await store.listDeliveries({ state: 'delivered' });
    eq([delivered.target, delivered.deliveredAt, delivered.lastError, delivered.nextAttemptAt], ['b', T0 + 5, '', null]);
    eq(await store.claimDeliveries(slots({ b: 1 }), T0 + 86_400_000, T0 + 86_400_000), []);
  });

  test('released leases are claimable at once, and only by the generation that held them', async () => {
    await notify();
    await store.fanOutNotifications(T0, 100);
    const [d] = await store.claimDeliveries(slots({ a: 1 }), T0, T0 + 15_000);
    await store.releaseDeliveries([{ id: d.id, lease: d.lease + 7 }]);
    eq(await store.claimDeliveries(slots({ a: 1 }), T0 + 1, T0 + 15_000), [], 'a stale release frees nothing');
    await store.releaseDeliveries([{ id: d.id, lease: d.lease }]);
    const [again] = await store.claimDeliveries(slots({ a: 1 }), T0 + 1, T0 + 15_000);
    assert.equal(again.id, d.id);
    assert.equal(again.lease, d.lease + 1);
  });

  test('resend makes a failed or delivered row pending with a fresh window; a pending one just due now', async () => {
    await notify();
    await store.fanOutNotifications(T0, 100);
    const [d] = await store.claimDeliveries(slots({ a: 1 }), T0, T0 + 15_000);
    await store.recordDeliveryAttempt(d.id, d.lease, { kind: 'failed', status: 502, error: 'HTTP 502: x', latencyMs: 1 }, T0 + 1);
    const back = await store.resendDelivery(d.id, T0 + 100);
    eq([back.state, back.attempts, back.nextAttemptAt, back.failedAt], ['pending', 0, T0 + 100, null]);
    const [claimed] = await store.claimDeliveries(slots({ a: 1 }), T0 + 100, T0 + 20_000);
    assert.equal(claimed.windowStart, T0 + 100);
    await store.recordDeliveryAttempt(claimed.id, claimed.lease, { kind: 'retry', status: 500, error: 'e', latencyMs: 1, nextAttemptAt: T0 + 60_000 }, T0 + 101);
    const due = await store.resendDelivery(d.id, T0 + 200);
    eq([due.state, due.attempts, due.nextAttemptAt], ['pending', 1, T0 + 200]);
    await assert.rejects(store.resendDelivery(999_999, T0), (e: Error) => e instanceof NotFoundError && /999999/.test(e.message));
  });

  test('listing: newest first, by state and target, bounded', async () => {
    for (let i = 0; i < 4; i += 1) await notify();
    await store.fanOutNotifications(T0, 100);
    const all = await store.listDeliveries({});
    assert.equal(all.length, 8);
    eq(all.map((d) => d.id), [...all.map((d) => d.id)].sort((x, y) => y - x));
    assert.equal((await store.listDeliveries({ target: 'b' })).length, 4);
    assert.equal((await store.listDeliveries({ limit: 3 })).length, 3);
    assert.equal((await store.listDeliveries({ state: 'failed' })).length, 0);
    assert.equal((await store.listDeliveries({ limit: 100_000 })).length, 8);
  });
});

test('outbox gauges count waiting notifications and pending deliveries, oldest by the notification time', async () => {
  await store.putNotificationTarget(target('a'), T0);
  await notify('workspace_autostopped', T0 - 5000);
  await store.fanOutNotifications(T0, 100);
  await notify('workspace_dormant', T0 - 1000);
  eq(await store.outboxStats(T0), { depth: 2, oldestPendingAt: T0 - 5000 });
  const [d] = await store.claimDeliveries(slots({ a: 1 }), T0, T0 + 15_000);
  await store.recordDeliveryAttempt(d.id, d.lease, { kind: 'delivered', status: 200, latencyMs: 1 }, T0);
  eq(await store.outboxStats(T0), { depth: 1, oldestPendingAt: T0 - 1000 });
});

test('the live feed reads notifications after an id, oldest first, and the newest ones', async () => {
  const ids = [await notify('workspace_autostopped'), await notify('workspace_dormant'), await notify('preset_hard_limited' as OutboxNotification['event'])];
  const after = await store.notificationsAfter(ids[0], 10);
  eq(after.map((n) => [n.id, n.event]), [
    [ids[1], 'workspace_dormant'],
    [ids[2], 'preset_hard_limited'],
  ]);
  assert.equal((after[0].payload.subject as Record<string, unknown>).type, 'workspace');
  eq((await store.recentNotifications(2)).map((n) => n.id), [ids[2], ids[1]]);
  await store.db.insertInto('notifications').values({ dedupe_key: 'broken', kind: 'x', payload: 'not json', attempts: 0, next_attempt_at: T0, created_at: T0, delivered_at: null, fanned_out_at: null }).execute();
  eq((await store.recentNotifications(1))[0].payload, {}, 'an unreadable payload reads as empty, not a crash');
});

test('purge: settled deliveries past retention go, then their notifications; pending rows and their notification stay', async () => {
  await store.putNotificationTarget(target('a'), T0);
  const done = await notify();
  const waiting = await notify();
  const orphan = await notify();
  await store.putNotificationTarget(target('a', { enabled: false }), T0);
  await store.putNotificationTarget(target('a'), T0);
  await store.fanOutNotifications(T0, 100);
  const claimed = await store.claimDeliveries(slots({ a: 3 }), T0, T0 + 15_000);
  const byNote = new Map(claimed.map((d) => [d.notificationId, d]));
  await store.recordDeliveryAttempt(byNote.get(done)!.id, byNote.get(done)!.lease, { kind: 'delivered', status: 200, latencyMs: 1 }, T0);
  await store.db.deleteFrom('notification_deliveries').where('notification_id', '=', orphan).execute();
  await store.purgeFinished(T0 + historyRetentionMs - 1);
  assert.equal((await store.listDeliveries({})).length, 2, 'nothing is past retention yet');
  await store.purgeFinished(T0 + historyRetentionMs + 1);
  eq((await store.listDeliveries({})).map((d) => d.notificationId), [waiting]);
  const left = (await store.db.selectFrom('notifications').select('id').execute()).map((r) => Number(r.id));
  eq(left, [waiting]);
});

test('notifications written before the delivery migration are history: a target added later gets none of them', async () => {
  const old = await oldDatabase('0003_workspaces', (raw) => {
    raw
      .prepare(`insert into notifications (dedupe_key, kind, payload, attempts, next_attempt_at, created_at, delivered_at) values (?, ?, ?, 0, ?, ?, null)`)
      .run('preset_hard_limited:p1:1', 'preset_hard_limited', '{"preset":"p1","failures":3}', T0 - 10, T0 - 10);
  });
  const upgraded = await openStore(`sqlite:${old.file}`, { exclusive: true, clock: new FakeClock(T0) });
  try {
    await upgraded.putNotificationTarget(target('late'), T0);
    eq(await upgraded.outboxStats(T0), { depth: 0, oldestPendingAt: null });
    assert.equal(await upgraded.fanOutNotifications(T0, 100), 0);
    eq(await upgraded.listDeliveries({}), []);
    assert.equal((await upgraded.recentNotifications(5))[0].key, 'preset_hard_limited:p1:1', 'still listed as history');
  } finally {
    await upgraded.close();
    old.cleanup();
  }
});

describe('review cases', () => {
  test('disabling a target drops what is queued for it; narrowing its events drops the rest; re-enabling replays nothing', async () => {
    await store.putNotificationTarget(target('a'), T0);
    await notify('workspace_autostopped');
    await notify('workspace_dormant');
    await store.fanOutNotifications(T0, 100);
    await store.putNotificationTarget(target('a', { events: ['workspace_dormant'] }), T0 + 1);
    eq((await store.listDeliveries({})).map((d) => d.event), ['workspace_dormant']);
    await store.putNotificationTarget(target('a', { events: ['workspace_dormant'], enabled: false }), T0 + 2);
    eq(await store.listDeliveries({}), []);
    eq(await store.outboxStats(T0 + 3), { depth: 0, oldestPendingAt: null });
    await store.putNotificationTarget(target('a'), T0 + 4);
    eq(await store.claimDeliveries(slots({ a: 4 }), T0 + 5, T0 + 20_000), []);
  });

  test('a resend of a delivery in flight takes its lease: the late result is not recorded, and it is due at once', async () => {
    await store.putNotificationTarget(target('a'), T0);
    await notify();
    await store.fanOutNotifications(T0, 100);
    const [d] = await store.claimDeliveries(slots({ a: 1 }), T0, T0 + 15_000);
    await store.resendDelivery(d.id, T0 + 100);
    assert.equal(await store.recordDeliveryAttempt(d.id, d.lease, { kind: 'retry', status: 500, error: 'e', latencyMs: 1, nextAttemptAt: T0 + 3_600_000 }, T0 + 200), false);
    const [again] = await store.claimDeliveries(slots({ a: 1 }), T0 + 200, T0 + 15_000);
    assert.equal(again.id, d.id);
  });

  sqliteOnly('the purge and the state listing read indexes, not the whole table', async () => {
    const raw: Connection = (store as SqliteStore)['connection'];
    const plans = await raw.sync((db) =>
      [
        `delete from notification_deliveries where state = 'delivered' and delivered_at < 5`,
        `delete from notification_deliveries where state = 'failed' and failed_at < 5`,
        `select id from notification_deliveries where state = 'failed' order by id desc limit 100`,
      ].map((q) => (db.prepare(`explain query plan ${q}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ')),
    );
    for (const p of plans) assert.match(p, /USING (COVERING )?INDEX/, p);
  });
});

/**
 * Notification delivery end to end: a real controller (SQLite, the example localdir driver, the gRPC API) posting
 * to real HTTP receivers on loopback. On a fake clock, every event type the controller writes reaches a receiver
 * that checks its signature, and a receiver outage (connection refused, then 500s, then a hang past the timeout)
 * loses nothing; on the real clock, a dead target never delays a healthy one. Bad target input is refused whole,
 * and no answer ever carries a secret.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { createClient, type PrewarmClient } from '../../controller/api/client';
import { NOTIFICATION_EVENTS, type OutboxNotification } from '../../controller/domain/workspace';
import { verifySignature } from '../../controller/net/signature';
import { insertNotification } from '../../controller/store/outbox';
import type { SqlStore } from '../../controller/store/store';
import { startTestController, type TestController } from '../helpers/controller';
import { FakeClock } from '../helpers/fake-clock';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { waitFor } from '../helpers/wait';
import { type ReceivedRequest, WebhookReceiver } from '../helpers/webhook-receiver';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-12-07T09:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const SECRET = 'integration-secret-7f3a9c21';

let ctl: TestController | undefined;
let client: PrewarmClient | undefined;
const receivers: WebhookReceiver[] = [];

afterEach(async () => {
  client?.close();
  client = undefined;
  await ctl?.stop();
  ctl = undefined;
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(behaviour?: Parameters<typeof WebhookReceiver.start>[0]['behaviour']): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start({ secret: SECRET, behaviour });
  receivers.push(r);
  return r;
}

async function start(clock?: FakeClock, over: Parameters<typeof startTestController>[0] = {}): Promise<{ ctl: TestController; client: PrewarmClient }> {
  ctl = await startTestController(over, clock ? { clock } : {});
  client = createClient({ endpoint: `127.0.0.1:${ctl.running.apiPort}`, token: ctl.token });
  return { ctl, client };
}

const store = () => ctl!.running.store as SqlStore;

/** Every send started so far has recorded its outcome. */
async function sendsSettled(): Promise<void> {
  await waitFor('deliveries in flight to settle', async () => ctl!.running.delivery.inFlight === 0);
}

/** One delivery pass on the fake clock: fan out, claim and send what is due, and wait for the answers. */
async function deliver(): Promise<void> {
  await ctl!.running.delivery.tick();
  await sendsSettled();
}

/** The signature checked against the instant it claims (the fake clock is far from the wall clock here). */
function signedCorrectly(r: ReceivedRequest): boolean {
  const header = String(r.headers['x-prewarm-signature'] ?? '');
  const t = Number(/t=(\d+)/.exec(header)?.[1]);
  return verifySignature(SECRET, r.body, header, t).ok && verifySignature('another-secret-0000000', r.body, header, t).ok === false;
}

async function outbox(): Promise<Array<{ dedupe_key: string; kind: string }>> {
  return store().db.selectFrom('notifications').select(['dedupe_key', 'kind']).orderBy('id').execute();
}

describe('on a fake clock', () => {
  test('every event type the controller writes reaches a receiver that verifies its signature, with its documented body', async () => {
    const clock = new FakeClock(T0);
    const { ctl: c, client: api } = await start(clock, { failureHardLimit: 2 });
    const hook = await receiver();
    await api.putNotificationTarget({ name: 'all', url: hook.url, secret: SECRET, events: ['*'] });
    await api.putTemplate(
      templateSpec({
        name: 'devbox',
        driver: 'localdir',
        config: {},
        lifecycle_policy: { autostop_after: '1h', autostop_reminder: '10m', stopped_ttl: '2h', auto_destroy_reminder: '30m' },
      }),
    );
    await api.putTemplate(templateSpec({ name: 'idle', driver: 'localdir', config: {}, lifecycle_policy: { dormant_after: '2h' } }));
    await api.putTemplate(templateSpec({ name: 'broken', driver: 'localdir', config: { fail: 'always' } }));
    await api.putPreset(poolSpec('small', 2, { template: 'devbox' }));
    await api.putPreset(poolSpec('small', 1, { template: 'idle' }));
    await c.running.reconciler.tick();
    await waitFor('ready pools', async () => (await api.listInstances({ state: 'ready' })).length === 3);

    const a = await api.claim({ template: 'devbox', preset: 'small', owner: 'alice' });
    const b = await api.claim({ template: 'devbox', preset: 'small', owner: 'bob', autoDestroyAt: new Date(T0 + 5 * HOUR).toISOString() });
    const d = await api.claim({ template: 'idle', preset: 'small', owner: 'dana' });
    const tickAt = async (at: number) => {
      clock.set(at);
      await c.running.lifecycle.tick();
      await waitFor('driver jobs done', async () => c.running.executor.active === 0);
    };
    await tickAt(T0 + 50 * MIN); // alice's autostop reminder (bob's too)
    await tickAt(T0 + HOUR); // both autostopped
    await tickAt(T0 + 2 * HOUR); // dana dormant
    await tickAt(T0 + 3 * HOUR + MIN); // alice and bob deleted after stopped_ttl
    // A preset whose builds keep failing stops at the hard limit.
    await api.putPreset(poolSpec('bad', 1, { template: 'broken' }));
    for (let i = 0; i < 6 && (await api.getPreset('broken', 'bad')).status !== 'hard_limited'; i++) {
      clock.set(clock.now() + 10 * MIN);
      await c.running.reconciler.tick();
      await waitFor('builds settle', async () => c.running.executor.active === 0);
    }
    expect((await api.getPreset('broken', 'bad')).status).toBe('hard_limited');
    await c.running.reconciler.tick();
    await waitFor('a ready devbox instance', async () => (await api.listInstances({ presetId: 'devbox/small', state: 'ready' })).length > 0);
    // An auto-destroy with its reminder, on a fresh workspace of the same pool.
    const e = await api.claim({ template: 'devbox', preset: 'small', owner: 'erin', autoDestroyAt: new Date(clock.now() + 45 * MIN).toISOString() });
    await tickAt(clock.now() + 20 * MIN);
    await tickAt(clock.now() + 30 * MIN);
    await waitFor('erin archived', async () => (await api.getWorkspace(e.id)).state === 'archived');

    const written = await outbox();
    const kinds = new Set(written.map((n) => n.kind));
    for (const event of NOTIFICATION_EVENTS) expect([event, kinds.has(event)]).toEqual([event, true]);

    // Four sends per target at a time: a pass per four (the kicks that chain them wait on the fake clock).
    for (let i = 0; i < 20 && (await api.listDeliveries({ state: 'delivered', limit: 1000 })).length < written.length; i++) await deliver();
    expect((await api.listDeliveries({ state: 'delivered', limit: 1000 })).length).toBe(written.length);
    expect(hook.keys().sort()).toEqual(written.map((n) => n.dedupe_key).sort());
    for (const r of hook.requests) {
      expect([r.headers['x-prewarm-delivery'], signedCorrectly(r)]).toEqual([r.headers['x-prewarm-delivery'], true]);
      const doc = JSON.parse(r.body) as Record<string, unknown>;
      expect(Object.keys(doc).sort()).toEqual(['data', 'event', 'id', 'key', 'occurred_at', 'subject']);
      expect(r.headers['x-prewarm-event']).toBe(doc.event);
      expect(r.headers['x-prewarm-delivery']).toBe(doc.key);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toMatch(/^prewarm\/\d+\.\d+\.\d+/);
      expect(typeof doc.occurred_at === 'string' && !Number.isNaN(Date.parse(doc.occurred_at))).toBe(true);
      const subject = doc.subject as Record<string, unknown>;
      if (doc.event === 'preset_hard_limited') expect(subject).toMatchObject({ type: 'preset', id: 'broken/bad', template: 'broken', preset: 'bad' });
      else expect(subject).toMatchObject({ type: 'workspace', owner: expect.any(String), template: expect.any(String) });
    }
    const reminder = hook.requests.map((r) => JSON.parse(r.body)).find((doc) => doc.event === 'workspace_autostop_reminder' && doc.subject.id === a.id);
    expect(reminder.data).toEqual({ deadline: new Date(T0 + HOUR).toISOString(), stops_in: '10m' });
    expect(reminder.subject).toEqual({ type: 'workspace', id: a.id, name: a.name, owner: 'alice', template: 'devbox', preset: 'small' });
    const dormant = hook.requests.map((r) => JSON.parse(r.body)).find((doc) => doc.event === 'workspace_dormant');
    expect(dormant.subject.id).toBe(d.id);

    // Delivered once: another pass sends nothing again.
    const sent = hook.requests.length;
    await deliver();
    expect(hook.requests.length).toBe(sent);
  });

  test('a receiver outage — refused, then 500s, then a hang past the timeout — loses nothing, and a receiver deduping by key sees each event once', async () => {
    const clock = new FakeClock(T0);
    const { client: api } = await start(clock, { notifyTimeoutMs: 10_000 });
    const hook = await receiver({ kind: 'closed' });
    await api.putNotificationTarget({ name: 'flaky', url: hook.url, secret: SECRET, events: ['*'] });
    const keys: string[] = [];
    for (let i = 0; i < 6; i++) {
      const n: OutboxNotification = {
        key: `outage:${i}`,
        event: 'workspace_autostopped',
        payload: { subject: { type: 'workspace', id: `w${i}`, name: `ws-${i}`, owner: 'alice', template: 'devbox', preset: 'small' }, occurred_at: new Date(T0).toISOString(), data: { deadline: new Date(T0).toISOString() } },
      };
      await insertNotification(store().db, n, T0);
      keys.push(n.key);
    }

    // Refused: four slots for the target, each attempt recorded as a retry 7.5–12.5 s later.
    await deliver();
    let rows = await api.listDeliveries({ target: 'flaky' });
    expect(rows).toHaveLength(6);
    const tried = rows.filter((r) => r.attempts === 1);
    expect(tried).toHaveLength(4);
    for (const r of tried) {
      expect(r.state).toBe('pending');
      expect(r.lastError).toMatch(/refused/);
      expect(r.nextAttemptAt! - T0).toBeGreaterThanOrEqual(7_500);
      expect(r.nextAttemptAt! - T0).toBeLessThanOrEqual(12_500);
    }
    expect(hook.requests).toHaveLength(0);

    // 500s: answered but not accepted; the body's start is kept as the error.
    await hook.set({ kind: 'status', status: 500, body: 'database down' });
    for (let i = 0; i < 3; i++) {
      clock.set(clock.now() + 15_000);
      await deliver();
    }
    rows = await api.listDeliveries({ target: 'flaky' });
    expect(rows.every((r) => r.attempts >= 1 && r.state === 'pending')).toBe(true);
    expect(rows.some((r) => r.lastStatus === 500 && r.lastError === 'HTTP 500: database down')).toBe(true);

    // A hang: nothing answers until the timeout, which runs on the controller's clock.
    await hook.set({ kind: 'hang' });
    clock.set(clock.now() + HOUR);
    const before = hook.requests.length;
    await ctl!.running.delivery.tick();
    await hook.waitForRequests(before + 4);
    expect(ctl!.running.delivery.inFlight).toBe(4);
    // Each freed slot is refilled at once with the next due delivery, which hangs too: time runs on until none is
    // left in flight.
    for (let i = 0; i < 10 && ctl!.running.delivery.inFlight > 0; i++) {
      clock.advance(10_001);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await sendsSettled();
    rows = await api.listDeliveries({ target: 'flaky' });
    expect(rows.filter((r) => r.lastStatus === null && /timed out/i.test(r.lastError)).length).toBeGreaterThanOrEqual(4);

    // Recovery: every notification is delivered, each key at least once; deduped by key, each exactly once.
    await hook.set({ kind: 'ok' });
    for (let i = 0; i < 4 && (await api.listDeliveries({ state: 'pending' })).length > 0; i++) {
      clock.set(clock.now() + HOUR);
      await deliver();
    }
    rows = await api.listDeliveries({ target: 'flaky' });
    expect(rows.map((r) => r.state)).toEqual(Array(6).fill('delivered'));
    const accepted = hook.requests.filter(signedCorrectly);
    expect(new Set(accepted.map((r) => String(r.headers['x-prewarm-delivery'])))).toEqual(new Set(keys));
    expect(hook.keys().sort()).toEqual([...keys].sort());
    expect(hook.requests.length).toBeGreaterThan(keys.length);
  });

  test('24 h of failures give up as failed, kept and listed; resend sends it again with the same key', async () => {
    const clock = new FakeClock(T0);
    const { client: api } = await start(clock);
    const hook = await receiver({ kind: 'status', status: 503 });
    await api.putNotificationTarget({ name: 'down', url: hook.url, secret: SECRET, events: ['workspace_dormant'] });
    await insertNotification(store().db, { key: 'dormant:w:1', event: 'workspace_dormant', payload: { subject: { type: 'workspace', id: 'w' }, occurred_at: new Date(T0).toISOString(), data: {} } }, T0);
    await insertNotification(store().db, { key: 'autostop:w:1', event: 'workspace_autostopped', payload: {} }, T0);
    await deliver();
    for (let i = 0; i < 40 && (await api.listDeliveries({ state: 'pending' })).length > 0; i++) {
      clock.set(clock.now() + HOUR);
      await deliver();
    }
    const [failed] = await api.listDeliveries({ target: 'down' });
    expect(failed.state).toBe('failed');
    expect(failed.failedAt! - T0).toBeGreaterThanOrEqual(24 * HOUR);
    expect(failed.attempts).toBeGreaterThan(8);
    expect(failed.lastStatus).toBe(503);
    expect(await api.listDeliveries({ state: 'failed' })).toHaveLength(1);
    expect(hook.keys()).toEqual(['dormant:w:1']);

    await hook.set({ kind: 'ok' });
    const again = await api.resendDelivery(failed.id);
    expect([again.state, again.attempts]).toEqual(['pending', 0]);
    await deliver();
    const [done] = await api.listDeliveries({ target: 'down' });
    expect([done.state, done.lastStatus]).toEqual(['delivered', 200]);
    expect(hook.requests.at(-1)!.headers['x-prewarm-delivery']).toBe('dormant:w:1');
  });
});

describe('on the real clock', () => {
  test('a dead target (hanging) and a healthy one: the healthy one receives everything at once', async () => {
    const { ctl: c, client: api } = await start(undefined, { notifyTimeoutMs: 2_000 });
    const dead = await receiver({ kind: 'hang' });
    const healthy = await receiver();
    await api.putNotificationTarget({ name: 'dead', url: dead.url, secret: SECRET, events: ['*'] });
    await api.putNotificationTarget({ name: 'healthy', url: healthy.url, secret: SECRET, events: ['*'] });
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      await insertNotification(store().db, { key: `both:${i}`, event: 'workspace_autostopped', payload: { subject: { type: 'workspace', id: `w${i}` }, occurred_at: new Date().toISOString(), data: {} } }, Date.now());
    }
    c.running.delivery.kick();
    await healthy.waitForRequests(20, 5_000);
    const tookMs = Date.now() - started;
    expect(healthy.verified).toHaveLength(20);
    // The dead target holds its own four slots, no more, and none of the healthy target's time.
    expect(dead.requests.length).toBeLessThanOrEqual(4);
    expect(tookMs).toBeLessThan(2_000);
    expect(new Set(healthy.keys())).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `both:${i}`)));
  });

  test('notify test: a signed test event with status and latency; a refused target reports why', async () => {
    const { client: api } = await start();
    const hook = await receiver();
    await api.putNotificationTarget({ name: 'ok', url: hook.url, secret: SECRET, events: ['*'], format: 'slack' });
    const r = await api.testNotificationTarget('ok');
    expect([r.ok, r.status]).toEqual([true, 200]);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    const [req] = hook.requests;
    expect(req.verified?.ok).toBe(true);
    expect(req.headers['x-prewarm-event']).toBe('test');
    expect(JSON.parse(req.body)).toEqual({ text: expect.stringContaining('ok') });

    await hook.set({ kind: 'closed' });
    const down = await api.testNotificationTarget('ok');
    expect([down.ok, down.status]).toEqual([false, null]);
    expect(down.error).toMatch(/refused/);
    await expect(api.testNotificationTarget('missing')).rejects.toThrow(/no notification target named "missing"/);
  });

  test('bad targets are refused whole with the field and reason, and no answer or listing carries a secret', async () => {
    const { ctl: c, client: api } = await start();
    const good = { name: 'ops', url: 'https://hooks.example.com/prewarm', secret: SECRET, events: ['workspace_dormant'] };
    await expect(api.putNotificationTarget({ ...good, url: 'ftp://example.com/x' })).rejects.toThrow(/url.*http/);
    await expect(api.putNotificationTarget({ ...good, events: ['workspace_dormant', 'workspace_exploded'] })).rejects.toThrow(/events\[1\].*unknown event type "workspace_exploded"/);
    await expect(api.putNotificationTarget({ ...good, secret: '' })).rejects.toThrow(/secret.*must not be empty/);
    await expect(api.putNotificationTarget({ ...good, secret: 'short-secret' })).rejects.toThrow(/secret.*at least 16/);
    await expect(api.putNotificationTarget({ ...good, url: `http://127.0.0.1:${c.running.apiPort}/x` })).rejects.toThrow(/url.*own port/);
    await expect(api.putNotificationTarget({ ...good, url: `http://localhost:${c.running.opsPort}/x` })).rejects.toThrow(/url.*own port/);
    expect(await api.listNotificationTargets()).toEqual([]);

    const created = await api.putNotificationTarget(good, { createOnly: true });
    expect(created.changed).toBe(true);
    await expect(api.putNotificationTarget(good, { createOnly: true })).rejects.toThrow(/already exists/);
    expect((await api.putNotificationTarget(good)).changed).toBe(false);
    expect((await api.putNotificationTarget({ ...good, secret: `${SECRET}-rotated` })).changed).toBe(true);
    const everything = JSON.stringify([await api.listNotificationTargets(), await api.getNotificationTarget('ops'), await api.listDeliveries({})]);
    assert.ok(!everything.includes(SECRET), 'a secret came back');
    const rows = await store().db.selectFrom('notification_targets').selectAll().execute();
    assert.ok(!JSON.stringify(rows).includes(SECRET), 'the database holds the secret in the clear');
    await api.deleteNotificationTarget('ops');
    await expect(api.getNotificationTarget('ops')).rejects.toThrow(/no notification target named "ops"/);
  });
});

import { afterEach, describe, expect, test } from '@jest/globals';
import { systemClock, type Clock } from '../../../controller/clock/clock';
import type { Logger } from '../../../controller/log';
import type { DeliveryTarget } from '../../../controller/domain/notification-target';
import { DeliveryLoop, type DeliveryLoopDeps } from '../../../controller/notify/delivery-loop';
import { RETRY_WINDOW_MS } from '../../../controller/notify/delivery-backoff';
import { SecretBox } from '../../../controller/notify/secret-box';
import { controllerMetrics } from '../../../controller/ops/metrics';
import { FakeClock } from '../../helpers/fake-clock';
import { waitFor } from '../../helpers/wait';
import { WebhookReceiver } from '../../helpers/webhook-receiver';
import { FakeDeliveryStore } from './delivery-store-fake';
import { AT, SAMPLES } from './samples';

const SECRET = 'whsec-0123456789abcdef';
const box = SecretBox.random();
const receivers: WebhookReceiver[] = [];
const loops: DeliveryLoop[] = [];
let verifyAt = AT;

afterEach(async () => {
  verifyAt = AT;
  for (const l of loops.splice(0)) await l.stop();
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(behaviour?: Parameters<typeof WebhookReceiver.start>[0]['behaviour']): Promise<WebhookReceiver> {
  // The loops below sign on a fake clock at AT unless they run on the system clock.
  const r = await WebhookReceiver.start({ secret: SECRET, behaviour, now: () => verifyAt });
  receivers.push(r);
  return r;
}

function target(name: string, url: string, over: Partial<DeliveryTarget> = {}): DeliveryTarget {
  return { name, url, format: 'json', enabled: true, sealedSecret: box.seal(SECRET), ...over };
}

interface LogLine {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

function setup(store: FakeDeliveryStore, over: Partial<DeliveryLoopDeps> & { clock?: Clock } = {}) {
  const lines: LogLine[] = [];
  const log: Logger = {
    debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
  };
  const metrics = controllerMetrics();
  const loop = new DeliveryLoop({
    store,
    clock: over.clock ?? new FakeClock(AT),
    log,
    metrics,
    secretBox: box,
    random: () => 0.5,
    timeoutMs: 10_000,
    perTargetConcurrency: 4,
    ownPorts: () => [],
    ...over,
  });
  loops.push(loop);
  const counted = async (t: string, result: string) => {
    const m = (await metrics.registry.getSingleMetric('prewarm_notification_deliveries_total')!.get()).values.find((v) => v.labels.target === t && v.labels.result === result);
    return m?.value ?? 0;
  };
  return { loop, lines, metrics, counted };
}

describe('DeliveryLoop', () => {
  test('fans out, sends a signed JSON body, records it delivered and counts it', async () => {
    const hook = await receiver();
    const store = new FakeDeliveryStore();
    store.addTarget(target('hook', hook.url));
    store.notify(SAMPLES.workspace_autostop_reminder, AT - 1000);
    const { loop, lines, counted } = setup(store);

    expect(await loop.tick()).toEqual({ fannedOut: 1, claimed: 1, started: 1, released: 0 });
    expect(loop.inFlight).toBe(1);
    await loop.settled();
    expect(loop.inFlight).toBe(0);
    expect(store.row('hook')).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200, leaseUntil: null });
    const [req] = hook.requests;
    expect(req.verified).toEqual({ ok: true });
    expect(req.headers['x-prewarm-delivery']).toBe(SAMPLES.workspace_autostop_reminder.key);
    expect(req.headers['x-prewarm-event']).toBe('workspace_autostop_reminder');
    expect(JSON.parse(req.body)).toMatchObject({ id: 1, key: SAMPLES.workspace_autostop_reminder.key, event: 'workspace_autostop_reminder', subject: { type: 'workspace' } });
    expect(await counted('hook', 'delivered')).toBe(1);
    expect(lines.filter((l) => l.level !== 'debug')).toEqual([]);
    // Nothing more is due: the next tick claims nothing.
    expect(await loop.tick()).toEqual({ fannedOut: 0, claimed: 0, started: 0, released: 0 });
    expect(hook.requests).toHaveLength(1);
  });

  test('a failing receiver is retried with growing backoff, then delivered; logs carry status and error, never the secret or body', async () => {
    const hook = await receiver({ kind: 'status', status: 500, body: 'database down' });
    const store = new FakeDeliveryStore();
    store.addTarget(target('hook', hook.url));
    store.notify(SAMPLES.workspace_dormant, AT);
    const clock = new FakeClock(AT);
    const { loop, lines, counted } = setup(store, { clock });

    await loop.tick();
    await loop.settled();
    expect(store.row('hook')).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500: database down', nextAttemptAt: AT + 10_000 });
    expect(lines).toContainEqual({ level: 'warn', msg: 'notification delivery failed; retrying', fields: expect.objectContaining({ status: 500, error: 'HTTP 500: database down', attempt: 1, target: 'hook' }) });

    clock.advance(9_999);
    expect((await loop.tick()).claimed).toBe(0);
    clock.advance(1);
    expect((await loop.tick()).claimed).toBe(1);
    await loop.settled();
    expect(store.row('hook')).toMatchObject({ attempts: 2, nextAttemptAt: AT + 10_000 + 20_000 });

    await hook.set({ kind: 'ok' });
    clock.advance(20_000);
    await loop.tick();
    await loop.settled();
    expect(store.row('hook')).toMatchObject({ state: 'delivered', attempts: 3 });
    expect(lines).toContainEqual({ level: 'info', msg: 'notification delivered after retries', fields: expect.objectContaining({ attempt: 3, status: 200 }) });
    expect(await counted('hook', 'retry')).toBe(2);
    expect(await counted('hook', 'delivered')).toBe(1);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(hook.requests[0].body);
    // Every attempt carried the same key: a receiver deduping by it sees the event once.
    expect(hook.keys()).toEqual([SAMPLES.workspace_dormant.key]);
    expect(hook.requests).toHaveLength(3);
  });

  test('a failure at the end of the 24 h window marks it failed', async () => {
    const hook = await receiver({ kind: 'closed' });
    const store = new FakeDeliveryStore();
    store.addTarget(target('hook', hook.url));
    store.notify(SAMPLES.preset_hard_limited, AT);
    const clock = new FakeClock(AT);
    const { loop, lines, counted } = setup(store, { clock });
    await loop.tick();
    await loop.settled();
    expect(store.row('hook')).toMatchObject({ state: 'pending', lastError: 'connection refused', lastStatus: null });
    // The last retry lands exactly on the window's end.
    clock.set(AT + RETRY_WINDOW_MS - 5_000);
    await loop.tick();
    await loop.settled();
    expect(store.row('hook').nextAttemptAt).toBe(AT + RETRY_WINDOW_MS);
    clock.set(AT + RETRY_WINDOW_MS);
    await loop.tick();
    await loop.settled();
    expect(store.row('hook')).toMatchObject({ state: 'failed', attempts: 3, lastError: 'connection refused' });
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: expect.stringMatching(/given up/), fields: { target: 'hook', error: 'connection refused' } });
    expect(await counted('hook', 'failed')).toBe(1);
  });

  test('a hanging target fills only its own slots; the healthy one gets everything; stop releases the hung leases', async () => {
    const dead = await receiver({ kind: 'hang' });
    const healthy = await receiver();
    const store = new FakeDeliveryStore();
    store.addTarget(target('dead', dead.url));
    store.addTarget(target('healthy', healthy.url));
    for (let i = 0; i < 12; i++) store.notify({ ...SAMPLES.workspace_autostopped, key: `k${i}` }, AT);
    const { loop } = setup(store, { perTargetConcurrency: 2 });

    await waitFor('all delivered to the healthy target', async () => {
      await loop.tick();
      await new Promise((r) => setTimeout(r, 5));
      return store.rows.filter((r) => r.target === 'healthy' && r.state === 'delivered').length === 12;
    });
    expect(healthy.verified).toHaveLength(12);
    await dead.waitForRequests(2);
    expect(loop.inFlight).toBe(2);
    expect(dead.requests).toHaveLength(2);
    const hung = store.rows.filter((r) => r.target === 'dead' && r.leaseUntil !== null);
    expect(hung).toHaveLength(2);

    await loop.stop();
    expect(loop.inFlight).toBe(0);
    expect(store.released).toEqual(hung.map((r) => ({ id: r.id, lease: r.lease })));
    expect(store.rows.filter((r) => r.target === 'dead').every((r) => r.leaseUntil === null && r.attempts === 0 && r.state === 'pending')).toBe(true);
    // A stopped loop starts nothing.
    expect(await loop.tick()).toEqual({ fannedOut: 0, claimed: 0, started: 0, released: 0 });
  });

  test('the overall cap is shared out across targets', async () => {
    const hooks = await Promise.all([receiver({ kind: 'hang' }), receiver({ kind: 'hang' }), receiver({ kind: 'hang' })]);
    const store = new FakeDeliveryStore();
    hooks.forEach((h, i) => store.addTarget(target(`t${i}`, h.url)));
    store.addTarget(target('off', hooks[0].url, { enabled: false }));
    for (let i = 0; i < 10; i++) store.notify({ ...SAMPLES.workspace_autostopped, key: `k${i}` }, AT);
    const { loop } = setup(store, { maxInFlight: 5 });
    await loop.tick();
    expect(store.claimSlots[0]).toEqual(new Map([['t0', 2], ['t1', 2], ['t2', 1]]));
    expect(loop.inFlight).toBe(5);
    await loop.tick();
    expect(store.claimSlots).toHaveLength(1);
  });

  test('a lost lease records nothing and counts nothing', async () => {
    const hook = await receiver({ kind: 'slow', ms: 150 });
    const store = new FakeDeliveryStore();
    store.addTarget(target('hook', hook.url));
    store.notify(SAMPLES.workspace_deleted, AT);
    const { loop, lines, counted } = setup(store);
    await loop.tick();
    // Another controller claimed it after our lease expired.
    store.row('hook').lease++;
    await loop.settled();
    expect(store.row('hook')).toMatchObject({ attempts: 0, state: 'pending' });
    expect(await counted('hook', 'delivered')).toBe(0);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/lease expired/) }));
  });

  test('a target disabled or deleted between claim and send is not sent to; its lease is released', async () => {
    const hook = await receiver();
    const store = new FakeDeliveryStore();
    store.addTarget(target('a', hook.url));
    store.addTarget(target('b', hook.url));
    store.notify(SAMPLES.workspace_autostopped, AT);
    store.afterClaim = () => {
      store.targets.get('a')!.enabled = false;
      store.targets.delete('b');
    };
    const { loop } = setup(store);
    expect(await loop.tick()).toEqual({ fannedOut: 1, claimed: 2, started: 0, released: 2 });
    expect(store.released.map((l) => l.id).sort()).toEqual([1, 2]);
    expect(store.rows.every((r) => r.leaseUntil === null)).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(hook.requests).toHaveLength(0);
  });

  test('a secret sealed under another key is a retried attempt with that error, and nothing is sent', async () => {
    const hook = await receiver();
    const store = new FakeDeliveryStore();
    store.addTarget(target('hook', hook.url, { sealedSecret: SecretBox.random().seal(SECRET) }));
    store.notify(SAMPLES.workspace_autostopped, AT);
    const { loop, lines } = setup(store);
    await loop.tick();
    await loop.settled();
    expect(store.row('hook')).toMatchObject({ state: 'pending', attempts: 1, lastStatus: null, lastError: expect.stringMatching(/sealed under another key/) });
    expect(hook.requests).toHaveLength(0);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  test('a big backlog is fanned out in batches within one tick', async () => {
    const store = new FakeDeliveryStore();
    for (let i = 0; i < 1200; i++) store.notify({ ...SAMPLES.workspace_autostopped, key: `k${i}` }, AT);
    const { loop } = setup(store);
    expect((await loop.tick()).fannedOut).toBe(1200);
    expect(store.fanOutCalls).toEqual([500, 500, 200]);
  });

  test('running on its own: each finished send kicks the loop, so a backlog drains long before the interval', async () => {
    const hook = await receiver();
    const store = new FakeDeliveryStore();
    store.addTarget(target('hook', hook.url, { format: 'slack' }));
    for (let i = 0; i < 6; i++) store.notify({ ...SAMPLES.workspace_autostop_reminder, key: `k${i}` }, AT);
    verifyAt = Date.now();
    const { loop } = setup(store, { clock: systemClock, perTargetConcurrency: 1, intervalMs: 60_000 });
    loop.start();
    await hook.waitForRequests(6, 3000);
    await waitFor('all recorded', () => store.rows.every((r) => r.state === 'delivered'), 3000);
    expect(loop.lastTickSucceeded).toBe(true);
    expect(JSON.parse(hook.requests[0].body).text).toMatch(/^\*Autostop reminder\*: workspace feature-x/);
    expect(hook.verified).toHaveLength(6);
  });

  test('a failing tick is logged and turns readiness false', async () => {
    const store = new FakeDeliveryStore();
    store.fanOutNotifications = async () => {
      throw new Error('database is locked');
    };
    const { loop, lines } = setup(store, { clock: systemClock });
    loop.start();
    await waitFor('the tick to fail', () => lines.some((l) => l.msg === 'delivery tick failed'));
    expect(loop.lastTickSucceeded).toBe(false);
  });
});

describe('sendTest', () => {
  test('sends the signed test event directly and reports status and latency', async () => {
    const hook = await receiver();
    const store = new FakeDeliveryStore();
    const { loop } = setup(store, { clock: new FakeClock(AT) });
    const r = await loop.sendTest(target('ci', hook.url));
    expect(r).toEqual({ target: 'ci', ok: true, status: 200, latencyMs: expect.any(Number), error: '' });
    const [req] = hook.requests;
    expect(req.headers['x-prewarm-event']).toBe('test');
    expect(req.headers['x-prewarm-delivery']).toBe(`test:ci:${AT}`);
    expect(JSON.parse(req.body)).toEqual({ id: 0, key: `test:ci:${AT}`, event: 'test', subject: { type: 'target', name: 'ci' }, occurred_at: new Date(AT).toISOString(), data: { message: 'prewarm test notification' } });
    // Signed at the (fake) clock's time, with the target's secret.
    const { verifySignature } = await import('../../../controller/net/signature');
    expect(verifySignature(SECRET, req.body, String(req.headers['x-prewarm-signature']), AT / 1000)).toEqual({ ok: true });
    expect(store.rows).toHaveLength(0);
  });

  test('a receiver answering 500 or not at all is reported, not thrown', async () => {
    const hook = await receiver({ kind: 'status', status: 500, body: 'nope' });
    const { loop } = setup(new FakeDeliveryStore());
    expect(await loop.sendTest(target('ci', hook.url))).toMatchObject({ ok: false, status: 500, error: 'HTTP 500: nope' });
    await hook.set({ kind: 'closed' });
    expect(await loop.sendTest(target('ci', hook.url))).toMatchObject({ ok: false, status: null, error: 'connection refused' });
  });
});

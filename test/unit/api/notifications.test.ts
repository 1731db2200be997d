/**
 * The notification RPCs through a real server and client, in front of the fake service: round trips, field errors
 * with their paths, NOT_FOUND, the create_only conflict, and the secret going in but never coming back out (checked
 * on the raw response bytes, not just the decoded client objects).
 */
import { afterAll, beforeAll, beforeEach, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, type DescMessage, type DescMethod, type MessageInitShape } from '@bufbuild/protobuf';
import * as pb from '../../../controller/api/gen/prewarm/v1/prewarm_pb';
import { encodeMessage, methodPath } from '../../../controller/api/grpc-bridge';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../../controller/domain/errors';
import type { NotificationTargetInput } from '../../../controller/api/service';
import { rawCall } from '../../helpers/raw-grpc';
import { TOKEN, type TestApi } from '../../helpers/api-fake';
import { fullDelivery } from '../../helpers/notify-fake';
import { WS_NOW, startWorkspaceTestApi, type WorkspaceFakeService } from '../../helpers/workspace-fake';

const SECRET = 'hunter2-hunter2-hunter2-SECRET';
const AUTH = `Bearer ${TOKEN}`;

function target(over: Partial<NotificationTargetInput> = {}): NotificationTargetInput {
  return { name: 'ci-hook', url: 'https://hooks.example.com/prewarm', secret: SECRET, events: ['workspace_autostop_reminder', 'preset_hard_limited'], ...over };
}

async function validationErrors(call: Promise<unknown>): Promise<FieldError[]> {
  const err = await call.then(
    () => assert.fail('expected a ValidationError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ValidationError, String(err));
  return err.errors;
}

/** One call with the response's bytes as they came off the wire (before any decoding). */
function rawBytes<I extends DescMessage, O extends DescMessage>(
  endpoint: string,
  method: DescMethod & { input: I; output: O },
  init: MessageInitShape<I>,
): Promise<{ err: grpc.ServiceError | null; bytes: Buffer }> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', AUTH);
  let bytes = Buffer.alloc(0);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      methodPath(method),
      (v) => encodeMessage(method.input, v),
      (b: Buffer) => {
        bytes = Buffer.from(b);
        return fromBinary(method.output, b);
      },
      create(method.input, init),
      md,
      { deadline: Date.now() + 10_000 },
      (err) => {
        client.close();
        resolve({ err, bytes });
      },
    );
  });
}

describe('notification RPCs', () => {
  let api: TestApi & { fake: WorkspaceFakeService };

  beforeAll(async () => {
    api = await startWorkspaceTestApi();
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.fake.targets.clear();
    api.fake.secrets.clear();
    api.fake.deliveries.clear();
    api.fake.testResults.clear();
    api.fake.calls.length = 0;
    api.fake.now = WS_NOW;
  });
  const lastCall = () => api.fake.calls.at(-1);

  test('put: the target reaches the service whole (secret included) and comes back without the secret', async () => {
    const input = target({ format: 'slack', enabled: false });
    const { target: rec, changed } = await api.client.putNotificationTarget(input);
    assert.deepEqual(lastCall(), { method: 'putNotificationTarget', args: [input, { createOnly: false }] });
    assert.equal(api.fake.secrets.get('ci-hook'), SECRET);
    assert.equal(changed, true);
    assert.deepEqual(rec, {
      name: 'ci-hook',
      url: 'https://hooks.example.com/prewarm',
      events: ['workspace_autostop_reminder', 'preset_hard_limited'],
      format: 'slack',
      enabled: false,
      createdAt: WS_NOW,
      updatedAt: WS_NOW,
    });
    assert.deepEqual(await api.client.getNotificationTarget('ci-hook'), rec);
    assert.deepEqual(await api.client.listNotificationTargets(), [rec]);
  });

  test('put: absent format and enabled stay absent on the wire, so the service applies the defaults', async () => {
    const { target: rec } = await api.client.putNotificationTarget(target());
    assert.deepEqual(lastCall()?.args[0], target());
    assert.deepEqual([rec.format, rec.enabled], ['json', true]);
  });

  test('put: the same target again is unchanged; another secret alone is a change', async () => {
    api.fake.now = WS_NOW;
    await api.client.putNotificationTarget(target());
    api.fake.now = WS_NOW + 1000;
    let again = await api.client.putNotificationTarget(target());
    assert.equal(again.changed, false);
    assert.equal(again.target.updatedAt, WS_NOW);
    again = await api.client.putNotificationTarget(target({ secret: 'another-secret-0123456789' }));
    assert.equal(again.changed, true);
    assert.equal(again.target.updatedAt, WS_NOW + 1000);
  });

  test('put: create_only refuses an existing target (FAILED_PRECONDITION) and changes nothing', async () => {
    await api.client.putNotificationTarget(target());
    await assert.rejects(
      api.client.putNotificationTarget(target({ url: 'https://elsewhere.example.com/' }), { createOnly: true }),
      (e: unknown) => e instanceof ConflictError && e.message === 'notification target "ci-hook" already exists',
    );
    assert.deepEqual(lastCall()?.args[1], { createOnly: true });
    assert.equal((await api.client.getNotificationTarget('ci-hook')).url, 'https://hooks.example.com/prewarm');
    const raw = await rawCall(api.endpoint, pb.Prewarm.method.putNotificationTarget, { target: target(), createOnly: true }, AUTH);
    assert.equal(raw.err?.code, grpc.status.FAILED_PRECONDITION);
    // A new name is created with create_only.
    assert.equal((await api.client.putNotificationTarget(target({ name: 'chat' }), { createOnly: true })).changed, true);
  });

  test('put: every bad field comes back with its path; no message quotes the secret', async () => {
    const errors = await validationErrors(
      api.client.putNotificationTarget(target({ url: 'ftp://x', secret: 'short', events: ['preset_hard_limited', 'nope'], format: 'xml' })),
    );
    assert.deepEqual(errors.map((e) => e.path), [['url'], ['secret'], ['format'], ['events', 1]]);
    assert.match(errors[0].message, /http:\/\/ or https:\/\//);
    assert.match(errors[1].message, /at least 16 characters/);
    assert.match(errors[3].message, /unknown event type "nope"/);
    const badSecret = 'almost-right-but\u0007bell-and-long';
    const bell = await validationErrors(api.client.putNotificationTarget(target({ secret: badSecret })));
    assert.deepEqual(bell.map((e) => e.path), [['secret']]);
    for (const e of [...errors, ...bell]) {
      assert.ok(!e.message.includes('short') && !e.message.includes('almost-right'), e.message);
    }
    assert.equal(api.fake.targets.size, 0, 'nothing stored');
  });

  test('put: a request without a target, and empty required fields, are INVALID_ARGUMENT naming the field', async () => {
    const none = await rawCall(api.endpoint, pb.Prewarm.method.putNotificationTarget, {}, AUTH);
    assert.equal(none.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(none.err?.details ?? '', /the request has no notification target/);
    const errors = await validationErrors(api.client.putNotificationTarget({ name: '', url: '', secret: '', events: [] }));
    assert.deepEqual(errors.map((e) => e.path), [['name'], ['url'], ['secret'], ['events']]);
  });

  test('no response carries the secret: the raw bytes of put, get and list', async () => {
    assert.ok(!pb.NotificationTargetSchema.fields.some((f) => /secret/i.test(f.name)), 'NotificationTarget has no secret field');
    const put = await rawBytes(api.endpoint, pb.Prewarm.method.putNotificationTarget, { target: target() });
    const get = await rawBytes(api.endpoint, pb.Prewarm.method.getNotificationTarget, { name: 'ci-hook' });
    const list = await rawBytes(api.endpoint, pb.Prewarm.method.listNotificationTargets, {});
    for (const [what, r] of Object.entries({ put, get, list })) {
      assert.equal(r.err, null, what);
      assert.ok(r.bytes.includes(Buffer.from('hooks.example.com')), `${what} answered the target`);
      assert.ok(!r.bytes.includes(Buffer.from(SECRET)), `${what} sent the secret back`);
      assert.ok(!r.bytes.includes(Buffer.from(SECRET.slice(0, 8))), `${what} sent part of the secret back`);
    }
    const refused = await rawBytes(api.endpoint, pb.Prewarm.method.putNotificationTarget, { target: target({ url: 'nope' }) });
    assert.equal(refused.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.ok(!JSON.stringify([refused.err?.details, refused.err?.metadata.toJSON()]).includes(SECRET.slice(0, 8)));
  });

  test('get, delete, test: unknown → NOT_FOUND; a bad name → INVALID_ARGUMENT on name, before any lookup', async () => {
    await assert.rejects(api.client.getNotificationTarget('nope'), (e: unknown) => e instanceof NotFoundError && e.message === 'no notification target named "nope"');
    await assert.rejects(api.client.deleteNotificationTarget('nope'), NotFoundError);
    await assert.rejects(api.client.testNotificationTarget('nope'), NotFoundError);
    // All three requests are `{name}`; one type stands for them.
    type ByName = typeof pb.Prewarm.method.getNotificationTarget;
    const byName = [pb.Prewarm.method.getNotificationTarget, pb.Prewarm.method.deleteNotificationTarget, pb.Prewarm.method.testNotificationTarget] as ByName[];
    for (const method of byName) {
      const r = await rawCall(api.endpoint, method, { name: 'nope' }, AUTH);
      assert.equal(r.err?.code, grpc.status.NOT_FOUND, method.name);
      const before = api.fake.calls.length;
      assert.deepEqual((await validationErrors(api.client.getNotificationTarget('Bad Name!'))).map((e) => e.path), [['name']]);
      const empty = await rawCall(api.endpoint, method, { name: '' }, AUTH);
      assert.equal(empty.err?.code, grpc.status.INVALID_ARGUMENT, method.name);
      assert.equal(api.fake.calls.length, before, 'refused at the wire');
    }
  });

  test('delete removes the target and its deliveries', async () => {
    api.fake.addTarget({ name: 'ci-hook' });
    api.fake.addTarget({ name: 'chat' });
    api.fake.addDelivery({ target: 'ci-hook' });
    api.fake.addDelivery({ target: 'chat' });
    await api.client.deleteNotificationTarget('ci-hook');
    assert.deepEqual(lastCall(), { method: 'deleteNotificationTarget', args: ['ci-hook'] });
    await assert.rejects(api.client.getNotificationTarget('ci-hook'), NotFoundError);
    assert.deepEqual((await api.client.listDeliveries({})).map((d) => d.target), ['chat']);
    assert.deepEqual((await api.client.listNotificationTargets()).map((t) => t.name), ['chat']);
  });

  test('deliveries: every field survives the trip, nulls included; filters reach the service', async () => {
    const full = api.fake.addDelivery(fullDelivery({ id: 41 }));
    const bare = api.fake.addDelivery({ id: 42, target: 'chat', state: 'pending' });
    assert.deepEqual(await api.client.listDeliveries({}), [bare, full]);
    assert.deepEqual(lastCall(), { method: 'listDeliveries', args: [{}] });
    assert.deepEqual(await api.client.listDeliveries({ state: 'failed', target: 'ci-hook', limit: 5 }), [full]);
    assert.deepEqual(lastCall(), { method: 'listDeliveries', args: [{ state: 'failed', target: 'ci-hook', limit: 5 }] });
    assert.deepEqual(await api.client.listDeliveries({ state: 'delivered' }), []);
    assert.deepEqual(await api.client.listDeliveries({ limit: 1 }), [bare]);
  });

  test('deliveries: bad filters name the field', async () => {
    assert.deepEqual(await validationErrors(api.client.listDeliveries({ target: 'Not A Name' })).then((e) => e.map((x) => x.path)), [['target']]);
    assert.deepEqual(await validationErrors(api.client.listDeliveries({ limit: 5000 })).then((e) => e.map((x) => x.path)), [['limit']]);
    const before = api.fake.calls.length;
    // Refused by the client before anything is sent.
    assert.deepEqual(await validationErrors(api.client.listDeliveries({ limit: 1.5 })).then((e) => e.map((x) => x.path)), [['limit']]);
    assert.equal(api.fake.calls.length, before);
    for (const [init, path] of [
      [{ limit: 0n }, 'limit'],
      [{ limit: -3n }, 'limit'],
      [{ state: pb.DeliveryState.UNSPECIFIED }, 'state'],
      [{ state: 99 as pb.DeliveryState }, 'state'],
    ] as const) {
      const r = await rawCall(api.endpoint, pb.Prewarm.method.listNotificationDeliveries, init, AUTH);
      assert.equal(r.err?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(r.err?.details ?? '', new RegExp(`^${path}: `));
    }
    assert.equal(api.fake.calls.length, before, 'refused at the wire');
  });

  test('resend: the delivery comes back pending and due now; unknown → NOT_FOUND; id 0 → INVALID_ARGUMENT on id', async () => {
    api.fake.addDelivery(fullDelivery({ id: 41 }));
    api.fake.now = WS_NOW + 5000;
    const d = await api.client.resendDelivery(41);
    assert.deepEqual(lastCall(), { method: 'resendDelivery', args: [41] });
    assert.deepEqual([d.state, d.attempts, d.nextAttemptAt, d.failedAt, d.deliveredAt], ['pending', 0, WS_NOW + 5000, null, null]);
    assert.equal(d.key, fullDelivery().key);
    await assert.rejects(api.client.resendDelivery(99), (e: unknown) => e instanceof NotFoundError && /no notification delivery with id 99/.test(e.message));
    const zero = await rawCall(api.endpoint, pb.Prewarm.method.resendNotificationDelivery, { id: 0n }, AUTH);
    assert.equal(zero.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(zero.err?.details ?? '', /^id: must be a whole number of at least 1/);
    const huge = await rawCall(api.endpoint, pb.Prewarm.method.resendNotificationDelivery, { id: 2n ** 62n }, AUTH);
    assert.equal(huge.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(huge.err?.details ?? '', /^id: \d+ is out of range/);
  });

  test('test: the receiver\'s answer comes back whole, a failure with no status included', async () => {
    api.fake.addTarget({ name: 'ci-hook' });
    assert.deepEqual(await api.client.testNotificationTarget('ci-hook'), { target: 'ci-hook', ok: true, status: 200, latencyMs: 12, error: '' });
    assert.deepEqual(lastCall(), { method: 'testNotificationTarget', args: ['ci-hook'] });
    api.fake.testResults.set('ci-hook', { ok: false, status: null, latencyMs: 10_000, error: 'timed out after 10 s' });
    assert.deepEqual(await api.client.testNotificationTarget('ci-hook'), { target: 'ci-hook', ok: false, status: null, latencyMs: 10_000, error: 'timed out after 10 s' });
    api.fake.testResults.set('ci-hook', { ok: false, status: 500, latencyMs: 3.6, error: 'HTTP 500: boom' });
    assert.deepEqual(await api.client.testNotificationTarget('ci-hook'), { target: 'ci-hook', ok: false, status: 500, latencyMs: 4, error: 'HTTP 500: boom' });
  });

  test('every notification RPC needs the token', async () => {
    const r = await rawCall(api.endpoint, pb.Prewarm.method.listNotificationTargets, {}, undefined);
    assert.equal(r.err?.code, grpc.status.UNAUTHENTICATED);
    const put = await rawCall(api.endpoint, pb.Prewarm.method.putNotificationTarget, { target: target() }, 'Bearer wrong');
    assert.equal(put.err?.code, grpc.status.UNAUTHENTICATED);
    assert.equal(api.fake.calls.length, 0);
  });
});

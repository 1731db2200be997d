import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import * as pb from '../../../controller/api/gen/prewarm/v1/prewarm_pb';
import { FIELD_ERRORS_METADATA_KEY } from '../../../controller/api/status';
import { ConflictError, NotFoundError, ValidationError } from '../../../controller/domain/errors';
import type { PresetSpec } from '../../../controller/domain/specs';
import type { ExplainPreset } from '../../../controller/api/service';
import { rawCall } from '../../helpers/raw-grpc';
import { BIG_TIME, TOKEN, startTestApi, type TestApi } from '../../helpers/api-fake';
import { startWorkspaceTestApi, type WorkspaceFakeService } from '../../helpers/workspace-fake';
import { explainPreset, poolSpec, presetSpec, scheduledPreset, templateSpec } from '../../helpers/fixtures';

/** A finish instant far in the future: events carry it as RFC 3339 and must come back to the millisecond. */
const BIG_EVENT_TIME = Date.UTC(2999, 11, 31, 23, 59, 59, 999);

/** Every field set, none at its default. */
const fullPreset: PresetSpec = scheduledPreset({
  description: 'US, with Nix',
  default: true,
  parameters: { region: 'us', 'ünïcode key': 'välue' },
});

const explainPresets: ExplainPreset[] = [
  explainPreset({
    desired: 3,
    desired_source: 'schedule[0] "* 8-18 * * 1-5" (lead_time)',
    ready: 1,
    starting: 1,
    expired: 1,
    claimed: 4,
    actions: [
      { type: 'create', count: 2, reason: 'scale' },
      { type: 'delete', instance_ids: ['i-1', 'i-2'], reason: 'expired' },
      { type: 'cancel_pending', instance_ids: [] },
    ],
  }),
  explainPreset({
    preset: 'eu',
    outdated: 2,
    failed: 3,
    status: 'hard_limited',
    paused: true,
    backoff_until: '2026-03-08T08:00:00.000Z',
    actions: [{ type: 'backoff', until: '2026-03-08T08:00:00.000Z' }],
  }),
];

describe('prewarm.v1 round trips through a real server and client', () => {
  let api: TestApi & { fake: WorkspaceFakeService };
  beforeAll(async () => {
    api = await startWorkspaceTestApi();
  });
  afterAll(() => api.close());

  test('templates: put, get, list, delete', async () => {
    const put = await api.client.putTemplate({ name: 'devbox', driver: 'devbox', config: { image: 'node:20', empty: '' } });
    assert.deepEqual(put, api.fake.templates.get('devbox'));
    assert.equal(put.createdAt, BIG_TIME);
    const again = await api.client.putTemplate({ name: 'devbox', driver: 'devbox', config: { image: 'node:22' } });
    assert.equal(again.version, 2);
    assert.deepEqual(await api.client.getTemplate('devbox'), again);
    assert.deepEqual(await api.client.listTemplates(), [again]);
    await api.client.putTemplate({ name: 'tmp', driver: 'x', config: {} });
    await api.client.deleteTemplate('tmp');
    assert.equal(api.fake.templates.has('tmp'), false);
    assert.deepEqual(api.fake.calls.at(-1), { method: 'deleteTemplate', args: ['tmp'] });
  });

  test('presets: full, partial and absent blocks survive exactly', async () => {
    await api.client.putTemplate(templateSpec());
    const variants: PresetSpec[] = [
      fullPreset,
      presetSpec({ name: 'bare' }),
      poolSpec('base-only', 2),
      presetSpec({ name: 'no-lead', prebuilds: { instances: 1, expiration_policy: { ttl: 0 }, scheduling: { timezone: 'UTC', schedule: [] } } }),
    ];
    for (const spec of variants) {
      const rec = await api.client.putPreset(spec);
      // What reached the service is exactly what was sent (no empty blocks invented, no keys lost).
      assert.deepEqual(api.fake.calls.at(-1), { method: 'putPreset', args: [spec] });
      assert.deepEqual(rec, api.fake.presets.get(`devbox/${spec.name}`));
      assert.deepEqual(await api.client.getPreset('devbox', spec.name), rec);
    }
    assert.equal((await api.client.listPresets('devbox')).length, 4);
    assert.equal((await api.client.listPresets('nope')).length, 0);
    assert.deepEqual(api.fake.calls.at(-1), { method: 'listPresets', args: ['nope'] });
    await api.client.listPresets();
    assert.deepEqual(api.fake.calls.at(-1), { method: 'listPresets', args: [undefined] });

    const inv = await api.client.invalidate('devbox', 'us-nix');
    assert.equal(inv.invalidatedAt, BIG_TIME);
    const after = await api.client.getPreset('devbox', 'us-nix');
    assert.equal(after.invalidatedAt, BIG_TIME);
    await api.client.deletePreset('devbox', 'bare');
    await assert.rejects(api.client.getPreset('devbox', 'bare'), NotFoundError);
  });

  test('explain and status carry every field, absent vs empty lists, big instants', async () => {
    api.fake.explainReport = { at: '2026-03-08T07:30:00.000Z', paused: true, presets: explainPresets };
    const report = await api.client.explain({});
    assert.deepEqual(report, api.fake.explainReport);
    assert.deepEqual(api.fake.calls.at(-1), { method: 'explain', args: [{}] });

    const at = 8.64e15; // the largest Date
    const one = await api.client.explain({ at, presetId: 'devbox/eu' });
    assert.deepEqual(api.fake.calls.at(-1), { method: 'explain', args: [{ at, presetId: 'devbox/eu' }] });
    assert.equal(one.at, new Date(at).toISOString());
    assert.deepEqual(one.presets, [explainPresets[1]]);

    api.fake.globalPaused = true;
    api.fake.events = [
      { at: BIG_EVENT_TIME, presetId: 'devbox/us-nix', instanceId: 'i-1', op: 'create', ok: true, error: '', stderrTail: '', durationMs: 2300 },
      { at: 1, presetId: 'devbox/eu', instanceId: 'i-2', op: 'delete', ok: false, error: 'exit 1', stderrTail: 'rm: busy', durationMs: 0 },
    ];
    const status = await api.client.status({ presetId: 'devbox/us-nix' });
    // The fake keeps no replicas: they arrive as an empty list (status-replicas.test.ts covers them).
    assert.deepEqual(status, { at: api.fake.explainReport.at, paused: true, inFlight: 2, inFlightLimit: 8, presets: explainPresets, events: api.fake.events, replicas: [] });
    assert.deepEqual(api.fake.calls.at(-1), { method: 'status', args: [{ presetId: 'devbox/us-nix' }] });
  });

  test('claim, instances, pause, resume', async () => {
    await api.client.putTemplate(templateSpec());
    await api.client.putPreset(fullPreset);
    const ready = api.fake.addInstance({ presetId: 'devbox/us-nix', attributes: { path: '/srv/ws/1', port: '8080' } });
    const claimed = await api.client.claim({ template: 'devbox', preset: 'us-nix', owner: 'alice' });
    assert.deepEqual(api.fake.calls.at(-1), { method: 'claim', args: [{ template: 'devbox', preset: 'us-nix', owner: 'alice' }] });
    assert.deepEqual(claimed, api.fake.workspaces.get(ready.id));
    assert.deepEqual({ ...claimed, ...{ state: ready.state, owner: ready.owner, claimedAt: ready.claimedAt } }, { ...api.fake.workspaces.get(ready.id)!, ...ready });
    assert.equal(claimed.claimedAt, BIG_TIME);
    await assert.rejects(api.client.claim({ template: 'devbox', preset: 'us-nix', noFallback: true }), ConflictError);
    assert.deepEqual(api.fake.calls.at(-1)?.args, [{ template: 'devbox', preset: 'us-nix', noFallback: true }]);
    const fresh = await api.client.claim({ template: 'devbox', preset: 'us-nix', noFallback: false });
    assert.equal(fresh.state, 'pending');
    assert.equal(fresh.readyAt, BIG_TIME - 500);

    const failed = api.fake.addInstance({ presetId: 'devbox/us-nix', state: 'failed', readyAt: null, error: 'exit 1: boom' });
    assert.deepEqual(await api.client.getInstance(failed.id), failed);
    assert.deepEqual(await api.client.listInstances({ state: 'failed' }), [failed]);
    assert.deepEqual(api.fake.calls.at(-1), { method: 'listInstances', args: [{ state: 'failed' }] });
    assert.equal((await api.client.listInstances({ presetId: 'devbox/us-nix' })).length, 3); // claimed, fresh, failed
    await assert.rejects(api.client.getInstance('i-404'), NotFoundError);

    await api.client.pause();
    assert.deepEqual(api.fake.calls.at(-1), { method: 'pause', args: [undefined] });
    assert.equal(api.fake.globalPaused, true);
    await api.client.pause('devbox/us-nix');
    assert.equal(api.fake.presets.get('devbox/us-nix')?.paused, true);
    await api.client.resume('devbox/us-nix');
    await api.client.resume();
    assert.equal(api.fake.globalPaused, false);
    assert.equal(api.fake.presets.get('devbox/us-nix')?.paused, false);
  });
});

describe('errors over the wire', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    await api.client.putTemplate(templateSpec());
  });
  afterAll(() => api.close());

  test('ValidationError keeps every structured path', async () => {
    const bad: PresetSpec = {
      ...fullPreset,
      prebuilds: {
        instances: -1,
        scheduling: { timezone: 'UTC', schedule: [{ cron: '* 8 * * *', instances: 1 }, { cron: '0 9 * * *', instances: 1 }] },
      },
    };
    const err = await api.client.putPreset(bad).then(
      () => assert.fail('expected a ValidationError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ValidationError, String(err));
    assert.deepEqual(err.errors, [
      { path: ['prebuilds', 'instances'], message: 'must be >= 0' },
      { path: ['prebuilds', 'scheduling', 'schedule', 1, 'cron'], message: 'the minute field must be "*"' },
    ]);
    assert.match(err.message, /prebuilds\.scheduling\.schedule\[1\]\.cron: the minute field/);
  });

  test('thousands of field errors are bounded instead of breaking the call', async () => {
    const errors = Array.from({ length: 2000 }, (_, i) => ({
      path: ['prebuilds', 'scheduling', 'schedule', i, 'cron'],
      message: 'the minute field must be "*"; windows are whole hours',
    }));
    api.fake.failWith = new ValidationError(errors);
    const err = await api.client.listTemplates().then(
      () => assert.fail('expected a ValidationError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ValidationError, String(err));
    assert.ok(err.errors.length > 50 && err.errors.length < 2000);
    assert.deepEqual(err.errors.slice(0, -1), errors.slice(0, err.errors.length - 1));
    assert.deepEqual(err.errors.at(-1), { path: [], message: `… and ${2000 - err.errors.length + 1} more problems` });
  });

  test('the status itself is INVALID_ARGUMENT with the paths in a trailer', async () => {
    const { err } = await rawCall(api.endpoint, pb.Prewarm.method.putPreset, {
      preset: { template: 'devbox', name: 'x', prebuilds: { instances: -5n } },
    }, `Bearer ${TOKEN}`);
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err?.details ?? '', /^prebuilds\.instances: must be >= 0$/);
    const trailer = err?.metadata.get(FIELD_ERRORS_METADATA_KEY)[0] as Buffer;
    assert.deepEqual(JSON.parse(trailer.toString('utf8')), [{ path: ['prebuilds', 'instances'], message: 'must be >= 0' }]);
  });

  test('wire-level checks name the field and never reach the service', async () => {
    const before = api.fake.calls.length;
    await assert.rejects(api.client.putTemplate({ name: '', driver: 'x', config: {} }), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.deepEqual(e.errors, [{ path: ['name'], message: 'is required' }]);
      return true;
    });
    await assert.rejects(
      api.client.putPreset({ template: '', name: ' ', description: '', default: false, parameters: {} }),
      (e: unknown) => e instanceof ValidationError && e.message === 'template: is required; name: is required',
    );
    await assert.rejects(api.client.pause('no-slash'), /preset_id: must be TEMPLATE\/NAME/);
    await assert.rejects(api.client.explain({ presetId: 'a/b/c' }), ValidationError);
    await assert.rejects(api.client.getPreset('devbox', ''), /name: is required/);
    await assert.rejects(api.client.claim({ template: 'devbox', preset: '' }), /preset: is required/);
    // int64 values beyond a JavaScript number are refused rather than rounded.
    const { err } = await rawCall(api.endpoint, pb.Prewarm.method.putPreset, {
      preset: {
        template: 'devbox',
        name: 'huge',
        prebuilds: { instances: 1n, scheduling: { timezone: 'UTC', schedule: [{ cron: '* * * * *', instances: 2n ** 62n }] } },
      },
    }, `Bearer ${TOKEN}`);
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err?.details ?? '', /prebuilds\.scheduling\.schedule\[0\]\.instances: 4611686018427387904 is out of range/);
    const unknownState = await rawCall(api.endpoint, pb.Prewarm.method.listInstances, { state: 99 as pb.InstanceState }, `Bearer ${TOKEN}`);
    assert.equal(unknownState.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(unknownState.err?.details ?? '', /^state: must be one of pending, starting/);
    assert.equal(api.fake.calls.length, before, 'the service saw none of these calls');
  });

  test('the client refuses numbers int64 cannot carry, before sending', async () => {
    const before = api.fake.calls.length;
    await assert.rejects(
      api.client.putPreset({ ...fullPreset, prebuilds: { instances: 1.5, expiration_policy: { ttl: Number.NaN } } }),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError);
        assert.deepEqual(e.errors.map((x) => x.path), [['prebuilds', 'instances'], ['prebuilds', 'expiration_policy', 'ttl']]);
        return true;
      },
    );
    assert.equal(api.fake.calls.length, before);
  });

  test('NotFound → NotFoundError, FailedPrecondition → ConflictError, messages kept', async () => {
    await assert.rejects(api.client.getTemplate('nope'), (e: unknown) => e instanceof NotFoundError && e.message === 'template nope not found');
    await api.client.putPreset(presetSpec({ name: 'p' }));
    await assert.rejects(
      api.client.deleteTemplate('devbox'),
      (e: unknown) => e instanceof ConflictError && /still has presets/.test(e.message),
    );
  });

  test('unexpected errors become a generic INTERNAL; the real message is only logged', async () => {
    api.fake.failWith = new Error('SQLITE_BUSY: database is locked at /var/lib/secret.db');
    const err = await api.client.listTemplates().then(
      () => assert.fail('expected failure'),
      (e: unknown) => e as Error & { code?: number },
    );
    assert.equal(err.code, grpc.status.INTERNAL);
    assert.doesNotMatch(err.message, /SQLITE|secret/);
    assert.match(err.message, /internal error in the prewarm controller \(ref [0-9a-f]{8}/);
    const logged = api.logs.find((l) => l.level === 'error' && l.msg === 'API call failed');
    assert.ok(logged);
    assert.match(String(logged.fields?.error), /SQLITE_BUSY/);
    assert.equal(logged.fields?.method, 'ListTemplates');
    assert.ok(err.message.includes(String(logged.fields?.ref)));
  });
});

describe('authentication', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const cases: Array<[string, string | undefined, RegExp]> = [
    ['missing token', undefined, /missing credentials.*authorization: Bearer <token>/],
    ['wrong token', 'Bearer pwt_wrong', /invalid API token/],
    ['wrong scheme', `Basic ${TOKEN}`, /unsupported authorization scheme "Basic"/],
    ['scheme only', 'Bearer', /malformed authorization header/],
    ['bare token', TOKEN, /malformed authorization header/],
  ];
  for (const [name, header, message] of cases) {
    test(`${name} → UNAUTHENTICATED and the service is never called`, async () => {
      const { err } = await rawCall(api.endpoint, pb.Prewarm.method.listTemplates, {}, header);
      assert.equal(err?.code, grpc.status.UNAUTHENTICATED);
      assert.match(err?.details ?? '', message);
      assert.equal(api.fake.calls.length, 0);
    });
  }

  test('the real client with a wrong token gets an actionable error', async () => {
    const { createClient } = await import('../../../controller/api/client');
    const client = createClient({ endpoint: api.endpoint, token: 'pwt_nope' });
    try {
      await assert.rejects(client.pause(), /rejected the request: invalid API token \(set --token or PREWARM_TOKEN/);
    } finally {
      client.close();
    }
    assert.equal(api.fake.calls.length, 0);
    assert.ok(api.logs.some((l) => l.level === 'warn' && l.msg === 'API call rejected'));
  });

  test('the scheme is case-insensitive', async () => {
    const { err } = await rawCall(api.endpoint, pb.Prewarm.method.listTemplates, {}, `bearer ${TOKEN}`);
    assert.equal(err, null);
    assert.equal(api.fake.calls.length, 1);
  });
});

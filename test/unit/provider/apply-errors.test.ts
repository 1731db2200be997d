/**
 * Apply, read, import, drift and delete through the real gRPC client against the fake controller
 * (test/helpers/api-fake.ts). Every plan and apply result is checked with test/helpers/plan-rules.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { ApplyResourceChange_RequestSchema, Diagnostic_Severity, ReadResource_RequestSchema, type DynamicValue } from '../../../provider/protocol';
import { createProvider } from '../../../provider/rpc-handlers';
import { ConflictError, NotFoundError, ValidationError } from '../../../controller/domain/errors';
import { ApiError } from '../../../controller/api/status';
import { CtyNumber, decodeDynamic, encodeDynamic, equalValues, isUnknown, unknown, type CtyValue, type EncodableValue, type ObjectType } from '../../../provider/values';
import { checkApplyResult, checkPlan, checkReadResult } from '../../helpers/plan-rules';
import {
  apply,
  assertNoDiags,
  assertOneError,
  configure,
  ctx,
  describeDiags,
  dv,
  errors,
  importState,
  jsonBlocks,
  p,
  plan,
  prebuilds,
  presetObj,
  providerConfig,
  read,
  readData,
  scheduling,
  startHarness,
  steps,
  templateObj,
  typeOf,
  types,
  type Harness,
} from '../../helpers/provider-harness';
import { explainPreset, presetSpec, scheduledPreset } from '../../helpers/fixtures';
import { scheduledPresetConfig } from './preset-config';

type Kind = 'prewarm_template' | 'prewarm_preset';
const schemaOf = (k: Kind) => (k === 'prewarm_template' ? jsonBlocks.template : jsonBlocks.preset);
const PRIVATE = new Uint8Array([7, 7]);

function obj(v: CtyValue | undefined): Record<string, CtyValue> {
  assert.ok(v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !isUnknown(v));
  return v as Record<string, CtyValue>;
}

/** What Terraform proposes: the config, with prior values for computed attributes the config leaves null. */
function proposedFrom(prior: CtyValue, config: Record<string, EncodableValue>): Record<string, EncodableValue> {
  if (prior === null) return config;
  const pr = obj(prior);
  const out = { ...config };
  for (const name of ['id', 'version']) if (name in pr) out[name] = pr[name] as EncodableValue;
  return out;
}

/** plan → apply, the way Terraform runs them, checking every rule on the way. */
async function planApply(hh: Harness, kind: Kind, prior: CtyValue, config: Record<string, EncodableValue>) {
  const planned = await plan(hh.h, kind, prior as EncodableValue, config, { proposed: proposedFrom(prior, config), priorPrivate: PRIVATE });
  assertNoDiags(planned.diagnostics);
  const cfg = typeCheck(config, typeOf(kind));
  assert.deepEqual(checkPlan({ schema: schemaOf(kind), prior, config: cfg, planned: planned.planned, requiresReplace: planned.requiresReplace }), []);
  const applied = await apply(hh.h, kind, prior as EncodableValue, planned.plannedStateDv, config, planned.plannedPrivate);
  assertNoDiags(applied.diagnostics);
  const problems = checkApplyResult(schemaOf(kind), planned.planned, applied.newState ?? null);
  assert.deepEqual(problems, [], problems.join('\n'));
  assert.deepEqual(applied.private, PRIVATE, 'planned_private echoed as private');
  return { planned: planned.planned, state: applied.newState as CtyValue };
}

function typeCheck(v: EncodableValue, type: ObjectType): CtyValue {
  return decodeDynamic(encodeDynamic(v, type), type);
}

/** Refresh, assert it is a valid read result, and that planning the same config against it is a no-op. */
async function refreshNoDiff(hh: Harness, kind: Kind, state: CtyValue, config: Record<string, EncodableValue>): Promise<CtyValue> {
  const r = await read(hh.h, kind, state as EncodableValue, PRIVATE);
  assertNoDiags(r.diagnostics);
  assert.deepEqual(r.private, PRIVATE, 'ReadResource echoes private');
  assert.deepEqual(checkReadResult(schemaOf(kind), r.newState), []);
  const again = await plan(hh.h, kind, r.newState as EncodableValue, config, { proposed: proposedFrom(r.newState, config) });
  assertNoDiags(again.diagnostics);
  assert.ok(equalValues(again.planned, r.newState, typeOf(kind)), `unchanged resource plans a diff:\n${JSON.stringify(again.planned)}\nvs\n${JSON.stringify(r.newState)}`);
  return r.newState;
}

let hh: Harness;
beforeAll(async () => {
  hh = await startHarness();
});
afterAll(async () => {
  await hh.close();
});
beforeEach(() => {
  hh.api.fake.templates.clear();
  hh.api.fake.presets.clear();
  hh.api.fake.calls.length = 0;
  hh.api.fake.failWith = undefined;
});

const fullPreset = () => scheduledPresetConfig({ description: 'US pool', default: true });

async function seedTemplate(): Promise<void> {
  await hh.api.fake.putTemplate({ name: 'devbox', driver: 'devbox', config: {} });
  hh.api.fake.calls.length = 0;
}

describe('prewarm_template lifecycle', () => {
  test('create → version from the controller, config as planned; refresh plans no diff', async () => {
    const config = templateObj({ config: new Map([['image', 'node:20']]) });
    const { state } = await planApply(hh, 'prewarm_template', null, config);
    assert.equal(obj(state).id, 'devbox');
    assert.ok(equalValues(obj(state).version, CtyNumber.from(1)));
    assert.deepEqual(hh.api.fake.calls.map((c) => c.method), ['putTemplate']);
    assert.deepEqual(hh.api.fake.calls[0].args[0], { name: 'devbox', driver: 'devbox', config: { image: 'node:20' } });
    await refreshNoDiff(hh, 'prewarm_template', state, config);
  });

  test('absent config stays null through apply and refresh (the controller reports {})', async () => {
    const config = templateObj();
    const { state } = await planApply(hh, 'prewarm_template', null, config);
    assert.equal(obj(state).config, null);
    const refreshed = await refreshNoDiff(hh, 'prewarm_template', state, config);
    assert.equal(obj(refreshed).config, null);
  });

  test('update of config → new version', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const { state: updated } = await planApply(hh, 'prewarm_template', state, templateObj({ config: new Map([['image', 'node:22']]) }));
    assert.ok(equalValues(obj(updated).version, CtyNumber.from(2)));
  });

  test('drift: changed outside Terraform shows up as a diff; deleted outside → null (re-create)', async () => {
    const config = templateObj();
    const { state } = await planApply(hh, 'prewarm_template', null, config);
    await hh.api.fake.putTemplate({ name: 'devbox', driver: 'other', config: {} });
    const r = await read(hh.h, 'prewarm_template', state as EncodableValue);
    assert.equal(obj(r.newState).driver, 'other');
    const replan = await plan(hh.h, 'prewarm_template', r.newState as EncodableValue, config, { proposed: proposedFrom(r.newState, config) });
    assert.equal(obj(replan.planned).driver, 'devbox');
    assert.ok(isUnknown(obj(replan.planned).version));

    hh.api.fake.templates.clear();
    const gone = await read(hh.h, 'prewarm_template', state as EncodableValue, PRIVATE);
    assertNoDiags(gone.diagnostics);
    assert.equal(gone.newState, null);
  });

  test('delete → null state; deleting what is already gone succeeds', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const del = await apply(hh.h, 'prewarm_template', state as EncodableValue, null, null, PRIVATE);
    assertNoDiags(del.diagnostics);
    assert.equal(del.newState, null);
    assert.equal(hh.api.fake.templates.size, 0);
    const again = await apply(hh.h, 'prewarm_template', state as EncodableValue, null, null);
    assertNoDiags(again.diagnostics);
    assert.equal(again.newState, null);
  });

  test('delete refused by the controller (presets left) → error, prior state kept', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    await hh.api.fake.putPreset(presetSpec({ name: 'p' }));
    const del = await apply(hh.h, 'prewarm_template', state as EncodableValue, null, null);
    assertOneError(del.diagnostics, { summary: 'Cannot delete template devbox: conflict', detail: 'still has presets', path: null });
    assert.ok(equalValues(del.newState as CtyValue, state, types.template));
  });

  test('import by name → stub → read fills it; bad id explains the format', async () => {
    await hh.api.fake.putTemplate({ name: 'devbox', driver: 'devbox', config: { image: 'node:20' } });
    const imp = await importState(hh.h, 'prewarm_template', 'devbox');
    assertNoDiags(imp.diagnostics);
    assert.equal(imp.resources.length, 1);
    assert.equal(imp.resources[0].typeName, 'prewarm_template');
    assert.deepEqual(imp.resources[0].state, { id: 'devbox', name: 'devbox', driver: null, config: null, version: null });
    const config = templateObj({ config: new Map([['image', 'node:20']]) });
    const state = await refreshNoDiff(hh, 'prewarm_template', imp.resources[0].state, config);
    assert.equal(obj(state).driver, 'devbox');

    const bad = await importState(hh.h, 'prewarm_template', 'a/b');
    assertOneError(bad.diagnostics, { summary: 'Invalid import ID', detail: 'imported by its name', path: null });
    assert.equal(bad.resources.length, 0);
  });
});

describe('prewarm_preset lifecycle', () => {
  test('create with every block → the spec the API gets; refresh plans no diff', async () => {
    await seedTemplate();
    const config = fullPreset();
    const { state } = await planApply(hh, 'prewarm_preset', null, config);
    assert.equal(obj(state).id, 'devbox/us-nix');
    assert.deepEqual(hh.api.fake.calls[0].args[0], scheduledPreset({ description: 'US pool', default: true }));
    await refreshNoDiff(hh, 'prewarm_preset', state, config);
  });

  test('null vs empty: description/default/parameters left out stay null after read; set-but-empty stay empty', async () => {
    await seedTemplate();
    const minimal = presetObj();
    const { state } = await planApply(hh, 'prewarm_preset', null, minimal);
    const refreshed = await refreshNoDiff(hh, 'prewarm_preset', state, minimal);
    assert.equal(obj(refreshed).description, null);
    assert.equal(obj(refreshed).default, null);
    assert.equal(obj(refreshed).parameters, null);
    assert.deepEqual(obj(refreshed).prebuilds, []);

    const explicit = presetObj({ description: '', default: false, parameters: new Map() });
    const { state: s2 } = await planApply(hh, 'prewarm_preset', refreshed, explicit);
    const r2 = await refreshNoDiff(hh, 'prewarm_preset', s2, explicit);
    assert.equal(obj(r2).description, '');
    assert.equal(obj(r2).default, false);
    assert.ok(equalValues(obj(r2).parameters, new Map()));
  });

  test('a lead_time the controller spells differently keeps the configured spelling', async () => {
    await seedTemplate();
    const config = presetObj({ prebuilds: [prebuilds({ scheduling: [scheduling({ lead_time: '90m' })] })] });
    const { state } = await planApply(hh, 'prewarm_preset', null, config);
    const rec = hh.api.fake.presets.get('devbox/us-nix')!;
    rec.prebuilds!.scheduling!.lead_time = '1h30m';
    const refreshed = await refreshNoDiff(hh, 'prewarm_preset', state, config);
    const sched = obj((obj((obj(refreshed).prebuilds as CtyValue[])[0]).scheduling as CtyValue[])[0]);
    assert.equal(sched.lead_time, '90m');
  });

  test('import TEMPLATE/NAME → stub → read → the configuration plans no diff', async () => {
    await seedTemplate();
    await planApply(hh, 'prewarm_preset', null, fullPreset());
    const imp = await importState(hh.h, 'prewarm_preset', 'devbox/us-nix');
    assertNoDiags(imp.diagnostics);
    assert.deepEqual(imp.resources[0].state, {
      id: 'devbox/us-nix',
      template: 'devbox',
      name: 'us-nix',
      description: null,
      default: null,
      parameters: null,
      prebuilds: [],
    });
    assert.deepEqual(checkReadResult(jsonBlocks.preset, imp.resources[0].state), []);
    await refreshNoDiff(hh, 'prewarm_preset', imp.resources[0].state, fullPreset());
  });

  test('import with a bad id explains TEMPLATE/NAME', async () => {
    for (const id of ['us-nix', 'a/b/c', '/x', 'devbox/']) {
      const bad = await importState(hh.h, 'prewarm_preset', id);
      assertOneError(bad.diagnostics, { summary: 'Invalid import ID', detail: 'TEMPLATE/NAME', path: null });
    }
  });

  test('drift: deleted outside Terraform → null, and the next plan is a create', async () => {
    await seedTemplate();
    const { state } = await planApply(hh, 'prewarm_preset', null, fullPreset());
    hh.api.fake.presets.clear();
    const r = await read(hh.h, 'prewarm_preset', state as EncodableValue);
    assertNoDiags(r.diagnostics);
    assert.equal(r.newState, null);
    const { state: recreated } = await planApply(hh, 'prewarm_preset', null, fullPreset());
    assert.equal(obj(recreated).id, 'devbox/us-nix');
    assert.equal(hh.api.fake.presets.size, 1);
  });

  test('delete', async () => {
    await seedTemplate();
    const { state } = await planApply(hh, 'prewarm_preset', null, fullPreset());
    const del = await apply(hh.h, 'prewarm_preset', state as EncodableValue, null, null);
    assertNoDiags(del.diagnostics);
    assert.equal(del.newState, null);
    assert.equal(hh.api.fake.presets.size, 0);
  });
});

describe('API errors become diagnostics', () => {
  test('ValidationError field paths → AttributePaths (list index 0 for once-blocks, schedule[1], map keys)', async () => {
    await seedTemplate();
    hh.api.fake.failWith = new ValidationError([
      { path: ['prebuilds', 'scheduling', 'timezone'], message: 'unknown time zone' },
      { path: ['prebuilds', 'scheduling', 'schedule', 1, 'cron'], message: 'the minute field must be "*"' },
      { path: ['prebuilds', 'expiration_policy', 'ttl'], message: 'too short' },
      { path: ['parameters', 'region'], message: 'unknown parameter' },
      { path: ['default'], message: 'template devbox already has a default preset (eu)' },
      { path: [], message: 'something general' },
    ]);
    const planned = await plan(hh.h, 'prewarm_preset', null, fullPreset());
    const res = await apply(hh.h, 'prewarm_preset', null, planned.plannedStateDv, fullPreset());
    assert.equal(res.newState, null, 'a failed create saves nothing');
    const diags = res.diagnostics;
    assert.equal(diags.length, 6, describeDiags(diags));
    assert.ok(diags.every((d) => d.severity === Diagnostic_Severity.ERROR));
    assert.ok(diags.every((d) => d.detail.includes('rejected by the prewarm controller')), describeDiags(diags));
    assert.deepEqual(
      diags.map((d) => steps(d.attribute)),
      [
        p('prebuilds[0].scheduling[0].timezone'),
        p('prebuilds[0].scheduling[0].schedule[1].cron'),
        p('prebuilds[0].expiration_policy[0].ttl'),
        p('parameters["region"]'),
        p('default'),
        [],
      ],
    );
    assert.match(diags[4].detail, /already has a default preset/);
    assert.equal(diags[5].summary, 'Invalid prewarm_preset');
  });

  test('the fake controller\'s own check (cron must start with "* ") on the second schedule maps to schedule[1]', async () => {
    await seedTemplate();
    const config = presetObj({
      prebuilds: [prebuilds({ scheduling: [scheduling({ schedule: [{ cron: '* 8 * * *', instances: 1 }, { cron: '*\t9 * * *', instances: 1 }] })] })],
    });
    const planned = await plan(hh.h, 'prewarm_preset', null, config);
    const res = await apply(hh.h, 'prewarm_preset', null, planned.plannedStateDv, config);
    assertOneError(res.diagnostics, { summary: 'Invalid value', detail: 'minute field', path: 'prebuilds[0].scheduling[0].schedule[1].cron' });
  });

  test('NotFound on create (template missing) → error, nothing saved', async () => {
    const planned = await plan(hh.h, 'prewarm_preset', null, fullPreset());
    const res = await apply(hh.h, 'prewarm_preset', null, planned.plannedStateDv, fullPreset());
    assertOneError(res.diagnostics, { summary: 'Cannot create preset devbox/us-nix: not found', detail: 'template devbox not found', path: null });
    assert.equal(res.newState, null);
  });

  test('Conflict and ApiError on update → error, prior state kept', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const config = templateObj({ driver: 'other' });
    for (const [err, summary] of [
      [new ConflictError('busy'), 'Cannot update template devbox: conflict'],
      [new ApiError('the controller is unhappy', 13), 'Cannot update template devbox'],
      [new NotFoundError('gone'), 'Cannot update template devbox: not found'],
    ] as const) {
      const planned = await plan(hh.h, 'prewarm_template', state as EncodableValue, config, { proposed: proposedFrom(state, config) });
      hh.api.fake.failWith = err;
      const res = await apply(hh.h, 'prewarm_template', state as EncodableValue, planned.plannedStateDv, config);
      const d = assertOneError(res.diagnostics, { summary, path: null });
      assert.ok(d.detail.length > 0);
      assert.ok(equalValues(res.newState as CtyValue, state, types.template), 'prior state kept');
    }
  });

  test('a read that fails keeps the current state and reports the error', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    hh.api.fake.failWith = new ConflictError('paused for maintenance');
    const r = await read(hh.h, 'prewarm_template', state as EncodableValue, PRIVATE);
    assertOneError(r.diagnostics, { summary: 'Cannot read template devbox: conflict', path: null });
    assert.ok(equalValues(r.newState, state, types.template));
    assert.deepEqual(r.private, PRIVATE);
  });

  test('a cancelled call (StopProvider aborted the signal) is reported as cancelled', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const aborted = new AbortController();
    aborted.abort();
    const res = await hh.h.applyResourceChange!(
      create(ApplyResourceChange_RequestSchema, {
        typeName: 'prewarm_template',
        priorState: dv(state as EncodableValue, types.template),
        plannedState: dv(null, types.template),
        config: dv(null, types.template),
      }),
      ctx(aborted.signal),
    );
    assert.match(describeDiags(res.diagnostics as never), /cancelled/);
  });
  test('a call in flight gives up when the signal aborts', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const fake = hh.api.fake;
    const original = fake.getTemplate;
    let entered!: () => void;
    const reached = new Promise<void>((resolve) => (entered = resolve));
    fake.getTemplate = () => {
      entered();
      return new Promise(() => {}); // never answers
    };
    try {
      const stop = new AbortController();
      const pending = hh.h.readResource!(
        create(ReadResource_RequestSchema, { typeName: 'prewarm_template', currentState: dv(state as EncodableValue, types.template) }),
        ctx(stop.signal),
      );
      await reached;
      stop.abort();
      const res = await pending;
      assertOneError(res.diagnostics as never, { summary: 'Cannot read template devbox: cancelled', path: null });
    } finally {
      fake.getTemplate = original;
    }
  });
});

describe('data source prewarm_preset', () => {
  const dataConfig = { template: 'devbox', name: 'us-nix', id: null, desired: null, ready: null, starting: null, status: null, backoff_until: null };
  const explained = explainPreset({ desired: 3, desired_source: 'schedule[0]', ready: 2, starting: 1, claimed: 4 });

  test('reads desired, ready, starting, status; backoff_until null when not backing off', async () => {
    hh.api.fake.explainReport = { at: '2026-03-09T12:00:00.000Z', paused: false, presets: [{ ...explained, template: 'other' }, explained] };
    const r = await readData(hh.h, dataConfig);
    assertNoDiags(r.diagnostics);
    assert.deepEqual(checkReadResult(jsonBlocks.presetData, r.state ?? null, false), []);
    const s = obj(r.state);
    assert.equal(s.id, 'devbox/us-nix');
    assert.ok(equalValues(s.desired, CtyNumber.from(3)) && equalValues(s.ready, CtyNumber.from(2)) && equalValues(s.starting, CtyNumber.from(1)));
    assert.equal(s.status, 'healthy');
    assert.equal(s.backoff_until, null);
  });

  test('backing off: backoff_until is the RFC 3339 time', async () => {
    hh.api.fake.explainReport = {
      at: '2026-03-09T12:00:00.000Z',
      paused: false,
      presets: [{ ...explained, status: 'hard_limited', backoff_until: '2026-03-09T12:05:00.000Z' }],
    };
    const s = obj((await readData(hh.h, dataConfig)).state);
    assert.equal(s.backoff_until, '2026-03-09T12:05:00.000Z');
    assert.equal(s.status, 'hard_limited');
  });

  test('not found → error diagnostic', async () => {
    hh.api.fake.explainReport = { at: '2026-03-09T12:00:00.000Z', paused: false, presets: [] };
    const r = await readData(hh.h, dataConfig);
    assertOneError(r.diagnostics, { summary: 'Preset devbox/us-nix not found', path: null });
    hh.api.fake.failWith = new NotFoundError('no preset "devbox/us-nix"');
    assertOneError((await readData(hh.h, dataConfig)).diagnostics, { summary: 'not found', path: null });
  });
});

describe('provider configuration', () => {
  test('unknown endpoint at configure: plan works, refresh keeps state with a warning, apply/import/data fail naming it', async () => {
    const provider = createProvider({ env: { PREWARM_TOKEN: 'x' } });
    try {
      assertNoDiags(await configure(provider.handlers, providerConfig({ endpoint: unknown() })));
      const h = provider.handlers;
      const planned = await plan(h, 'prewarm_template', null, templateObj());
      assertNoDiags(planned.diagnostics);

      const state = templateObj({ id: 'devbox', version: 1 });
      const r = await read(h, 'prewarm_template', state, PRIVATE);
      assert.equal(errors(r.diagnostics).length, 0);
      assert.equal(r.diagnostics.length, 1);
      assert.equal(r.diagnostics[0].severity, Diagnostic_Severity.WARNING);
      assert.ok(equalValues(r.newState, typeCheck(state, types.template), types.template));
      assert.deepEqual(r.private, PRIVATE);

      const a = await apply(h, 'prewarm_template', null, planned.plannedStateDv, templateObj());
      assertOneError(a.diagnostics, { summary: 'provider configuration is not known yet', detail: '"endpoint"', path: null });
      assert.equal(a.newState, null);
      assertOneError((await importState(h, 'prewarm_template', 'devbox')).diagnostics, { summary: 'not known yet', detail: 'must be known', path: null });
      assertOneError((await readData(h, { template: 'devbox', name: 'x', id: null, desired: null, ready: null, starting: null, status: null, backoff_until: null })).diagnostics, {
        summary: 'not known yet',
        path: null,
      });
    } finally {
      provider.close();
    }
  });

  test('environment defaults, missing token, unreadable ca_cert (path on the attribute), bad PREWARM_INSECURE', async () => {
    const fromEnv = createProvider({ env: { PREWARM_TOKEN: 't', PREWARM_ENDPOINT: '127.0.0.1:1' } });
    assertNoDiags(await configure(fromEnv.handlers, providerConfig()));
    fromEnv.close();

    const noToken = createProvider({ env: {} });
    assertOneError(await configure(noToken.handlers, providerConfig()), { summary: 'No API token', detail: 'PREWARM_TOKEN', path: null });
    const res = await apply(noToken.handlers, 'prewarm_template', null, templateObj({ id: 'devbox', version: unknown() }), templateObj());
    assertOneError(res.diagnostics, { summary: 'the provider is not configured', path: null });

    const badCa = createProvider({ env: {} });
    assertOneError(await configure(badCa.handlers, providerConfig({ token: 't', ca_cert: '/nonexistent/ca.pem' })), {
      summary: 'Cannot read the CA certificate',
      detail: 'no such file',
      path: 'ca_cert',
    });
    const badEnv = createProvider({ env: { PREWARM_TOKEN: 't', PREWARM_INSECURE: 'maybe' } });
    assertOneError(await configure(badEnv.handlers, providerConfig()), { summary: 'Invalid PREWARM_INSECURE', path: null });
  });

  test('an unreachable controller → an error saying so, not a crash', async () => {
    const provider = createProvider({ env: {}, timeoutMs: 2000 });
    try {
      assertNoDiags(await configure(provider.handlers, providerConfig({ endpoint: '127.0.0.1:1', token: 't' })));
      const planned = await plan(provider.handlers, 'prewarm_template', null, templateObj());
      const res = await apply(provider.handlers, 'prewarm_template', null, planned.plannedStateDv as DynamicValue, templateObj());
      assertOneError(res.diagnostics, { summary: 'Cannot create template devbox', detail: /cannot reach the prewarm controller|deadline/i, path: null });
      assert.equal(res.newState, null);
    } finally {
      provider.close();
    }
  });
});

/**
 * prewarm_notification_target through the provider's RPC handlers, with an in-memory stand-in for the controller's
 * three target calls behind the provider's client factory: the schema (sensitive secret, optional+computed defaults),
 * plan-time validation with attribute paths (the domain's validateTargetFields, unknowns skipped), plans (defaults,
 * unknowns, replace on name only), create with createOnly and the "import it" answer to a name that exists, update,
 * drift, the secret kept from state and never read back, import by name, and delete.
 */
import { afterAll, beforeAll, beforeEach, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import {
  ApplyResourceChange_RequestSchema,
  DynamicValueSchema,
  GetProviderSchema_RequestSchema,
  ImportResourceState_RequestSchema,
  PlanResourceChange_RequestSchema,
  ReadResource_RequestSchema,
  ValidateResourceConfig_RequestSchema,
  type AttributePath,
  type Diagnostic,
  type DynamicValue,
  type Schema,
} from '../../../provider/protocol';
import { createProvider, createProviderHandlers } from '../../../provider/rpc-handlers';
import type { ProviderHandlers } from '../../../provider/server/handler-contract';
import { impliedType } from '../../../provider/implied-type';
import { NOTIFICATION_TARGET_SCHEMA, PROVIDER_ADDRESS } from '../../../provider/schema';
import { providerSchemaJson } from '../../../provider/schema-export';
import { equalValues, isUnknown, unknown, type CtyValue, type EncodableValue } from '../../../provider/values';
import { createClient, type PrewarmClient } from '../../../controller/api/client';
import type { NotificationTargetInput } from '../../../controller/api/service';
import type { PutOptions } from '../../../controller/domain/records';
import { ConflictError, NotFoundError, ValidationError } from '../../../controller/domain/errors';
import { parseTargetSpec, type NotificationTargetRecord } from '../../../controller/domain/notification-target';
import { MAX_SECRET_BYTES, MAX_URL, MIN_SECRET_CHARS } from '../../../controller/domain/limits';
import { NOTIFICATION_EVENTS } from '../../../controller/domain/workspace';
import { assertNoDiags, assertOneError, configure, ctx, decode, describeDiags, dv, p, providerConfig, steps } from '../../helpers/provider-harness';
import { checkApplyResult, checkPlan, checkReadResult, type JsonBlock } from '../../helpers/plan-rules';
import { startTestApi, TOKEN, type TestApi } from '../../helpers/api-fake';

const NT = 'prewarm_notification_target';
const type = impliedType(NOTIFICATION_TARGET_SCHEMA.block);
type Exported = { provider_schemas: Record<string, { resource_schemas: Record<string, { block: JsonBlock }> }> };
const jsonBlock = (providerSchemaJson() as Exported).provider_schemas[PROVIDER_ADDRESS].resource_schemas[NT].block;
const U = unknown();
const SECRET = 'whsec-0123456789abcdef';
const OTHER_SECRET = 'whsec-fedcba9876543210';
const PRIVATE = new Uint8Array([7, 7]);

type Obj = Record<string, EncodableValue>;

/** A full configuration (every attribute present), from a few overrides. */
function cfg(o: Obj = {}): Obj {
  return {
    id: null,
    name: 'ops',
    url: 'https://hooks.example.com/prewarm',
    secret: SECRET,
    events: ['workspace_autostop_reminder', 'workspace_deleted'],
    format: null,
    enabled: null,
    ...o,
  };
}

function obj(v: CtyValue | undefined): Record<string, CtyValue> {
  assert.ok(v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !isUnknown(v), 'an object');
  return v as Record<string, CtyValue>;
}

// ---- the controller's side ----------------------------------------------------------------------------------

/** The three target calls the resource makes, answering as the controller's service does (minus sealing). */
class FakeTargets {
  readonly targets = new Map<string, NotificationTargetRecord & { secret: string }>();
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  /** Thrown by the next put, as the service's own-port check would. */
  putFails: Error | undefined;

  async putNotificationTarget(input: NotificationTargetInput, opts: PutOptions = {}) {
    this.calls.push({ method: 'putNotificationTarget', args: [input, opts] });
    if (this.putFails) throw this.putFails;
    const spec = parseTargetSpec(input);
    const before = this.targets.get(spec.name);
    if (before && opts.createOnly) throw new ConflictError(`notification target "${spec.name}" already exists`);
    const now = 1_700_000_000_000;
    const rec = { name: spec.name, url: spec.url, events: spec.events, format: spec.format, enabled: spec.enabled, secret: spec.secret, createdAt: before?.createdAt ?? now, updatedAt: now };
    this.targets.set(spec.name, rec);
    return { target: this.record(spec.name), changed: true };
  }

  async getNotificationTarget(name: string): Promise<NotificationTargetRecord> {
    this.calls.push({ method: 'getNotificationTarget', args: [name] });
    if (!this.targets.has(name)) throw new NotFoundError(`notification target "${name}" not found`);
    return this.record(name);
  }

  async deleteNotificationTarget(name: string): Promise<void> {
    this.calls.push({ method: 'deleteNotificationTarget', args: [name] });
    if (!this.targets.delete(name)) throw new NotFoundError(`notification target "${name}" not found`);
  }

  close(): void {}

  /** What the API answers: everything but the secret. */
  private record(name: string): NotificationTargetRecord {
    const { secret: _secret, ...rec } = this.targets.get(name)!;
    return { ...rec, events: [...rec.events] };
  }

  /** A change made outside Terraform (the CLI, or another API client). */
  edit(name: string, change: Partial<NotificationTargetRecord>): void {
    this.targets.set(name, { ...this.targets.get(name)!, ...change });
  }
}

const fake = new FakeTargets();
let h: ProviderHandlers;
const offline = createProviderHandlers({ env: {} });

beforeEach(async () => {
  fake.targets.clear();
  fake.calls.length = 0;
  fake.putFails = undefined;
  const provider = createProvider({ env: {}, clientFactory: () => fake as unknown as PrewarmClient });
  h = provider.handlers;
  assertNoDiags(await configure(h, providerConfig({ endpoint: '127.0.0.1:1', token: 'test-token' })));
});

// ---- requests ---------------------------------------------------------------------------------------------

async function validate(handlers: ProviderHandlers, config: EncodableValue): Promise<Diagnostic[]> {
  const res = await handlers.validateResourceConfig!(create(ValidateResourceConfig_RequestSchema, { typeName: NT, config: dv(config, type) }), ctx());
  return (res.diagnostics ?? []) as Diagnostic[];
}

/** Terraform's proposed new state: the configuration, with the prior value where a computed attribute is left null. */
function proposedFrom(prior: CtyValue, config: Obj): Obj {
  if (prior === null) return config;
  const pr = obj(prior);
  const out = { ...config };
  for (const [name, a] of Object.entries(NOTIFICATION_TARGET_SCHEMA.block.attributes)) {
    if ((a.mode === 'computed' || a.mode === 'optional_computed') && out[name] === null) out[name] = pr[name] as EncodableValue;
  }
  return out;
}

async function plan(handlers: ProviderHandlers, prior: CtyValue, config: Obj | null) {
  const res = await handlers.planResourceChange!(
    create(PlanResourceChange_RequestSchema, {
      typeName: NT,
      priorState: dv(prior as EncodableValue, type),
      proposedNewState: dv(config === null ? null : proposedFrom(prior, config), type),
      config: dv(config, type),
      priorPrivate: PRIVATE,
    }),
    ctx(),
  );
  const planned = decode(res.plannedState as DynamicValue, type);
  const requiresReplace = (res.requiresReplace ?? []).map((rp) => steps(rp as AttributePath));
  const diagnostics = (res.diagnostics ?? []) as Diagnostic[];
  if (diagnostics.length === 0 && config !== null) {
    const problems = checkPlan({ schema: jsonBlock, prior, config: decode(dv(config, type), type), planned, requiresReplace });
    assert.deepEqual(problems, [], problems.join('\n'));
  }
  return { planned, requiresReplace, diagnostics, plannedDv: create(DynamicValueSchema, res.plannedState as DynamicValue) };
}

async function apply(prior: CtyValue, planned: DynamicValue, config: EncodableValue, handlers: ProviderHandlers = h) {
  const res = await handlers.applyResourceChange!(
    create(ApplyResourceChange_RequestSchema, { typeName: NT, priorState: dv(prior as EncodableValue, type), plannedState: planned, config: dv(config, type), plannedPrivate: PRIVATE }),
    ctx(),
  );
  return { newState: res.newState === undefined ? undefined : decode(res.newState as DynamicValue, type), diagnostics: (res.diagnostics ?? []) as Diagnostic[] };
}

async function read(state: CtyValue, handlers: ProviderHandlers = h) {
  const res = await handlers.readResource!(create(ReadResource_RequestSchema, { typeName: NT, currentState: dv(state as EncodableValue, type), private: PRIVATE }), ctx());
  const newState = decode(res.newState as DynamicValue, type);
  assert.deepEqual(checkReadResult(jsonBlock, newState), []);
  return { newState, diagnostics: (res.diagnostics ?? []) as Diagnostic[] };
}

async function importState(id: string) {
  const res = await h.importResourceState!(create(ImportResourceState_RequestSchema, { typeName: NT, id }), ctx());
  return {
    resources: (res.importedResources ?? []).map((r) => ({ typeName: r.typeName, state: decode(r.state as DynamicValue, type) })),
    diagnostics: (res.diagnostics ?? []) as Diagnostic[],
  };
}

/** plan → apply → refresh as Terraform runs them, every rule checked; returns the refreshed state. */
async function planApply(prior: CtyValue, config: Obj, handlers: ProviderHandlers = h): Promise<CtyValue> {
  const pl = await plan(handlers, prior, config);
  assertNoDiags(pl.diagnostics);
  const applied = await apply(prior, pl.plannedDv, config, handlers);
  assertNoDiags(applied.diagnostics);
  assert.deepEqual(checkApplyResult(jsonBlock, pl.planned, applied.newState ?? null), []);
  const refreshed = await read(applied.newState ?? null, handlers);
  assertNoDiags(refreshed.diagnostics);
  assert.ok(equalValues(refreshed.newState, applied.newState ?? null, type), 'refresh right after apply reads the applied state');
  const again = await plan(handlers, refreshed.newState, config);
  assertNoDiags(again.diagnostics);
  assert.ok(equalValues(again.planned, refreshed.newState, type), `the same configuration plans a change:\n${JSON.stringify(again.planned)}`);
  return refreshed.newState;
}

/** Every diagnostic's text, to check that the secret is in none of them. */
const allText = (diags: readonly Diagnostic[]) => diags.map((d) => `${d.summary}\n${d.detail}`).join('\n');

// ---- tests --------------------------------------------------------------------------------------------------

describe('prewarm_notification_target schema', () => {
  test('secret is required and sensitive; format and enabled optional+computed; name replaces', async () => {
    const res = await offline.getProviderSchema!(create(GetProviderSchema_RequestSchema), ctx());
    const block = (res.resourceSchemas as Record<string, Schema>)[NT].block!;
    const flags = Object.fromEntries(block.attributes.map((a) => [a.name, [a.required, a.optional, a.computed, a.sensitive]]));
    assert.deepEqual(flags, {
      enabled: [false, true, true, false],
      events: [true, false, false, false],
      format: [false, true, true, false],
      id: [false, false, true, false],
      name: [true, false, false, false],
      secret: [true, false, false, true],
      url: [true, false, false, false],
    });
    assert.equal(Buffer.from(block.attributes.find((a) => a.name === 'events')!.type).toString(), '["list","string"]');
    const attrs = jsonBlock.attributes!;
    assert.deepEqual([attrs.format.optional, attrs.format.computed, attrs.secret.sensitive], [true, true, true]);
  });

  test('descriptions quote the domain limits and every event type, and say what import leaves out', () => {
    const a = NOTIFICATION_TARGET_SCHEMA.block.attributes;
    assert.match(a.secret.description, new RegExp(`at least ${MIN_SECRET_CHARS} characters`));
    assert.match(a.secret.description, new RegExp(`${MAX_SECRET_BYTES} bytes`));
    assert.match(a.secret.description, /terraform import.*null in the state until the next apply/s);
    assert.match(a.url.description, new RegExp(`at most ${MAX_URL} characters`));
    for (const e of NOTIFICATION_EVENTS) assert.ok(a.events.description.includes(`\`${e}\``), e);
    assert.match(a.format.description, /default `json`/);
    assert.match(a.enabled.description, /default `true`/);
    assert.match(NOTIFICATION_TARGET_SCHEMA.block.description, /terraform import prewarm_notification_target/);
    assert.ok(a.name.requiresReplace);
  });
});

describe('prewarm_notification_target validation (plan time, provider not configured)', () => {
  test('a full configuration, "*", and unknown values are valid', async () => {
    assertNoDiags(await validate(offline, cfg({ format: 'slack', enabled: false })));
    assertNoDiags(await validate(offline, cfg({ events: ['*'], url: 'http://10.0.0.5:8080/hook?x=1' })));
    assertNoDiags(await validate(offline, cfg({ name: U, url: U, secret: U, events: U, format: U, enabled: U })));
    // An unknown element: the list cannot be judged yet (it might turn out to be a duplicate or "*").
    assertNoDiags(await validate(offline, cfg({ events: ['workspace_deleted', U] })));
  });

  test('each bad value is one error at its attribute (Terraform shows the file and line)', async () => {
    const cases: Array<[Obj, string, RegExp]> = [
      [{ url: 'ftp://hooks.example.com/x' }, 'url', /must use http:\/\/ or https:\/\//],
      [{ url: 'hooks.example.com/x' }, 'url', /absolute http/],
      [{ url: 'https://user:pw@hooks.example.com/' }, 'url', /credentials/],
      [{ url: 'https://hooks.example.com/#top' }, 'url', /fragment/],
      [{ url: `https://hooks.example.com/${'x'.repeat(MAX_URL)}` }, 'url', new RegExp(`at most ${MAX_URL} characters`)],
      [{ url: '' }, 'url', /must not be empty/],
      [{ events: ['workspace_deleted', 'workspace_exploded'] }, 'events[1]', /unknown event type "workspace_exploded" \(known: \*, preset_hard_limited/],
      [{ events: ['workspace_deleted', 'workspace_deleted'] }, 'events[1]', /listed twice/],
      [{ events: ['*', 'workspace_deleted'] }, 'events', /list it alone/],
      [{ events: [] }, 'events', /at least one event type/],
      [{ format: 'xml' }, 'format', /must be "json" or "slack"/],
      [{ name: 'Ops Hooks' }, 'name', /letters, digits/],
      [{ secret: '' }, 'secret', /must not be empty/],
    ];
    for (const [change, path, detail] of cases) {
      assertOneError(await validate(offline, cfg(change)), { summary: `"${path}"`, detail, path });
    }
  });

  test('a short secret is an error at secret that never quotes it', async () => {
    const short = 'tooShortSecret!'; // 15 characters
    const diags = await validate(offline, cfg({ secret: short }));
    assertOneError(diags, { summary: 'Invalid value for "secret"', detail: `must be at least ${MIN_SECRET_CHARS} characters`, path: 'secret' });
    assert.ok(!allText(diags).includes(short), describeDiags(diags));
    const control = 'a-long-enough-secret\u0007value';
    const d2 = await validate(offline, cfg({ secret: control }));
    assertOneError(d2, { summary: 'Invalid value for "secret"', detail: /control characters/, path: 'secret' });
    assert.ok(!allText(d2).includes('a-long-enough'), describeDiags(d2));
  });

  test('several problems at once: every one at its own path', async () => {
    const diags = await validate(offline, cfg({ url: 'gopher://x', events: ['nope'], secret: 'short', format: 'xml' }));
    assert.deepEqual(
      diags.map((d) => steps(d.attribute)),
      [p('url'), p('secret'), p('format'), p('events[0]')],
      describeDiags(diags),
    );
  });
});

describe('prewarm_notification_target plan', () => {
  test('create: id is the name, format and enabled planned as their defaults', async () => {
    const { planned, requiresReplace } = await plan(offline, null, cfg());
    const o = obj(planned);
    assert.deepEqual([o.id, o.format, o.enabled, o.secret], ['ops', 'json', true, SECRET]);
    assert.deepEqual(requiresReplace, []);
  });

  test('create with unknowns: they stay unknown, an unknown name makes the id unknown', async () => {
    const { planned } = await plan(offline, null, cfg({ name: U, url: U, secret: U, events: U, format: U, enabled: U }));
    const o = obj(planned);
    for (const name of ['id', 'name', 'url', 'secret', 'events', 'format', 'enabled']) assert.ok(isUnknown(o[name]), `${name} unknown`);
    const partly = obj((await plan(offline, null, cfg({ secret: U, events: ['workspace_deleted', U] }))).planned);
    assert.equal(partly.id, 'ops');
    assert.ok(isUnknown(partly.secret));
    assert.ok(Array.isArray(partly.events) && isUnknown(partly.events[1]));
  });

  test('update: a new name replaces; url, events, secret, format and enabled change in place', async () => {
    const prior = obj((await plan(offline, null, cfg({ format: 'slack' }))).planned);
    assert.deepEqual((await plan(offline, prior, cfg({ name: 'ops2', format: 'slack' }))).requiresReplace, [p('name')]);
    for (const change of [{ url: 'https://other.example.com/' }, { events: ['*'] }, { secret: OTHER_SECRET }, { enabled: false }]) {
      const pl = await plan(offline, prior, cfg({ format: 'slack', ...change }));
      assert.deepEqual(pl.requiresReplace, [], JSON.stringify(change));
      assert.ok(!equalValues(pl.planned, prior, type), `${JSON.stringify(change)} plans a change`);
    }
  });

  test('format or enabled removed from the configuration goes back to the default, not the prior value', async () => {
    const prior = obj((await plan(offline, null, cfg({ format: 'slack', enabled: false }))).planned);
    const { planned } = await plan(offline, prior, cfg());
    assert.deepEqual([obj(planned).format, obj(planned).enabled], ['json', true]);
  });

  test('destroy plans null', async () => {
    const prior = obj((await plan(offline, null, cfg())).planned);
    assert.equal((await plan(offline, prior, null)).planned, null);
  });
});

describe('prewarm_notification_target apply, read, import, delete', () => {
  test('create puts with createOnly and the defaults; the state keeps the secret, the record never has it', async () => {
    const state = await planApply(null, cfg());
    assert.deepEqual(fake.calls[0], {
      method: 'putNotificationTarget',
      args: [{ name: 'ops', url: 'https://hooks.example.com/prewarm', secret: SECRET, events: ['workspace_autostop_reminder', 'workspace_deleted'], format: 'json', enabled: true }, { createOnly: true }],
    });
    assert.equal(obj(state).secret, SECRET, 'the secret comes from the configuration, kept through refresh');
    assert.equal(fake.targets.get('ops')!.secret, SECRET);
  });

  test('update puts without createOnly', async () => {
    const state = await planApply(null, cfg());
    fake.calls.length = 0;
    const next = await planApply(state, cfg({ url: 'https://other.example.com/hook', secret: OTHER_SECRET, enabled: false }));
    const put = fake.calls.find((c) => c.method === 'putNotificationTarget')!;
    assert.deepEqual(put.args[1], { createOnly: false });
    assert.deepEqual([fake.targets.get('ops')!.url, fake.targets.get('ops')!.secret, fake.targets.get('ops')!.enabled], ['https://other.example.com/hook', OTHER_SECRET, false]);
    assert.equal(obj(next).secret, OTHER_SECRET);
  });

  test('create of a name that exists: an error at name that says to import it, and no state', async () => {
    await fake.putNotificationTarget({ name: 'ops', url: 'https://cli.example.com/', secret: OTHER_SECRET, events: ['*'] });
    const pl = await plan(h, null, cfg());
    const r = await apply(null, pl.plannedDv, cfg());
    assertOneError(r.diagnostics, {
      summary: 'Notification target "ops" already exists',
      detail: 'terraform import prewarm_notification_target.<resource name> ops',
      path: 'name',
    });
    assert.equal(r.newState, null);
    assert.equal(fake.targets.get('ops')!.url, 'https://cli.example.com/', 'the existing target is left alone');
    assert.ok(!allText(r.diagnostics).includes(SECRET) && !allText(r.diagnostics).includes(OTHER_SECRET));
  });

  test('the controller refusing a value (its own port) is an error at that attribute', async () => {
    fake.putFails = ValidationError.field(['url'], "points at this controller's own port 7420");
    const pl = await plan(h, null, cfg({ url: 'http://127.0.0.1:7420/' }));
    const r = await apply(null, pl.plannedDv, cfg({ url: 'http://127.0.0.1:7420/' }));
    assertOneError(r.diagnostics, { summary: 'Invalid value for "url"', detail: /own port 7420 \(rejected by the prewarm controller\)/, path: 'url' });
    assert.equal(r.newState, null);
  });

  test('drift: url, events, format and enabled changed outside Terraform are read; the secret is kept from state', async () => {
    const state = await planApply(null, cfg());
    fake.edit('ops', { url: 'https://moved.example.com/', events: ['*'], format: 'slack', enabled: false, secret: 'changed-outside-terraform' } as Partial<NotificationTargetRecord>);
    const { newState } = await read(state);
    const o = obj(newState);
    assert.deepEqual([o.url, o.events, o.format, o.enabled, o.secret], ['https://moved.example.com/', ['*'], 'slack', false, SECRET]);
    const pl = await plan(h, newState, cfg());
    assert.deepEqual(pl.requiresReplace, []);
    const planned = obj(pl.planned);
    assert.deepEqual([planned.url, planned.format, planned.enabled], ['https://hooks.example.com/prewarm', 'json', true]);
  });

  test('the same events in another order are not drift', async () => {
    const state = await planApply(null, cfg());
    fake.edit('ops', { events: ['workspace_deleted', 'workspace_autostop_reminder'] });
    const { newState } = await read(state);
    assert.deepEqual(obj(newState).events, ['workspace_autostop_reminder', 'workspace_deleted']);
  });

  test('a target deleted outside Terraform reads as gone', async () => {
    const state = await planApply(null, cfg());
    fake.targets.clear();
    const r = await read(state);
    assertNoDiags(r.diagnostics);
    assert.equal(r.newState, null);
  });

  test('import by name: everything but the secret is read; the next apply sets the secret in place', async () => {
    await fake.putNotificationTarget({ name: 'ops', url: 'https://hooks.example.com/prewarm', secret: OTHER_SECRET, events: ['workspace_deleted', 'workspace_autostop_reminder'], format: 'slack' });
    const imp = await importState('ops');
    assertNoDiags(imp.diagnostics);
    assert.equal(imp.resources.length, 1);
    assert.equal(imp.resources[0].typeName, NT);
    assert.deepEqual(obj(imp.resources[0].state), { id: 'ops', name: 'ops', url: null, secret: null, events: null, format: null, enabled: null });
    const { newState } = await read(imp.resources[0].state);
    assert.deepEqual(obj(newState), {
      id: 'ops',
      name: 'ops',
      url: 'https://hooks.example.com/prewarm',
      secret: null,
      events: ['workspace_deleted', 'workspace_autostop_reminder'],
      format: 'slack',
      enabled: true,
    });
    const config = cfg({ events: ['workspace_deleted', 'workspace_autostop_reminder'], format: 'slack' });
    const pl = await plan(h, newState, config);
    assert.deepEqual(pl.requiresReplace, [], 'the secret is set in place');
    assert.equal(obj(pl.planned).secret, SECRET);
    const after = await planApply(newState, config);
    assert.equal(obj(after).secret, SECRET);
    assert.equal(fake.targets.get('ops')!.secret, SECRET, 'the apply after the import set the configured secret');
  });

  test('an import ID that is not a name is refused; a missing target reads as null after import', async () => {
    const bad = await importState('not a name');
    assertOneError(bad.diagnostics, { summary: 'Invalid import ID', detail: /imported by its name/, path: null });
    const missing = await importState('nobody');
    assertNoDiags(missing.diagnostics);
    assert.equal((await read(missing.resources[0].state)).newState, null);
  });

  test('delete removes the target; one already gone counts as deleted', async () => {
    const state = await planApply(null, cfg());
    const pl = await plan(h, state, null);
    let r = await apply(state, pl.plannedDv, null);
    assertNoDiags(r.diagnostics);
    assert.equal(r.newState, null);
    assert.equal(fake.targets.size, 0);
    r = await apply(state, pl.plannedDv, null);
    assertNoDiags(r.diagnostics);
    assert.equal(r.newState, null);
  });
});

describe('prewarm_notification_target over the wire (the real gRPC client and server, the API fake behind them)', () => {
  let api: TestApi;
  let wire: ProviderHandlers;
  let close: () => void;
  beforeAll(async () => {
    api = await startTestApi();
    const clients: PrewarmClient[] = [];
    const provider = createProvider({
      env: {},
      timeoutMs: 5000,
      clientFactory: (opts) => {
        const c = createClient(opts);
        clients.push(c);
        return c;
      },
    });
    wire = provider.handlers;
    close = () => {
      provider.close();
      for (const c of clients) c.close();
    };
    assertNoDiags(await configure(wire, providerConfig({ endpoint: api.endpoint, token: TOKEN })));
  });
  afterAll(async () => {
    close();
    await api.close();
  });

  test('create sends the configured secret; a taken name, a refused value and a missing target keep their meaning across the wire', async () => {
    api.fake.targets.clear();
    api.fake.secrets.clear();
    const state = await planApply(null, cfg({ name: 'wire-hook' }), wire);
    assert.equal(api.fake.secrets.get('wire-hook'), SECRET, 'the configured secret reached the controller');
    assert.equal(obj(state).secret, SECRET);
    const put = api.fake.calls.filter((c) => c.method === 'putNotificationTarget');
    assert.deepEqual(put.at(-1)!.args[1], { createOnly: true });

    // ConflictError (FAILED_PRECONDITION on the wire) → the import advice at name.
    const pl = await plan(wire, null, cfg({ name: 'wire-hook' }));
    const taken = await apply(null, pl.plannedDv, cfg({ name: 'wire-hook' }), wire);
    assertOneError(taken.diagnostics, { summary: 'Notification target "wire-hook" already exists', detail: /terraform import/, path: 'name' });
    assert.ok(!allText(taken.diagnostics).includes(SECRET));

    // ValidationError with its field path (INVALID_ARGUMENT on the wire) → an error at url.
    const bad = cfg({ name: 'wire-hook', url: 'https://hooks.example.com/other' });
    const fail = api.fake.putNotificationTarget.bind(api.fake);
    api.fake.putNotificationTarget = async () => {
      throw ValidationError.field(['url'], "points at this controller's own port 7420");
    };
    try {
      const upd = await plan(wire, state, bad);
      const refused = await apply(state, upd.plannedDv, bad, wire);
      assertOneError(refused.diagnostics, { summary: 'Invalid value for "url"', detail: /own port 7420/, path: 'url' });
    } finally {
      api.fake.putNotificationTarget = fail;
    }

    // NOT_FOUND → gone.
    api.fake.targets.clear();
    assert.equal((await read(state, wire)).newState, null);
  });
});

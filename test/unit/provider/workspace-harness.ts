/**
 * What the workspace tests share: a provider in front of the workspace fake (test/helpers/workspace-fake.ts) through
 * the real gRPC client, with the controller's side of a workspace's life scripted: every getWorkspace first applies
 * `hh.advance`, so a fallback build becomes ready or a delete archives after a few polls, the way the controller's
 * jobs move a workspace on while the provider waits. Requests are built like provider-harness.ts builds them, for
 * the prewarm_workspace and prewarm_template types.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import {
  ApplyResourceChange_RequestSchema,
  DynamicValueSchema,
  ImportResourceState_RequestSchema,
  PlanResourceChange_RequestSchema,
  ReadResource_RequestSchema,
  ValidateResourceConfig_RequestSchema,
  type AttributePath,
  type Diagnostic,
  type DynamicValue,
} from '../../../provider/protocol';
import { createProvider, type Provider } from '../../../provider/rpc-handlers';
import type { ProviderHandlers } from '../../../provider/server/handler-contract';
import { impliedType } from '../../../provider/implied-type';
import { PROVIDER_ADDRESS, TEMPLATE_SCHEMA, WORKSPACE_SCHEMA } from '../../../provider/schema';
import { providerSchemaJson } from '../../../provider/schema-export';
import { equalValues, isUnknown, type CtyValue, type EncodableValue, type ObjectType } from '../../../provider/values';
import { createClient, type PrewarmClient } from '../../../controller/api/client';
import type { WorkspaceRecord } from '../../../controller/domain/workspace';
import { TOKEN, type TestApi } from '../../helpers/api-fake';
import { startWorkspaceTestApi, WS_NOW, type WorkspaceFakeService } from '../../helpers/workspace-fake';
import { assertNoDiags, configure, ctx, decode, dv, providerConfig, steps } from '../../helpers/provider-harness';
import { checkApplyResult, checkPlan, checkReadResult, type JsonBlock } from '../../helpers/plan-rules';

export type Kind = 'prewarm_workspace' | 'prewarm_template';

export const wsType = impliedType(WORKSPACE_SCHEMA.block);
export const tplType = impliedType(TEMPLATE_SCHEMA.block);
const typeOf = (k: Kind): ObjectType => (k === 'prewarm_workspace' ? wsType : tplType);

type Exported = { provider_schemas: Record<string, { resource_schemas: Record<string, { block: JsonBlock }> }> };
const exported = (providerSchemaJson() as Exported).provider_schemas[PROVIDER_ADDRESS].resource_schemas;
export const jsonBlockOf = (k: Kind): JsonBlock => exported[k].block;

export const PRIVATE = new Uint8Array([4, 2]);

/** A full workspace object (every attribute present), from a few overrides. */
export function wsObj(o: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return {
    id: null,
    template: 'devbox',
    preset: 'us-nix',
    owner: 'alice',
    auto_destroy_at: null,
    auto_destroy_inactivity: null,
    wait_ready: null,
    name: null,
    state: null,
    attributes: null,
    deadline: null,
    ...o,
  };
}

/** A full template object, lifecycle_policy included. */
export function tplObj(o: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return { id: null, name: 'devbox', driver: 'devbox', config: null, version: null, lifecycle_policy: [], ...o };
}

/** One lifecycle_policy block element: the six attributes, null unless given. */
export function policy(o: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return {
    autostop_after: null,
    autostop_reminder: null,
    stopped_ttl: null,
    dormant_after: null,
    dormant_delete_after: null,
    auto_destroy_reminder: null,
    ...o,
  };
}

export function obj(v: CtyValue | undefined): Record<string, CtyValue> {
  assert.ok(v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !isUnknown(v));
  return v as Record<string, CtyValue>;
}

// ---- requests ---------------------------------------------------------------------------------------------

export async function validate(h: ProviderHandlers, kind: Kind, config: EncodableValue): Promise<Diagnostic[]> {
  const res = await h.validateResourceConfig!(create(ValidateResourceConfig_RequestSchema, { typeName: kind, config: dv(config, typeOf(kind)) }), ctx());
  return (res.diagnostics ?? []) as Diagnostic[];
}

/** What Terraform proposes: the config, with prior values for the computed attributes the config leaves null. */
export function proposedFrom(kind: Kind, prior: CtyValue, config: Record<string, EncodableValue>): Record<string, EncodableValue> {
  if (prior === null) return config;
  const pr = obj(prior);
  const computed = kind === 'prewarm_workspace' ? ['id', 'name', 'state', 'attributes', 'deadline'] : ['id', 'version'];
  const out = { ...config };
  for (const name of computed) out[name] = pr[name] as EncodableValue;
  return out;
}

export async function plan(h: ProviderHandlers, kind: Kind, prior: CtyValue, config: Record<string, EncodableValue> | null, priorPrivate: Uint8Array = PRIVATE) {
  const type = typeOf(kind);
  const proposed = config === null ? null : proposedFrom(kind, prior, config);
  const res = await h.planResourceChange!(
    create(PlanResourceChange_RequestSchema, {
      typeName: kind,
      priorState: dv(prior as EncodableValue, type),
      proposedNewState: dv(proposed, type),
      config: dv(config, type),
      priorPrivate,
    }),
    ctx(),
  );
  const planned = decode(res.plannedState as DynamicValue, type);
  const requiresReplace = (res.requiresReplace ?? []).map((rp) => steps(rp as AttributePath));
  const diagnostics = (res.diagnostics ?? []) as Diagnostic[];
  if (diagnostics.length === 0 && config !== null) {
    const problems = checkPlan({ schema: jsonBlockOf(kind), prior, config: decode({ msgpack: dv(config, type).msgpack }, type), planned, requiresReplace });
    assert.deepEqual(problems, [], problems.join('\n'));
  }
  return { planned, requiresReplace, diagnostics, plannedPrivate: res.plannedPrivate as Uint8Array, plannedDv: create(DynamicValueSchema, res.plannedState as DynamicValue) };
}

export async function apply(h: ProviderHandlers, kind: Kind, prior: CtyValue, planned: DynamicValue | null, config: EncodableValue, plannedPrivate: Uint8Array = PRIVATE) {
  const type = typeOf(kind);
  const res = await h.applyResourceChange!(
    create(ApplyResourceChange_RequestSchema, {
      typeName: kind,
      priorState: dv(prior as EncodableValue, type),
      plannedState: planned ?? dv(null, type),
      config: dv(config, type),
      plannedPrivate,
    }),
    ctx(),
  );
  return {
    newState: res.newState === undefined ? undefined : decode(res.newState as DynamicValue, type),
    private: res.private as Uint8Array | undefined,
    diagnostics: (res.diagnostics ?? []) as Diagnostic[],
  };
}

export async function read(h: ProviderHandlers, kind: Kind, state: CtyValue, priv: Uint8Array = PRIVATE) {
  const type = typeOf(kind);
  const res = await h.readResource!(create(ReadResource_RequestSchema, { typeName: kind, currentState: dv(state as EncodableValue, type), private: priv }), ctx());
  const newState = decode(res.newState as DynamicValue, type);
  return { newState, private: res.private as Uint8Array | undefined, diagnostics: (res.diagnostics ?? []) as Diagnostic[] };
}

export async function importState(h: ProviderHandlers, kind: Kind, id: string) {
  const res = await h.importResourceState!(create(ImportResourceState_RequestSchema, { typeName: kind, id }), ctx());
  return {
    resources: (res.importedResources ?? []).map((r) => ({ typeName: r.typeName, state: decode(r.state as DynamicValue, typeOf(kind)) })),
    diagnostics: (res.diagnostics ?? []) as Diagnostic[],
  };
}

/** plan → apply as Terraform runs them, every rule checked on the way; returns the new state. */
export async function planApply(hh: WsHarness, kind: Kind, prior: CtyValue, config: Record<string, EncodableValue>) {
  const pl = await plan(hh.h, kind, prior, config);
  assertNoDiags(pl.diagnostics);
  const applied = await apply(hh.h, kind, prior, pl.plannedDv, config, pl.plannedPrivate);
  assertNoDiags(applied.diagnostics);
  const problems = checkApplyResult(jsonBlockOf(kind), pl.planned, applied.newState ?? null);
  assert.deepEqual(problems, [], problems.join('\n'));
  assert.deepEqual(applied.private, PRIVATE, 'planned_private echoed as private');
  return { planned: pl.planned, state: applied.newState as CtyValue };
}

/** Refresh, check it is a valid read, and that planning the same config against it is a no-op. */
export async function refreshNoDiff(hh: WsHarness, kind: Kind, state: CtyValue, config: Record<string, EncodableValue>): Promise<CtyValue> {
  const r = await read(hh.h, kind, state);
  assertNoDiags(r.diagnostics);
  assert.deepEqual(r.private, PRIVATE, 'ReadResource echoes private');
  assert.deepEqual(checkReadResult(jsonBlockOf(kind), r.newState), []);
  assert.notEqual(r.newState, null, 'the object still exists');
  const again = await plan(hh.h, kind, r.newState, config);
  assertNoDiags(again.diagnostics);
  assert.ok(equalValues(again.planned, r.newState, typeOf(kind)), `unchanged resource plans a diff:\n${JSON.stringify(again.planned)}\nvs\n${JSON.stringify(r.newState)}`);
  return r.newState;
}

// ---- the harness --------------------------------------------------------------------------------------------

export interface WsHarness {
  api: TestApi & { fake: WorkspaceFakeService };
  provider: Provider;
  h: ProviderHandlers;
  /** Applied to a workspace before every getWorkspace answers (the controller's jobs moving it on). */
  advance: ((w: WorkspaceRecord) => Partial<WorkspaceRecord> | undefined) | undefined;
  /** How many getWorkspace calls the fake answered. */
  polls: number;
  close(): Promise<void>;
}

/**
 * The harness for the calling test file: started before its first test, closed after its last; before each test the
 * fake is emptied and holds template devbox with preset us-nix, and the fake's clock is WS_NOW.
 */
export function useWorkspaceHarness(): WsHarness {
  const hh = {} as WsHarness;
  beforeAll(async () => {
    const api = await startWorkspaceTestApi();
    const fake = api.fake;
    const getWorkspace = fake.getWorkspace.bind(fake);
    fake.getWorkspace = async (ref: string) => {
      hh.polls++;
      const w = fake.workspaces.get(ref);
      const change = w && hh.advance?.(w);
      if (w && change) {
        const next = { ...w, ...change };
        fake.workspaces.set(w.id, next);
        fake.instances.set(w.id, next);
      }
      return getWorkspace(ref);
    };
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
    assertNoDiags(await configure(provider.handlers, providerConfig({ endpoint: api.endpoint, token: TOKEN })));
    Object.assign(hh, {
      api,
      provider,
      h: provider.handlers,
      advance: undefined,
      polls: 0,
      async close() {
        provider.close();
        for (const c of clients) c.close();
        await api.close();
      },
    });
  });
  afterAll(async () => {
    await hh.close();
  });
  beforeEach(async () => {
    const fake = hh.api.fake;
    fake.templates.clear();
    fake.presets.clear();
    fake.instances.clear();
    fake.workspaces.clear();
    fake.failWith = undefined;
    fake.now = WS_NOW;
    hh.advance = undefined;
    hh.polls = 0;
    await fake.putTemplate({ name: 'devbox', driver: 'devbox', config: {} });
    await fake.putPreset({ template: 'devbox', name: 'us-nix', description: '', default: false, parameters: {}, prebuilds: { instances: 1 } });
    fake.calls.length = 0;
  });
  return hh;
}

/** A ready pool instance in devbox/us-nix (what a claim hands out). */
export function addReady(hh: WsHarness, attributes: Record<string, string> = { url: 'http://127.0.0.1:41234/' }) {
  return hh.api.fake.addInstance({ presetId: 'devbox/us-nix', state: 'ready', owner: null, attributes });
}

/** The fake's calls, by method name, without the getWorkspace polls. */
export function calls(hh: WsHarness): Array<{ method: string; args: unknown[] }> {
  return hh.api.fake.calls.filter((c) => c.method !== 'getWorkspace');
}

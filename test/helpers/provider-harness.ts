/**
 * Helpers for driving the provider's handlers directly, the way the plugin server does: protobuf-es request
 * messages built with create(...), msgpack DynamicValues from the real codec, and a provider configured against
 * the fake controller API (test/helpers/api-fake.ts) through the real gRPC client.
 */
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import {
  ApplyResourceChange_RequestSchema,
  ConfigureProvider_RequestSchema,
  Diagnostic_Severity,
  DynamicValueSchema,
  ImportResourceState_RequestSchema,
  PlanResourceChange_RequestSchema,
  ReadDataSource_RequestSchema,
  ReadResource_RequestSchema,
  ValidateResourceConfig_RequestSchema,
  type AttributePath,
  type Diagnostic,
  type DynamicValue,
} from '../../provider/protocol';
import { createProvider, type Provider } from '../../provider/rpc-handlers';
import type { CallContext, ProviderHandlers, ProviderLog } from '../../provider/server/handler-contract';
import { impliedType } from '../../provider/implied-type';
import { PRESET_DATA_SCHEMA, PRESET_SCHEMA, PROVIDER_ADDRESS, PROVIDER_SCHEMA, TEMPLATE_SCHEMA } from '../../provider/schema';
import { providerSchemaJson } from '../../provider/schema-export';
import { decodeDynamic, encodeDynamic, type CtyPath, type CtyValue, type EncodableValue, type ObjectType } from '../../provider/values';
import { createClient, type PrewarmClient } from '../../controller/api/client';
import { startTestApi, TOKEN, type TestApi } from './api-fake';
import type { JsonBlock } from './plan-rules';

export const types = {
  provider: impliedType(PROVIDER_SCHEMA.block),
  template: impliedType(TEMPLATE_SCHEMA.block),
  preset: impliedType(PRESET_SCHEMA.block),
  presetData: impliedType(PRESET_DATA_SCHEMA.block),
};

type ExportShape = {
  provider_schemas: Record<
    string,
    {
      provider: { block: JsonBlock };
      resource_schemas: Record<string, { block: JsonBlock }>;
      data_source_schemas: Record<string, { block: JsonBlock }>;
    }
  >;
};
const exported = (providerSchemaJson() as ExportShape).provider_schemas[PROVIDER_ADDRESS];

/** JSON-shaped blocks for the plan-rules checker. */
export const jsonBlocks = {
  template: exported.resource_schemas.prewarm_template.block,
  preset: exported.resource_schemas.prewarm_preset.block,
  presetData: exported.data_source_schemas.prewarm_preset.block,
};

const quietLog: ProviderLog = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export function ctx(signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal, log: quietLog };
}

export function dv(value: EncodableValue, type: ObjectType): DynamicValue {
  return create(DynamicValueSchema, { msgpack: encodeDynamic(value, type) });
}

export function decode(value: { msgpack: Uint8Array } | undefined, type: ObjectType): CtyValue {
  assert.ok(value !== undefined, 'expected a DynamicValue');
  return decodeDynamic(value.msgpack, type);
}

/** A full template object (every attribute present), from a few overrides. */
export function templateObj(o: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return { id: null, name: 'devbox', driver: 'devbox', config: null, version: null, ...o };
}

/** A full preset object; blocks default to empty lists. */
export function presetObj(o: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return { id: null, template: 'devbox', name: 'us-nix', description: null, default: null, parameters: null, prebuilds: [], ...o };
}

export function prebuilds(o: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return { instances: 0, expiration_policy: [], scheduling: [], ...o };
}

export function scheduling(o: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return { timezone: 'America/New_York', lead_time: null, schedule: [{ cron: '* 8-18 * * 1-5', instances: 3 }], ...o };
}

// ---- diagnostics ------------------------------------------------------------------------------------------

export function steps(path: AttributePath | undefined): CtyPath {
  return (path?.steps ?? []).map((s) => {
    switch (s.selector.case) {
      case 'attributeName':
        return { attr: s.selector.value };
      case 'elementKeyInt':
        return { index: Number(s.selector.value) };
      case 'elementKeyString':
        return { key: s.selector.value };
      default:
        throw new Error('AttributePath step without a selector');
    }
  });
}

/** Short path syntax for expectations: "prebuilds[0].scheduling[0].schedule[1].cron", 'parameters["a"]'. */
export function p(text: string): CtyPath {
  const out: Array<CtyPath[number]> = [];
  const re = /\.?([a-z_]+)|\[(\d+)\]|\["([^"]*)"\]/g;
  let pos = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index !== pos) throw new Error(`bad path syntax at ${pos} in ${text}`);
    pos = re.lastIndex;
    if (m[1] !== undefined) out.push({ attr: m[1] });
    else if (m[2] !== undefined) out.push({ index: Number(m[2]) });
    else out.push({ key: m[3] });
  }
  if (pos !== text.length) throw new Error(`bad path syntax at ${pos} in ${text}`);
  return out;
}

export function errors(diags: readonly Diagnostic[] | undefined): Diagnostic[] {
  return (diags ?? []).filter((d) => d.severity === Diagnostic_Severity.ERROR);
}

export function describeDiags(diags: readonly Diagnostic[] | undefined): string {
  return (diags ?? []).map((d) => `[${Diagnostic_Severity[d.severity]}] ${d.summary} | ${d.detail} @ ${JSON.stringify(steps(d.attribute))}`).join('\n');
}

/** Exactly one error diagnostic, with this summary fragment, detail fragment and exact path. */
export function assertOneError(diags: readonly Diagnostic[] | undefined, expected: { summary: string | RegExp; detail?: string | RegExp; path: string | null }): Diagnostic {
  const all = diags ?? [];
  assert.equal(all.length, 1, `expected one diagnostic, got:\n${describeDiags(all)}`);
  const d = all[0];
  assert.equal(d.severity, Diagnostic_Severity.ERROR, describeDiags(all));
  const match = (text: string, want: string | RegExp) => (typeof want === 'string' ? text.includes(want) : want.test(text));
  assert.ok(match(d.summary, expected.summary), `summary ${JSON.stringify(d.summary)} lacks ${String(expected.summary)}`);
  if (expected.detail !== undefined) assert.ok(match(d.detail, expected.detail), `detail ${JSON.stringify(d.detail)} lacks ${String(expected.detail)}`);
  if (expected.path === null) assert.equal(d.attribute, undefined, 'expected no attribute path');
  else assert.deepEqual(steps(d.attribute), p(expected.path));
  return d;
}

export function assertNoDiags(diags: readonly Diagnostic[] | undefined): void {
  assert.equal((diags ?? []).length, 0, describeDiags(diags));
}

// ---- requests ---------------------------------------------------------------------------------------------

export async function validateResource(h: ProviderHandlers, typeName: string, config: EncodableValue): Promise<Diagnostic[]> {
  const type = typeName === 'prewarm_template' ? types.template : types.preset;
  const res = await h.validateResourceConfig!(create(ValidateResourceConfig_RequestSchema, { typeName, config: dv(config, type) }), ctx());
  return (res.diagnostics ?? []) as Diagnostic[];
}

export function typeOf(typeName: string): ObjectType {
  return typeName === 'prewarm_template' ? types.template : types.preset;
}

export async function plan(
  h: ProviderHandlers,
  typeName: string,
  prior: EncodableValue,
  config: EncodableValue,
  opts: { proposed?: EncodableValue; priorPrivate?: Uint8Array } = {},
) {
  const type = typeOf(typeName);
  const res = await h.planResourceChange!(
    create(PlanResourceChange_RequestSchema, {
      typeName,
      priorState: dv(prior, type),
      proposedNewState: dv(opts.proposed !== undefined ? opts.proposed : config, type),
      config: dv(config, type),
      priorPrivate: opts.priorPrivate ?? new Uint8Array(),
    }),
    ctx(),
  );
  return {
    planned: decode(res.plannedState as DynamicValue, type),
    requiresReplace: (res.requiresReplace ?? []).map((rp) => steps(rp as AttributePath)),
    plannedPrivate: res.plannedPrivate as Uint8Array | undefined,
    diagnostics: (res.diagnostics ?? []) as Diagnostic[],
    /** As Terraform would send it back in ApplyResourceChange. */
    plannedStateDv: create(DynamicValueSchema, res.plannedState as DynamicValue),
  };
}

export async function apply(
  h: ProviderHandlers,
  typeName: string,
  prior: EncodableValue,
  planned: EncodableValue | DynamicValue,
  config: EncodableValue,
  plannedPrivate: Uint8Array = new Uint8Array(),
) {
  const type = typeOf(typeName);
  const res = await h.applyResourceChange!(
    create(ApplyResourceChange_RequestSchema, {
      typeName,
      priorState: dv(prior, type),
      plannedState: isDynamicValue(planned) ? planned : dv(planned, type),
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

function isDynamicValue(v: unknown): v is DynamicValue {
  return typeof v === 'object' && v !== null && (v as { $typeName?: string }).$typeName === 'tfplugin6.DynamicValue';
}

export async function read(h: ProviderHandlers, typeName: string, state: EncodableValue, priv: Uint8Array = new Uint8Array()) {
  const type = typeOf(typeName);
  const res = await h.readResource!(create(ReadResource_RequestSchema, { typeName, currentState: dv(state, type), private: priv }), ctx());
  return {
    newState: decode(res.newState as DynamicValue, type),
    private: res.private as Uint8Array | undefined,
    diagnostics: (res.diagnostics ?? []) as Diagnostic[],
  };
}

export async function importState(h: ProviderHandlers, typeName: string, id: string) {
  const res = await h.importResourceState!(create(ImportResourceState_RequestSchema, { typeName, id }), ctx());
  const imported = res.importedResources ?? [];
  return {
    resources: imported.map((r) => ({ typeName: r.typeName, state: decode(r.state as DynamicValue, typeOf(r.typeName as string)) })),
    diagnostics: (res.diagnostics ?? []) as Diagnostic[],
  };
}

export async function readData(h: ProviderHandlers, config: EncodableValue) {
  const res = await h.readDataSource!(create(ReadDataSource_RequestSchema, { typeName: 'prewarm_preset', config: dv(config, types.presetData) }), ctx());
  return {
    state: res.state === undefined ? undefined : decode(res.state as DynamicValue, types.presetData),
    diagnostics: (res.diagnostics ?? []) as Diagnostic[],
  };
}

export async function configure(h: ProviderHandlers, config: EncodableValue): Promise<Diagnostic[]> {
  const res = await h.configureProvider!(create(ConfigureProvider_RequestSchema, { terraformVersion: '1.11.4', config: dv(config, types.provider) }), ctx());
  return (res.diagnostics ?? []) as Diagnostic[];
}

/** A provider block: every attribute of the provider schema null, then `o`. */
export function providerConfig(o: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return { ...Object.fromEntries(Object.keys(PROVIDER_SCHEMA.block.attributes).map((name) => [name, null])), ...o };
}

// ---- a provider in front of the fake controller -----------------------------------------------------------

export interface Harness {
  api: TestApi;
  provider: Provider;
  h: ProviderHandlers;
  close(): Promise<void>;
}

/** The fake controller behind a real gRPC server, and a provider configured for it. */
export async function startHarness(): Promise<Harness> {
  const api = await startTestApi();
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
  const diags = await configure(provider.handlers, providerConfig({ endpoint: api.endpoint, token: TOKEN }));
  assertNoDiags(diags);
  return {
    api,
    provider,
    h: provider.handlers,
    async close() {
      provider.close();
      for (const c of clients) c.close();
      await api.close();
    },
  };
}

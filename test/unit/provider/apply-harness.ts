/**
 * What the apply-* tests share: a provider in front of the fake controller (test/helpers/api-fake.ts) through the real
 * gRPC client, started once per test file, and plan → apply → refresh the way Terraform runs them, every plan, apply
 * and read result checked with test/helpers/plan-rules.ts.
 */
import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import assert from 'node:assert/strict';
import { decodeDynamic, encodeDynamic, equalValues, isUnknown, type CtyValue, type EncodableValue, type ObjectType } from '../../../provider/values';
import { checkApplyResult, checkPlan, checkReadResult } from '../../helpers/plan-rules';
import { apply, assertNoDiags, jsonBlocks, plan, read, startHarness, typeOf, type Harness } from '../../helpers/provider-harness';
import { scheduledPresetConfig } from './preset-config';

export type Kind = 'prewarm_template' | 'prewarm_preset';
const schemaOf = (k: Kind) => (k === 'prewarm_template' ? jsonBlocks.template : jsonBlocks.preset);
export const PRIVATE = new Uint8Array([7, 7]);

export function obj(v: CtyValue | undefined): Record<string, CtyValue> {
  assert.ok(v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !isUnknown(v));
  return v as Record<string, CtyValue>;
}

/** What Terraform proposes: the config, with prior values for computed attributes the config leaves null. */
export function proposedFrom(prior: CtyValue, config: Record<string, EncodableValue>): Record<string, EncodableValue> {
  if (prior === null) return config;
  const pr = obj(prior);
  const out = { ...config };
  for (const name of ['id', 'version']) if (name in pr) out[name] = pr[name] as EncodableValue;
  return out;
}

/** plan → apply, the way Terraform runs them, checking every rule on the way. */
export async function planApply(hh: Harness, kind: Kind, prior: CtyValue, config: Record<string, EncodableValue>) {
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

export function typeCheck(v: EncodableValue, type: ObjectType): CtyValue {
  return decodeDynamic(encodeDynamic(v, type), type);
}

/** Refresh, assert it is a valid read result, and that planning the same config against it is a no-op. */
export async function refreshNoDiff(hh: Harness, kind: Kind, state: CtyValue, config: Record<string, EncodableValue>): Promise<CtyValue> {
  const r = await read(hh.h, kind, state as EncodableValue, PRIVATE);
  assertNoDiags(r.diagnostics);
  assert.deepEqual(r.private, PRIVATE, 'ReadResource echoes private');
  assert.deepEqual(checkReadResult(schemaOf(kind), r.newState), []);
  const again = await plan(hh.h, kind, r.newState as EncodableValue, config, { proposed: proposedFrom(r.newState, config) });
  assertNoDiags(again.diagnostics);
  assert.ok(equalValues(again.planned, r.newState, typeOf(kind)), `unchanged resource plans a diff:\n${JSON.stringify(again.planned)}\nvs\n${JSON.stringify(r.newState)}`);
  return r.newState;
}

/**
 * The harness for the calling test file: started before its first test, closed after its last, the fake controller
 * emptied before each test. The object is filled in when the harness has started.
 */
export function useHarness(): Harness {
  const hh = {} as Harness;
  beforeAll(async () => {
    Object.assign(hh, await startHarness());
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
  return hh;
}

/** The full preset, its description and default set too. */
export const fullPreset = () => scheduledPresetConfig({ description: 'US pool', default: true });

/** The template devbox the presets belong to, in the fake controller; the call log starts after it. */
export async function seedTemplate(hh: Harness): Promise<void> {
  await hh.api.fake.putTemplate({ name: 'devbox', driver: 'devbox', config: {} });
  hh.api.fake.calls.length = 0;
}

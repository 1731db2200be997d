/**
 * What every managed resource shares: the interface rpc-handlers.ts drives, and the value helpers that keep plans
 * and apply results within Terraform's rules.
 */
import { equalValues, isUnknown, isWhollyKnown, type CtyObject, type CtyPath, type CtyValue } from '../values';
import type { Api } from '../api';
import { DiagnosticsError, errorDiag, fieldErrorDiag, fieldErrorsOf, type Diagnostic } from '../diagnostics';
import { toValidationInput } from '../convert';
import type { FieldError } from '../../controller/domain/errors';
import { isConfigurable, type BlockDef, type SchemaDef } from '../schema';

/**
 * An apply that failed after the remote object came into being (a claim whose build then failed or timed out):
 * Terraform saves `state` with the errors (tainted on a create), so the object is not forgotten.
 */
export class PartialStateError extends DiagnosticsError {
  constructor(
    diagnostics: Diagnostic[],
    readonly state: CtyObject,
  ) {
    super(diagnostics);
    this.name = 'PartialStateError';
  }
}

export interface PlanInput {
  prior: CtyObject | null;
  proposed: CtyObject | null;
  config: CtyObject | null;
}

export interface PlanOutput {
  planned: CtyObject | null;
  requiresReplace: CtyPath[];
}

export interface ResourceImpl {
  readonly typeName: string;
  readonly schema: SchemaDef;
  /** Diagnostics for a configuration that may contain unknowns (never calls the API). */
  validate(config: CtyObject): Diagnostic[];
  /** Pure: no API call, so planning works with an unknown provider configuration. */
  plan(input: PlanInput): PlanOutput;
  /** Create (prior null) or update; returns the new state, wholly known and consistent with `planned`. */
  apply(api: Api, prior: CtyObject | null, planned: CtyObject): Promise<CtyObject>;
  /** Deletes the remote object; gone already counts as success. */
  delete(api: Api, prior: CtyObject): Promise<void>;
  /** The remote object as state, or null when it no longer exists (drift: Terraform plans re-creation). */
  read(api: Api, prior: CtyObject): Promise<CtyObject | null>;
  /** The stub state for an import ID (identifying attributes set, the rest null); throws DiagnosticsError. */
  importState(id: string): CtyObject;
}

/** Copy of `obj` without the block's computed-only attributes (controller/model rejects attributes it does not know). */
export function withoutComputed(obj: CtyObject, block: BlockDef): CtyObject {
  const out: CtyObject = {};
  for (const [name, value] of Object.entries(obj)) {
    const attr = block.attributes[name];
    if (attr === undefined || isConfigurable(attr.mode)) out[name] = value;
  }
  return out;
}

/**
 * Nested block lists are never null (an absent block is an empty list); Terraform rejects a null block in a plan
 * or state. Unknown lists and elements are kept as they are: they can only come from the configuration
 * (`dynamic` blocks) and must be planned exactly as configured.
 */
export function normalizeBlocks(obj: CtyObject, block: BlockDef): CtyObject {
  const blocks = block.blocks;
  if (!blocks) return obj;
  const out: CtyObject = { ...obj };
  for (const [name, nested] of Object.entries(blocks)) {
    const v = out[name];
    if (v === null || v === undefined) out[name] = [];
    else if (Array.isArray(v)) {
      out[name] = v.map((el) => (isObjectValue(el) ? normalizeBlocks(el, nested.block) : el));
    }
  }
  return out;
}

/** A known object value (decoders produce plain objects for cty objects). */
export function isObjectValue(v: CtyValue | undefined): v is CtyObject {
  if (v === null || v === undefined || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * requires_replace paths: attributes marked requiresReplace whose planned value differs from the prior one or is
 * still unknown. Only on update (Terraform ignores them on create), and only paths that exist (rule 3.6.7).
 */
export function replacePaths(prior: CtyObject | null, planned: CtyObject | null, block: BlockDef): CtyPath[] {
  if (prior === null || planned === null) return [];
  const out: CtyPath[] = [];
  for (const [name, attr] of Object.entries(block.attributes)) {
    if (!attr.requiresReplace) continue;
    const p = planned[name];
    if (isUnknown(p) || !equalValues(p, prior[name], attr.type)) out.push([{ attr: name }]);
  }
  return out;
}

/**
 * The new state after apply: every known planned value as planned (Terraform requires them unchanged), every
 * unknown replaced by what the controller reported. `actual` has the same shape as the planned value.
 */
export function resolveUnknowns(planned: CtyValue, actual: CtyValue | undefined): CtyValue {
  if (isUnknown(planned)) return actual === undefined ? planned : actual;
  if (Array.isArray(planned)) {
    const a = Array.isArray(actual) ? actual : [];
    return planned.map((v, i) => resolveUnknowns(v, a[i]));
  }
  if (planned instanceof Map) {
    const a = actual instanceof Map ? actual : new Map<string, CtyValue>();
    return new Map([...planned].map(([k, v]) => [k, resolveUnknowns(v, a.get(k))] as const));
  }
  if (isObjectValue(planned)) {
    const a = isObjectValue(actual) ? actual : {};
    const out: CtyObject = {};
    for (const [k, v] of Object.entries(planned)) out[k] = resolveUnknowns(v, a[k]);
    return out;
  }
  return planned;
}

/**
 * The API reports "not set" as an empty value ('' description, false default, {} map). State keeps null where the
 * prior state (or configuration) had null and the API's value is that empty value, so an unchanged resource plans
 * no diff; otherwise it takes the API's value (drift shows up as a change).
 */
export function keepNullIfEmpty(apiValue: CtyValue, isEmpty: boolean, like: CtyValue | undefined): CtyValue {
  return isEmpty && (like === null || like === undefined) ? null : apiValue;
}

/** Element `i` of a block list in a prior value, if it is a known object. */
export function blockAt(obj: CtyObject | null | undefined, name: string, i = 0): CtyObject | null {
  const list = obj?.[name];
  if (!Array.isArray(list)) return null;
  const el = list[i];
  return isObjectValue(el) ? el : null;
}

/**
 * A planned value (wholly known at apply) → the spec the API takes, through the same controller/model parser the
 * CLI uses, so the controller only ever sees input that passed the shared validation. Problems → DiagnosticsError.
 */
export function specFromPlanned<T>(planned: CtyObject, block: BlockDef, what: string, parse: (input: unknown) => T): T {
  const diags: Diagnostic[] = [];
  const input = toValidationInput(withoutComputed(planned, block), [], diags);
  if (diags.length > 0) throw new DiagnosticsError(diags);
  if (!isWhollyKnown(input as CtyValue)) {
    throw new DiagnosticsError([errorDiag(`Cannot apply ${what}`, 'the planned value still contains unknown values')]);
  }
  try {
    return parse(input);
  } catch (err) {
    const errors = fieldErrorsOf(err);
    if (errors === undefined) throw err;
    throw new DiagnosticsError(errors.map((e) => fieldErrorDiag(e, block, what)));
  }
}

/** ValidateResourceConfig for a block validated by a controller/model validator (tolerant of unknowns). */
export function validateWith(
  config: CtyObject,
  block: BlockDef,
  what: string,
  validate: (input: unknown, isUnknown: (v: unknown) => boolean) => FieldError[],
): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const input = toValidationInput(withoutComputed(config, block), [], diags);
  for (const e of validate(input, isUnknown)) diags.push(fieldErrorDiag(e, block, what));
  return diags;
}

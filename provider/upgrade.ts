/**
 * UpgradeResourceState: the stored state (RawState.json, the schema of the version that wrote it) → a value of
 * the current implied type, as msgpack. Terraform calls it for every resource instance on every run, also when
 * the version did not change.
 *
 * Every schema is still at version 0, so there is no migration yet: a version-0 state is read with the current
 * schema. Numbers are read losslessly (a 20-digit number survives). Missing attributes become null and missing
 * or null block lists empty lists. Attributes the schema does not have are dropped (and logged): Terraform
 * already strips attributes removed from a schema before calling us at the same version, so one can only come
 * from a hand-edited state, and refusing the whole state over it would leave the resource unmanageable.
 * A version newer than the provider's is rejected: the state was written by a newer provider.
 * When a schema version is bumped, add the step from the old version here (decode with the old type, convert).
 */
import { parseJsonLossless, JsonSyntaxError, type CtyObject, type CtyPath, type CtyType, type JsonValue } from './values';
import type { PathStep } from './values/path';
import { fromJson } from './values/cty-json';
import type { RawState } from './protocol';
import type { SchemaDef } from './schema';
import { impliedType } from './implied-type';
import { normalizeBlocks, isObjectValue } from './resources/common';
import { DiagnosticsError, errorDiag, valueErrorDiag } from './diagnostics';
import { describePath } from './paths';

export interface UpgradeResult {
  state: CtyObject;
  /** Paths of attributes found in the stored state that the schema does not have (dropped). */
  dropped: string[];
}

/** Where prune is, as a chain from the root: built into a CtyPath only for an attribute that is dropped. */
interface PruneAt {
  readonly parent: PruneAt | undefined;
  readonly step: PathStep;
}

function pathOf(at: PruneAt | undefined): CtyPath {
  const steps: PathStep[] = [];
  for (let p = at; p !== undefined; p = p.parent) steps.push(p.step);
  return steps.reverse();
}

/**
 * Removes object attributes the type does not have, recording where. Runs for every resource on every plan, where
 * nothing is dropped, so it copies no path until it has one to report.
 */
function prune(v: JsonValue, type: CtyType, at: PruneAt | undefined, dropped: string[]): JsonValue {
  if (v === null) return v;
  switch (type.kind) {
    case 'object': {
      if (!(v instanceof Map)) return v;
      const out = new Map<string, JsonValue>();
      for (const [k, x] of v) {
        const attribute = type.attributes.get(k);
        if (attribute === undefined) dropped.push(describePath(pathOf({ parent: at, step: { attr: k } })));
        else out.set(k, prune(x, attribute, { parent: at, step: { attr: k } }, dropped));
      }
      return out;
    }
    case 'list':
    case 'set':
      return Array.isArray(v) ? v.map((x, i) => prune(x, type.element, { parent: at, step: { index: i } }, dropped)) : v;
    case 'map': {
      if (!(v instanceof Map)) return v;
      return new Map([...v].map(([k, x]) => [k, prune(x, type.element, { parent: at, step: { key: k } }, dropped)] as const));
    }
    default:
      return v;
  }
}

export function upgradeState(raw: RawState | undefined, version: bigint, schema: SchemaDef, typeName: string): UpgradeResult {
  if (version > BigInt(schema.version) || version < 0n) {
    throw new DiagnosticsError([
      errorDiag(
        'Unsupported state version',
        `The ${typeName} state has schema version ${version}, but this provider knows versions 0 to ${schema.version}. ` +
          'The state was probably written by a newer terraform-provider-prewarm: use that version or newer.',
      ),
    ]);
  }
  const json = raw?.json ?? new Uint8Array(0);
  if (json.byteLength === 0) {
    const legacy = raw !== undefined && Object.keys(raw.flatmap).length > 0;
    throw new DiagnosticsError([
      errorDiag(
        'Unsupported state format',
        legacy
          ? `The ${typeName} state is in the legacy flatmap format (Terraform 0.11), which this provider does not read.`
          : `The ${typeName} state is empty.`,
      ),
    ]);
  }
  let parsed: JsonValue;
  try {
    parsed = parseJsonLossless(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new DiagnosticsError([errorDiag(`Invalid ${typeName} state`, `the stored state is not JSON: ${err.message}`)]);
    throw err;
  }
  const type = impliedType(schema.block);
  const dropped: string[] = [];
  let value;
  try {
    value = fromJson(prune(parsed, type, undefined, dropped), type, []);
  } catch (err) {
    throw new DiagnosticsError([valueErrorDiag(err, `${typeName} state`)]);
  }
  if (!isObjectValue(value)) throw new DiagnosticsError([errorDiag(`Invalid ${typeName} state`, 'the stored state is not an object')]);
  return { state: normalizeBlocks(value, schema.block), dropped };
}

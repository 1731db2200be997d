/**
 * An independent checker for the rules Terraform enforces on what a provider returns (the checks behind its
 * "Provider produced invalid plan", "inconsistent final plan" and "inconsistent result after apply" errors),
 * written from the rules as documented, not from Terraform's code. Tests use it on every plan and apply result;
 * it is also meant as a readable reference for other harnesses (the Go conformance driver).
 *
 * Inputs are a block schema in the `terraform providers schema -json` shape (schemas/provider.json → …
 * .resource_schemas[T].block) and values as the provider's codec decodes them (null, Unknown, string, boolean,
 * CtyNumber, arrays, Map for maps, plain objects for objects). Every function returns a list of problems, each
 * "<path>: <what is wrong>"; an empty list means the rule holds.
 *
 *   checkPlan         PlanResourceChange: planned vs config vs prior (+ requires_replace paths)
 *   checkFinalPlan    the apply-time plan against the initial plan ("inconsistent final plan")
 *   checkApplyResult  ApplyResourceChange new_state against the planned state ("inconsistent result after apply")
 *   checkReadResult   ReadResource / ReadDataSource / import / upgrade results: wholly known and conforming
 */
import {
  CtyNumber,
  equalValues,
  isUnknown,
  ty,
  typeFromParsedJSON,
  type CtyPath,
  type CtyType,
  type CtyValue,
} from '../../provider/values';

export interface JsonAttribute {
  type: unknown;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  write_only?: boolean;
}

export interface JsonBlockType {
  nesting_mode: 'single' | 'group' | 'list' | 'set' | 'map';
  block: JsonBlock;
  min_items?: number;
  max_items?: number;
}

export interface JsonBlock {
  attributes?: Record<string, JsonAttribute>;
  block_types?: Record<string, JsonBlockType>;
}

type Obj = { [name: string]: CtyValue };

function show(path: CtyPath): string {
  let out = '';
  for (const s of path) {
    if ('attr' in s) out += out === '' ? s.attr : `.${s.attr}`;
    else if ('index' in s) out += `[${s.index}]`;
    else out += `[${JSON.stringify(s.key)}]`;
  }
  return out === '' ? '(root)' : out;
}

function fmt(v: CtyValue | undefined): string {
  if (v === undefined) return 'absent';
  if (v === null) return 'null';
  if (isUnknown(v)) return 'unknown';
  if (v instanceof CtyNumber) return v.toString();
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `list of ${v.length}`;
  if (v instanceof Map) return `map of ${v.size}`;
  return 'object';
}

function isObj(v: CtyValue | undefined): v is Obj {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !isUnknown(v) && !(v instanceof CtyNumber);
}

function attr(v: CtyValue | undefined, name: string): CtyValue {
  return isObj(v) && Object.prototype.hasOwnProperty.call(v, name) ? v[name] : null;
}

/** The cty type a JSON-shaped block implies (LIST/SET/MAP blocks are collections of objects, SINGLE/GROUP objects). */
export function impliedTypeOfBlock(block: JsonBlock): CtyType {
  const entries: Array<readonly [string, CtyType]> = [];
  for (const [name, a] of Object.entries(block.attributes ?? {})) entries.push([name, typeFromParsedJSON(a.type)]);
  for (const [name, bt] of Object.entries(block.block_types ?? {})) {
    const inner = impliedTypeOfBlock(bt.block);
    const t = bt.nesting_mode === 'list' ? ty.list(inner) : bt.nesting_mode === 'set' ? ty.set(inner) : bt.nesting_mode === 'map' ? ty.map(inner) : inner;
    entries.push([name, t]);
  }
  return ty.object(entries);
}

// -------------------------------------------------------------------------------------------------------------
// Conformance

/** Problems with `value` as a value of `type`; unknowns are allowed unless `known`. */
export function checkConforms(value: CtyValue | undefined, type: CtyType, known: boolean, path: CtyPath = []): string[] {
  const p = show(path);
  if (value === undefined) return [`${p}: attribute missing (every attribute must be present, null when unset)`];
  if (value === null) return [];
  if (isUnknown(value)) return known ? [`${p}: unknown value where only known values are allowed`] : [];
  switch (type.kind) {
    case 'string':
      return typeof value === 'string' ? [] : [`${p}: expected a string, got ${fmt(value)}`];
    case 'bool':
      return typeof value === 'boolean' ? [] : [`${p}: expected a bool, got ${fmt(value)}`];
    case 'number':
      return value instanceof CtyNumber ? [] : [`${p}: expected a number, got ${fmt(value)}`];
    case 'list':
    case 'set':
      if (!Array.isArray(value)) return [`${p}: expected a ${type.kind}, got ${fmt(value)}`];
      return value.flatMap((x, i) => checkConforms(x, type.element, known, [...path, { index: i }]));
    case 'map':
      if (!(value instanceof Map)) return [`${p}: expected a map, got ${fmt(value)}`];
      return [...value].flatMap(([k, x]) => checkConforms(x, type.element, known, [...path, { key: k }]));
    case 'object': {
      if (!isObj(value)) return [`${p}: expected an object, got ${fmt(value)}`];
      const out: string[] = [];
      for (const k of Object.keys(value)) if (!type.attributes.has(k)) out.push(`${show([...path, { attr: k }])}: unsupported attribute`);
      for (const [k, at] of type.attributes) out.push(...checkConforms(value[k], at, known, [...path, { attr: k }]));
      return out;
    }
    default:
      return [];
  }
}

// -------------------------------------------------------------------------------------------------------------
// PlanResourceChange

export interface PlanCheck {
  schema: JsonBlock;
  prior: CtyValue;
  config: CtyValue;
  planned: CtyValue;
  requiresReplace?: CtyPath[];
}

function checkAttribute(name: string, a: JsonAttribute, planned: CtyValue, config: CtyValue, prior: CtyValue, path: CtyPath): string[] {
  const p = show([...path, { attr: name }]);
  const type = typeFromParsedJSON(a.type);
  if (a.write_only) return planned === null ? [] : [`${p}: write-only attribute must be planned null`];
  // A planned value equal to config (refinements ignored) is always fine.
  if (equalValues(planned, config, type)) return [];
  // Keeping the prior value is fine when both prior and config are set ("no functional change").
  if (prior !== null && config !== null && equalValues(planned, prior, type)) return [];
  if (a.computed && !a.optional) return [];
  if (a.computed && a.optional && config === null) return [];
  if (config === null) return [`${p}: planned value ${fmt(planned)} for a non-computed attribute`];
  return [`${p}: planned value ${fmt(planned)} does not match config value ${fmt(config)}${prior !== null ? ` nor prior value ${fmt(prior)}` : ''}`];
}

function checkBlockPlan(block: JsonBlock, planned: Obj, config: Obj, prior: CtyValue, path: CtyPath): string[] {
  const out: string[] = [];
  for (const [name, a] of Object.entries(block.attributes ?? {})) {
    out.push(...checkAttribute(name, a, attr(planned, name), attr(config, name), attr(prior, name), path));
  }
  for (const [name, bt] of Object.entries(block.block_types ?? {})) {
    const at: CtyPath = [...path, { attr: name }];
    const p = show(at);
    const pv = attr(planned, name);
    const cv = attr(config, name);
    const prv = attr(prior, name);
    if (isUnknown(cv)) {
      // A `dynamic` block whose for_each is unknown: the plan must keep it exactly as configured.
      if (!isUnknown(pv)) out.push(`${p}: config block is unknown, so the planned value must be unknown too`);
      continue;
    }
    if (isUnknown(pv)) {
      out.push(`${p}: attribute representing nested block must not be unknown itself; set nested attribute values to unknown instead`);
      continue;
    }
    switch (bt.nesting_mode) {
      case 'single':
      case 'group': {
        if (bt.nesting_mode === 'single' && (pv === null) !== (cv === null)) {
          out.push(`${p}: planned block is ${pv === null ? 'absent' : 'present'} but config block is ${cv === null ? 'absent' : 'present'}`);
        } else if (bt.nesting_mode === 'group' && pv === null) {
          out.push(`${p}: a group block must not be planned null`);
        } else if (isObj(pv) && isObj(cv)) out.push(...checkBlockPlan(bt.block, pv, cv, prv, at));
        break;
      }
      case 'list':
      case 'set': {
        if (!Array.isArray(pv)) {
          out.push(`${p}: nested block ${bt.nesting_mode} must not be null (use an empty ${bt.nesting_mode})`);
          break;
        }
        const cl = Array.isArray(cv) ? cv : [];
        if (bt.nesting_mode === 'set') break; // contents of set blocks are not compared
        if (pv.length !== cl.length) {
          out.push(`${p}: block count changed in plan: planned ${pv.length}, config ${cl.length}`);
          break;
        }
        const pl = Array.isArray(prv) ? prv : [];
        pv.forEach((el, i) => {
          const ep: CtyPath = [...at, { index: i }];
          if (isUnknown(el)) out.push(`${show(ep)}: a block element must not be unknown`);
          else if (!isObj(el)) out.push(`${show(ep)}: a block element must be an object, got ${fmt(el)}`);
          else if (isObj(cl[i])) out.push(...checkBlockPlan(bt.block, el, cl[i] as Obj, pl[i] ?? null, ep));
        });
        break;
      }
      case 'map': {
        if (!(pv instanceof Map)) {
          out.push(`${p}: nested block map must not be null (use an empty map)`);
          break;
        }
        const cm = cv instanceof Map ? cv : new Map<string, CtyValue>();
        const keys = [...pv.keys()].sort().join(',');
        if (keys !== [...cm.keys()].sort().join(',')) {
          out.push(`${p}: planned block keys [${keys}] differ from config keys [${[...cm.keys()].sort().join(',')}]`);
          break;
        }
        const pm = prv instanceof Map ? prv : new Map<string, CtyValue>();
        for (const [k, el] of pv) {
          const ep: CtyPath = [...at, { key: k }];
          if (!isObj(el)) out.push(`${show(ep)}: a block element must be a known object`);
          else out.push(...checkBlockPlan(bt.block, el, cm.get(k) as Obj, pm.get(k) ?? null, ep));
        }
        break;
      }
    }
  }
  return out;
}

/** Whether `path` leads somewhere in `value` (an attribute of an object, an existing element). */
export function pathExists(value: CtyValue, path: CtyPath): boolean {
  let v: CtyValue | undefined = value;
  for (const s of path) {
    if ('attr' in s) {
      if (!isObj(v) || !Object.prototype.hasOwnProperty.call(v, s.attr)) return false;
      v = v[s.attr];
    } else if ('index' in s) {
      if (!Array.isArray(v) || s.index < 0 || s.index >= v.length) return false;
      v = v[s.index];
    } else {
      if (!(v instanceof Map) || !v.has(s.key)) return false;
      v = v.get(s.key);
    }
  }
  return true;
}

/** Every rule behind Terraform's "Provider produced invalid plan" that can be checked from the values. */
export function checkPlan(c: PlanCheck): string[] {
  const out: string[] = [];
  if (c.config === null) {
    if (c.planned !== null) out.push('(root): planned for existence but config wants absence');
    return out;
  }
  if (c.planned === null) return ['(root): planned for absence but config wants existence'];
  out.push(...checkConforms(c.planned, impliedTypeOfBlock(c.schema), false));
  if (!isObj(c.planned) || !isObj(c.config)) return [...out, '(root): planned and config must be objects'];
  out.push(...checkBlockPlan(c.schema, c.planned, c.config, c.prior, []));
  for (const rp of c.requiresReplace ?? []) {
    if (!pathExists(c.prior, rp) && !pathExists(c.planned, rp)) out.push(`${show(rp)}: requires replacement for a non-existent attribute path`);
  }
  return out;
}

// -------------------------------------------------------------------------------------------------------------
// Consistency: known values must survive

/** Every known value in `before` must be identical in `after`; unknowns in `before` may become anything. */
export function checkKnownPreserved(before: CtyValue | undefined, after: CtyValue | undefined, path: CtyPath = [], what = 'planned'): string[] {
  const p = show(path);
  if (before === undefined || isUnknown(before)) return [];
  if (after === undefined || isUnknown(after)) return [`${p}: was ${what} as ${fmt(before)}, but is now ${fmt(after)}`];
  if (before === null || after === null) return before === after ? [] : [`${p}: was ${what} as ${fmt(before)}, but is now ${fmt(after)}`];
  if (Array.isArray(before)) {
    if (!Array.isArray(after) || after.length !== before.length) return [`${p}: was ${what} as ${fmt(before)}, but is now ${fmt(after)}`];
    return before.flatMap((x, i) => checkKnownPreserved(x, after[i], [...path, { index: i }], what));
  }
  if (before instanceof Map) {
    if (!(after instanceof Map)) return [`${p}: was ${what} as a map, but is now ${fmt(after)}`];
    const keys = new Set([...before.keys(), ...after.keys()]);
    return [...keys].flatMap((k) =>
      before.has(k) && after.has(k)
        ? checkKnownPreserved(before.get(k), after.get(k), [...path, { key: k }], what)
        : [`${show([...path, { key: k }])}: element ${before.has(k) ? 'removed' : 'added'}`],
    );
  }
  if (isObj(before)) {
    if (!isObj(after)) return [`${p}: was ${what} as an object, but is now ${fmt(after)}`];
    return Object.keys(before).flatMap((k) => checkKnownPreserved(before[k], after[k], [...path, { attr: k }], what));
  }
  return equalValues(before, after) ? [] : [`${p}: was ${what} as ${fmt(before)}, but is now ${fmt(after)}`];
}

/** "Provider produced inconsistent final plan": the apply-time plan against the initial one. */
export function checkFinalPlan(initial: CtyValue, final: CtyValue): string[] {
  if ((initial === null) !== (final === null)) return ['(root): the action changed between the initial and the final plan'];
  return checkKnownPreserved(initial, final, [], 'initially planned');
}

/** "Provider produced inconsistent result after apply" and "invalid result object after apply". */
export function checkApplyResult(schema: JsonBlock, planned: CtyValue, newState: CtyValue): string[] {
  if (planned === null) return newState === null ? [] : ['(root): a delete must return a null new state'];
  if (newState === null) return ['(root): Root object was present, but now absent'];
  return [...checkConforms(newState, impliedTypeOfBlock(schema), true), ...checkKnownPreserved(planned, newState)];
}

/** ReadResource, ReadDataSource, import and upgrade results: a wholly known value that conforms (null allowed for reads). */
export function checkReadResult(schema: JsonBlock, value: CtyValue, allowNull = true): string[] {
  if (value === null) return allowNull ? [] : ['(root): Provider produced null object'];
  return checkConforms(value, impliedTypeOfBlock(schema), true);
}

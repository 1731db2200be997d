/**
 * Validation of untrusted template and preset input (CLI files, API requests, the Terraform provider).
 *
 * Every problem is collected into one ValidationError whose paths use HCL attribute names. Blocks
 * that HCL allows at most once (prebuilds, expiration_policy, scheduling) appear in paths without an
 * index (['prebuilds', 'scheduling', 'timezone']); repeated blocks carry theirs
 * (['prebuilds', 'scheduling', 'schedule', 1, 'cron']). Such a block may be given as an object or as a
 * list of at most one object (the shape hcl2json and Terraform produce); null and [] mean absent, and
 * null means "not set" for optional attributes too. Free text (description, map keys and values) follows the
 * rules of text.ts; a message never repeats a user's value whole (text.ts's quote bounds it).
 */
import { ValidationError, type FieldError, type PathStep } from './errors';
import type { PresetSpec, PrebuildsSpec, ScheduleSpec, SchedulingSpec, TemplateSpec } from './specs';
import { checkScheduling, instancesProblem } from './scheduling';
import { describeValue } from './describe';
import { MAX_MAP_ENTRIES, TTL_MAX_SECONDS, TTL_MIN_SECONDS } from './limits';
import { DESCRIPTION_TEXT, MAP_VALUE_TEXT, mapKeyProblem, quote, textProblem } from './text';
import { driverProblem, nameProblem } from './names';
import { LIFECYCLE_POLICY_ATTRS, type LifecyclePolicySpec, lifecyclePolicyProblems } from './lifecycle-policy';

export type IsUnknown = (value: unknown) => boolean;


const TEMPLATE_ATTRS = ['name', 'driver', 'config', 'lifecycle_policy'] as const;
const PRESET_ATTRS = ['template', 'name', 'description', 'default', 'parameters', 'prebuilds'] as const;
const PREBUILDS_ATTRS = ['instances', 'expiration_policy', 'scheduling'] as const;
const EXPIRATION_ATTRS = ['ttl'] as const;
const SCHEDULING_ATTRS = ['timezone', 'lead_time', 'schedule'] as const;
const SCHEDULE_ATTRS = ['cron', 'instances'] as const;

type Obj = Record<string, unknown>;

class Walk {
  readonly errors: FieldError[] = [];
  constructor(readonly isUnknown: IsUnknown) {}
  add(path: PathStep[], message: string): void {
    this.errors.push({ path, message });
  }
}

const known: IsUnknown = () => false;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

/** Reports attributes outside `allowed`; returns false when `value` is not an object at all. */
function checkObject(w: Walk, value: unknown, path: PathStep[], allowed: readonly string[], what: string): value is Obj {
  if (!isObj(value)) {
    w.add(path, `${what} must be an object, got ${describeValue(value)}`);
    return false;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) w.add([...path, key], `unknown attribute ${quote(key)} (allowed: ${allowed.join(', ')})`);
  }
  return true;
}

/**
 * A block that may occur at most once: `{...}`, `[{...}]`, `[]` or null.
 * Returns the block object, null when absent, or 'skip' when it is unknown or malformed (already reported).
 */
function singleBlock(w: Walk, value: unknown, path: PathStep[], name: string): unknown | null | 'skip' {
  if (w.isUnknown(value)) return 'skip';
  if (absent(value)) return null;
  if (Array.isArray(value)) {
    if (value.length === 0) return null;
    if (value.length > 1) {
      w.add(path, `at most one ${name} block is allowed, got ${value.length}`);
      return 'skip';
    }
    return w.isUnknown(value[0]) ? 'skip' : value[0];
  }
  return value;
}

export function ttlProblem(value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isInteger(value)) return `must be a whole number of seconds, got ${describeValue(value)}`;
  if (value === 0 || (value >= TTL_MIN_SECONDS && value <= TTL_MAX_SECONDS)) return null;
  return `must be 0 (no expiry) or between ${TTL_MIN_SECONDS} and ${TTL_MAX_SECONDS} seconds, got ${value}`;
}

function requiredLeaf(w: Walk, obj: Obj, key: string, path: PathStep[], problem: (v: unknown) => string | null): void {
  const v = obj[key];
  if (w.isUnknown(v)) return;
  if (absent(v)) w.add([...path, key], 'is required');
  else {
    const p = problem(v);
    if (p !== null) w.add([...path, key], p);
  }
}

function stringMap(w: Walk, obj: Obj, key: string, path: PathStep[], valuesNonEmpty: boolean): Record<string, string> {
  const v = obj[key];
  const at = [...path, key];
  if (w.isUnknown(v) || absent(v)) return {};
  if (!isObj(v)) {
    w.add(at, `must be a map of strings, got ${describeValue(v)}`);
    return {};
  }
  const all = Object.entries(v);
  if (all.length > MAX_MAP_ENTRIES) {
    w.add(at, `must have at most ${MAX_MAP_ENTRIES} entries, got ${all.length}`);
    return {};
  }
  const entries: Array<[string, string]> = [];
  for (const [k, val] of all) {
    const keyProblem = mapKeyProblem(k);
    if (keyProblem !== null) w.add(k === '' ? at : [...at, k], keyProblem);
    if (w.isUnknown(val)) continue;
    if (typeof val !== 'string') w.add([...at, k], `must be a string, got ${describeValue(val)}`);
    else if (valuesNonEmpty && val === '') w.add([...at, k], 'must not be empty');
    else {
      const valueProblem = textProblem(val, MAP_VALUE_TEXT);
      if (valueProblem !== null) w.add([...at, k], valueProblem);
      else entries.push([k, val]);
    }
  }
  // fromEntries defines own properties, so a key such as "__proto__" is kept as data.
  return Object.fromEntries(entries);
}

function walkTemplate(w: Walk, input: unknown): TemplateSpec {
  const empty: TemplateSpec = { name: '', driver: '', config: {} };
  if (w.isUnknown(input)) return empty;
  if (!checkObject(w, input, [], TEMPLATE_ATTRS, 'a template')) return empty;
  requiredLeaf(w, input, 'name', [], nameProblem);
  requiredLeaf(w, input, 'driver', [], driverProblem);
  const spec: TemplateSpec = {
    name: input.name as string,
    driver: input.driver as string,
    config: stringMap(w, input, 'config', [], false),
  };
  const policy = walkLifecyclePolicy(w, input.lifecycle_policy);
  if (policy !== null) spec.lifecycle_policy = policy;
  return spec;
}

/** The lifecycle_policy block: null when absent or when no attribute is set (an empty block turns nothing on). */
function walkLifecyclePolicy(w: Walk, value: unknown): LifecyclePolicySpec | null {
  const path = ['lifecycle_policy'];
  const block = singleBlock(w, value, path, 'lifecycle_policy');
  if (block === null || block === 'skip') return null;
  if (!checkObject(w, block, path, LIFECYCLE_POLICY_ATTRS, 'the lifecycle_policy block')) return null;
  for (const e of lifecyclePolicyProblems(block, path, w.isUnknown)) w.add(e.path, e.message);
  const out: LifecyclePolicySpec = {};
  for (const attr of LIFECYCLE_POLICY_ATTRS) {
    const v = block[attr];
    if (typeof v === 'string') out[attr] = v;
  }
  return Object.keys(out).length === 0 ? null : out;
}

function walkPreset(w: Walk, input: unknown): PresetSpec {
  const empty: PresetSpec = { template: '', name: '', description: '', default: false, parameters: {} };
  if (w.isUnknown(input)) return empty;
  if (!checkObject(w, input, [], PRESET_ATTRS, 'a preset')) return empty;
  requiredLeaf(w, input, 'template', [], nameProblem);
  requiredLeaf(w, input, 'name', [], nameProblem);

  const description = input.description;
  if (!w.isUnknown(description) && !absent(description)) {
    if (typeof description !== 'string') w.add(['description'], `must be a string, got ${describeValue(description)}`);
    else {
      const problem = textProblem(description, DESCRIPTION_TEXT);
      if (problem !== null) w.add(['description'], problem);
    }
  }
  const isDefault = input.default;
  if (!w.isUnknown(isDefault) && !absent(isDefault) && typeof isDefault !== 'boolean') {
    w.add(['default'], `must be true or false, got ${describeValue(isDefault)}`);
  }

  const spec: PresetSpec = {
    template: input.template as string,
    name: input.name as string,
    description: typeof description === 'string' ? description : '',
    default: isDefault === true,
    parameters: stringMap(w, input, 'parameters', [], true),
  };
  const prebuilds = walkPrebuilds(w, input.prebuilds);
  if (prebuilds !== null) spec.prebuilds = prebuilds;
  return spec;
}

function walkPrebuilds(w: Walk, value: unknown): PrebuildsSpec | null {
  const path = ['prebuilds'];
  const block = singleBlock(w, value, path, 'prebuilds');
  if (block === null || block === 'skip') return null;
  if (!checkObject(w, block, path, PREBUILDS_ATTRS, 'the prebuilds block')) return null;
  requiredLeaf(w, block, 'instances', path, instancesProblem);
  const out: PrebuildsSpec = { instances: block.instances as number };

  const expPath = [...path, 'expiration_policy'];
  const exp = singleBlock(w, block.expiration_policy, expPath, 'expiration_policy');
  if (exp !== null && exp !== 'skip' && checkObject(w, exp, expPath, EXPIRATION_ATTRS, 'the expiration_policy block')) {
    requiredLeaf(w, exp, 'ttl', expPath, ttlProblem);
    out.expiration_policy = { ttl: exp.ttl as number };
  }

  const scheduling = walkScheduling(w, block.scheduling);
  if (scheduling !== null) out.scheduling = scheduling;
  return out;
}

function walkScheduling(w: Walk, value: unknown): SchedulingSpec | null {
  const path = ['prebuilds', 'scheduling'];
  const block = singleBlock(w, value, path, 'scheduling');
  if (block === null || block === 'skip') return null;
  if (!checkObject(w, block, path, SCHEDULING_ATTRS, 'the scheduling block')) return null;

  // A lone schedule object is accepted as a list of one, like the single blocks above.
  let list = block.schedule;
  if (isObj(list) && !w.isUnknown(list)) list = [list];
  if (Array.isArray(list)) {
    list.forEach((item, i) => {
      if (isObj(item) && !w.isUnknown(item)) {
        for (const key of Object.keys(item)) {
          if (!(SCHEDULE_ATTRS as readonly string[]).includes(key)) {
            w.add([...path, 'schedule', i, key], `unknown attribute "${key}" (allowed: ${SCHEDULE_ATTRS.join(', ')})`);
          }
        }
      }
    });
  }

  const spec = { timezone: block.timezone, lead_time: block.lead_time, schedule: list } as SchedulingSpec;
  for (const e of checkScheduling(spec, w.isUnknown).errors) w.add([...path, ...e.path], e.message);

  const out: SchedulingSpec = {
    timezone: block.timezone as string,
    schedule: Array.isArray(list)
      ? list.map((s): ScheduleSpec => ({ cron: (s as Obj)?.cron as string, instances: (s as Obj)?.instances as number }))
      : [],
  };
  if (!absent(block.lead_time)) out.lead_time = block.lead_time as string;
  return out;
}

/** Validates and normalizes a template (defaults filled in). Throws ValidationError listing every problem. */
export function parseTemplateSpec(input: unknown): TemplateSpec {
  const w = new Walk(known);
  const spec = walkTemplate(w, input);
  if (w.errors.length > 0) throw new ValidationError(w.errors);
  return spec;
}

/** Validates and normalizes a preset (defaults filled in). Throws ValidationError listing every problem. */
export function parsePresetSpec(input: unknown): PresetSpec {
  const w = new Walk(known);
  const spec = walkPreset(w, input);
  if (w.errors.length > 0) throw new ValidationError(w.errors);
  return spec;
}

/**
 * Plan-time validation with some values unknown (Terraform's ValidateResourceConfig): every check on a
 * value for which `isUnknown` is true is skipped, and so is every check that depends on one (e.g. the
 * overlap of a schedule whose cron is unknown). Returns the problems instead of throwing.
 */
export function validatePresetFields(input: unknown, isUnknown: IsUnknown): FieldError[] {
  const w = new Walk(isUnknown);
  walkPreset(w, input);
  return w.errors;
}

/** Like validatePresetFields, for templates. */
export function validateTemplateFields(input: unknown, isUnknown: IsUnknown): FieldError[] {
  const w = new Walk(isUnknown);
  walkTemplate(w, input);
  return w.errors;
}

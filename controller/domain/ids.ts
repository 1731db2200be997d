/** A preset's id is `TEMPLATE/NAME`: both parts valid names, exactly one slash. One parser for every layer. */
import { describeValue } from './describe';
import { isName } from './names';
import { quote } from './text';
import { MAX_INSTANCE_ID } from './limits';

export interface PresetRef {
  template: string;
  name: string;
}

export function formatPresetId(template: string, name: string): string {
  return `${template}/${name}`;
}

/** The parts of a preset id, or undefined when it is not TEMPLATE/NAME with two valid names. */
export function parsePresetId(id: string): PresetRef | undefined {
  const slash = id.indexOf('/');
  if (slash < 0) return undefined;
  const template = id.slice(0, slash);
  const name = id.slice(slash + 1);
  if (!isName(template) || !isName(name)) return undefined;
  return { template, name };
}

/** Why `value` is not a preset id, or null. */
export function presetIdProblem(value: unknown): string | null {
  if (typeof value === 'string' && parsePresetId(value) !== undefined) return null;
  return `must be TEMPLATE/NAME (for example devbox/us-nix), got ${typeof value === 'string' ? quote(value) : describeValue(value)}`;
}

/** The parts of an id the controller itself stored; a malformed one means a damaged database. */
export function presetIdParts(id: string): PresetRef {
  const ref = parsePresetId(id);
  if (ref === undefined) throw new Error(`stored preset id ${quote(id)} is not TEMPLATE/NAME`);
  return ref;
}

const INSTANCE_ID = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_INSTANCE_ID - 1}}$`);

/** Why `value` cannot be an instance id, or null. The controller's ids are UUIDs; the rule is looser, not stricter. */
export function instanceIdProblem(value: string): string | null {
  if (INSTANCE_ID.test(value)) return null;
  return `must be an instance id (1-${MAX_INSTANCE_ID} characters of letters, digits, ".", "_" and "-"), got ${quote(value)}`;
}

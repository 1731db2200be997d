/** A preset's id is `TEMPLATE/NAME`: both parts valid names, exactly one slash. One parser for every layer. */
import { describeValue } from './describe';
import { isName } from './names';
import { quote } from './text';
import { MAX_INSTANCE_ID, MAX_INSTANCE_NAME } from './limits';

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

/** The longest reference to an instance: an id or a name, whichever may be longer. */
const MAX_INSTANCE_REF = Math.max(MAX_INSTANCE_ID, MAX_INSTANCE_NAME);
const INSTANCE_REF = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_INSTANCE_REF - 1}}$`);

/**
 * Why `value` cannot refer to an instance (a full id, a prefix of one, or an instance name), or null. The controller's
 * ids are UUIDs and its names are the preset name plus 12 hex digits; the rule is looser than either, not stricter,
 * and only the character set and length are checked here (whether it is long enough for a prefix is the lookup's
 * business: a short exact id or name is fine).
 */
export function instanceRefProblem(value: string): string | null {
  if (INSTANCE_REF.test(value)) return null;
  return (
    `must be an instance id, a prefix of one or an instance name (1-${MAX_INSTANCE_REF} characters of letters, digits, ` +
    `".", "_" and "-"), got ${quote(value)}`
  );
}

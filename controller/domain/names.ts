/** Names of templates, presets and drivers: one rule everywhere (controller, API, CLI, provider). */
import { MAX_NAME } from './limits';
import { describeValue } from './describe';
import { quote } from './text';

const NAME_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_NAME - 1}}$`);

/** The rule in words, for messages and schema descriptions. */
export const NAME_RULE = `1-${MAX_NAME} characters of letters, digits, ".", "_" and "-", starting with a letter or digit`;

export function isName(value: unknown): value is string {
  return typeof value === 'string' && NAME_PATTERN.test(value);
}

/** Why `value` is not a valid name, or null. */
export function nameProblem(value: unknown): string | null {
  if (typeof value !== 'string') return `must be a string, got ${describeValue(value)}`;
  if (value === '') return 'must not be empty';
  if (!NAME_PATTERN.test(value)) return `must be ${NAME_RULE}, got ${quote(value)}`;
  return null;
}

/** A driver is a program inside the driver directory: a name, never a path. */
export function driverProblem(value: unknown): string | null {
  if (typeof value === 'string') {
    if (value === '.' || value === '..') return `must name a program inside the driver directory, not ${quote(value)}`;
    if (/[/\\]/.test(value)) {
      return `must name a program inside the driver directory, without path separators, got ${quote(value)}`;
    }
  }
  return nameProblem(value);
}

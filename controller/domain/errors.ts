import { MAX_MAP_KEY } from './limits';
import { quote } from './text';

/** One step of an attribute path: an attribute or block name, or a list index. */
export type PathStep = string | number;

/** A problem with one field of user input. `path` is structured so the provider can point Terraform at the line. */
export interface FieldError {
  path: PathStep[];
  message: string;
}

/** A step that reads unambiguously after a dot: attribute names and plain map keys. */
const PLAIN_STEP = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_MAP_KEY}}$`);

/**
 * Renders a path as `prebuilds.scheduling.schedule[1].cron`. A step that is not a plain name (a map key the user
 * wrote, which may be anything) is shown quoted, escaped and bounded: `parameters["a.b"]`,
 * `parameters["xxxx…" (10000 characters)]`.
 */
export function formatPath(path: readonly PathStep[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (!PLAIN_STEP.test(step)) out += `[${quote(step)}]`;
    else out += out === '' ? step : `.${step}`;
  }
  return out;
}

/** Thrown for bad user input; carries every field problem found, not just the first. */
export class ValidationError extends Error {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(errors.map((e) => (e.path.length ? `${formatPath(e.path)}: ${e.message}` : e.message)).join('; '));
    this.name = 'ValidationError';
    this.errors = errors;
  }
  static field(path: PathStep[], message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The request is valid but the current state forbids it (e.g. deleting a template that still has presets). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/**
 * A small, strict flag parser (no dependency): `--flag value`, `--flag=value`, booleans, repeatable flags,
 * `--` to end flags. Unknown flags are errors, never ignored, so a typo cannot silently change behaviour.
 */

/** Bad command-line usage: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Without dashes: `file` for --file. */
  name: string;
  kind: 'string' | 'boolean';
  /** May be given several times; values are collected in order. */
  repeated?: boolean;
  /** Placeholder in help, e.g. `FILE`. */
  value?: string;
  help: string;
  /** Environment variable used when the flag is absent (shown in help). */
  env?: string;
  /** Shown in help only; commands apply their own defaults. */
  default?: string;
}

export interface ParsedArgs {
  positionals: string[];
  /** Strings (last wins unless repeated), booleans as 'true'/'false'. */
  values: Map<string, string[]>;
}

/** Splits argv into flags and positionals against `specs`. `command` names the command in messages. */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], command: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i++];
    if (arg === '--') {
      positionals.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new UsageError(`unknown flag ${arg} for "${command}"; flags are spelled --name (see ${command} --help)`);
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = byName.get(name);
    if (spec === undefined) {
      const hint = closest(name, specs.map((s) => s.name));
      throw new UsageError(
        `unknown flag --${name} for "${command}"${hint ? ` (did you mean --${hint}?)` : ''}; see ${command} --help`,
      );
    }
    let value: string;
    if (spec.kind === 'boolean') {
      const text = eq < 0 ? 'true' : arg.slice(eq + 1);
      if (text !== 'true' && text !== 'false') throw new UsageError(`flag --${name} takes no value (or =true/=false), got "${text}"`);
      value = text;
    } else if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      // A following "--x" is almost always a forgotten value, not a value that starts with dashes.
      if (i >= argv.length || argv[i].startsWith('--')) {
        throw new UsageError(`flag --${name} needs a value${spec.value ? ` (${spec.value})` : ''}; see ${command} --help`);
      }
      value = argv[i++];
    }
    const seen = values.get(name);
    if (seen && !spec.repeated) throw new UsageError(`flag --${name} was given more than once`);
    values.set(name, [...(seen ?? []), value]);
  }
  return { positionals, values };
}

/** Accessors over parsed flags with environment fallbacks. */
export class Flags {
  constructor(
    private readonly parsed: ParsedArgs,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly specs: readonly FlagSpec[],
  ) {}

  get positionals(): string[] {
    return this.parsed.positionals;
  }

  has(name: string): boolean {
    return this.parsed.values.has(name);
  }

  /** The flag, else its environment variable (if declared and non-empty), else undefined. */
  string(name: string): string | undefined {
    const v = this.parsed.values.get(name);
    if (v !== undefined) return v[v.length - 1];
    const env = this.specs.find((s) => s.name === name)?.env;
    const fromEnv = env === undefined ? undefined : this.env[env];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  }

  boolean(name: string): boolean {
    return this.string(name) === 'true';
  }

  list(name: string): string[] {
    return this.parsed.values.get(name) ?? [];
  }
}

/** True when `--help`/`-h` appears before `--`: help wins over every other problem on the line. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h' || a === '--help=true') return true;
  }
  return false;
}

/** The nearest candidate within a small edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

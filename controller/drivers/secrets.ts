/**
 * Secrets for built-in drivers (the http driver's signing key), named by templates with `secret_ref` so the value
 * itself is never stored with the template, sent over the API or shown by Terraform.
 *
 * A name resolves first from the secrets file (`--secrets-file`: one JSON object `{"<name>": "<value>", …}`), then
 * from the environment variable `PREWARM_SECRET_<NAME>` (upper-cased, `.` and `-` as `_`). The file is read again
 * whenever its size or modification time changes, so rotating a secret needs no restart; if it breaks later (a
 * half-written edit), the last good contents stay in use and the problem is reported with every lookup. Values never
 * appear in a message, a log line or an error, whatever went wrong.
 */
import fs from 'node:fs';
import { describeJsonError } from '../domain/json-file';
import { quote } from '../domain/text';

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
export const SECRET_NAME_WORDS = 'letters, digits, _ . and -, starting with a letter or _, at most 128 characters';
/** Largest value, file or environment. */
export const MAX_SECRET_VALUE_BYTES = 4096;
/** Largest secrets file read; anything bigger is a mistake (the wrong file), not a list of keys. */
const MAX_FILE_BYTES = 1024 * 1024;
const ENV_PREFIX = 'PREWARM_SECRET_';
/** Controller settings that share the prefix and are never driver secrets. */
const RESERVED_ENV = new Set(['PREWARM_SECRET_KEY']);

export interface DriverSecretsOptions {
  /** The secrets file; without it only the environment is consulted. */
  file?: string;
  /** Read at each lookup, so it is normally `process.env` itself. */
  env: NodeJS.ProcessEnv;
}

export type SecretLookup =
  | {
      ok: true;
      value: string;
      /** Where it came from, for logs: `secrets file <path>` or `environment variable <NAME>`. Never the value. */
      source: string;
      /** The secrets file is broken right now and an older good copy answered; what is wrong with it. */
      warning?: string;
    }
  | { ok: false; reason: string };

/** The environment variable a secret name falls back to. */
export function secretEnvName(name: string): string {
  return ENV_PREFIX + name.toUpperCase().replace(/[.-]/g, '_');
}

/** What the file's identity was when it was last read; any change means read it again. */
interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
  ctimeMs: number;
}

function sameStamp(a: FileStamp | null, b: FileStamp): boolean {
  return a !== null && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.ctimeMs === b.ctimeMs;
}

export class DriverSecrets {
  readonly file: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private values: ReadonlyMap<string, string> = new Map();
  private stamp: FileStamp | null = null;
  /** Why the file as it is now cannot be used (null when the last read succeeded). */
  private problem: string | null = null;

  /** Reads nothing yet; use `load` at start so a bad file stops the controller instead of every job. */
  constructor(opts: DriverSecretsOptions) {
    this.file = opts.file;
    this.env = opts.env;
  }

  /** Reads the secrets file now; throws an Error naming the file and what is wrong with it. */
  static load(opts: DriverSecretsOptions): DriverSecrets {
    const s = new DriverSecrets(opts);
    s.refresh();
    if (s.problem !== null) throw new Error(s.problem);
    return s;
  }

  /** Resolves `name` as it stands now (the file re-read if it changed). Never throws. */
  lookup(name: string): SecretLookup {
    if (!SECRET_NAME.test(name)) return { ok: false, reason: `${quote(name)} is not a valid secret name (${SECRET_NAME_WORDS})` };
    this.refresh();
    const warning = this.problem ?? undefined;
    const fromFile = this.values.get(name);
    if (fromFile !== undefined) return { ok: true, value: fromFile, source: `secrets file ${this.file}`, ...(warning ? { warning } : {}) };
    const envName = secretEnvName(name);
    // PREWARM_SECRET_KEY is the controller's own sealing key, not a driver secret: a template naming "key" must not
    // be able to sign with it, nor learn whether it is set.
    const fromEnv = RESERVED_ENV.has(envName) ? undefined : this.env[envName];
    if (fromEnv !== undefined && fromEnv !== '') {
      if (Buffer.byteLength(fromEnv, 'utf8') > MAX_SECRET_VALUE_BYTES) {
        return { ok: false, reason: `secret ${quote(name)}: the environment variable ${envName} is longer than ${MAX_SECRET_VALUE_BYTES} bytes` };
      }
      return { ok: true, value: fromEnv, source: `environment variable ${envName}`, ...(warning ? { warning } : {}) };
    }
    const fileWords = this.file === undefined ? 'the controller has no --secrets-file' : `it is not in the secrets file ${this.file}`;
    const broken = warning ? ` (and the secrets file cannot be read right now: ${warning})` : '';
    const envWords = RESERVED_ENV.has(envName)
      ? `${envName} is the controller's own key and never a driver secret`
      : `the environment variable ${envName} is not set`;
    return {
      ok: false,
      reason: `secret ${quote(name)} is not defined: ${fileWords} and ${envWords}${broken}`,
    };
  }

  /** Where a secret of this name would come from, for messages that tell an operator how to define it. */
  sources(name: string): string {
    const envName = secretEnvName(name);
    if (RESERVED_ENV.has(envName)) {
      return this.file === undefined ? 'give the controller a --secrets-file that holds it' : `add it to the secrets file ${this.file}`;
    }
    return this.file === undefined
      ? `set the environment variable ${envName} on the controller (or give it a --secrets-file)`
      : `add it to the secrets file ${this.file} or set the environment variable ${envName} on the controller`;
  }

  /** Why the file cannot be used now (the last good contents are still answering), or null. */
  fileProblem(): string | null {
    this.refresh();
    return this.problem;
  }

  /** The file can be read or changed by group or others: worth a warning, since it holds signing keys. */
  looseMode(): boolean {
    if (this.file === undefined) return false;
    try {
      return (fs.statSync(this.file).mode & 0o077) !== 0;
    } catch {
      return false;
    }
  }

  /** Re-reads the file if it changed since the last read. A failure keeps the last good values and sets `problem`. */
  private refresh(): void {
    if (this.file === undefined) return;
    const file = this.file;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (err) {
      this.stamp = null;
      this.problem = `secrets file ${file}: cannot read it: ${ioReason(err)}`;
      return;
    }
    const stamp: FileStamp = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, ctimeMs: stat.ctimeMs };
    if (sameStamp(this.stamp, stamp)) return;
    this.stamp = stamp;
    if (!stat.isFile()) return void (this.problem = `secrets file ${file}: not a regular file`);
    if (stat.size > MAX_FILE_BYTES) return void (this.problem = `secrets file ${file}: larger than 1 MiB (${stat.size} bytes); is it the right file?`);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      // Unstamped so the next lookup tries again even if nothing about the file changes (a permission fixed).
      this.stamp = null;
      this.problem = `secrets file ${file}: cannot read it: ${ioReason(err)}`;
      return;
    }
    const parsed = parseSecretsFile(text);
    if (!parsed.ok) {
      this.problem = `secrets file ${file}: ${parsed.reason}`;
      return;
    }
    this.values = parsed.values;
    this.problem = null;
  }
}

function ioReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file (ENOENT)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${e.code})`;
    case 'EISDIR':
      return 'it is a directory (EISDIR)';
    default:
      return e.code ? `${e.code}` : 'read failed';
  }
}

export type ParsedSecrets = { ok: true; values: ReadonlyMap<string, string> } | { ok: false; reason: string };

/**
 * The file's contents as a map. Messages name keys (they are names, not secrets) and positions, never a value, and
 * never a JSON.parse message, because V8 quotes the surrounding source text in those.
 */
export function parseSecretsFile(text: string): ParsedSecrets {
  const src = text.replace(/^\uFEFF/, '');
  let doc: unknown;
  try {
    doc = JSON.parse(src);
  } catch {
    return { ok: false, reason: `not valid JSON at ${describeJsonError(src, { quoteSource: false })}` };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    const got = doc === null ? 'null' : Array.isArray(doc) ? 'an array' : `a ${typeof doc}`;
    return { ok: false, reason: `must hold one JSON object of "name": "value" pairs, got ${got}` };
  }
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(doc)) {
    if (!SECRET_NAME.test(key)) return { ok: false, reason: `${quote(key)} is not a valid secret name (${SECRET_NAME_WORDS})` };
    if (typeof value !== 'string') {
      const got = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
      return { ok: false, reason: `the value of ${quote(key)} must be a string, got ${got}` };
    }
    if (value === '') return { ok: false, reason: `the value of ${quote(key)} is empty` };
    if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_VALUE_BYTES) {
      return { ok: false, reason: `the value of ${quote(key)} is longer than ${MAX_SECRET_VALUE_BYTES} bytes` };
    }
    values.set(key, value);
  }
  return { ok: true, values };
}

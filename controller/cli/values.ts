/**
 * Parsers for flag and argument values; every error names the flag or argument it came from, and quotes the
 * value bounded and escaped (domain/text.ts's quote), never whole.
 */
import { parseInstant } from '../domain/instant';
import { parseLifecycleDuration } from '../domain/lifecycle-duration';
import { accessSync, constants, statSync } from 'node:fs';
import { parseDuration } from '../domain/duration';
import { parseHostPort } from '../api/address';
import { UsageError } from './args';
import { parsePresetId, presetIdProblem, type PresetRef } from '../domain/ids';
import { ownerProblem, quote } from '../domain/text';

export interface PresetArg extends PresetRef {
  id: string;
}

/** `TEMPLATE/NAME` → parts. `what` is the argument or flag name for messages. */
export function parsePresetRef(text: string, what: string): PresetArg {
  const ref = parsePresetId(text);
  if (ref === undefined) throw new UsageError(`${what} ${presetIdProblem(text)}`);
  return { ...ref, id: text };
}

/**
 * A claim's owner (`claim --owner`): not blank, and the domain's owner rule, so the CLI refuses what the controller
 * would refuse before anything is sent. Returned trimmed, as the controller stores it.
 */
export function parseOwnerFlag(text: string, flag: string): string {
  if (text.trim() === '') throw new UsageError(`${flag} must not be empty`);
  const problem = ownerProblem(text);
  if (problem !== null) throw new UsageError(`${flag} ${problem}`);
  return text.trim();
}

/**
 * Strict RFC 3339 (a zone is required: a bare local time would silently depend on the machine's zone,
 * which is exactly what `explain --at` exists to make explicit). Returns epoch ms.
 */
export function parseRfc3339(text: string, flag: string): number {
  try {
    return parseInstant(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

export function parseDurationFlag(text: string, flag: string, opts: { allowZero?: boolean } = {}): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
  if (ms === 0 && !opts.allowZero) throw new UsageError(`${flag}: must be longer than 0, got ${quote(text)}`);
  return ms;
}

export function parseCount(text: string, flag: string, min = 0): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag}: must be a whole number >= ${min}, got ${quote(text)}`);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag}: must be a whole number >= ${min}, got ${quote(text)}`);
  return n;
}

/** Checks HOST:PORT and returns it unchanged. */
export function checkHostPort(text: string, flag: string): string {
  try {
    parseHostPort(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
  return text;
}

export function checkReadableFile(path: string, flag: string): string {
  try {
    if (!statSync(path).isFile()) throw new Error('not a regular file');
    accessSync(path, constants.R_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new UsageError(`${flag}: cannot read ${path}: ${why}`);
  }
  return path;
}

export function checkDirectory(path: string, flag: string): string {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`${flag}: ${path} does not exist`);
  }
  if (!isDir) throw new UsageError(`${flag}: ${path} is not a directory`);
  return path;
}

export function checkExists(path: string, flag: string): string {
  try {
    statSync(path);
  } catch {
    throw new UsageError(`${flag}: ${path} does not exist`);
  }
  return path;
}

/**
 * A workspace destroy setting from a flag: `none` (any case) clears it (null); otherwise the text, which must parse
 * or the flag is named in a usage error. The text goes to the controller as written (trimmed), so its messages
 * (an instant already past) quote what the user typed.
 */
function settingFlag(text: string, flag: string, parse: (text: string) => number): string | null {
  if (text.trim().toLowerCase() === 'none') return null;
  try {
    parse(text.trim());
    return text.trim();
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}${text.trim() === '' ? ' (write "none" to clear the setting)' : ''}`);
  }
}

/** `--auto-destroy-at RFC3339|none` → the instant in UTC, or null for none. */
export function parseAutoDestroyAtFlag(text: string, flag = '--auto-destroy-at'): string | null {
  return settingFlag(text, flag, parseInstant);
}

/** `--auto-destroy-inactivity DURATION|none` → the lifecycle duration ("8h", "7d"), or null for none. */
export function parseAutoDestroyInactivityFlag(text: string, flag = '--auto-destroy-inactivity'): string | null {
  return settingFlag(text, flag, parseLifecycleDuration);
}

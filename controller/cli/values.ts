/**
 * Parsers for flag and argument values; every error names the flag or argument it came from, and quotes the
 * value bounded and escaped (domain/text.ts's quote), never whole.
 */
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

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Strict RFC 3339 (a zone is required: a bare local time would silently depend on the machine's zone,
 * which is exactly what `explain --at` exists to make explicit). Returns epoch ms.
 */
export function parseRfc3339(text: string, flag: string): number {
  const m = RFC3339.exec(text.trim());
  const bad = (why: string) =>
    new UsageError(`${flag}: ${why}; expected RFC 3339 such as 2026-03-08T07:30:00Z or 2026-03-08T02:30:00-05:00, got ${quote(text)}`);
  if (!m) throw bad('not an RFC 3339 timestamp with a time zone');
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59) throw bad('a field is out of range');
  if (m[8].length === 6) {
    const [oh, om] = m[8].slice(1).split(':').map(Number);
    if (oh > 23 || om > 59) throw bad('the zone offset is out of range');
  }
  const ms = Date.parse(text.trim().replace(' ', 'T'));
  if (Number.isNaN(ms)) throw bad('not a valid instant');
  return ms;
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

/** Time zone names as users write them: IANA names only, checked against ICU's tz database through Intl. */
import { MAX_TIME_ZONE } from './limits';
import { quote } from './text';

const zoneVerdicts = new Map<string, string | null>();

let canonicalZones: ReadonlySet<string> | undefined;

/**
 * ICU's canonical zone names. Every one passes judgeZone's checks (exact case, not an offset), and the list costs a
 * few milliseconds where the first Intl.DateTimeFormat with a time zone costs about 25 (ICU's formatter data): the
 * provider validates a time zone in several short-lived processes per Terraform run, most of which format nothing.
 * Names outside it (UTC, links such as US/Eastern, wrong case) take the full check.
 */
export function isCanonicalZone(name: string): boolean {
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  return canonicalZones.has(name);
}

/**
 * Why `name` is not an acceptable time zone, or null when it is.
 *
 * Accepted: every IANA name ICU knows, including backward-compatible links (US/Eastern) and legacy
 * zones (EST5EDT, Etc/GMT+5), which Go's time.LoadLocation accepts too. Rejected: empty names,
 * surrounding whitespace, numeric offsets (newer Node versions accept "+05:00", Node 20 does not; we
 * refuse them everywhere so provider and controller agree), and names in the wrong case ("utc") because
 * ICU is case-insensitive while other tz consumers are not.
 */
export function timeZoneProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'must be a string naming an IANA time zone, e.g. "America/New_York"';
  // Before the cache, so an oversized name is never kept or handed to Intl.
  if (name.length > MAX_TIME_ZONE) {
    return `must be an IANA time zone name (at most ${MAX_TIME_ZONE} characters), got ${quote(name)}`;
  }
  const cached = zoneVerdicts.get(name);
  if (cached !== undefined) return cached;
  if (isCanonicalZone(name)) return null;
  const verdict = judgeZone(name);
  if (zoneVerdicts.size < 4096) zoneVerdicts.set(name, verdict);
  return verdict;
}

/**
 * The full check behind timeZoneProblem: what it answers for any name the canonical-zone shortcut does not cover.
 * Exported so a test can hold the shortcut to it, zone by zone.
 */
export function judgeZone(name: string): string | null {
  if (name === '') return 'must not be empty; use an IANA time zone such as "UTC" or "Europe/Berlin"';
  if (name.trim() !== name) return `time zone ${quote(name)} has surrounding whitespace`;
  if (/^[+\-\u2212]|^(UTC|GMT)[+\-]\d/i.test(name)) {
    return `${quote(name)} is an offset, not an IANA time zone; use a region name such as "America/New_York" (or "Etc/GMT-5" for a fixed offset)`;
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone ${quote(name)}; use an IANA name such as "America/New_York", "Europe/Berlin" or "UTC"`;
  }
  if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) {
    return `time zone names are case-sensitive: did you mean ${quote(resolved)}?`;
  }
  return null;
}

export function isValidTimeZone(name: unknown): name is string {
  return timeZoneProblem(name) === null;
}

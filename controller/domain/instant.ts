/** RFC 3339 instants as users write them (`--at`, `auto_destroy_at`). */
import { quote } from './text';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Strict RFC 3339 with a required zone (a bare local time would silently depend on the machine's zone). Returns
 * epoch ms; throws an Error whose message is suitable for a field diagnostic.
 */
export function parseInstant(text: unknown): number {
  if (typeof text !== 'string') throw new Error('must be an RFC 3339 timestamp such as 2026-12-24T18:00:00Z');
  const m = RFC3339.exec(text.trim());
  const bad = (why: string) =>
    new Error(`${why}; expected RFC 3339 such as 2026-03-08T07:30:00Z or 2026-03-08T02:30:00-05:00, got ${quote(text)}`);
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

/** Epoch ms as RFC 3339 in UTC, the form instants are stored and shown in. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The start-up integrity check. SQLite keeps no checksums: a damaged page is only noticed when a query reads
 * it, which for a pool's history can be the first full re-read minutes after start, or never on the hot path.
 * Checking at start turns "every tick fails" into a refusal to start that names the file and what to do.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { DatabaseDamagedError, isDamage } from './file-checks';

/**
 * Files up to this size get `PRAGMA quick_check` over every page. quick_check reads each page once (no index
 * cross-check, unlike integrity_check): about 1 GB/s from the OS cache and 100-200 MB/s from a cold network
 * volume, so 512 MiB costs at most a few seconds of start-up. A prewarm database holds the pools and about a week
 * of history (tens of MB for thousands of instances), so real ones are checked whole.
 *
 * The bound is in bytes, not time: better-sqlite3 has no progress handler to interrupt a running check, and
 * a deadline would make start-up depend on the wall clock and the disk's mood. A multi-GB file would take
 * minutes; above the bound only the tables the pools are decided from are checked (`poolTables` below), the
 * history tables are not, and the controller logs which ones it skipped and how to check them offline.
 */
export const defaultFullCheckMaxBytes = 512 * 1024 * 1024;

/** Tables that grow with history (one row per build, operation, notification): skipped above the bound. */
export const historyTables: readonly string[] = ['instances', 'jobs', 'notifications'];

/** At most this many problems are collected: one is enough to refuse, a few help judge the extent. */
const maxProblems = 10;

export interface IntegrityReport {
  /** `full`: every page; `bounded`: every table except `skipped` (and their indexes). */
  scope: 'full' | 'bounded';
  skipped: string[];
}

/** Throws DatabaseDamagedError naming the file and the problems found; returns what was checked. */
export function checkIntegrity(raw: BetterSqlite3.Database, file: string, bytes: number, fullCheckMaxBytes = defaultFullCheckMaxBytes): IntegrityReport {
  const problems: string[] = [];
  let report: IntegrityReport;
  try {
    if (bytes <= fullCheckMaxBytes) {
      problems.push(...quickCheck(raw, String(maxProblems)));
      report = { scope: 'full', skipped: [] };
    } else {
      const tables = (raw.prepare(`select name from sqlite_schema where type = 'table' order by name`).all() as Array<{ name: string }>).map((r) => r.name);
      const skipped = tables.filter((t) => historyTables.includes(t));
      // The schema table first: every other check and every query depends on it.
      for (const t of ['sqlite_schema', ...tables.filter((n) => !skipped.includes(n))]) {
        problems.push(...quickCheck(raw, `'${t.replace(/'/g, "''")}'`));
        if (problems.length >= maxProblems) break;
      }
      report = { scope: 'bounded', skipped };
    }
  } catch (err) {
    // A page damaged badly enough (an impossible page type, say) makes the check itself fail.
    if (!isDamage(err)) throw err;
    problems.push((err as Error).message);
    report = { scope: 'full', skipped: [] };
  }
  if (problems.length > 0) throw new DatabaseDamagedError(file, problems.slice(0, maxProblems));
  return report;
}

/** The lines of `PRAGMA quick_check(arg)` other than "ok" and SQLite's "*** in database main ***" heading. */
function quickCheck(raw: BetterSqlite3.Database, arg: string): string[] {
  const rows = raw.pragma(`quick_check(${arg})`) as Array<{ quick_check: string }>;
  return rows
    .flatMap((r) => String(r.quick_check).split('\n'))
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'ok' && !/^\*\*\* in database \w+ \*\*\*$/.test(l));
}

/**
 * Real damage to real SQLite files, for the tests of what the controller does with a damaged database: the pages
 * of a table or index are found with the dbstat virtual table, and bytes in the middle of a page's cell content
 * are overwritten, as a torn write or a bad sector would. The database must not be open elsewhere (closed, or
 * opened by a controller only after the pages were looked up).
 */
import * as fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from '../../controller/store/store';
import { poolSpec, templateSpec } from './fixtures';

export interface PageMap {
  pageSize: number;
  /** Leaf pages of the b-tree, in key order (the order a full scan reads them). */
  leaves: number[];
}

/** The leaf pages of table or index `name`. */
export function leafPages(file: string, name: string): PageMap {
  // Read-write, though it only reads: closing the last read-write connection checkpoints and removes the -wal and
  // -shm files, so none is left behind owned by whoever runs the tests.
  const db = new BetterSqlite3(file, { fileMustExist: true });
  try {
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    // dbstat lists a b-tree's pages in traversal order (its `path` column sorts that way).
    const rows = db.prepare(`select pageno from dbstat where name = ? and pagetype = 'leaf' order by path`).all(name) as Array<{ pageno: number }>;
    if (rows.length === 0) throw new Error(`no leaf pages for ${name} in ${file} (is the name right? is dbstat compiled in?)`);
    return { pageSize, leaves: rows.map((r) => r.pageno) };
  } finally {
    db.close();
  }
}

/**
 * Overwrites `length` bytes in the middle of the cell content area of page `page` with 0xA5: record headers and
 * payload sizes there become nonsense (0xA5 bytes read as the longest varints), which SQLite reports as
 * "database disk image is malformed". The page's own header is left alone, so the page still looks like a
 * b-tree page and only its contents are wrong. SQLite keeps no checksums: garbage that falls inside one value only
 * changes the value, so rows must be shorter than `length` for the damage to hit a cell's header.
 */
export function overwriteMiddleOfPage(file: string, pageSize: number, page: number, length = 1024): { offset: number; length: number } {
  if (page < 2) throw new Error('page 1 holds the file header; damage another page');
  const fd = fs.openSync(file, 'r+');
  try {
    const start = (page - 1) * pageSize;
    const header = Buffer.alloc(8);
    fs.readSync(fd, header, 0, 8, start);
    // Bytes 5-6 of a b-tree page header: where the cell content area starts (0 means 65536).
    const contentStart = header.readUInt16BE(5) || 65536;
    const middle = contentStart + Math.floor((pageSize - contentStart) / 2);
    const len = Math.min(length, pageSize - contentStart);
    const offset = start + Math.max(contentStart, middle - Math.floor(len / 2));
    fs.writeSync(fd, Buffer.alloc(len, 0xa5), 0, len, offset);
    fs.fsyncSync(fd);
    return { offset, length: len };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Zeroes the first 512-byte sector of each page in `pages`, as a lost write leaves it: the b-tree page header is
 * gone, so SQLite refuses the page ("database disk image is malformed") whichever row or column a query wants
 * from it. One open and one fsync for all of them.
 */
export function zeroFirstSectors(file: string, pageSize: number, pages: readonly number[]): void {
  if (pages.some((p) => p < 2)) throw new Error('page 1 holds the file header; damage other pages');
  const fd = fs.openSync(file, 'r+');
  try {
    const zeros = Buffer.alloc(512);
    for (const page of pages) fs.writeSync(fd, zeros, 0, zeros.length, (page - 1) * pageSize);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** How many pages SQLite's page cache holds per connection (better-sqlite3 builds with 16 MB by default). */
export function pageCacheCapacity(file: string): number {
  const db = new BetterSqlite3(file, { fileMustExist: true });
  try {
    const size = Number(db.pragma('cache_size', { simple: true }));
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    return size < 0 ? Math.ceil((-size * 1024) / pageSize) : size;
  } finally {
    db.close();
  }
}

/** Damages the middle leaf page of table or index `name`; returns its page number. */
export function damageMiddleLeaf(file: string, name: string): number {
  const { pageSize, leaves } = leafPages(file, name);
  const page = leaves[Math.floor(leaves.length / 2)];
  overwriteMiddleOfPage(file, pageSize, page);
  return page;
}

/**
 * A prewarm database at `file` with a template, `presets` pool presets (size 0, so a controller builds nothing) and
 * `historyRows` deleted instances carrying `attributeBytes` of attributes each: the history a real controller
 * keeps for a week, and enough pages to damage. Closed when this returns.
 */
export async function seedDatabase(
  file: string,
  opts: { presets?: number; historyRows?: number; attributeBytes?: number; now?: number } = {},
): Promise<void> {
  const { presets = 3, historyRows = 300, attributeBytes = 200, now = Date.UTC(2026, 2, 2, 12) } = opts;
  const store = await openStore(`sqlite:${file}`, { clock: { now: () => now } });
  try {
    await store.putTemplate(templateSpec(), now);
    for (let p = 0; p < presets; p++) await store.putPreset(poolSpec(`pool-${p}`, 0), now);
    const filler = 'x'.repeat(attributeBytes);
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < historyRows; i += 500) {
        const rows = [];
        for (let j = i; j < Math.min(historyRows, i + 500); j++) {
          const id = `inst-${String(j).padStart(7, '0')}`;
          rows.push({
            id,
            name: `devbox-pool-0-${id}`,
            preset_id: 'devbox/pool-0',
            template: 'devbox',
            template_version: 1,
            generation: 1,
            state: 'deleted',
            attributes: JSON.stringify({ path: `/var/lib/prewarm/${id}`, note: filler }),
            parameters: '{}',
            error: '',
            delete_attempts: 0,
            created_at: now - 3_600_000,
            ready_at: now - 3_000_000,
            deleted_at: now - 60_000,
            updated_at: now - 60_000,
          });
        }
        await trx.insertInto('instances').values(rows).execute();
      }
    });
  } finally {
    await store.close();
  }
}

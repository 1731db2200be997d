import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock } from '../../controller/clock/clock';
import { openStore, type SqlStore } from '../../controller/store/store';

/** A fresh SQLite store in its own temp dir; removed by cleanup(). */
export async function tempStore(clock: { now(): number } = systemClock): Promise<{ store: SqlStore; dir: string; cleanup(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-store-'));
  const store = await openStore(`sqlite:${path.join(dir, 'test.db')}`, { exclusive: true, clock });
  return {
    store,
    dir,
    async cleanup() {
      await store.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

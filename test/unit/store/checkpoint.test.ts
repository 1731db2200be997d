/** The WAL checkpoint between ticks must never fail a tick because a job's transaction is open at that moment. */
import { expect, test } from '@jest/globals';
import { tempStore } from '../../helpers/store';

test('a checkpoint while a transaction is open is skipped, not an error; the next one runs', async () => {
  const { store, cleanup } = await tempStore();
  try {
    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto('meta').values({ key: 'checkpoint-test', value: '1' }).execute();
      // What the loop does after a tick while a driver's result is being recorded on the same connection.
      expect(() => store.checkpoint()).not.toThrow();
    });
    expect(() => store.checkpoint()).not.toThrow();
    expect(await store.ping()).toBe(true);
  } finally {
    await cleanup();
  }
});

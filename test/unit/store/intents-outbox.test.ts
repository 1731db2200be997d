import type { SqliteStore } from '../../../controller/store/store';
/**
 * The job-intent and outbox writers: the kysely and the synchronous one write the same row, and the outbox stores an
 * event once whichever writer writes it again.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from '@jest/globals';
import type { OutboxNotification } from '../../../controller/domain/workspace';
import type { Connection } from '../../../controller/store/connection';
import { insertJobIntent, insertJobIntentSync } from '../../../controller/store/job-intents';
import { insertNotification, insertNotificationSync } from '../../../controller/store/outbox';
import type { SqlStore } from '../../../controller/store/store';
import { FakeClock } from '../../helpers/fake-clock';
import { tempStore } from '../../helpers/store';
import { claimedWorkspace, workspaceFixture } from '../../helpers/workspace-store';

const T0 = Date.parse('2026-11-23T10:00:00Z');
let store: SqlStore;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore(new FakeClock(T0)));
  await workspaceFixture(store, undefined, T0);
});
afterEach(() => cleanup());

/** The synchronous path's connection (private to the store; its tests may reach it). */
const connection = (): Connection => (store as SqliteStore)['connection'];
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

test('both job-intent writers write the same pending row and return its id', async () => {
  const w = await claimedWorkspace(store, T0);
  const a = await insertJobIntent(store.db, w.id, w.presetId, 'stop', T0 + 1);
  const b = await connection().sync((db) => insertJobIntentSync(db, w.id, w.presetId, 'stop', T0 + 1));
  assert.equal(b, a + 1);
  const rows = await store.db.selectFrom('jobs').selectAll().where('id', 'in', [a, b]).orderBy('id').execute();
  assert.deepEqual(plain(rows.map((r) => r.id)), [a, b]);
  const { id: _a, ...first } = rows[0];
  const { id: _b, ...second } = rows[1];
  assert.deepEqual(plain(second), plain(first));
  assert.deepEqual(plain(first), {
    instance_id: w.id,
    preset_id: w.presetId,
    op: 'stop',
    state: 'pending',
    attempt: 0,
    exit_code: null,
    error: '',
    stderr: '',
    created_at: T0 + 1,
    started_at: null,
    finished_at: null,
  });
});

test('both outbox writers write the same row, and a key already stored is not written again by either', async () => {
  const n = (key: string): OutboxNotification => ({ key, event: 'workspace_dormant', payload: { subject: { id: 'w' }, n: 1 } });
  await insertNotification(store.db, n('k1'), T0);
  await connection().sync((db) => insertNotificationSync(db, n('k2'), T0));
  await connection().sync((db) => insertNotificationSync(db, { ...n('k1'), payload: { changed: true } }, T0 + 5));
  await insertNotification(store.db, { ...n('k2'), payload: { changed: true } }, T0 + 5);
  const rows = await store.db.selectFrom('notifications').selectAll().orderBy('id').execute();
  assert.deepEqual(
    plain(rows.map(({ id: _, ...r }) => r)),
    ['k1', 'k2'].map((key) => ({
      dedupe_key: key,
      kind: 'workspace_dormant',
      payload: JSON.stringify({ subject: { id: 'w' }, n: 1 }),
      attempts: 0,
      next_attempt_at: T0,
      created_at: T0,
      delivered_at: null,
      fanned_out_at: null,
    })),
  );
});

/**
 * Finding one instance by what people copy from `prewarm instance list`: the full id, a prefix of 8 or more
 * characters of it, or the instance's name. Deleted and archived instances count too (full ids of those always
 * worked, and `instance list --state deleted` prints them). Lookups go through indexes, checked with EXPLAIN QUERY
 * PLAN, so they stay cheap at 100,000 instances.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { CompiledQuery, sql } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../../../controller/domain/errors';
import { instanceIdPrefixQuery, instanceNameQuery } from '../../../controller/store/instances';
import { openStore, type SqlStore } from '../../../controller/store/store';
import * as presets from '../../../controller/store/presets';
import * as templates from '../../../controller/store/templates';
import { oldDatabase } from '../../helpers/old-database';
import { tempStore, sqliteOnly } from '../../helpers/store';
import { presetSpec, templateSpec } from '../../helpers/fixtures';

/** An instance row with the id, name, preset and state a case needs. */
async function addInstance(store: SqlStore, id: string, over: { name?: string; presetId?: string; state?: string } = {}): Promise<void> {
  const presetId = over.presetId ?? 'devbox/us';
  await store.db
    .insertInto('instances')
    .values({
      id,
      name: over.name ?? `${presetId.split('/')[1]}-${id.replace(/-/g, '').slice(0, 12)}`,
      preset_id: presetId,
      template: presetId.split('/')[0],
      template_version: 1,
      generation: 1,
      state: over.state ?? 'ready',
      owner: null,
      attributes: '{}',
      parameters: '{}',
      error: '',
      created_at: 1000,
      ready_at: 1000,
      claimed_at: null,
      last_used_at: null,
      failed_at: null,
      stopped_at: null,
      deleting_at: null,
      deleted_at: over.state === 'deleted' ? 2000 : null,
      next_attempt_at: null,
      delete_attempts: 0,
      updated_at: 1000,
    })
    .execute();
}

/** What `fn` rejected with. */
async function failure(call: Promise<unknown>): Promise<Error> {
  return call.then(
    () => assert.fail('expected the lookup to fail'),
    (e: unknown) => e as Error,
  );
}

describe('store: an instance by id, id prefix or name', () => {
  let store: SqlStore;
  let cleanup: () => Promise<void>;
  const LONE = '3f2a9c1e-5b7d-4e08-9a61-0c4b2d8e7f10';
  const SHARED = Array.from({ length: 7 }, (_, i) => `aaaaaaaa-bbbb-4ccc-8ddd-00000000000${i}`);
  const GONE = '5e0d1c2b-3a49-4876-9f10-aabbccddeeff';
  const OLD = '6d1c0b2a-3948-4765-8e0f-ffeeddccbbaa';

  beforeAll(async () => {
    ({ store, cleanup } = await tempStore());
    await templates.putTemplate(store.db, templateSpec(), 1000);
    await templates.putTemplate(store.db, templateSpec({ name: 'other' }), 1000);
    await presets.putPreset(store.db, presetSpec({ name: 'us' }), 1000);
    await presets.putPreset(store.db, presetSpec({ template: 'other', name: 'us' }), 1000);
    await addInstance(store, LONE);
    for (const [i, id] of SHARED.entries()) await addInstance(store, id, { name: `us-shared${i}` });
    await addInstance(store, GONE, { state: 'deleted' });
    await addInstance(store, OLD, { state: 'archived' });
    // One name in two templates (the names are the preset name plus 12 hex digits of the id; these collide on purpose).
    await addInstance(store, '11111111-2222-4333-8444-555555555555', { name: 'us-twin00000000', presetId: 'devbox/us' });
    await addInstance(store, '99999999-2222-4333-8444-555555555555', { name: 'us-twin00000000', presetId: 'other/us', state: 'claimed' });
  });
  afterAll(() => cleanup());

  test('the full id, a prefix of 8 or more characters, and the name all find the instance', async () => {
    assert.equal((await store.resolveInstance(LONE)).id, LONE);
    assert.equal((await store.resolveInstance('3f2a9c1e')).id, LONE);
    assert.equal((await store.resolveInstance('3f2a9c1e-5b7')).id, LONE);
    assert.equal((await store.resolveInstance('us-3f2a9c1e5b7d')).id, LONE);
    // What `instance list` prints in its ID and NAME columns is accepted back.
    for (const listed of await store.listInstances({})) {
      assert.equal((await store.resolveInstance(listed.id)).id, listed.id);
      if (!listed.name.includes('twin')) assert.equal((await store.resolveInstance(listed.name)).id, listed.id);
    }
  });

  test('deleted and archived instances are found too, and say their state', async () => {
    const gone = await store.resolveInstance('5e0d1c2b');
    assert.equal(gone.id, GONE);
    assert.equal(gone.state, 'deleted');
    assert.equal((await store.resolveInstance('us-6d1c0b2a3948')).state, 'archived');
  });

  test('an ambiguous prefix lists at most 5 candidates with the count, and asks for more characters', async () => {
    const err = await failure(store.resolveInstance('aaaaaaaa'));
    assert.ok(err instanceof ConflictError, String(err));
    assert.equal(
      err.message,
      'instance id prefix "aaaaaaaa" matches 7 instances: ' +
        SHARED.slice(0, 5).map((id) => `${id} (devbox/us, ready)`).join(', ') +
        ' and 2 more; give more characters of the id',
    );
    // A longer prefix that still matches several is ambiguous the same way; the full id settles it.
    assert.match((await failure(store.resolveInstance('aaaaaaaa-bbbb'))).message, /^instance id prefix "aaaaaaaa-bbbb" matches 7 instances: /);
    assert.equal((await store.resolveInstance(SHARED[3])).id, SHARED[3]);
  });

  test('an ambiguous name lists the instances and asks for the id', async () => {
    const err = await failure(store.resolveInstance('us-twin00000000'));
    assert.ok(err instanceof ConflictError, String(err));
    assert.equal(
      err.message,
      'instance name "us-twin00000000" matches 2 instances: 11111111-2222-4333-8444-555555555555 (devbox/us, ready), ' +
        '99999999-2222-4333-8444-555555555555 (other/us, claimed); give the id (or 8 or more characters of it) instead',
    );
  });

  test('a prefix shorter than 8 characters is invalid input on the id field, saying so', async () => {
    const err = await failure(store.resolveInstance('3f2a9c1'));
    assert.ok(err instanceof ValidationError, String(err));
    assert.deepEqual(err.errors, [
      {
        path: ['id'],
        message:
          'no instance has the id or name "3f2a9c1", and an id prefix needs at least 8 characters (this one has 7): give more characters of the id',
      },
    ]);
  });

  test('nothing found is NOT_FOUND quoting the reference, escaped and bounded', async () => {
    const err = await failure(store.resolveInstance('deadbeef'));
    assert.ok(err instanceof NotFoundError, String(err));
    assert.equal(err.message, 'no instance has the id, id prefix or name "deadbeef"');
    const long = await failure(store.resolveInstance(`us-${'z'.repeat(70)}`));
    assert.ok(long instanceof NotFoundError);
    assert.equal(long.message, `no instance has the id, id prefix or name "us-${'z'.repeat(37)}…" (73 characters)`);
    // A caller that skipped the API's checks gets the rule, quoted and escaped, not a lookup.
    const bad = await failure(store.resolveInstance('i-1\u001b[2J'));
    assert.ok(bad instanceof ValidationError);
    assert.match(bad.message, /^id: must be an instance id, a prefix of one or an instance name .*, got "i-1\\u001b\[2J"$/);
  });

  sqliteOnly('a prefix is a range on the primary key and a name an index lookup (EXPLAIN QUERY PLAN)', async () => {
    const plan = async (q: { compile(): CompiledQuery }) => {
      const c = q.compile();
      const rows = (await store.db.executeQuery(CompiledQuery.raw(`explain query plan ${c.sql}`, [...c.parameters]))).rows as Array<{ detail: string }>;
      return rows.map((r) => r.detail).join('\n');
    };
    const prefix = await plan(instanceIdPrefixQuery(store.db, 'aaaaaaaa').selectAll());
    assert.match(prefix, /^SEARCH instances USING INDEX sqlite_autoindex_instances_1 \(id>\? AND id<\?\)$/);
    const count = await plan(instanceIdPrefixQuery(store.db, 'aaaaaaaa').select((eb) => eb.fn.countAll().as('n')));
    assert.match(count, /^SEARCH instances USING COVERING INDEX sqlite_autoindex_instances_1 \(id>\? AND id<\?\)$/);
    const name = await plan(instanceNameQuery(store.db, 'us-3f2a9c1e5b7d').selectAll());
    assert.match(name, /^SEARCH instances USING INDEX instances_name \(name=\?\)$/);
  });
});

test('a database from before the name index gets it when the controller opens it', async () => {
  // As version 0001 left it: no index on names, no record of the migrations after it.
  const old = await oldDatabase('0001_initial');
  try {
    const reopened = await openStore(`sqlite:${old.file}`, { exclusive: true, clock: { now: () => 0 } });
    try {
      const indexes = await sql<{ name: string }>`select name from sqlite_schema where type = 'index' and tbl_name = 'instances'`.execute(reopened.db);
      assert.ok(indexes.rows.some((r) => r.name === 'instances_name'), JSON.stringify(indexes.rows));
    } finally {
      await reopened.close();
    }
  } finally {
    old.cleanup();
  }
});

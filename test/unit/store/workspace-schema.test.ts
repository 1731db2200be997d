/**
 * Migration 0003 on a database an older release left (rows kept, new columns empty), and the template's
 * lifecycle_policy: stored canonically, read back only when set, and a policy-only change keeps the version.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import { openStore, type SqlStore } from '../../../controller/store/store';
import { FakeClock } from '../../helpers/fake-clock';
import { oldDatabase } from '../../helpers/old-database';
import { tempStore } from '../../helpers/store';
import { poolSpec, templateSpec } from '../../helpers/fixtures';
import { claimedWorkspace, HOUR, MIN } from '../../helpers/workspace-store';

const T0 = Date.parse('2026-11-23T10:00:00Z');

describe('migration 0003_workspaces', () => {
  test('an 0002 database keeps its rows; templates get an empty policy, instances empty lifecycle fields', async () => {
    const old = await oldDatabase('0002_instances_name', (raw) => {
      raw.exec(`insert into templates (name, driver, config, version, created_at, updated_at, deleted_at) values ('devbox', 'localdir', '{}', 1, 1, 1, null);
        insert into template_versions (template, version, driver, config, created_at) values ('devbox', 1, 'localdir', '{}', 1);
        insert into instances (id, name, preset_id, template, template_version, generation, state, owner, created_at, claimed_at, updated_at)
          values ('i-old', 'ws-old', 'devbox/ws', 'devbox', 1, 1, 'claimed', 'alice', 1, 2, 2);`);
    });
    const store = await openStore(`sqlite:${old.file}`, { exclusive: true, clock: new FakeClock(T0) });
    try {
      const t = await store.getTemplate('devbox');
      assert.equal(t.version, 1);
      assert.equal('lifecycle_policy' in t, false);
      const w = await store.getWorkspace('i-old');
      assert.equal(w.owner, 'alice');
      assert.equal(w.deadline, null);
      assert.equal(w.policy.autostopAfterMs, null);
      assert.equal(w.deleteAttempts, 0);
      const snap = await store.readWorkspaces(T0);
      assert.deepEqual(snap.workspaces.map((v) => v.id), ['i-old']);
      const r = await store.db.selectFrom('instances').select('lifecycle_failures').where('id', '=', 'i-old').executeTakeFirstOrThrow();
      assert.equal(r.lifecycle_failures, 0);
    } finally {
      await store.close();
      old.cleanup();
    }
  });
});

describe('template lifecycle_policy', () => {
  let store: SqlStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await tempStore(new FakeClock(T0)));
  });
  afterEach(() => cleanup());

  test('absent reads back absent; set reads back as written', async () => {
    assert.equal('lifecycle_policy' in (await store.putTemplate(templateSpec(), T0)).record, false);
    assert.equal('lifecycle_policy' in (await store.getTemplate('devbox')), false);
    const policy = { stopped_ttl: '1d', autostop_after: '8h' };
    const put = await store.putTemplate(templateSpec({ lifecycle_policy: policy }), T0 + 1);
    assert.deepEqual({ ...put.record.lifecycle_policy }, policy);
    assert.deepEqual({ ...(await store.getTemplate('devbox')).lifecycle_policy }, policy);
    const [listed] = await store.listTemplates();
    assert.deepEqual({ ...listed.lifecycle_policy }, policy);
  });

  test('a policy-only change is a change but keeps the version (no rebuild); the same policy in another order is no change', async () => {
    await store.putTemplate(templateSpec(), T0);
    const withPolicy = await store.putTemplate(templateSpec({ lifecycle_policy: { autostop_after: '8h', autostop_reminder: '30m' } }), T0 + 1);
    assert.equal(withPolicy.changed, true);
    assert.equal(withPolicy.record.version, 1);
    assert.equal(withPolicy.record.updatedAt, T0 + 1);
    const reordered = await store.putTemplate(templateSpec({ lifecycle_policy: { autostop_reminder: '30m', autostop_after: '8h' } }), T0 + 2);
    assert.equal(reordered.changed, false);
    const removed = await store.putTemplate(templateSpec(), T0 + 3);
    assert.deepEqual([removed.changed, removed.record.version, 'lifecycle_policy' in removed.record], [true, 1, false]);
    const versions = await store.db.selectFrom('template_versions').select('version').execute();
    assert.equal(versions.length, 1, 'no new template version was written');
    const driverChange = await store.putTemplate(templateSpec({ config: { a: '1' }, lifecycle_policy: { autostop_after: '1h' } }), T0 + 4);
    assert.deepEqual([driverChange.changed, driverChange.record.version], [true, 2]);
  });

  test('pool instances stay current after a policy-only change; the next claim takes the new policy', async () => {
    await store.putTemplate(templateSpec({ lifecycle_policy: { autostop_after: '8h' } }), T0);
    await store.putPreset(poolSpec('ws', 0), T0);
    const first = await claimedWorkspace(store, T0);
    await store.putTemplate(templateSpec({ lifecycle_policy: { autostop_after: '30m' } }), T0 + 1);
    const second = await claimedWorkspace(store, T0 + 2, { owner: 'bob' });
    assert.equal(second.templateVersion, first.templateVersion);
    assert.equal(first.deadline, T0 + 8 * HOUR);
    assert.equal(second.deadline, T0 + 2 + 30 * MIN);
  });
});

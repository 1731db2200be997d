import assert from 'node:assert/strict';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { ConflictError, NotFoundError, ValidationError } from '../../../controller/domain/errors';
import type { PresetSpec } from '../../../controller/domain/specs';
import { inTransaction } from '../../../controller/store/db';
import {
  cancelPendingIntents,
  getInstance,
  insertCreateIntents,
  insertDeleteIntent,
} from '../../../controller/store/instances';
import { type FailurePolicy, finishJob, startJob, unfinishedJobs } from '../../../controller/store/jobs';
import { claimReadyInstance } from '../../../controller/store/claims';
import { parseDatabaseUrl, StoreLockedError } from '../../../controller/store/connection';
import { openStore, type SqlStore } from '../../../controller/store/store';
import { systemClock } from '../../../controller/clock/clock';
import * as presets from '../../../controller/store/presets';
import * as templates from '../../../controller/store/templates';
import { tempStore, sqliteOnly } from '../../helpers/store';
import { presetSpec, templateSpec } from '../../helpers/fixtures';

const policy: FailurePolicy = { failureHardLimit: 3, createBackoffMs: (n) => n * 1000, deleteRetryMs: (n) => n * 500 };

function preset(over: Partial<PresetSpec> = {}): PresetSpec {
  return presetSpec({ name: 'us', parameters: { region: 'us' }, prebuilds: { instances: 2 }, ...over });
}

describe('store', () => {
  let store: SqlStore;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dir, cleanup } = await tempStore());
    await templates.putTemplate(store.db, templateSpec({ config: { a: '1' } }), 1000);
  });
  afterAll(() => cleanup());

  test('re-putting an identical template changes nothing; a change bumps the version', async () => {
    const same = await templates.putTemplate(store.db, templateSpec({ config: { a: '1' } }), 2000);
    assert.equal(same.changed, false);
    assert.equal(same.record.version, 1);
    const changed = await templates.putTemplate(store.db, templateSpec({ config: { a: '2' } }), 3000);
    assert.equal(changed.changed, true);
    assert.equal(changed.record.version, 2);
    assert.deepEqual(changed.record.config, { a: '2' });
    const v1 = await templates.templateVersion(store.db, 'devbox', 1);
    assert.equal(v1?.config, '{"a":"1"}', 'old versions are kept so old instances are deleted with the config that built them');
  });

  test('preset put: no-op when identical, generation bumps only when parameters change', async () => {
    const first = await presets.putPreset(store.db, preset(), 1000);
    assert.equal(first.record.generation, 1);
    assert.equal((await presets.putPreset(store.db, preset(), 1100)).changed, false);
    const resized = await presets.putPreset(store.db, preset({ prebuilds: { instances: 5 } }), 1200);
    assert.equal(resized.changed, true);
    assert.equal(resized.record.generation, 1, 'a pool size change does not rebuild instances');
    const reparam = await presets.putPreset(store.db, preset({ parameters: { region: 'eu' }, prebuilds: { instances: 5 } }), 1300);
    assert.equal(reparam.record.generation, 2);
  });

  test('preset for an unknown template is rejected on the template field', async () => {
    await assert.rejects(presets.putPreset(store.db, preset({ template: 'nope' }), 1000), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.errors[0].path, ['template']);
      return true;
    });
  });

  test('at most one default preset per template: putting a new default moves it', async () => {
    await presets.putPreset(store.db, preset({ name: 'd1', default: true }), 1000);
    await presets.putPreset(store.db, preset({ name: 'd2', default: true }), 1100);
    const d1 = await presets.getLivePreset(store.db, 'devbox/d1');
    assert.equal(d1.is_default, 0);
    assert.equal(presets.presetRecord(d1).default, false, 'the stored spec says so too, so reads agree');
    assert.equal((await presets.getLivePreset(store.db, 'devbox/d2')).is_default, 1);
    // Re-putting the default itself changes nothing else.
    await presets.putPreset(store.db, preset({ name: 'd2', default: true, description: 'x' }), 1200);
    // Spread: arrays made from better-sqlite3's rows belong to Node's realm, not the test's (strict equality checks that).
    assert.deepEqual([...(await presets.listPresets(store.db, 'devbox')).filter((p) => p.default).map((p) => p.name)], ['d2']);
    await presets.deletePreset(store.db, 'devbox/d2', 1300);
    await presets.deletePreset(store.db, 'devbox/d1', 1300);
  });

  test('deleting a template with live presets is a conflict; deleted things read as not found', async () => {
    await assert.rejects(templates.deleteTemplate(store.db, 'devbox', 5000), ConflictError);
    await presets.putPreset(store.db, preset({ name: 'gone' }), 1000);
    await presets.deletePreset(store.db, 'devbox/gone', 2000);
    await assert.rejects(presets.getLivePreset(store.db, 'devbox/gone'), NotFoundError);
    await assert.rejects(presets.deletePreset(store.db, 'devbox/gone', 2000), NotFoundError);
    assert.ok(!(await presets.listPresets(store.db)).some((p) => p.name === 'gone'));
  });

  test('claims take the oldest ready instance, current builds first, never invalidated ones, never twice', async () => {
    await presets.putPreset(store.db, preset({ name: 'claims' }), 1000);
    const target = { presetId: 'devbox/claims', template: 'devbox', presetName: 'claims', templateVersion: 2, generation: 1, parameters: {} };
    const intents = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target, 25, 1000));
    const outdated = await inTransaction(store.db, (trx) => insertCreateIntents(trx, { ...target, templateVersion: 1 }, 1, 1000));
    // Make them ready with distinct ready times: the outdated one is the oldest of all.
    let t = 2000;
    for (const i of [...outdated, ...intents]) {
      await store.db.updateTable('instances').set({ state: 'ready', ready_at: t++ }).where('id', '=', i.instanceId).execute();
    }
    const claimTarget = { presetId: 'devbox/claims', template: 'devbox' };
    const first = await claimReadyInstance(store.db, claimTarget, 'alice', 9000);
    assert.equal(first?.id, intents[0].instanceId, 'oldest current instance first, the outdated one waits');
    assert.equal(first?.owner, 'alice');
    assert.equal(first?.state, 'claimed');

    // One by one, the order is defined: all 24 remaining current ones go before the outdated one.
    const inOrder: string[] = [];
    for (let k = 0; k < 25; k++) inOrder.push((await claimReadyInstance(store.db, claimTarget, `s${k}`, 9000))!.id);
    assert.deepEqual(inOrder.slice(0, 24), intents.slice(1).map((i) => i.instanceId), 'oldest first');
    assert.equal(inOrder[24], outdated[0].instanceId, 'outdated instances are the last resort');
    assert.equal(await claimReadyInstance(store.db, claimTarget, 'late', 9000), undefined, 'all taken');
    // Raced (on PostgreSQL these run on several connections at once, in no defined order): never twice.
    const more = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target, 25, 1000));
    for (const i of more) await store.db.updateTable('instances').set({ state: 'ready', ready_at: t++ }).where('id', '=', i.instanceId).execute();
    const results = await Promise.all(Array.from({ length: 40 }, (_, k) => claimReadyInstance(store.db, claimTarget, `u${k}`, 9000)));
    const won = results.filter((r) => r !== undefined).map((r) => r!.id);
    assert.equal(won.length, 25, 'each new one once');
    assert.equal(new Set(won).size, won.length, 'no instance claimed twice');
  });

  test('instances built before an invalidation are not claimable', async () => {
    await presets.putPreset(store.db, preset({ name: 'inv' }), 1000);
    const target = { presetId: 'devbox/inv', template: 'devbox', presetName: 'inv', templateVersion: 2, generation: 1, parameters: {} };
    const [i] = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target, 1, 1000));
    await store.db.updateTable('instances').set({ state: 'ready', ready_at: 1500 }).where('id', '=', i.instanceId).execute();
    await presets.invalidatePreset(store.db, 'devbox/inv', 1200);
    const got = await claimReadyInstance(store.db, { presetId: 'devbox/inv', template: 'devbox' }, 'bob', 2000);
    assert.equal(got, undefined);
  });

  test('a delete never takes a claimed instance (claim and delete race through conditional updates)', async () => {
    await presets.putPreset(store.db, preset({ name: 'race' }), 1000);
    const target = { presetId: 'devbox/race', template: 'devbox', presetName: 'race', templateVersion: 2, generation: 1, parameters: {} };
    const [i] = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target, 1, 1000));
    await store.db.updateTable('jobs').set({ state: 'succeeded' }).where('instance_id', '=', i.instanceId).execute();
    await store.db.updateTable('instances').set({ state: 'ready', ready_at: 1500 }).where('id', '=', i.instanceId).execute();
    await claimReadyInstance(store.db, { presetId: 'devbox/race', template: 'devbox' }, 'carol', 2000);
    const intent = await inTransaction(store.db, (trx) => insertDeleteIntent(trx, i.instanceId, 2100));
    assert.equal(intent, null);
    assert.equal((await getInstance(store.db, i.instanceId)).state, 'claimed');
  });

  test('pending intents that never reached a driver are canceled without a delete', async () => {
    await presets.putPreset(store.db, preset({ name: 'cancel' }), 1000);
    const target = { presetId: 'devbox/cancel', template: 'devbox', presetName: 'cancel', templateVersion: 2, generation: 1, parameters: {} };
    const intents = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target, 2, 1000));
    await startJob(store.db, intents[1].jobId, 1100); // this one reached the driver
    const n = await inTransaction(store.db, (trx) => cancelPendingIntents(trx, intents.map((i) => i.instanceId), 1200));
    assert.equal(n, 1);
    assert.equal((await getInstance(store.db, intents[0].instanceId)).state, 'deleted');
    assert.equal((await getInstance(store.db, intents[1].instanceId)).state, 'starting');
  });

  test('failed pool creates back off, hit the hard limit once with one notification, and a success resets', async () => {
    await presets.putPreset(store.db, preset({ name: 'fail' }), 1000);
    const target = { presetId: 'devbox/fail', template: 'devbox', presetName: 'fail', templateVersion: 2, generation: 1, parameters: { region: 'us' } };
    const intents = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target, 5, 1000));
    const fail = { kind: 'retryable' as const, message: 'boom', exitCode: 1, stderr: 'trace' };
    const effects = [];
    for (const [k, i] of intents.slice(0, 4).entries()) {
      const ctx = await startJob(store.db, i.jobId, 2000 + k);
      assert.ok(ctx);
      assert.equal(ctx.driver, 'localdir');
      assert.deepEqual(ctx.config, { a: '2' });
      assert.deepEqual(ctx.parameters, { region: 'us' });
      effects.push(await finishJob(store.db, ctx, fail, 3000 + k, policy));
    }
    const row = await presets.getLivePreset(store.db, 'devbox/fail');
    assert.equal(row.consecutive_failures, 4);
    assert.equal(row.status, 'hard_limited');
    assert.equal(Number(row.backoff_until), 3003 + 4000);
    assert.equal(effects.filter((e) => e.hardLimited).length, 1, 'the transition is reported once');
    const notes = await store.db.selectFrom('notifications').selectAll().where('kind', '=', 'preset_hard_limited').execute();
    assert.equal(notes.filter((n) => JSON.parse(n.payload).subject.id === 'devbox/fail').length, 1);
    assert.deepEqual(JSON.parse(notes[0].payload).subject, { type: 'preset', id: 'devbox/fail', template: 'devbox', preset: 'fail' });
    assert.equal(JSON.parse(notes[0].payload).data.failures, 3, "the failure that hit the limit");
    assert.equal((await getInstance(store.db, intents[0].instanceId)).state, 'failed');
    const job = (await store.db.selectFrom('jobs').selectAll().where('id', '=', intents[0].jobId).executeTakeFirstOrThrow());
    assert.equal(job.state, 'failed');
    assert.equal(job.stderr, 'trace');
    assert.equal(job.attempt, 1);

    const ctx = await startJob(store.db, intents[4].jobId, 5000);
    await finishJob(store.db, ctx!, { kind: 'ok', attributes: { path: '/x' }, stderr: '' }, 5100, policy);
    const after = await presets.getLivePreset(store.db, 'devbox/fail');
    assert.equal(after.consecutive_failures, 0);
    assert.equal(after.backoff_until, null);
    const inst = await getInstance(store.db, intents[4].instanceId);
    assert.equal(inst.state, 'ready');
    assert.equal(inst.ready_at, 5100);
    assert.equal(inst.attributes, '{"path":"/x"}');

    await presets.resumePreset(store.db, 'devbox/fail', 6000);
    assert.equal((await presets.getLivePreset(store.db, 'devbox/fail')).status, 'healthy');
  });

  test('a permanent driver answer marks the preset validation_failed; a template change lifts it', async () => {
    await presets.putPreset(store.db, preset({ name: 'perm' }), 1000);
    const target = { presetId: 'devbox/perm', template: 'devbox', presetName: 'perm', templateVersion: 2, generation: 1, parameters: {} };
    const [i] = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target, 1, 1000));
    const ctx = await startJob(store.db, i.jobId, 1100);
    const fx = await finishJob(store.db, ctx!, { kind: 'permanent', message: 'bad image', exitCode: 78, stderr: '' }, 1200, policy);
    assert.ok(fx.validationFailed);
    const row = await presets.getLivePreset(store.db, 'devbox/perm');
    assert.equal(row.status, 'validation_failed');
    assert.equal(row.status_reason, 'bad image');
    await templates.putTemplate(store.db, templateSpec({ config: { a: '3' } }), 2000);
    assert.equal((await presets.getLivePreset(store.db, 'devbox/perm')).status, 'healthy');
  });

  test('a failed delete is retried later, not in a tight loop', async () => {
    await presets.putPreset(store.db, preset({ name: 'del' }), 1000);
    const target = { presetId: 'devbox/del', template: 'devbox', presetName: 'del', templateVersion: 3, generation: 1, parameters: {} };
    const [i] = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target, 1, 1000));
    await store.db.updateTable('jobs').set({ state: 'succeeded' }).where('instance_id', '=', i.instanceId).execute();
    await store.db.updateTable('instances').set({ state: 'ready', ready_at: 1500 }).where('id', '=', i.instanceId).execute();
    const intent = await inTransaction(store.db, (trx) => insertDeleteIntent(trx, i.instanceId, 2000));
    assert.ok(intent);
    assert.deepEqual([...(await unfinishedJobs(store.db, 100)).map((j) => j.id).filter((id) => id === intent.jobId)], [intent.jobId]);
    const ctx = await startJob(store.db, intent.jobId, 2100);
    await finishJob(store.db, ctx!, { kind: 'retryable', message: 'busy', exitCode: 1, stderr: '' }, 2200, policy);
    const inst = await getInstance(store.db, i.instanceId);
    assert.equal(inst.state, 'deleting');
    assert.equal(inst.delete_attempts, 1);
    assert.equal(inst.next_attempt_at, 2700);
  });

  sqliteOnly('a second controller on the same file is refused with a clear message', async () => {
    await assert.rejects(openStore(`sqlite:${path.join(dir, 'test.db')}`, { exclusive: true, clock: systemClock }), (err: unknown) => {
      assert.ok(err instanceof StoreLockedError);
      assert.match(err.message, /another prewarm controller is already using .*test\.db/);
      return true;
    });
  });
});

describe('database URLs', () => {
  test('accepts sqlite forms and rejects others with the flag name', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite:./x.db'), { kind: 'sqlite', file: './x.db' });
    assert.deepEqual(parseDatabaseUrl('sqlite:///tmp/x.db'), { kind: 'sqlite', file: '/tmp/x.db' });
    assert.throws(() => parseDatabaseUrl('mysql://x'), /--database: unsupported URL/);
    assert.throws(() => parseDatabaseUrl(''), /--database: empty/);
    assert.throws(() => parseDatabaseUrl('postgres://u@h/db'), /--database: PostgreSQL is not supported/);
  });
  test('a missing directory is reported, nothing is created', async () => {
    await assert.rejects(openStore('sqlite:/nonexistent-dir-xyz/p.db', { clock: systemClock }), /--database: directory \/nonexistent-dir-xyz does not exist/);
  });
});

describe('stale build results', () => {
  test('a failure from a build started before the preset changed does not put it back into a failure state', async () => {
    const { store: s, cleanup: done } = await tempStore();
    try {
      await templates.putTemplate(s.db, templateSpec({ config: { image: 'bad' } }), 1000);
      await presets.putPreset(s.db, preset({ name: 'p' }), 1000);
      const target = { presetId: 'devbox/p', template: 'devbox', presetName: 'p', templateVersion: 1, generation: 1, parameters: {} };
      const [a, b] = await inTransaction(s.db, (trx) => insertCreateIntents(trx, target, 2, 1100));
      const ctxA = await startJob(s.db, a.jobId, 1200);
      const ctxB = await startJob(s.db, b.jobId, 1200);
      await finishJob(s.db, ctxA!, { kind: 'permanent', message: 'bad image', exitCode: 78, stderr: '' }, 1300, policy);
      assert.equal((await presets.getLivePreset(s.db, 'devbox/p')).status, 'validation_failed');
      // The operator fixes the template; the second old build fails afterwards.
      await templates.putTemplate(s.db, templateSpec({ config: { image: 'good' } }), 1400);
      await finishJob(s.db, ctxB!, { kind: 'permanent', message: 'bad image', exitCode: 78, stderr: '' }, 1500, policy);
      const row = await presets.getLivePreset(s.db, 'devbox/p');
      assert.equal(row.status, 'healthy');
      assert.equal(row.backoff_until, null);
      assert.equal((await getInstance(s.db, b.instanceId)).state, 'failed', 'the instance itself is still failed (and reaped later)');
    } finally {
      await done();
    }
  });
});

describe('create-only puts (Terraform creates)', () => {
  test('never take over a live template or preset; a deleted one may be created again', async () => {
    const { store: s, cleanup: done } = await tempStore();
    try {
      await templates.putTemplate(s.db, templateSpec(), 1000, { createOnly: true });
      await assert.rejects(templates.putTemplate(s.db, templateSpec({ config: { x: '1' } }), 1100, { createOnly: true }), (err: unknown) => {
        assert.ok(err instanceof ConflictError);
        assert.match(err.message, /template "devbox" already exists; import it/);
        return true;
      });
      assert.deepEqual((await templates.getLiveTemplate(s.db, 'devbox')).config, '{}', 'the existing template is untouched');
      await presets.putPreset(s.db, preset({ name: 'p' }), 1200, { createOnly: true });
      await assert.rejects(presets.putPreset(s.db, preset({ name: 'p', description: 'takeover' }), 1300, { createOnly: true }), /preset "devbox\/p" already exists; import it/);
      await presets.deletePreset(s.db, 'devbox/p', 1400);
      await presets.putPreset(s.db, preset({ name: 'p' }), 1500, { createOnly: true });
    } finally {
      await done();
    }
  });
});

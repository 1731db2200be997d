import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from '@jest/globals';
import { inTransaction } from '../../../controller/store/db';
import { cancelPendingIntents, insertCreateIntents, insertDeleteIntent } from '../../../controller/store/instances';
import { claimReadyInstance } from '../../../controller/store/claims';
import { finishJob, startJob } from '../../../controller/store/jobs';
import type { SqlStore } from '../../../controller/store/store';
import { systemClock } from '../../../controller/clock/clock';
import { FakeClock } from '../../helpers/fake-clock';
import * as presets from '../../../controller/store/presets';
import { purgeFinished } from '../../../controller/store/housekeeping';
import { SnapshotReader } from '../../../controller/store/snapshot-reader';
import * as templates from '../../../controller/store/templates';
import { tempStore } from '../../helpers/store';
import type { Snapshot } from '../../../controller/domain/snapshot';
import { poolSpec, templateSpec } from '../../helpers/fixtures';

const policy = { failureHardLimit: 3, createBackoffMs: () => 1000, deleteRetryMs: () => 1000 };

function flatten(s: Snapshot) {
  return [...s.instancesByPreset.entries()]
    .filter(([, list]) => list.length > 0)
    .map(([id, list]) => [id, list.map((i) => ({ ...i })).sort((a, b) => (a.id < b.id ? -1 : 1))] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

let store: SqlStore;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await tempStore());
  await templates.putTemplate(store.db, templateSpec(), 1000);
  for (const name of ['a', 'b']) {
    await presets.putPreset(store.db, poolSpec(name, 2), 1000);
  }
});
afterAll(() => cleanup());

test('the incremental mirror always equals a full read, through every kind of write', async () => {
  const mirror = new SnapshotReader(systemClock);
  const check = async (label: string) => {
    const incremental = await mirror.read(store.db, 5000);
    const fresh = await new SnapshotReader(systemClock).read(store.db, 5000);
    assert.deepEqual(flatten(incremental), flatten(fresh), label);
    assert.equal(incremental.inFlight, fresh.inFlight, label);
  };
  await check('empty');
  const target = (name: string) => ({ presetId: `devbox/${name}`, template: 'devbox', presetName: name, templateVersion: 1, generation: 1, parameters: {} });
  const a = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target('a'), 3, 1000));
  const b = await inTransaction(store.db, (trx) => insertCreateIntents(trx, target('b'), 2, 1000));
  await check('intents');
  for (const i of [...a, ...b.slice(0, 1)]) {
    const ctx = await startJob(store.db, i.jobId, 1100);
    await check('started');
    await finishJob(store.db, ctx!, { kind: 'ok', attributes: {}, stderr: '' }, 1200, policy);
  }
  await check('ready');
  const taken = await claimReadyInstance(store.db, { presetId: 'devbox/a', template: 'devbox' }, 'alice', 1300);
  await check('claimed');
  // Ids are random, so which one the claim took is too: delete one it did not take.
  const victim = a.find((i) => i.instanceId !== taken?.id)!;
  const del = await inTransaction(store.db, (trx) => insertDeleteIntent(trx, victim.instanceId, 1400));
  await check('deleting');
  const ctx = await startJob(store.db, del!.jobId, 1500);
  await finishJob(store.db, ctx!, { kind: 'ok', attributes: {}, stderr: '' }, 1600, policy);
  await check('deleted');
  await inTransaction(store.db, (trx) => cancelPendingIntents(trx, [b[1].instanceId], 1700));
  await check('canceled');
  const snap = await mirror.read(store.db, 5000);
  assert.equal(snap.instancesByPreset.get('devbox/a')?.length, 2, 'one claimed, one ready; the deleted one is gone');
  assert.equal(snap.instancesByPreset.get('devbox/b')?.length, 1);
});

test('an earlier snapshot keeps its own lists when the mirror moves on', async () => {
  const mirror = new SnapshotReader(systemClock);
  const first = await mirror.read(store.db, 5000);
  const before = flatten(first);
  await inTransaction(store.db, (trx) =>
    insertCreateIntents(trx, { presetId: 'devbox/a', template: 'devbox', presetName: 'a', templateVersion: 1, generation: 1, parameters: {} }, 2, 2000),
  );
  const second = await mirror.read(store.db, 5000);
  assert.deepEqual(flatten(first).map(([id, l]) => [id, l.length]), before.map(([id, l]) => [id, l.length]));
  assert.equal(second.instancesByPreset.get('devbox/a')!.length, first.instancesByPreset.get('devbox/a')!.length + 2);
});

test('rows written after housekeeping purged the newest ones are still seen (revisions never go back)', async () => {
  const mirror = new SnapshotReader(systemClock);
  await presets.putPreset(store.db, poolSpec('short-lived', 1), 3000);
  await mirror.read(store.db, 5000);
  await presets.deletePreset(store.db, 'devbox/short-lived', 3100);
  await mirror.read(store.db, 5000);
  await purgeFinished(store.db, 3200);
  await presets.putPreset(store.db, poolSpec('newcomer', 1), 3300);
  const [template] = await inTransaction(store.db, (trx) =>
    insertCreateIntents(trx, { presetId: 'devbox/newcomer', template: 'devbox', presetName: 'newcomer', templateVersion: 1, generation: 1, parameters: {} }, 1, 3300),
  );
  const snap = await mirror.read(store.db, 5000);
  assert.ok(snap.presets.some((p) => p.id === 'devbox/newcomer'), 'the new preset is in the snapshot');
  assert.equal(snap.instancesByPreset.get('devbox/newcomer')?.[0]?.id, template.instanceId);
});

test('a full reload after the last preset was purged plans nothing instead of failing', async () => {
  const { store: s, cleanup: done } = await tempStore();
  try {
    const clock = new FakeClock(0);
    const mirror = new SnapshotReader(clock);
    await templates.putTemplate(s.db, templateSpec(), 1000);
    await presets.putPreset(s.db, poolSpec('only', 1), 1000);
    assert.equal((await mirror.read(s.db, 5000)).presets.length, 1);
    await presets.deletePreset(s.db, 'devbox/only', 2000);
    await purgeFinished(s.db, 3000);
    clock.advance(16 * 60 * 1000); // past the full-reload interval
    const snap = await mirror.read(s.db, 5000);
    assert.deepEqual(snap.presets, []);
  } finally {
    await done();
  }
});

/** A store of its own with the "devbox" template, presets devbox/a and devbox/b, and `perPreset` intents each. */
async function storeWithPools(perPreset: number) {
  const fresh = await tempStore();
  await templates.putTemplate(fresh.store.db, templateSpec(), 1000);
  for (const name of ['a', 'b']) {
    await presets.putPreset(fresh.store.db, poolSpec(name, 2), 1000);
    const target = { presetId: `devbox/${name}`, template: 'devbox', presetName: name, templateVersion: 1, generation: 1, parameters: {} };
    // One intent per transaction, so creation times (and revisions) differ.
    for (let n = 0; n < perPreset; n++) await inTransaction(fresh.store.db, (trx) => insertCreateIntents(trx, target, 1, 1000 + n));
  }
  return fresh;
}

test('a full read in pages of a few rows gives what a read in one page does', async () => {
  const { store: s, cleanup: done } = await storeWithPools(7);
  try {
    // A cancelled intent is a deleted row: the pages skip it.
    const someA = (await s.listInstances({ presetId: 'devbox/a' }))[3]!;
    await inTransaction(s.db, (trx) => cancelPendingIntents(trx, [someA.id], 2000));
    const whole = await new SnapshotReader(systemClock).read(s.db, 5000);
    for (const pageRows of [1, 2, 3, 6, 13, 14]) {
      const paged = await new SnapshotReader(systemClock, pageRows).read(s.db, 5000);
      assert.deepEqual(flatten(paged), flatten(whole), `pages of ${pageRows}`);
      assert.deepEqual(
        [...paged.instancesByPreset.values()].map((list) => list.map((i) => i.id)),
        [...whole.instancesByPreset.values()].map((list) => list.map((i) => i.id)),
        `creation order, pages of ${pageRows}`,
      );
    }
    assert.equal(whole.instancesByPreset.get('devbox/a')?.length, 6);
    assert.equal(whole.instancesByPreset.get('devbox/b')?.length, 7);
  } finally {
    await done();
  }
});

test('an instance view holds the InstanceView fields and nothing else', async () => {
  const { store: s, cleanup: done } = await storeWithPools(1);
  try {
    const snap = await new SnapshotReader(systemClock).read(s.db, 5000);
    const view = snap.instancesByPreset.get('devbox/a')![0]!;
    assert.deepEqual(Object.keys(view), [
      'id', 'presetId', 'state', 'owner', 'templateVersion', 'generation', 'createdAt', 'readyAt', 'failedAt', 'stoppedAt', 'jobInFlight', 'nextAttemptAt',
    ]);
    assert.equal(view.presetId, 'devbox/a');
    assert.equal(view.state, 'pending');
    assert.equal(view.jobInFlight, true, 'an intent is a pending job');
  } finally {
    await done();
  }
});

test('a snapshot shares the lists that did not change since the previous one, and never changes one it handed out', async () => {
  const { store: s, cleanup: done } = await storeWithPools(2);
  try {
    const mirror = new SnapshotReader(systemClock);
    const first = await mirror.read(s.db, 5000);
    const second = await mirror.read(s.db, 6000);
    assert.equal(second.presets, first.presets, 'nothing changed: the same preset list');
    assert.equal(second.instancesByPreset, first.instancesByPreset, 'nothing changed: the same map of lists');

    // New instances of devbox/a: a new map, devbox/b's list shared, devbox/a's list new; the earlier map is as it was.
    await inTransaction(s.db, (trx) =>
      insertCreateIntents(trx, { presetId: 'devbox/a', template: 'devbox', presetName: 'a', templateVersion: 1, generation: 1, parameters: {} }, 2, 2000),
    );
    const third = await mirror.read(s.db, 7000);
    assert.notEqual(third.instancesByPreset, second.instancesByPreset);
    assert.equal(third.instancesByPreset.get('devbox/b'), second.instancesByPreset.get('devbox/b'));
    assert.equal(third.instancesByPreset.get('devbox/a')?.length, 4);
    assert.equal(second.instancesByPreset.get('devbox/a')?.length, 2);
    assert.equal(third.presets, second.presets, 'no preset or template changed');

    // A new template version: new preset views in a new list; the earlier list and its views keep version 1.
    await templates.putTemplate(s.db, templateSpec({ config: { image: 'v2' } }), 3000);
    const fourth = await mirror.read(s.db, 8000);
    assert.notEqual(fourth.presets, third.presets);
    assert.deepEqual(fourth.presets.map((p) => p.templateVersion), [2, 2]);
    assert.deepEqual(third.presets.map((p) => p.templateVersion), [1, 1]);
    assert.equal(fourth.instancesByPreset, third.instancesByPreset, 'no instance changed');

    // One preset deleted: only its view is new.
    await presets.deletePreset(s.db, 'devbox/b', 4000);
    const fifth = await mirror.read(s.db, 9000);
    assert.equal(fifth.presets[0], fourth.presets[0]);
    assert.equal(fifth.presets[1]?.deleted, true);
    assert.equal(fourth.presets[1]?.deleted, false);

    // A full reload (a fresh reader) agrees with the mirror that got here by deltas.
    const fresh = await new SnapshotReader(systemClock).read(s.db, 9000);
    assert.deepEqual(fifth.presets, fresh.presets);
    assert.deepEqual(flatten(fifth), flatten(fresh));
  } finally {
    await done();
  }
});

test('a full reload keeps views of unchanged presets and drops purged ones', async () => {
  const { store: s, cleanup: done } = await storeWithPools(1);
  try {
    const clock = new FakeClock(0);
    const mirror = new SnapshotReader(clock);
    const before = await mirror.read(s.db, 5000);
    const [onlyB] = await s.listInstances({ presetId: 'devbox/b' });
    await inTransaction(s.db, (trx) => cancelPendingIntents(trx, [onlyB!.id], 2000));
    await presets.deletePreset(s.db, 'devbox/b', 2000);
    await purgeFinished(s.db, 10 * 24 * 3_600_000);
    clock.advance(16 * 60 * 1000); // past the full-reload interval
    const after = await mirror.read(s.db, 5000);
    const fresh = await new SnapshotReader(clock).read(s.db, 5000);
    assert.deepEqual(after.presets.map((p) => p.id), ['devbox/a'], 'devbox/b was purged');
    assert.deepEqual(after.presets, fresh.presets);
    assert.deepEqual(flatten(after), flatten(fresh));
    const a = after.presets.find((p) => p.id === 'devbox/a');
    assert.equal(a, before.presets.find((p) => p.id === 'devbox/a'), 'an unchanged preset keeps its view through a full reload');
  } finally {
    await done();
  }
});

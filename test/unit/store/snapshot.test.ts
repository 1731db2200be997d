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

/**
 * Replica rows and the leader lease, on both stores; the fence and concurrent claims from several connections on
 * PostgreSQL (the `store postgres` project), where several replicas share one database.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import { openStore, type SqlStore } from '../../../controller/store/store';
import { FencedError, checkFence } from '../../../controller/store/replicas';
import type { LeaderLease } from '../../../controller/domain/replica';
import { FakeClock } from '../../helpers/fake-clock';
import { postgresOnly, storeBackend, tempStore } from '../../helpers/store';
import { ok, readyInstances, runJob, workspaceFixture } from '../../helpers/workspace-store';

const T0 = Date.parse('2026-12-05T10:00:00Z');
const onPostgres = storeBackend() === 'postgres';
const replica = (id: string) => ({ id, host: 'host-a', pid: 100, version: '0.1.0', api: '127.0.0.1:7420' });

let store: SqlStore;
let clock: FakeClock;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  clock = new FakeClock(T0);
  ({ store, cleanup } = await tempStore(clock));
});
afterEach(() => cleanup());

/** Lets a lease of `ttlMs` run out: the database's own clock on PostgreSQL, the controller's on SQLite. */
async function expire(ttlMs: number): Promise<void> {
  if (onPostgres) await new Promise((resolve) => setTimeout(resolve, ttlMs + 50));
  else clock.advance(ttlMs + 1);
}

describe('leader lease', () => {
  test('the holder renews under one generation; nobody else takes it until it runs out; each take is a new generation', async () => {
    // The test store leads already (tempStore fences it on PostgreSQL); start from a free lease.
    await store.releaseLeadership('test-process');
    const a = await store.acquireLeadership('a', 300);
    assert.ok(a);
    const renewed = await store.acquireLeadership('a', 300);
    assert.equal(renewed?.generation, a.generation, 'a renewal keeps the generation');
    assert.equal(await store.acquireLeadership('b', 300), null, 'held: b waits');
    await expire(300);
    const b = await store.acquireLeadership('b', 300);
    assert.ok(b);
    assert.ok(b.generation > a.generation, 'a take starts a new generation');
    assert.equal(await store.acquireLeadership('a', 300), null, 'a lost it');
  });

  test('a released lease is taken at once', async () => {
    await store.releaseLeadership('test-process');
    const a = await store.acquireLeadership('a', 60_000);
    assert.ok(a);
    await store.releaseLeadership('b');
    assert.equal(await store.acquireLeadership('b', 60_000), null, 'releasing a lease one does not hold changes nothing');
    await store.releaseLeadership('a');
    assert.ok(await store.acquireLeadership('b', 60_000));
  });
});

describe('replica rows', () => {
  test('registered replicas are listed with their heartbeat, who leads, and stopped ones as not alive', async () => {
    await store.releaseLeadership('test-process');
    await store.registerReplica(replica('r1'));
    await store.registerReplica(replica('r2'));
    await store.heartbeat('r1');
    await store.acquireLeadership('r1', 60_000);
    await store.retireReplica('r2');
    const rows = await store.listReplicas();
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.equal(byId.get('r1')?.alive, true);
    assert.equal(byId.get('r1')?.leader, true);
    assert.ok((byId.get('r1')?.leaseGeneration ?? 0) >= 1);
    assert.equal(byId.get('r2')?.alive, false);
    assert.equal(byId.get('r2')?.leader, false);
    assert.notEqual(byId.get('r2')?.stoppedAt, null);
  });

  test('retiring the leader frees the lease for the next replica at once', async () => {
    await store.releaseLeadership('test-process');
    await store.registerReplica(replica('r1'));
    assert.ok(await store.acquireLeadership('r1', 60_000));
    await store.retireReplica('r1');
    assert.ok(await store.acquireLeadership('r2', 60_000));
  });
});

const pending = Symbol('pending');
/** `p`'s value, or `pending` if it has not settled within `ms` (a wait on a row lock, seen from outside). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof pending> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<typeof pending>((r) => (timer = setTimeout(() => r(pending), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A fenced write transaction of the leader, open (its fence checked) once this returns and held until `release()`, as
 * one queued behind a burst of claims. `order` gets 'fenced transaction committed' when it commits; callers release
 * it and await `writing` in a finally, so a failed assertion cannot leave it open.
 */
interface FencedTransaction {
  release: () => void;
  writing: Promise<void>;
  order: string[];
}

async function openFencedTransaction(held: LeaderLease): Promise<FencedTransaction> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let fenced!: () => void;
  const inside = new Promise<void>((resolve) => (fenced = resolve));
  const order: string[] = [];
  const writing = store.db
    .transaction()
    .execute(async (trx) => {
      await checkFence(trx, held);
      fenced();
      await gate;
    })
    .then(() => void order.push('fenced transaction committed'));
  await Promise.race([inside, writing]);
  return { release, writing, order };
}

/** A take by another replica while `open` is held: it waits until the fenced transaction commits, then succeeds. */
async function assertTakeWaitsFor(open: FencedTransaction, held: LeaderLease, waitMessage: string): Promise<void> {
  const taking = store.acquireLeadership('new', 60_000).then((lease) => {
    open.order.push('taken over');
    return lease;
  });
  assert.equal(await within(taking, 500), pending, waitMessage);
  open.release();
  await open.writing;
  const taken = await taking;
  assert.ok(taken && taken.generation > held.generation);
  assert.deepEqual(open.order, ['fenced transaction committed', 'taken over']);
}

describe('fencing (PostgreSQL)', () => {
  postgresOnly('a replica whose lease was taken over writes nothing: intents, job starts and results are refused', async () => {
    await workspaceFixture(store, undefined, T0);
    await store.releaseLeadership('test-process');
    const old = await store.acquireLeadership('old', 300);
    assert.ok(old);
    store.setFence(old);
    const [intent] = await store.insertCreateIntents('devbox/ws', 1, T0);
    const ctx = await store.startJob(intent.jobId, T0);
    assert.ok(ctx);
    // Paused past its lease: another replica takes over.
    await expire(300);
    const next = await store.acquireLeadership('new', 60_000);
    assert.ok(next);
    await assert.rejects(store.finishJob(ctx, ok({ host: 'late' }), T0, { failureHardLimit: 3, createBackoffMs: () => 1, deleteRetryMs: () => 1 }), FencedError);
    await assert.rejects(store.insertCreateIntents('devbox/ws', 1, T0), FencedError);
    const rows = await store.db.selectFrom('instances').select(['state', 'attributes']).execute();
    assert.equal(rows.length, 1, 'no second intent');
    assert.equal(rows[0].state, 'starting', 'the late result was not recorded');
    // The new leader finishes the job.
    store.setFence(next);
    await runJob(store, intent.jobId, ok({ host: 'new' }), T0);
    assert.equal((await store.db.selectFrom('instances').select('state').executeTakeFirstOrThrow()).state, 'ready');
  });

  postgresOnly('an open fenced transaction does not hold up its leader\'s renewal, but a takeover waits for it to end', async () => {
    await store.releaseLeadership('test-process');
    const held = await store.acquireLeadership('old', 300);
    assert.ok(held);
    const open = await openFencedTransaction(held);
    try {
      const renewed = await within(store.acquireLeadership('old', 300), 10_000);
      assert.notEqual(renewed, pending, 'the renewal went through while the fenced transaction was open');
      assert.equal((renewed as Awaited<ReturnType<typeof store.acquireLeadership>>)?.generation, held.generation);

      await expire(300);
      await assertTakeWaitsFor(open, held, 'the takeover waits for the fenced transaction');
    } finally {
      open.release();
      await open.writing.catch(() => undefined);
    }
  });

  postgresOnly('a lease released while a fenced transaction is open: the release does not wait, the next take does, and the old lease fences nothing after it', async () => {
    await store.releaseLeadership('test-process');
    const held = await store.acquireLeadership('old', 60_000);
    assert.ok(held);
    const open = await openFencedTransaction(held);
    try {
      // A graceful shutdown releases the lease; the release changes no key column, so it does not wait for the fence.
      const released = await within(store.releaseLeadership('old'), 10_000);
      assert.notEqual(released, pending, 'the release went through while the fenced transaction was open');
      await assertTakeWaitsFor(open, held, 'the take waits for the fenced transaction');
      await assert.rejects(store.db.transaction().execute((trx) => checkFence(trx, held)), FencedError);
    } finally {
      open.release();
      await open.writing.catch(() => undefined);
    }
  });

  postgresOnly('without a lease, leader-only writes are refused', async () => {
    await workspaceFixture(store, undefined, T0);
    store.setFence(null);
    await assert.rejects(store.insertCreateIntents('devbox/ws', 1, T0), /does not lead/);
  });
});

describe('several connections (PostgreSQL)', () => {
  postgresOnly('claims from two stores at once never hand out an instance twice, and hand out every ready one', async () => {
    await workspaceFixture(store, undefined, T0);
    const ids = await readyInstances(store, 120, T0);
    const url = (store as unknown as { connection: { target: { connectionString: string } } }).connection.target.connectionString;
    const other = await openStore(url, { clock });
    try {
      const claims = Array.from({ length: 160 }, (_, i) =>
        (i % 2 === 0 ? store : other).claim({ presetId: 'devbox/ws', template: 'devbox', owner: `u${i}`, now: T0 }),
      );
      const got = (await Promise.all(claims)).filter((w) => w !== undefined).map((w) => w!.id);
      assert.equal(got.length, ids.length, 'every ready instance was handed out (SKIP LOCKED: no claimer came back empty while rows were left)');
      assert.equal(new Set(got).size, got.length, 'no instance twice');
    } finally {
      await other.close();
    }
  }, 20_000);

  postgresOnly('the mirror of another connection sees every write, in revision order, across connections', async () => {
    await workspaceFixture(store, undefined, T0);
    const url = (store as unknown as { connection: { target: { connectionString: string } } }).connection.target.connectionString;
    const other = await openStore(url, { clock });
    try {
      await other.readSnapshot(T0);
      await readyInstances(store, 30, T0);
      const snap = await other.readSnapshot(T0);
      assert.equal(snap.instancesByPreset.get('devbox/ws')?.filter((i) => i.state === 'ready').length, 30);
    } finally {
      await other.close();
    }
  });
});

/**
 * The executor under leadership: a replica that does not lead starts nothing (and tells the leader), and a run begun
 * under a lead that was lost records nothing, even if this replica leads again by the time the driver answers.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import type { DriverOutcome, DriverRequest } from '../../../controller/drivers/exec';
import { type DriverRunner, Executor } from '../../../controller/executor/executor';
import { silentLogger } from '../../../controller/log';
import type { SqlStore } from '../../../controller/store/store';
import { FakeClock } from '../../helpers/fake-clock';
import { tempStore } from '../../helpers/store';
import { poolPolicy, workspaceFixture } from '../../helpers/workspace-store';
import { waitFor } from '../../helpers/wait';

const T0 = Date.parse('2026-12-05T09:00:00Z');

/** Runs answer only when the test says so; killRunning answers every running one as a shutdown kill would. */
class HeldDriver implements DriverRunner {
  readonly waiting = new Map<string, (o: DriverOutcome) => void>();
  killedRunning = 0;
  closed = false;
  run(_program: string, req: DriverRequest): Promise<DriverOutcome> {
    return new Promise((resolve) => this.waiting.set(req.instance.id, resolve));
  }
  answer(instanceId: string, outcome: DriverOutcome): void {
    const resolve = this.waiting.get(instanceId);
    this.waiting.delete(instanceId);
    resolve?.(outcome);
  }
  killRunning(): void {
    this.killedRunning++;
    for (const id of [...this.waiting.keys()]) this.answer(id, { kind: 'retryable', message: 'killed', stderr: '', exitCode: null, durationMs: 1 });
  }
  killAll(): void {
    this.closed = true;
    this.killRunning();
  }
}

const ok = (id: string): DriverOutcome => ({ kind: 'ok', attributes: { host: id }, stderr: '', exitCode: 0, durationMs: 1 });

let store: SqlStore;
let cleanup: () => Promise<void>;
let clock: FakeClock;
let driver: HeldDriver;
let leading: boolean;
let deferred: number;
let executor: Executor;
beforeEach(async () => {
  clock = new FakeClock(T0);
  ({ store, cleanup } = await tempStore(clock));
  await workspaceFixture(store, undefined, T0);
  driver = new HeldDriver();
  leading = true;
  deferred = 0;
  executor = new Executor({ store, driver, clock, log: silentLogger, policy: poolPolicy, leads: () => leading, onDeferred: () => deferred++ });
});
afterEach(() => cleanup());

const instance = (id: string) => store.db.selectFrom('instances').select(['state', 'attributes']).where('id', '=', id).executeTakeFirstOrThrow();
const job = (id: number) => store.db.selectFrom('jobs').select(['state', 'attempt']).where('id', '=', id).executeTakeFirstOrThrow();
const failures = async () => Number((await store.db.selectFrom('presets').select('consecutive_failures').executeTakeFirstOrThrow()).consecutive_failures);

describe('executor and leadership', () => {
  test('a replica that does not lead starts nothing, tells the leader, and leaves the intent pending', async () => {
    leading = false;
    const [intent] = await store.insertCreateIntents('devbox/ws', 1, T0);
    executor.launch(intent.jobId);
    assert.equal(executor.active, 0);
    assert.equal(deferred, 1);
    assert.equal(await executor.redriveOrphans(8), 0, 'no re-drive either');
    assert.equal((await job(intent.jobId)).state, 'pending');
  });

  test('a lead lost while the driver runs: the run is killed and its result not recorded, even after leading again', async () => {
    const [a, b] = await store.insertCreateIntents('devbox/ws', 2, T0);
    executor.launch(a.jobId);
    await waitFor('the driver run of a', () => driver.waiting.has(a.instanceId), 3000);
    executor.abandon();
    assert.equal(driver.killedRunning, 1);
    assert.equal(driver.closed, false, 'the driver still takes runs');
    await waitFor('the executor to settle', () => executor.active === 0, 3000);
    assert.equal((await job(a.jobId)).state, 'running', 'left for the leader to re-drive');
    assert.equal(await failures(), 0, 'the kill is not counted as the driver failing');

    // Leading again: a new run records; the abandoned job is re-driven and then records too.
    executor.launch(b.jobId);
    await waitFor('the driver run of b', () => driver.waiting.has(b.instanceId), 3000);
    driver.answer(b.instanceId, ok(b.instanceId));
    await waitFor('b ready', async () => (await instance(b.instanceId)).state === 'ready', 3000);
    assert.equal(await executor.redriveOrphans(8), 1);
    await waitFor('the driver run of a', () => driver.waiting.has(a.instanceId), 3000);
    driver.answer(a.instanceId, ok(a.instanceId));
    await waitFor('a ready', async () => (await instance(a.instanceId)).state === 'ready', 3000);
    assert.equal(Number((await job(a.jobId)).attempt), 2, 'the same job, its second attempt');
  });

  test('a late answer from a run begun before the lead was lost and regained is dropped', async () => {
    const [a] = await store.insertCreateIntents('devbox/ws', 1, T0);
    // A driver that ignores the kill: its answer comes later, when this replica leads again.
    driver.killRunning = () => void driver.killedRunning++;
    executor.launch(a.jobId);
    await waitFor('the driver run of a', () => driver.waiting.has(a.instanceId), 3000);
    executor.abandon();
    driver.answer(a.instanceId, ok('late'));
    await waitFor('the executor to settle', () => executor.active === 0, 3000);
    assert.equal((await instance(a.instanceId)).state, 'starting', 'not recorded');
  });
});

/**
 * SyncBatcher, the batching under claims and activity reports: calls of one event-loop turn run as one batch, a busy
 * connection is retried and then left to the slow path, a batch that throws rejects its calls, and per-call outcomes
 * fail alone.
 */
import assert from 'node:assert/strict';
import { test } from '@jest/globals';
import { fulfilled, type Outcome, settle, SyncBatcher } from '../../../controller/store/sync-batcher';

const allOk = (calls: readonly string[]) => calls.map((c) => fulfilled(`r-${c}`));

test('calls arriving in the same turn run as one batch, each answered with its own result', async () => {
  const batches: string[][] = [];
  const b = new SyncBatcher<string, string | undefined>(
    (calls) => {
      batches.push([...calls]);
      return calls.map((c) => fulfilled(c === 'nobody' ? undefined : `i-${c}`));
    },
    async () => assert.fail('the slow path is not needed'),
  );
  const results = await Promise.all(['a', 'b', 'nobody', 'c'].map((o) => b.run(o)));
  assert.deepEqual(batches, [['a', 'b', 'nobody', 'c']]);
  assert.deepEqual(results, ['i-a', 'i-b', undefined, 'i-c']);
});

test('a burst larger than the batch size runs as several batches, in arrival order', async () => {
  const sizes: number[] = [];
  const b = new SyncBatcher<string, string>(
    (calls) => {
      sizes.push(calls.length);
      return allOk(calls);
    },
    async () => assert.fail('not needed'),
    3,
  );
  const calls = ['1', '2', '3', '4', '5', '6', '7'];
  assert.deepEqual(await Promise.all(calls.map((c) => b.run(c))), calls.map((c) => `r-${c}`));
  assert.deepEqual(sizes, [3, 3, 1]);
});

test('a busy connection is retried, then the slow path takes over', async () => {
  let tries = 0;
  const slow: string[] = [];
  const busyForever = new SyncBatcher<string, string>(
    () => {
      tries++;
      return null;
    },
    async (c) => {
      slow.push(c);
      return `slow-${c}`;
    },
  );
  assert.equal(await busyForever.run('x'), 'slow-x');
  assert.ok(tries > 1, 'retried before giving up');
  assert.deepEqual(slow, ['x']);

  let calls = 0;
  const busyOnce = new SyncBatcher<string, string>(
    (cs) => (calls++ === 0 ? null : allOk(cs)),
    async () => assert.fail('not needed'),
  );
  assert.equal(await busyOnce.run('y'), 'r-y');
});

test('a batch that throws rejects every call in it, and later calls still run', async () => {
  let fail = true;
  const b = new SyncBatcher<string, string>(
    (cs) => {
      if (fail) throw new Error('disk I/O error');
      return allOk(cs);
    },
    async () => 'slow',
  );
  const settled = await Promise.allSettled([b.run('a'), b.run('b')]);
  assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected']);
  fail = false;
  assert.equal(await b.run('c'), 'r-c');
});

test('with settle, a failing call fails alone', async () => {
  const b = new SyncBatcher<string, string>(
    (cs) =>
      settle(cs, (c) => {
        if (c === 'bad') throw new Error(`refused ${c}`);
        return `r-${c}`;
      }),
    async () => assert.fail('not needed'),
  );
  const settled = await Promise.allSettled(['a', 'bad', 'b'].map((c) => b.run(c)));
  assert.deepEqual(
    settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
    ['r-a', 'refused bad', 'r-b'],
  );
  const outcome: Outcome<number> = fulfilled(1);
  assert.deepEqual(outcome, { ok: true, value: 1 });
});

import assert from 'node:assert/strict';
import { test } from '@jest/globals';
import { ClaimBatcher } from '../../../controller/store/claim-batcher';
import type { ClaimCall } from '../../../controller/store/claims';
import type { InstanceRow } from '../../../controller/store/tables';

const call = (owner: string): ClaimCall => ({ presetId: 't/p', template: 't', owner, now: 1 });
const row = (id: string) => ({ id }) as unknown as InstanceRow;

test('claims arriving in the same turn run as one batch, each answered with its own row', async () => {
  const batches: string[][] = [];
  const b = new ClaimBatcher(
    (calls) => {
      batches.push(calls.map((c) => c.owner));
      return calls.map((c) => (c.owner === 'nobody' ? undefined : row(`i-${c.owner}`)));
    },
    async () => assert.fail('the slow path is not needed'),
  );
  const results = await Promise.all(['a', 'b', 'nobody', 'c'].map((o) => b.claim(call(o))));
  assert.deepEqual(batches, [['a', 'b', 'nobody', 'c']]);
  assert.deepEqual(results.map((r) => r?.id), ['i-a', 'i-b', undefined, 'i-c']);
});

test('a busy connection is retried, then the slow path takes over', async () => {
  let tries = 0;
  const slow: string[] = [];
  const busyForever = new ClaimBatcher(
    () => {
      tries++;
      return null;
    },
    async (c) => {
      slow.push(c.owner);
      return row(`slow-${c.owner}`);
    },
  );
  const r = await busyForever.claim(call('x'));
  assert.equal(r?.id, 'slow-x');
  assert.ok(tries > 1, 'retried before giving up');
  assert.deepEqual(slow, ['x']);

  let calls = 0;
  const busyOnce = new ClaimBatcher(
    (cs) => (calls++ === 0 ? null : cs.map((c) => row(c.owner))),
    async () => assert.fail('not needed'),
  );
  assert.equal((await busyOnce.claim(call('y')))?.id, 'y');
});

test('a failing batch rejects every claim in it, and later claims still run', async () => {
  let fail = true;
  const b = new ClaimBatcher(
    (cs) => {
      if (fail) throw new Error('disk I/O error');
      return cs.map((c) => row(c.owner));
    },
    async () => undefined,
  );
  const settled = await Promise.allSettled([b.claim(call('a')), b.claim(call('b'))]);
  assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected']);
  fail = false;
  assert.equal((await b.claim(call('c')))?.id, 'c');
});

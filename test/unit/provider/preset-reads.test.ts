/**
 * Preset refreshes read through per-template lists (provider/preset-reads.ts): two controller round trips for a walk
 * over one template's presets, fresh after every write made through the process, after the list's age runs out, and
 * after a failed list; and through the provider's ReadResource against the fake controller, the call log it makes.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { PrewarmClient } from '../../../controller/api/client';
import type { PresetRecord } from '../../../controller/domain/records';
import { PRESET_LIST_MAX_AGE_MS, PresetReads } from '../../../provider/preset-reads';
import type { CtyValue, EncodableValue } from '../../../provider/values';
import { assertNoDiags, presetObj, read } from '../../helpers/provider-harness';
import { obj, planApply, seedTemplate, useHarness } from './apply-harness';

const record = (template: string, name: string, description = ''): PresetRecord =>
  ({ id: `${template}/${name}`, template, name, description }) as unknown as PresetRecord;

/** A client with the two calls a refresh makes, over `presets`, counting them; `gate` holds lists back until released. */
function fakeClient(presets: PresetRecord[]) {
  const calls: string[] = [];
  let failNext: Error | undefined;
  let gate: Promise<void> | undefined;
  const client = {
    async listPresets(template?: string) {
      calls.push(`list ${template}`);
      if (gate) await gate;
      if (failNext) {
        const err = failNext;
        failNext = undefined;
        throw err;
      }
      return presets.filter((p) => p.template === template);
    },
  } as unknown as PrewarmClient;
  const getOne = (template: string, name: string) => async () => {
    calls.push(`get ${template}/${name}`);
    return presets.find((p) => p.template === template && p.name === name);
  };
  return {
    client,
    calls,
    getOne,
    failNextList: (err: Error) => (failNext = err),
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

describe('PresetReads', () => {
  const presets = [...Array.from({ length: 50 }, (_, i) => record('devbox', `p${i}`)), record('other', 'x')];

  test('a walk over one template: one get, then one list that answers every later read, found or not', async () => {
    const f = fakeClient(presets);
    const reads = new PresetReads(() => 0);
    const got: Array<PresetRecord | undefined> = [];
    for (let i = 0; i < 50; i++) got.push(await reads.get(f.client, 'devbox', `p${i}`, f.getOne('devbox', `p${i}`)));
    assert.deepEqual(got.map((r) => r?.name), presets.slice(0, 50).map((p) => p.name));
    assert.equal(await reads.get(f.client, 'devbox', 'gone', f.getOne('devbox', 'gone')), undefined);
    assert.deepEqual(f.calls, ['get devbox/p0', 'list devbox']);
  });

  test('reads that arrive together share one list; templates are listed apart', async () => {
    const f = fakeClient(presets);
    const reads = new PresetReads(() => 0);
    await reads.get(f.client, 'devbox', 'p0', f.getOne('devbox', 'p0'));
    const together = await Promise.all(Array.from({ length: 10 }, (_, i) => reads.get(f.client, 'devbox', `p${i + 1}`, f.getOne('devbox', `p${i + 1}`))));
    assert.deepEqual(together.map((r) => r?.name), Array.from({ length: 10 }, (_, i) => `p${i + 1}`));
    assert.equal((await reads.get(f.client, 'other', 'x', f.getOne('other', 'x')))?.id, 'other/x');
    assert.deepEqual(f.calls, ['get devbox/p0', 'list devbox', 'get other/x']);
  });

  test('a write through the process (invalidate) makes the next read ask again, starting with a get', async () => {
    const f = fakeClient(presets);
    const reads = new PresetReads(() => 0);
    for (const n of ['p0', 'p1', 'p2']) await reads.get(f.client, 'devbox', n, f.getOne('devbox', n));
    reads.invalidate();
    for (const n of ['p3', 'p4']) await reads.get(f.client, 'devbox', n, f.getOne('devbox', n));
    assert.deepEqual(f.calls, ['get devbox/p0', 'list devbox', 'get devbox/p3', 'list devbox']);
  });

  test('a list older than its maximum age is fetched again', async () => {
    let now = 1_000;
    const f = fakeClient(presets);
    const reads = new PresetReads(() => now);
    for (const n of ['p0', 'p1']) await reads.get(f.client, 'devbox', n, f.getOne('devbox', n));
    now += PRESET_LIST_MAX_AGE_MS - 1;
    await reads.get(f.client, 'devbox', 'p2', f.getOne('devbox', 'p2'));
    now += 1;
    await reads.get(f.client, 'devbox', 'p3', f.getOne('devbox', 'p3'));
    assert.deepEqual(f.calls, ['get devbox/p0', 'list devbox', 'list devbox']);
  });

  test('a failed list fails the reads waiting for it and is not kept: the next read lists again', async () => {
    const f = fakeClient(presets);
    const reads = new PresetReads(() => 0);
    await reads.get(f.client, 'devbox', 'p0', f.getOne('devbox', 'p0'));
    f.failNextList(new Error('controller unreachable'));
    await assert.rejects(reads.get(f.client, 'devbox', 'p1', f.getOne('devbox', 'p1')), /controller unreachable/);
    assert.equal((await reads.get(f.client, 'devbox', 'p1', f.getOne('devbox', 'p1')))?.name, 'p1');
    assert.deepEqual(f.calls, ['get devbox/p0', 'list devbox', 'list devbox']);
  });

  test('a list in flight when a write happens answers only the reads that were waiting for it', async () => {
    const live = [record('devbox', 'p0'), record('devbox', 'p1', 'before')];
    const f = fakeClient(live);
    const reads = new PresetReads(() => 0);
    await reads.get(f.client, 'devbox', 'p0', f.getOne('devbox', 'p0'));
    const release = f.hold();
    const waiting = reads.get(f.client, 'devbox', 'p1', f.getOne('devbox', 'p1'));
    reads.invalidate();
    live[1] = record('devbox', 'p1', 'after');
    release();
    assert.equal((await waiting)?.description, 'after', 'the waiting read gets what the list returned');
    // After the write the process starts over: a get, then a fresh list.
    assert.equal((await reads.get(f.client, 'devbox', 'p1', f.getOne('devbox', 'p1')))?.description, 'after');
    assert.equal((await reads.get(f.client, 'devbox', 'p0', f.getOne('devbox', 'p0')))?.name, 'p0');
    assert.deepEqual(f.calls, ['get devbox/p0', 'list devbox', 'get devbox/p1', 'list devbox']);
  });
});

const hh = useHarness();

describe('ReadResource of presets through the provider', () => {
  test('refreshing five presets of a template costs a get and a list; an apply in between starts over; a preset deleted outside reads as gone', async () => {
    await seedTemplate(hh);
    const states: CtyValue[] = [];
    for (let i = 0; i < 5; i++) states.push((await planApply(hh, 'prewarm_preset', null, presetObj({ name: `p${i}` }))).state);
    hh.api.fake.calls.length = 0;
    for (const s of states) {
      const r = await read(hh.h, 'prewarm_preset', s as EncodableValue);
      assertNoDiags(r.diagnostics);
      assert.equal(obj(r.newState).id, obj(s).id);
    }
    assert.deepEqual(hh.api.fake.calls.map((c) => c.method), ['getPreset', 'listPresets']);

    const changed = presetObj({ name: 'p0', description: 'changed' });
    const { state } = await planApply(hh, 'prewarm_preset', states[0], changed);
    await hh.api.fake.deletePreset('devbox', 'p4');
    hh.api.fake.calls.length = 0;
    assert.equal(obj((await read(hh.h, 'prewarm_preset', state as EncodableValue)).newState).description, 'changed');
    assert.equal((await read(hh.h, 'prewarm_preset', states[4] as EncodableValue)).newState, null, 'deleted outside Terraform');
    assert.deepEqual(hh.api.fake.calls.map((c) => c.method), ['getPreset', 'listPresets']);
  });
});

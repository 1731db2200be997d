/**
 * prewarm_preset through the real gRPC client against the fake controller (test/helpers/api-fake.ts): the spec the
 * API gets, null vs empty, refresh, import, drift and delete. Every plan and apply result is checked with
 * test/helpers/plan-rules.ts (see apply-harness.ts).
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { equalValues, type CtyValue, type EncodableValue } from '../../../provider/values';
import { checkReadResult } from '../../helpers/plan-rules';
import { apply, assertNoDiags, assertOneError, importState, jsonBlocks, prebuilds, presetObj, read, scheduling } from '../../helpers/provider-harness';
import { scheduledPreset } from '../../helpers/fixtures';
import { fullPreset, obj, planApply, refreshNoDiff, seedTemplate, useHarness } from './apply-harness';

const hh = useHarness();

describe('prewarm_preset lifecycle', () => {
  test('create with every block → the spec the API gets; refresh plans no diff', async () => {
    await seedTemplate(hh);
    const config = fullPreset();
    const { state } = await planApply(hh, 'prewarm_preset', null, config);
    assert.equal(obj(state).id, 'devbox/us-nix');
    assert.deepEqual(hh.api.fake.calls[0].args[0], scheduledPreset({ description: 'US pool', default: true }));
    await refreshNoDiff(hh, 'prewarm_preset', state, config);
  });

  test('null vs empty: description/default/parameters left out stay null after read; set-but-empty stay empty', async () => {
    await seedTemplate(hh);
    const minimal = presetObj();
    const { state } = await planApply(hh, 'prewarm_preset', null, minimal);
    const refreshed = await refreshNoDiff(hh, 'prewarm_preset', state, minimal);
    assert.equal(obj(refreshed).description, null);
    assert.equal(obj(refreshed).default, null);
    assert.equal(obj(refreshed).parameters, null);
    assert.deepEqual(obj(refreshed).prebuilds, []);

    const explicit = presetObj({ description: '', default: false, parameters: new Map() });
    const { state: s2 } = await planApply(hh, 'prewarm_preset', refreshed, explicit);
    const r2 = await refreshNoDiff(hh, 'prewarm_preset', s2, explicit);
    assert.equal(obj(r2).description, '');
    assert.equal(obj(r2).default, false);
    assert.ok(equalValues(obj(r2).parameters, new Map()));
  });

  test('a lead_time the controller spells differently keeps the configured spelling', async () => {
    await seedTemplate(hh);
    const config = presetObj({ prebuilds: [prebuilds({ scheduling: [scheduling({ lead_time: '90m' })] })] });
    const { state } = await planApply(hh, 'prewarm_preset', null, config);
    const rec = hh.api.fake.presets.get('devbox/us-nix')!;
    rec.prebuilds!.scheduling!.lead_time = '1h30m';
    const refreshed = await refreshNoDiff(hh, 'prewarm_preset', state, config);
    const sched = obj((obj((obj(refreshed).prebuilds as CtyValue[])[0]).scheduling as CtyValue[])[0]);
    assert.equal(sched.lead_time, '90m');
  });

  test('import TEMPLATE/NAME → stub → read → the configuration plans no diff', async () => {
    await seedTemplate(hh);
    await planApply(hh, 'prewarm_preset', null, fullPreset());
    const imp = await importState(hh.h, 'prewarm_preset', 'devbox/us-nix');
    assertNoDiags(imp.diagnostics);
    assert.deepEqual(imp.resources[0].state, {
      id: 'devbox/us-nix',
      template: 'devbox',
      name: 'us-nix',
      description: null,
      default: null,
      parameters: null,
      prebuilds: [],
    });
    assert.deepEqual(checkReadResult(jsonBlocks.preset, imp.resources[0].state), []);
    await refreshNoDiff(hh, 'prewarm_preset', imp.resources[0].state, fullPreset());
  });

  test('import with a bad id explains TEMPLATE/NAME', async () => {
    for (const id of ['us-nix', 'a/b/c', '/x', 'devbox/']) {
      const bad = await importState(hh.h, 'prewarm_preset', id);
      assertOneError(bad.diagnostics, { summary: 'Invalid import ID', detail: 'TEMPLATE/NAME', path: null });
    }
  });

  test('drift: deleted outside Terraform → null, and the next plan is a create', async () => {
    await seedTemplate(hh);
    const { state } = await planApply(hh, 'prewarm_preset', null, fullPreset());
    hh.api.fake.presets.clear();
    const r = await read(hh.h, 'prewarm_preset', state as EncodableValue);
    assertNoDiags(r.diagnostics);
    assert.equal(r.newState, null);
    const { state: recreated } = await planApply(hh, 'prewarm_preset', null, fullPreset());
    assert.equal(obj(recreated).id, 'devbox/us-nix');
    assert.equal(hh.api.fake.presets.size, 1);
  });

  test('delete', async () => {
    await seedTemplate(hh);
    const { state } = await planApply(hh, 'prewarm_preset', null, fullPreset());
    const del = await apply(hh.h, 'prewarm_preset', state as EncodableValue, null, null);
    assertNoDiags(del.diagnostics);
    assert.equal(del.newState, null);
    assert.equal(hh.api.fake.presets.size, 0);
  });
});

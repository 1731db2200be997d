/**
 * prewarm_template through the real gRPC client against the fake controller (test/helpers/api-fake.ts): create,
 * update, refresh, drift, delete and import. Every plan and apply result is checked with test/helpers/plan-rules.ts
 * (see apply-harness.ts).
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { CtyNumber, equalValues, isUnknown, type CtyValue, type EncodableValue } from '../../../provider/values';
import { apply, assertNoDiags, assertOneError, importState, plan, read, templateObj, types } from '../../helpers/provider-harness';
import { presetSpec } from '../../helpers/fixtures';
import { obj, planApply, PRIVATE, proposedFrom, refreshNoDiff, useHarness } from './apply-harness';

const hh = useHarness();

describe('prewarm_template lifecycle', () => {
  test('create → version from the controller, config as planned; refresh plans no diff', async () => {
    const config = templateObj({ config: new Map([['image', 'node:20']]) });
    const { state } = await planApply(hh, 'prewarm_template', null, config);
    assert.equal(obj(state).id, 'devbox');
    assert.ok(equalValues(obj(state).version, CtyNumber.from(1)));
    assert.deepEqual(hh.api.fake.calls.map((c) => c.method), ['putTemplate']);
    assert.deepEqual(hh.api.fake.calls[0].args[0], { name: 'devbox', driver: 'devbox', config: { image: 'node:20' } });
    await refreshNoDiff(hh, 'prewarm_template', state, config);
  });

  test('absent config stays null through apply and refresh (the controller reports {})', async () => {
    const config = templateObj();
    const { state } = await planApply(hh, 'prewarm_template', null, config);
    assert.equal(obj(state).config, null);
    const refreshed = await refreshNoDiff(hh, 'prewarm_template', state, config);
    assert.equal(obj(refreshed).config, null);
  });

  test('update of config → new version', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const { state: updated } = await planApply(hh, 'prewarm_template', state, templateObj({ config: new Map([['image', 'node:22']]) }));
    assert.ok(equalValues(obj(updated).version, CtyNumber.from(2)));
  });

  test('drift: changed outside Terraform shows up as a diff; deleted outside → null (re-create)', async () => {
    const config = templateObj();
    const { state } = await planApply(hh, 'prewarm_template', null, config);
    await hh.api.fake.putTemplate({ name: 'devbox', driver: 'other', config: {} });
    const r = await read(hh.h, 'prewarm_template', state as EncodableValue);
    assert.equal(obj(r.newState).driver, 'other');
    const replan = await plan(hh.h, 'prewarm_template', r.newState as EncodableValue, config, { proposed: proposedFrom(r.newState, config) });
    assert.equal(obj(replan.planned).driver, 'devbox');
    assert.ok(isUnknown(obj(replan.planned).version));

    hh.api.fake.templates.clear();
    const gone = await read(hh.h, 'prewarm_template', state as EncodableValue, PRIVATE);
    assertNoDiags(gone.diagnostics);
    assert.equal(gone.newState, null);
  });

  test('delete → null state; deleting what is already gone succeeds', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const del = await apply(hh.h, 'prewarm_template', state as EncodableValue, null, null, PRIVATE);
    assertNoDiags(del.diagnostics);
    assert.equal(del.newState, null);
    assert.equal(hh.api.fake.templates.size, 0);
    const again = await apply(hh.h, 'prewarm_template', state as EncodableValue, null, null);
    assertNoDiags(again.diagnostics);
    assert.equal(again.newState, null);
  });

  test('delete refused by the controller (presets left) → error, prior state kept', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    await hh.api.fake.putPreset(presetSpec({ name: 'p' }));
    const del = await apply(hh.h, 'prewarm_template', state as EncodableValue, null, null);
    assertOneError(del.diagnostics, { summary: 'Cannot delete template devbox: presets still use it', detail: 'still has presets', path: null });
    assert.ok(equalValues(del.newState as CtyValue, state, types.template));
  });

  test('import by name → stub → read fills it; bad id explains the format', async () => {
    await hh.api.fake.putTemplate({ name: 'devbox', driver: 'devbox', config: { image: 'node:20' } });
    const imp = await importState(hh.h, 'prewarm_template', 'devbox');
    assertNoDiags(imp.diagnostics);
    assert.equal(imp.resources.length, 1);
    assert.equal(imp.resources[0].typeName, 'prewarm_template');
    assert.deepEqual(imp.resources[0].state, { id: 'devbox', name: 'devbox', driver: null, config: null, version: null, lifecycle_policy: [] });
    const config = templateObj({ config: new Map([['image', 'node:20']]) });
    const state = await refreshNoDiff(hh, 'prewarm_template', imp.resources[0].state, config);
    assert.equal(obj(state).driver, 'devbox');

    const bad = await importState(hh.h, 'prewarm_template', 'a/b');
    assertOneError(bad.diagnostics, { summary: 'Invalid import ID', detail: 'imported by its name', path: null });
    assert.equal(bad.resources.length, 0);
  });
});

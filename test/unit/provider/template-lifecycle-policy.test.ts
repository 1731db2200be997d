/**
 * The lifecycle_policy block of prewarm_template: plan-time validation at the exact attribute path, the spec the
 * controller receives, an empty and an absent block without a perpetual diff, the configured spelling of a duration
 * kept, a policy-only change that keeps the version, and an import of a template with a policy that round-trips.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { CtyNumber, equalValues, isUnknown, unknown } from '../../../provider/values';
import { createProviderHandlers } from '../../../provider/rpc-handlers';
import type { TemplateSpec } from '../../../controller/domain/specs';
import { assertNoDiags, assertOneError, describeDiags, steps } from '../../helpers/provider-harness';
import { importState, obj, plan, planApply, policy, read, refreshNoDiff, tplObj, useWorkspaceHarness, validate } from './workspace-harness';

const TPL = 'prewarm_template';
const offline = createProviderHandlers({ env: {} });
const hh = useWorkspaceHarness();

describe('lifecycle_policy validation (plan time)', () => {
  test('a full policy, an empty block and unknown values are valid', async () => {
    const full = policy({
      autostop_after: '8h',
      autostop_reminder: '30m',
      stopped_ttl: '7d',
      dormant_after: '14d',
      dormant_delete_after: '30d',
      auto_destroy_reminder: '1h',
    });
    assertNoDiags(await validate(offline, TPL, tplObj({ lifecycle_policy: [full] })));
    assertNoDiags(await validate(offline, TPL, tplObj({ lifecycle_policy: [policy()] })));
    assertNoDiags(await validate(offline, TPL, tplObj({ lifecycle_policy: [policy({ autostop_after: unknown(), autostop_reminder: '30m' })] })));
    assertNoDiags(await validate(offline, TPL, tplObj({ lifecycle_policy: unknown() })));
  });

  test('each problem is one error at lifecycle_policy[0].<attribute>', async () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ autostop_after: '8' }, 'autostop_after', /missing unit/],
      [{ stopped_ttl: '400d' }, 'stopped_ttl', /at most 365d/],
      [{ dormant_after: '1w' }, 'dormant_after', /unknown unit/],
      [{ auto_destroy_reminder: '0s' }, 'auto_destroy_reminder', /greater than zero/],
      [{ autostop_after: '1h', autostop_reminder: '1h' }, 'autostop_reminder', /shorter than autostop_after/],
      [{ autostop_reminder: '10m' }, 'autostop_reminder', /needs autostop_after/],
      [{ dormant_delete_after: '30d' }, 'dormant_delete_after', /needs dormant_after/],
    ];
    for (const [o, attr, detail] of cases) {
      const diags = await validate(offline, TPL, tplObj({ lifecycle_policy: [policy(o)] }));
      assertOneError(diags, { summary: `Invalid value for "lifecycle_policy[0].${attr}"`, detail, path: `lifecycle_policy[0].${attr}` });
    }
  });

  test('two blocks: one error at lifecycle_policy', async () => {
    const diags = await validate(offline, TPL, tplObj({ lifecycle_policy: [policy(), policy()] }));
    assert.equal(diags.length, 1, describeDiags(diags));
    assert.deepEqual(steps(diags[0].attribute), [{ attr: 'lifecycle_policy' }]);
    assert.match(diags[0].detail, /at most one lifecycle_policy block/);
  });
});

describe('lifecycle_policy plan and apply', () => {
  test('create with a policy: the controller gets the spec (set attributes only); refresh plans no diff', async () => {
    hh.api.fake.templates.clear();
    hh.api.fake.presets.clear();
    const config = tplObj({ lifecycle_policy: [policy({ autostop_after: '8h', autostop_reminder: '30m', stopped_ttl: '7d' })] });
    const { state } = await planApply(hh, TPL, null, config);
    const put = hh.api.fake.calls.find((c) => c.method === 'putTemplate')!.args[0] as TemplateSpec;
    assert.deepEqual(put.lifecycle_policy, { autostop_after: '8h', autostop_reminder: '30m', stopped_ttl: '7d' });
    assert.deepEqual(obj(state).lifecycle_policy, [policy({ autostop_after: '8h', autostop_reminder: '30m', stopped_ttl: '7d' })]);
    await refreshNoDiff(hh, TPL, state, config);
  });

  test('an empty block and an absent block each stay as written (no perpetual diff)', async () => {
    for (const blocks of [[policy()], []]) {
      hh.api.fake.templates.clear();
      hh.api.fake.presets.clear();
      const config = tplObj({ lifecycle_policy: blocks });
      const { state } = await planApply(hh, TPL, null, config);
      const put = hh.api.fake.calls.filter((c) => c.method === 'putTemplate').at(-1)!.args[0] as TemplateSpec;
      assert.equal(put.lifecycle_policy, undefined, 'an empty block turns nothing on');
      assert.deepEqual(obj(state).lifecycle_policy, blocks);
      await refreshNoDiff(hh, TPL, state, config);
    }
  });

  test('a duration the controller spells differently keeps the configured spelling', async () => {
    hh.api.fake.templates.clear();
    hh.api.fake.presets.clear();
    const config = tplObj({ lifecycle_policy: [policy({ autostop_after: '480m' })] });
    const { state } = await planApply(hh, TPL, null, config);
    const rec = hh.api.fake.templates.get('devbox')!;
    hh.api.fake.templates.set('devbox', { ...rec, lifecycle_policy: { autostop_after: '8h' } });
    const refreshed = await refreshNoDiff(hh, TPL, state, config);
    assert.deepEqual(obj(refreshed).lifecycle_policy, [policy({ autostop_after: '480m' })]);
    // A different duration is drift, and shows.
    hh.api.fake.templates.set('devbox', { ...rec, lifecycle_policy: { autostop_after: '9h' } });
    const drifted = await read(hh.h, TPL, state);
    assert.deepEqual(obj(drifted.newState).lifecycle_policy, [policy({ autostop_after: '9h' })]);
  });

  test('a policy-only change is an update that keeps the version (the controller does not rebuild the pool)', async () => {
    const fake = hh.api.fake;
    fake.templates.clear();
    fake.presets.clear();
    const { state } = await planApply(hh, TPL, null, tplObj());
    // The controller's rule (the fake bumps on every put): only driver and config make a new version.
    const put = fake.putTemplate.bind(fake);
    fake.putTemplate = async (spec) => {
      const old = fake.templates.get(spec.name);
      const rec = await put(spec);
      if (old && old.driver === spec.driver && JSON.stringify(old.config) === JSON.stringify(spec.config)) {
        const kept = { ...rec, version: old.version };
        fake.templates.set(spec.name, kept);
        return kept;
      }
      return rec;
    };
    try {
      const config = tplObj({ lifecycle_policy: [policy({ dormant_after: '14d' })] });
      const pl = await plan(hh.h, TPL, state, config);
      assert.ok(!isUnknown(obj(pl.planned).version), 'version known: it does not change');
      const { state: next } = await planApply(hh, TPL, state, config);
      assert.ok(equalValues(obj(next).version, CtyNumber.from(1)));
      // A driver change still makes it unknown.
      const pl2 = await plan(hh.h, TPL, next, { ...config, driver: 'other' });
      assert.ok(isUnknown(obj(pl2.planned).version));
    } finally {
      fake.putTemplate = put;
    }
  });

  test('import of a template with a policy round-trips: the same configuration plans no change', async () => {
    const fake = hh.api.fake;
    fake.templates.set('devbox', { ...fake.templates.get('devbox')!, lifecycle_policy: { autostop_after: '8h', stopped_ttl: '7d' } });
    const imp = await importState(hh.h, TPL, 'devbox');
    assertNoDiags(imp.diagnostics);
    assert.deepEqual(obj(imp.resources[0].state).lifecycle_policy, []);
    const state = await refreshNoDiff(hh, TPL, imp.resources[0].state, tplObj({ lifecycle_policy: [policy({ autostop_after: '8h', stopped_ttl: '7d' })] }));
    assert.deepEqual(obj(state).lifecycle_policy, [policy({ autostop_after: '8h', stopped_ttl: '7d' })]);
  });
});

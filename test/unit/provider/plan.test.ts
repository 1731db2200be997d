/**
 * PlanResourceChange against the rules Terraform enforces on planned values, checked with the
 * independent checker in test/helpers/plan-rules.ts. Planning never needs the controller: the provider here is
 * not even configured.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { createProviderHandlers } from '../../../provider/rpc-handlers';
import { CtyNumber, decodeDynamic, encodeDynamic, equalValues, isUnknown, unknown, type CtyValue, type EncodableValue } from '../../../provider/values';
import { checkApplyResult, checkFinalPlan, checkPlan, checkReadResult, pathExists, type JsonBlock } from '../../helpers/plan-rules';
import { assertNoDiags, jsonBlocks, p, plan, prebuilds, presetObj, scheduling, templateObj, types } from '../../helpers/provider-harness';
import { scheduledPrebuildsConfig, scheduledPresetConfig } from './preset-config';

const h = createProviderHandlers({ env: {} });
const U = unknown();
const PRIVATE = new Uint8Array([1, 2, 3]);

/** Plans and asserts Terraform's plan rules hold; returns the result. */
async function planOk(typeName: 'prewarm_template' | 'prewarm_preset', prior: EncodableValue, config: EncodableValue, proposed?: EncodableValue) {
  const r = await plan(h, typeName, prior, config, { proposed, priorPrivate: PRIVATE });
  assertNoDiags(r.diagnostics);
  const schema = typeName === 'prewarm_template' ? jsonBlocks.template : jsonBlocks.preset;
  // Round trip through the codec so the checker sees values exactly as Terraform would decode them.
  const problems = checkPlan({ schema, prior: toCty(prior, typeName), config: toCty(config, typeName), planned: r.planned, requiresReplace: r.requiresReplace });
  assert.deepEqual(problems, [], problems.join('\n'));
  assert.deepEqual(r.plannedPrivate, PRIVATE, 'prior_private is echoed as planned_private');
  return r;
}

function toCty(v: EncodableValue, typeName: string): CtyValue {
  const type = typeName === 'prewarm_template' ? types.template : types.preset;
  return decodeDynamic(encodeDynamic(v, type), type);
}

function obj(v: CtyValue): Record<string, CtyValue> {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !isUnknown(v));
  return v as Record<string, CtyValue>;
}

const templateState = (o: Record<string, EncodableValue> = {}) => templateObj({ id: 'devbox', version: 3, lifecycle_policy: [], ...o });

describe('prewarm_template plan', () => {
  test('create: id = name (known), version unknown, configured values as configured', async () => {
    const config = templateObj({ config: new Map([['image', 'node:20']]) });
    const r = await planOk('prewarm_template', null, config);
    const planned = obj(r.planned);
    assert.equal(planned.id, 'devbox');
    assert.ok(isUnknown(planned.version));
    assert.ok(equalValues(planned.config, new Map([['image', 'node:20']])));
    assert.deepEqual(r.requiresReplace, []);
  });

  test('create with an unknown name: id unknown too', async () => {
    const r = await planOk('prewarm_template', null, templateObj({ name: U }));
    assert.ok(isUnknown(obj(r.planned).id));
    assert.ok(isUnknown(obj(r.planned).name));
  });

  test('no change: planned equals prior (a no-op), version kept', async () => {
    const prior = templateState({ config: new Map([['image', 'node:20']]) });
    const config = templateObj({ config: new Map([['image', 'node:20']]) });
    const proposed = { ...config, id: 'devbox', version: 3 }; // Terraform copies prior computed values into the proposal
    const r = await planOk('prewarm_template', prior, config, proposed);
    assert.ok(equalValues(r.planned, toCty(prior, 'prewarm_template'), types.template), 'planned == prior means no-op');
    assert.ok(equalValues(obj(r.planned).version, CtyNumber.from(3)));
  });

  for (const [what, change] of [
    ['driver', { driver: 'other' }],
    ['config', { config: new Map([['image', 'node:22']]) }],
    ['config null → {}', { config: new Map() }],
    ['unknown driver', { driver: U }],
  ] as const) {
    test(`update of ${what}: version becomes unknown, no replacement`, async () => {
      const prior = templateState();
      const config = templateObj(change);
      const r = await planOk('prewarm_template', prior, config, { ...config, id: 'devbox', version: 3 });
      assert.ok(isUnknown(obj(r.planned).version));
      assert.equal(obj(r.planned).id, 'devbox');
      assert.deepEqual(r.requiresReplace, []);
    });
  }

  test('name change requires replacement (path exists), and the replacement plan (null prior) is a create', async () => {
    const prior = templateState();
    const config = templateObj({ name: 'devbox2' });
    const r = await planOk('prewarm_template', prior, config, { ...config, id: 'devbox', version: 3 });
    assert.deepEqual(r.requiresReplace, [p('name')]);
    assert.equal(obj(r.planned).id, 'devbox2');
    assert.ok(isUnknown(obj(r.planned).version));
    const second = await planOk('prewarm_template', null, config);
    assert.equal(obj(second.planned).id, 'devbox2');
  });

  test('unknown name on update requires replacement', async () => {
    const r = await planOk('prewarm_template', templateState(), templateObj({ name: U }), templateObj({ name: U, id: 'devbox', version: 3 }));
    assert.deepEqual(r.requiresReplace, [p('name')]);
  });

  test('destroy: null proposal and config → null planned state', async () => {
    const r = await planOk('prewarm_template', templateState(), null, null);
    assert.equal(r.planned, null);
  });

  test('final plan at apply keeps every value known in the initial plan', async () => {
    const initial = await planOk('prewarm_template', null, templateObj({ driver: U }));
    const final = await planOk('prewarm_template', null, templateObj({ driver: 'devbox' }));
    assert.deepEqual(checkFinalPlan(initial.planned, final.planned), []);
  });
});

describe('prewarm_preset plan', () => {
  const full = () => scheduledPresetConfig({ description: 'US pool', default: true, prebuilds: [scheduledPrebuildsConfig({ instances: 1 })] });

  test('create: id = TEMPLATE/NAME, everything else as configured, block counts as configured', async () => {
    const r = await planOk('prewarm_preset', null, full());
    const planned = obj(r.planned);
    assert.equal(planned.id, 'devbox/us-nix');
    const { id: _ignored, ...rest } = planned;
    const { id: _c, ...configRest } = obj(toCty(full(), 'prewarm_preset'));
    assert.ok(equalValues(rest, configRest), 'non-computed attributes equal config');
  });

  test('absent blocks are planned as empty lists, never null', async () => {
    const config = presetObj({ prebuilds: [prebuilds()] });
    const r = await planOk('prewarm_preset', null, config);
    const pb = obj((obj(r.planned).prebuilds as CtyValue[])[0]);
    assert.deepEqual(pb.expiration_policy, []);
    assert.deepEqual(pb.scheduling, []);
    // Even if a caller proposes null for a block list, the plan has an empty list.
    const r2 = await planOk('prewarm_preset', null, presetObj({ prebuilds: [] }), presetObj({ prebuilds: null }));
    assert.deepEqual(obj(r2.planned).prebuilds, []);
  });

  test('unknowns: unknown template → unknown id; unknown leaves and unknown (dynamic) block lists kept as configured', async () => {
    const config = presetObj({
      template: U,
      parameters: new Map<string, EncodableValue>([['region', U]]),
      prebuilds: [prebuilds({ instances: U, expiration_policy: U, scheduling: [scheduling({ timezone: U, schedule: U })] })],
    });
    const r = await planOk('prewarm_preset', null, config);
    const planned = obj(r.planned);
    assert.ok(isUnknown(planned.id));
    const pb = obj((planned.prebuilds as CtyValue[])[0]);
    assert.ok(isUnknown(pb.instances));
    assert.ok(isUnknown(pb.expiration_policy));
    assert.ok(isUnknown(obj((pb.scheduling as CtyValue[])[0]).schedule));
  });

  test('update of description and schedule: no replacement, planned equals config', async () => {
    const prior = { ...full(), id: 'devbox/us-nix' };
    const config = { ...full(), description: 'changed' };
    const r = await planOk('prewarm_preset', prior, config, { ...config, id: 'devbox/us-nix' });
    assert.deepEqual(r.requiresReplace, []);
    assert.equal(obj(r.planned).description, 'changed');
    assert.equal(obj(r.planned).id, 'devbox/us-nix');
  });

  test('template or name change requires replacement, each at its path', async () => {
    const prior = { ...full(), id: 'devbox/us-nix' };
    const r1 = await planOk('prewarm_preset', prior, { ...full(), template: 'other' }, { ...full(), template: 'other', id: 'devbox/us-nix' });
    assert.deepEqual(r1.requiresReplace, [p('template')]);
    assert.equal(obj(r1.planned).id, 'other/us-nix');
    const r2 = await planOk('prewarm_preset', prior, { ...full(), name: 'eu' }, { ...full(), name: 'eu', id: 'devbox/us-nix' });
    assert.deepEqual(r2.requiresReplace, [p('name')]);
    const r3 = await planOk('prewarm_preset', prior, { ...full(), name: U }, { ...full(), name: U, id: 'devbox/us-nix' });
    assert.deepEqual(r3.requiresReplace, [p('name')]);
  });

  test('no change is a no-op', async () => {
    const prior = { ...full(), id: 'devbox/us-nix' };
    const r = await planOk('prewarm_preset', prior, full(), prior);
    assert.ok(equalValues(r.planned, toCty(prior, 'prewarm_preset'), types.preset));
  });

  test('destroy', async () => {
    const r = await planOk('prewarm_preset', { ...full(), id: 'devbox/us-nix' }, null, null);
    assert.equal(r.planned, null);
  });
});

describe('the plan-rules checker itself catches each violation', () => {
  const schema: JsonBlock = jsonBlocks.preset;
  const cty = (v: EncodableValue) => toCty(v, 'prewarm_preset');
  const config = cty(presetObj({ prebuilds: [prebuilds({ instances: 1 })] }));
  const good = cty(presetObj({ id: 'devbox/us-nix', prebuilds: [prebuilds({ instances: 1 })] }));

  test('a good plan passes', () => {
    assert.deepEqual(checkPlan({ schema, prior: null, config, planned: good }), []);
  });

  test('violations', () => {
    const bad = (o: Record<string, EncodableValue>) => cty(presetObj({ id: 'devbox/us-nix', prebuilds: [prebuilds({ instances: 1 })], ...o }));
    assert.match(checkPlan({ schema, prior: null, config, planned: bad({ description: 'x' }) }).join(), /non-computed attribute/);
    assert.match(checkPlan({ schema, prior: null, config, planned: bad({ name: 'other' }) }).join(), /does not match config value/);
    assert.match(checkPlan({ schema, prior: null, config, planned: bad({ prebuilds: [] }) }).join(), /block count changed/);
    assert.match(checkPlan({ schema, prior: null, config, planned: bad({ prebuilds: U }) }).join(), /must not be unknown itself/);
    assert.match(checkPlan({ schema, prior: null, config, planned: bad({ prebuilds: [U] }) }).join(), /element must not be unknown/);
    assert.match(checkPlan({ schema, prior: null, config, planned: null }).join(), /planned for absence/);
    assert.match(checkPlan({ schema, prior: good, config: null, planned: good }).join(), /planned for existence/);
    assert.match(checkPlan({ schema, prior: null, config, planned: good, requiresReplace: [p('nope')] }).join(), /non-existent attribute path/);
    const missing = { ...(good as Record<string, CtyValue>) };
    delete missing.description;
    assert.match(checkPlan({ schema, prior: null, config, planned: missing }).join(), /attribute missing/);
  });

  test('apply and read checks', () => {
    const planned = cty(presetObj({ id: U, prebuilds: [prebuilds({ instances: 1 })] }));
    assert.deepEqual(checkApplyResult(schema, planned, good), []);
    assert.match(checkApplyResult(schema, planned, planned).join(), /unknown value/);
    assert.match(checkApplyResult(schema, good, cty(presetObj({ id: 'devbox/us-nix', description: '', prebuilds: [prebuilds({ instances: 1 })] }))).join(), /description: was planned as null/);
    assert.match(checkApplyResult(schema, good, null).join(), /now absent/);
    assert.match(checkApplyResult(schema, null, good).join(), /delete must return a null/);
    assert.match(checkFinalPlan(good, planned).join(), /id: was initially planned/);
    assert.match(checkReadResult(schema, planned).join(), /unknown value/);
    assert.ok(pathExists(good, p('prebuilds[0].instances')));
    assert.ok(!pathExists(good, p('prebuilds[1].instances')));
  });
});

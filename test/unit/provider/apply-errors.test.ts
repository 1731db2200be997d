/**
 * Apply and read against a fake controller (test/helpers/api-fake.ts) that refuses: validation errors at their
 * attribute paths, not found, conflicts, failed reads, and calls cancelled by StopProvider.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { ApplyResourceChange_RequestSchema, Diagnostic_Severity, ReadResource_RequestSchema } from '../../../provider/protocol';
import { ConflictError, NotFoundError, ValidationError } from '../../../controller/domain/errors';
import { ApiError } from '../../../controller/api/status';
import { equalValues, type CtyValue, type EncodableValue } from '../../../provider/values';
import { apply, assertOneError, ctx, describeDiags, dv, p, plan, prebuilds, presetObj, read, scheduling, steps, templateObj, types } from '../../helpers/provider-harness';
import { fullPreset, planApply, PRIVATE, proposedFrom, seedTemplate, useHarness } from './apply-harness';

const hh = useHarness();

describe('API errors become diagnostics', () => {
  test('ValidationError field paths → AttributePaths (list index 0 for once-blocks, schedule[1], map keys)', async () => {
    await seedTemplate(hh);
    hh.api.fake.failWith = new ValidationError([
      { path: ['prebuilds', 'scheduling', 'timezone'], message: 'unknown time zone' },
      { path: ['prebuilds', 'scheduling', 'schedule', 1, 'cron'], message: 'the minute field must be "*"' },
      { path: ['prebuilds', 'expiration_policy', 'ttl'], message: 'too short' },
      { path: ['parameters', 'region'], message: 'unknown parameter' },
      { path: ['default'], message: 'template devbox already has a default preset (eu)' },
      { path: [], message: 'something general' },
    ]);
    const planned = await plan(hh.h, 'prewarm_preset', null, fullPreset());
    const res = await apply(hh.h, 'prewarm_preset', null, planned.plannedStateDv, fullPreset());
    assert.equal(res.newState, null, 'a failed create saves nothing');
    const diags = res.diagnostics;
    assert.equal(diags.length, 6, describeDiags(diags));
    assert.ok(diags.every((d) => d.severity === Diagnostic_Severity.ERROR));
    assert.ok(diags.every((d) => d.detail.includes('rejected by the prewarm controller')), describeDiags(diags));
    assert.deepEqual(
      diags.map((d) => steps(d.attribute)),
      [
        p('prebuilds[0].scheduling[0].timezone'),
        p('prebuilds[0].scheduling[0].schedule[1].cron'),
        p('prebuilds[0].expiration_policy[0].ttl'),
        p('parameters["region"]'),
        p('default'),
        [],
      ],
    );
    assert.match(diags[4].detail, /already has a default preset/);
    assert.equal(diags[5].summary, 'Invalid prewarm_preset');
  });

  test('the fake controller\'s own check (cron must start with "* ") on the second schedule maps to schedule[1]', async () => {
    await seedTemplate(hh);
    const config = presetObj({
      prebuilds: [prebuilds({ scheduling: [scheduling({ schedule: [{ cron: '* 8 * * *', instances: 1 }, { cron: '*\t9 * * *', instances: 1 }] })] })],
    });
    const planned = await plan(hh.h, 'prewarm_preset', null, config);
    const res = await apply(hh.h, 'prewarm_preset', null, planned.plannedStateDv, config);
    assertOneError(res.diagnostics, { summary: 'Invalid value', detail: 'minute field', path: 'prebuilds[0].scheduling[0].schedule[1].cron' });
  });

  test('NotFound on create (template missing) → error, nothing saved', async () => {
    const planned = await plan(hh.h, 'prewarm_preset', null, fullPreset());
    const res = await apply(hh.h, 'prewarm_preset', null, planned.plannedStateDv, fullPreset());
    assertOneError(res.diagnostics, { summary: 'Cannot create preset devbox/us-nix: not found', detail: 'template devbox not found', path: null });
    assert.equal(res.newState, null);
  });

  test('Conflict and ApiError on update → error, prior state kept', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const config = templateObj({ driver: 'other' });
    for (const [err, summary] of [
      [new ConflictError('busy'), 'Cannot update template devbox: conflict'],
      [new ApiError('the controller is unhappy', 13), 'Cannot update template devbox'],
      [new NotFoundError('gone'), 'Cannot update template devbox: not found'],
    ] as const) {
      const planned = await plan(hh.h, 'prewarm_template', state as EncodableValue, config, { proposed: proposedFrom(state, config) });
      hh.api.fake.failWith = err;
      const res = await apply(hh.h, 'prewarm_template', state as EncodableValue, planned.plannedStateDv, config);
      const d = assertOneError(res.diagnostics, { summary, path: null });
      assert.ok(d.detail.length > 0);
      assert.ok(equalValues(res.newState as CtyValue, state, types.template), 'prior state kept');
    }
  });

  test('a read that fails keeps the current state and reports the error', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    hh.api.fake.failWith = new ConflictError('paused for maintenance');
    const r = await read(hh.h, 'prewarm_template', state as EncodableValue, PRIVATE);
    assertOneError(r.diagnostics, { summary: 'Cannot read template devbox: conflict', path: null });
    assert.ok(equalValues(r.newState, state, types.template));
    assert.deepEqual(r.private, PRIVATE);
  });

  test('a cancelled call (StopProvider aborted the signal) is reported as cancelled', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const aborted = new AbortController();
    aborted.abort();
    const res = await hh.h.applyResourceChange!(
      create(ApplyResourceChange_RequestSchema, {
        typeName: 'prewarm_template',
        priorState: dv(state as EncodableValue, types.template),
        plannedState: dv(null, types.template),
        config: dv(null, types.template),
      }),
      ctx(aborted.signal),
    );
    assert.match(describeDiags(res.diagnostics as never), /cancelled/);
  });
  test('a call in flight gives up when the signal aborts', async () => {
    const { state } = await planApply(hh, 'prewarm_template', null, templateObj());
    const fake = hh.api.fake;
    const original = fake.getTemplate;
    let entered!: () => void;
    const reached = new Promise<void>((resolve) => (entered = resolve));
    fake.getTemplate = () => {
      entered();
      return new Promise(() => {}); // never answers
    };
    try {
      const stop = new AbortController();
      const pending = hh.h.readResource!(
        create(ReadResource_RequestSchema, { typeName: 'prewarm_template', currentState: dv(state as EncodableValue, types.template) }),
        ctx(stop.signal),
      );
      await reached;
      stop.abort();
      const res = await pending;
      assertOneError(res.diagnostics as never, { summary: 'Cannot read template devbox: cancelled', path: null });
    } finally {
      fake.getTemplate = original;
    }
  });
});

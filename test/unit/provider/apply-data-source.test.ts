/**
 * The prewarm_preset data source read through the real gRPC client from the fake controller's explain report
 * (test/helpers/api-fake.ts), each result checked with test/helpers/plan-rules.ts.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { NotFoundError } from '../../../controller/domain/errors';
import { CtyNumber, equalValues } from '../../../provider/values';
import { checkReadResult } from '../../helpers/plan-rules';
import { assertNoDiags, assertOneError, jsonBlocks, readData } from '../../helpers/provider-harness';
import { explainPreset } from '../../helpers/fixtures';
import { obj, useHarness } from './apply-harness';

const hh = useHarness();

describe('data source prewarm_preset', () => {
  const dataConfig = { template: 'devbox', name: 'us-nix', id: null, desired: null, ready: null, starting: null, status: null, backoff_until: null };
  const explained = explainPreset({ desired: 3, desired_source: 'schedule[0]', ready: 2, starting: 1, claimed: 4 });

  test('reads desired, ready, starting, status; backoff_until null when not backing off', async () => {
    hh.api.fake.explainReport = { at: '2026-03-09T12:00:00.000Z', paused: false, presets: [{ ...explained, template: 'other' }, explained] };
    const r = await readData(hh.h, dataConfig);
    assertNoDiags(r.diagnostics);
    assert.deepEqual(checkReadResult(jsonBlocks.presetData, r.state ?? null, false), []);
    const s = obj(r.state);
    assert.equal(s.id, 'devbox/us-nix');
    assert.ok(equalValues(s.desired, CtyNumber.from(3)) && equalValues(s.ready, CtyNumber.from(2)) && equalValues(s.starting, CtyNumber.from(1)));
    assert.equal(s.status, 'healthy');
    assert.equal(s.backoff_until, null);
  });

  test('backing off: backoff_until is the RFC 3339 time', async () => {
    hh.api.fake.explainReport = {
      at: '2026-03-09T12:00:00.000Z',
      paused: false,
      presets: [{ ...explained, status: 'hard_limited', backoff_until: '2026-03-09T12:05:00.000Z' }],
    };
    const s = obj((await readData(hh.h, dataConfig)).state);
    assert.equal(s.backoff_until, '2026-03-09T12:05:00.000Z');
    assert.equal(s.status, 'hard_limited');
  });

  test('not found → error diagnostic', async () => {
    hh.api.fake.explainReport = { at: '2026-03-09T12:00:00.000Z', paused: false, presets: [] };
    const r = await readData(hh.h, dataConfig);
    assertOneError(r.diagnostics, { summary: 'Preset devbox/us-nix not found', path: null });
    hh.api.fake.failWith = new NotFoundError('no preset "devbox/us-nix"');
    assertOneError((await readData(hh.h, dataConfig)).diagnostics, { summary: 'not found', path: null });
  });
});

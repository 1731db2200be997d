/** How the exec driver runner words durations and outcomes in logs and errors. */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { describeOutcome } from '../../../controller/drivers/exec';
import { formatDuration } from '../../../controller/drivers/format';

describe('exec driver: formatting', () => {
  test('formatDuration', () => {
    assert.equal(formatDuration(30 * 60 * 1000), '30m0s');
    assert.equal(formatDuration(60 * 60 * 1000), '1h0m0s');
    assert.equal(formatDuration(90 * 60 * 1000 + 1500), '1h30m1.5s');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(250), '250ms');
  });

  test('describeOutcome', () => {
    assert.equal(describeOutcome({ kind: 'ok', attributes: { path: '/x', commit: '' }, stderr: '', exitCode: 0, durationMs: 1200 }), 'ok in 1.2s (attributes: path, commit)');
    assert.equal(describeOutcome({ kind: 'permanent', message: 'bad', stderr: '', exitCode: 78, durationMs: 5 }), 'permanent failure in 5ms: bad');
    assert.equal(describeOutcome({ kind: 'retryable', message: 'later', stderr: '', exitCode: 1, durationMs: 61000 }), 'retryable failure in 1m1s: later');
  });
});

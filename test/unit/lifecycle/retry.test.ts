/**
 * A failed policy delete is retried after its backoff with the reason it started with, boundedly; a user's delete
 * never is; a failed workspace (attempts used up) is left for a person.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import type { DestroyReason } from '../../../controller/domain/workspace';
import { WORKSPACE_DELETE_ATTEMPTS } from '../../../controller/domain/limits';
import { explainWorkspace } from '../../../controller/lifecycle';
import { decide, HOUR, MIN, T0, view, type ViewOverrides } from '../../helpers/workspace-views';

const failedDelete = (over: ViewOverrides = {}) =>
  view({ state: 'deleting', destroyReason: 'auto_destroy_inactivity', deleteAttempts: 2, nextAttemptAt: T0 + 4 * MIN, ...over });

describe('delete_retry', () => {
  test.each<DestroyReason>(['auto_destroy_at', 'auto_destroy_inactivity', 'dormant_delete', 'stopped_ttl'])('keeps the original reason %s', (reason) => {
    const a = decide(failedDelete({ destroyReason: reason }), T0 + 4 * MIN);
    assert.deepEqual(a && { kind: a.kind, rule: a.rule, reason: a.kind === 'delete' ? a.reason : null }, { kind: 'delete', rule: 'delete_retry', reason });
  });

  test('fires only when next_attempt_at <= now', () => {
    assert.equal(decide(failedDelete(), T0 + 4 * MIN - 1), null);
    assert.equal(decide(failedDelete(), T0 + 4 * MIN)?.rule, 'delete_retry');
    assert.equal(decide(failedDelete(), T0 + 4 * HOUR)?.rule, 'delete_retry');
  });

  test('never while a job is in flight (the retry already started)', () => {
    assert.equal(decide(failedDelete({ jobInFlight: true }), T0 + HOUR), null);
  });

  test("a user's delete is never retried automatically", () => {
    assert.equal(decide(failedDelete({ destroyReason: 'user' }), T0 + HOUR), null);
    assert.match(explainWorkspace(failedDelete({ destroyReason: 'user' }), T0).rules.find((r) => r.rule === 'delete_retry')!.detail, /never retried/);
  });

  test('bounded: no retry once the attempts are used up, whatever the state says', () => {
    assert.equal(decide(failedDelete({ deleteAttempts: WORKSPACE_DELETE_ATTEMPTS - 1 }), T0 + HOUR)?.rule, 'delete_retry');
    assert.equal(decide(failedDelete({ deleteAttempts: WORKSPACE_DELETE_ATTEMPTS }), T0 + HOUR), null);
    assert.equal(decide(failedDelete({ state: 'failed', deleteAttempts: WORKSPACE_DELETE_ATTEMPTS, nextAttemptAt: null }), T0 + HOUR), null);
  });

  test('a deleting row without a backoff has its job still to run: not a retry', () => {
    assert.equal(decide(failedDelete({ nextAttemptAt: null, deleteAttempts: 0 }), T0 + HOUR), null);
  });

  test('settings that would destroy again do not jump the queue: a deleting workspace is only retried', () => {
    const v = failedDelete({ autoDestroyAt: T0 - HOUR, autoDestroyInactivityMs: MIN, policy: { stoppedTtlMs: MIN } });
    assert.equal(decide(v, T0), null);
    assert.equal(decide(v, T0 + 4 * MIN)?.rule, 'delete_retry');
  });

  test('explain names the attempt and the instant the backoff ends', () => {
    const r = explainWorkspace(failedDelete(), T0).rules.find((x) => x.rule === 'delete_retry')!;
    assert.equal(r.at, T0 + 4 * MIN);
    assert.equal(r.action, 'delete');
    assert.equal(r.detail, 'retry of the failed auto_destroy_inactivity delete (attempt 3 of 5) when its backoff ends at 2026-03-10T12:04:00.000Z');
  });
});

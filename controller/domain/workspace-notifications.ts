/**
 * The outbox notifications of the workspace lifecycle. Each has a semantic dedupe key naming the event and the
 * instant it is about, so the same event is stored once however often (or on however many replicas) it is
 * decided, while a new deadline or a new attempt is a new event. Payloads carry the subject and the event's data;
 * delivery wraps them.
 */
import { parsePresetId } from './ids';
import { formatLifecycleDuration } from './lifecycle-duration';
import type { DestroyReason, OutboxNotification } from './workspace';

export interface NotificationSubject {
  id: string;
  name: string;
  owner: string;
  presetId: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

function payload(w: NotificationSubject, occurredAt: number, data: Record<string, unknown>): Record<string, unknown> {
  // A malformed stored id must not stop the lifecycle tick for every workspace: the subject keeps it whole.
  const { template, name } = parsePresetId(w.presetId) ?? { template: w.presetId, name: '' };
  return {
    subject: { type: 'workspace', id: w.id, name: w.name, owner: w.owner, template, preset: name },
    occurred_at: iso(occurredAt),
    data,
  };
}

export function autostopReminder(w: NotificationSubject, deadline: number, now: number): OutboxNotification {
  return {
    key: `autostop-reminder:${w.id}:${deadline}`,
    event: 'workspace_autostop_reminder',
    payload: payload(w, now, { deadline: iso(deadline), stops_in: formatLifecycleDuration(Math.max(0, deadline - now)) }),
  };
}

export function autostopped(w: NotificationSubject, deadline: number, now: number): OutboxNotification {
  return {
    key: `autostop:${w.id}:${deadline}`,
    event: 'workspace_autostopped',
    payload: payload(w, now, { deadline: iso(deadline) }),
  };
}

/** `since` is the last activity the dormancy counts from: one notification per idle spell. */
export function dormant(w: NotificationSubject, since: number, now: number, deleteAt: number | null, running: boolean): OutboxNotification {
  return {
    key: `dormant:${w.id}:${since}`,
    event: 'workspace_dormant',
    payload: payload(w, now, { last_used_at: iso(since), stopped: running, delete_at: deleteAt === null ? null : iso(deleteAt) }),
  };
}

export function autoDestroyReminder(w: NotificationSubject, at: number, rule: 'auto_destroy_at' | 'auto_destroy_inactivity', now: number): OutboxNotification {
  return {
    key: `auto-destroy-reminder:${w.id}:${at}`,
    event: 'workspace_auto_destroy_reminder',
    payload: payload(w, now, { auto_destroy_at: iso(at), rule, destroys_in: formatLifecycleDuration(Math.max(0, at - now)) }),
  };
}

/**
 * The outcome of one delete attempt that a policy started. Auto-destroys report as workspace_auto_destroy_result,
 * stopped-TTL and dormant deletes as workspace_deleted; an explicit user delete reports nothing (its caller sees
 * the result). `startedAt` is when the destroy began, `attempt` counts from 1.
 */
export function destroyResult(
  w: NotificationSubject,
  reason: DestroyReason,
  startedAt: number,
  attempt: number,
  outcome: { ok: true } | { ok: false; error: string; willRetry: boolean },
  now: number,
): OutboxNotification | null {
  if (reason === 'user') return null;
  const auto = reason === 'auto_destroy_at' || reason === 'auto_destroy_inactivity';
  const data: Record<string, unknown> = { reason, status: outcome.ok ? 'archived' : 'failed', attempt, started_at: iso(startedAt) };
  if (!outcome.ok) {
    data.error = outcome.error;
    data.will_retry = outcome.willRetry;
  }
  return {
    key: `${auto ? 'auto-destroy' : 'deleted'}:${w.id}:${startedAt}:${attempt}`,
    event: auto ? 'workspace_auto_destroy_result' : 'workspace_deleted',
    payload: payload(w, now, data),
  };
}

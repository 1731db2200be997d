/** One outbox notification of every event type, built by the domain's own payload builders. */
import { presetHardLimited } from '../../../controller/domain/pool-notifications';
import type { DueDelivery } from '../../../controller/domain/notification-target';
import { NOTIFICATION_EVENTS, type NotificationEvent, type OutboxNotification } from '../../../controller/domain/workspace';
import { autoDestroyReminder, autostopped, autostopReminder, destroyResult, dormant } from '../../../controller/domain/workspace-notifications';

export const AT = Date.UTC(2026, 2, 9, 8, 0);
const ws = { id: 'ws-3f2a9c1e', name: 'feature-x', owner: 'alice', presetId: 'devbox/small' };

export const SAMPLES: Record<NotificationEvent, OutboxNotification> = {
  preset_hard_limited: presetHardLimited('devbox/small', 5, 'terraform apply failed: quota exceeded', AT),
  workspace_autostop_reminder: autostopReminder(ws, AT + 30 * 60_000, AT),
  workspace_autostopped: autostopped(ws, AT, AT),
  workspace_dormant: dormant(ws, AT - 7 * 86_400_000, AT, AT + 7 * 86_400_000, true),
  workspace_auto_destroy_reminder: autoDestroyReminder(ws, AT + 86_400_000, 'auto_destroy_at', AT),
  workspace_auto_destroy_result: destroyResult(ws, 'auto_destroy_at', AT, 1, { ok: true }, AT)!,
  workspace_deleted: destroyResult(ws, 'stopped_ttl', AT, 2, { ok: false, error: 'driver exited 1', willRetry: true }, AT)!,
};

// Fails to compile-and-run loudly if an event type is added without a sample.
for (const e of NOTIFICATION_EVENTS) if (!SAMPLES[e]) throw new Error(`no sample for ${e}`);

let nextId = 1;
/** A claimed delivery of `n` (defaults for the loop's bookkeeping). */
export function dueOf(n: OutboxNotification, over: Partial<DueDelivery> = {}): DueDelivery {
  const id = nextId++;
  return {
    id,
    notificationId: id,
    target: 'hook',
    event: n.event,
    key: n.key,
    payload: JSON.stringify(n.payload),
    notificationCreatedAt: AT,
    attempts: 0,
    windowStart: AT,
    lease: 1,
    ...over,
  };
}

/** The controller's live view shows notifications as they are written, so a quickstart without a webhook sees them. */
import { describe, expect, test } from '@jest/globals';
import type { StatusReport } from '../../../controller/api/service';
import type { NotificationEntry } from '../../../controller/domain/notification-target';
import { describeNotification } from '../../../controller/domain/notification-text';
import { autostopReminder, destroyResult, dormant } from '../../../controller/domain/workspace-notifications';
import { presetHardLimited } from '../../../controller/domain/pool-notifications';
import { LiveView, type LiveNotifications } from '../../../controller/view/live-view';

const AT = '2026-03-02T12:00:00.000Z';
const T = Date.parse(AT);
const ws = { id: 'w1', name: 'ws-a1b2', owner: 'alice', presetId: 'devbox/small' };

function entry(id: number, n: { key: string; event: string; payload: Record<string, unknown> }, at = T): NotificationEntry {
  return { id, key: n.key, event: n.event, createdAt: at, payload: n.payload };
}

function report(notifications?: LiveNotifications, at = AT): StatusReport & { notifications?: LiveNotifications } {
  return { at, paused: false, inFlight: 0, inFlightLimit: 8, presets: [], events: [], notifications };
}

describe('sentences', () => {
  test('every event type reads as a sentence naming its subject', () => {
    const reminder = autostopReminder(ws, T + 30 * 60_000, T);
    expect(describeNotification(reminder.event, reminder.payload)).toBe(
      'workspace ws-a1b2 (alice, devbox/small) stops in 30m (at 2026-03-02T12:30:00.000Z) unless it is used',
    );
    const d = dormant(ws, T - 86_400_000, T, T + 7 * 86_400_000, true);
    expect(describeNotification(d.event, d.payload)).toBe(
      'workspace ws-a1b2 (alice, devbox/small) is dormant (unused since 2026-03-01T12:00:00.000Z) and was stopped; deleted at 2026-03-09T12:00:00.000Z unless used',
    );
    const failed = destroyResult(ws, 'auto_destroy_at', T, 2, { ok: false, error: 'exit 1', willRetry: true }, T)!;
    expect(describeNotification(failed.event, failed.payload)).toBe(
      'workspace ws-a1b2 (alice, devbox/small) could not be auto-destroyed (auto_destroy_at), attempt 2: exit 1; retrying',
    );
    const archived = destroyResult(ws, 'stopped_ttl', T, 1, { ok: true }, T)!;
    expect(describeNotification(archived.event, archived.payload)).toBe('workspace ws-a1b2 (alice, devbox/small) was deleted (stopped_ttl) and archived');
    const hard = presetHardLimited('devbox/small', 3, 'exit 2', T);
    expect(describeNotification(hard.event, hard.payload)).toBe(
      'preset devbox/small stopped building after 3 failed builds in a row (last: exit 2); prewarm resume lifts it',
    );
  });

  test('a row written before payloads had a subject, or with fields missing, still reads', () => {
    expect(describeNotification('preset_hard_limited', { preset: 'a/b', failures: 3, last_error: 'x' })).toBe(
      'preset a/b stopped building after 3 failed builds in a row (last: x); prewarm resume lifts it',
    );
    expect(describeNotification('workspace_autostopped', {})).toBe('unknown subject was stopped at its deadline ?');
    expect(describeNotification('something_new', null)).toBe('unknown subject: something_new');
  });
});

describe('live view', () => {
  test('a terminal frame says when no webhook target is configured and shows the latest notifications', () => {
    const chunks: string[] = [];
    const view = new LiveView({ write: (t) => chunks.push(t) }, { tty: true, color: false });
    const entries = [1, 2, 3, 4, 5].map((i) => entry(i, autostopReminder({ ...ws, name: `ws-${i}` }, T + 60_000 * i, T)));
    view.update(report({ entries, targets: 0 }));
    const frame = chunks.join('');
    expect(frame).toContain('Notifications (no webhook target configured: shown here only)');
    expect(frame).not.toContain('ws-1 ');
    for (const i of [2, 3, 4, 5]) expect(frame).toContain(`12:00:00  workspace_autostop_reminder: workspace ws-${i} (alice`);
    view.update(report({ entries, targets: 2 }));
    expect(chunks.join('')).toContain('Notifications (sent to 2 webhook targets)');
  });

  test('in a pipe each new notification is one line, once; those from before the view started are not news', () => {
    const chunks: string[] = [];
    const view = new LiveView({ write: (t) => chunks.push(t) }, { tty: false, color: false });
    const old = entry(7, autostopReminder(ws, T + 60_000, T - 5000), T - 5000);
    view.update(report({ entries: [old], targets: 0 }));
    expect(chunks.join('')).toBe('');
    const fresh = entry(8, presetHardLimited('devbox/small', 3, 'boom', T + 1000), T + 1000);
    view.update(report({ entries: [old, fresh], targets: 0 }));
    view.update(report({ entries: [old, fresh], targets: 0 }));
    expect(chunks.join('')).toBe('12:00:01  notify  preset_hard_limited: preset devbox/small stopped building after 3 failed builds in a row (last: boom); prewarm resume lifts it\n');
  });

  test('control characters in a payload never reach the terminal raw', () => {
    const chunks: string[] = [];
    const view = new LiveView({ write: (t) => chunks.push(t) }, { tty: false, color: false });
    view.update(report({ entries: [], targets: 0 }));
    const evil = entry(1, autostopReminder({ ...ws, owner: 'mal\u001b[31mlory' }, T + 60_000, T));
    view.update(report({ entries: [evil], targets: 0 }));
    expect(chunks.join('')).not.toContain('\u001b');
    expect(chunks.join('')).toContain('mal');
  });
});

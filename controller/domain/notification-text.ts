/**
 * One readable sentence per notification, for people: the live view prints it. Payloads come from the outbox, whose
 * rows may predate this version, so every field is read defensively and a missing one reads as "?".
 */

interface Shape {
  subject?: Record<string, unknown>;
  data?: Record<string, unknown>;
}

const str = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : '?');

/** "workspace ws-1a2b (alice, devbox/small)" or "preset devbox/small". */
export function notificationSubject(payload: unknown): string {
  const subject = (payload as Shape | null)?.subject ?? {};
  if (subject.type === 'workspace') {
    return `workspace ${str(subject.name)} (${str(subject.owner)}, ${str(subject.template)}/${str(subject.preset)})`;
  }
  if (subject.type === 'preset') return `preset ${str(subject.id)}`;
  if (subject.type === 'target') return `target ${str(subject.name)}`;
  // The first hard-limit rows, before payloads had a subject: {preset, failures, last_error}.
  const legacy = (payload as Record<string, unknown> | null)?.preset;
  return typeof legacy === 'string' ? `preset ${legacy}` : 'unknown subject';
}

/** What happened, in words: "workspace ws-1 (alice, devbox/small) stops in 30m (at …)". */
export function describeNotification(event: string, payload: unknown): string {
  const who = notificationSubject(payload);
  const d = ((payload as Shape | null)?.data ?? (payload as Record<string, unknown> | null) ?? {}) as Record<string, unknown>;
  switch (event) {
    case 'preset_hard_limited':
      return `${who} stopped building after ${str(d.failures)} failed builds in a row (last: ${str(d.last_error)}); prewarm resume lifts it`;
    case 'workspace_autostop_reminder':
      return `${who} stops in ${str(d.stops_in)} (at ${str(d.deadline)}) unless it is used`;
    case 'workspace_autostopped':
      return `${who} was stopped at its deadline ${str(d.deadline)}`;
    case 'workspace_dormant':
      return `${who} is dormant (unused since ${str(d.last_used_at)})${d.stopped === true ? ' and was stopped' : ''}${
        typeof d.delete_at === 'string' ? `; deleted at ${d.delete_at} unless used` : ''
      }`;
    case 'workspace_auto_destroy_reminder':
      return `${who} is destroyed in ${str(d.destroys_in)} (at ${str(d.auto_destroy_at)}, ${str(d.rule)})`;
    case 'workspace_auto_destroy_result':
    case 'workspace_deleted': {
      const what = event === 'workspace_deleted' ? `deleted (${str(d.reason)})` : `auto-destroyed (${str(d.reason)})`;
      if (d.status === 'archived') return `${who} was ${what} and archived`;
      return `${who} could not be ${what}, attempt ${str(d.attempt)}: ${str(d.error)}${
        d.will_retry === true ? '; retrying' : '; given up'
      }`;
    }
    case 'test':
      return `${who}: test notification`;
    default:
      return `${who}: ${event}`;
  }
}

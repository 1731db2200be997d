/**
 * What the `prewarm notify` commands print: the target and delivery JSON contracts, readable blocks and tables.
 * Same rules as human-output.ts: JSON keys are snake_case with instants as RFC 3339 UTC (or null); text escapes
 * every stored value. No function here takes a secret: records come from the controller, which never sends one.
 */
import type { DeliveryRecord, NotificationTargetRecord, TestDeliveryResult } from '../domain/notification-target';
import { escapeText as t } from '../domain/text';
import { instant, table } from './human-output';
import { relative } from './workspace-output';

/** The notification target JSON contract (`notify target get --json`, each entry of `notify target list --json`). */
export function targetJson(r: NotificationTargetRecord) {
  return {
    name: r.name,
    url: r.url,
    events: r.events,
    format: r.format,
    enabled: r.enabled,
    created_at: instant(r.createdAt),
    updated_at: instant(r.updatedAt),
  };
}

export function targetText(r: NotificationTargetRecord): string {
  const rows: Array<[string, string]> = [
    ['url', t(r.url)],
    ['events', r.events.map(t).join(', ')],
    ['format', t(r.format)],
    ['enabled', r.enabled ? 'yes' : 'no (gets no deliveries while disabled)'],
    ['secret', 'set (write-only: never shown)'],
    ['created', instant(r.createdAt) ?? '-'],
    ['updated', instant(r.updatedAt) ?? '-'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return [`Notification target ${t(r.name)}`, ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)}  ${v}`)].join('\n') + '\n';
}

export function targetListText(list: NotificationTargetRecord[]): string {
  if (list.length === 0) return 'No notification targets. Add one with: prewarm notify target put --file FILE\n';
  return table(
    ['NAME', 'URL', 'EVENTS', 'FORMAT', 'ENABLED', 'UPDATED'],
    list.map((r) => [r.name, r.url, r.events.join(','), r.format, r.enabled ? 'yes' : 'no', instant(r.updatedAt) ?? '-']),
  );
}

/** The delivery JSON contract (each entry of `notify list --json`, and `notify resend --json`). */
export function deliveryJson(d: DeliveryRecord) {
  return {
    id: d.id,
    notification_id: d.notificationId,
    target: d.target,
    event: d.event,
    key: d.key,
    state: d.state,
    attempts: d.attempts,
    created_at: instant(d.createdAt),
    next_attempt_at: instant(d.nextAttemptAt),
    delivered_at: instant(d.deliveredAt),
    failed_at: instant(d.failedAt),
    last_status: d.lastStatus,
    last_error: d.lastError,
    last_latency_ms: d.lastLatencyMs,
  };
}

/** "HTTP 503 in 40 ms", "no answer after 10000 ms", or "-" before the first attempt. */
function lastAttempt(d: DeliveryRecord): string {
  const took = d.lastLatencyMs === null ? '' : ` ${d.lastStatus === null ? 'after' : 'in'} ${d.lastLatencyMs} ms`;
  if (d.lastStatus !== null) return `HTTP ${d.lastStatus}${took}`;
  return d.attempts > 0 ? `no answer${took}` : '-';
}

/** The instant that matters in the delivery's state, relative to `now` (the CLI's clock: hints only). */
function deliveryWhen(d: DeliveryRecord, now: number): string {
  switch (d.state) {
    case 'pending':
      return d.nextAttemptAt === null ? '-' : d.nextAttemptAt <= now ? 'due now' : `next ${relative(d.nextAttemptAt, now)}`;
    case 'delivered':
      return d.deliveredAt === null ? '-' : relative(d.deliveredAt, now);
    case 'failed':
      return d.failedAt === null ? '-' : `gave up ${relative(d.failedAt, now)}`;
  }
}

export function deliveryListText(list: DeliveryRecord[], now: number, filtered: boolean): string {
  if (list.length === 0) return filtered ? 'No deliveries match.\n' : 'No deliveries.\n';
  return table(
    ['ID', 'TARGET', 'EVENT', 'STATE', 'ATTEMPTS', 'LAST', 'WHEN', 'ERROR'],
    list.map((d) => [String(d.id), d.target, d.event, d.state, String(d.attempts), lastAttempt(d), deliveryWhen(d, now), d.lastError || '-']),
  );
}

export function resendText(d: DeliveryRecord): string {
  return `Delivery ${d.id} (${t(d.event)} to ${t(d.target)}) is pending again and due now; the receiver sees the same key ${t(d.key)}.\n`;
}

export function testResultJson(r: TestDeliveryResult) {
  return { target: r.target, ok: r.ok, status: r.status, latency_ms: r.latencyMs, error: r.error };
}

/**
 * `target ci-hook: HTTP 200 in 12 ms`; a failure adds why. The sender's error for a non-2xx answer starts with the
 * same "HTTP 500" the line already shows, so that part is not repeated.
 */
export function testResultText(r: TestDeliveryResult): string {
  const head = r.status === null ? `no answer after ${r.latencyMs} ms` : `HTTP ${r.status} in ${r.latencyMs} ms`;
  if (r.ok) return `target ${t(r.target)}: ${head}`;
  const prefix = `HTTP ${r.status}: `;
  const why = r.status !== null && r.error.startsWith(prefix) ? r.error.slice(prefix.length) : r.error;
  return `target ${t(r.target)}: ${head}${why === '' ? '' : `: ${t(why)}`}`;
}

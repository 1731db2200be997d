/**
 * What a webhook receives: the JSON body ({id, key, event, occurred_at, subject, data}) or, for targets in the
 * slack format, a Slack-compatible {"text": …} message. Outbox payloads may predate this version (the first
 * hard-limit rows had no subject), so a payload is read defensively: delivery must never stall on a row.
 */
import { describeNotification } from '../domain/notification-text';
import { TEST_EVENT, type DueDelivery, type TargetFormat } from '../domain/notification-target';

/** The parts of a delivery a body is made from. */
export type BodySource = Pick<DueDelivery, 'notificationId' | 'key' | 'event' | 'payload' | 'notificationCreatedAt'>;

export interface WebhookPayload {
  subject: Record<string, unknown>;
  occurred_at: string;
  data: Record<string, unknown>;
}

export interface WebhookJson extends WebhookPayload {
  id: number;
  key: string;
  event: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** {subject, occurred_at, data} from an outbox payload's JSON text; anything missing or malformed falls back. */
export function readPayload(text: string, createdAt: number): WebhookPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const obj = isObject(parsed) ? parsed : {};
  const occurred = typeof obj.occurred_at === 'string' && !Number.isNaN(Date.parse(obj.occurred_at)) ? obj.occurred_at : new Date(createdAt).toISOString();
  if ('subject' in obj || 'data' in obj) {
    return { subject: isObject(obj.subject) ? obj.subject : {}, occurred_at: occurred, data: isObject(obj.data) ? obj.data : {} };
  }
  // The first hard-limit rows were flat ({preset, failures, last_error}): keep what they say as the data.
  const { occurred_at: _ignored, ...rest } = obj;
  const subject = typeof rest.preset === 'string' ? { type: 'preset', id: rest.preset } : {};
  return { subject, occurred_at: occurred, data: rest };
}

export function jsonBody(d: BodySource): WebhookJson {
  return { id: d.notificationId, key: d.key, event: d.event, ...readPayload(d.payload, d.notificationCreatedAt) };
}

const TITLES: Readonly<Record<string, string>> = {
  preset_hard_limited: 'Preset stopped building',
  workspace_autostop_reminder: 'Autostop reminder',
  workspace_autostopped: 'Workspace stopped',
  workspace_dormant: 'Workspace dormant',
  workspace_auto_destroy_reminder: 'Auto-destroy reminder',
  workspace_auto_destroy_result: 'Workspace auto-destroy',
  workspace_deleted: 'Workspace deleted',
  [TEST_EVENT]: 'Test notification',
};

/** Control characters (C0, C1, line separators, bidi overrides) would break or disguise a chat line. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;
/** Slack limits a message's text; a runaway error text from a driver must not make the message be refused. */
const MAX_SLACK_TEXT = 3000;

/** Slack mrkdwn treats &, < and > as markup (links, mentions); user text must show as written. */
function mrkdwnEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One readable line: "*Autostop reminder*: workspace ws-1 (alice, devbox/small) stops in 30m (at …) unless it is used". */
export function slackText(event: string, payload: WebhookPayload): string {
  const title = TITLES[event] ?? event;
  const sentence = describeNotification(event, payload).replace(CONTROL, ' ').replace(/ {2,}/g, ' ').trim();
  let text = `*${mrkdwnEscape(title)}*: ${mrkdwnEscape(sentence)}`;
  if (text.length > MAX_SLACK_TEXT) text = `${text.slice(0, MAX_SLACK_TEXT - 1)}…`;
  return text;
}

/** The request body for a target of `format`. */
export function renderBody(format: TargetFormat, d: BodySource): string {
  if (format === 'slack') return JSON.stringify({ text: slackText(d.event, readPayload(d.payload, d.notificationCreatedAt)) });
  return JSON.stringify(jsonBody(d));
}

/** The test event `prewarm notify test` sends: not in the outbox (id 0), a key of its own each time. */
export function testNotification(target: string, nowMs: number): BodySource {
  return {
    notificationId: 0,
    key: `test:${target}:${nowMs}`,
    event: TEST_EVENT,
    payload: JSON.stringify({
      subject: { type: 'target', name: target },
      occurred_at: new Date(nowMs).toISOString(),
      data: { message: 'prewarm test notification' },
    }),
    notificationCreatedAt: nowMs,
  };
}

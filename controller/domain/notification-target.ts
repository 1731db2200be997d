/**
 * Webhook targets for notifications: where the controller POSTs its outbox events, signed with the target's
 * secret. One validation serves the API, the CLI (`prewarm notify target put --file`) and the provider at plan time.
 */
import { ValidationError, type FieldError, type PathStep } from './errors';
import { describeValue } from './describe';
import { MAX_SECRET_BYTES, MIN_SECRET_CHARS } from './limits';
import { nameProblem } from './names';
import { firstControl, quote } from './text';
import { parseUrlText } from './url-text';
import { NOTIFICATION_EVENTS, type NotificationEvent } from './workspace';

export type TargetFormat = 'json' | 'slack';
export const TARGET_FORMATS: readonly TargetFormat[] = ['json', 'slack'];

/** A target as users write it (HCL and JSON share the names). */
export interface NotificationTargetSpec {
  name: string;
  /** http:// or https://, no credentials in it, no fragment. */
  url: string;
  /** HMAC-SHA256 key of the X-Prewarm-Signature header. Never returned or printed once stored. */
  secret: string;
  /** Event types, or ["*"] for every one. */
  events: string[];
  format: TargetFormat;
  enabled: boolean;
}

/** A target as the controller returns it: everything but the secret. */
export interface NotificationTargetRecord {
  name: string;
  url: string;
  events: string[];
  format: TargetFormat;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

const TARGET_ATTRS = ['name', 'url', 'secret', 'events', 'format', 'enabled'] as const;

/** Whether a target subscribed to `events` receives `event`. */
export function targetWants(events: readonly string[], event: string): boolean {
  return events.includes('*') || events.includes(event);
}

function urlProblem(value: unknown): string | null {
  if (typeof value !== 'string') return `must be a URL string, got ${describeValue(value)}`;
  if (value === '') return 'must not be empty';
  const url = parseUrlText(value, 'an absolute http:// or https:// URL');
  if (typeof url === 'string') return url;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must use http:// or https://, got ${quote(url.protocol.replace(/:$/, ''))}`;
  if (url.username !== '' || url.password !== '') return 'must not contain credentials (user:password@); sign with the secret instead';
  if (url.hash !== '') return `must not have a fragment (#…), got ${quote(value)}`;
  if (url.hostname === '') return `must name a host, got ${quote(value)}`;
  return null;
}

function secretProblem(value: unknown): string | null {
  // By type only: describeValue would print a number or boolean, and a secret written as a number is still secret.
  if (typeof value !== 'string') return `must be a string, got ${typeof value === 'object' ? describeValue(value) : typeof value}`;
  if (value === '') return 'must not be empty: receivers check the signature made with it';
  // The secret is never quoted back: a message must not reveal any of it.
  if ([...value].length < MIN_SECRET_CHARS) return `must be at least ${MIN_SECRET_CHARS} characters`;
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) return `must be at most ${MAX_SECRET_BYTES} bytes`;
  if (firstControl(value) !== null) return 'must not contain control characters';
  return null;
}

function eventsProblems(value: unknown, path: PathStep[]): FieldError[] {
  if (!Array.isArray(value)) return [{ path, message: `must be a list of event types or ["*"], got ${describeValue(value)}` }];
  if (value.length === 0) return [{ path, message: `must name at least one event type, or "*" for all (${NOTIFICATION_EVENTS.join(', ')})` }];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  value.forEach((e, i) => {
    if (typeof e !== 'string') errors.push({ path: [...path, i], message: `must be a string, got ${describeValue(e)}` });
    else if (e !== '*' && !(NOTIFICATION_EVENTS as readonly string[]).includes(e)) {
      errors.push({ path: [...path, i], message: `unknown event type ${quote(e)} (known: *, ${NOTIFICATION_EVENTS.join(', ')})` });
    } else if (seen.has(e)) errors.push({ path: [...path, i], message: `${quote(e)} is listed twice` });
    else seen.add(e);
  });
  if (seen.has('*') && seen.size > 1) errors.push({ path, message: '"*" already means every event type: list it alone' });
  return errors;
}

/**
 * The problems with a target, every one with its path. `isUnknown` skips values Terraform does not know yet at plan
 * time. Defaults (format json, enabled true) apply to absent attributes.
 */
export function validateTargetFields(input: unknown, isUnknown: (v: unknown) => boolean = () => false): FieldError[] {
  if (isUnknown(input)) return [];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return [{ path: [], message: `a notification target must be an object, got ${describeValue(input)}` }];
  const obj = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(obj)) {
    if (!(TARGET_ATTRS as readonly string[]).includes(key)) errors.push({ path: [key], message: `unknown attribute ${quote(key)} (allowed: ${TARGET_ATTRS.join(', ')})` });
  }
  const leaf = (key: string, problem: (v: unknown) => string | null, required: boolean) => {
    const v = obj[key];
    if (isUnknown(v)) return;
    if (v === undefined || v === null) {
      if (required) errors.push({ path: [key], message: 'is required' });
      return;
    }
    const p = problem(v);
    if (p !== null) errors.push({ path: [key], message: p });
  };
  leaf('name', nameProblem, true);
  leaf('url', urlProblem, true);
  leaf('secret', secretProblem, true);
  leaf('format', (v) => (typeof v === 'string' && (TARGET_FORMATS as readonly string[]).includes(v) ? null : `must be "json" or "slack", got ${describeValue(v)}`), false);
  leaf('enabled', (v) => (typeof v === 'boolean' ? null : `must be true or false, got ${describeValue(v)}`), false);
  const events = obj.events;
  if (!isUnknown(events)) {
    if (events === undefined || events === null) errors.push({ path: ['events'], message: 'is required (a list of event types, or ["*"])' });
    else if (!Array.isArray(events) || !events.some(isUnknown)) errors.push(...eventsProblems(events, ['events']));
  }
  return errors;
}

/** Validates and normalizes a target (defaults filled in). Throws ValidationError listing every problem. */
export function parseTargetSpec(input: unknown): NotificationTargetSpec {
  const errors = validateTargetFields(input);
  if (errors.length > 0) throw new ValidationError(errors);
  const obj = input as Record<string, unknown>;
  return {
    name: obj.name as string,
    url: obj.url as string,
    secret: obj.secret as string,
    events: [...(obj.events as string[])],
    format: (obj.format as TargetFormat | undefined) ?? 'json',
    enabled: (obj.enabled as boolean | undefined) ?? true,
  };
}

/** The event a `prewarm notify test` sends; not subscribable, delivered to the one target tested. */
export const TEST_EVENT = 'test';
export type DeliveredEvent = NotificationEvent | typeof TEST_EVENT;

export type DeliveryState = 'pending' | 'delivered' | 'failed';
export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'delivered', 'failed'];

/** One notification's delivery to one target, as `prewarm notify list` shows it. */
export interface DeliveryRecord {
  id: number;
  notificationId: number;
  target: string;
  event: string;
  /** The semantic dedupe key of the notification (X-Prewarm-Delivery). */
  key: string;
  state: DeliveryState;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  /** When it was given up (state failed). */
  failedAt: number | null;
  /** HTTP status of the last attempt (null: no answer: refused, timed out, …). */
  lastStatus: number | null;
  /** Why the last attempt failed, bounded and without control characters. */
  lastError: string;
  lastLatencyMs: number | null;
}

/** Filters of `prewarm notify list`. */
export interface DeliveryFilter {
  state?: DeliveryState;
  target?: string;
  limit?: number;
}

/** What `prewarm notify test` reports. */
export interface TestDeliveryResult {
  target: string;
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string;
}

/** A target as the store keeps it: the secret sealed (AES-256-GCM) and a keyed fingerprint to tell a changed secret. */
export interface StoredTargetInput {
  name: string;
  url: string;
  events: string[];
  format: TargetFormat;
  enabled: boolean;
  /** The secret sealed by the controller's secret box; opaque to the store. */
  sealedSecret: string;
  /** HMAC of the secret under the sealing key: equal fingerprints mean an unchanged secret (a put that changes nothing). */
  secretFingerprint: string;
}

/** What the delivery loop needs of a target. */
export interface DeliveryTarget {
  name: string;
  url: string;
  format: TargetFormat;
  enabled: boolean;
  sealedSecret: string;
}

/** One delivery the loop claimed (leased) to send now. */
export interface DueDelivery {
  id: number;
  notificationId: number;
  target: string;
  event: string;
  key: string;
  /** The outbox row's payload JSON text ({subject, occurred_at, data}). */
  payload: string;
  /** When the notification was written (the state change). */
  notificationCreatedAt: number;
  /** Attempts made before this one. */
  attempts: number;
  /** Start of the retry window (creation or the last resend): give up 24 h after it. */
  windowStart: number;
  /** The lease generation this claim holds; the result is recorded only while it still holds it. */
  lease: number;
}

/** The outcome of one attempt, as the loop decided it (the store does no policy). */
export type DeliveryAttemptOutcome =
  | { kind: 'delivered'; status: number; latencyMs: number }
  | { kind: 'retry'; status: number | null; error: string; latencyMs: number; nextAttemptAt: number }
  | { kind: 'failed'; status: number | null; error: string; latencyMs: number };

/** A notification as the live view and `prewarm status` show it. */
export interface NotificationEntry {
  id: number;
  key: string;
  event: string;
  createdAt: number;
  /** Parsed payload: {subject, occurred_at, data}. */
  payload: Record<string, unknown>;
}

/** Gauges of the outbox. */
export interface OutboxStats {
  /** Notifications not fanned out yet plus deliveries pending. */
  depth: number;
  /** created_at of the oldest notification still waiting (not fanned out, or with a pending delivery); null if none. */
  oldestPendingAt: number | null;
}

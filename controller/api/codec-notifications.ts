/**
 * prewarm.v1 notification messages (targets, deliveries, test results) ↔ the domain, both directions.
 *
 * The secret only travels client → server: NotificationTargetSpec carries it, and NotificationTarget has no field
 * that could hold it, so no record encoder here can send it back even by mistake.
 */
import { create } from '@bufbuild/protobuf';
import * as pb from './gen/prewarm/v1/prewarm_pb';
import type { NotificationTargetInput } from './service';
import { fromInt64, toInt64 } from './codec-int64';
import { deliveryStateEnum } from './codec-enums';
import type { FieldIssues } from './field-issues';
import {
  TARGET_FORMATS,
  type DeliveryRecord,
  type NotificationTargetRecord,
  type TargetFormat,
  type TestDeliveryResult,
} from '../domain/notification-target';

const optionalOut = (v: number | null, what: string) => (v === null ? undefined : toInt64(v, what));
const optionalIn = (v: bigint | undefined, what: string) => (v === undefined ? null : fromInt64(v, what));

/** Client side: the target as the user wrote it, secret included (the only message that carries it). */
export function targetInputToProto(input: NotificationTargetInput): pb.NotificationTargetSpec {
  return create(pb.NotificationTargetSpecSchema, {
    name: input.name ?? '',
    url: input.url ?? '',
    secret: input.secret ?? '',
    events: [...(input.events ?? [])],
    format: input.format,
    enabled: input.enabled,
  });
}

/**
 * Server side: structural checks only. The service validates the target (parseTargetSpec), so a bad field comes
 * back with the same path and message whichever way the target arrived (API, CLI file, Terraform).
 */
export function targetInputFromProto(msg: pb.NotificationTargetSpec | undefined, issues: FieldIssues): NotificationTargetInput {
  if (msg === undefined) {
    issues.add([], 'the request has no notification target');
    return { name: '', url: '', secret: '', events: [] };
  }
  const input: NotificationTargetInput = { name: msg.name, url: msg.url, secret: msg.secret, events: [...msg.events] };
  if (msg.format !== undefined) input.format = msg.format;
  if (msg.enabled !== undefined) input.enabled = msg.enabled;
  return input;
}

export function targetToProto(r: NotificationTargetRecord): pb.NotificationTarget {
  // Field by field, never a spread: a record that somehow carried more (a secret) must not reach the wire.
  return create(pb.NotificationTargetSchema, {
    name: r.name,
    url: r.url,
    events: [...r.events],
    format: r.format,
    enabled: r.enabled,
    createdAt: toInt64(r.createdAt, 'notification target created_at'),
    updatedAt: toInt64(r.updatedAt, 'notification target updated_at'),
  });
}

export function targetFromProto(msg: pb.NotificationTarget | undefined): NotificationTargetRecord {
  if (msg === undefined) throw new Error('the controller sent an empty notification target');
  if (!(TARGET_FORMATS as readonly string[]).includes(msg.format)) {
    throw new Error(`the controller sent notification target ${msg.name} with an unknown format ${JSON.stringify(msg.format.slice(0, 40))}; is this client older than the controller?`);
  }
  return {
    name: msg.name,
    url: msg.url,
    events: [...msg.events],
    format: msg.format as TargetFormat,
    enabled: msg.enabled,
    createdAt: fromInt64(msg.createdAt, 'notification target created_at'),
    updatedAt: fromInt64(msg.updatedAt, 'notification target updated_at'),
  };
}

export function deliveryToProto(d: DeliveryRecord): pb.NotificationDelivery {
  return create(pb.NotificationDeliverySchema, {
    id: toInt64(d.id, 'delivery id'),
    notificationId: toInt64(d.notificationId, 'delivery notification_id'),
    target: d.target,
    event: d.event,
    key: d.key,
    state: deliveryStateEnum.toProto(d.state),
    attempts: toInt64(d.attempts, 'delivery attempts'),
    createdAt: toInt64(d.createdAt, 'delivery created_at'),
    nextAttemptAt: optionalOut(d.nextAttemptAt, 'delivery next_attempt_at'),
    deliveredAt: optionalOut(d.deliveredAt, 'delivery delivered_at'),
    failedAt: optionalOut(d.failedAt, 'delivery failed_at'),
    lastStatus: optionalOut(d.lastStatus, 'delivery last_status'),
    lastError: d.lastError,
    lastLatencyMs: optionalOut(d.lastLatencyMs, 'delivery last_latency_ms'),
  });
}

export function deliveryFromProto(msg: pb.NotificationDelivery | undefined): DeliveryRecord {
  if (msg === undefined) throw new Error('the controller sent an empty delivery');
  return {
    id: fromInt64(msg.id, 'delivery id'),
    notificationId: fromInt64(msg.notificationId, 'delivery notification_id'),
    target: msg.target,
    event: msg.event,
    key: msg.key,
    state: deliveryStateEnum.fromProto(msg.state),
    attempts: fromInt64(msg.attempts, 'delivery attempts'),
    createdAt: fromInt64(msg.createdAt, 'delivery created_at'),
    nextAttemptAt: optionalIn(msg.nextAttemptAt, 'delivery next_attempt_at'),
    deliveredAt: optionalIn(msg.deliveredAt, 'delivery delivered_at'),
    failedAt: optionalIn(msg.failedAt, 'delivery failed_at'),
    lastStatus: optionalIn(msg.lastStatus, 'delivery last_status'),
    lastError: msg.lastError,
    lastLatencyMs: optionalIn(msg.lastLatencyMs, 'delivery last_latency_ms'),
  };
}

export function testResultToProto(r: TestDeliveryResult): pb.TestDeliveryResult {
  return create(pb.TestDeliveryResultSchema, {
    target: r.target,
    ok: r.ok,
    status: optionalOut(r.status, 'test status'),
    // A timer may measure fractions of a millisecond; the wire carries whole ones.
    latencyMs: toInt64(Math.round(r.latencyMs), 'test latency_ms'),
    error: r.error,
  });
}

export function testResultFromProto(msg: pb.TestDeliveryResult | undefined): TestDeliveryResult {
  if (msg === undefined) throw new Error('the controller sent no test result');
  return {
    target: msg.target,
    ok: msg.ok,
    status: optionalIn(msg.status, 'test status'),
    latencyMs: fromInt64(msg.latencyMs, 'test latency_ms'),
    error: msg.error,
  };
}

/**
 * prewarm.v1 Explain and Status responses ↔ the service's ExplainReport and StatusReport, both directions,
 * lossless. Reports are produced by the service, so a value that cannot be encoded or decoded is a bug or a
 * version skew: those throw plain Errors.
 */
import { create } from '@bufbuild/protobuf';
import * as pb from './gen/prewarm/v1/prewarm_pb';
import type { ExplainAction, ExplainPreset, ExplainReport, StatusReport } from './service';
import type { PoolEvent } from '../domain/records';
import type { ReplicaRecord } from '../domain/replica';
import { fromInt64, toInt64 } from './codec-int64';
import { actionTypeEnum, presetStatusEnum } from './codec-enums';

export function explainActionToProto(a: ExplainAction): pb.ExplainAction {
  return create(pb.ExplainActionSchema, {
    type: actionTypeEnum.toProto(a.type),
    count: a.count === undefined ? undefined : toInt64(a.count, 'action count'),
    instanceIds: a.instance_ids === undefined ? undefined : { ids: [...a.instance_ids] },
    reason: a.reason,
    until: a.until,
  });
}

export function explainActionFromProto(msg: pb.ExplainAction): ExplainAction {
  const out: ExplainAction = { type: actionTypeEnum.fromProto(msg.type) };
  if (msg.count !== undefined) out.count = fromInt64(msg.count, 'action count');
  if (msg.instanceIds !== undefined) out.instance_ids = [...msg.instanceIds.ids];
  if (msg.reason !== undefined) out.reason = msg.reason;
  if (msg.until !== undefined) out.until = msg.until;
  return out;
}

export function explainPresetToProto(p: ExplainPreset): pb.ExplainPreset {
  return create(pb.ExplainPresetSchema, {
    template: p.template,
    preset: p.preset,
    desired: toInt64(p.desired, 'desired'),
    desiredSource: p.desired_source,
    ready: toInt64(p.ready, 'ready'),
    starting: toInt64(p.starting, 'starting'),
    expired: toInt64(p.expired, 'expired'),
    outdated: toInt64(p.outdated, 'outdated'),
    claimed: toInt64(p.claimed, 'claimed'),
    failed: toInt64(p.failed, 'failed'),
    status: presetStatusEnum.toProto(p.status),
    paused: p.paused,
    backoffUntil: p.backoff_until ?? undefined,
    actions: p.actions.map(explainActionToProto),
    statusReason: p.status_reason,
  });
}

export function explainPresetFromProto(msg: pb.ExplainPreset): ExplainPreset {
  return {
    template: msg.template,
    preset: msg.preset,
    desired: fromInt64(msg.desired, 'desired'),
    desired_source: msg.desiredSource,
    ready: fromInt64(msg.ready, 'ready'),
    starting: fromInt64(msg.starting, 'starting'),
    expired: fromInt64(msg.expired, 'expired'),
    outdated: fromInt64(msg.outdated, 'outdated'),
    claimed: fromInt64(msg.claimed, 'claimed'),
    failed: fromInt64(msg.failed, 'failed'),
    status: presetStatusEnum.fromProto(msg.status),
    paused: msg.paused,
    backoff_until: msg.backoffUntil ?? null,
    actions: msg.actions.map(explainActionFromProto),
    status_reason: msg.statusReason,
  };
}

export function explainReportToProto(r: ExplainReport): pb.ExplainResponse {
  return create(pb.ExplainResponseSchema, {
    at: r.at,
    paused: r.paused,
    presets: r.presets.map(explainPresetToProto),
  });
}

export function explainReportFromProto(msg: pb.ExplainResponse): ExplainReport {
  return { at: msg.at, paused: msg.paused, presets: msg.presets.map(explainPresetFromProto) };
}

export function statusReportToProto(r: StatusReport): pb.StatusResponse {
  return create(pb.StatusResponseSchema, {
    paused: r.paused,
    inFlight: toInt64(r.inFlight, 'in_flight'),
    inFlightLimit: toInt64(r.inFlightLimit, 'in_flight_limit'),
    presets: r.presets.map(explainPresetToProto),
    events: r.events.map(poolEventToProto),
    at: r.at,
    replicas: (r.replicas ?? []).map(replicaToProto),
  });
}

export function statusReportFromProto(msg: pb.StatusResponse): StatusReport {
  return {
    at: msg.at,
    paused: msg.paused,
    inFlight: fromInt64(msg.inFlight, 'in_flight'),
    inFlightLimit: fromInt64(msg.inFlightLimit, 'in_flight_limit'),
    presets: msg.presets.map(explainPresetFromProto),
    events: msg.events.map(poolEventFromProto),
    replicas: msg.replicas.map(replicaFromProto),
  };
}

function poolEventToProto(e: PoolEvent): pb.PoolEvent {
  return create(pb.PoolEventSchema, {
    at: new Date(e.at).toISOString(),
    presetId: e.presetId,
    instanceId: e.instanceId,
    op: e.op,
    ok: e.ok,
    error: e.error,
    stderrTail: e.stderrTail,
    durationMs: toInt64(e.durationMs, 'event duration_ms'),
  });
}

const EVENT_OPS: ReadonlySet<string> = new Set(['create', 'delete', 'start', 'stop']);

function poolEventFromProto(msg: pb.PoolEvent): PoolEvent {
  const at = Date.parse(msg.at);
  if (!Number.isFinite(at)) throw new Error(`the controller sent an event with a bad time ${JSON.stringify(msg.at.slice(0, 40))}`);
  if (!EVENT_OPS.has(msg.op)) throw new Error(`the controller sent an event with an unknown operation ${JSON.stringify(msg.op.slice(0, 40))}`);
  return {
    at,
    presetId: msg.presetId,
    instanceId: msg.instanceId,
    op: msg.op as PoolEvent['op'],
    ok: msg.ok,
    error: msg.error,
    stderrTail: msg.stderrTail,
    durationMs: fromInt64(msg.durationMs, 'event duration_ms'),
  };
}

export function replicaToProto(r: ReplicaRecord): pb.Replica {
  return create(pb.ReplicaSchema, {
    id: r.id,
    host: r.host,
    pid: toInt64(r.pid, 'replica pid'),
    version: r.version,
    api: r.api,
    startedAt: rfc3339(r.startedAt, 'replica started_at'),
    heartbeatAt: rfc3339(r.heartbeatAt, 'replica heartbeat_at'),
    alive: r.alive,
    leader: r.leader,
    leaseGeneration: r.leaseGeneration === null ? undefined : toInt64(r.leaseGeneration, 'replica lease_generation'),
    leaseExpiresAt: r.leaseExpiresAt === null ? undefined : rfc3339(r.leaseExpiresAt, 'replica lease_expires_at'),
    stoppedAt: r.stoppedAt === null ? undefined : rfc3339(r.stoppedAt, 'replica stopped_at'),
  });
}

export function replicaFromProto(msg: pb.Replica): ReplicaRecord {
  return {
    id: msg.id,
    host: msg.host,
    pid: fromInt64(msg.pid, 'replica pid'),
    version: msg.version,
    api: msg.api,
    startedAt: epochMs(msg.startedAt, 'replica started_at'),
    heartbeatAt: epochMs(msg.heartbeatAt, 'replica heartbeat_at'),
    stoppedAt: msg.stoppedAt === undefined ? null : epochMs(msg.stoppedAt, 'replica stopped_at'),
    alive: msg.alive,
    leader: msg.leader,
    leaseGeneration: msg.leaseGeneration === undefined ? null : fromInt64(msg.leaseGeneration, 'replica lease_generation'),
    leaseExpiresAt: msg.leaseExpiresAt === undefined ? null : epochMs(msg.leaseExpiresAt, 'replica lease_expires_at'),
  };
}

/** Epoch ms → RFC 3339 (millisecond precision, so the round trip is exact). */
function rfc3339(ms: number, what: string): string {
  const date = new Date(ms);
  if (!Number.isInteger(ms) || Number.isNaN(date.getTime())) throw new Error(`cannot encode ${what} = ${ms}: not an instant`);
  return date.toISOString();
}

function epochMs(text: string, what: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new Error(`the controller sent ${what} = ${JSON.stringify(text.slice(0, 40))}, not an RFC 3339 instant`);
  return ms;
}

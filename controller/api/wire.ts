/**
 * The wire layer of prewarm.v1: a grpc-js service definition built from the protobuf-es descriptors, and the
 * conversions between proto messages and the service.ts types (both directions, lossless).
 *
 * Direction conventions:
 * - `*ToProto` for specs runs in the client: numbers that int64 cannot carry exactly become a ValidationError
 *   naming the field, so the caller learns about the bad value before anything is sent.
 * - `*FromProto` for specs runs in the server: it does the structural, wire-level checks (required names,
 *   numbers beyond what a JavaScript number holds) and collects every problem into one ValidationError; the
 *   service still does the semantic validation.
 * - Records (templates, presets, instances, reports) are produced by the service, so a value that cannot be
 *   encoded or decoded is a bug or a version skew, not user error: those throw plain Errors.
 */
import type * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescService, type Message } from '@bufbuild/protobuf';
import * as pb from './gen/prewarm/v1/prewarm_pb';
import { ValidationError, type FieldError, type PathStep } from '../domain/errors';
import type { PresetSpec, PrebuildsSpec, SchedulingSpec, TemplateSpec } from '../domain/specs';
import type { ExplainAction, ExplainPreset, ExplainReport, StatusReport } from './service';
import type { InstanceState, PresetStatus } from '../domain/states';
import type { InstanceRecord, PresetRecord, TemplateRecord } from '../domain/records';
import { presetIdProblem } from '../domain/ids';

// ---------------------------------------------------------------------------------------------------------------
// grpc-js service definition

/** The HTTP/2 path grpc uses for a method: `/prewarm.v1.Prewarm/PutTemplate`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** protobuf-es gives a Uint8Array view; grpc-js wants a Buffer. Wrap without copying. */
export function encodeMessage(schema: DescMessage, message: Message): Buffer {
  const bytes = toBinary(schema, message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One generic definition per method: serialization comes from the descriptor, nothing is per-RPC. */
export function grpcMethodDefinition(method: DescMethod): grpc.MethodDefinition<Message, Message> {
  const streamsIn = method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming';
  const streamsOut = method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming';
  return {
    path: methodPath(method),
    originalName: method.name,
    requestStream: streamsIn,
    responseStream: streamsOut,
    requestSerialize: (value) => encodeMessage(method.input, value),
    requestDeserialize: (bytes) => fromBinary(method.input, bytes),
    responseSerialize: (value) => encodeMessage(method.output, value),
    responseDeserialize: (bytes) => fromBinary(method.output, bytes),
  };
}

/** A grpc-js ServiceDefinition keyed by each method's localName (`putTemplate`, …). */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition<grpc.UntypedServiceImplementation> {
  const definition: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const method of service.methods) definition[method.localName] = grpcMethodDefinition(method);
  return definition;
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers and problems

/** Collects field problems so one response names every bad field, not just the first. */
export class FieldIssues {
  readonly errors: FieldError[] = [];
  add(path: PathStep[], message: string): void {
    this.errors.push({ path, message });
  }
  throwIfAny(): void {
    if (this.errors.length > 0) throw new ValidationError(this.errors);
  }
}

/** A user-supplied number → int64; non-integers and unsafe integers are reported against `path`. */
function specInt64(value: unknown, path: PathStep[], issues: FieldIssues): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  issues.add(path, `must be a whole number, got ${describe(value)}`);
  return 0n;
}

/** A user-supplied int64 → number; values a JavaScript number cannot hold exactly are reported. */
function specNumber(value: bigint, path: PathStep[], issues: FieldIssues): number {
  if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  issues.add(path, `${value} is out of range`);
  return 0;
}

/** A service-produced number → int64; failure is a bug in the producer. */
export function toInt64(value: number, what: string): bigint {
  if (!Number.isSafeInteger(value)) throw new Error(`cannot encode ${what} = ${describe(value)}: not a whole number`);
  return BigInt(value);
}

/** A controller-sent int64 → number; failure means the two sides disagree about the value's range. */
export function fromInt64(value: bigint, what: string): number {
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`the controller sent ${what} = ${value}, beyond what a JavaScript number holds exactly`);
  }
  return Number(value);
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
}

export function requireText(value: string, path: PathStep[], issues: FieldIssues): string {
  if (value.trim() === '') issues.add(path, 'is required');
  return value;
}

/** A preset id (TEMPLATE/NAME); reported against `path` otherwise. */
export function checkPresetId(value: string, path: PathStep[], issues: FieldIssues): string {
  const problem = presetIdProblem(value);
  if (problem !== null) issues.add(path, problem);
  return value;
}

function copyMap(map: Record<string, string> | undefined): Record<string, string> {
  return { ...(map ?? {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// Enums

const presetStatusPairs: ReadonlyArray<[PresetStatus, pb.PresetStatus]> = [
  ['healthy', pb.PresetStatus.HEALTHY],
  ['hard_limited', pb.PresetStatus.HARD_LIMITED],
  ['validation_failed', pb.PresetStatus.VALIDATION_FAILED],
];

const instanceStatePairs: ReadonlyArray<[InstanceState, pb.InstanceState]> = [
  ['pending', pb.InstanceState.PENDING],
  ['starting', pb.InstanceState.STARTING],
  ['ready', pb.InstanceState.READY],
  ['claimed', pb.InstanceState.CLAIMED],
  ['stopping', pb.InstanceState.STOPPING],
  ['stopped', pb.InstanceState.STOPPED],
  ['deleting', pb.InstanceState.DELETING],
  ['deleted', pb.InstanceState.DELETED],
  ['failed', pb.InstanceState.FAILED],
  ['archived', pb.InstanceState.ARCHIVED],
];

const actionTypePairs: ReadonlyArray<[ExplainAction['type'], pb.ActionType]> = [
  ['create', pb.ActionType.CREATE],
  ['delete', pb.ActionType.DELETE],
  ['backoff', pb.ActionType.BACKOFF],
  ['cancel_pending', pb.ActionType.CANCEL_PENDING],
];

/** A two-way lookup that reports unknown values instead of passing them through silently. */
function enumMapping<T extends string, P extends number>(pairs: ReadonlyArray<[T, P]>, what: string) {
  const toPb = new Map<string, P>(pairs);
  const fromPb = new Map<number, T>(pairs.map(([t, p]) => [p, t]));
  return {
    names: pairs.map(([t]) => t),
    toProto(value: T): P {
      const p = toPb.get(value);
      if (p === undefined) throw new Error(`cannot encode ${what} ${JSON.stringify(value)}`);
      return p;
    },
    /** undefined for UNSPECIFIED and values this build does not know. */
    tryFromProto(value: number): T | undefined {
      return fromPb.get(value);
    },
    fromProto(value: number): T {
      const t = fromPb.get(value);
      if (t === undefined) throw new Error(`the controller sent an unknown ${what} (${value}); is this client older than the controller?`);
      return t;
    },
  };
}

export const presetStatusEnum = enumMapping(presetStatusPairs, 'preset status');
export const instanceStateEnum = enumMapping(instanceStatePairs, 'instance state');
export const actionTypeEnum = enumMapping(actionTypePairs, 'action type');

// ---------------------------------------------------------------------------------------------------------------
// Specs

export function templateSpecToProto(spec: TemplateSpec): pb.TemplateSpec {
  return create(pb.TemplateSpecSchema, {
    name: spec.name ?? '',
    driver: spec.driver ?? '',
    config: copyMap(spec.config),
  });
}

/** Server side: structural checks only (the service validates the rest). */
export function templateSpecFromProto(msg: pb.TemplateSpec | undefined, issues: FieldIssues): TemplateSpec {
  if (msg === undefined) {
    issues.add([], 'the request has no template');
    return { name: '', driver: '', config: {} };
  }
  return {
    name: requireText(msg.name, ['name'], issues),
    driver: msg.driver,
    config: copyMap(msg.config),
  };
}

/** Client side; throws a ValidationError naming every number int64 cannot carry. */
export function presetSpecToProto(spec: PresetSpec): pb.PresetSpec {
  const issues = new FieldIssues();
  const msg = create(pb.PresetSpecSchema, {
    template: spec.template ?? '',
    name: spec.name ?? '',
    description: spec.description ?? '',
    isDefault: spec.default ?? false,
    parameters: copyMap(spec.parameters),
    prebuilds: spec.prebuilds == null ? undefined : prebuildsToProto(spec.prebuilds, issues),
  });
  issues.throwIfAny();
  return msg;
}

function prebuildsToProto(p: PrebuildsSpec, issues: FieldIssues): pb.Prebuilds {
  return create(pb.PrebuildsSchema, {
    instances: specInt64(p.instances, ['prebuilds', 'instances'], issues),
    expirationPolicy:
      p.expiration_policy == null
        ? undefined
        : { ttl: specInt64(p.expiration_policy.ttl, ['prebuilds', 'expiration_policy', 'ttl'], issues) },
    scheduling: p.scheduling == null ? undefined : schedulingToProto(p.scheduling, issues),
  });
}

function schedulingToProto(s: SchedulingSpec, issues: FieldIssues): pb.Scheduling {
  return create(pb.SchedulingSchema, {
    timezone: s.timezone ?? '',
    leadTime: s.lead_time ?? undefined,
    schedule: (s.schedule ?? []).map((entry, i) => ({
      cron: entry.cron ?? '',
      instances: specInt64(entry.instances, ['prebuilds', 'scheduling', 'schedule', i, 'instances'], issues),
    })),
  });
}

/** Server side: structural checks only. Optional blocks stay absent (no empty-object defaults). */
export function presetSpecFromProto(msg: pb.PresetSpec | undefined, issues: FieldIssues): PresetSpec {
  if (msg === undefined) {
    issues.add([], 'the request has no preset');
    return { template: '', name: '', description: '', default: false, parameters: {} };
  }
  requireText(msg.template, ['template'], issues);
  requireText(msg.name, ['name'], issues);
  return decodePresetSpec(msg, issues);
}

function decodePresetSpec(msg: pb.PresetSpec, issues: FieldIssues): PresetSpec {
  const spec: PresetSpec = {
    template: msg.template,
    name: msg.name,
    description: msg.description,
    default: msg.isDefault,
    parameters: copyMap(msg.parameters),
  };
  if (msg.prebuilds !== undefined) spec.prebuilds = prebuildsFromProto(msg.prebuilds, issues);
  return spec;
}

function prebuildsFromProto(p: pb.Prebuilds, issues: FieldIssues): PrebuildsSpec {
  const out: PrebuildsSpec = { instances: specNumber(p.instances, ['prebuilds', 'instances'], issues) };
  if (p.expirationPolicy !== undefined) {
    out.expiration_policy = { ttl: specNumber(p.expirationPolicy.ttl, ['prebuilds', 'expiration_policy', 'ttl'], issues) };
  }
  if (p.scheduling !== undefined) {
    const s = p.scheduling;
    const scheduling: SchedulingSpec = {
      timezone: s.timezone,
      schedule: s.schedule.map((entry, i) => ({
        cron: entry.cron,
        instances: specNumber(entry.instances, ['prebuilds', 'scheduling', 'schedule', i, 'instances'], issues),
      })),
    };
    if (s.leadTime !== undefined) scheduling.lead_time = s.leadTime;
    out.scheduling = scheduling;
  }
  return out;
}

/** The spec part of a record (records extend specs; the extra fields must not leak into the spec message). */
function presetSpecOf(r: PresetRecord): PresetSpec {
  const spec: PresetSpec = {
    template: r.template,
    name: r.name,
    description: r.description,
    default: r.default,
    parameters: r.parameters,
  };
  if (r.prebuilds != null) spec.prebuilds = r.prebuilds;
  return spec;
}

/** Records come from the service; a value that does not decode means the two sides disagree. */
function presetSpecFromRecordProto(msg: pb.PresetSpec | undefined, what: string): PresetSpec {
  if (msg === undefined) throw new Error(`the controller sent ${what} without its spec`);
  const issues = new FieldIssues();
  const spec = decodePresetSpec(msg, issues);
  if (issues.errors.length > 0) throw new Error(`the controller sent ${what} with ${new ValidationError(issues.errors).message}`);
  return spec;
}

// ---------------------------------------------------------------------------------------------------------------
// Records

export function templateToProto(r: TemplateRecord): pb.Template {
  return create(pb.TemplateSchema, {
    id: r.id,
    spec: templateSpecToProto(r),
    version: toInt64(r.version, 'template version'),
    createdAt: toInt64(r.createdAt, 'template created_at'),
    updatedAt: toInt64(r.updatedAt, 'template updated_at'),
  });
}

export function templateFromProto(msg: pb.Template | undefined): TemplateRecord {
  if (msg === undefined) throw new Error('the controller sent an empty template');
  if (msg.spec === undefined) throw new Error(`the controller sent template ${msg.id} without its spec`);
  return {
    name: msg.spec.name,
    driver: msg.spec.driver,
    config: copyMap(msg.spec.config),
    id: msg.id,
    version: fromInt64(msg.version, 'template version'),
    createdAt: fromInt64(msg.createdAt, 'template created_at'),
    updatedAt: fromInt64(msg.updatedAt, 'template updated_at'),
  };
}

export function presetToProto(r: PresetRecord): pb.Preset {
  let spec: pb.PresetSpec;
  try {
    spec = presetSpecToProto(presetSpecOf(r));
  } catch (err) {
    throw new Error(`cannot encode preset ${r.id}: ${(err as Error).message}`);
  }
  return create(pb.PresetSchema, {
    id: r.id,
    spec,
    generation: toInt64(r.generation, 'preset generation'),
    paused: r.paused,
    status: presetStatusEnum.toProto(r.status),
    statusReason: r.statusReason,
    invalidatedAt: r.invalidatedAt === null ? undefined : toInt64(r.invalidatedAt, 'preset invalidated_at'),
    createdAt: toInt64(r.createdAt, 'preset created_at'),
    updatedAt: toInt64(r.updatedAt, 'preset updated_at'),
  });
}

export function presetFromProto(msg: pb.Preset | undefined): PresetRecord {
  if (msg === undefined) throw new Error('the controller sent an empty preset');
  return {
    ...presetSpecFromRecordProto(msg.spec, `preset ${msg.id}`),
    id: msg.id,
    generation: fromInt64(msg.generation, 'preset generation'),
    paused: msg.paused,
    status: presetStatusEnum.fromProto(msg.status),
    statusReason: msg.statusReason,
    invalidatedAt: msg.invalidatedAt === undefined ? null : fromInt64(msg.invalidatedAt, 'preset invalidated_at'),
    createdAt: fromInt64(msg.createdAt, 'preset created_at'),
    updatedAt: fromInt64(msg.updatedAt, 'preset updated_at'),
  };
}

export function instanceToProto(r: InstanceRecord): pb.Instance {
  return create(pb.InstanceSchema, {
    id: r.id,
    name: r.name,
    presetId: r.presetId,
    template: r.template,
    preset: r.preset,
    state: instanceStateEnum.toProto(r.state),
    owner: r.owner ?? undefined,
    templateVersion: toInt64(r.templateVersion, 'instance template_version'),
    createdAt: toInt64(r.createdAt, 'instance created_at'),
    readyAt: r.readyAt === null ? undefined : toInt64(r.readyAt, 'instance ready_at'),
    claimedAt: r.claimedAt === null ? undefined : toInt64(r.claimedAt, 'instance claimed_at'),
    attributes: copyMap(r.attributes),
    error: r.error,
  });
}

export function instanceFromProto(msg: pb.Instance | undefined): InstanceRecord {
  if (msg === undefined) throw new Error('the controller sent an empty instance');
  return {
    id: msg.id,
    name: msg.name,
    presetId: msg.presetId,
    template: msg.template,
    preset: msg.preset,
    state: instanceStateEnum.fromProto(msg.state),
    owner: msg.owner ?? null,
    templateVersion: fromInt64(msg.templateVersion, 'instance template_version'),
    createdAt: fromInt64(msg.createdAt, 'instance created_at'),
    readyAt: msg.readyAt === undefined ? null : fromInt64(msg.readyAt, 'instance ready_at'),
    claimedAt: msg.claimedAt === undefined ? null : fromInt64(msg.claimedAt, 'instance claimed_at'),
    attributes: copyMap(msg.attributes),
    error: msg.error,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Explain and status

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
  });
}

export function statusReportFromProto(msg: pb.StatusResponse): StatusReport {
  return {
    paused: msg.paused,
    inFlight: fromInt64(msg.inFlight, 'in_flight'),
    inFlightLimit: fromInt64(msg.inFlightLimit, 'in_flight_limit'),
    presets: msg.presets.map(explainPresetFromProto),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Request fields shared by server-side checks

/** Epoch-ms request field → number, reported against `path` when out of range. */
export function requestInstant(value: bigint, path: PathStep[], issues: FieldIssues): number {
  return specNumber(value, path, issues);
}


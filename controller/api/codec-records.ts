/**
 * prewarm.v1 record messages (Template, Preset, Instance) ↔ the domain records, both directions, lossless. Records
 * are produced by the service, so a value that cannot be encoded or decoded is a bug or a version skew, not user
 * error: those throw plain Errors.
 */
import { create } from '@bufbuild/protobuf';
import * as pb from './gen/prewarm/v1/prewarm_pb';
import { ValidationError } from '../domain/errors';
import type { PresetSpec } from '../domain/specs';
import type { InstanceRecord, PresetRecord, TemplateRecord } from '../domain/records';
import { FieldIssues } from './field-issues';
import { fromInt64, toInt64 } from './codec-int64';
import { instanceStateEnum, presetStatusEnum } from './codec-enums';
import { copyMap, decodePresetSpec, lifecyclePolicyFromProto, presetSpecToProto, templateSpecToProto } from './codec-specs';

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
  const record: TemplateRecord = {
    name: msg.spec.name,
    driver: msg.spec.driver,
    config: copyMap(msg.spec.config),
    id: msg.id,
    version: fromInt64(msg.version, 'template version'),
    createdAt: fromInt64(msg.createdAt, 'template created_at'),
    updatedAt: fromInt64(msg.updatedAt, 'template updated_at'),
  };
  if (msg.spec.lifecyclePolicy !== undefined) record.lifecycle_policy = lifecyclePolicyFromProto(msg.spec.lifecyclePolicy);
  return record;
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


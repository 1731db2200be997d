/**
 * prewarm.v1 spec messages (TemplateSpec, PresetSpec and its prebuilds) ↔ the domain specs, both directions, lossless.
 *
 * - `*ToProto` runs in the client: numbers that int64 cannot carry exactly become a ValidationError naming the
 *   field, so the caller learns about the bad value before anything is sent.
 * - `*FromProto` runs in the server: it does the structural, wire-level checks (required names, numbers beyond
 *   what a JavaScript number holds) and collects every problem into one ValidationError; the service still does
 *   the semantic validation.
 */
import { create } from '@bufbuild/protobuf';
import * as pb from './gen/prewarm/v1/prewarm_pb';
import type { PresetSpec, PrebuildsSpec, SchedulingSpec, TemplateSpec } from '../domain/specs';
import { LIFECYCLE_POLICY_ATTRS, type LifecyclePolicySpec } from '../domain/lifecycle-policy';
import { FieldIssues, requireText } from './field-issues';
import { specInt64, specNumber } from './codec-int64';

/** A string map copied so the message and the spec never share one object. */
export function copyMap(map: Record<string, string> | undefined): Record<string, string> {
  return { ...(map ?? {}) };
}

export function templateSpecToProto(spec: TemplateSpec): pb.TemplateSpec {
  return create(pb.TemplateSpecSchema, {
    name: spec.name ?? '',
    driver: spec.driver ?? '',
    config: copyMap(spec.config),
    lifecyclePolicy: spec.lifecycle_policy == null ? undefined : lifecyclePolicyToProto(spec.lifecycle_policy),
  });
}

/** proto field name (camelCase) of each HCL attribute. */
const POLICY_FIELDS: ReadonlyArray<[keyof LifecyclePolicySpec, keyof pb.LifecyclePolicy]> = LIFECYCLE_POLICY_ATTRS.map((attr) => [
  attr,
  attr.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof pb.LifecyclePolicy,
]);

/**
 * The strings travel as written, not parsed: the service validates them, so a bad duration is reported with the
 * same message and path (['lifecycle_policy', attr]) whichever way the template arrived.
 */
export function lifecyclePolicyToProto(spec: LifecyclePolicySpec): pb.LifecyclePolicy {
  const msg = create(pb.LifecyclePolicySchema);
  for (const [attr, field] of POLICY_FIELDS) {
    const v = spec[attr];
    if (v != null) (msg as unknown as Record<string, string>)[field] = v;
  }
  return msg;
}

/** Absent attributes stay absent (an empty block is an empty object, for the service to judge). */
export function lifecyclePolicyFromProto(msg: pb.LifecyclePolicy): LifecyclePolicySpec {
  const out: LifecyclePolicySpec = {};
  for (const [attr, field] of POLICY_FIELDS) {
    const v = msg[field];
    if (typeof v === 'string') out[attr] = v;
  }
  return out;
}

/** Server side: structural checks only (the service validates the rest). */
export function templateSpecFromProto(msg: pb.TemplateSpec | undefined, issues: FieldIssues): TemplateSpec {
  if (msg === undefined) {
    issues.add([], 'the request has no template');
    return { name: '', driver: '', config: {} };
  }
  const spec: TemplateSpec = {
    name: requireText(msg.name, ['name'], issues),
    driver: msg.driver,
    config: copyMap(msg.config),
  };
  if (msg.lifecyclePolicy !== undefined) spec.lifecycle_policy = lifecyclePolicyFromProto(msg.lifecyclePolicy);
  return spec;
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

/** The fields of a PresetSpec message as a spec, with no required-name checks. */
export function decodePresetSpec(msg: pb.PresetSpec, issues: FieldIssues): PresetSpec {
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

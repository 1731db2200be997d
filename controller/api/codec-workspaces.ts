/**
 * prewarm.v1 Workspace and ExplainWorkspace messages ↔ the domain's WorkspaceRecord and WorkspaceExplainReport,
 * both directions, lossless. Like the other records they are produced by the service, so a value that does not
 * encode or decode is a bug or a version skew: those throw plain Errors.
 */
import { create } from '@bufbuild/protobuf';
import * as pb from './gen/prewarm/v1/prewarm_pb';
import type { WorkspaceExplainReport } from './service';
import { fromInt64, toInt64 } from './codec-int64';
import { instanceFromProto, instanceToProto } from './codec-records';
import type { LifecyclePolicy } from '../domain/lifecycle-policy';
import {
  DESTROY_REASONS,
  type DestroyReason,
  LIFECYCLE_RULES,
  type LifecycleRule,
  type RuleOutlook,
  type WorkspaceOutlook,
  type WorkspaceRecord,
} from '../domain/workspace';

const RULES: readonly LifecycleRule[] = LIFECYCLE_RULES;
const OUTLOOK_ACTIONS: readonly RuleOutlook['action'][] = ['stop', 'delete', 'mark_dormant', 'notify'];

const POLICY_KEYS = [
  'autostopAfterMs',
  'autostopReminderMs',
  'stoppedTtlMs',
  'dormantAfterMs',
  'dormantDeleteAfterMs',
  'autoDestroyReminderMs',
] as const satisfies ReadonlyArray<keyof LifecyclePolicy & keyof pb.WorkspacePolicy>;

const optionalOut = (v: number | null, what: string) => (v === null ? undefined : toInt64(v, what));
const optionalIn = (v: bigint | undefined, what: string) => (v === undefined ? null : fromInt64(v, what));

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`the controller sent an unknown ${what} ${JSON.stringify(value.slice(0, 40))}; is this client older than the controller?`);
  }
  return value as T;
}

export function workspacePolicyToProto(p: LifecyclePolicy): pb.WorkspacePolicy {
  const msg = create(pb.WorkspacePolicySchema);
  for (const key of POLICY_KEYS) msg[key] = optionalOut(p[key], `policy ${key}`);
  return msg;
}

export function workspacePolicyFromProto(msg: pb.WorkspacePolicy | undefined): LifecyclePolicy {
  const out = {} as LifecyclePolicy;
  for (const key of POLICY_KEYS) out[key] = optionalIn(msg?.[key], `policy ${key}`);
  return out;
}

export function workspaceToProto(w: WorkspaceRecord): pb.Workspace {
  return create(pb.WorkspaceSchema, {
    instance: instanceToProto(w),
    dormantAt: optionalOut(w.dormantAt, 'workspace dormant_at'),
    deadline: optionalOut(w.deadline, 'workspace deadline'),
    lastUsedAt: optionalOut(w.lastUsedAt, 'workspace last_used_at'),
    stoppedAt: optionalOut(w.stoppedAt, 'workspace stopped_at'),
    autoDestroyAt: optionalOut(w.autoDestroyAt, 'workspace auto_destroy_at'),
    autoDestroyInactivityMs: optionalOut(w.autoDestroyInactivityMs, 'workspace auto_destroy_inactivity_ms'),
    policy: workspacePolicyToProto(w.policy),
    destroyReason: w.destroyReason ?? undefined,
    archivedAt: optionalOut(w.archivedAt, 'workspace archived_at'),
    nextAttemptAt: optionalOut(w.nextAttemptAt, 'workspace next_attempt_at'),
    deleteAttempts: toInt64(w.deleteAttempts, 'workspace delete_attempts'),
  });
}

export function workspaceFromProto(msg: pb.Workspace | undefined): WorkspaceRecord {
  if (msg === undefined) throw new Error('the controller sent an empty workspace');
  const instance = instanceFromProto(msg.instance);
  if (instance.owner === null) throw new Error(`the controller sent workspace ${instance.id} without an owner`);
  return {
    ...instance,
    owner: instance.owner,
    dormantAt: optionalIn(msg.dormantAt, 'workspace dormant_at'),
    deadline: optionalIn(msg.deadline, 'workspace deadline'),
    lastUsedAt: optionalIn(msg.lastUsedAt, 'workspace last_used_at'),
    stoppedAt: optionalIn(msg.stoppedAt, 'workspace stopped_at'),
    autoDestroyAt: optionalIn(msg.autoDestroyAt, 'workspace auto_destroy_at'),
    autoDestroyInactivityMs: optionalIn(msg.autoDestroyInactivityMs, 'workspace auto_destroy_inactivity_ms'),
    policy: workspacePolicyFromProto(msg.policy),
    destroyReason: msg.destroyReason === undefined ? null : oneOf<DestroyReason>(msg.destroyReason, DESTROY_REASONS, 'destroy reason'),
    archivedAt: optionalIn(msg.archivedAt, 'workspace archived_at'),
    nextAttemptAt: optionalIn(msg.nextAttemptAt, 'workspace next_attempt_at'),
    deleteAttempts: fromInt64(msg.deleteAttempts, 'workspace delete_attempts'),
  };
}

export function ruleOutlookToProto(r: RuleOutlook): pb.RuleOutlook {
  return create(pb.RuleOutlookSchema, { rule: r.rule, action: r.action, at: optionalOut(r.at, `${r.rule} at`), detail: r.detail });
}

export function ruleOutlookFromProto(msg: pb.RuleOutlook): RuleOutlook {
  return {
    rule: oneOf(msg.rule, RULES, 'lifecycle rule'),
    action: oneOf(msg.action, OUTLOOK_ACTIONS, 'lifecycle action'),
    at: optionalIn(msg.at, `${msg.rule} at`),
    detail: msg.detail,
  };
}

export function workspaceExplainToProto(r: WorkspaceExplainReport): pb.ExplainWorkspaceResponse {
  return create(pb.ExplainWorkspaceResponseSchema, {
    workspace: workspaceToProto(r.workspace),
    at: toInt64(r.outlook.at, 'outlook at'),
    next: r.outlook.next === null ? undefined : ruleOutlookToProto(r.outlook.next),
    rules: r.outlook.rules.map(ruleOutlookToProto),
  });
}

export function workspaceExplainFromProto(msg: pb.ExplainWorkspaceResponse): WorkspaceExplainReport {
  const outlook: WorkspaceOutlook = {
    at: fromInt64(msg.at, 'outlook at'),
    next: msg.next === undefined ? null : ruleOutlookFromProto(msg.next),
    rules: msg.rules.map(ruleOutlookFromProto),
  };
  return { workspace: workspaceFromProto(msg.workspace), outlook };
}

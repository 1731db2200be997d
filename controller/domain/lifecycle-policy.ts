/**
 * A template's `lifecycle_policy`: what happens to a claimed instance (a workspace) over time. Every attribute is
 * optional; an absent one turns its rule off. The policy is copied onto a workspace when it is claimed, so a later
 * template change applies to later claims only (a running workspace keeps the rules it was handed out under).
 */
import type { FieldError, PathStep } from './errors';
import { parseLifecycleDuration } from './lifecycle-duration';
import { quote } from './text';

/** The block as users write it (HCL and JSON share the names). */
export interface LifecyclePolicySpec {
  /** Running workspaces stop this long after claim or start; activity moves the deadline to now + this. */
  autostop_after?: string;
  /** One notification this long before the autostop deadline (per deadline value). */
  autostop_reminder?: string;
  /** A stopped workspace is deleted this long after it stopped. */
  stopped_ttl?: string;
  /** No activity for this long: stopped and marked dormant. */
  dormant_after?: string;
  /** Dormant for this long: deleted. */
  dormant_delete_after?: string;
  /** One notification this long before a scheduled or inactivity auto-destroy. */
  auto_destroy_reminder?: string;
}

export const LIFECYCLE_POLICY_ATTRS = [
  'autostop_after',
  'autostop_reminder',
  'stopped_ttl',
  'dormant_after',
  'dormant_delete_after',
  'auto_destroy_reminder',
] as const;

export type LifecyclePolicyAttr = (typeof LIFECYCLE_POLICY_ATTRS)[number];

/** The policy in milliseconds, as the lifecycle core reads it; null = the rule is off. */
export interface LifecyclePolicy {
  autostopAfterMs: number | null;
  autostopReminderMs: number | null;
  stoppedTtlMs: number | null;
  dormantAfterMs: number | null;
  dormantDeleteAfterMs: number | null;
  autoDestroyReminderMs: number | null;
}

export const NO_LIFECYCLE_POLICY: LifecyclePolicy = Object.freeze({
  autostopAfterMs: null,
  autostopReminderMs: null,
  stoppedTtlMs: null,
  dormantAfterMs: null,
  dormantDeleteAfterMs: null,
  autoDestroyReminderMs: null,
});

/**
 * The problems with a lifecycle_policy object whose attributes are already known to be the allowed ones. `path` is
 * where the block sits (['lifecycle_policy']); `isUnknown` skips values Terraform does not know yet at plan time,
 * and every cross-attribute rule that needs one of them.
 */
export function lifecyclePolicyProblems(block: Record<string, unknown>, path: PathStep[], isUnknown: (v: unknown) => boolean): FieldError[] {
  const errors: FieldError[] = [];
  const ms = new Map<LifecyclePolicyAttr, number>();
  const unknown = new Set<LifecyclePolicyAttr>();
  for (const attr of LIFECYCLE_POLICY_ATTRS) {
    const v = block[attr];
    if (isUnknown(v)) {
      unknown.add(attr);
      continue;
    }
    if (v === undefined || v === null) continue;
    try {
      ms.set(attr, parseLifecycleDuration(v));
    } catch (err) {
      errors.push({ path: [...path, attr], message: (err as Error).message });
      unknown.add(attr); // already reported: no cross-attribute rule on it
    }
  }
  const needs = (attr: LifecyclePolicyAttr, base: LifecyclePolicyAttr, what: string) => {
    if (!ms.has(attr) || unknown.has(base)) return;
    const lead = ms.get(attr)!;
    const period = ms.get(base);
    if (period === undefined) errors.push({ path: [...path, attr], message: `needs ${base}: ${what}` });
    else if (lead >= period) errors.push({ path: [...path, attr], message: `must be shorter than ${base} (${quote(String(block[base]))}), got ${quote(String(block[attr]))}` });
  };
  needs('autostop_reminder', 'autostop_after', 'the reminder is sent that long before the autostop deadline');
  if (ms.has('dormant_delete_after') && !unknown.has('dormant_after') && !ms.has('dormant_after')) {
    errors.push({ path: [...path, 'dormant_delete_after'], message: 'needs dormant_after: only dormant workspaces are deleted by it' });
  }
  return errors;
}

/** The policy of a validated spec, in milliseconds. */
export function lifecyclePolicyOf(spec: LifecyclePolicySpec | undefined): LifecyclePolicy {
  if (spec === undefined) return NO_LIFECYCLE_POLICY;
  const get = (v: string | undefined) => (v === undefined ? null : parseLifecycleDuration(v));
  return {
    autostopAfterMs: get(spec.autostop_after),
    autostopReminderMs: get(spec.autostop_reminder),
    stoppedTtlMs: get(spec.stopped_ttl),
    dormantAfterMs: get(spec.dormant_after),
    dormantDeleteAfterMs: get(spec.dormant_delete_after),
    autoDestroyReminderMs: get(spec.auto_destroy_reminder),
  };
}

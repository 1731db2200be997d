/**
 * The user-facing shapes of templates and presets. Attribute names are the HCL names, so the same JSON
 * works for `prewarm preset put --file`, the API and the Terraform provider.
 */
import type { LifecyclePolicySpec } from './lifecycle-policy';

export interface TemplateSpec {
  name: string;
  /** `terraform` or `http` (the built-in kinds), or the name of a program in the controller's driver dir. */
  driver: string;
  config: Record<string, string>;
  /** What happens to workspaces claimed from this template's pools; absent (or with no attribute set) = nothing. */
  lifecycle_policy?: LifecyclePolicySpec;
}

export interface ScheduleSpec {
  cron: string;
  instances: number;
}

export interface SchedulingSpec {
  timezone: string;
  /** A duration such as "30m"; absent means no lead time. */
  lead_time?: string;
  schedule: ScheduleSpec[];
}

export interface ExpirationPolicySpec {
  /** Seconds; 0 disables expiry. */
  ttl: number;
}

export interface PrebuildsSpec {
  instances: number;
  expiration_policy?: ExpirationPolicySpec;
  scheduling?: SchedulingSpec;
}

export interface PresetSpec {
  template: string;
  name: string;
  description: string;
  default: boolean;
  parameters: Record<string, string>;
  prebuilds?: PrebuildsSpec;
}

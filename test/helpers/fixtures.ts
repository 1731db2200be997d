/**
 * The canonical specs tests build on: the "devbox" template and its presets, and the request a driver receives.
 * Each builder returns a fresh object with every required field set; a test overrides only what it is about.
 */
import type { ExplainPreset } from '../../controller/api/service';
import type { PrebuildsSpec, PresetSpec, ScheduleSpec, TemplateSpec } from '../../controller/domain/specs';
import type { DriverRequest } from '../../controller/drivers/exec';

/** The template "devbox" on the localdir example driver, no config. */
export function templateSpec(over: Partial<TemplateSpec> = {}): TemplateSpec {
  return { name: 'devbox', driver: 'localdir', config: {}, ...over };
}

/**
 * The preset "devbox/us-nix" with every optional field at its default and no prebuilds block (give `prebuilds`
 * for a pool).
 */
export function presetSpec(over: Partial<PresetSpec> = {}): PresetSpec {
  return { template: 'devbox', name: 'us-nix', description: '', default: false, parameters: {}, ...over };
}

/** A preset of "devbox" named `name` that keeps a base pool of `instances`. */
export function poolSpec(name: string, instances: number, over: Partial<PresetSpec> = {}): PresetSpec {
  return presetSpec({ name, prebuilds: { instances }, ...over });
}

/**
 * The scheduled pool of the examples: nothing at base, `schedule` (default: 3 instances on weekdays 08:00-18:59) in
 * America/New_York, opened 30 minutes early, instances expiring after a day.
 */
export function scheduledPrebuilds(schedule: ScheduleSpec[] = [{ cron: '* 8-18 * * 1-5', instances: 3 }]): PrebuildsSpec {
  return { instances: 0, expiration_policy: { ttl: 86400 }, scheduling: { timezone: 'America/New_York', lead_time: '30m', schedule } };
}

/** The two windows of the examples' full preset: 3 instances on weekdays 08:00-18:59, 1 on Saturdays 08:00-14:59. */
export function weekdayAndSaturday(): ScheduleSpec[] {
  return [
    { cron: '* 8-18 * * 1-5', instances: 3 },
    { cron: '* 8-14 * * 6', instances: 1 },
  ];
}

/**
 * The examples' full preset as the controller keeps it: devbox/us-nix for region "us" with the scheduled pool on
 * weekdays and Saturdays; description and default at their defaults.
 */
export function scheduledPreset(over: Partial<PresetSpec> = {}): PresetSpec {
  return presetSpec({ parameters: { region: 'us' }, prebuilds: scheduledPrebuilds(weekdayAndSaturday()), ...over });
}

/**
 * The same preset as a user writes it (a preset file, an API request before validation): description and default left
 * out for the validator to fill in.
 */
export function scheduledPresetInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { template: 'devbox', name: 'us-nix', parameters: { region: 'us' }, prebuilds: scheduledPrebuilds(weekdayAndSaturday()), ...over };
}

/** What explain reports for devbox/us-nix at rest: healthy, nothing desired, nothing there, nothing to do. */
export function explainPreset(over: Partial<ExplainPreset> = {}): ExplainPreset {
  return {
    template: 'devbox',
    preset: 'us-nix',
    desired: 0,
    desired_source: 'base',
    ready: 0,
    starting: 0,
    expired: 0,
    outdated: 0,
    claimed: 0,
    failed: 0,
    status: 'healthy',
    status_reason: '',
    paused: false,
    backoff_until: null,
    actions: [],
    ...over,
  };
}

/** What a driver is asked to do for one instance of devbox/us-nix (first attempt, template version 1). */
export function driverRequest(op: DriverRequest['op'] = 'create', over: Partial<DriverRequest> = {}): DriverRequest {
  return {
    op,
    instance: { id: 'inst-0001', name: 'devbox-us-nix-1' },
    template: { name: 'devbox', version: 1 },
    preset: { template: 'devbox', name: 'us-nix' },
    parameters: { region: 'us' },
    config: {},
    attempt: 1,
    jobId: 1,
    ...over,
  };
}

/**
 * The canonical specs tests build on: the "devbox" template and its presets, and the request a driver receives.
 * Each builder returns a fresh object with every required field set; a test overrides only what it is about.
 */
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
    ...over,
  };
}

/**
 * The examples' full preset (scheduledPreset() in test/helpers/fixtures.ts) in the shape Terraform hands the provider:
 * a full prewarm_preset object with nested blocks as lists and parameters as a map.
 */
import type { EncodableValue } from '../../../provider/values';
import { weekdayAndSaturday } from '../../helpers/fixtures';
import { prebuilds, presetObj, scheduling } from '../../helpers/provider-harness';

/** devbox/us-nix for region "us", its scheduled pool open on weekdays and Saturdays; description and default null. */
export function scheduledPresetConfig(over: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return presetObj({ parameters: new Map([['region', 'us']]), prebuilds: [scheduledPrebuildsConfig()], ...over });
}

/** Its prebuilds block: nothing at base, instances expiring after a day, the two windows in America/New_York. */
export function scheduledPrebuildsConfig(over: Record<string, EncodableValue> = {}): Record<string, EncodableValue> {
  return prebuilds({
    instances: 0,
    expiration_policy: [{ ttl: 86400 }],
    scheduling: [scheduling({ lead_time: '30m', schedule: weekdayAndSaturday().map((w) => ({ ...w })) })],
    ...over,
  });
}

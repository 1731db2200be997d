/**
 * Outbox notifications about pools (presets), in the same {subject, occurred_at, data} shape as the workspace ones,
 * so a receiver reads every event the same way.
 */
import { parsePresetId } from './ids';
import type { OutboxNotification } from './workspace';

/** A preset stopped building after `failures` consecutive failed builds; one per time it happens. */
export function presetHardLimited(presetId: string, failures: number, lastError: string, now: number): OutboxNotification {
  const { template, name } = parsePresetId(presetId) ?? { template: presetId, name: '' };
  return {
    key: `preset-hard-limited:${presetId}:${now}`,
    event: 'preset_hard_limited',
    payload: {
      subject: { type: 'preset', id: presetId, template, preset: name },
      occurred_at: new Date(now).toISOString(),
      data: { failures, last_error: lastError },
    },
  };
}

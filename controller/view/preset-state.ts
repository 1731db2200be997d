/**
 * The one line that says what matters about a preset's health: backing off until when, hard limited and why,
 * validation failed and why, paused. status, explain and the live view all print it, so they never disagree.
 */
import type { ExplainPreset } from '../api/service';

export type PresetCondition = 'healthy' | 'backing_off' | 'hard_limited' | 'validation_failed';

export interface PresetState {
  condition: PresetCondition;
  paused: boolean;
  /** The human sentence: "backing off until 2026-03-02T12:01:00.000Z", "hard limited: 3 consecutive …". */
  text: string;
}

/** `at` is the instant the report was taken at (RFC 3339): a backoff that ended before it is not shown. */
export function presetState(p: ExplainPreset, at: string): PresetState {
  const reason = p.status_reason.trim();
  let condition: PresetCondition = 'healthy';
  let text = 'healthy';
  if (p.status === 'validation_failed') {
    condition = 'validation_failed';
    text = `validation failed${reason ? `: ${reason}` : ''}`;
  } else if (p.status === 'hard_limited') {
    condition = 'hard_limited';
    text = `hard limited${reason ? `: ${reason}` : ''}`;
  } else if (p.backoff_until !== null && Date.parse(p.backoff_until) > Date.parse(at)) {
    condition = 'backing_off';
    text = `backing off until ${p.backoff_until} after failed builds`;
  }
  if (p.paused) text = condition === 'healthy' ? 'paused' : `${text} (paused)`;
  return { condition, paused: p.paused, text };
}

export interface BackoffSettings {
  baseMs: number;
  capMs: number;
}

/**
 * Exponential backoff with jitter: base·2^(n-1), capped, then scaled by a factor in [0.8, 1.2) so presets that
 * failed together do not retry together. `random` is injected so tests are deterministic.
 */
export function backoffMs(failures: number, settings: BackoffSettings, random: () => number): number {
  if (failures <= 0) return 0;
  const exp = Math.min(settings.capMs, settings.baseMs * 2 ** Math.min(failures - 1, 40));
  return Math.round(Math.min(settings.capMs, exp * (0.8 + 0.4 * random())));
}

/**
 * When a failed delivery is tried again, and when it is given up: exponential backoff from 10 s doubling to 1 h,
 * jittered so that many deliveries failing together (a receiver outage) do not all return at the same instant,
 * within a 24 h window; the last try lands on the window's end. Pure: time and randomness are passed in.
 */
import type { DeliveryAttemptOutcome, DueDelivery } from '../domain/notification-target';

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_CAP_MS = 3_600_000;
export const RETRY_WINDOW_MS = 24 * 3_600_000;

/** Nominal wait after the `attempts`-th failed attempt (attempts ≥ 1): min(1 h, 10 s × 2^(attempts−1)). */
export function nominalBackoffMs(attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  // Past 2^9 × 10 s the cap has long been reached; clamping the exponent keeps the number finite.
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(n - 1, 30));
}

/** The nominal wait × (0.75 + 0.5 × random()), at most 1 h. `random` returns [0, 1). */
export function backoffMs(attempts: number, random: () => number): number {
  const r = Math.min(1, Math.max(0, random()));
  return Math.min(BACKOFF_CAP_MS, Math.round(nominalBackoffMs(attempts) * (0.75 + 0.5 * r)));
}

/** What a send returned, as far as the policy cares. */
export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string;
  latencyMs: number;
}

/**
 * The outcome of this attempt of `due`: delivered on 2xx; failed when it failed at or after the window's end;
 * otherwise a retry at now + backoff, but never later than the window's end (one last try there).
 */
export function decideOutcome(result: AttemptResult, due: Pick<DueDelivery, 'attempts' | 'windowStart'>, now: number, random: () => number): DeliveryAttemptOutcome {
  if (result.ok && result.status !== null) return { kind: 'delivered', status: result.status, latencyMs: result.latencyMs };
  const deadline = due.windowStart + RETRY_WINDOW_MS;
  const error = result.error === '' ? (result.status === null ? 'no answer' : `HTTP ${result.status}`) : result.error;
  if (now >= deadline) return { kind: 'failed', status: result.status, error, latencyMs: result.latencyMs };
  const nextAttemptAt = Math.min(now + backoffMs(due.attempts + 1, random), deadline);
  return { kind: 'retry', status: result.status, error, latencyMs: result.latencyMs, nextAttemptAt };
}

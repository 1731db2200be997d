import type { PresetStatus } from '../domain/states';
import type { DesiredSource } from '../schedule/desired-result';


export interface ReconcileOptions {
  /** Global cap on driver operations in flight. */
  inFlightLimit: number;
  /** How long failed and stopped pool instances are kept before deletion. */
  retentionMs: number;
  /** Surge bound for rolling replacement, as a fraction of desired (at least 1 instance). */
  surgeFraction: number;
  /** The longest backoff the executor sets; a longer remaining backoff means the clock went backwards. */
  backoffCapMs?: number;
}

export const defaultReconcileOptions: ReconcileOptions = {
  inFlightLimit: 8,
  retentionMs: 60 * 60 * 1000,
  surgeFraction: 0.25,
};

export type DeleteReason =
  | 'surplus'
  | 'expired'
  | 'outdated'
  | 'invalidated'
  | 'retention'
  | 'preset_deleted'
  | 'retry';

export type Action =
  | { type: 'create'; presetId: string; count: number; reason: 'scale' | 'replace' }
  | { type: 'delete'; presetId: string; instanceIds: string[]; reason: DeleteReason }
  | { type: 'backoff'; presetId: string; until: number }
  | { type: 'cancel_pending'; presetId: string; instanceIds: string[] };

export interface PresetCounts {
  /** Ready, unclaimed, neither expired nor outdated. */
  ready: number;
  /** pending + starting pool creates. */
  starting: number;
  /** Ready pool instances past their TTL or built before the last invalidation. */
  expired: number;
  /** Ready pool instances built from an older template version or preset generation. */
  outdated: number;
  claimed: number;
  failed: number;
  stopped: number;
  deleting: number;
}

export interface PresetPlan {
  presetId: string;
  template: string;
  preset: string;
  desired: number;
  desiredSource: DesiredSource | { kind: 'deleted' };
  counts: PresetCounts;
  status: PresetStatus;
  statusReason: string;
  paused: boolean;
  backoffUntil: number | null;
  /** Everything this preset would do on the next tick, before the global budget is applied. */
  actions: Action[];
}

export interface Plan {
  now: number;
  presets: PresetPlan[];
}

/** Actions chosen to run now under the in-flight budget, plus the round-robin cursor for the next tick. */
export interface BudgetedActions {
  actions: Action[];
  nextCursor: number;
}

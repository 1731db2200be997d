import type { CompiledScheduling, DesiredSource } from '../schedule/types';

export type InstanceState =
  | 'pending' // intent written, driver not yet started
  | 'starting' // create driver running
  | 'ready'
  | 'claimed'
  | 'stopping'
  | 'stopped'
  | 'deleting'
  | 'deleted'
  | 'failed'
  | 'archived';

export type PresetStatus = 'healthy' | 'hard_limited' | 'validation_failed';

export interface PoolView {
  /** Base desired count. */
  instances: number;
  /** 0 disables expiry. */
  ttlSeconds: number;
  scheduling: CompiledScheduling | null;
}

/** What the reconciler needs to know about one preset. Times are epoch milliseconds. */
export interface PresetView {
  id: string; // TEMPLATE/NAME
  template: string;
  name: string;
  /** The template's current version; instances built from an older one are outdated. */
  templateVersion: number;
  /** Bumped whenever the preset's own build inputs (parameters) change; older instances are outdated. */
  generation: number;
  /** Soft-deleted preset (or its template was deleted): desired is 0 and every pool instance goes. */
  deleted: boolean;
  paused: boolean;
  status: PresetStatus;
  /** null when the preset has no `prebuilds` block (instances come only from claims). */
  pool: PoolView | null;
  invalidatedAt: number | null;
  consecutiveFailures: number;
  backoffUntil: number | null;
}

export interface InstanceView {
  id: string;
  presetId: string;
  state: InstanceState;
  /** null while the instance belongs to the pool. */
  owner: string | null;
  templateVersion: number;
  generation: number;
  createdAt: number;
  readyAt: number | null;
  failedAt: number | null;
  stoppedAt: number | null;
  /** A driver operation for this instance is pending or running. */
  jobInFlight: boolean;
  /** For `deleting` instances whose delete failed: do not retry before this instant. */
  nextAttemptAt: number | null;
}

export interface Snapshot {
  /** The instant decisions are made for (injected clock, or `explain --at`). */
  now: number;
  /** Global pause: no preset gets any action. */
  paused: boolean;
  presets: PresetView[];
  /** Every non-deleted, non-archived instance, keyed by preset id. */
  instancesByPreset: Map<string, InstanceView[]>;
  /** Driver operations currently pending or running, across all presets. */
  inFlight: number;
}

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
  desiredSource: DesiredSource | { kind: 'deleted' } | { kind: 'paused' };
  counts: PresetCounts;
  status: PresetStatus;
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

/**
 * The snapshot: what the reconcile core reads about presets and instances at one instant. The store
 * produces it, the pure core consumes it; neither knows the other.
 */
import type { CompiledScheduling } from './schedule-window';
import type { InstanceState, PresetStatus } from './states';

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
  /** Why the status is not healthy (empty while healthy). */
  statusReason: string;
  /** null when the preset has no `prebuilds` block (instances come only from claims). */
  pool: PoolView | null;
  invalidatedAt: number | null;
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

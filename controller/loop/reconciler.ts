import type { Clock } from '../clock/clock';
import { LoopBase } from './tick-loop';
import type { Executor } from '../executor/executor';
import type { Logger } from '../log';
import type { ControllerMetrics } from '../ops/metrics';
import { applyBudget, reconcile } from '../reconcile';
import type { Action, Plan, ReconcileOptions } from '../reconcile/types';
import type { Snapshot } from '../domain/snapshot';
import type { Store } from '../store/store';

export interface TickResult {
  snapshot: Snapshot;
  plan: Plan;
  executed: Action[];
  durationMs: number;
}

export interface ReconcilerDeps {
  store: Store;
  clock: Clock;
  executor: Executor;
  options: ReconcileOptions;
  intervalMs: number;
  log: Logger;
  metrics?: ControllerMetrics;
  /** Called after every tick (the --watch printer uses it). */
  onTick?: (result: TickResult) => void;
  /** False while another replica leads: a tick then does nothing (and counts as healthy). Default: always acts. */
  leads?: () => boolean;
}

const housekeepingEveryMs = 60_000;

/**
 * The level-triggered loop: every tick reads the whole state, plans from scratch and runs the budgeted slice.
 * Ticks happen on an interval and soon after anything changes (kick), never two at once.
 */
export class Reconciler extends LoopBase {
  private cursor = 0;
  private lastHousekeeping = 0;
  private lastPlan: Plan | undefined;

  constructor(private readonly deps: ReconcilerDeps) {
    super(deps.clock, deps.intervalMs, (err) => {
      deps.metrics?.reconcileTotal.inc({ result: 'error' });
      deps.log.error('reconcile failed', { error: err });
    });
  }

  /**
   * One cycle: re-drive orphaned jobs, snapshot, plan, run the budgeted actions. While reconciliation is paused
   * globally no new action can come of a cycle, so it ends before the (costly) snapshot and returns undefined.
   * Jobs a crash left unfinished are re-driven even then: they were decided before the pause (a claimer's
   * fallback build among them, with a person waiting), and pause stops new actions, not running ones.
   */
  async tick(): Promise<TickResult | undefined> {
    const { store, clock, executor, options, metrics } = this.deps;
    const started = performance.now();
    if (this.deps.leads && !this.deps.leads()) return undefined;
    await executor.redriveOrphans(options.inFlightLimit - executor.active);
    if (await store.isGloballyPaused()) {
      metrics?.paused.set({}, 1);
      return undefined;
    }
    const snapshot = await store.readSnapshot(clock.now());
    for (const w of store.takeSnapshotWarnings()) this.deps.log.warn(w.message, { preset: w.presetId });
    const plan = reconcile(snapshot, options, this.lastPlan);
    const budget = applyBudget(plan, snapshot.inFlight, options, this.cursor);
    this.cursor = budget.nextCursor;
    await executor.apply(budget.actions);
    // Acting changed the world: look again right away so the status (and --watch) shows the builds starting.
    if (budget.actions.some((a) => a.type !== 'backoff')) this.tickAgain();
    if (snapshot.now - this.lastHousekeeping >= housekeepingEveryMs) {
      this.lastHousekeeping = snapshot.now;
      await store.purgeFinished(snapshot.now);
    }
    const durationMs = performance.now() - started;
    if (metrics) {
      metrics.reconcileDuration.observe(durationMs / 1000);
      metrics.reconcileTotal.inc({ result: 'success' });
      metrics.jobsInFlight.set({}, snapshot.inFlight);
      metrics.paused.set({}, snapshot.paused ? 1 : 0);
    }
    this.lastPlan = plan;
    store.checkpoint();
    const result = { snapshot, plan, executed: budget.actions, durationMs };
    this.deps.onTick?.(result);
    return result;
  }

  /** Fills the per-preset gauges from the last tick's plan (called per scrape). */
  refreshPresetGauges(): void {
    if (this.deps.metrics) presetGauges(this.deps.metrics, this.lastPlan);
  }

  /** What the next tick would do at `at`, without doing it. */
  async preview(at: number): Promise<{ snapshot: Snapshot; plan: Plan; budgeted: Action[] }> {
    const snapshot = await this.deps.store.readSnapshot(at);
    const plan = reconcile(snapshot, this.deps.options);
    const budget = applyBudget(plan, snapshot.inFlight, this.deps.options, this.cursor);
    return { snapshot, plan, budgeted: budget.actions };
  }
}

/**
 * Per-preset gauges are filled from the last plan when /metrics is scraped, not every tick: with thousands of
 * presets, building label sets each tick would be most of a no-op tick's garbage.
 */
export function presetGauges(m: ControllerMetrics, plan: Plan | undefined): void {
  if (!plan) return;
  const live = plan.presets.filter((p) => p.desiredSource.kind !== 'deleted');
  m.desired.replaceAll(live.map((p) => [{ template: p.template, preset: p.preset }, p.desired]));
  m.ready.replaceAll(live.map((p) => [{ template: p.template, preset: p.preset }, p.counts.ready]));
  m.starting.replaceAll(live.map((p) => [{ template: p.template, preset: p.preset }, p.counts.starting]));
  m.presetStatus.replaceAll(live.map((p) => [{ template: p.template, preset: p.preset, status: p.status }, 1]));
}

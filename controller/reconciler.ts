import type { Kysely } from 'kysely';
import type { Clock } from './clock';
import type { Executor } from './executor/executor';
import type { Logger } from './log';
import type { ControllerMetrics } from './ops/metrics';
import { applyBudget, reconcile } from './reconcile';
import type { Action, Plan, ReconcileOptions } from './reconcile/types';
import { purgeFinished } from './store/housekeeping';
import { getMeta, metaKeys } from './store/meta';
import type { Database } from './store/schema';
import { SnapshotReader } from './store/snapshot';
import type { PresetView, Snapshot } from './domain/snapshot';

export interface TickResult {
  snapshot: Snapshot;
  plan: Plan;
  executed: Action[];
  durationMs: number;
}

export interface ReconcilerDeps {
  db: Kysely<Database>;
  clock: Clock;
  executor: Executor;
  options: ReconcileOptions;
  intervalMs: number;
  log: Logger;
  metrics?: ControllerMetrics;
  /** Called after every tick (the --watch printer uses it). */
  onTick?: (result: TickResult) => void;
  /** Store maintenance between ticks (the WAL checkpoint), off the claim path. */
  afterTick?: () => void;
}

const housekeepingEveryMs = 60_000;

/**
 * The level-triggered loop: every tick reads the whole state, plans from scratch and runs the budgeted slice.
 * Ticks happen on an interval and soon after anything changes (kick), never two at once.
 */
export class Reconciler {
  private readonly reader = new SnapshotReader();
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private current: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private lastHousekeeping = 0;
  /** Wall-clock time of the last finished tick, for /readyz. */
  lastTickAt = 0;
  private lastPlan: Plan | undefined;

  constructor(private readonly deps: ReconcilerDeps) {}

  start(): void {
    this.stopped = false;
    this.kick(0);
  }

  /** Ask for a tick soon; coalesces with a tick already scheduled or running. */
  kick(delayMs = 25): void {
    if (this.stopped) return;
    if (this.current) {
      this.again = true;
      return;
    }
    // Keep an earlier tick if one is already due: a steady stream of kicks must not postpone it forever.
    const due = Date.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    this.schedule(delayMs);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = Date.now() + delayMs;
    this.timer = setTimeout(() => this.runLoopTick(), delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }

  private runLoopTick(): void {
    this.timer = undefined;
    this.current = this.tick()
      .then(() => undefined)
      .catch((err) => {
        this.deps.metrics?.reconcileTotal.inc({ result: 'error' });
        this.deps.log.error('reconcile failed', { error: err });
      })
      .finally(() => {
        this.current = undefined;
        if (this.stopped) return;
        const again = this.again;
        this.again = false;
        this.schedule(again ? 25 : this.deps.intervalMs);
      });
  }

  /**
   * One cycle: re-drive orphaned jobs, snapshot, plan, run the budgeted actions. While reconciliation is paused
   * globally nothing can come of a cycle, so it ends before the (costly) snapshot and returns undefined.
   */
  async tick(): Promise<TickResult | undefined> {
    const { db, clock, executor, options, metrics } = this.deps;
    const started = performance.now();
    if ((await getMeta(db, metaKeys.paused)) === '1') {
      metrics?.paused.set({}, 1);
      this.lastTickAt = Date.now();
      return undefined;
    }
    await executor.redriveOrphans(options.inFlightLimit - executor.active);
    const snapshot = await this.reader.read(db, clock.now());
    for (const w of this.reader.warnings.splice(0)) this.deps.log.warn(w.message, { preset: w.presetId });
    const plan = reconcile(snapshot, options);
    const budget = applyBudget(plan, snapshot.inFlight, options, this.cursor);
    this.cursor = budget.nextCursor;
    await executor.apply(budget.actions, presetIndex(snapshot.presets));
    // Acting changed the world: look again right away so the status (and --watch) shows the builds starting.
    if (budget.actions.some((a) => a.type !== 'backoff')) this.again = true;
    if (snapshot.now - this.lastHousekeeping >= housekeepingEveryMs) {
      this.lastHousekeeping = snapshot.now;
      await purgeFinished(db, snapshot.now);
    }
    const durationMs = performance.now() - started;
    this.lastTickAt = Date.now();
    if (metrics) {
      metrics.reconcileDuration.observe(durationMs / 1000);
      metrics.reconcileTotal.inc({ result: 'success' });
      metrics.jobsInFlight.set({}, snapshot.inFlight);
      metrics.paused.set({}, snapshot.paused ? 1 : 0);
    }
    this.lastPlan = plan;
    this.deps.afterTick?.();
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
    const snapshot = await this.reader.read(this.deps.db, at);
    const plan = reconcile(snapshot, this.deps.options);
    const budget = applyBudget(plan, snapshot.inFlight, this.deps.options, this.cursor);
    return { snapshot, plan, budgeted: budget.actions };
  }
}

function presetIndex(presets: readonly PresetView[]): Map<string, PresetView> {
  return new Map(presets.map((p) => [p.id, p]));
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

/**
 * A tiny fake world for multi-tick tests: each tick advances the clock, moves in-flight jobs along
 * (pending → starting after `queueTicks` snapshots → ready after `buildTicks`; deleting → gone after `deleteTicks`), takes a snapshot,
 * reconciles, applies the budget and then applies the chosen actions the way the executor would
 * (cancel removes a pending intent, delete moves ready → deleting, create writes a pending intent).
 */
import { applyBudget, reconcile } from '../../controller/reconcile';
import type { Action, BudgetedActions, Plan, ReconcileOptions } from '../../controller/reconcile/types';
import { MIN, options as mkOptions, snapshot, T0 } from './reconcile-fixtures';
import type { InstanceView, PresetView } from '../../controller/domain/snapshot';

export interface SimOptions {
  /** Ticks from `starting` to `ready` (a create spends its first tick as `pending`). Default 2. */
  buildTicks?: number;
  /** Snapshots a create stays `pending` (queued, driver not started) before it turns `starting`. Default 0. */
  queueTicks?: number;
  /** Ticks a delete stays in `deleting`. Default 1. */
  deleteTicks?: number;
  tickMs?: number;
  start?: number;
  reconcile?: Partial<ReconcileOptions>;
  /** Decide whether the build of a new instance fails when it would turn ready. */
  failBuild?: (i: InstanceView, sim: Sim) => boolean;
}

export interface TickRecord {
  now: number;
  plan: Plan;
  budget: BudgetedActions;
  /** State after the actions were applied. */
  readyAfter: Map<string, number>;
}

interface Progress {
  ticks: number;
}

export class Sim {
  now: number;
  presets: PresetView[];
  instances: InstanceView[] = [];
  cursor = 0;
  readonly opts: ReconcileOptions;
  readonly history: TickRecord[] = [];
  private readonly buildTicks: number;
  private readonly queueTicks: number;
  private readonly deleteTicks: number;
  private readonly tickMs: number;
  private readonly failBuild: SimOptions['failBuild'];
  private readonly progress = new Map<string, Progress>();
  private seq = 0;

  constructor(presets: PresetView[], o: SimOptions = {}) {
    this.presets = presets;
    this.now = o.start ?? T0;
    this.buildTicks = o.buildTicks ?? 2;
    this.queueTicks = o.queueTicks ?? 0;
    this.deleteTicks = o.deleteTicks ?? 1;
    this.tickMs = o.tickMs ?? MIN;
    this.opts = mkOptions(o.reconcile);
    this.failBuild = o.failBuild;
  }

  preset(id: string): PresetView {
    const p = this.presets.find((x) => x.id === id);
    if (p === undefined) throw new Error(`no preset ${id}`);
    return p;
  }

  /** Replace a preset's fields (a config change between ticks). */
  update(id: string, over: Partial<PresetView>): void {
    this.presets = this.presets.map((p) => (p.id === id ? { ...p, ...over } : p));
  }

  add(...instances: InstanceView[]): void {
    this.instances.push(...instances);
  }

  poolOf(presetId: string): InstanceView[] {
    return this.instances.filter((i) => i.presetId === presetId && i.owner === null);
  }

  readyCount(presetId: string): number {
    return this.poolOf(presetId).filter((i) => i.state === 'ready').length;
  }

  /** Claim the oldest ready pool instance (FIFO), as the API would. */
  claim(presetId: string, owner = 'user'): InstanceView | undefined {
    const candidates = this.poolOf(presetId)
      .filter((i) => i.state === 'ready' && !i.jobInFlight)
      .sort((a, b) => (a.readyAt ?? 0) - (b.readyAt ?? 0) || (a.id < b.id ? -1 : 1));
    const i = candidates[0];
    if (i === undefined) return undefined;
    i.owner = owner;
    i.state = 'claimed';
    return i;
  }

  private advanceJobs(): void {
    const keep: InstanceView[] = [];
    for (const i of this.instances) {
      const p = this.progress.get(i.id);
      if (p === undefined) {
        keep.push(i);
        continue;
      }
      p.ticks++;
      if (i.state === 'pending') {
        if (p.ticks > this.queueTicks) {
          i.state = 'starting';
          p.ticks = 0;
        }
      } else if (i.state === 'starting' && p.ticks >= this.buildTicks) {
        this.progress.delete(i.id);
        i.jobInFlight = false;
        if (this.failBuild?.(i, this)) {
          i.state = 'failed';
          i.failedAt = this.now;
        } else {
          i.state = 'ready';
          i.readyAt = this.now;
        }
      } else if (i.state === 'deleting' && p.ticks >= this.deleteTicks) {
        this.progress.delete(i.id);
        continue; // gone
      }
      keep.push(i);
    }
    this.instances = keep;
  }

  private apply(actions: Action[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'cancel_pending': {
          const gone = new Set(a.instanceIds);
          this.instances = this.instances.filter((i) => !(gone.has(i.id) && i.state === 'pending'));
          for (const id of a.instanceIds) this.progress.delete(id);
          break;
        }
        case 'delete':
          for (const id of a.instanceIds) {
            const i = this.instances.find((x) => x.id === id);
            if (i === undefined) throw new Error(`delete of unknown ${id}`);
            if (i.jobInFlight) throw new Error(`double op on ${id}`);
            if (i.owner !== null) throw new Error(`delete of claimed ${id}`);
            i.state = 'deleting';
            i.jobInFlight = true;
            this.progress.set(id, { ticks: 0 });
          }
          break;
        case 'create': {
          const p = this.preset(a.presetId);
          for (let k = 0; k < a.count; k++) {
            const id = `${a.presetId}#${++this.seq}`;
            this.instances.push({
              id,
              presetId: a.presetId,
              state: 'pending',
              owner: null,
              templateVersion: p.templateVersion,
              generation: p.generation,
              createdAt: this.now,
              readyAt: null,
              failedAt: null,
              stoppedAt: null,
              jobInFlight: true,
              nextAttemptAt: null,
            });
            this.progress.set(id, { ticks: 0 });
          }
          break;
        }
        case 'backoff':
          break;
      }
    }
  }

  /** One reconcile tick. The clock advances first (except on the very first call with `advance` false). */
  tick(advance = true): TickRecord {
    if (advance) this.now += this.tickMs;
    this.advanceJobs();
    const snap = snapshot(this.now, this.presets, this.instances);
    const plan = reconcile(snap, this.opts);
    const budget = applyBudget(plan, snap.inFlight, this.opts, this.cursor);
    this.cursor = budget.nextCursor;
    this.apply(budget.actions);
    const readyAfter = new Map<string, number>();
    for (const p of this.presets) readyAfter.set(p.id, this.readyCount(p.id));
    const rec: TickRecord = { now: this.now, plan, budget, readyAfter };
    this.history.push(rec);
    return rec;
  }

  /** Tick until a whole tick plans no driver work for any preset (or `max` ticks); returns ticks run. */
  settle(max = 100): number {
    for (let n = 1; n <= max; n++) {
      const rec = this.tick();
      const idle = rec.plan.presets.every((p) => p.actions.every((a) => a.type === 'backoff'));
      const busy = this.instances.some((i) => i.jobInFlight);
      if (idle && !busy) return n;
    }
    throw new Error(`did not settle in ${max} ticks`);
  }
}

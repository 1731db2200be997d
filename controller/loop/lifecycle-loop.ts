import type { Clock } from '../clock/clock';
import type { AppliedLifecycleAction, LifecycleAction, WorkspaceSnapshot } from '../domain/workspace';
import type { Executor } from '../executor/executor';
import { planLifecycle } from '../lifecycle';
import type { Logger } from '../log';
import type { ControllerMetrics } from '../ops/metrics';
import type { Store } from '../store/store';
import { LoopBase } from './tick-loop';

export interface LifecycleTickResult {
  snapshot: WorkspaceSnapshot;
  actions: LifecycleAction[];
  applied: AppliedLifecycleAction[];
  durationMs: number;
}

export interface LifecycleLoopDeps {
  store: Store;
  clock: Clock;
  executor: Executor;
  intervalMs: number;
  /** The driver-operation budget shared with the reconcile loop. */
  inFlightLimit: number;
  log: Logger;
  metrics?: ControllerMetrics;
  onTick?: (result: LifecycleTickResult) => void;
  /** False while another replica leads: a tick then does nothing (and counts as healthy). Default: always acts. */
  leads?: () => boolean;
}

/**
 * The lifecycle loop: every tick reads the workspaces, lets the pure core decide (at most one action per
 * workspace), applies each decision claim-then-act, and starts the driver jobs that fit the budget. Jobs that do
 * not fit stay pending (their intent is written) and run as the budget frees up; a crash leaves them to be
 * re-driven on the next start.
 */
export class LifecycleLoop extends LoopBase {
  constructor(private readonly deps: LifecycleLoopDeps) {
    super(deps.clock, deps.intervalMs, (err) => {
      deps.metrics?.lifecycleTicks.inc({ result: 'error' });
      deps.log.error('lifecycle tick failed', { error: err });
    });
  }

  /**
   * One cycle. A global pause holds the lifecycle too (no automatic stop, delete or reminder while an operator has
   * paused the controller); explicit user requests still run, and so do jobs already decided.
   */
  async tick(): Promise<LifecycleTickResult | undefined> {
    const { store, clock, executor, metrics, log } = this.deps;
    const started = performance.now();
    if (this.deps.leads && !this.deps.leads()) return undefined;
    if (await store.isGloballyPaused()) {
      await executor.redriveOrphans(this.deps.inFlightLimit - executor.active);
      return undefined;
    }
    const snapshot = await store.readWorkspaces(clock.now());
    const actions = planLifecycle(snapshot);
    const applied = actions.length === 0 ? [] : await store.applyLifecycle(actions, snapshot.now);
    for (const a of applied) {
      metrics?.lifecycleTransitions.inc({ type: a.action.rule, result: a.error !== undefined ? 'error' : a.applied ? 'applied' : 'skipped' });
      if (a.error !== undefined) {
        log.error('lifecycle action failed; it is decided again next tick', { workspace: a.action.workspaceId, rule: a.action.rule, error: a.error });
      } else if (!a.applied) {
        log.debug('lifecycle action skipped: the workspace changed since the snapshot', { workspace: a.action.workspaceId, rule: a.action.rule });
      } else if (a.action.kind === 'remind') {
        log.info('reminder queued', { workspace: a.action.workspaceId, rule: a.action.rule, for: new Date(a.action.marker).toISOString() });
      } else {
        log.info(`workspace ${a.action.kind === 'mark_dormant' ? 'marked dormant' : a.action.kind === 'stop' ? 'stopping' : 'deleting'}`, {
          workspace: a.action.workspaceId,
          rule: a.action.rule,
        });
      }
    }
    // Pending jobs run oldest first within the budget; those that do not fit now run as others finish.
    if (applied.some((a) => a.jobId !== null)) await executor.redriveOrphans(this.deps.inFlightLimit - executor.active);
    const durationMs = performance.now() - started;
    if (metrics) {
      metrics.lifecycleDuration.observe(durationMs / 1000);
      metrics.lifecycleTicks.inc({ result: 'success' });
      workspaceGauges(metrics, snapshot);
    }
    const result = { snapshot, actions, applied, durationMs };
    this.deps.onTick?.(result);
    return result;
  }
}

function workspaceGauges(m: ControllerMetrics, snapshot: WorkspaceSnapshot): void {
  const byState = new Map<string, number>();
  let dormant = 0;
  for (const w of snapshot.workspaces) {
    byState.set(w.state, (byState.get(w.state) ?? 0) + 1);
    if (w.dormantAt !== null) dormant++;
  }
  m.workspaces.replaceAll([...byState].map(([state, n]) => [{ state }, n]));
  m.dormantWorkspaces.set({}, dormant);
}

import type { ExplainAction, ExplainPreset } from '../api/service';
import type { Action, PresetPlan } from '../reconcile/types';

/** The `desired_source` text: which rule produced the desired count. */
export function describeSource(source: PresetPlan['desiredSource']): string {
  switch (source.kind) {
    case 'none':
      return 'none (no prebuilds block)';
    case 'base':
      return 'base';
    case 'deleted':
      return 'deleted';
    case 'schedule':
      return `schedule[${source.index}] "${source.cron}"${source.via === 'lead_time' ? ' via lead_time' : ''}`;
  }
}

export function explainAction(a: Action): ExplainAction {
  switch (a.type) {
    case 'create':
      return { type: 'create', count: a.count, reason: a.reason };
    case 'delete':
      return { type: 'delete', count: a.instanceIds.length, instance_ids: a.instanceIds, reason: a.reason };
    case 'cancel_pending':
      return { type: 'cancel_pending', count: a.instanceIds.length, instance_ids: a.instanceIds };
    case 'backoff':
      return { type: 'backoff', until: new Date(a.until).toISOString() };
  }
}

/**
 * One preset's line of `explain`: the plan's counts plus the actions the next tick would actually run (the
 * budgeted slice). Work the budget defers shows up as a `deferred` pseudo-reason so nothing is hidden.
 */
export function explainPreset(p: PresetPlan, budgeted: readonly Action[]): ExplainPreset {
  const mine = budgeted.filter((a) => a.presetId === p.presetId);
  const actions = mine.map(explainAction);
  for (const type of ['delete', 'create'] as const) {
    const deferred = operations(p.actions, type) - operations(mine, type);
    if (deferred > 0) actions.push({ type, count: deferred, reason: 'deferred: in-flight budget is full' });
  }
  return {
    template: p.template,
    preset: p.preset,
    desired: p.desired,
    desired_source: describeSource(p.desiredSource),
    ready: p.counts.ready,
    starting: p.counts.starting,
    expired: p.counts.expired,
    outdated: p.counts.outdated,
    claimed: p.counts.claimed,
    failed: p.counts.failed,
    status: p.status,
    status_reason: p.statusReason,
    paused: p.paused,
    backoff_until: p.backoffUntil === null ? null : new Date(p.backoffUntil).toISOString(),
    actions,
  };
}

function operations(actions: readonly Action[], type: 'create' | 'delete'): number {
  let n = 0;
  for (const a of actions) {
    if (a.type === 'create' && type === 'create') n += a.count;
    else if (a.type === 'delete' && type === 'delete') n += a.instanceIds.length;
  }
  return n;
}

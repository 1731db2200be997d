/**
 * Fixture builders for the reconcile tests: presets, instances and snapshots that read like the
 * scenario they describe, around a fake clock. Ids are explicit so assertions can name them.
 */
import { FakeClock } from './fake-clock';
import type { Action, Plan, PresetPlan, ReconcileOptions } from '../../controller/reconcile/types';
import type { CompiledScheduling, LocalFields } from '../../controller/domain/schedule-window';
import type { InstanceState } from '../../controller/domain/states';
import type { InstanceView, PoolView, PresetView, Snapshot } from '../../controller/domain/snapshot';

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** Monday 2026-03-02 12:00:00 UTC. */
export const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);

export function clockAt(ms: number = T0): FakeClock {
  return new FakeClock(ms);
}

export const TEST_OPTIONS: ReconcileOptions = {
  inFlightLimit: 1000,
  retentionMs: HOUR,
  surgeFraction: 0.25,
};

export function options(over: Partial<ReconcileOptions> = {}): ReconcileOptions {
  return { ...TEST_OPTIONS, ...over };
}

export function pool(instances: number, ttlSeconds = 0, scheduling: CompiledScheduling | null = null): PoolView {
  return { instances, ttlSeconds, scheduling };
}

type PresetOverrides = Partial<Omit<PresetView, 'id' | 'template' | 'name'>>;

/** A healthy preset at template version 1, generation 1. `id` is "template/name". */
export function preset(id: string, over: PresetOverrides = {}): PresetView {
  const slash = id.indexOf('/');
  const template = slash >= 0 ? id.slice(0, slash) : 'tpl';
  const name = slash >= 0 ? id.slice(slash + 1) : id;
  return {
    id: slash >= 0 ? id : `${template}/${name}`,
    template,
    name,
    templateVersion: 1,
    generation: 1,
    deleted: false,
    paused: false,
    status: 'healthy',
    statusReason: '',
    pool: pool(1),
    invalidatedAt: null,
    backoffUntil: null,
    ...over,
  };
}

type InstanceOverrides = Partial<Omit<InstanceView, 'id' | 'presetId' | 'state'>>;

export function instance(id: string, presetId: string, state: InstanceState, over: InstanceOverrides = {}): InstanceView {
  return {
    id,
    presetId,
    state,
    owner: null,
    templateVersion: 1,
    generation: 1,
    createdAt: T0 - HOUR,
    readyAt: null,
    failedAt: null,
    stoppedAt: null,
    jobInFlight: false,
    nextAttemptAt: null,
    ...over,
  };
}

/** A ready pool instance that became ready at `readyAt` (created 5 minutes earlier unless told). */
export function ready(id: string, presetId: string, readyAt: number, over: InstanceOverrides = {}): InstanceView {
  return instance(id, presetId, 'ready', { createdAt: readyAt - 5 * MIN, readyAt, ...over });
}

export function starting(id: string, presetId: string, over: InstanceOverrides = {}): InstanceView {
  return instance(id, presetId, 'starting', { createdAt: T0 - MIN, jobInFlight: true, ...over });
}

export function pending(id: string, presetId: string, over: InstanceOverrides = {}): InstanceView {
  return instance(id, presetId, 'pending', { createdAt: T0 - MIN, jobInFlight: true, ...over });
}

export function failed(id: string, presetId: string, failedAt: number, over: InstanceOverrides = {}): InstanceView {
  return instance(id, presetId, 'failed', { createdAt: failedAt - 5 * MIN, failedAt, ...over });
}

export function stopped(id: string, presetId: string, stoppedAt: number, over: InstanceOverrides = {}): InstanceView {
  return instance(id, presetId, 'stopped', { createdAt: stoppedAt - HOUR, readyAt: stoppedAt - 50 * MIN, stoppedAt, ...over });
}

export function deleting(id: string, presetId: string, over: InstanceOverrides = {}): InstanceView {
  return instance(id, presetId, 'deleting', { jobInFlight: true, ...over });
}

/** A workspace a user owns (claimed from the pool): the reconciler must never touch or count it. */
export function claimed(
  id: string,
  presetId: string,
  over: InstanceOverrides & { state?: InstanceState } = {},
): InstanceView {
  const { state = 'claimed', ...rest } = over;
  return instance(id, presetId, state, { owner: 'alice', readyAt: T0 - 2 * HOUR, createdAt: T0 - 3 * HOUR, ...rest });
}

/**
 * Coder's "antagonists": a claimed workspace (running and stopped) that must not affect pool counts or
 * actions. Only ids with the given prefix, so several presets can carry their own.
 */
export function antagonists(presetId: string, prefix = 'ant'): InstanceView[] {
  return [
    claimed(`${prefix}-claimed`, presetId),
    claimed(`${prefix}-claimed-stopped`, presetId, { state: 'stopped', stoppedAt: T0 - 10 * DAY }),
    claimed(`${prefix}-claimed-ready`, presetId, { state: 'ready', readyAt: T0 - 10 * DAY, templateVersion: 0 }),
  ];
}

export function snapshot(
  now: number,
  presets: PresetView[],
  instances: InstanceView[],
  extra: { paused?: boolean; inFlight?: number } = {},
): Snapshot {
  const byPreset = new Map<string, InstanceView[]>();
  for (const i of instances) {
    let list = byPreset.get(i.presetId);
    if (list === undefined) byPreset.set(i.presetId, (list = []));
    list.push(i);
  }
  return {
    now,
    paused: extra.paused ?? false,
    presets,
    instancesByPreset: byPreset,
    inFlight: extra.inFlight ?? instances.filter((i) => i.jobInFlight).length,
  };
}

export function presetPlan(plan: Plan, presetId: string): PresetPlan {
  const p = plan.presets.find((x) => x.presetId === presetId);
  if (p === undefined) throw new Error(`no plan for ${presetId}`);
  return p;
}

/** Compact, order-preserving rendering of actions for deepEqual assertions. */
export type Short =
  | ['create', number, 'scale' | 'replace']
  | ['delete', string, string[]]
  | ['backoff', number]
  | ['cancel', string[]];

export function short(actions: readonly Action[]): Short[] {
  return actions.map((a): Short => {
    switch (a.type) {
      case 'create':
        return ['create', a.count, a.reason];
      case 'delete':
        return ['delete', a.reason, a.instanceIds];
      case 'backoff':
        return ['backoff', a.until];
      case 'cancel_pending':
        return ['cancel', a.instanceIds];
    }
  });
}

/**
 * A hand-built CompiledScheduling in UTC: each window is an inclusive hour range on the given weekdays
 * (all days when omitted). Tests that need real cron text use compileScheduling instead.
 */
export function hourWindows(
  windows: { from: number; to: number; instances: number; weekdays?: number[] }[],
  leadTimeMs = 0,
  timezone = 'UTC',
): CompiledScheduling {
  return {
    timezone,
    leadTimeMs,
    schedules: windows.map((w) => ({
      cron: `* ${w.from}-${w.to} * * ${w.weekdays ? w.weekdays.join(',') : '*'}`,
      instances: w.instances,
      matches: (l: LocalFields) =>
        l.hour >= w.from && l.hour <= w.to && (w.weekdays === undefined || w.weekdays.includes(l.weekday)),
    })),
  };
}

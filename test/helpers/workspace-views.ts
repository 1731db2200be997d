/**
 * Builders for the lifecycle core's input: workspace views and snapshots that read like the scenario they
 * describe. Every instant is a UTC epoch millisecond (Date.UTC / ISO strings with Z), so nothing depends on the
 * process time zone.
 */
import assert from 'node:assert/strict';
import { NO_LIFECYCLE_POLICY, type LifecyclePolicy } from '../../controller/domain/lifecycle-policy';
import type { LifecycleAction, WorkspaceSnapshot, WorkspaceView } from '../../controller/domain/workspace';
import { planLifecycle } from '../../controller/lifecycle';

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** Tuesday 2026-03-10 12:00:00 UTC. */
export const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);

/** An instant from an ISO string that must carry its zone (a bare local time would depend on the machine's). */
export function utc(iso: string): number {
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(iso)) throw new Error(`test instant without a zone: ${iso}`);
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test instant: ${iso}`);
  return ms;
}

export function policy(over: Partial<LifecyclePolicy> = {}): LifecyclePolicy {
  return { ...NO_LIFECYCLE_POLICY, ...over };
}

export type ViewOverrides = Partial<Omit<WorkspaceView, 'policy'>> & { policy?: Partial<LifecyclePolicy> };

/**
 * A running workspace claimed an hour before T0 and last used then, with no policy and no settings: nothing is
 * ever due for it until an override arms a rule.
 */
export function view(over: ViewOverrides = {}): WorkspaceView {
  const { policy: p, ...rest } = over;
  const id = rest.id ?? 'ws-1';
  return {
    id,
    rev: 7,
    name: `dev-${id}`,
    owner: 'alice',
    presetId: 'devbox/small',
    state: 'claimed',
    jobInFlight: false,
    claimedAt: T0 - HOUR,
    readyAt: T0 - HOUR,
    lastUsedAt: T0 - HOUR,
    deadline: null,
    stoppedAt: null,
    dormantAt: null,
    autoDestroyAt: null,
    autoDestroyInactivityMs: null,
    remindedDeadline: null,
    destroyRemindedAt: null,
    destroyReason: null,
    nextAttemptAt: null,
    deleteAttempts: 0,
    ...rest,
    policy: policy(p),
  };
}

/** A stopped workspace: stopped at `stoppedAt`, no deadline. */
export function stoppedView(stoppedAt: number, over: ViewOverrides = {}): WorkspaceView {
  return view({ state: 'stopped', stoppedAt, deadline: null, ...over });
}

export function snapshot(now: number, ...workspaces: WorkspaceView[]): WorkspaceSnapshot {
  return { now, workspaces };
}

/** The one action the core decides for `v` at `now`, or null; asserts it never decides more than one. */
export function decide(v: WorkspaceView, now: number): LifecycleAction | null {
  const actions = planLifecycle(snapshot(now, v));
  assert.ok(actions.length <= 1, `more than one action for one workspace: ${JSON.stringify(actions)}`);
  return actions[0] ?? null;
}

/** mulberry32: a tiny seeded PRNG, so a failing random case is reproduced by its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALL_STATES: readonly WorkspaceView['state'][] = ['pending', 'starting', 'ready', 'claimed', 'claimed', 'claimed', 'stopping', 'stopped', 'stopped', 'stopped', 'deleting', 'deleting', 'failed'];
const REASONS: readonly (WorkspaceView['destroyReason'])[] = [null, 'user', 'auto_destroy_at', 'auto_destroy_inactivity', 'dormant_delete', 'stopped_ttl'];

/**
 * A random view around `now`: instants within a few days either side, each setting on or off, markers sometimes
 * equal to the instant they mark (already reminded), rare holds. Not necessarily a state the store would produce:
 * the core must still give one consistent answer for it.
 */
export function randomView(rand: () => number, now: number, id: string): WorkspaceView {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const maybe = <T>(p: number, f: () => T): T | null => (rand() < p ? f() : null);
  const around = () => now + Math.round((rand() - 0.6) * 4 * DAY);
  const span = () => pick([SEC, MIN, 30 * MIN, HOUR, 8 * HOUR, DAY, 7 * DAY]) + (rand() < 0.2 ? Math.floor(rand() * HOUR) : 0);
  const state = pick(ALL_STATES);
  const deadline = maybe(0.6, around);
  const v = view({
    id,
    rev: Math.floor(rand() * 1000),
    state,
    jobInFlight: rand() < 0.08,
    claimedAt: maybe(0.9, () => now - Math.floor(rand() * 5 * DAY)),
    lastUsedAt: maybe(0.85, () => now - Math.floor(rand() * 5 * DAY)),
    deadline,
    stoppedAt: maybe(0.5, around),
    dormantAt: maybe(0.3, around),
    autoDestroyAt: maybe(0.3, around),
    autoDestroyInactivityMs: maybe(0.3, span),
    destroyReason: pick(REASONS),
    nextAttemptAt: maybe(0.25, around),
    deleteAttempts: Math.floor(rand() * 6),
    policy: {
      autostopAfterMs: maybe(0.6, span),
      autostopReminderMs: maybe(0.5, span),
      stoppedTtlMs: maybe(0.5, span),
      dormantAfterMs: maybe(0.5, span),
      dormantDeleteAfterMs: maybe(0.5, span),
      autoDestroyReminderMs: maybe(0.5, span),
    },
  });
  // Markers equal to the instant they mark are the interesting case (already reminded), so make them common.
  v.remindedDeadline = rand() < 0.3 ? deadline : maybe(0.2, around);
  const target = [v.autoDestroyAt, v.lastUsedAt !== null && v.autoDestroyInactivityMs !== null ? v.lastUsedAt + v.autoDestroyInactivityMs : null]
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b)[0];
  v.destroyRemindedAt = rand() < 0.3 && target !== undefined ? target : maybe(0.2, around);
  return v;
}

/**
 * What the store and a successful driver job do with an action, collapsed into one step (claim-then-act and the
 * job result together): enough to run the core tick after tick. A delete archives: the workspace leaves the
 * snapshot (null).
 */
export function applyAction(v: WorkspaceView, a: LifecycleAction, now: number): WorkspaceView | null {
  if (a.workspaceId !== v.id || a.rev !== v.rev) return v; // the conditional update matches nothing
  const next = { ...v, rev: v.rev + 1 };
  switch (a.kind) {
    case 'stop':
      return { ...next, state: 'stopped', stoppedAt: now, deadline: null, nextAttemptAt: null, dormantAt: a.rule === 'dormancy' ? now : v.dormantAt };
    case 'mark_dormant':
      return { ...next, dormantAt: now };
    case 'delete':
      return null;
    case 'remind':
      return a.rule === 'autostop_reminder' ? { ...next, remindedDeadline: a.marker } : { ...next, destroyRemindedAt: a.marker };
  }
}

/** Reported activity, as the store applies it. */
export function activity(v: WorkspaceView, now: number): WorkspaceView {
  const after = v.policy.autostopAfterMs;
  const deadline = v.state === 'claimed' && v.deadline !== null && after !== null ? Math.max(v.deadline, now + after) : v.deadline;
  return { ...v, rev: v.rev + 1, lastUsedAt: now, deadline, dormantAt: null };
}

import type { LifecyclePolicySpec } from '../../controller/domain/lifecycle-policy';
import type { WorkspaceRecord } from '../../controller/domain/workspace';
import type { FailurePolicy, JobResult } from '../../controller/store/jobs';
import type { SqlStore } from '../../controller/store/store';
import { poolSpec, templateSpec } from './fixtures';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export const poolPolicy: FailurePolicy = { failureHardLimit: 3, createBackoffMs: () => 1000, deleteRetryMs: () => 500 };

/** The template "devbox" with `policy` and its pool preset "devbox/ws" (no instances until `readyInstances`). */
export async function workspaceFixture(store: SqlStore, policy: LifecyclePolicySpec | undefined, now: number): Promise<void> {
  await store.putTemplate(templateSpec({ lifecycle_policy: policy }), now);
  await store.putPreset(poolSpec('ws', 0), now);
}

export const ok = (attributes: Record<string, string> = {}): JobResult => ({ kind: 'ok', attributes, stderr: '' });
export const fail = (message = 'driver said no'): JobResult => ({ kind: 'retryable', message, exitCode: 1, stderr: message });

/** Runs a pending job to its result, as the executor would. */
export async function runJob(store: SqlStore, jobId: number, result: JobResult, now: number): Promise<void> {
  const ctx = await store.startJob(jobId, now);
  if (!ctx) throw new Error(`job ${jobId} is not runnable`);
  await store.finishJob(ctx, result, now, poolPolicy);
}

/** `n` ready pool instances of devbox/ws, built at `now`. */
export async function readyInstances(store: SqlStore, n: number, now: number): Promise<string[]> {
  const intents = await store.insertCreateIntents('devbox/ws', n, now);
  for (const i of intents) await runJob(store, i.jobId, ok({ host: i.instanceId }), now);
  return intents.map((i) => i.instanceId);
}

/** A workspace claimed from the pool at `now` (a ready instance is built for it first). */
export async function claimedWorkspace(
  store: SqlStore,
  now: number,
  over: { owner?: string; autoDestroyAt?: number | null; autoDestroyInactivityMs?: number | null } = {},
): Promise<WorkspaceRecord> {
  await readyInstances(store, 1, now);
  const w = await store.claim({ presetId: 'devbox/ws', template: 'devbox', owner: over.owner ?? 'alice', now, ...over });
  if (!w) throw new Error('nothing to claim');
  return w;
}

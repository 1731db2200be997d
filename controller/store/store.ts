/**
 * The store as the rest of the controller sees it: one interface of use-case-sized operations, each a
 * single transaction. Nothing above this file builds a query; the service, the executor, the reconcile loop
 * and the token setup depend on `Store` alone.
 */
import type { InstanceRecord, PoolEvent, PresetRecord, PutOptions, TemplateRecord } from '../domain/records';
import type { Snapshot } from '../domain/snapshot';
import type { PresetSpec, TemplateSpec } from '../domain/specs';
import type {
  DeliveryAttemptOutcome,
  DeliveryFilter,
  DeliveryRecord,
  DeliveryTarget,
  DueDelivery,
  NotificationEntry,
  NotificationTargetRecord,
  OutboxStats,
  StoredTargetInput,
} from '../domain/notification-target';
import type { InstanceState } from '../domain/states';
import type {
  AppliedLifecycleAction,
  AutoDestroyChange,
  LifecycleAction,
  WorkspaceFilter,
  WorkspaceOp,
  WorkspaceRecord,
  WorkspaceSnapshot,
  WorkspaceView,
} from '../domain/workspace';
import type { LeaderLease, ReplicaIdentity, ReplicaRecord } from '../domain/replica';
import { type ActivityCall, activityRefused, reportActivitySync } from './activity';
import { applyChunk, LIFECYCLE_CHUNK } from './lifecycle-apply';
import { fulfilled, settle, SyncBatcher } from './sync-batcher';
import { readOneWorkspace, WorkspaceReader } from './workspace-reader';
import * as workspaces from './workspaces';
import { type ClaimCall, claimReadyInstance } from './claims';
import { type Connection, type OpenOptions, openConnection } from './connection';
import { inTransaction } from './db';
import * as replicas from './replicas';
import { type Expression, type Kysely, sql, type Transaction } from 'kysely';
import * as deliveries from './deliveries';
import { purgeFinished } from './housekeeping';
import * as targets from './notification-targets';
import {
  buildTargetOf,
  cancelPendingIntents,
  currentBuildTarget,
  getInstance,
  insertCreateIntents,
  insertDeleteIntent,
  instanceRecord,
  type Intent,
  listInstances,
  resolveInstance,
} from './instances';
import { type Fence, type FailurePolicy, type FinishEffects, finishJob, type JobContext, type JobResult, recentEvents, startJob, type UnfinishedJob, unfinishedJobs } from './jobs';
import { getMeta, metaKeys, setMeta, setMetaIfAbsent } from './meta';
import * as presets from './presets';
import type { Database, InstanceRow } from './tables';
import { SnapshotReader, type SnapshotWarning } from './snapshot-reader';
import * as templates from './templates';

export interface Stored<T> {
  record: T;
  /** False when the put was identical to what was stored (nothing changed, no version bump). */
  changed: boolean;
}

export interface Store {
  /** Human description for logs, e.g. `sqlite:/abs/prewarm.db` (never a password). */
  readonly description: string;
  /**
   * True when several controllers may share this database (PostgreSQL): they then elect a leader through the lease,
   * and the leader's writes are fenced. SQLite has one controller (the file lock), which always leads.
   */
  readonly shared: boolean;
  /** Directory next to the database file, for state that belongs with it (driver state, by default). */
  readonly dataDir: string;
  /**
   * True while the store answers a read of every table the reconcile loop reads, and no query since the open met
   * a damaged page (it stays false then, until a restart runs the integrity check again).
   */
  ping(): Promise<boolean>;
  /** Store maintenance between ticks, off the claim path (the SQLite WAL checkpoint). */
  checkpoint(): void;
  close(): Promise<void>;

  putTemplate(spec: TemplateSpec, now: number, opts?: PutOptions): Promise<Stored<TemplateRecord>>;
  getTemplate(name: string): Promise<TemplateRecord>;
  listTemplates(): Promise<TemplateRecord[]>;
  deleteTemplate(name: string, now: number): Promise<void>;

  putPreset(spec: PresetSpec, now: number, opts?: PutOptions): Promise<Stored<PresetRecord>>;
  getPreset(id: string): Promise<PresetRecord>;
  listPresets(template?: string): Promise<PresetRecord[]>;
  deletePreset(id: string, now: number): Promise<void>;
  setPresetPaused(id: string, paused: boolean, now: number): Promise<void>;
  /** Unpauses and lifts hard_limited / validation_failed and the backoff. */
  resumePreset(id: string, now: number): Promise<void>;
  invalidatePreset(id: string, now: number): Promise<number>;

  isGloballyPaused(): Promise<boolean>;
  setGloballyPaused(paused: boolean): Promise<void>;
  /** The stored SHA-256 of the API token (hex), if any. */
  tokenHash(): Promise<string | undefined>;
  setTokenHash(hex: string): Promise<void>;
  /** Stores the hash unless one is stored already (replicas starting together); false when one was. */
  setTokenHashIfAbsent(hex: string): Promise<boolean>;

  /** Adds or refreshes this process's replica row. */
  registerReplica(replica: ReplicaIdentity): Promise<void>;
  heartbeat(replicaId: string): Promise<void>;
  /** Marks the replica stopped and releases its lease (another replica takes over at once). */
  retireReplica(replicaId: string): Promise<void>;
  /** Replicas heard from within a day, oldest first, with who leads (a read: it writes nothing). */
  listReplicas(): Promise<ReplicaRecord[]>;
  /**
   * Takes or renews the leader lease for `ttlMs` (the database's clock on PostgreSQL); null while another replica
   * holds it. A take starts a new generation.
   */
  acquireLeadership(holder: string, ttlMs: number, opts?: { takeOverLostSession?: boolean }): Promise<LeaderLease | null>;
  releaseLeadership(holder: string): Promise<void>;
  /**
   * The lease the leader-only writes (intents, job starts and results) are fenced by from now on; null: they are
   * refused (this replica does not lead). SQLite, with one controller, ignores it.
   */
  setFence(lease: LeaderLease | null): void;
  /**
   * Tells the leader that this replica wrote job intents it does not run itself (a claim's fallback build, a user's
   * stop), so it starts them now rather than at its next tick. No-op with one controller.
   */
  announceJobs(): Promise<void>;
  /** Calls `listener` when another replica announces jobs (best effort: the leader's ticks pick them up anyway). */
  onJobsAnnounced(listener: () => void): void;

  /**
   * The oldest ready instance of the pool, atomically, as a workspace: owner, last_used_at and the lifecycle fields
   * are set in the same transaction (the template's policy at this moment, the autostop deadline, the workspace's
   * own destroy settings from `call`). Undefined when the pool has none.
   */
  claim(call: ClaimCall): Promise<WorkspaceRecord | undefined>;
  /**
   * A build for a claimer (owner and lifecycle fields set from the start, the deadline once the build is ready),
   * with its job intent; NotFoundError for an unknown preset.
   */
  insertClaimBuild(presetId: string, owner: string, now: number, settings?: AutoDestroyChange): Promise<{ instance: WorkspaceRecord; jobId: number }>;

  /** A workspace by id, 8+ character id prefix or name (archived included); a pool instance is a ConflictError. */
  getWorkspace(ref: string): Promise<WorkspaceRecord>;
  /** Workspaces, oldest claim first; archived ones only when the filter asks. */
  listWorkspaces(filter: WorkspaceFilter): Promise<WorkspaceRecord[]>;
  /**
   * Activity on a workspace: last_used_at = now, the deadline of a running workspace moves to now + autostop_after
   * when that is later, dormancy is cleared. ConflictError for a pool instance or an archived/deleting workspace.
   */
  reportActivity(ref: string, now: number): Promise<WorkspaceRecord>;
  /** Changes the workspace's own destroy settings (already validated; instants in ms). */
  setAutoDestroy(ref: string, change: AutoDestroyChange, now: number): Promise<WorkspaceRecord>;
  /**
   * A user's start, stop or delete, as one conditional transaction: the state moves and the driver job intent is
   * written together. jobId is null when nothing needs doing (already in or heading to that state). ConflictError
   * when the state forbids it (with the state in the message).
   */
  requestWorkspaceOp(ref: string, op: WorkspaceOp, now: number): Promise<{ record: WorkspaceRecord; jobId: number | null }>;
  /** What the lifecycle core reads: every workspace that is not archived or deleted, decided for instant `now`. */
  readWorkspaces(now: number): Promise<WorkspaceSnapshot>;
  /**
   * One workspace's view, as readWorkspaces maps it, read from its row and its jobs now (not from the mirror, which
   * may be a tick old, and without a read of every workspace); null when the id is no live workspace (archived,
   * deleted, unowned or unknown). `now` as for readWorkspaces: the view is the row's whatever the instant.
   */
  readWorkspace(id: string, now: number): Promise<WorkspaceView | null>;
  /** Applies the core's actions, each claim-then-act in its own conditional transaction (see LifecycleAction). */
  applyLifecycle(actions: readonly LifecycleAction[], now: number): Promise<AppliedLifecycleAction[]>;
  /**
   * The instance `ref` names: its full id, a prefix of 8 or more characters of the id, or its name (deleted and
   * archived instances included). Several matches are a ConflictError listing a few; a shorter prefix is a
   * ValidationError on `id`; none is a NotFoundError.
   */
  resolveInstance(ref: string): Promise<InstanceRecord>;
  listInstances(filter: { presetId?: string; state?: InstanceState }): Promise<InstanceRecord[]>;

  /** Pool create intents for the preset's current build target; none when the preset can no longer build. */
  insertCreateIntents(presetId: string, count: number, now: number): Promise<Intent[]>;
  /** A delete intent, or null when the instance changed under us (claimed, already deleting). */
  insertDeleteIntent(instanceId: string, now: number): Promise<Intent | null>;
  cancelPendingIntents(instanceIds: string[], now: number): Promise<number>;
  /**
   * The oldest `limit` pending or running jobs (the intents to drive or re-drive), with only what deciding to start
   * one needs.
   */
  unfinishedJobs(limit: number): Promise<UnfinishedJob[]>;
  jobsInFlight(): Promise<number>;
  startJob(jobId: number, now: number): Promise<JobContext | null>;
  finishJob(ctx: JobContext, result: JobResult, now: number, policy: FailurePolicy): Promise<FinishEffects>;

  /** One consistent view of everything the reconcile core reads, decided for instant `now`. */
  readSnapshot(now: number): Promise<Snapshot>;
  /** Problems found while building snapshots since the last call (stored schedules that no longer compile). */
  takeSnapshotWarnings(): SnapshotWarning[];
  /** Notifications not fanned out plus deliveries pending, and the age of the oldest waiting one. */
  outboxStats(now: number): Promise<OutboxStats>;

  // Notification targets and deliveries. Secrets arrive sealed; the store never sees one in the clear.
  /** Creates or replaces a target; createOnly → ConflictError when it exists. changed=false when nothing differs. */
  putNotificationTarget(t: StoredTargetInput, now: number, opts?: PutOptions): Promise<Stored<NotificationTargetRecord>>;
  /** NotFoundError naming the target when unknown. */
  getNotificationTarget(name: string): Promise<NotificationTargetRecord>;
  listNotificationTargets(): Promise<NotificationTargetRecord[]>;
  /** Removes the target and its deliveries (pending ones are dropped). NotFoundError when unknown. */
  deleteNotificationTarget(name: string): Promise<void>;
  /** Every target with its sealed secret, for the delivery loop. */
  deliveryTargets(): Promise<DeliveryTarget[]>;
  /**
   * Fans out up to `limit` notifications not fanned out yet (oldest first), in one transaction: one pending delivery
   * (due now, window starting now) per enabled target whose events match, and fanned_out_at = now. Returns how many
   * notifications it fanned out (with or without a matching target).
   */
  fanOutNotifications(now: number, limit: number): Promise<number>;
  /**
   * Leases due deliveries: for each target in `slots`, up to that many pending deliveries with next_attempt_at <= now
   * whose lease is free or expired (oldest due first), each given lease_until = leaseUntil and a new lease generation.
   */
  claimDeliveries(slots: ReadonlyMap<string, number>, now: number, leaseUntil: number): Promise<DueDelivery[]>;
  /** Records an attempt (attempts + 1, last status/error/latency, the new state); false when the lease was lost. */
  recordDeliveryAttempt(id: number, lease: number, outcome: DeliveryAttemptOutcome, now: number): Promise<boolean>;
  /** Frees leases still held (a stopping controller's unfinished sends), so a restart sends them at once. */
  releaseDeliveries(leases: ReadonlyArray<{ id: number; lease: number }>): Promise<void>;
  /** Deliveries, newest first (filter.limit, default 100, at most 1000). */
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]>;
  /** Makes a delivery pending and due now with a fresh 24 h window and 0 attempts; NotFoundError when unknown. */
  resendDelivery(id: number, now: number): Promise<DeliveryRecord>;
  /** Notifications with an id above `afterId`, oldest first, at most `limit` (the live view's feed). */
  notificationsAfter(afterId: number, limit: number): Promise<NotificationEntry[]>;
  /** The `limit` newest notifications, newest first. */
  recentNotifications(limit: number): Promise<NotificationEntry[]>;
  /** The `limit` most recently finished driver operations (of one preset, if given), newest first. */
  recentEvents(limit: number, presetId?: string): Promise<PoolEvent[]>;
  /** Removes history past its retention. */
  purgeFinished(now: number): Promise<void>;
}

export interface StoreOptions extends OpenOptions {
  /** Times the snapshot mirror's periodic full reload (the store takes no other dependency for it). */
  clock: { now(): number };
}

export async function openStore(url: string, options: StoreOptions): Promise<SqlStore> {
  if (isPostgresUrl(url)) {
    // Loaded only for PostgreSQL: a SQLite controller never pays for the pg driver.
    const { openPostgresStore } = await import('./postgres-store');
    return openPostgresStore(url, options);
  }
  return new SqliteStore(await openConnection(url, options), options.clock);
}

/**
 * The Store over a kysely connection: everything but the few paths each database runs its own way (claims, activity,
 * the lifecycle reads and writes, the lease's clock and fence), which the subclasses give. `db` stays visible to the
 * store's own tests.
 */
export abstract class SqlStore implements Store {
  abstract readonly shared: boolean;
  private readonly reader: SnapshotReader;
  protected readonly workspaceReader: WorkspaceReader;

  constructor(
    readonly db: Kysely<Database>,
    readonly description: string,
    readonly dataDir: string,
    protected readonly clock: { now(): number },
  ) {
    this.reader = new SnapshotReader(clock);
    this.workspaceReader = new WorkspaceReader(clock);
  }

  abstract ping(): Promise<boolean>;
  abstract checkpoint(): void;
  abstract close(): Promise<void>;
  /** The claim statement: the oldest ready instance of the pool, atomically, or undefined. */
  protected abstract claimRow(call: ClaimCall): Promise<InstanceRow | undefined>;
  /** The activity statement for one full id; undefined when it matched no live workspace. */
  protected abstract activityRow(call: ActivityCall): Promise<InstanceRow | undefined>;
  abstract readWorkspaces(now: number): Promise<WorkspaceSnapshot>;
  abstract readWorkspace(id: string, now: number): Promise<WorkspaceView | null>;
  abstract applyLifecycle(actions: readonly LifecycleAction[], now: number): Promise<AppliedLifecycleAction[]>;
  /** The instant for replica and lease rows: the database's clock where several controllers share it. */
  protected abstract dbNow(): Expression<number>;
  /** Run first in every leader-only write transaction; undefined: nothing to check (one controller). */
  protected abstract get fence(): Fence | undefined;
  abstract setFence(lease: LeaderLease | null): void;

  /** One transaction for a leader-only write, fenced. */
  protected fenced<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const fence = this.fence;
    return inTransaction(this.db, async (trx) => {
      await fence?.(trx);
      return fn(trx);
    });
  }

  putTemplate(spec: TemplateSpec, now: number, opts: PutOptions = {}): Promise<Stored<TemplateRecord>> {
    return templates.putTemplate(this.db, spec, now, opts);
  }
  async getTemplate(name: string): Promise<TemplateRecord> {
    return templates.templateRecord(await templates.getLiveTemplate(this.db, name));
  }
  listTemplates(): Promise<TemplateRecord[]> {
    return templates.listTemplates(this.db);
  }
  deleteTemplate(name: string, now: number): Promise<void> {
    return templates.deleteTemplate(this.db, name, now);
  }

  putPreset(spec: PresetSpec, now: number, opts: PutOptions = {}): Promise<Stored<PresetRecord>> {
    return presets.putPreset(this.db, spec, now, opts);
  }
  async getPreset(id: string): Promise<PresetRecord> {
    return presets.presetRecord(await presets.getLivePreset(this.db, id));
  }
  listPresets(template?: string): Promise<PresetRecord[]> {
    return presets.listPresets(this.db, template);
  }
  deletePreset(id: string, now: number): Promise<void> {
    return presets.deletePreset(this.db, id, now);
  }
  setPresetPaused(id: string, paused: boolean, now: number): Promise<void> {
    return presets.setPresetPaused(this.db, id, paused, now);
  }
  resumePreset(id: string, now: number): Promise<void> {
    return presets.resumePreset(this.db, id, now);
  }
  invalidatePreset(id: string, now: number): Promise<number> {
    return presets.invalidatePreset(this.db, id, now);
  }

  async isGloballyPaused(): Promise<boolean> {
    return (await getMeta(this.db, metaKeys.paused)) === '1';
  }
  setGloballyPaused(paused: boolean): Promise<void> {
    return setMeta(this.db, metaKeys.paused, paused ? '1' : '0');
  }
  tokenHash(): Promise<string | undefined> {
    return getMeta(this.db, metaKeys.tokenHash);
  }
  setTokenHash(hex: string): Promise<void> {
    return setMeta(this.db, metaKeys.tokenHash, hex);
  }
  setTokenHashIfAbsent(hex: string): Promise<boolean> {
    return setMetaIfAbsent(this.db, metaKeys.tokenHash, hex);
  }

  /**
   * Where the replica and lease rows are written: on PostgreSQL a small pool of its own, so a renewal never queues
   * behind a burst of API requests and lets the lease run out under load.
   */
  protected get leaseDb(): Kysely<Database> {
    return this.db;
  }
  registerReplica(replica: ReplicaIdentity): Promise<void> {
    return replicas.registerReplica(this.leaseDb, replica, this.dbNow());
  }
  heartbeat(replicaId: string): Promise<void> {
    return replicas.heartbeat(this.leaseDb, replicaId, this.dbNow());
  }
  retireReplica(replicaId: string): Promise<void> {
    return replicas.retireReplica(this.leaseDb, replicaId, this.dbNow());
  }
  listReplicas(): Promise<ReplicaRecord[]> {
    return replicas.listReplicas(this.db, this.dbNow(), REPLICA_STALE_MS, REPLICA_FORGET_MS);
  }
  async acquireLeadership(holder: string, ttlMs: number, opts: { takeOverLostSession?: boolean } = {}): Promise<LeaderLease | null> {
    const lease = await replicas.acquireLease(this.leaseDb, holder, ttlMs, this.dbNow(), {
      holderGone: opts.takeOverLostSession ? this.holderGone() : undefined,
      lockTakes: this.shared,
    });
    if (lease) await this.afterLeaseAcquired(lease);
    return lease;
  }
  /**
   * True of the lease row when the database can tell that its holder's process is gone (a killed process), so the
   * lease may be taken before it runs out. Only PostgreSQL can tell.
   */
  protected holderGone(): Expression<boolean> | undefined {
    return undefined;
  }
  /** Bookkeeping after a take or renewal (PostgreSQL: the holder's session lock). */
  protected async afterLeaseAcquired(_lease: LeaderLease): Promise<void> {}
  releaseLeadership(holder: string): Promise<void> {
    return replicas.releaseLease(this.leaseDb, holder);
  }
  async announceJobs(): Promise<void> {}
  onJobsAnnounced(_listener: () => void): void {}

  async claim(call: ClaimCall): Promise<WorkspaceRecord | undefined> {
    const row = await this.claimRow(call);

    return row === undefined ? undefined : workspaces.workspaceRecord(row);
  }
  insertClaimBuild(presetId: string, owner: string, now: number, settings: AutoDestroyChange = {}): Promise<{ instance: WorkspaceRecord; jobId: number }> {
    return inTransaction(this.db, async (trx) => {
      const preset = await presets.getLivePreset(trx, presetId);
      const template = await templates.getLiveTemplate(trx, preset.template);
      const [intent] = await insertCreateIntents(trx, buildTargetOf(preset, Number(template.version)), 1, now, owner);
      // The template's policy as of the claim; the deadline waits for the build to be ready (finishJob).
      const row = await trx
        .updateTable('instances')
        .set({
          autostop_after_ms: template.autostop_after_ms,
          autostop_reminder_ms: template.autostop_reminder_ms,
          stopped_ttl_ms: template.stopped_ttl_ms,
          dormant_after_ms: template.dormant_after_ms,
          dormant_delete_after_ms: template.dormant_delete_after_ms,
          auto_destroy_reminder_ms: template.auto_destroy_reminder_ms,
          auto_destroy_at: settings.autoDestroyAt ?? null,
          auto_destroy_inactivity_ms: settings.autoDestroyInactivityMs ?? null,
        })
        .where('id', '=', intent.instanceId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { instance: workspaces.workspaceRecord(row), jobId: intent.jobId };
    });
  }

  async getWorkspace(ref: string): Promise<WorkspaceRecord> {
    return workspaces.workspaceRecord(await workspaces.resolveWorkspaceRow(this.db, ref));
  }
  listWorkspaces(filter: WorkspaceFilter): Promise<WorkspaceRecord[]> {
    return workspaces.listWorkspaces(this.db, filter);
  }
  async reportActivity(ref: string, now: number): Promise<WorkspaceRecord> {
    // Almost every report names the workspace by its full id: one UPDATE. Anything else (a name, a prefix, a
    // refusal) is resolved and explained on the slow path.
    let row = await this.activityRow({ id: ref, now });
    if (row === undefined) {
      const found = await resolveInstance(this.db, ref);
      if (found.id !== ref) row = await this.activityRow({ id: found.id, now });
      if (row === undefined) throw activityRefused(await getInstance(this.db, found.id));
    }
    return workspaces.workspaceRecord(row);
  }
  setAutoDestroy(ref: string, change: AutoDestroyChange, now: number): Promise<WorkspaceRecord> {
    return workspaces.setAutoDestroy(this.db, ref, change, now);
  }
  requestWorkspaceOp(ref: string, op: WorkspaceOp, now: number): Promise<{ record: WorkspaceRecord; jobId: number | null }> {
    return workspaces.requestWorkspaceOp(this.db, ref, op, now);
  }
  async resolveInstance(ref: string): Promise<InstanceRecord> {
    return instanceRecord(await resolveInstance(this.db, ref));
  }
  async listInstances(filter: { presetId?: string; state?: InstanceState }): Promise<InstanceRecord[]> {
    return (await listInstances(this.db, filter)).map(instanceRecord);
  }

  insertCreateIntents(presetId: string, count: number, now: number): Promise<Intent[]> {
    // The build target is re-read inside the intent transaction: the preset may have been deleted, paused,
    // fixed or stopped since the snapshot the create was planned from.
    return this.fenced(async (trx) => {
      const target = await currentBuildTarget(trx, presetId, now);
      return target ? insertCreateIntents(trx, target, count, now) : [];
    });
  }
  insertDeleteIntent(instanceId: string, now: number): Promise<Intent | null> {
    return this.fenced((trx) => insertDeleteIntent(trx, instanceId, now));
  }
  cancelPendingIntents(instanceIds: string[], now: number): Promise<number> {
    return this.fenced((trx) => cancelPendingIntents(trx, instanceIds, now));
  }
  unfinishedJobs(limit: number): Promise<UnfinishedJob[]> {
    return unfinishedJobs(this.db, limit);
  }
  async jobsInFlight(): Promise<number> {
    const row = await this.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', 'in', ['pending', 'running'])
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
  startJob(jobId: number, now: number): Promise<JobContext | null> {
    return startJob(this.db, jobId, now, this.fence);
  }
  finishJob(ctx: JobContext, result: JobResult, now: number, policy: FailurePolicy): Promise<FinishEffects> {
    return finishJob(this.db, ctx, result, now, policy, this.fence);
  }

  readSnapshot(now: number): Promise<Snapshot> {
    return this.reader.read(this.db, now);
  }
  takeSnapshotWarnings(): SnapshotWarning[] {
    return this.reader.warnings.splice(0);
  }
  outboxStats(_now: number): Promise<OutboxStats> {
    return deliveries.outboxStats(this.db);
  }

  putNotificationTarget(t: StoredTargetInput, now: number, opts: PutOptions = {}): Promise<Stored<NotificationTargetRecord>> {
    return targets.putTarget(this.db, t, now, opts);
  }
  getNotificationTarget(name: string): Promise<NotificationTargetRecord> {
    return targets.getTarget(this.db, name);
  }
  listNotificationTargets(): Promise<NotificationTargetRecord[]> {
    return targets.listTargets(this.db);
  }
  deleteNotificationTarget(name: string): Promise<void> {
    return targets.deleteTarget(this.db, name);
  }
  deliveryTargets(): Promise<DeliveryTarget[]> {
    return targets.deliveryTargets(this.db);
  }
  fanOutNotifications(now: number, limit: number): Promise<number> {
    return deliveries.fanOut(this.db, now, limit);
  }
  claimDeliveries(slots: ReadonlyMap<string, number>, now: number, leaseUntil: number): Promise<DueDelivery[]> {
    return deliveries.claimDue(this.db, slots, now, leaseUntil);
  }
  recordDeliveryAttempt(id: number, lease: number, outcome: DeliveryAttemptOutcome, now: number): Promise<boolean> {
    return deliveries.recordAttempt(this.db, id, lease, outcome, now);
  }
  releaseDeliveries(leases: ReadonlyArray<{ id: number; lease: number }>): Promise<void> {
    return deliveries.releaseLeases(this.db, leases);
  }
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    return deliveries.listDeliveries(this.db, filter);
  }
  resendDelivery(id: number, now: number): Promise<DeliveryRecord> {
    return deliveries.resend(this.db, id, now);
  }
  notificationsAfter(afterId: number, limit: number): Promise<NotificationEntry[]> {
    return deliveries.notificationsAfter(this.db, afterId, limit);
  }
  recentNotifications(limit: number): Promise<NotificationEntry[]> {
    return deliveries.recentNotifications(this.db, limit);
  }
  purgeFinished(now: number): Promise<void> {
    return purgeFinished(this.db, now);
  }
  recentEvents(limit: number, presetId?: string): Promise<PoolEvent[]> {
    return recentEvents(this.db, limit, presetId);
  }
}

/** A replica that has not written its heartbeat for this long is shown as gone. */
export const REPLICA_STALE_MS = 30_000;
/** Replicas silent for a day are no longer listed (housekeeping removes their rows with the history). */
const REPLICA_FORGET_MS = 24 * 3_600_000;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:/i.test(url.trim());
}

/**
 * SQLite: one controller holds the file's exclusive lock, so it always leads and nothing is fenced. Claims and
 * activity reports that arrive together are batched into one transaction each (one commit per burst), run
 * synchronously on the connection.
 */
export class SqliteStore extends SqlStore {
  readonly shared = false;
  private readonly claims: SyncBatcher<ClaimCall, InstanceRow | undefined>;
  private readonly activity: SyncBatcher<ActivityCall, InstanceRow | undefined>;

  constructor(
    private readonly connection: Connection,
    clock: { now(): number },
  ) {
    super(connection.db, connection.description, connection.dataDir, clock);
    this.claims = new SyncBatcher(
      // One transaction for the burst, failing whole: a claim that throws rolls back (and rejects) its batch.
      (calls) => connection.claimMany(calls)?.map(fulfilled) ?? null,
      (call) => claimReadyInstance(this.db, call, call.owner, call.now, call),
    );
    // Reports from many clients arrive together: one commit per burst, as for claims.
    this.activity = new SyncBatcher(
      (calls) => connection.trySync((db) => settle(calls, (c) => reportActivitySync(db, c)))?.value ?? null,
      (call) => connection.sync((db) => reportActivitySync(db, call)),
    );
  }

  protected get fence(): Fence | undefined {
    return undefined;
  }
  setFence(): void {}
  ping(): Promise<boolean> {
    return this.connection.ping();
  }
  checkpoint(): void {
    this.connection.checkpoint();
  }
  close(): Promise<void> {
    return this.connection.close();
  }
  protected dbNow(): Expression<number> {
    return sql<number>`${this.clock.now()}`;
  }
  protected claimRow(call: ClaimCall): Promise<InstanceRow | undefined> {
    return this.claims.run(call);
  }
  protected activityRow(call: ActivityCall): Promise<InstanceRow | undefined> {
    return this.activity.run(call);
  }
  readWorkspaces(now: number): Promise<WorkspaceSnapshot> {
    return this.connection.sync((db) => this.workspaceReader.read(db, now));
  }
  readWorkspace(id: string, _now: number): Promise<WorkspaceView | null> {
    return this.connection.sync((db) => readOneWorkspace(db, id));
  }
  async applyLifecycle(actions: readonly LifecycleAction[], now: number): Promise<AppliedLifecycleAction[]> {
    const applied: AppliedLifecycleAction[] = [];
    for (let i = 0; i < actions.length; i += LIFECYCLE_CHUNK) {
      // Claims and activity reports queued meanwhile get their turn between chunks.
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const chunk = actions.slice(i, i + LIFECYCLE_CHUNK);
      applied.push(...(await this.connection.sync((db) => applyChunk(db, chunk, now))));
    }
    return applied;
  }
}

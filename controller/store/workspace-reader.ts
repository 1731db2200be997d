import type { LifecyclePolicy } from '../domain/lifecycle-policy';
import type { InstanceState } from '../domain/states';
import type { DestroyReason, WorkspaceSnapshot, WorkspaceView } from '../domain/workspace';
import type { SyncDb } from './connection';

/** Runs one statement (`?` placeholders) and returns its rows as arrays of column values, in column order. */
export type ArrayQuery = (sql: string, params: readonly unknown[]) => Promise<unknown[][]>;

/** Instance columns the lifecycle core reads. */
const columns = `id, rev, name, owner, preset_id, state, claimed_at, ready_at, last_used_at, deadline, stopped_at, dormant_at,
  auto_destroy_at, auto_destroy_inactivity_ms, reminded_deadline, destroy_reminded_at, destroy_reason, next_attempt_at,
  delete_attempts, autostop_after_ms, autostop_reminder_ms, stopped_ttl_ms, dormant_after_ms, dormant_delete_after_ms,
  auto_destroy_reminder_ms`;

export const fullSql = `select ${columns} from instances where owner is not null and state not in ('deleted', 'archived')`;
export const deltaSql = `select ${columns} from instances where rev > ? order by rev`;
const counterSql = `select value from revisions where name = 'instances'`;
const busySql = `select instance_id from jobs where state in ('pending', 'running')`;
const oneSql = `select ${columns} from instances where id = ? and owner is not null and state not in ('deleted', 'archived')`;
// Through the jobs_instance index: a workspace has a handful of jobs, where the busy pass reads every unfinished one.
const oneBusySql = `select 1 from jobs where instance_id = ? and state in ('pending', 'running') limit 1`;

/**
 * A row as an array in the order of `columns`: rows are read in better-sqlite3's raw mode, which skips building an
 * object per row (a full load of 100,000 rows takes well under half the time).
 */
type Row = [
  id: string,
  rev: number,
  name: string,
  owner: string | null,
  presetId: string,
  state: string,
  claimedAt: number | null,
  readyAt: number | null,
  lastUsedAt: number | null,
  deadline: number | null,
  stoppedAt: number | null,
  dormantAt: number | null,
  autoDestroyAt: number | null,
  autoDestroyInactivityMs: number | null,
  remindedDeadline: number | null,
  destroyRemindedAt: number | null,
  destroyReason: string | null,
  nextAttemptAt: number | null,
  deleteAttempts: number,
  autostopAfterMs: number | null,
  autostopReminderMs: number | null,
  stoppedTtlMs: number | null,
  dormantAfterMs: number | null,
  dormantDeleteAfterMs: number | null,
  autoDestroyReminderMs: number | null,
];

/** A full re-read now and then, as a safety net under the revision-based deltas. */
const fullReloadEveryMs = 15 * 60 * 1000;

/**
 * What the lifecycle core reads, kept as an in-memory mirror of the live workspaces: the first read loads every one,
 * later reads fetch only the instance rows whose revision is newer than the last one seen (the same trigger-kept
 * counter the pool snapshot uses), so a tick over 100,000 workspaces converts only the rows that changed. Rows that
 * lost their owner or became archived or deleted leave the mirror; a full reload now and then catches anything else
 * (rows purged outright).
 */
export class WorkspaceReader {
  private views = new Map<string, WorkspaceView>();
  private list: WorkspaceView[] | null = null;
  private busy = new Set<string>();
  private lastRev = -1;
  private lastFullLoad = 0;
  /** Workspaces of one template share one policy object: 100,000 workspaces hold a handful of them. */
  private policies = new Map<string, LifecyclePolicy>();

  constructor(private readonly clock: { now(): number }) {}

  /** Runs inside one read transaction (the caller's), synchronously (SQLite). */
  read(db: SyncDb, now: number): WorkspaceSnapshot {
    const readAt = this.clock.now();
    if (this.needsFull(readAt)) {
      const rows = db.prepare(fullSql).raw(true).all() as Row[];
      const counter = db.prepare(counterSql).get() as { value: number } | undefined;
      this.loadFull(rows, counter?.value, readAt);
    } else {
      this.applyDelta(db.prepare(deltaSql).raw(true).all(this.lastRev) as Row[]);
    }
    return this.finish(db.prepare(busySql).pluck().all() as string[], now);
  }

  /**
   * The same read through an asynchronous query function that returns rows as arrays, inside one read transaction
   * that sees a single snapshot of the database (PostgreSQL's repeatable read): the counter must agree with the rows.
   */
  async readFrom(query: ArrayQuery, now: number): Promise<WorkspaceSnapshot> {
    const readAt = this.clock.now();
    if (this.needsFull(readAt)) {
      const rows = (await query(fullSql, [])) as Row[];
      const [counter] = await query(counterSql, []);
      this.loadFull(rows, counter?.[0] as number | undefined, readAt);
    } else {
      this.applyDelta((await query(deltaSql, [this.lastRev])) as Row[]);
    }
    return this.finish((await query(busySql, [])).map((r) => r[0] as string), now);
  }

  private needsFull(readAt: number): boolean {
    return this.lastRev < 0 || readAt - this.lastFullLoad >= fullReloadEveryMs;
  }

  private loadFull(rows: Row[], counter: number | undefined, readAt: number): void {
    this.views.clear();
    this.busy.clear();
    this.policies.clear();
    for (const row of rows) this.views.set(row[0], this.toView(row));
    this.lastRev = Number(counter ?? 0);
    this.lastFullLoad = readAt;
    this.list = null;
  }

  private applyDelta(rows: Row[]): void {
    for (const row of rows) {
      const [id, rev, , owner, , state] = row;
      if (owner === null || state === 'deleted' || state === 'archived') {
        if (this.views.delete(id)) this.list = null;
      } else {
        // A replaced view starts without a job; the busy pass below marks it again if it has one.
        this.views.set(id, this.toView(row));
        this.busy.delete(id);
        this.list = null;
      }
      if (rev > this.lastRev) this.lastRev = rev;
    }
  }

  private finish(busyRows: string[], now: number): WorkspaceSnapshot {
    const busy = new Set(busyRows);
    for (const id of this.busy) if (!busy.has(id)) this.mark(id, false);
    for (const id of busy) this.mark(id, true);
    this.busy = busy;

    this.list ??= [...this.views.values()];
    // A copy: a snapshot's list stays as it was when later reads add or drop workspaces.
    return { now, workspaces: this.list.slice() };
  }

  private mark(id: string, busy: boolean): void {
    const view = this.views.get(id);
    if (view && view.jobInFlight !== busy) view.jobInFlight = busy;
  }

  private toView(r: Row): WorkspaceView {
    return viewOf(r, false, this.policy(r));
  }

  private policy(r: Row): LifecyclePolicy {
    const key = `${r[19]},${r[20]},${r[21]},${r[22]},${r[23]},${r[24]}`;
    let policy = this.policies.get(key);
    if (!policy) {
      policy = policyOf(r);
      this.policies.set(key, policy);
    }
    return policy;
  }
}

/**
 * One workspace's view as the mirror would hold it, read from the row itself (the mirror may lag by a tick), or null
 * when the row is not a live workspace. Runs inside one read transaction (the caller's), so the job lookup agrees
 * with the row.
 */
export function readOneWorkspace(db: SyncDb, id: string): WorkspaceView | null {
  const row = db.prepare(oneSql).raw(true).get(id) as Row | undefined;
  if (row === undefined) return null;
  return viewOf(row, db.prepare(oneBusySql).get(id) !== undefined, policyOf(row));
}

/** readOneWorkspace through an asynchronous query function (one read transaction, the caller's). */
export async function readOneWorkspaceFrom(query: ArrayQuery, id: string): Promise<WorkspaceView | null> {
  const [row] = (await query(oneSql, [id])) as Row[];
  if (row === undefined) return null;
  return viewOf(row, (await query(oneBusySql, [id])).length > 0, policyOf(row));
}

function viewOf(r: Row, jobInFlight: boolean, policy: LifecyclePolicy): WorkspaceView {
  return {
    id: r[0],
    rev: r[1],
    name: r[2],
    owner: r[3] as string,
    presetId: r[4],
    state: r[5] as InstanceState,
    jobInFlight,
    claimedAt: r[6],
    readyAt: r[7],
    lastUsedAt: r[8],
    deadline: r[9],
    stoppedAt: r[10],
    dormantAt: r[11],
    autoDestroyAt: r[12],
    autoDestroyInactivityMs: r[13],
    remindedDeadline: r[14],
    destroyRemindedAt: r[15],
    destroyReason: r[16] as DestroyReason | null,
    nextAttemptAt: r[17],
    deleteAttempts: r[18],
    policy,
  };
}

function policyOf(r: Row): LifecyclePolicy {
  return Object.freeze({
    autostopAfterMs: r[19],
    autostopReminderMs: r[20],
    stoppedTtlMs: r[21],
    dormantAfterMs: r[22],
    dormantDeleteAfterMs: r[23],
    autoDestroyReminderMs: r[24],
  });
}

/**
 * The store on PostgreSQL, where several controller replicas share one database. Claims and activity reports run as
 * single statements from the pool (the server serialises what conflicts; SKIP LOCKED keeps claimers apart), the
 * lifecycle reads see one snapshot, each lifecycle action is its own fenced transaction, and the leader lease is
 * timed by the database's clock.
 */
import { CompiledQuery, type Expression, sql } from 'kysely';
import type pg from 'pg';
import type { LeaderLease } from '../domain/replica';
import type { AppliedLifecycleAction, LifecycleAction, WorkspaceSnapshot, WorkspaceView } from '../domain/workspace';
import { activitySql, type ActivityCall } from './activity';
import { type ClaimCall, claimReadyInstance } from './claims';
import { insertJobIntent } from './job-intents';
import type { Fence } from './jobs';
import { lifecycleStatement } from './lifecycle-apply';
import { insertNotification } from './outbox';
import { openPostgres, type PostgresConnection, type PostgresLog } from './postgres-connection';
import { numbered } from './sql-text';
import { checkFence } from './replicas';
import { SqlStore, type StoreOptions } from './store';
import type { InstanceRow } from './tables';
import { readOneWorkspaceFrom } from './workspace-reader';

/** The advisory lock the leader's own session holds (an arbitrary constant, "prewarm" in ASCII). */
const LEADER_LOCK_KEY = 0x707265776172;

/** The channel a replica notifies when it wrote job intents for the leader to run. */
const JOBS_CHANNEL = 'prewarm_jobs';

/** Milliseconds since the epoch by the server's clock, read at the statement (not the transaction's start). */
const serverNow = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

export async function openPostgresStore(url: string, options: StoreOptions): Promise<PostgresStore> {
  return new PostgresStore(await openPostgres(url, options.log as PostgresLog | undefined), options.clock);
}

export class PostgresStore extends SqlStore {
  readonly shared = true;
  /** The lease this replica's leader-only writes are fenced by; null refuses them (it does not lead). */
  private lease: LeaderLease | null = null;
  private session: pg.Client | undefined;
  private listenClient: pg.Client | undefined;
  private listening = false;
  private jobsListener: (() => void) | undefined;
  private sessionLocked = false;
  private readonly fenceCheck: Fence = async (trx) => {
    const lease = this.lease;
    if (!lease) throw new NotLeaderError();
    await checkFence(trx, lease);
  };

  constructor(
    private readonly connection: PostgresConnection,
    clock: { now(): number },
  ) {
    // Driver state is per host; with PostgreSQL there is no database file to keep it beside.
    super(connection.db, `postgres:${connection.target.display.replace(/^postgres(ql)?:/i, '')}`, process.cwd(), clock);
  }

  get pool(): pg.Pool {
    return this.connection.pool;
  }
  dedicatedClient(): Promise<pg.Client> {
    return this.connection.dedicatedClient();
  }

  /**
   * The leader also holds a session-level advisory lock on a connection of its own. PostgreSQL frees it the moment
   * that session ends: a killed leader's socket closes and its backend exits. A candidate that gets the lock while the
   * lease is still unexpired knows the holder is gone and takes over without waiting out the lease. A holder that is
   * merely paused keeps its session and its lock; the lease expiry decides then. Either way the fence keeps a late
   * write of the old holder out.
   */
  protected override async leaderSessionFree(candidate: boolean): Promise<boolean> {
    if (this.sessionLocked && this.session) return false;
    try {
      if (!this.session) {
        const client = await this.connection.dedicatedClient();
        client.on('error', () => {
          if (this.session === client) {
            this.session = undefined;
            this.sessionLocked = false;
          }
        });
        client.on('end', () => {
          if (this.session === client) {
            this.session = undefined;
            this.sessionLocked = false;
          }
        });
        this.session = client;
      }
      const { rows } = await this.session.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [LEADER_LOCK_KEY]);
      this.sessionLocked = rows[0]?.locked === true;
      return candidate && this.sessionLocked;
    } catch {
      const broken = this.session;
      this.session = undefined;
      this.sessionLocked = false;
      await broken?.end().catch(() => undefined);
      return false;
    }
  }

  override async announceJobs(): Promise<void> {
    await this.pool.query(`select pg_notify('${JOBS_CHANNEL}', '')`);
  }
  override onJobsAnnounced(listener: () => void): void {
    this.jobsListener = listener;
    void this.listen();
  }
  /** Renewed with every heartbeat: a listening connection lost with the database comes back with it. */
  override async heartbeat(replicaId: string): Promise<void> {
    await super.heartbeat(replicaId);
    if (this.jobsListener && !this.listening) void this.listen();
  }
  private async listen(): Promise<void> {
    if (this.listening || !this.jobsListener) return;
    this.listening = true;
    try {
      const client = await this.connection.dedicatedClient();
      const lost = () => {
        if (this.listenClient === client) this.listenClient = undefined;
        this.listening = false;
      };
      client.on('error', lost);
      client.on('end', lost);
      client.on('notification', () => this.jobsListener?.());
      await client.query(`listen ${JOBS_CHANNEL}`);
      this.listenClient = client;
    } catch {
      this.listening = false;
    }
  }

  protected get fence(): Fence {
    return this.fenceCheck;
  }
  setFence(lease: LeaderLease | null): void {
    this.lease = lease;
  }
  ping(): Promise<boolean> {
    return this.connection.ping();
  }
  checkpoint(): void {}
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.end().catch(() => undefined);
    const listener = this.listenClient;
    this.jobsListener = undefined;
    this.listenClient = undefined;
    await listener?.end().catch(() => undefined);
    return this.connection.close();
  }
  protected dbNow(): Expression<number> {
    return serverNow;
  }

  protected claimRow(call: ClaimCall): Promise<InstanceRow | undefined> {
    return claimReadyInstance(this.db, call, call.owner, call.now, call);
  }
  protected activityRow({ id, now }: ActivityCall): Promise<InstanceRow | undefined> {
    return this.row(activitySql, [now, now, now, now, now, id]);
  }
  private async row(text: string, params: unknown[]): Promise<InstanceRow | undefined> {
    return (await this.db.executeQuery<InstanceRow>(CompiledQuery.raw(numbered(text), params))).rows[0];
  }

  readWorkspaces(now: number): Promise<WorkspaceSnapshot> {
    return this.connection.readSnapshot((query) => this.workspaceReader.readFrom(query, now));
  }
  readWorkspace(id: string, _now: number): Promise<WorkspaceView | null> {
    return this.connection.readSnapshot((query) => readOneWorkspaceFrom(query, id));
  }

  /**
   * One transaction per action, fenced: a row is only ever locked together with the revision counter inside one
   * short transaction, so claims and activity reports on other connections never wait behind a batch (and never
   * deadlock with one).
   */
  async applyLifecycle(actions: readonly LifecycleAction[], now: number): Promise<AppliedLifecycleAction[]> {
    const applied: AppliedLifecycleAction[] = [];
    for (const a of actions) {
      try {
        applied.push(
          await this.fenced(async (trx) => {
            const { sql: text, params, op } = lifecycleStatement(a, now);
            const moved = (await trx.executeQuery<{ preset_id: string }>(CompiledQuery.raw(numbered(text), params))).rows[0];
            if (!moved) return { action: a, applied: false, jobId: null };
            const jobId = op === null ? null : await insertJobIntent(trx, a.workspaceId, moved.preset_id, op, now);
            if (a.notification) await insertNotification(trx, a.notification, now);
            return { action: a, applied: true, jobId };
          }),
        );
      } catch (err) {
        // Lost the lease or the database: nothing later would commit either.
        if (err instanceof NotLeaderError || (err as Error).name === 'FencedError' || isConnectionError(err)) throw err;
        applied.push({ action: a, applied: false, jobId: null, error: (err as Error).message ?? String(err) });
      }
    }
    return applied;
  }
}

/** A leader-only write on a replica that does not lead. */
export class NotLeaderError extends Error {
  constructor() {
    super('this replica does not lead: the write is left to the leader');
    this.name = 'NotLeaderError';
  }
}

/** The server is gone or the connection broke (not a statement's own failure). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('08') || code === '57P01' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || /Connection terminated/i.test((err as Error).message ?? '');
}

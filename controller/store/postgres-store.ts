/**
 * The store on PostgreSQL, where several controller replicas share one database. Claims and activity reports run as
 * single statements from the pool (the server serialises what conflicts; SKIP LOCKED keeps claimers apart), the
 * lifecycle reads see one snapshot, each lifecycle action is its own fenced transaction, and the leader lease is
 * timed by the database's clock.
 */
import { CompiledQuery, type Expression, type Kysely, sql } from 'kysely';
import type pg from 'pg';
import type { LeaderLease } from '../domain/replica';
import type { AppliedLifecycleAction, LifecycleAction, WorkspaceSnapshot, WorkspaceView } from '../domain/workspace';
import { activitySql, type ActivityCall } from './activity';
import { type ClaimCall, claimParams, pgClaimAnySql, pgClaimCurrentSql } from './claims';
import { insertJobIntent } from './job-intents';
import type { Fence } from './jobs';
import { lifecycleStatement } from './lifecycle-apply';
import { insertNotification } from './outbox';
import { openPostgres, type PostgresConnection, type PostgresLog } from './postgres-connection';
import { numbered } from './sql-text';
import { checkFence, FencedError } from './replicas';
import { SqlStore, type StoreOptions } from './store';
import type { Database, InstanceRow } from './tables';
import { readOneWorkspaceFrom } from './workspace-reader';

/** The advisory lock the leader's own session holds: two int4 keys ("prew", "arm\0" in ASCII). */
const LEADER_LOCK = [0x70726577, 0x61726d00] as const;

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
  /** The lease generation the session's pid is recorded for. */
  private sessionGeneration: number | null = null;
  private listenClient: pg.Client | undefined;
  private listening = false;
  private jobsListener: (() => void) | undefined;
  private readonly fenceCheck: Fence = async (trx) => {
    const lease = this.lease;
    if (!lease) throw new NotLeaderError();
    // The fence's row lock holds off a takeover until this transaction ends. Should this process stop in the middle
    // of it (a paused VM, SIGSTOP), the server ends the transaction after one lease time idle, so the takeover waits
    // about as long as the lease says, not the server's general idle limit.
    await sql`select set_config('idle_in_transaction_session_timeout', ${String(lease.ttlMs)}, true)`.execute(trx);
    await checkFence(trx, lease);
  };

  constructor(
    private readonly connection: PostgresConnection,
    clock: { now(): number },
  ) {
    // Driver state is per host; with PostgreSQL there is no database file to keep it beside.
    super(connection.db, `postgres:${connection.target.display.replace(/^postgres(ql)?:/i, '')}`, process.cwd(), clock);
  }

  private get pool(): pg.Pool {
    return this.connection.pool;
  }

  /**
   * The leader also holds a session-level advisory lock on a connection of its own, and records that session's backend
   * pid in the lease row. PostgreSQL frees the lock the moment the session ends: a killed leader's socket closes and
   * its backend exits. A candidate may then take the lease before it runs out, when the recorded session no longer
   * holds the lock. A leader that is merely paused keeps its session and its lock, and the lease expiry decides; a
   * session recorded for an earlier generation is cleared by every take, so only the current holder's session counts.
   * Either way the fence keeps a late write of the old holder out.
   */
  protected override holderGone(): Expression<boolean> {
    return sql<boolean>`holder_session is not null and not exists (
      select 1 from pg_locks l
       where l.locktype = 'advisory' and l.classid = ${LEADER_LOCK[0]} and l.objid = ${LEADER_LOCK[1]} and l.objsubid = 2
         and l.pid = leases.holder_session and l.granted)`;
  }

  protected override async afterLeaseAcquired(lease: LeaderLease): Promise<void> {
    if (this.sessionGeneration === lease.generation && this.session) return;
    try {
      if (!this.session) this.session = await this.openSession();
      const session = this.session;
      const { rows } = await session.query<{ locked: boolean }>('select pg_try_advisory_lock($1, $2) as locked', [...LEADER_LOCK]);
      // Not yet: the last holder's session still has it (it is stopping, or paused). The next renewal tries again.
      if (rows[0]?.locked !== true) return;
      await session.query(`update leases set holder_session = pg_backend_pid() where name = 'leader' and holder = $1 and generation = $2`, [
        lease.holder,
        lease.generation,
      ]);
      this.sessionGeneration = lease.generation;
    } catch {
      // Best effort: without a recorded session, a takeover waits for the lease to run out.
      await this.dropSession();
    }
  }

  private async openSession(): Promise<pg.Client> {
    const client = await this.connection.dedicatedClient();
    const lost = () => {
      if (this.session === client) {
        this.session = undefined;
        this.sessionGeneration = null;
      }
    };
    client.on('error', lost);
    client.on('end', lost);
    return client;
  }

  /** Ends the session: its lock goes with it, so no replica holds it without leading. */
  private async dropSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.sessionGeneration = null;
    await session?.end().catch(() => undefined);
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
    let client: pg.Client | undefined;
    try {
      client = await this.connection.dedicatedClient();
      const mine = client;
      const lost = () => {
        if (this.listenClient === mine) this.listenClient = undefined;
        this.listening = false;
        void mine.end().catch(() => undefined);
      };
      client.on('error', lost);
      client.on('end', lost);
      client.on('notification', () => this.jobsListener?.());
      await client.query(`listen ${JOBS_CHANNEL}`);
      this.listenClient = client;
    } catch {
      this.listening = false;
      await client?.end().catch(() => undefined);
    }
  }

  protected override get leaseDb(): Kysely<Database> {
    return this.connection.controlDb;
  }

  protected get fence(): Fence {
    return this.fenceCheck;
  }
  setFence(lease: LeaderLease | null): void {
    this.lease = lease;
    if (lease === null && this.session) void this.dropSession();
  }
  ping(): Promise<boolean> {
    return this.connection.ping();
  }
  checkpoint(): void {}
  async close(): Promise<void> {
    await this.dropSession();
    const listener = this.listenClient;
    this.jobsListener = undefined;
    this.listenClient = undefined;
    await listener?.end().catch(() => undefined);
    return this.connection.close();
  }
  protected dbNow(): Expression<number> {
    return serverNow;
  }

  protected async claimRow(call: ClaimCall): Promise<InstanceRow | undefined> {
    const current = await this.row('prewarm_claim_current', pgClaimCurrentSql, claimParams(call, call.owner, call.now, true, call));
    return current ?? this.row('prewarm_claim_any', pgClaimAnySql, claimParams(call, call.owner, call.now, false, call));
  }
  protected activityRow({ id, now }: ActivityCall): Promise<InstanceRow | undefined> {
    return this.row('prewarm_activity', activitySql, [now, now, now, now, now, id]);
  }
  /**
   * The hot statements as named prepared statements, straight on the pool: each connection parses and plans them
   * once instead of on every claim or report (kysely sends every statement unnamed).
   */
  private async row(name: string, text: string, params: unknown[]): Promise<InstanceRow | undefined> {
    return (await this.pool.query<InstanceRow>({ name, text: numbered(text), values: params })).rows[0];
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
        if (err instanceof NotLeaderError || err instanceof FencedError || isConnectionError(err)) throw err;
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

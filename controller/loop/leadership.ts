/**
 * Who acts. Every replica serves the API (claims, activity, workspace operations, reads: each a conditional
 * statement the database serialises). Only the leader runs the reconcile and lifecycle loops and the driver jobs,
 * so two replicas never plan the same build or run the same transition; its writes are fenced by the lease
 * generation. The lease is a row timed by the database's clock; this replica renews it every third of its
 * lifetime and stops acting as soon as it cannot be sure it still holds it (renewal failed until the lease's local
 * expiry, or another replica took it). On SQLite the one controller always leads.
 */
import type { Clock } from '../clock/clock';
import type { LeaderLease, ReplicaIdentity } from '../domain/replica';
import type { Logger } from '../log';
import { REPLICA_STALE_MS, type Store } from '../store/store';

export interface LeadershipDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  replica: ReplicaIdentity;
  /** How long a lease lasts without renewal: the takeover time after a replica vanishes without a word. */
  ttlMs: number;
  /** Called once each time this replica starts to lead (the store's fence is set already). */
  onGain(lease: LeaderLease): void;
  /** Called once each time it stops leading (the fence is cleared already): stop acting now. */
  onLose(reason: string): void;
}

export class Leadership {
  private lease: LeaderLease | null = null;
  /** The controller's clock instant after which this replica can no longer be sure it leads. */
  private leadsUntil = 0;
  private stopped = false;
  private timer: AbortController | undefined;
  private running: Promise<void> | undefined;
  private databaseUp = true;
  private lastHeartbeat = Number.NEGATIVE_INFINITY;
  /** Fires when the lease runs out by this replica's clock without a renewal (a tick stuck on a dead connection). */
  private expiry: { cancel(): void } | undefined;
  private lastError = '';

  constructor(private readonly deps: LeadershipDeps) {}

  /** True while this replica holds the lease it can vouch for. */
  get isLeader(): boolean {
    // One controller per SQLite file (its lock): nothing to renew, nobody to lose to.
    if (!this.deps.store.shared) return true;
    return this.lease !== null && this.deps.clock.now() < this.leadsUntil;
  }
  /**
   * A third of the TTL, and at most a third of REPLICA_STALE_MS: heartbeats ride on renewals, and a replica whose
   * heartbeat is older than that counts as stopped (the terraform driver lets go of a stopped replica's runs).
   */
  get renewEveryMs(): number {
    return Math.max(200, Math.floor(Math.min(this.deps.ttlMs, REPLICA_STALE_MS) / 3));
  }
  /**
   * How often a follower looks at the lease. Often: a killed leader's lease may be taken as soon as its session is
   * gone, so the takeover time is this interval, not the TTL. While the leader lives the look is a renewal UPDATE and
   * a row lock request that both match no row, so it never waits for the leader's writes.
   */
  get pollEveryMs(): number {
    return Math.min(this.renewEveryMs, 1000);
  }

  /** Registers the replica and tries once to lead before returning; then renews on the clock's timers. */
  async start(): Promise<void> {
    await this.deps.store.registerReplica(this.deps.replica);
    await this.tick();
    if (this.deps.store.shared) this.running = this.loop();
  }

  /** Gives the lease up (another replica takes over at once) and marks the replica stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.abort();
    this.expiry?.cancel();
    await this.running;
    // With one controller (SQLite) there is nobody to hand over to: nothing to announce.
    if (this.lease && this.deps.store.shared) this.lose('shutting down');
    await this.deps.store.retireReplica(this.deps.replica.id).catch((err) => this.deps.log.warn('could not mark this replica stopped', { error: err }));
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.timer = new AbortController();
      await this.deps.clock.sleep(this.lease ? this.renewEveryMs : this.pollEveryMs, this.timer.signal).catch(() => undefined);
      if (this.stopped) return;
      await this.tick();
    }
  }

  /** One renewal: heartbeat, then take or renew the lease. Never throws. */
  async tick(): Promise<void> {
    const { store, clock, replica, ttlMs, log } = this.deps;
    const startedAt = clock.now();
    try {
      if (store.shared && startedAt - this.lastHeartbeat >= this.renewEveryMs) {
        await store.heartbeat(replica.id);
        this.lastHeartbeat = startedAt;
      }
      const lease = await store.acquireLeadership(replica.id, ttlMs, { takeOverLostSession: this.lease === null });
      this.database(true);
      if (!lease) {
        if (this.lease) this.lose('another replica holds the lease now');
        return;
      }
      // Measured from before the request: the database's expiry is at least this late on its own clock.
      this.leadsUntil = startedAt + ttlMs;
      this.armExpiry();
      const gained = this.lease === null || this.lease.generation !== lease.generation;
      if (gained && this.lease) this.lose('the lease was taken over and taken back');
      this.lease = lease;
      store.setFence(lease);
      if (gained) {
        log.info('leading: this replica runs the reconcile and lifecycle loops and the driver jobs', { replica: replica.id, generation: lease.generation });
        this.deps.onGain(lease);
      }
    } catch (err) {
      // A lead this renewal could not extend ends when its lease does: the expiry timer (armExpiry) sees to that.
      this.database(false, err);
    }
  }

  /**
   * Stops acting the moment the lease may have run out, whatever the renewal is doing: a tick can hang on a dead
   * connection for as long as the driver's timeouts allow, and the next leader may start re-driving as soon as the
   * database's clock passes the expiry.
   */
  private armExpiry(): void {
    this.expiry?.cancel();
    if (!this.deps.store.shared) return;
    const { clock } = this.deps;
    this.expiry = clock.setTimer(Math.max(0, this.leadsUntil - clock.now()), () => {
      if (this.lease && clock.now() >= this.leadsUntil) {
        this.lose('the lease ran out before a renewal got through (the database did not answer in time, or this process was too busy to ask)');
      }
    });
  }

  private lose(reason: string): void {
    this.expiry?.cancel();
    const lease = this.lease;
    this.lease = null;
    this.leadsUntil = 0;
    this.deps.store.setFence(null);
    this.deps.log.warn('no longer leading: this replica stops acting; the leader re-drives its unfinished jobs', {
      replica: this.deps.replica.id,
      generation: lease?.generation,
      reason,
    });
    this.deps.onLose(reason);
  }

  private database(up: boolean, err?: unknown): void {
    const message = err instanceof Error ? err.message : err === undefined ? '' : String(err);
    if (!up && (this.databaseUp || message !== this.lastError)) {
      this.deps.log.error('the database is unreachable: this replica does not act until it is back', { error: message });
    } else if (up && !this.databaseUp) {
      this.deps.log.info('the database is reachable again');
    }
    this.databaseUp = up;
    this.lastError = message;
  }
}

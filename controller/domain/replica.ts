/** A controller process on the database, as it registers itself. */
export interface ReplicaIdentity {
  /** Unique per process start: host, pid and a random suffix. */
  id: string;
  host: string;
  pid: number;
  version: string;
  /** The API address it serves, for `prewarm status`. */
  api: string;
}

/** A replica row as `prewarm status` shows it. Times are the database's clock (PostgreSQL) or the controller's (SQLite). */
export interface ReplicaRecord extends ReplicaIdentity {
  startedAt: number;
  heartbeatAt: number;
  stoppedAt: number | null;
  /** Heartbeat recent and not stopped. */
  alive: boolean;
  /** Holds the unexpired leader lease. */
  leader: boolean;
  leaseGeneration: number | null;
  leaseExpiresAt: number | null;
}

/** The leader lease as its holder knows it: fenced writes carry the generation. */
export interface LeaderLease {
  holder: string;
  generation: number;
  expiresAt: number;
  acquiredAt: number;
  /** How long it lasts unrenewed. */
  ttlMs: number;
}

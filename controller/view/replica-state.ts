/**
 * How the controller replicas of a status report read: a short id each, the role, and the count of the ones gone.
 * `prewarm status` (text) and the live view both use these, so they never disagree. Every string here is raw: the
 * host, version and id come from the database, so callers escape them before they reach a terminal.
 */
import type { ReplicaRecord } from '../domain/replica';

/** A short id is at most this long (the full id is in --json). */
const SHORT_ID_CHARS = 12;

/**
 * Short ids for the replicas, by full id. A replica id is its host, its pid and a random suffix; host and pid are
 * shown on their own, so the short id is the suffix: the part after the last `-`, `:`, `.`, `_`, `/` or `@` when it
 * has 4 characters or more, else the id itself, cut. When two of them would read alike, every id is shown whole.
 */
export function shortReplicaIds(replicas: readonly ReplicaRecord[]): Map<string, string> {
  const short = new Map(replicas.map((r) => [r.id, shortId(r.id)]));
  const distinct = new Set(short.values()).size === new Set(short.keys()).size;
  return distinct ? short : new Map(replicas.map((r) => [r.id, r.id]));
}

function shortId(id: string): string {
  const tail = /[^-:._/@]+$/.exec(id)?.[0] ?? '';
  const base = tail.length >= 4 && tail.length < id.length ? tail : id;
  return base.length <= SHORT_ID_CHARS ? base : `${base.slice(0, SHORT_ID_CHARS - 1)}…`;
}

/** "leader (generation 7)" or "follower". */
export function replicaRole(r: ReplicaRecord): string {
  if (!r.leader) return 'follower';
  return r.leaseGeneration === null ? 'leader' : `leader (generation ${r.leaseGeneration})`;
}

/** "1 replica stopped or silent", "3 replicas stopped or silent". */
export function goneText(count: number): string {
  return `${count} replica${count === 1 ? '' : 's'} stopped or silent`;
}

export interface ReplicaCounts {
  alive: ReplicaRecord[];
  /** Stopped, or no heartbeat lately: counted, not listed. */
  gone: number;
  /** The alive replica that holds the lease, if any. */
  leader: ReplicaRecord | undefined;
}

export function replicaCounts(replicas: readonly ReplicaRecord[]): ReplicaCounts {
  const alive = replicas.filter((r) => r.alive);
  return { alive, gone: replicas.length - alive.length, leader: alive.find((r) => r.leader) };
}

/**
 * The live view's one line about the replicas: "replicas: 2 alive, leader 9f3c1a2b on build-01 (generation 7),
 * 1 replica stopped or silent". Nothing in it changes between two polls unless a replica comes, goes or takes
 * over. Null while fewer than two replicas are alive (one controller: nothing to add to its view), unless
 * `evenWithOne` (then null only without any replica).
 */
export function replicaLine(replicas: readonly ReplicaRecord[] | undefined, evenWithOne = false): string | null {
  const { alive, gone, leader } = replicaCounts(replicas ?? []);
  if (alive.length < 2 && !(evenWithOne && (replicas ?? []).length > 0)) return null;
  const ids = shortReplicaIds(alive);
  const generation = leader?.leaseGeneration == null ? '' : ` (generation ${leader.leaseGeneration})`;
  const who = leader === undefined ? 'no leader right now' : `leader ${ids.get(leader.id)} on ${leader.host}${generation}`;
  return `replicas: ${alive.length} alive, ${who}${gone > 0 ? `, ${goneText(gone)}` : ''}`;
}

import type { ReplicaRecord } from '../../controller/domain/replica';

/** A leading replica as `prewarm status` gets it, seen at `now`; `over` changes any field. */
export function leaderRecord(now: number, over: Partial<ReplicaRecord> = {}): ReplicaRecord {
  return {
    id: 'build-01-4242-9f3c1a2b',
    host: 'build-01',
    pid: 4242,
    version: '1.4.0',
    api: '10.0.0.1:7420',
    startedAt: now - 3_600_000,
    heartbeatAt: now - 2_000,
    stoppedAt: null,
    alive: true,
    leader: true,
    leaseGeneration: 7,
    leaseExpiresAt: now + 10_000,
    ...over,
  };
}

/** A follower beside `leader` (another host, no lease); `over` changes any field. */
export function followerRecord(leader: ReplicaRecord, over: Partial<ReplicaRecord> = {}): ReplicaRecord {
  return {
    ...leader,
    id: 'build-02-4243-77aa01bc',
    host: 'build-02',
    pid: 4243,
    api: '10.0.0.2:7420',
    leader: false,
    leaseGeneration: null,
    leaseExpiresAt: null,
    ...over,
  };
}

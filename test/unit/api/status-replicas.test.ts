/**
 * The replicas of a status report survive the wire: RFC 3339 instants back to the millisecond, the lease fields
 * present on the leader and absent on a follower, a stopped replica's stop instant, and nothing invented for a
 * controller that sends none.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as pb from '../../../controller/api/gen/prewarm/v1/prewarm_pb';
import { replicaFromProto, replicaToProto, statusReportFromProto, statusReportToProto } from '../../../controller/api/codec-reports';
import type { StatusReport } from '../../../controller/api/service';
import type { ReplicaRecord } from '../../../controller/domain/replica';
import { startWorkspaceTestApi, type WorkspaceFakeService } from '../../helpers/workspace-fake';
import type { TestApi } from '../../helpers/api-fake';
import { followerRecord, leaderRecord } from '../../helpers/replica-records';

const AT = '2026-03-08T07:30:00.000Z';
const NOW = Date.parse(AT);

// Odd milliseconds must come back exactly.
const leader = leaderRecord(NOW, { startedAt: NOW - 3_600_000 + 1, heartbeatAt: NOW - 2_001, leaseExpiresAt: NOW + 9_999 });
const follower = followerRecord(leader, { heartbeatAt: NOW - 500 });
const stopped: ReplicaRecord = {
  ...follower,
  id: 'build-01-4000-deadbeef',
  host: 'build-01',
  pid: 4000,
  version: '1.3.9',
  heartbeatAt: NOW - 600_000,
  stoppedAt: NOW - 599_999,
  alive: false,
};
/** The year 2999: far instants come back to the millisecond too. */
const far: ReplicaRecord = { ...leader, id: 'far', startedAt: Date.UTC(2999, 11, 31, 23, 59, 59, 999), leaseGeneration: Number.MAX_SAFE_INTEGER };

function report(replicas?: ReplicaRecord[]): StatusReport {
  return { at: AT, paused: false, inFlight: 1, inFlightLimit: 8, presets: [], events: [], ...(replicas ? { replicas } : {}) };
}

function overTheWire(r: StatusReport): StatusReport {
  return statusReportFromProto(fromBinary(pb.StatusResponseSchema, toBinary(pb.StatusResponseSchema, statusReportToProto(r))));
}

describe('replicas in the status report', () => {
  test('leader, follower and a stopped replica round-trip exactly, in order', () => {
    const r = report([leader, follower, stopped, far]);
    expect(overTheWire(r)).toEqual(r);
  });

  test('instants are RFC 3339 on the wire; the lease fields and stopped_at are absent where they do not apply', () => {
    const [l, f, s] = statusReportToProto(report([leader, follower, stopped])).replicas;
    expect(l.startedAt).toBe(new Date(leader.startedAt).toISOString());
    expect(l.heartbeatAt).toBe('2026-03-08T07:29:57.999Z');
    expect(l.leaseGeneration).toBe(7n);
    expect(l.leaseExpiresAt).toBe('2026-03-08T07:30:09.999Z');
    expect(l.stoppedAt).toBeUndefined();
    expect(l.pid).toBe(4242n);
    expect([f.leaseGeneration, f.leaseExpiresAt, f.stoppedAt]).toEqual([undefined, undefined, undefined]);
    expect(s.stoppedAt).toBe(new Date(stopped.stoppedAt!).toISOString());
    expect(s.alive).toBe(false);
  });

  test('a report without replicas (a service that keeps none) sends an empty list; an older controller sends none', () => {
    expect(statusReportToProto(report()).replicas).toEqual([]);
    expect(overTheWire(report()).replicas).toEqual([]);
    // What a controller that predates replicas sends: field 7 missing altogether.
    const old = create(pb.StatusResponseSchema, { at: AT, inFlight: 1n, inFlightLimit: 8n });
    expect(statusReportFromProto(old)).toEqual({ ...report(), replicas: [] });
  });

  test('a bad instant or a pid beyond a safe integer is a plain error, never a wrong value', () => {
    expect(() => replicaFromProto(create(pb.ReplicaSchema, { ...replicaToProto(leader), heartbeatAt: 'yesterday' }))).toThrow(/heartbeat_at = "yesterday"/);
    expect(() => replicaFromProto(create(pb.ReplicaSchema, { ...replicaToProto(leader), pid: 2n ** 60n }))).toThrow(/replica pid/);
    expect(() => replicaToProto({ ...leader, heartbeatAt: Number.NaN })).toThrow(/heartbeat_at/);
  });
});

describe('through a real server and client', () => {
  let api: TestApi & { fake: WorkspaceFakeService };
  beforeAll(async () => {
    api = await startWorkspaceTestApi();
  });
  afterAll(() => api.close());

  test('the CLI side decodes what the service reported', async () => {
    const plain = api.fake.status.bind(api.fake);
    api.fake.status = async (req) => ({ ...(await plain(req)), replicas: [leader, follower, stopped] });
    const status = await api.client.status({});
    expect(status.replicas).toEqual([leader, follower, stopped]);
  });
});

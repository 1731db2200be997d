/** The status report carries the replicas the store lists, as it lists them (oldest first, who leads). */
import { describe, expect, test } from '@jest/globals';
import { ControllerService, type ControllerServiceDeps } from '../../../controller/service/controller-service';
import type { ReplicaRecord } from '../../../controller/domain/replica';
import { silentLogger } from '../../../controller/log';
import { FakeClock } from '../../helpers/fake-clock';

const NOW = Date.parse('2026-03-08T07:30:00.000Z');

const replica: ReplicaRecord = {
  id: 'build-01-4242-9f3c1a2b',
  host: 'build-01',
  pid: 4242,
  version: '1.4.0',
  api: '10.0.0.1:7420',
  startedAt: NOW - 60_000,
  heartbeatAt: NOW - 1_000,
  stoppedAt: null,
  alive: true,
  leader: true,
  leaseGeneration: 3,
  leaseExpiresAt: NOW + 9_000,
};

/** Only what status() touches: a reconciler preview with no presets, the job count, events and replicas. */
function service(replicas: ReplicaRecord[]): ControllerService {
  const store = {
    jobsInFlight: async () => 1,
    recentEvents: async () => [],
    listReplicas: async () => replicas,
  };
  const reconciler = { preview: async () => ({ snapshot: { paused: false }, plan: { presets: [] }, budgeted: [] }) };
  return new ControllerService({
    store,
    reconciler,
    clock: new FakeClock(NOW),
    inFlightLimit: 4,
    log: silentLogger,
  } as unknown as ControllerServiceDeps);
}

describe('ControllerService.status', () => {
  test('includes every replica the store lists, stopped ones too', async () => {
    const stopped = { ...replica, id: 'old', alive: false, leader: false, leaseGeneration: null, leaseExpiresAt: null, stoppedAt: NOW - 5_000 };
    const report = await service([stopped, replica]).status({});
    expect(report).toEqual({ at: '2026-03-08T07:30:00.000Z', paused: false, inFlight: 1, inFlightLimit: 4, presets: [], events: [], replicas: [stopped, replica] });
  });

  test('an empty list when no replica is registered', async () => {
    expect((await service([]).status({})).replicas).toEqual([]);
  });
});

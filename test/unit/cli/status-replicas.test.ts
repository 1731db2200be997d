/**
 * `prewarm status` and the controller replicas: one line for a lone controller, a section with a row per alive
 * replica when there are several, the stopped or silent ones counted in one line, and no raw control character
 * from a replica's host or version. `--json` lists every replica.
 */
import { describe, expect, test } from '@jest/globals';
import type { StatusReport } from '../../../controller/api/service';
import type { ReplicaRecord } from '../../../controller/domain/replica';
import { relative, replicasText, statusJson, statusText } from '../../../controller/cli/human-output';
import { relative as relativeFromWorkspaceOutput } from '../../../controller/cli/workspace-output';
import { shortReplicaIds } from '../../../controller/view/replica-state';
import { explainPreset } from '../../helpers/fixtures';
import { followerRecord, leaderRecord } from '../../helpers/replica-records';

const AT = '2026-03-08T07:30:00.000Z';
const NOW = Date.parse(AT);

const leader = leaderRecord(NOW);
const follower = followerRecord(leader, { heartbeatAt: NOW - 65_000 });
const stopped: ReplicaRecord = { ...follower, id: 'build-01-4000-deadbeef', pid: 4000, heartbeatAt: NOW - 600_000, stoppedAt: NOW - 600_000, alive: false };

function report(replicas?: ReplicaRecord[]): StatusReport {
  return {
    at: AT,
    paused: false,
    inFlight: 1,
    inFlightLimit: 8,
    presets: [explainPreset({ desired: 2, ready: 2 })],
    events: [],
    ...(replicas ? { replicas } : {}),
  };
}

const PRESETS = 'PRESET         DESIRED  READY  STARTING  CLAIMED  FAILED  STATE\n' + 'devbox/us-nix  2        2      0         0        0       healthy\n';

describe('status text', () => {
  test('without replicas (an older controller) the output is what it always was', () => {
    const expected = 'Controller: running; driver operations in flight: 1/8\n\n' + PRESETS;
    expect(statusText(report())).toBe(expected);
    expect(statusText(report([]))).toBe(expected);
  });

  test('one replica (SQLite, or one controller on PostgreSQL): one line under the controller line', () => {
    expect(statusText(report([leader]))).toBe(
      'Controller: running; driver operations in flight: 1/8\n' +
        'Replica 9f3c1a2b on build-01 (pid 4242, version 1.4.0): leader (generation 7), heartbeat 2s ago\n\n' +
        PRESETS,
    );
    // Earlier processes (a restart) are counted on the same line, not listed.
    expect(replicasText([stopped, leader], AT)).toBe(
      'Replica 9f3c1a2b on build-01 (pid 4242, version 1.4.0): leader (generation 7), heartbeat 2s ago; 1 replica stopped or silent\n',
    );
    // A heartbeat within the second, or one a skewed database clock puts after the report: "just now".
    expect(replicasText([{ ...leader, heartbeatAt: NOW + 1500 }], AT)).toContain('heartbeat just now');
  });

  test('several: a section with a row per alive replica, leader and follower, and one line counting the rest', () => {
    expect(statusText(report([leader, follower, stopped]))).toBe(
      'Controller: running; driver operations in flight: 1/8\n' +
        '\n' +
        'Replicas (2 alive):\n' +
        '  ID        HOST      PID   VERSION  API            ROLE                   HEARTBEAT\n' +
        '  9f3c1a2b  build-01  4242  1.4.0    10.0.0.1:7420  leader (generation 7)  2s ago\n' +
        '  77aa01bc  build-02  4243  1.4.0    10.0.0.2:7420  follower               1m5s ago\n' +
        '  1 replica stopped or silent\n' +
        '\n' +
        PRESETS,
    );
  });

  test('several alive and none leading (a takeover pending) says so; none alive is one line', () => {
    const text = replicasText([follower, { ...leader, leader: false, leaseGeneration: null, leaseExpiresAt: null }], AT);
    expect(text).toMatch(/^ {2}no replica leads right now/m);
    expect(text).not.toMatch(/leader \(/);
    expect(replicasText([stopped, { ...stopped, id: 'x-1-cafebabe' }], AT)).toBe('Replicas: none alive; 2 replicas stopped or silent\n');
    expect(replicasText([follower], AT)).toBe('Replica 77aa01bc on build-02 (pid 4243, version 1.4.0): follower, no replica leads right now, heartbeat 1m5s ago\n');
  });

  test('a host or version with control characters is escaped, in the line and in the table', () => {
    const ESC = '\u001b';
    const evil = { ...follower, host: `evil\n${ESC}[31mred`, version: `1.0${ESC}]0;pwned\u0007` };
    for (const text of [statusText(report([evil])), statusText(report([leader, evil]))]) {
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(text).toContain('evil\\n\\u001b[31mred');
      expect(text).toContain('1.0\\u001b]0;pwned\\u0007');
    }
  });
});

describe('short ids', () => {
  test('the random suffix when it reads distinct, the whole id otherwise', () => {
    expect([...shortReplicaIds([leader, follower]).values()]).toEqual(['9f3c1a2b', '77aa01bc']);
    // The daemon's form: host (dashes and all), pid, 4 hex digits.
    expect(shortReplicaIds([{ ...leader, id: 'ci-runner-7-4242-a1b2' }]).get('ci-runner-7-4242-a1b2')).toBe('a1b2');
    // Two suffixes alike: every id in full, so no two rows read the same.
    const twin = { ...follower, id: 'build-03-1-9f3c1a2b' };
    expect([...shortReplicaIds([leader, twin]).values()]).toEqual([leader.id, twin.id]);
    // No separator: the id itself, cut.
    expect(shortReplicaIds([{ ...leader, id: 'abcdefghijklmnopqrstuvwxyz' }]).get('abcdefghijklmnopqrstuvwxyz')).toBe('abcdefghijk…');
  });
});

describe('status --json', () => {
  test('every replica, stopped ones too, snake_case with RFC 3339 instants', () => {
    const json = statusJson(report([leader, stopped]));
    expect(json.replicas).toEqual([
      {
        id: leader.id,
        host: 'build-01',
        pid: 4242,
        version: '1.4.0',
        api: '10.0.0.1:7420',
        started_at: '2026-03-08T06:30:00.000Z',
        heartbeat_at: '2026-03-08T07:29:58.000Z',
        stopped_at: null,
        alive: true,
        leader: true,
        lease_generation: 7,
        lease_expires_at: '2026-03-08T07:30:10.000Z',
      },
      expect.objectContaining({ id: stopped.id, alive: false, leader: false, lease_generation: null, lease_expires_at: null, stopped_at: '2026-03-08T07:20:00.000Z' }),
    ]);
    expect(statusJson(report()).replicas).toEqual([]);
  });
});

test('relative() moved to human-output; workspace-output still exports the same function', () => {
  expect(relativeFromWorkspaceOutput).toBe(relative);
});

/** The live view in both modes, fed with status reports as the controller sends them. */
import { describe, expect, test } from '@jest/globals';
import type { ExplainPreset, StatusReport } from '../../../controller/api/service';
import { LiveView, liveViewMode } from '../../../controller/view/live-view';
import type { PoolEvent } from '../../../controller/domain/records';
import type { ReplicaRecord } from '../../../controller/domain/replica';
import { explainPreset } from '../../helpers/fixtures';
import { leaderRecord } from '../../helpers/replica-records';

const AT = '2026-03-02T12:00:00.000Z';

function report(presets: ExplainPreset[], events: PoolEvent[] = [], at = AT): StatusReport {
  return { at, paused: false, inFlight: 1, inFlightLimit: 8, presets, events };
}

function event(over: Partial<PoolEvent> = {}): PoolEvent {
  return {
    at: Date.parse(AT) - 1000,
    presetId: 'devbox/us-nix',
    instanceId: '0123456789abcdef',
    op: 'create',
    ok: true,
    error: '',
    stderrTail: '',
    durationMs: 2300,
    ...over,
  };
}

function capture(mode: { tty: boolean; color: boolean }) {
  const chunks: string[] = [];
  const view = new LiveView({ write: (t) => chunks.push(t) }, mode);
  return { view, chunks, text: () => chunks.join('') };
}

describe('mode', () => {
  test('redraw and colour on a terminal; NO_COLOR (any value) and TERM=dumb turn colour off; a pipe gets neither', () => {
    expect(liveViewMode({ isTTY: true }, {})).toEqual({ tty: true, color: true });
    expect(liveViewMode({ isTTY: true }, { NO_COLOR: '' })).toEqual({ tty: true, color: false });
    expect(liveViewMode({ isTTY: true }, { TERM: 'dumb' })).toEqual({ tty: true, color: false });
    expect(liveViewMode({ isTTY: false }, {})).toEqual({ tty: false, color: false });
    expect(liveViewMode({}, {})).toEqual({ tty: false, color: false });
  });
});

describe('plain lines (a pipe)', () => {
  test('a preset line only when its numbers or state change, and each event once, oldest first', () => {
    const { view, chunks } = capture({ tty: false, color: false });
    const starting = explainPreset({ desired: 2, starting: 2 });
    view.update(report([starting]));
    view.update(report([starting]));
    expect(chunks).toEqual(['12:00:00  devbox/us-nix  desired 2  ready 0  starting 2  claimed 0  healthy\n']);

    const e1 = event({ instanceId: 'aaaaaaaa1111', at: Date.parse(AT) + 1000 });
    const e2 = event({ instanceId: 'bbbbbbbb2222', at: Date.parse(AT) + 2000 });
    view.update(report([explainPreset({ desired: 2, ready: 2 })], [e2, e1], '2026-03-02T12:00:03.000Z'));
    expect(chunks[1]).toBe(
      '12:00:01  build done devbox/us-nix aaaaaaaa (2.3s)\n' +
        '12:00:02  build done devbox/us-nix bbbbbbbb (2.3s)\n' +
        '12:00:03  devbox/us-nix  desired 2  ready 2  starting 0  claimed 0  healthy\n',
    );
    // The same events again print nothing.
    view.update(report([explainPreset({ desired: 2, ready: 2 })], [e2, e1], '2026-03-02T12:00:04.000Z'));
    expect(chunks).toHaveLength(2);
  });

  test('a failed build shows the error and the driver\'s last stderr line; a deleted preset says gone', () => {
    const { view, text } = capture({ tty: false, color: false });
    view.update(report([explainPreset()]));
    const failed = event({ ok: false, error: 'driver "localdir" exited with code 1', stderrTail: 'git: repository not found' });
    view.update(report([], [failed, event({ op: 'delete', instanceId: 'cccccccc' })]));
    expect(text()).toContain('deleted devbox/us-nix cccccccc');
    expect(text()).toContain('build failed devbox/us-nix 01234567: driver "localdir" exited with code 1 — git: repository not found');
    expect(text()).toContain('devbox/us-nix  gone');
  });

  test('the state that matters: backing off until, hard limited and why, validation failed and why, paused', () => {
    const { view, text } = capture({ tty: false, color: false });
    view.update(
      report([
        explainPreset({ preset: 'a', backoff_until: '2026-03-02T12:05:00.000Z' }),
        explainPreset({ preset: 'b', status: 'hard_limited', status_reason: '3 consecutive failed builds' }),
        explainPreset({ preset: 'c', status: 'validation_failed', status_reason: 'driver exit 78: bad repo' }),
        explainPreset({ preset: 'd', paused: true }),
        explainPreset({ preset: 'e', backoff_until: '2026-03-02T11:00:00.000Z' }),
      ]),
    );
    expect(text()).toContain('devbox/a  desired 0  ready 0  starting 0  claimed 0  backing off until 2026-03-02T12:05:00.000Z');
    expect(text()).toContain('devbox/b  desired 0  ready 0  starting 0  claimed 0  hard limited: 3 consecutive failed builds');
    expect(text()).toContain('validation failed: driver exit 78: bad repo');
    expect(text()).toContain('devbox/d  desired 0  ready 0  starting 0  claimed 0  paused');
    // A backoff that ended before the report's instant is not a state any more.
    expect(text()).toContain('devbox/e  desired 0  ready 0  starting 0  claimed 0  healthy');
  });

  test('control characters from the store or a driver are escaped, never sent to the terminal raw', () => {
    const { view, text } = capture({ tty: false, color: false });
    const nasty = event({ ok: false, error: 'boom\u001b[31m', stderrTail: 'line\rfake row\u0000' });
    view.update(report([explainPreset({ preset: 'x\ny' })], [nasty]));
    expect(text()).not.toMatch(/[\u0000\u001b\r]/);
    expect(text()).toContain('boom\\u001b[31m — line\\rfake row\\u0000');
    expect(text()).toContain('devbox/x\\ny');
  });
});

describe('a terminal', () => {
  test('the table is redrawn in place: each frame moves up over the previous one and clears it', () => {
    const { view, chunks } = capture({ tty: true, color: false });
    view.update(report([explainPreset({ desired: 2, starting: 2 })]));
    view.update(report([explainPreset({ desired: 2, ready: 2 })], [event()]));
    const firstLines = chunks[0].split('\n').length - 1;
    expect(chunks[0].startsWith('\u001b[?25l')).toBe(true); // cursor hidden while the view runs
    expect(chunks[1].startsWith(`\u001b[${firstLines}F\u001b[J`)).toBe(true);
    expect(chunks[1]).toContain('PRESET         DESIRED  READY  STARTING  CLAIMED  STATE');
    expect(chunks[1]).toContain('devbox/us-nix  2        2      0         0        healthy');
    expect(chunks[1]).toContain('Recent events');
    expect(chunks[1]).toContain('build done devbox/us-nix 01234567 (2.3s)');
    expect(chunks[1]).toContain('READY: claimable now');
    expect(chunks.join('')).not.toContain('\u001b[3'); // no colour asked for
    view.close();
    expect(chunks[chunks.length - 1]).toBe('\u001b[?25h');
  });

  test('colour marks health: green when full and healthy, yellow while building or backing off, red when stopped', () => {
    const { view, chunks } = capture({ tty: true, color: true });
    view.update(
      report([
        explainPreset({ preset: 'full', desired: 1, ready: 1 }),
        explainPreset({ preset: 'building', desired: 2, starting: 2, backoff_until: '2026-03-02T12:05:00.000Z' }),
        explainPreset({ preset: 'stopped', status: 'hard_limited', status_reason: 'too many failures' }),
      ]),
    );
    const frame = chunks[0];
    expect(frame).toContain('\u001b[32mhealthy\u001b[39m');
    expect(frame).toContain('\u001b[33mbacking off until 2026-03-02T12:05:00.000Z');
    expect(frame).toContain('\u001b[31mhard limited: too many failures\u001b[39m');
  });
});

describe('a small terminal', () => {
  test('lines wider than the terminal are cut and frames taller than it end in a note, so the redraw stays exact', () => {
    const chunks: string[] = [];
    const view = new LiveView({ write: (t) => chunks.push(t) }, { tty: true, color: true, columns: 40, rows: 10 });
    const presets = Array.from({ length: 12 }, (_, i) =>
      explainPreset({ preset: `p${i}`, status: 'hard_limited', status_reason: `3 consecutive failed builds; last: ${'x'.repeat(200)}` }),
    );
    view.update(report(presets));
    const frame = chunks[0].replace('\u001b[?25l', '');
    const lines = frame.split('\n').slice(0, -1);
    expect(lines).toHaveLength(9); // rows - 1: the cursor line below the frame must not scroll the screen
    expect(lines[lines.length - 1]).toMatch(/^… \d+ more lines/);
    for (const l of lines) expect([...l.replace(/\u001b\[[0-9;]*m/g, '')].length).toBeLessThanOrEqual(40);
    view.update(report(presets));
    expect(chunks[1].startsWith('\u001b[9F\u001b[J')).toBe(true);
  });

  test('a log line interjected on a terminal is printed where the frame was, and the frame is drawn again below it', () => {
    const chunks: string[] = [];
    const view = new LiveView({ write: (t) => chunks.push(t) }, { tty: true, color: false });
    view.update(report([explainPreset()]));
    const frameLines = chunks[0].split('\n').length - 1;
    view.interject('{"level":"warn","msg":"create failed"}\n');
    expect(chunks[1].startsWith(`\u001b[${frameLines}F\u001b[J{"level":"warn","msg":"create failed"}\n`)).toBe(true);
    expect(chunks[1]).toContain('devbox/us-nix');
    // The next redraw moves up over the frame only: the log line stays on screen above it.
    view.update(report([explainPreset()]));
    expect(chunks[2].startsWith(`\u001b[${frameLines}F\u001b[J`)).toBe(true);
  });
});

test('a terminal that reports no size (0 columns, 0 rows) is drawn unclipped', () => {
  const chunks: string[] = [];
  const view = new LiveView({ write: (t) => chunks.push(t) }, { tty: true, color: false, columns: 0, rows: 0 });
  view.update(report([explainPreset()]));
  expect(chunks[0]).toContain('devbox/us-nix  0        0      0         0        healthy');
  expect(chunks[0]).toContain('Recent events');
});

describe('controller replicas', () => {
  const NOW = Date.parse(AT);
  const leader = leaderRecord(NOW);
  const follower: ReplicaRecord = { ...leader, id: 'build-02-4243-77aa01bc', host: 'build-02\u001b[31m', pid: 4243, leader: false, leaseGeneration: null, leaseExpiresAt: null };
  const stopped: ReplicaRecord = { ...follower, id: 'build-01-4000-deadbeef', host: 'build-01', alive: false, stoppedAt: NOW - 60_000 };
  const withReplicas = (replicas: ReplicaRecord[], at = AT): StatusReport => ({ ...report([explainPreset()], [], at), replicas });

  test('a terminal frame gets one line under the heading with several alive, none with one controller', () => {
    const one = capture({ tty: true, color: false });
    one.view.update(withReplicas([leader, stopped]));
    const plain = capture({ tty: true, color: false });
    plain.view.update(report([explainPreset()]));
    expect(one.chunks[0]).toBe(plain.chunks[0]);

    const several = capture({ tty: true, color: false });
    several.view.update(withReplicas([leader, follower, stopped]));
    const lines = several.chunks[0].split('\n');
    expect(lines[1]).toBe('replicas: 2 alive, leader 9f3c1a2b on build-01 (generation 7), 1 replica stopped or silent');
    expect(lines[2]).toBe('');
    expect(lines.length).toBe(plain.chunks[0].split('\n').length + 1);
  });

  test('in a pipe, a line when the replicas change (a takeover, one gone), escaped; nothing with one controller', () => {
    const { view, chunks, text } = capture({ tty: false, color: false });
    view.update(withReplicas([leader, stopped]));
    expect(text()).not.toContain('replicas');
    const newLeader: ReplicaRecord = { ...follower, leader: true, leaseGeneration: 8, leaseExpiresAt: NOW + 10_000 };
    view.update(withReplicas([leader, follower]));
    view.update(withReplicas([leader, follower], '2026-03-02T12:00:01.000Z'));
    view.update(withReplicas([{ ...leader, leader: false, alive: false, leaseGeneration: null }, newLeader], '2026-03-02T12:00:02.000Z'));
    const replicaLines = chunks.join('').split('\n').filter((l) => l.includes('replicas'));
    expect(replicaLines).toEqual([
      '12:00:00  replicas: 2 alive, leader 9f3c1a2b on build-01 (generation 7)',
      '12:00:02  replicas: 1 alive, leader 77aa01bc on build-02\\u001b[31m (generation 8), 1 replica stopped or silent',
    ]);
    expect(text()).not.toMatch(/\u001b/);
  });
});

/**
 * DST policy, pinned: a local hour skipped by spring-forward does not occur; a repeated fall-back hour
 * occurs twice and both occurrences are inside a window containing it. jest runs this file once per process
 * time zone (the "dst TZ=…" projects in jest.config.js: UTC, America/New_York, Europe/Berlin and
 * Australia/Lord_Howe) to prove the process zone is irrelevant.
 */
import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileScheduling } from '../../../controller/domain/scheduling';
import { at, MINUTE } from '../../helpers/schedule-fixtures';
import { desiredCount } from '../../../controller/schedule/desired-count';
import type { CompiledScheduling } from '../../../controller/domain/schedule-window';

const PROCESS_ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe'];
const BASE = 1;
const ON = 9;

const window = (tz: string, cron: string, lead_time?: string): CompiledScheduling =>
  compileScheduling({ timezone: tz, lead_time, schedule: [{ cron, instances: ON }] });

const open = (s: CompiledScheduling, t: number): boolean => desiredCount(BASE, s, t).desired === ON;

/** The instants (minute resolution) in [from, to) at which the window is open, as [first, last, count]. */
function openSpan(s: CompiledScheduling, from: string, to: string): [string, string, number] | null {
  let first: number | null = null;
  let last = 0;
  let count = 0;
  for (let t = at(from); t < at(to); t += MINUTE) {
    if (!open(s, t)) continue;
    if (first === null) first = t;
    else assert.equal(t - last, MINUTE, `window has a hole before ${new Date(t).toISOString()}`);
    last = t;
    count++;
  }
  return first === null ? null : [new Date(first).toISOString(), new Date(last).toISOString(), count];
}

/** Minutes getTimezoneOffset() gives for 2026-01-15T12:00:00Z in each process zone (Lord Howe is on +11 then). */
const JANUARY_OFFSET: Record<string, number> = { UTC: 0, 'America/New_York': 300, 'Europe/Berlin': -60, 'Australia/Lord_Howe': -660 };

test('process TZ is what the runner asked for (sanity of the per-zone runs)', () => {
  // The zone the jest project asked for (testEnvironmentOptions are also set on the test's global object).
  const asked = (globalThis as { processTimeZone?: unknown }).processTimeZone;
  assert.ok(typeof asked === 'string' && PROCESS_ZONES.includes(asked), `run through one of the "dst TZ=…" jest projects, not ${String(asked)}`);
  assert.equal(process.env.TZ, asked);
  // Both Intl and Date of this very process use it, not only the environment variable.
  assert.equal(Intl.DateTimeFormat().resolvedOptions().timeZone, asked);
  assert.equal(new Date(at('2026-01-15T12:00:00Z')).getTimezoneOffset(), JANUARY_OFFSET[asked]);
});

test('jest runs this file under every process zone', () => {
  const config = require('../../../jest.config.js') as { projects: Array<{ testMatch?: string[]; testEnvironmentOptions?: { processTimeZone?: string } }> };
  const zones = config.projects
    .filter((p) => p.testMatch?.some((m) => m.endsWith('test/unit/schedule/dst.test.ts')))
    .map((p) => p.testEnvironmentOptions?.processTimeZone);
  assert.deepEqual(zones.sort(), [...PROCESS_ZONES].sort());
});

test('America/New_York spring forward (2026-03-08 02:00 EST → 03:00 EDT)', () => {
  const tz = 'America/New_York';
  // A window that is only the missing hour never opens that day, but does the day before.
  assert.equal(openSpan(window(tz, '* 2 * * *'), '2026-03-08T04:00:00Z', '2026-03-09T04:00:00Z'), null);
  assert.deepEqual(openSpan(window(tz, '* 2 * * *'), '2026-03-07T04:00:00Z', '2026-03-08T04:00:00Z'), [
    '2026-03-07T07:00:00.000Z', '2026-03-07T07:59:00.000Z', 60,
  ]);
  // The previous night's window does not leak into the next day.
  const night = window(tz, '* 22-23 * * 6');
  assert.equal(open(night, at('2026-03-08T04:59:59Z')), true); // Sat 23:59:59 EST
  assert.equal(open(night, at('2026-03-08T05:00:00Z')), false); // Sun 00:00 EST
  assert.equal(open(night, at('2026-03-08T07:00:00Z')), false); // Sun 03:00 EDT
  // A window ending in the gap closes when the gap starts: 00:00-01:59:59 EST, two real hours.
  assert.deepEqual(openSpan(window(tz, '* 0-2 * * 0'), '2026-03-08T04:00:00Z', '2026-03-09T04:00:00Z'), [
    '2026-03-08T05:00:00.000Z', '2026-03-08T06:59:00.000Z', 120,
  ]);
  // A window starting in the gap opens right after it.
  assert.deepEqual(openSpan(window(tz, '* 2-3 * * *'), '2026-03-08T05:00:00Z', '2026-03-08T12:00:00Z'), [
    '2026-03-08T07:00:00.000Z', '2026-03-08T07:59:00.000Z', 60,
  ]);
});

test('America/New_York fall back (2026-11-01 02:00 EDT → 01:00 EST)', () => {
  const tz = 'America/New_York';
  // Both 01:00-01:59 occurrences are inside, with no hole: two real hours.
  assert.deepEqual(openSpan(window(tz, '* 1 * * *'), '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z'), [
    '2026-11-01T05:00:00.000Z', '2026-11-01T06:59:00.000Z', 120,
  ]);
  assert.equal(open(window(tz, '* 1 * * *'), at('2026-11-01T04:59:59Z')), false);
  assert.equal(open(window(tz, '* 1 * * *'), at('2026-11-01T07:00:00Z')), false);
  // A window ending at the repeated hour: 00:00 EDT to 01:59:59 EST, three real hours.
  assert.deepEqual(openSpan(window(tz, '* 0-1 * * 0'), '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'), [
    '2026-11-01T04:00:00.000Z', '2026-11-01T06:59:00.000Z', 180,
  ]);
});

test('Europe/Berlin spring forward (2026-03-29 02:00 CET → 03:00 CEST)', () => {
  const tz = 'Europe/Berlin';
  assert.equal(openSpan(window(tz, '* 2 * * *'), '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z'), null);
  // 02:30-04:00 in the lifecycle notes becomes hours 2-3: opens at 03:00 CEST, right after the gap.
  assert.deepEqual(openSpan(window(tz, '* 2-3 * * *'), '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z'), [
    '2026-03-29T01:00:00.000Z', '2026-03-29T01:59:00.000Z', 60,
  ]);
  // Ending in the gap: 00:00-01:59:59 CET.
  assert.deepEqual(openSpan(window(tz, '* 0-2 * * *'), '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z'), [
    '2026-03-28T23:00:00.000Z', '2026-03-29T00:59:00.000Z', 120,
  ]);
  // Saturday night's window is closed on Sunday morning.
  const night = window(tz, '* 20-23 * * 6');
  assert.equal(open(night, at('2026-03-28T22:59:00Z')), true);
  assert.equal(open(night, at('2026-03-28T23:00:00Z')), false);
  assert.equal(open(night, at('2026-03-29T01:00:00Z')), false);
  // lead_time is real elapsed time: 30 minutes before 03:00 CEST is 01:30 CET.
  const lead = window(tz, '* 3-5 * * 0', '30m');
  assert.equal(open(lead, at('2026-03-29T00:29:59Z')), false);
  assert.deepEqual(desiredCount(BASE, lead, at('2026-03-29T00:30:00Z')).source, {
    kind: 'schedule', index: 0, cron: '* 3-5 * * 0', via: 'lead_time',
  });
});

test('Europe/Berlin fall back (2026-10-25 03:00 CEST → 02:00 CET)', () => {
  const tz = 'Europe/Berlin';
  assert.deepEqual(openSpan(window(tz, '* 2 * * *'), '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z'), [
    '2026-10-25T00:00:00.000Z', '2026-10-25T01:59:00.000Z', 120,
  ]);
  assert.equal(open(window(tz, '* 2 * * *'), at('2026-10-24T23:59:59Z')), false); // 01:59:59 CEST
  assert.equal(open(window(tz, '* 2 * * *'), at('2026-10-25T02:00:00Z')), false); // 03:00 CET
  // Starting in the repeated hour: 02:00 CEST to 03:59:59 CET, three real hours.
  assert.deepEqual(openSpan(window(tz, '* 2-3 * * 0'), '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z'), [
    '2026-10-25T00:00:00.000Z', '2026-10-25T02:59:00.000Z', 180,
  ]);
});

test('Australia/Lord_Howe spring forward, a 30-minute shift (2026-10-04 02:00 → 02:30)', () => {
  const tz = 'Australia/Lord_Howe';
  // Only 02:30-02:59 exists that night, so the hour-2 window is open for 30 minutes.
  assert.deepEqual(openSpan(window(tz, '* 2 * * *'), '2026-10-03T13:00:00Z', '2026-10-04T13:00:00Z'), [
    '2026-10-03T15:30:00.000Z', '2026-10-03T15:59:00.000Z', 30,
  ]);
  // Ending in the gap: closes at 01:59:59 +10:30.
  assert.deepEqual(openSpan(window(tz, '* 0-1 * * 0'), '2026-10-03T13:00:00Z', '2026-10-04T13:00:00Z'), [
    '2026-10-03T13:30:00.000Z', '2026-10-03T15:29:00.000Z', 120,
  ]);
  const night = window(tz, '* 22-23 * * 6');
  assert.equal(open(night, at('2026-10-03T13:29:00Z')), true);
  assert.equal(open(night, at('2026-10-03T13:30:00Z')), false);
  assert.equal(open(night, at('2026-10-03T15:30:00Z')), false);
});

test('Australia/Lord_Howe fall back, a 30-minute shift (2026-04-05 02:00 → 01:30)', () => {
  const tz = 'Australia/Lord_Howe';
  // 01:00-01:59 +11:00 then 01:30-01:59 +10:30 again: 90 minutes, no hole.
  assert.deepEqual(openSpan(window(tz, '* 1 * * *'), '2026-04-04T12:00:00Z', '2026-04-05T12:00:00Z'), [
    '2026-04-04T14:00:00.000Z', '2026-04-04T15:29:00.000Z', 90,
  ]);
  assert.equal(open(window(tz, '* 1 * * *'), at('2026-04-04T15:30:00Z')), false); // 02:00 +10:30
  assert.deepEqual(openSpan(window(tz, '* 2 * * *'), '2026-04-04T12:00:00Z', '2026-04-05T12:00:00Z'), [
    '2026-04-04T15:30:00.000Z', '2026-04-04T16:29:00.000Z', 60,
  ]);
});

test('a whole year evaluated in every DST zone only ever opens on matching local hours', () => {
  for (const tz of ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe']) {
    const s = window(tz, '* 1-2 * * *');
    let openHours = 0;
    for (let t = at('2026-01-01T00:00:00Z'); t < at('2027-01-01T00:00:00Z'); t += 30 * MINUTE) {
      if (open(s, t)) openHours += 0.5;
    }
    // 365 days × 2 hours; the skipped part of spring night (1 h, or 30 min on Lord Howe) is given back
    // by the repeated part of the autumn night.
    assert.equal(openHours, 365 * 2, tz);
  }
});

test('schedule code never reads the process time zone', () => {
  const controller = join(__dirname, '../../../controller');
  const ts = (dir: string) => readdirSync(join(controller, dir)).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  // Zone evaluation lives in controller/schedule; cron, calendar, zone and window code in controller/domain.
  const domain = ts('domain').filter((f) => /cron|calendar|timezone|schedul|overlap|duration/.test(f));
  assert.ok(domain.length > 0, 'no schedule code found in controller/domain');
  for (const file of [...ts('schedule'), ...domain]) {
    const src = readFileSync(join(controller, file), 'utf8');
    assert.doesNotMatch(src, /\.(getFullYear|getMonth|getDate|getDay|getHours|getMinutes|getTimezoneOffset|toLocale\w*|set(Hours|Date))\(/, file);
    assert.doesNotMatch(src, /new Date\(/, file);
  }
});

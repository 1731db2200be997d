import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { localFields, LocalTimeCache } from '../../../controller/schedule/localtime';
import { at } from '../../helpers/schedule-fixtures';
import { isCanonicalZone, isValidTimeZone, judgeZone, timeZoneProblem } from '../../../controller/domain/timezone';

test('localFields converts an instant to wall-clock fields of the zone', () => {
  assert.deepEqual(localFields('UTC', at('2024-02-29T23:59:00Z')), {
    year: 2024, month: 2, day: 29, hour: 23, minute: 59, weekday: 4, daysInMonth: 29,
  });
  assert.deepEqual(localFields('America/New_York', at('2025-01-01T04:30:00Z')), {
    year: 2024, month: 12, day: 31, hour: 23, minute: 30, weekday: 2, daysInMonth: 31,
  });
  assert.deepEqual(localFields('Asia/Kolkata', at('2025-02-28T18:30:00Z')), {
    year: 2025, month: 3, day: 1, hour: 0, minute: 0, weekday: 6, daysInMonth: 31,
  });
  // Midnight renders as hour 0, never 24.
  assert.equal(localFields('Europe/Berlin', at('2025-06-01T22:00:00Z')).hour, 0);
});

test('time zones: IANA names accepted, everything else rejected with a reason', () => {
  for (const ok of ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'US/Eastern', 'EST5EDT', 'Etc/GMT-5']) {
    assert.equal(timeZoneProblem(ok), null, ok);
    assert.equal(isValidTimeZone(ok), true, ok);
  }
  const bad: Array<[unknown, RegExp]> = [
    ['', /must not be empty/],
    ['InvalidLocation', /unknown time zone "InvalidLocation"/],
    ['Mars/Olympus_Mons', /unknown time zone/],
    ['Local', /unknown time zone/],
    ['+05:00', /is an offset/],
    ['-0400', /is an offset/],
    ['UTC+2', /is an offset/],
    ['utc', /case-sensitive: did you mean "UTC"/],
    ['america/new_york', /did you mean "America\/New_York"/],
    [' UTC', /whitespace/],
    [42, /must be a string/],
  ];
  for (const [name, re] of bad) {
    assert.match(timeZoneProblem(name) ?? '', re, String(name));
    assert.equal(isValidTimeZone(name), false);
  }
  assert.throws(() => localFields('Nowhere/City', 0), RangeError);
});

test('the canonical-zone shortcut agrees with the full check on every zone ICU lists, and on links, bad names and odd case', () => {
  const canonical = Intl.supportedValuesOf('timeZone');
  const others = [
    // Links and legacy zones ICU resolves but does not list as canonical.
    'UTC', 'Etc/UTC', 'GMT', 'US/Eastern', 'US/Pacific', 'Asia/Calcutta', 'Asia/Saigon', 'Europe/Kiev', 'America/Buenos_Aires',
    'EST5EDT', 'CST6CDT', 'Etc/GMT-5', 'Etc/GMT+12', 'Japan', 'Zulu',
    // Not zones at all.
    '', ' ', 'Local', 'InvalidLocation', 'Mars/Olympus_Mons', 'America/', '/Berlin', 'Europe//Berlin', 'Europe/Berlin/',
    '+05:00', '-0400', '\u221205:00', 'UTC+2', 'GMT-3', 'utc+1',
    ' UTC', 'Europe/Berlin ', '\tAsia/Tokyo',
    // Odd case, of canonical names and of links.
    'utc', 'Utc', 'gmt', 'america/new_york', 'AMERICA/NEW_YORK', 'Europe/berlin', 'us/eastern', 'asia/kolkata', 'etc/gmt-5',
  ];
  assert.ok(canonical.length > 300, `ICU lists ${canonical.length} zones`);
  const mismatches: string[] = [];
  for (const name of [...canonical, ...others]) {
    const full = judgeZone(name);
    // A name the shortcut takes is accepted without the full check: it must be one the full check accepts.
    if (isCanonicalZone(name) && full !== null) mismatches.push(`${JSON.stringify(name)}: the shortcut accepts it, the full check says ${full}`);
    const verdict = timeZoneProblem(name);
    if (verdict !== full) mismatches.push(`${JSON.stringify(name)}: timeZoneProblem says ${verdict}, the full check ${full}`);
  }
  assert.deepEqual(mismatches, []);
  // The shortcut is in use for every listed zone (or the comparison above would test the full check against itself).
  assert.deepEqual(canonical.filter((name) => !isCanonicalZone(name)), []);
  // And the odd names really were judged: the set holds both accepted links and every kind of refusal.
  assert.equal(judgeZone('US/Eastern'), null);
  assert.match(judgeZone('utc') ?? '', /case-sensitive/);
  assert.match(judgeZone('UTC+2') ?? '', /is an offset/);
  assert.match(judgeZone(' UTC') ?? '', /whitespace/);
  assert.match(judgeZone('Mars/Olympus_Mons') ?? '', /unknown time zone/);
});

test('LocalTimeCache converts each (zone, instant) once', () => {
  const cache = new LocalTimeCache();
  const zones = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo'];
  const now = at('2025-06-10T12:00:00Z');
  for (let i = 0; i < 10_000; i++) cache.get(zones[i % zones.length], now + (i % 3) * 1_800_000);
  assert.equal(cache.size, zones.length * 3);
  assert.equal(cache.get('UTC', now), cache.get('UTC', now));
  assert.deepEqual(cache.get('Asia/Tokyo', now), localFields('Asia/Tokyo', now));
  cache.clear();
  assert.equal(cache.size, 0);
});

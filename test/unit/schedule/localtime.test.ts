import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { localFields, LocalTimeCache } from '../../../controller/schedule/localtime';
import { at } from '../../helpers/schedule-fixtures';
import { isValidTimeZone, timeZoneProblem } from '../../../controller/domain/timezone';

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

test('every canonical zone ICU lists is accepted by the shortcut and by the full check alike', () => {
  // The shortcut skips Intl.DateTimeFormat for these names; the full check must agree on each of them.
  for (const name of Intl.supportedValuesOf('timeZone')) {
    assert.equal(timeZoneProblem(name), null, name);
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    assert.ok(resolved === name || resolved.toLowerCase() !== name.toLowerCase(), `${name} resolves to ${resolved}`);
    assert.doesNotMatch(name, /^[+\-\u2212]|^(UTC|GMT)[+\-]\d/i, name);
  }
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

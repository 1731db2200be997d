import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { compileCron, CronSyntaxError } from '../../../controller/domain/cron';
import { localFields } from '../../../controller/schedule/localtime';
import { at, cronParserAccepts, HOUR, MINUTE, pick, randomCron, rng } from '../../helpers/schedule-fixtures';

const utc = (iso: string) => localFields('UTC', at(iso));

test('compileCron rejects bad crons naming the field and the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['* 25 * * *', /^hour field: value 25 out of range 0-23$/],
    ['* 25-26 * * *', /^hour field: range 25-26 out of range 0-23$/],
    ['* 22-2 * * *', /^hour field: range 22-2 runs backwards.*22-23,0-2/],
    ['0 8 * * *', /^minute field must be "\*" \(windows are whole hours\)/],
    ['*/5 8 * * *', /^minute field must be "\*"/],
    ['* * * * * *', /^expected 5 fields .*got 6 \(a seconds field is not supported\)$/],
    ['* * * *', /^expected 5 fields .*got 4$/],
    ['', /cron is empty/],
    ['   ', /cron is empty/],
    ['@daily', /descriptors such as "@daily" are not supported/],
    ['@weekly', /descriptors/],
    ['* H * * *', /^hour field: hashed "H" values are not supported/],
    ['* H(8-10) * * *', /^hour field: hashed "H"/],
    ['* * H/2 * *', /^day-of-month field: hashed "H"/],
    ['* * * * H', /^day-of-week field: hashed "H"/],
    ['* * * * MON-FRIH', /^day-of-week field: hashed "H"/],
    ['* * 0 * *', /^day-of-month field: value 0 out of range 1-31$/],
    ['* * 32 * *', /^day-of-month field: value 32 out of range 1-31$/],
    ['* * * 0 *', /^month field: value 0 out of range 1-12$/],
    ['* * * 13 *', /^month field: value 13 out of range 1-12$/],
    ['* * * * 8', /^day-of-week field: value 8 out of range 0-7$/],
    ['* * * * xyz', /^day-of-week field: unknown name "xyz"$/],
    ['* * * foo *', /^month field: unknown name "foo"$/],
    ['* 8,8 * * *', /^hour field: value 8 is listed more than once$/],
    ['* * * * 0,7', /day-of-week field: value 0 is listed more than once \(7 also means Sunday\)/],
    ['* */0 * * *', /^hour field: step must be a positive integer/],
    ['* 8.5 * * *', /^hour field: invalid characters in "8.5"$/],
    ['* -1 * * *', /^hour field: invalid range in "-1"$/],
    ['* 1,,2 * * *', /^hour field: empty list item/],
    ['* * * * L', /^day-of-week field: "L" alone is not allowed/],
    ['* * 5L * *', /^day-of-month field: "5L" is not allowed/],
    ['* * * * 5#6', /^day-of-week field: the occurrence after "#" must be 1-5$/],
    ['* * * * 1-5#2', /^day-of-week field: "#" cannot be combined with "-"$/],
    ['* * 30 2 *', /^day-of-month field: no day in "30" exists in month field "2"/],
    ['* * 31 4,6 *', /^day-of-month field: no day in "31" exists/],
  ];
  for (const [cron, re] of cases) {
    assert.throws(() => compileCron(cron, 1), (e: unknown) => {
      assert.ok(e instanceof CronSyntaxError, cron);
      assert.match(e.message, re, cron);
      return true;
    });
  }
});

test('compileCron reports every bad field at once', () => {
  assert.throws(() => compileCron('* 25 0 13 9', 1), (e: unknown) => {
    assert.ok(e instanceof CronSyntaxError);
    assert.equal(e.problems.length, 4);
    assert.match(e.problems[0], /^hour field/);
    assert.match(e.problems[1], /^day-of-month field/);
    assert.match(e.problems[2], /^month field/);
    assert.match(e.problems[3], /^day-of-week field/);
    return true;
  });
});

test('compileCron accepts everything cron-parser accepts in the hour and day fields', () => {
  for (const cron of [
    '* * * * *', '* 8-18 * * 1-5', '*  8-18  *  *  MON-FRI', ' * 0-23/3 * * * ', '* */2 * * *', '* 1-23/2 * * *',
    '* 8,12,16 1,15 JAN,jul * ', '* ? ? * ?', '* * L * *', '* * * * 5L', '* * * * 5#2', '* * * * 7', '* * * * SUN',
    '* 22-23,0-5 * * *', '* * 29 2 *', '* * 30 2 1', '* * */1 * 1', '* 8 * * 1,5L',
  ]) {
    const w = compileCron(cron, 3);
    assert.equal(w.cron, cron);
    assert.equal(w.instances, 3);
  }
});

test('hour windows are level-based and whole hours', () => {
  const w = compileCron('* 9-18 * * 1-5', 5); // 2025-01-06 is a Monday
  assert.equal(w.matches(utc('2025-01-06T08:59:59Z')), false);
  assert.equal(w.matches(utc('2025-01-06T09:00:00Z')), true);
  assert.equal(w.matches(utc('2025-01-06T18:59:59Z')), true);
  assert.equal(w.matches(utc('2025-01-06T19:00:00Z')), false);
  assert.equal(w.matches(utc('2025-01-04T12:00:00Z')), false); // Saturday
  assert.deepEqual(w.hours(), [9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
});

test('steps, names, 7 = Sunday, L, nL and n#k', () => {
  const even = compileCron('* */2 * * *', 1);
  const odd = compileCron('* 1-23/2 * * *', 1);
  assert.deepEqual(even.hours(), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]);
  assert.deepEqual(odd.hours(), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23]);
  assert.equal(compileCron('* * * * 7', 1).matches(utc('2025-01-05T10:00:00Z')), true); // Sunday
  assert.equal(compileCron('* * * * SUN', 1).matches(utc('2025-01-05T10:00:00Z')), true);
  assert.equal(compileCron('* * * * 5-7', 1).matches(utc('2025-01-05T10:00:00Z')), true);
  assert.equal(compileCron('* * * * 5-7', 1).matches(utc('2025-01-06T10:00:00Z')), false);
  const last = compileCron('* * L * *', 1);
  assert.equal(last.matches(utc('2024-02-29T10:00:00Z')), true);
  assert.equal(last.matches(utc('2024-02-28T10:00:00Z')), false);
  assert.equal(last.matches(utc('2025-02-28T10:00:00Z')), true);
  assert.equal(last.matches(utc('2025-04-30T10:00:00Z')), true);
  const lastFriday = compileCron('* * * * 5L', 1);
  assert.equal(lastFriday.matches(utc('2025-01-31T10:00:00Z')), true);
  assert.equal(lastFriday.matches(utc('2025-01-24T10:00:00Z')), false);
  const secondFriday = compileCron('* * * * 5#2', 1);
  assert.equal(secondFriday.matches(utc('2025-01-10T10:00:00Z')), true);
  assert.equal(secondFriday.matches(utc('2025-01-03T10:00:00Z')), false);
  assert.equal(secondFriday.matches(utc('2025-01-17T10:00:00Z')), false);
});

test('day-of-month and day-of-week follow the OR rule when both are restricted', () => {
  const both = compileCron('* * 1 * 1', 1); // the 1st, or any Monday
  assert.equal(both.matches(utc('2025-01-01T10:00:00Z')), true); // Wednesday the 1st
  assert.equal(both.matches(utc('2025-01-06T10:00:00Z')), true); // Monday the 6th
  assert.equal(both.matches(utc('2025-01-07T10:00:00Z')), false);
  const domOnly = compileCron('* * 1 * *', 1);
  assert.equal(domOnly.matches(utc('2025-01-06T10:00:00Z')), false);
  const dowOnly = compileCron('* * ? * 1', 1);
  assert.equal(dowOnly.matches(utc('2025-01-01T10:00:00Z')), false);
  // cron-parser treats only a literal * or ? as unrestricted, so */1 makes the OR rule apply.
  const starStep = compileCron('* * */1 * 1', 1);
  assert.equal(starStep.matches(utc('2025-01-07T10:00:00Z')), true);
});

test('acceptance agrees with cron-parser on generated expressions', () => {
  const r = rng(7);
  let accepted = 0;
  for (let n = 0; n < 600; n++) {
    const cron = randomCron(r);
    let ours = true;
    try {
      compileCron(cron, 1);
    } catch {
      ours = false;
    }
    assert.equal(ours, cronParserAccepts(cron), cron);
    if (ours) accepted++;
  }
  assert.ok(accepted > 400);
});

test('matches() agrees with cron-parser includesDate across zones, leap days and DST days', () => {
  const r = rng(42);
  const zones = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Los_Angeles'];
  const special = [
    '2024-02-29T12:00:00Z', '2025-02-28T23:00:00Z', '2026-03-08T06:00:00Z', '2026-03-08T07:00:00Z', '2026-11-01T05:30:00Z',
    '2026-11-01T06:30:00Z', '2026-03-29T00:30:00Z', '2026-03-29T01:00:00Z', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z',
    '2026-10-03T15:30:00Z', '2026-04-04T14:45:00Z', '2026-04-04T15:15:00Z', '2026-12-31T23:59:00Z',
  ].map(at);
  let compared = 0;
  for (let n = 0; n < 250; n++) {
    const cron = randomCron(r);
    if (!cronParserAccepts(cron)) continue;
    const w = compileCron(cron, 1);
    for (const tz of [pick(r, zones), pick(r, zones)]) {
      const expr = CronExpressionParser.parse(cron, { tz });
      const instants = [...special];
      for (let k = 0; k < 12; k++) instants.push(at('2024-01-01T00:00:00Z') + Math.floor(r() * 5 * 365 * 24 * 60) * MINUTE);
      for (const t of instants) {
        assert.equal(w.matches(localFields(tz, t)), expr.includesDate(new Date(t)), `${cron} in ${tz} at ${new Date(t).toISOString()}`);
        compared++;
      }
    }
  }
  assert.ok(compared > 5000);
});

test('matches() agrees with cron-parser hour by hour through whole DST days', () => {
  const crons = ['* 1-3 * * *', '* 2 * * 0', '* 0-1,3 * * *', '* 2-23/2 * 3,4,10,11 *', '* * * * 0#5', '* 1 L * 0'];
  const days: Array<[string, string]> = [
    ['America/New_York', '2026-03-08T00:00:00-05:00'], ['America/New_York', '2026-11-01T00:00:00-04:00'],
    ['Europe/Berlin', '2026-03-29T00:00:00+01:00'], ['Europe/Berlin', '2026-10-25T00:00:00+02:00'],
    ['Australia/Lord_Howe', '2026-10-04T00:00:00+10:30'], ['Australia/Lord_Howe', '2026-04-05T00:00:00+11:00'],
  ];
  for (const cron of crons) {
    const w = compileCron(cron, 1);
    for (const [tz, start] of days) {
      const expr = CronExpressionParser.parse(cron, { tz });
      for (let t = at(start); t < at(start) + 26 * HOUR; t += 15 * MINUTE) {
        assert.equal(w.matches(localFields(tz, t)), expr.includesDate(new Date(t)), `${cron} ${tz} ${new Date(t).toISOString()}`);
      }
    }
  }
});

test('luxon is installed once: the copy cron-parser loads is the one cron.ts configures', () => {
  // cron.ts sets luxon.Settings.defaultLocale so that cron-parser's DateTimes never ask ICU for the system locale. That
  // setting lives in one copy of luxon; were cron-parser to get a copy of its own (a version npm cannot dedupe), it
  // would be set on a copy cron-parser never reads, and every parse would pay the ICU lookup again, silently.
  const root = path.resolve(__dirname, '../../..');
  const ours = require.resolve('luxon', { paths: [root] });
  const cronParsers = require.resolve('luxon', { paths: [path.dirname(require.resolve('cron-parser', { paths: [root] }))] });
  assert.equal(cronParsers, ours);
});

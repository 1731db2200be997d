import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../controller/domain/errors';
import { checkScheduling, compileScheduling } from '../../../controller/domain/scheduling';
import { LocalTimeCache } from '../../../controller/schedule/localtime';
import type { SchedulingSpec } from '../../../controller/domain/specs';
import { at } from '../../helpers/schedule-fixtures';
import { desiredCount } from '../../../controller/schedule/desired-count';
import type { CompiledScheduling } from '../../../controller/domain/schedule-window';

const sched = (timezone: string, schedule: Array<[string, number]>, lead_time?: string): CompiledScheduling =>
  compileScheduling({ timezone, lead_time, schedule: schedule.map(([cron, instances]) => ({ cron, instances })) });

const desiredAt = (base: number, s: CompiledScheduling | null, iso: string) => desiredCount(base, s, at(iso)).desired;

test("Coder's boundaries: 8:59:59 base, 9:00-18:59:59 scheduled, 19:00 base", () => {
  const s = sched('UTC', [['* 9-18 * * 1-5', 5]]);
  const monday = '2025-01-06';
  for (const t of ['08:59:59', '19:00:00', '19:01:00', '02:00:00', '00:00:00', '23:59:59']) {
    assert.equal(desiredAt(1, s, `${monday}T${t}Z`), 1, t);
  }
  for (const t of ['09:00:00', '09:01:00', '14:00:00', '18:00:00', '18:59:59']) {
    assert.equal(desiredAt(1, s, `${monday}T${t}Z`), 5, t);
  }
  assert.deepEqual(desiredCount(1, s, at(`${monday}T09:00:00Z`)).source, {
    kind: 'schedule', index: 0, cron: '* 9-18 * * 1-5', via: 'now',
  });
  assert.deepEqual(desiredCount(1, s, at(`${monday}T08:59:59Z`)).source, { kind: 'base' });
});

test('weekends are outside a Monday-Friday window', () => {
  const s = sched('UTC', [['* 9-18 * * 1-5', 5]]);
  assert.equal(desiredAt(1, s, '2025-01-04T12:00:00Z'), 1); // Saturday
  assert.equal(desiredAt(1, s, '2025-01-05T12:00:00Z'), 1); // Sunday
  assert.equal(desiredAt(1, s, '2025-01-10T12:00:00Z'), 5); // Friday
});

test('three daily windows: before, inside each, between and after', () => {
  const s = sched('UTC', [['* 2-4 * * *', 3], ['* 6-8 * * *', 6], ['* 10-12 * * *', 9]]);
  const want: Array<[string, number, number | null]> = [
    ['01:00', 0, null], ['03:00', 3, 0], ['05:00', 0, null], ['07:30', 6, 1], ['09:00', 0, null], ['11:59', 9, 2], ['13:00', 0, null],
  ];
  for (const [t, n, index] of want) {
    const r = desiredCount(0, s, at(`2025-03-12T${t}:00Z`));
    assert.equal(r.desired, n, t);
    assert.deepEqual(r.source, index === null ? { kind: 'base' } : { kind: 'schedule', index, cron: s.schedules[index].cron, via: 'now' });
  }
});

test('weekday plus weekend schedules', () => {
  const s = sched('UTC', [['* 9-18 * * 1-5', 5], ['* 10-16 * * 0,6', 2]]);
  assert.equal(desiredAt(1, s, '2025-01-06T12:00:00Z'), 5);
  assert.equal(desiredAt(1, s, '2025-01-04T12:00:00Z'), 2);
  assert.equal(desiredAt(1, s, '2025-01-04T09:00:00Z'), 1);
  assert.equal(desiredAt(1, s, '2025-01-05T16:59:59Z'), 2);
  assert.equal(desiredAt(1, s, '2025-01-05T17:00:00Z'), 1);
});

test('America/Los_Angeles evaluated from UTC inputs', () => {
  const s = sched('America/Los_Angeles', [['* 9-13 * * 1-5', 4]]); // 2025-06-10 is a Tuesday, PDT = UTC-7
  assert.equal(desiredAt(1, s, '2025-06-10T15:00:00Z'), 1); // 08:00
  assert.equal(desiredAt(1, s, '2025-06-10T16:00:00Z'), 4); // 09:00
  assert.equal(desiredAt(1, s, '2025-06-10T20:59:00Z'), 4); // 13:59
  assert.equal(desiredAt(1, s, '2025-06-10T21:00:00Z'), 1); // 14:00
  assert.equal(desiredAt(1, s, '2025-06-10T23:00:00Z'), 1); // 16:00
  // Winter (PST = UTC-8): the same UTC instant is an hour earlier locally.
  assert.equal(desiredAt(1, s, '2025-01-07T16:00:00Z'), 1); // 08:00 PST
  assert.equal(desiredAt(1, s, '2025-01-07T17:00:00Z'), 4); // 09:00 PST
});

test('inputs given with a -04:00 offset', () => {
  const la = sched('America/Los_Angeles', [['* 9-13 * * 1-5', 4]]);
  assert.equal(desiredAt(1, la, '2025-06-10T11:59:59-04:00'), 1); // 08:59:59 PDT
  assert.equal(desiredAt(1, la, '2025-06-10T12:00:00-04:00'), 4); // 09:00 PDT
  const ny = sched('America/New_York', [['* 9-18 * * 1-5', 3]]);
  assert.equal(desiredAt(0, ny, '2025-06-10T08:59:59-04:00'), 0);
  assert.equal(desiredAt(0, ny, '2025-06-10T09:00:00-04:00'), 3);
  assert.equal(desiredAt(0, ny, '2025-06-10T18:59:59-04:00'), 3);
  assert.equal(desiredAt(0, ny, '2025-06-10T19:00:00-04:00'), 0);
});

test('lead_time warms the pool before a window and says so', () => {
  const s = sched('UTC', [['* 9-18 * * 1-5', 5]], '30m');
  const r = (t: string) => desiredCount(1, s, at(`2025-01-06T${t}Z`));
  assert.deepEqual(r('08:29:59'), { desired: 1, source: { kind: 'base' } });
  assert.deepEqual(r('08:30:00'), { desired: 5, source: { kind: 'schedule', index: 0, cron: '* 9-18 * * 1-5', via: 'lead_time' } });
  assert.deepEqual(r('09:00:00').source, { kind: 'schedule', index: 0, cron: '* 9-18 * * 1-5', via: 'now' });
  assert.equal(r('18:59:59').desired, 5);
  assert.deepEqual(r('19:00:00'), { desired: 1, source: { kind: 'base' } });
  // Friday evening warms nothing for the weekend.
  assert.equal(desiredAt(1, s, '2025-01-10T08:45:00Z'), 5);
  assert.equal(desiredAt(1, s, '2025-01-04T08:45:00Z'), 1);
});

test('lead_time takes the larger target; ties and shrinking windows stay with now', () => {
  const night = sched('UTC', [['* 22-23,0-5 * * *', 0]], '1h');
  assert.deepEqual(desiredCount(3, night, at('2025-01-06T21:30:00Z')), { desired: 3, source: { kind: 'base' } });
  assert.deepEqual(desiredCount(3, night, at('2025-01-06T05:30:00Z')), { desired: 3, source: { kind: 'base' } });
  assert.deepEqual(desiredCount(3, night, at('2025-01-06T04:30:00Z')).source, {
    kind: 'schedule', index: 0, cron: '* 22-23,0-5 * * *', via: 'now',
  });
  const twin = sched('UTC', [['* 8-11 * * *', 4], ['* 12-15 * * *', 4]], '30m');
  assert.deepEqual(desiredCount(0, twin, at('2025-01-06T11:45:00Z')).source, { kind: 'schedule', index: 0, cron: '* 8-11 * * *', via: 'now' });
  const step = sched('UTC', [['* 8-11 * * *', 2], ['* 12-15 * * *', 6]], '30m');
  assert.deepEqual(desiredCount(0, step, at('2025-01-06T11:45:00Z')), {
    desired: 6, source: { kind: 'schedule', index: 1, cron: '* 12-15 * * *', via: 'lead_time' },
  });
  assert.deepEqual(desiredCount(0, step, at('2025-01-06T15:45:00Z')).source, { kind: 'schedule', index: 1, cron: '* 12-15 * * *', via: 'now' });
});

test('no scheduling, or no window open: the base count', () => {
  assert.deepEqual(desiredCount(7, null, at('2025-01-06T12:00:00Z')), { desired: 7, source: { kind: 'base' } });
  const s = sched('UTC', [['* 9 * * *', 2]]);
  assert.deepEqual(desiredCount(7, s, at('2025-01-06T12:00:00Z')), { desired: 7, source: { kind: 'base' } });
});

test('a cache gives the same answers and converts each (zone, instant) once', () => {
  const s = sched('Europe/Berlin', [['* 9-17 * * 1-5', 5]], '15m');
  const cache = new LocalTimeCache();
  const now = at('2025-01-06T07:50:00Z');
  for (let i = 0; i < 100; i++) assert.deepEqual(desiredCount(1, s, now, cache), desiredCount(1, s, now));
  assert.equal(cache.size, 2); // now and now + 15m
});

test('compileScheduling collects every problem with paths relative to the block', () => {
  const spec = {
    timezone: 'Mars/Base',
    lead_time: '25h',
    schedule: [
      { cron: '* 25 * * *', instances: 1 },
      { cron: '0 8 * * *', instances: -1 },
      { cron: '* 8-18 * * 1-5', instances: 2.5 },
      { cron: '* 18-19 * * 5-6', instances: 1 },
    ],
  } as SchedulingSpec;
  assert.throws(() => compileScheduling(spec), (e: unknown) => {
    assert.ok(e instanceof ValidationError);
    const byPath = e.errors.map((x) => [x.path.join('.'), x.message] as const);
    assert.deepEqual(byPath.map(([p]) => p), [
      'timezone', 'lead_time', 'schedule.0.cron', 'schedule.1.instances', 'schedule.1.cron', 'schedule.2.instances', 'schedule.3.cron',
    ]);
    assert.match(byPath[0][1], /unknown time zone "Mars\/Base"/);
    assert.match(byPath[1][1], /at most 24h/);
    assert.match(byPath[2][1], /hour field: value 25 out of range 0-23/);
    assert.match(byPath[3][1], /must be >= 0, got -1/);
    assert.match(byPath[4][1], /minute field must be "\*"/);
    assert.match(byPath[5][1], /whole number, got 2.5/);
    assert.match(byPath[6][1], /schedule\[3\] \("\* 18-19 \* \* 5-6"\) overlaps schedule\[2\] \("\* 8-18 \* \* 1-5"\): both are open 18:00-18:59 on a Friday 1 January;/);
    return true;
  });
});

test('compileScheduling requires a zone and at least one schedule', () => {
  const check = (spec: unknown) => checkScheduling(spec as SchedulingSpec).errors.map((e) => `${e.path.join('.')}: ${e.message}`);
  assert.deepEqual(check({ schedule: [] }), ['timezone: is required', 'schedule: at least one schedule block is required']);
  assert.deepEqual(check({ timezone: 'UTC', schedule: 'x' }), ['schedule: must be a list of schedule blocks, got a string ("x")']);
  assert.deepEqual(check({ timezone: 'UTC', schedule: [null, { instances: 1 }, { cron: 5, instances: 1 }] }), [
    'schedule.0: must be a schedule block, got null',
    'schedule.1.cron: is required',
    'schedule.2.cron: must be a string, got number 5',
  ]);
  assert.deepEqual(check({ timezone: 'UTC', lead_time: '0s', schedule: [{ cron: '* * * * *', instances: 0 }] }), []);
});

test('compileScheduling is memoized on the canonical content', () => {
  const a = compileScheduling({ timezone: 'UTC', lead_time: '30m', schedule: [{ cron: '* 9 * * *', instances: 1 }] });
  const b = compileScheduling({ schedule: [{ instances: 1, cron: '* 9 * * *' }], lead_time: '30m', timezone: 'UTC' });
  assert.equal(a, b);
  assert.equal(a.leadTimeMs, 1_800_000);
  const c = compileScheduling({ timezone: 'UTC', schedule: [{ cron: '* 9 * * *', instances: 1 }] });
  assert.notEqual(a, c);
  assert.equal(c.leadTimeMs, 0);
  const bad = { timezone: 'UTC', schedule: [{ cron: 'nope', instances: 1 }] };
  let first: unknown;
  let second: unknown;
  try { compileScheduling(bad); } catch (e) { first = e; }
  try { compileScheduling({ ...bad }); } catch (e) { second = e; }
  assert.ok(first instanceof ValidationError);
  assert.equal(first, second);
  // Fresh but equal spec objects hit the cache (the cost of hits is a benchmark figure, not a test).
  assert.equal(compileScheduling({ timezone: 'UTC', lead_time: '30m', schedule: [{ cron: '* 9 * * *', instances: 1 }] }), a);
});

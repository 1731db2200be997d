import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { CronExpressionParser } from 'cron-parser';
import { compileCron } from '../../../controller/domain/cron';
import { canEverMatch, dayUniverse, findOverlaps, formatWitness, overlapWitness, schedulesOverlap } from '../../../controller/domain/overlap';
import { cronParserAccepts, randomCron, rng } from '../../helpers/schedule-fixtures';
import type { CompiledSchedule } from '../../../controller/domain/schedule-window';

const overlap = (a: string, b: string): boolean => schedulesOverlap(compileCron(a, 1), compileCron(b, 1));

function check(cases: Array<[string, string, boolean]>): void {
  for (const [a, b, want] of cases) {
    assert.equal(overlap(a, b), want, `${a} vs ${b}`);
    assert.equal(overlap(b, a), want, `${b} vs ${a} (symmetry)`);
  }
}

test('hours: same, disjoint, touching, partial, contained, wildcard', () => {
  check([
    ['* 8-18 * * 1-5', '* 8-18 * * 1-5', true],
    ['* 8-12 * * 1-5', '* 13-18 * * 1-5', false], // touching windows do not overlap
    ['* 0-7 * * *', '* 8-23 * * *', false],
    ['* 8-14 * * 1-5', '* 12-18 * * 1-5', true],
    ['* 8-18 * * 1-5', '* 10-12 * * 1-5', true],
    ['* * * * 1', '* 9 * * 1-5', true],
    ['* 8,10,12 * * *', '* 9,11,13 * * *', false],
    ['* 8,10,12 * * *', '* 11-12 * * *', true],
    ['* 8-18 * * 1-5', '* 18-19 * * 5-6', true], // Coder's provider example
  ]);
});

test('steps are expanded exactly', () => {
  check([
    ['* */2 * * *', '* 1-23/2 * * *', false],
    ['* */2 * * *', '* 0-23/3 * * *', true],
    ['* 1-23/2 * * *', '* 0-23/3 * * *', true],
    ['* 0-23/6 * * *', '* 1-23/6 * * *', false],
    ['* * */2 * *', '* * 2-30/2 * *', false],
  ]);
});

test('day of week, names and 7 = Sunday', () => {
  check([
    ['* 8-18 * * 1-5', '* 8-18 * * 0,6', false],
    ['* 8-18 * * MON-FRI', '* 8-18 * * SAT', false],
    ['* 8-18 * * MON-FRI', '* 8-18 * * 5', true],
    ['* 8-18 * * 1,3,5', '* 8-18 * * 2,4', false],
    ['* 8-18 * * 7', '* 8-18 * * 0', true],
    ['* 8-18 * * sun', '* 8-18 * * 1-6', false],
  ]);
});

test('day of month vs day of week follows the OR rule exactly', () => {
  check([
    ['* 9 1 * *', '* 9 * * 1', true], // the 1st is sometimes a Monday
    ['* 9 1-10 * *', '* 9 11-20 * *', false],
    ['* 9 1-10 * *', '* 9 10-20 * *', true],
    ['* 9 1 * 1', '* 9 * * 3', true], // "the 1st or any Monday" includes a Wednesday the 1st
    ['* 9 1 1 1', '* 9 15 2 3', false], // months disjoint
    ['* 9 1 2 *', '* 9 ? 3 1', false],
    ['* 9 15 * 0', '* 9 16 * 6', true], // via Sunday the 16th or Saturday the 15th
  ]);
});

test('L, nL and n#k are exact', () => {
  check([
    ['* 9 L * *', '* 9 28-31 * *', true],
    ['* 9 L * *', '* 9 1-27 * *', false],
    ['* 9 L * *', '* 9 28 2 *', true], // 28 February of a common year
    ['* 9 L 4 *', '* 9 31 * *', false], // April has no 31st
    ['* 9 ? * 5#2', '* 9 8-14 * *', true],
    ['* 9 ? * 5#2', '* 9 1-7 * *', false], // the 2nd Friday is always day 8-14
    ['* 9 ? * 5#2', '* 9 15-31 * *', false],
    ['* 9 ? * 5#2', '* 9 ? * 1-7', true], // 1-7 as weekdays is every day
    ['* 9 ? * 5L', '* 9 ? * 5#5', true], // a 5th Friday is the last one
    ['* 9 ? * 5L', '* 9 ? * 5#3', false], // 3rd Friday is day 15-21, last Friday day 22+
    ['* 9 ? * 5L', '* 9 ? * 5#4', true], // e.g. February of a common year
    ['* 9 ? * 5L', '* 9 1-21 * *', false],
  ]);
});

test('months and leap days: a date that never occurs cannot overlap anything', () => {
  assert.throws(() => compileCron('* 9 30 2 *', 1), /never open/); // 30 February is rejected outright
  check([
    ['* 9 30 2,4 *', '* 9 * 2 *', false], // only 30 April exists
    ['* 9 30 2,4 *', '* 9 * 4 *', true],
    ['* 9 29 2 *', '* 9 * * 1', true], // 29 February 2016 was a Monday
    ['* 9 29 2 *', '* 9 * 3 *', false],
    ['* 9 ? 2 1#5', '* 9 29 * *', true], // a 5th Monday in February only on a leap-day Monday
    ['* 9 ? 2 1#5', '* 9 1-28 * *', false],
    ['* * * JAN-MAR *', '* * * apr-dec *', false],
  ]);
});

test('windows crossing midnight are per calendar day', () => {
  check([
    ['* 22-23,0-5 * * 5', '* 0-1 * * 6', false], // Friday's 0-5 are Friday morning, not Saturday's
    ['* 22-23,0-5 * * 5', '* 0-1 * * 5', true],
    ['* 22-23 * * *', '* 0-6 * * *', false],
  ]);
});

test('findOverlaps returns every overlapping pair in index order', () => {
  const list = ['* 8-12 * * 1-5', '* 13-18 * * 1-5', '* 18 * * 5', '* 0-6 * * 0,6'].map((c) => compileCron(c, 1));
  assert.deepEqual(findOverlaps(list), [[1, 2]]);
  assert.deepEqual(findOverlaps([]), []);
  assert.deepEqual(findOverlaps([list[0]]), []);
  const same = ['* 9 * * *', '* 9 * * *', '* 9 * * *'].map((c) => compileCron(c, 1));
  assert.deepEqual(findOverlaps(same), [[0, 1], [0, 2], [1, 2]]);
});

test('the day universe is exactly the set of real (month, day, weekday, month length) combinations', () => {
  const key = (m: number, d: number, w: number, dim: number) => `${m}/${d}/${w}/${dim}`;
  const universe = new Set(dayUniverse().map((u) => key(u.month, u.day, u.weekday, u.daysInMonth)));
  assert.equal(universe.size, dayUniverse().length);
  assert.equal(universe.size, (365 - 28 + 28 + 29) * 7);
  const seen = new Set<string>();
  // 1583-2400 spans several 400-year cycles, including the century rules.
  for (let t = Date.UTC(1583, 0, 1); t <= Date.UTC(2400, 11, 31); t += 86_400_000) {
    const d = new Date(t);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    const dim = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const k = key(m, d.getUTCDate(), d.getUTCDay(), dim);
    assert.ok(universe.has(k), k);
    seen.add(k);
  }
  assert.equal(seen.size, universe.size);
});

test('overlap agrees with a brute force over real dates using cron-parser itself', () => {
  const r = rng(2024);
  const crons: string[] = [];
  while (crons.length < 36) {
    const c = randomCron(r);
    if (cronParserAccepts(c)) crons.push(c);
  }
  // Day sets from cron-parser over 2001-2028: one full 28-year weekday cycle, independent of the universe's years.
  const daySets = crons.map((c) => {
    const expr = CronExpressionParser.parse(c, { tz: 'UTC' });
    const hour = expr.fields.hour.values[0];
    const days = new Set<number>();
    for (let t = Date.UTC(2001, 0, 1, hour); t < Date.UTC(2029, 0, 1); t += 86_400_000) {
      if (expr.includesDate(new Date(t))) days.add(Math.floor(t / 86_400_000));
    }
    return { hours: new Set<number>(expr.fields.hour.values), days };
  });
  const compiled = crons.map((c) => compileCron(c, 1));
  const got = new Set(findOverlaps(compiled).map(([i, j]) => `${i},${j}`));
  let positives = 0;
  for (let i = 0; i < crons.length; i++) {
    assert.equal(canEverMatch(compiled[i]), daySets[i].days.size > 0, crons[i]);
    for (let j = i + 1; j < crons.length; j++) {
      const a = daySets[i];
      const b = daySets[j];
      const want = [...a.hours].some((h) => b.hours.has(h)) && [...a.days].some((d) => b.days.has(d));
      if (want) positives++;
      assert.equal(got.has(`${i},${j}`), want, `${crons[i]} vs ${crons[j]}`);
    }
  }
  assert.ok(positives > 20 && positives < (crons.length * (crons.length - 1)) / 2);
}, 30_000); // 36 crons over 28 years of days: about 3 s here, more on a loaded machine

test('schedules that are not compiled crons are probed through matches()', () => {
  const custom: CompiledSchedule = { cron: 'custom', instances: 1, matches: (l) => l.hour === 9 && l.weekday === 1 };
  const other: CompiledSchedule = { cron: 'other', instances: 1, matches: (l) => l.hour === 10 || l.day === 1 };
  assert.equal(schedulesOverlap(custom, compileCron('* 9 * * 1-5', 1)), true);
  assert.equal(schedulesOverlap(custom, compileCron('* 9 * * 2-5', 1)), false);
  assert.equal(schedulesOverlap(custom, other), true); // a Monday the 1st at 09:00
});

test('an overlap comes with a real moment when both windows are open', () => {
  const w = (a: string, b: string) => overlapWitness(compileCron(a, 1), compileCron(b, 1));
  assert.equal(formatWitness(w('* 8-18 * * 1-5', '* 18-19 * * 5-6')!), '18:00-18:59 on a Friday 1 January');
  assert.equal(formatWitness(w('* 9 29 2 *', '* 9 * * 1')!), '09:00-09:59 on a Monday 29 February');
  assert.equal(formatWitness(w('* 9 ? * 5L', '* 9 ? * 5#4')!), '09:00-09:59 on a Friday 25 January');
  assert.equal(w('* 8-12 * * *', '* 13-18 * * *'), null);
  // The witness really is inside both windows.
  const r = rng(99);
  for (let n = 0; n < 200; n++) {
    const a = randomCron(r);
    const b = randomCron(r);
    if (!cronParserAccepts(a) || !cronParserAccepts(b)) continue;
    const ca = compileCron(a, 1);
    const cb = compileCron(b, 1);
    const x = overlapWitness(ca, cb);
    if (x === null) continue;
    const d = dayUniverse().find((u) => u.month === x.month && u.day === x.day && u.weekday === x.weekday)!;
    const local = { ...d, hour: x.hour };
    assert.ok(ca.matches(local) && cb.matches(local), `${a} vs ${b}`);
  }
});

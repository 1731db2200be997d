/**
 * An overlap message says the whole overlap on its witness day: every hour both windows share that day, contiguous
 * hours written as one HH:00-HH:59 range, several ranges comma-separated. The witness day itself is unchanged (the
 * first day, in the calendar universe's order, of the first hour both windows share).
 */
import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { compileCron } from '../../../controller/domain/cron';
import { ValidationError } from '../../../controller/domain/errors';
import { dayUniverse, formatWitness, overlapWitness, type OverlapWitness } from '../../../controller/domain/overlap';
import type { CompiledSchedule } from '../../../controller/domain/schedule-window';
import { parsePresetSpec } from '../../../controller/domain/validate';
import { cronParserAccepts, randomCron, rng } from '../../helpers/schedule-fixtures';
import { presetSpec } from '../../helpers/fixtures';

const witnessOf = (a: string, b: string) => overlapWitness(compileCron(a, 1), compileCron(b, 1));

test('every hour both windows share on the witness day, as ranges', () => {
  assert.equal(formatWitness(witnessOf('* 8-18 * * 1-5', '* 17-20 * * 1')!), '17:00-18:59 on a Monday 1 January');
  assert.equal(formatWitness(witnessOf('* 8-18 * * 1-5', '* 18-19 * * 5-6')!), '18:00-18:59 on a Friday 1 January');
  assert.equal(
    formatWitness(witnessOf('* 0-3,10-12,23 * * *', '* 2-11,23 * * 0')!),
    '02:00-03:59, 10:00-11:59, 23:00-23:59 on a Sunday 1 January',
  );
  assert.equal(formatWitness(witnessOf('* * * * *', '* * * * 6')!), '00:00-23:59 on a Saturday 1 January');
  assert.equal(formatWitness(witnessOf('* */2 * * *', '* 0-23/3 * * *')!), '00:00-00:59, 06:00-06:59, 12:00-12:59, 18:00-18:59 on a Sunday 1 January');
  assert.deepEqual(witnessOf('* 8-18 * * 1-5', '* 17-20 * * 1')!.hours, [17, 18]);
});

test('windows that are open at different hours on different days: only the hours of the witness day', () => {
  // Mondays 08:00-10:59, every other day 03:00-03:59; the first shared hour is 03 on a Sunday, where 08-10 are closed.
  const uneven: CompiledSchedule = { cron: 'uneven', instances: 1, matches: (l) => (l.weekday === 1 ? l.hour >= 8 && l.hour <= 10 : l.hour === 3) };
  const w = overlapWitness(uneven, compileCron('* * * * *', 1))!;
  assert.equal(formatWitness(w), '03:00-03:59 on a Sunday 1 January');
  const monday = overlapWitness(uneven, compileCron('* * * * 1', 1))!;
  assert.equal(formatWitness(monday), '08:00-10:59 on a Monday 1 January');
});

test('the hours are exactly those when both are open that day (random windows)', () => {
  const r = rng(7);
  let checked = 0;
  for (let n = 0; n < 300; n++) {
    const a = randomCron(r);
    const b = randomCron(r);
    if (!cronParserAccepts(a) || !cronParserAccepts(b)) continue;
    const ca = compileCron(a, 1);
    const cb = compileCron(b, 1);
    const w: OverlapWitness | null = overlapWitness(ca, cb);
    if (w === null) continue;
    const d = dayUniverse().find((u) => u.month === w.month && u.day === w.day && u.weekday === w.weekday)!;
    const both = Array.from({ length: 24 }, (_, hour) => hour).filter((hour) => ca.matches({ ...d, hour }) && cb.matches({ ...d, hour }));
    assert.deepEqual(w.hours, both, `${a} vs ${b}`);
    assert.equal(w.hour, both[0], 'the witness hour is the first of them');
    checked++;
  }
  assert.ok(checked > 20, `only ${checked} overlapping pairs`);
});

test('the validation message says the whole overlap', () => {
  const spec = presetSpec({
    prebuilds: {
      instances: 0,
      scheduling: { timezone: 'UTC', schedule: [{ cron: '* 8-18 * * 1-5', instances: 3 }, { cron: '* 17-20 * * 1', instances: 1 }] },
    },
  });
  assert.throws(() => parsePresetSpec(spec), (e: unknown) => {
    assert.ok(e instanceof ValidationError);
    assert.deepEqual(e.errors, [
      {
        path: ['prebuilds', 'scheduling', 'schedule', 1, 'cron'],
        message:
          'schedule[1] ("* 17-20 * * 1") overlaps schedule[0] ("* 8-18 * * 1-5"): both are open 17:00-18:59 on a Monday 1 January; ' +
          'windows of one preset must not overlap',
      },
    ]);
    return true;
  });
});

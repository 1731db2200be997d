/**
 * Free-text rules (controller/domain/text.ts) and how validation uses them: every free-text field has a limit and a
 * character rule, and no error message repeats a user's value whole or raw.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { ValidationError, formatPath, type FieldError } from '../../../controller/domain/errors';
import { MAX_DESCRIPTION, MAX_MAP_ENTRIES, MAX_MAP_KEY, MAX_MAP_VALUE_BYTES, MAX_OWNER } from '../../../controller/domain/limits';
import { instanceRefProblem, presetIdProblem } from '../../../controller/domain/ids';
import { driverProblem, nameProblem } from '../../../controller/domain/names';
import { charCount, escapeText, mapKeyProblem, normalizeOwner, ownerProblem, quote } from '../../../controller/domain/text';
import { parsePresetSpec, parseTemplateSpec, validatePresetFields } from '../../../controller/domain/validate';
import { timeZoneProblem } from '../../../controller/domain/timezone';
import { leadTimeProblem } from '../../../controller/domain/scheduling';
import { parseDuration } from '../../../controller/domain/duration';

const HUGE = 'a'.repeat(10_000);
/** Everything a message may hold about a 10,000-character value: far less than the value. */
const SHORT = 300;
const ESC = '\u001b';

function errorsOf(fn: () => unknown): FieldError[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return err.errors;
  }
  assert.fail('expected a ValidationError');
}

function onlyError(fn: () => unknown): FieldError {
  const errors = errorsOf(fn);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  return errors[0];
}

const preset = (over: Record<string, unknown>) => ({ template: 'devbox', name: 'p', ...over });

describe('showing user text', () => {
  test('quote: short plain values read as JSON, long ones are cut and their length said', () => {
    assert.equal(quote('us-nix'), '"us-nix"');
    assert.equal(quote('say "hi" \\ bye'), JSON.stringify('say "hi" \\ bye'));
    const q = quote(HUGE);
    assert.equal(q, `"${'a'.repeat(40)}…" (10000 characters)`);
    assert.equal(quote('x'.repeat(40)), `"${'x'.repeat(40)}"`);
  });

  test('quote and escapeText show control characters as escapes, never raw', () => {
    const evil = `a\nb\rc\td${ESC}[31mred\u0000\u007f\u009b\u202eRTL\u2028\ud800`;
    const q = quote(evil, 100);
    assert.equal(q, '"a\\nb\\rc\\td\\u001b[31mred\\u0000\\u007f\\u009b\\u202eRTL\\u2028\\ud800"');
    const shown = escapeText(evil);
    assert.equal(shown, 'a\\nb\\rc\\td\\u001b[31mred\\u0000\\u007f\\u009b\\u202eRTL\\u2028\\ud800');
    for (const s of [q, shown]) assert.doesNotMatch(s, /[\u0000-\u001f\u007f-\u009f\u2028\u202e]/);
    assert.equal(escapeText('C:\\path\\ ünïcode 🙂'), 'C:\\path\\ ünïcode 🙂', 'printable text is untouched');
  });

  test('characters are code points', () => {
    assert.equal(charCount('🙂🙂'), 2);
    assert.equal(charCount('\ud800x'), 2);
    assert.equal(quote('🙂'.repeat(50)), `"${'🙂'.repeat(40)}…" (50 characters)`);
  });

  test('paths quote map keys that are not plain names, bounded', () => {
    assert.equal(formatPath(['parameters', 'region']), 'parameters.region');
    assert.equal(formatPath(['parameters', 'app.version']), 'parameters["app.version"]');
    assert.equal(formatPath(['prebuilds', 'scheduling', 'schedule', 1, 'cron']), 'prebuilds.scheduling.schedule[1].cron');
    const long = formatPath(['parameters', `x\n${HUGE}`]);
    assert.ok(long.length < 100, long);
    assert.equal(long, `parameters["x\\n${'a'.repeat(38)}…" (10002 characters)]`);
  });
});

describe('error messages never repeat a huge value', () => {
  test('a 10,000-character name', () => {
    for (const problem of [nameProblem(HUGE), driverProblem(HUGE), presetIdProblem(`${HUGE}/x`), instanceRefProblem(HUGE)]) {
      assert.ok(problem !== null && problem.length < SHORT, problem ?? 'null');
      assert.match(problem, /…" \(10\d{3} characters\)/);
    }
    const err = errorsOf(() => parseTemplateSpec({ name: HUGE, driver: HUGE }));
    assert.deepEqual(err.map((e) => e.path), [['name'], ['driver']]);
    assert.ok(new ValidationError(err).message.length < 2 * SHORT);
  });

  test('names with control characters are quoted escaped', () => {
    assert.match(nameProblem(`dev${ESC}[2Jbox`) ?? '', /got "dev\\u001b\[2Jbox"$/);
  });

  test('every field of a preset', () => {
    const errors = errorsOf(() =>
      parsePresetSpec({
        template: HUGE,
        name: HUGE,
        [HUGE]: 1,
        description: HUGE,
        parameters: { [HUGE]: HUGE },
        prebuilds: { instances: 1, scheduling: { timezone: HUGE, lead_time: HUGE, schedule: [{ cron: HUGE, instances: 1 }] } },
      }),
    );
    assert.equal(errors.length, 9, JSON.stringify(errors.map((e) => [formatPath(e.path), e.message])));
    for (const e of errors) assert.ok(e.message.length < SHORT, `${formatPath(e.path)}: ${e.message.slice(0, 400)}`);
    const message = new ValidationError(errors).message;
    assert.ok(message.length < 9 * 2 * SHORT, `${message.length} characters`);
  });

  test('durations and time zones', () => {
    assert.ok((leadTimeProblem(`1${HUGE}`) ?? '').length < SHORT);
    assert.throws(() => parseDuration(`-${HUGE}`), (e: Error) => e.message.length < SHORT);
    assert.match(timeZoneProblem(HUGE) ?? '', /at most 64 characters\), got "a{40}…" \(10000 characters\)$/);
    assert.match(timeZoneProblem('Europe/Berlin\n') ?? '', /^time zone "Europe\/Berlin\\n" has surrounding whitespace$/);
  });
});

describe('preset description', () => {
  test(`at most ${MAX_DESCRIPTION} characters, counted as code points`, () => {
    assert.ok(parsePresetSpec(preset({ description: '🙂'.repeat(MAX_DESCRIPTION) })));
    assert.deepEqual(onlyError(() => parsePresetSpec(preset({ description: 'd'.repeat(MAX_DESCRIPTION + 1) }))), {
      path: ['description'],
      message: `must be at most ${MAX_DESCRIPTION} characters, got ${MAX_DESCRIPTION + 1}`,
    });
  });

  test('one line: no control characters at all, tab and newline included', () => {
    for (const [text, shown, at] of [
      ['line one\nline two', '\\n', 9],
      ['fake\r', '\\r', 5],
      [`${ESC}[31mred`, '\\u001b', 1],
      ['tab\there', '\\t', 4],
      ['nul\u0000', '\\u0000', 4],
      ['bidi \u202eevil', '\\u202e', 6],
    ] as const) {
      assert.deepEqual(onlyError(() => parsePresetSpec(preset({ description: text }))), {
        path: ['description'],
        message: `must not contain control characters, got "${shown}" at character ${at}`,
      });
    }
    assert.equal(parsePresetSpec(preset({ description: 'US, with Nix — ünïcode 🙂' })).description, 'US, with Nix — ünïcode 🙂');
  });
});

describe('parameters and config', () => {
  test(`keys: ${MAX_MAP_KEY} characters of letters, digits, "_", "-", "." and "/"`, () => {
    const ok = { region: 'us', 'app.version': '1', _private: 'x', 'a-b_c.9': 'y', 'kubernetes.io/arch': 'amd64', ['k'.repeat(MAX_MAP_KEY)]: 'z' };
    assert.deepEqual(parsePresetSpec(preset({ parameters: ok })).parameters, ok);
    assert.deepEqual(parseTemplateSpec({ name: 't', driver: 'd', config: ok }).config, ok);
    for (const [key, message] of [
      ['a\u0000b', /^key must be 1-128 characters .*; "\\u0000" at character 2 is not allowed$/],
      ['evil\nkey', /"\\n" at character 5 is not allowed$/],
      ['with space', /" " at character 5 is not allowed$/],
      ['.hidden', /starting with a letter, digit or "_"; "\." at character 1 is not allowed$/],
      ['ünïcode', /"ü" at character 1 is not allowed$/],
      ['k'.repeat(MAX_MAP_KEY + 1), /^key must be at most 128 characters, got 129$/],
    ] as const) {
      for (const [field, parse] of [
        ['parameters', () => parsePresetSpec(preset({ parameters: { [key]: 'v' } }))],
        ['config', () => parseTemplateSpec({ name: 't', driver: 'd', config: { [key]: 'v' } })],
      ] as const) {
        const e = onlyError(parse);
        assert.deepEqual(e.path, [field, key]);
        assert.match(e.message, message);
      }
    }
    assert.deepEqual(onlyError(() => parsePresetSpec(preset({ parameters: { '': 'v' } }))), { path: ['parameters'], message: 'keys must not be empty' });
    assert.equal(mapKeyProblem(HUGE), 'key must be at most 128 characters, got 10000');
  });

  test(`values: ${MAX_MAP_VALUE_BYTES} bytes of UTF-8; tab and newline are the only control characters`, () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\tx\n-----END CERTIFICATE-----\n';
    assert.equal(parseTemplateSpec({ name: 't', driver: 'd', config: { ca: pem } }).config.ca, pem);
    assert.ok(parsePresetSpec(preset({ parameters: { big: 'v'.repeat(MAX_MAP_VALUE_BYTES) } })));
    assert.deepEqual(onlyError(() => parsePresetSpec(preset({ parameters: { big: 'v'.repeat(MAX_MAP_VALUE_BYTES + 1) } }))), {
      path: ['parameters', 'big'],
      message: `must be at most ${MAX_MAP_VALUE_BYTES} bytes of UTF-8, got ${MAX_MAP_VALUE_BYTES + 1}`,
    });
    // 1366 three-byte characters: within 4096 characters, over 4096 bytes.
    assert.match(onlyError(() => parseTemplateSpec({ name: 't', driver: 'd', config: { wide: '€'.repeat(1366) } })).message, /got 4098$/);
    for (const [value, shown] of [['a\u0000b', '\\u0000'], ['a\rb', '\\r'], [`${ESC}[31m`, '\\u001b'], ['\u2028', '\\u2028']] as const) {
      assert.deepEqual(onlyError(() => parsePresetSpec(preset({ parameters: { region: value } }))), {
        path: ['parameters', 'region'],
        message: `must not contain control characters other than tab and newline, got "${shown}" at character ${[...value].findIndex((c) => c !== 'a') + 1}`,
      });
      assert.deepEqual(onlyError(() => parseTemplateSpec({ name: 't', driver: 'd', config: { image: value } })).path, ['config', 'image']);
    }
  });

  test(`at most ${MAX_MAP_ENTRIES} entries`, () => {
    const many = Object.fromEntries(Array.from({ length: MAX_MAP_ENTRIES + 1 }, (_, i) => [`k${i}`, 'v']));
    assert.deepEqual(onlyError(() => parsePresetSpec(preset({ parameters: many }))), {
      path: ['parameters'],
      message: `must have at most ${MAX_MAP_ENTRIES} entries, got ${MAX_MAP_ENTRIES + 1}`,
    });
    delete many.k0;
    assert.equal(Object.keys(parsePresetSpec(preset({ parameters: many })).parameters).length, MAX_MAP_ENTRIES);
  });

  test('plan-time validation: unknown values skipped, known keys still checked', () => {
    const U = Symbol('unknown');
    const isUnknown = (v: unknown) => v === U;
    const errors = validatePresetFields(preset({ parameters: { region: U, 'bad key': U } }), isUnknown);
    assert.deepEqual(errors.map((e) => e.path), [['parameters', 'bad key']]);
    assert.match(errors[0].message, /" " at character 4 is not allowed$/);
  });
});

describe('cron text', () => {
  test('bounded and without control characters, checked before parsing', () => {
    const schedule = (cron: string) => preset({ prebuilds: { instances: 0, scheduling: { timezone: 'UTC', schedule: [{ cron, instances: 1 }] } } });
    const path = ['prebuilds', 'scheduling', 'schedule', 0, 'cron'];
    assert.deepEqual(onlyError(() => parsePresetSpec(schedule(`* 8-18 * * ${'1,'.repeat(200)}2`))), {
      path,
      message: 'cron must be at most 256 characters, got 412',
    });
    // Fields are separated by spaces or tabs, as in a crontab; a newline would otherwise pass as a separator too.
    assert.deepEqual(onlyError(() => parsePresetSpec(schedule('* 8-18\n* * 1-5'))), {
      path,
      message: 'cron must not contain control characters other than tab, got "\\n" at character 7',
    });
    assert.ok(parsePresetSpec(schedule('* 8-18 * * 1-5')));
    assert.ok(parsePresetSpec(schedule('*\t8-18 * *\t1-5')));
  });
});

describe('claim owner', () => {
  test(`at most ${MAX_OWNER} characters, no control characters; surrounding whitespace trimmed`, () => {
    assert.equal(ownerProblem('alice'), null);
    assert.equal(ownerProblem('Alice Émile <alice@example.com>'), null);
    assert.equal(ownerProblem(` ${'o'.repeat(MAX_OWNER)}\n`), null);
    assert.equal(ownerProblem('o'.repeat(MAX_OWNER + 1)), `must be at most ${MAX_OWNER} characters, got ${MAX_OWNER + 1}`);
    assert.equal(ownerProblem('x'.repeat(1 << 20)), `must be at most ${MAX_OWNER} characters, got 1048576`);
    assert.equal(ownerProblem('alice\nbob  ready'), 'must not contain control characters, got "\\n" at character 6');
    assert.equal(ownerProblem(`${ESC}[31malice`), 'must not contain control characters, got "\\u001b" at character 1');
    assert.equal(normalizeOwner(undefined), 'anonymous');
    assert.equal(normalizeOwner('  '), 'anonymous');
    assert.equal(normalizeOwner(' alice '), 'alice');
  });
});

import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { ValidationError, type FieldError } from '../../../controller/domain/errors';
import { parsePresetSpec, parseTemplateSpec, validatePresetFields, validateTemplateFields } from '../../../controller/domain/validate';
import { parseJsonFile } from '../../../controller/domain/json-file';
import { scheduledPreset, scheduledPresetInput } from '../../helpers/fixtures';

type Expect = Array<[string, RegExp]>;

/** Asserts the call throws a ValidationError with exactly these (path, message) problems, in order. */
function rejects(fn: () => unknown, expected: Expect): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ValidationError, String(e));
    matchErrors(e.errors, expected);
    return true;
  });
}

function matchErrors(errors: FieldError[], expected: Expect): void {
  const got = errors.map((x) => `${JSON.stringify(x.path)} ${x.message}`);
  assert.equal(errors.length, expected.length, `got:\n${got.join('\n')}`);
  expected.forEach(([path, re], i) => {
    assert.equal(JSON.stringify(errors[i].path), path, `error ${i}: ${got[i]}`);
    assert.match(errors[i].message, re, `error ${i}: ${got[i]}`);
  });
}

const withScheduling = (scheduling: unknown) => ({ template: 't', name: 'p', prebuilds: { instances: 1, scheduling } });
const withSchedules = (...schedule: unknown[]) => withScheduling({ timezone: 'UTC', schedule });

test('a good preset is accepted and normalized with defaults', () => {
  // Description and default left out come back at their defaults.
  assert.deepEqual(parsePresetSpec(scheduledPresetInput()), scheduledPreset({ description: '', default: false }));
  assert.deepEqual(parsePresetSpec({ template: 't', name: 'p', default: true, description: null, parameters: null, prebuilds: null }), {
    template: 't', name: 'p', description: '', default: true, parameters: {},
  });
  // Single blocks may come as lists of one (hcl2json, Terraform), empty lists mean absent.
  const listed = parsePresetSpec({ template: 't', name: 'p', prebuilds: [{ instances: 2, expiration_policy: [], scheduling: [{ timezone: 'UTC', schedule: { cron: '* 9 * * *', instances: 1 } }] }] });
  assert.deepEqual(listed.prebuilds, { instances: 2, scheduling: { timezone: 'UTC', schedule: [{ cron: '* 9 * * *', instances: 1 }] } });
  assert.deepEqual(parsePresetSpec({ template: 't', name: 'p', prebuilds: { instances: 1, expiration_policy: { ttl: 0 } } }).prebuilds, {
    instances: 1, expiration_policy: { ttl: 0 },
  });
});

test('a good template is accepted', () => {
  assert.deepEqual(parseTemplateSpec({ name: 'devbox', driver: 'dev-box_2.sh', config: { image: 'node:20', empty: '' } }), {
    name: 'devbox', driver: 'dev-box_2.sh', config: { image: 'node:20', empty: '' },
  });
  assert.deepEqual(parseTemplateSpec({ name: 'd', driver: 'exec' }), { name: 'd', driver: 'exec', config: {} });
  // A "__proto__" key is kept as data, not as a prototype.
  const spec = parseTemplateSpec(JSON.parse('{"name":"d","driver":"exec","config":{"__proto__":"x"}}'));
  assert.equal(Object.getOwnPropertyDescriptor(spec.config, '__proto__')?.value, 'x');
});

test('bad cron', () => {
  rejects(() => parsePresetSpec(withSchedules({ cron: '* 25 * * *', instances: 1 })), [
    ['["prebuilds","scheduling","schedule",0,"cron"]', /hour field: value 25 out of range 0-23/],
  ]);
  rejects(() => parsePresetSpec(withSchedules({ cron: '0 * * * *', instances: 1 }, { cron: '* * * * * *', instances: 1 })), [
    ['["prebuilds","scheduling","schedule",0,"cron"]', /minute field must be "\*"/],
    ['["prebuilds","scheduling","schedule",1,"cron"]', /expected 5 fields/],
  ]);
  rejects(() => parsePresetSpec(withSchedules({ cron: '@daily', instances: 1 })), [
    ['["prebuilds","scheduling","schedule",0,"cron"]', /descriptors/],
  ]);
  rejects(() => parsePresetSpec(withSchedules({ cron: 7, instances: 1 })), [
    ['["prebuilds","scheduling","schedule",0,"cron"]', /must be a string, got number 7/],
  ]);
});

test('bad zone', () => {
  for (const [tz, re] of [['InvalidLocation', /unknown time zone "InvalidLocation"/], ['', /must not be empty/], ['+02:00', /offset/], [3, /must be a string/]] as const) {
    rejects(() => parsePresetSpec(withScheduling({ timezone: tz, schedule: [{ cron: '* 9 * * *', instances: 1 }] })), [
      ['["prebuilds","scheduling","timezone"]', re],
    ]);
  }
  rejects(() => parsePresetSpec(withScheduling({ schedule: [{ cron: '* 9 * * *', instances: 1 }] })), [
    ['["prebuilds","scheduling","timezone"]', /is required/],
  ]);
});

test('negative, fractional, huge and non-numeric counts', () => {
  const cases: Array<[unknown, RegExp]> = [
    [-1, /must be >= 0, got -1/],
    [1.5, /whole number, got 1.5/],
    [10001, /must be <= 10000, got 10001/],
    [1e300, /must be <= 10000/],
    [Number.NaN, /whole number/],
    ['3', /whole number, got a string \("3"\)/],
    [true, /whole number, got boolean true/],
  ];
  for (const [n, re] of cases) {
    rejects(() => parsePresetSpec({ template: 't', name: 'p', prebuilds: { instances: n } }), [['["prebuilds","instances"]', re]]);
    rejects(() => parsePresetSpec(withSchedules({ cron: '* 9 * * *', instances: n })), [
      ['["prebuilds","scheduling","schedule",0,"instances"]', re],
    ]);
  }
  assert.equal(parsePresetSpec({ template: 't', name: 'p', prebuilds: { instances: 10000 } }).prebuilds?.instances, 10000);
  rejects(() => parsePresetSpec({ template: 't', name: 'p', prebuilds: {} }), [['["prebuilds","instances"]', /is required/]]);
});

test('ttl must be 0 or 60..31536000', () => {
  for (const ttl of [0, 60, 3600, 31536000]) {
    assert.equal(parsePresetSpec({ template: 't', name: 'p', prebuilds: { instances: 1, expiration_policy: { ttl } } }).prebuilds?.expiration_policy?.ttl, ttl);
  }
  for (const [ttl, re] of [[30, /0 \(no expiry\) or between 60 and 31536000 seconds, got 30/], [31536001, /got 31536001/], [-5, /got -5/], [59, /got 59/], [90.5, /whole number/], ['1h', /whole number/]] as const) {
    rejects(() => parsePresetSpec({ template: 't', name: 'p', prebuilds: { instances: 1, expiration_policy: { ttl } } }), [
      ['["prebuilds","expiration_policy","ttl"]', re],
    ]);
  }
  rejects(() => parsePresetSpec({ template: 't', name: 'p', prebuilds: { instances: 1, expiration_policy: {} } }), [
    ['["prebuilds","expiration_policy","ttl"]', /is required/],
  ]);
});

test('bad durations and lead_time over 24h', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['25h', /at most 24h, got "25h"/],
    ['24h1s', /at most 24h/],
    ['30', /missing unit/],
    ['-5m', /must not be negative/],
    ['soon', /invalid duration/],
    ['', /must not be empty/],
    ['3d', /unknown unit "d"/],
    [1800, /duration string/],
  ];
  for (const [lead, re] of cases) {
    rejects(() => parsePresetSpec(withScheduling({ timezone: 'UTC', lead_time: lead, schedule: [{ cron: '* 9 * * *', instances: 1 }] })), [
      ['["prebuilds","scheduling","lead_time"]', re],
    ]);
  }
  assert.equal(parsePresetSpec(withScheduling({ timezone: 'UTC', lead_time: '24h', schedule: [{ cron: '* 9 * * *', instances: 1 }] })).prebuilds?.scheduling?.lead_time, '24h');
});

test('overlapping schedules name both schedules', () => {
  rejects(() => parsePresetSpec(withSchedules(
    { cron: '* 8-18 * * 1-5', instances: 1 },
    { cron: '* 20-22 * * *', instances: 1 },
    { cron: '* 18-19 * * 5-6', instances: 2 },
  )), [
    ['["prebuilds","scheduling","schedule",2,"cron"]', /schedule\[2\] \("\* 18-19 \* \* 5-6"\) overlaps schedule\[0\] \("\* 8-18 \* \* 1-5"\)/],
  ]);
  // Disjoint windows pass: */2 and 1-23/2 never share an hour.
  assert.ok(parsePresetSpec(withSchedules({ cron: '* */2 * * *', instances: 1 }, { cron: '* 1-23/2 * * *', instances: 2 })));
});

test('scheduling needs at least one schedule and at most one scheduling block', () => {
  rejects(() => parsePresetSpec(withScheduling({ timezone: 'UTC', schedule: [] })), [
    ['["prebuilds","scheduling","schedule"]', /at least one schedule block is required/],
  ]);
  rejects(() => parsePresetSpec(withScheduling({ timezone: 'UTC' })), [
    ['["prebuilds","scheduling","schedule"]', /at least one schedule/],
  ]);
  const block = { timezone: 'UTC', schedule: [{ cron: '* 9 * * *', instances: 1 }] };
  rejects(() => parsePresetSpec(withScheduling([block, block])), [['["prebuilds","scheduling"]', /at most one scheduling block/]]);
  rejects(() => parsePresetSpec({ template: 't', name: 'p', prebuilds: [{ instances: 1 }, { instances: 2 }] }), [
    ['["prebuilds"]', /at most one prebuilds block/],
  ]);
  rejects(() => parsePresetSpec({ template: 't', name: 'p', prebuilds: { instances: 1, expiration_policy: [{ ttl: 0 }, { ttl: 60 }] } }), [
    ['["prebuilds","expiration_policy"]', /at most one expiration_policy block/],
  ]);
});

test('unknown attributes are rejected at every level', () => {
  rejects(() => parsePresetSpec({
    template: 't', name: 'p', icon: 'x',
    prebuilds: { instances: 1, min: 2, expiration_policy: { ttl: 0, grace: 1 }, scheduling: { timezone: 'UTC', tz: 'UTC', schedule: [{ cron: '* 9 * * *', instances: 1, count: 2 }] } },
  }), [
    ['["icon"]', /unknown attribute "icon" \(allowed: template, name, description, default, parameters, prebuilds\)/],
    ['["prebuilds","min"]', /unknown attribute "min"/],
    ['["prebuilds","expiration_policy","grace"]', /unknown attribute "grace"/],
    ['["prebuilds","scheduling","tz"]', /unknown attribute "tz"/],
    ['["prebuilds","scheduling","schedule",0,"count"]', /unknown attribute "count" \(allowed: cron, instances\)/],
  ]);
  rejects(() => parseTemplateSpec({ name: 'd', driver: 'exec', version: 3 }), [['["version"]', /unknown attribute "version"/]]);
});

test('wrong types', () => {
  rejects(() => parsePresetSpec('preset'), [['[]', /a preset must be an object, got a string/]]);
  rejects(() => parsePresetSpec(null), [['[]', /must be an object, got null/]]);
  rejects(() => parseTemplateSpec([]), [['[]', /a template must be an object, got a list/]]);
  rejects(() => parsePresetSpec({
    template: 5, name: ['p'], description: 7, default: 'yes', parameters: 'a=b',
    prebuilds: { instances: 1, expiration_policy: 'never', scheduling: { timezone: 'UTC', schedule: 'daily' } },
  }), [
    ['["template"]', /must be a string, got number 5/],
    ['["name"]', /must be a string, got a list/],
    ['["description"]', /must be a string, got number 7/],
    ['["default"]', /must be true or false, got a string/],
    ['["parameters"]', /must be a map of strings, got a string/],
    ['["prebuilds","expiration_policy"]', /must be an object, got a string/],
    ['["prebuilds","scheduling","schedule"]', /must be a list of schedule blocks, got a string/],
  ]);
  rejects(() => parseTemplateSpec({ name: 'd', driver: 'exec', config: { image: 20, ok: 'x' } }), [['["config","image"]', /must be a string, got number 20/]]);
});

test('names, drivers, maps and description limits', () => {
  rejects(() => parseTemplateSpec({ name: '-lead', driver: '../x' }), [
    ['["name"]', /must be 1-63 characters of letters, digits/],
    ['["driver"]', /without path separators, got "\.\.\/x"/],
  ]);
  for (const [driver, re] of [['..', /not "\.\."/], ['.', /not "\."/], ['a/b', /path separators/], ['a\\b', /path separators/], ['x y', /1-63 characters/], ['', /must not be empty/]] as const) {
    rejects(() => parseTemplateSpec({ name: 'd', driver }), [['["driver"]', re]]);
  }
  rejects(() => parseTemplateSpec({ name: 'a'.repeat(64), driver: 'exec' }), [['["name"]', /1-63 characters/]]);
  assert.ok(parseTemplateSpec({ name: 'a'.repeat(63), driver: 'exec' }));
  rejects(() => parseTemplateSpec({ driver: 'exec' }), [['["name"]', /is required/]]);
  rejects(() => parsePresetSpec({ template: 't', name: 'p', description: 'd'.repeat(257) }), [['["description"]', /at most 256 characters, got 257/]]);
  assert.ok(parsePresetSpec({ template: 't', name: 'p', description: 'd'.repeat(256) }));
  rejects(() => parsePresetSpec({ template: 't', name: 'p', parameters: { '': 'x', region: '', ['k'.repeat(129)]: 'v' } }), [
    ['["parameters"]', /keys must not be empty/],
    ['["parameters","region"]', /must not be empty/],
    ['["parameters","' + 'k'.repeat(129) + '"]', /at most 128 characters/],
  ]);
});

test('all problems are collected into one error', () => {
  rejects(() => parsePresetSpec({
    template: '../t', name: 'p', extra: true,
    prebuilds: {
      instances: -3,
      expiration_policy: { ttl: 30 },
      scheduling: {
        timezone: 'Nowhere/Land', lead_time: '25h',
        schedule: [{ cron: '* 8-18 * * 1-5', instances: 1.5 }, { cron: '* 18-19 * * 5-6', instances: 1 }, { cron: '* 99 * * *', instances: 1 }],
      },
    },
  }), [
    ['["extra"]', /unknown attribute/],
    ['["template"]', /1-63 characters/],
    ['["prebuilds","instances"]', /must be >= 0/],
    ['["prebuilds","expiration_policy","ttl"]', /got 30/],
    ['["prebuilds","scheduling","timezone"]', /unknown time zone/],
    ['["prebuilds","scheduling","lead_time"]', /at most 24h/],
    ['["prebuilds","scheduling","schedule",0,"instances"]', /whole number/],
    ['["prebuilds","scheduling","schedule",2,"cron"]', /hour field: value 99/],
    ['["prebuilds","scheduling","schedule",1,"cron"]', /overlaps schedule\[0\]/],
  ]);
});

test('plan-time validation skips unknown values and the checks that depend on them', () => {
  const U = Symbol('unknown');
  const isUnknown = (v: unknown) => v === U;
  assert.deepEqual(validatePresetFields(U, isUnknown), []);
  assert.deepEqual(validatePresetFields({ template: U, name: U, parameters: U, prebuilds: U }, isUnknown), []);
  assert.deepEqual(validatePresetFields({ template: 't', name: 'p', parameters: { a: U }, prebuilds: [U] }, isUnknown), []);
  // An unknown cron cannot be checked for overlaps, but known ones still are, whatever the zone.
  matchErrors(validatePresetFields({
    template: 't', name: 'p',
    prebuilds: {
      instances: U,
      expiration_policy: { ttl: U },
      scheduling: {
        timezone: U, lead_time: U,
        schedule: [{ cron: U, instances: 1 }, { cron: '* 8-18 * * *', instances: U }, { cron: '* 9 * * *', instances: 2 }, U],
      },
    },
  }, isUnknown), [['["prebuilds","scheduling","schedule",2,"cron"]', /overlaps schedule\[1\]/]]);
  // Known bad values are still reported next to unknown ones.
  matchErrors(validatePresetFields({ template: U, name: 'bad name', prebuilds: { instances: -1, scheduling: { timezone: 'Bad/Zone', schedule: U } } }, isUnknown), [
    ['["name"]', /1-63 characters/],
    ['["prebuilds","instances"]', /must be >= 0/],
    ['["prebuilds","scheduling","timezone"]', /unknown time zone/],
  ]);
  matchErrors(validateTemplateFields({ name: U, driver: '../x', config: U }, isUnknown), [['["driver"]', /path separators/]]);
  assert.deepEqual(validateTemplateFields({ name: 'd', driver: 'exec', config: { a: U } }, isUnknown), []);
});

test('parseJsonFile reports syntax errors with line and column', () => {
  assert.deepEqual(parseJsonFile('\ufeff{"name": "x"}', 'preset.json'), { name: 'x' });
  const cases: Array<[string, RegExp]> = [
    ['{\n  "name": "x",\n  "driver": tru\n}', /^template\.json: invalid JSON at line 3, column 13: unexpected word "tru"/],
    ['{"a": 1,}', /line 1, column 9: trailing comma before "}"/],
    ['{"a": 1', /line 1, column 8: unexpected end of input/],
    ['', /line 1, column 1: unexpected end of input/],
    ['{\n  // comment\n}', /line 2, column 3: comments are not allowed/],
    ["{'a': 1}", /line 1, column 2: expected a double-quoted property name/],
    ['[1 2]', /line 1, column 4: expected "," or "]"/],
    ['{"a": "line\nbreak"}', /line 1, column 12: control character in string/],
    ['{"a": 1} x', /line 1, column 10: unexpected text after the JSON value/],
    ['{"a" 1}', /column 6: expected ":"/],
    ['{"a": -}', /column 7: invalid number/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseJsonFile(text, 'template.json'), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.equal(e.errors.length, 1);
      assert.deepEqual(e.errors[0].path, []);
      assert.match(e.errors[0].message, re, text);
      return true;
    });
  }
});

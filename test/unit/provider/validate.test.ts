/**
 * ValidateResourceConfig / ValidateDataResourceConfig / ValidateProviderConfig, driven through the handlers with
 * msgpack configs. The preset cases take the preset's rules one at a time (name, description, parameters, prebuilds,
 * expiration_policy, scheduling, each schedule, overlaps); every failing case asserts severity, a summary fragment, a detail fragment and the exact AttributePath
 * (what makes Terraform print the file and line).
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import {
  DynamicValueSchema,
  ValidateDataResourceConfig_RequestSchema,
  ValidateProviderConfig_RequestSchema,
  ValidateProviderConfig_ResponseSchema,
  ValidateResourceConfig_RequestSchema,
} from '../../../provider/protocol';
import { createProviderHandlers } from '../../../provider/rpc-handlers';
import { CtyNumber, encodeDynamic, ty, unknown, type CtyType, type EncodableValue, type ObjectType } from '../../../provider/values';
import {
  assertNoDiags,
  assertOneError,
  ctx,
  describeDiags,
  dv,
  errors,
  p,
  prebuilds,
  presetObj,
  providerConfig,
  scheduling,
  steps,
  templateObj,
  types,
  validateResource,
} from '../../helpers/provider-harness';
import { scheduledPresetConfig } from './preset-config';

const h = createProviderHandlers({ env: {} });
const U = unknown();

const validatePreset = (o: Record<string, EncodableValue>) => validateResource(h, 'prewarm_preset', presetObj(o));
const validateTemplate = (o: Record<string, EncodableValue>) => validateResource(h, 'prewarm_template', templateObj(o));
const withSchedules = (schedule: EncodableValue[], extra: Record<string, EncodableValue> = {}) =>
  validatePreset({ prebuilds: [prebuilds({ scheduling: [scheduling({ schedule, ...extra })] })] });

describe('prewarm_preset validation', () => {
  test('happy path: us-nix with every argument and block set (weekday and Saturday windows) is valid', async () => {
    assertNoDiags(await validateResource(h, 'prewarm_preset', scheduledPresetConfig({ description: 'US pool' })));
  });

  test('name: empty and invalid', async () => {
    assertOneError(await validatePreset({ name: '' }), { summary: 'Invalid value for "name"', detail: 'must not be empty', path: 'name' });
    assertOneError(await validatePreset({ name: 'us nix' }), { summary: 'Invalid value for "name"', detail: '1-63 characters', path: 'name' });
    assertOneError(await validatePreset({ template: '-x' }), { summary: 'Invalid value for "template"', path: 'template' });
  });

  test('name: null (missing) is reported as a missing argument', async () => {
    assertOneError(await validatePreset({ name: null }), { summary: 'Missing required argument "name"', detail: 'is required', path: 'name' });
  });

  test('description: empty ok, 256 ok, 257 rejected', async () => {
    assertNoDiags(await validatePreset({ description: '' }));
    assertNoDiags(await validatePreset({ description: 'd'.repeat(256) }));
    assertOneError(await validatePreset({ description: 'd'.repeat(257) }), {
      summary: 'Invalid value for "description"',
      detail: 'at most 256 characters, got 257',
      path: 'description',
    });
  });

  test('parameters: missing, empty map, values, empty value rejected at its key', async () => {
    assertNoDiags(await validatePreset({ parameters: null }));
    assertNoDiags(await validatePreset({ parameters: new Map() }));
    assertNoDiags(await validatePreset({ parameters: new Map([['region', 'us'], ['size', 'xl']]) }));
    assertOneError(await validatePreset({ parameters: new Map([['region', '']]) }), {
      summary: 'Invalid value for "parameters["region"]"',
      detail: 'must not be empty',
      path: 'parameters["region"]',
    });
  });

  test('prebuilds: with instances ok; without instances rejected', async () => {
    assertNoDiags(await validatePreset({ prebuilds: [prebuilds({ instances: 2 })] }));
    assertOneError(await validatePreset({ prebuilds: [prebuilds({ instances: null })] }), {
      summary: 'Missing required argument "prebuilds[0].instances"',
      path: 'prebuilds[0].instances',
    });
  });

  test('expiration_policy: ttl 0 ok, 60 ok, 30 rejected, 31536001 rejected, missing ttl rejected', async () => {
    const withTtl = (ttl: EncodableValue) => validatePreset({ prebuilds: [prebuilds({ expiration_policy: [{ ttl }] })] });
    assertNoDiags(await withTtl(0));
    assertNoDiags(await withTtl(60));
    assertNoDiags(await withTtl(31536000));
    for (const bad of [30, 31536001]) {
      assertOneError(await withTtl(bad), {
        summary: 'Invalid value for "prebuilds[0].expiration_policy[0].ttl"',
        detail: `must be 0 (no expiry) or between 60 and 31536000 seconds, got ${bad}`,
        path: 'prebuilds[0].expiration_policy[0].ttl',
      });
    }
    assertOneError(await withTtl(null), { summary: 'Missing required argument', path: 'prebuilds[0].expiration_policy[0].ttl' });
  });

  test('scheduling: one schedule and two non-overlapping schedules are valid; a valid timezone passes', async () => {
    assertNoDiags(await withSchedules([{ cron: '* 8-18 * * 1-5', instances: 3 }]));
    assertNoDiags(await withSchedules([{ cron: '* 8-18 * * 1-5', instances: 3 }, { cron: '* 8-14 * * 6', instances: 1 }]));
    assertNoDiags(await withSchedules([{ cron: '* 8 * * *', instances: 1 }], { timezone: 'Europe/Berlin' }));
  });

  test('scheduling: missing timezone', async () => {
    assertOneError(await withSchedules([{ cron: '* 8 * * *', instances: 1 }], { timezone: null }), {
      summary: 'Missing required argument "prebuilds[0].scheduling[0].timezone"',
      path: 'prebuilds[0].scheduling[0].timezone',
    });
  });

  test('scheduling: invalid timezone', async () => {
    assertOneError(await withSchedules([{ cron: '* 8 * * *', instances: 1 }], { timezone: 'InvalidLocation' }), {
      summary: 'Invalid value for "prebuilds[0].scheduling[0].timezone"',
      detail: 'unknown time zone "InvalidLocation"',
      path: 'prebuilds[0].scheduling[0].timezone',
    });
  });

  test('scheduling: missing schedule (an empty scheduling block)', async () => {
    assertOneError(await withSchedules([]), {
      summary: 'Missing "prebuilds[0].scheduling[0].schedule" block',
      detail: 'at least one schedule block is required',
      path: 'prebuilds[0].scheduling[0].schedule',
    });
  });

  test('schedule missing cron / missing instances', async () => {
    assertOneError(await withSchedules([{ cron: null, instances: 1 }]), {
      summary: 'Missing required argument',
      path: 'prebuilds[0].scheduling[0].schedule[0].cron',
    });
    assertOneError(await withSchedules([{ cron: '* 8 * * *', instances: null }]), {
      summary: 'Missing required argument',
      path: 'prebuilds[0].scheduling[0].schedule[0].instances',
    });
  });

  test('schedule: a minute field other than *', async () => {
    assertOneError(await withSchedules([{ cron: '0 8 * * *', instances: 1 }]), {
      summary: 'Invalid value for "prebuilds[0].scheduling[0].schedule[0].cron"',
      detail: 'minute field must be "*"',
      path: 'prebuilds[0].scheduling[0].schedule[0].cron',
    });
  });

  test('schedule: hour out of range (25-26), on the second schedule', async () => {
    assertOneError(await withSchedules([{ cron: '* 8 * * *', instances: 1 }, { cron: '* 25-26 * * *', instances: 1 }]), {
      summary: 'Invalid value for "prebuilds[0].scheduling[0].schedule[1].cron"',
      detail: '25-26',
      path: 'prebuilds[0].scheduling[0].schedule[1].cron',
    });
  });

  test('overlapping schedules (* 8-18 * * 1-5 vs * 18-19 * * 5-6) name both', async () => {
    const d = assertOneError(await withSchedules([{ cron: '* 8-18 * * 1-5', instances: 3 }, { cron: '* 18-19 * * 5-6', instances: 1 }]), {
      summary: 'Overlapping schedules',
      detail: 'overlaps schedule[0]',
      path: 'prebuilds[0].scheduling[0].schedule[1].cron',
    });
    assert.match(d.detail, /\* 18-19 \* \* 5-6/);
    assert.match(d.detail, /\* 8-18 \* \* 1-5/);
  });

  test('negative instances: base and schedule, each at its path', async () => {
    const diags = await validatePreset({
      prebuilds: [prebuilds({ instances: -1, scheduling: [scheduling({ schedule: [{ cron: '* 8 * * *', instances: -2 }] })] })],
    });
    assert.equal(diags.length, 2, describeDiags(diags));
    assert.deepEqual(steps(diags[0].attribute), p('prebuilds[0].instances'));
    assert.match(diags[0].detail, /must be >= 0, got -1/);
    assert.deepEqual(steps(diags[1].attribute), p('prebuilds[0].scheduling[0].schedule[0].instances'));
    assert.match(diags[1].detail, /must be >= 0, got -2/);
  });

  test('non-integer and huge numbers are rejected at their path, once', async () => {
    assertOneError(await validatePreset({ prebuilds: [prebuilds({ instances: CtyNumber.parse('1.5') })] }), {
      summary: 'Invalid value for "prebuilds[0].instances"',
      detail: 'whole number, got 1.5',
      path: 'prebuilds[0].instances',
    });
    assertOneError(await validatePreset({ prebuilds: [prebuilds({ instances: CtyNumber.parse('12345678901234567890') })] }), {
      summary: 'Invalid value for "prebuilds[0].instances"',
      detail: 'out of range, got 12345678901234567890',
      path: 'prebuilds[0].instances',
    });
  });

  test('two scheduling blocks are rejected at the scheduling block', async () => {
    const one = scheduling({ schedule: [{ cron: '* 8 * * *', instances: 1 }] });
    assertOneError(await validatePreset({ prebuilds: [prebuilds({ scheduling: [one, one] })] }), {
      summary: 'Too many "prebuilds[0].scheduling" blocks',
      detail: 'at most one scheduling block is allowed, got 2',
      path: 'prebuilds[0].scheduling',
    });
  });

  test('lead_time over 24h is rejected', async () => {
    assertOneError(await withSchedules([{ cron: '* 8 * * *', instances: 1 }], { lead_time: '25h' }), {
      summary: 'Invalid value for "prebuilds[0].scheduling[0].lead_time"',
      path: 'prebuilds[0].scheduling[0].lead_time',
    });
  });

  test('an empty scheduling block: missing timezone and missing schedule, both reported', async () => {
    const diags = await validatePreset({ prebuilds: [prebuilds({ scheduling: [{ timezone: null, lead_time: null, schedule: [] }] })] });
    assert.equal(diags.length, 2, describeDiags(diags));
    assert.deepEqual(diags.map((d) => steps(d.attribute)), [p('prebuilds[0].scheduling[0].timezone'), p('prebuilds[0].scheduling[0].schedule')]);
  });

  test('wrong types (name not a string, parameters not a map, instances not a number) and unexpected arguments', async () => {
    // Terraform converts or rejects these before calling the provider; a value that still does not fit the
    // schema type is a diagnostic at its path, never a crash.
    const wrongType = (attr: string, t: CtyType) => ty.object([...types.preset.attributes].map(([k, at]) => [k, k === attr ? t : at] as const));
    const send = async (type: ObjectType, value: EncodableValue) => {
      const res = await h.validateResourceConfig!(
        create(ValidateResourceConfig_RequestSchema, { typeName: 'prewarm_preset', config: create(DynamicValueSchema, { msgpack: encodeDynamic(value, type) }) }),
        ctx(),
      );
      return res.diagnostics as Parameters<typeof assertNoDiags>[0];
    };
    assertOneError(await send(wrongType('name', ty.bool), presetObj({ name: true })), { summary: 'Invalid prewarm_preset configuration', detail: 'string required', path: 'name' });
    assertOneError(await send(wrongType('parameters', ty.list(ty.string)), presetObj({ parameters: ['a'] })), {
      summary: 'Invalid prewarm_preset configuration',
      path: 'parameters',
    });
    const pbType = (types.preset.attributes.get('prebuilds') as { element: ObjectType }).element;
    const badPb = ty.object([...pbType.attributes].map(([k, at]) => [k, k === 'instances' ? ty.string : at] as const));
    const withBadPb = ty.object([...types.preset.attributes].map(([k, at]) => [k, k === 'prebuilds' ? ty.list(badPb) : at] as const));
    assertOneError(await send(withBadPb, presetObj({ prebuilds: [prebuilds({ instances: 'many' })] })), {
      summary: 'Invalid prewarm_preset configuration',
      path: 'prebuilds[0].instances',
    });
    const expType = ty.object({ ttl: ty.number, unexpected: ty.string });
    const pbExtra = ty.object([...pbType.attributes].map(([k, at]) => [k, k === 'expiration_policy' ? ty.list(expType) : at] as const));
    const withExtra = ty.object([...types.preset.attributes].map(([k, at]) => [k, k === 'prebuilds' ? ty.list(pbExtra) : at] as const));
    assertOneError(await send(withExtra, presetObj({ prebuilds: [prebuilds({ expiration_policy: [{ ttl: 0, unexpected: 'x' }] })] })), {
      summary: 'Invalid prewarm_preset configuration',
      detail: 'unsupported attribute "unexpected"',
      path: 'prebuilds[0].expiration_policy[0].unexpected',
    });
  });

  test('default: true, false and omitted are all valid', async () => {
    assertNoDiags(await validatePreset({ default: true }));
    assertNoDiags(await validatePreset({ default: false }));
    assertNoDiags(await validatePreset({ default: null }));
  });

  test('the computed id is ignored, whatever it holds', async () => {
    assertNoDiags(await validatePreset({ id: U }));
  });
});

describe('unknown values are accepted during validation', () => {
  test('unknown attributes, map values, block lists and block elements', async () => {
    assertNoDiags(await validatePreset({ template: U, name: U, description: U, default: U, parameters: U }));
    assertNoDiags(await validatePreset({ parameters: new Map<string, EncodableValue>([['region', U]]) }));
    assertNoDiags(await validatePreset({ prebuilds: U }));
    assertNoDiags(await validatePreset({ prebuilds: [U] }));
    assertNoDiags(await validatePreset({ prebuilds: [prebuilds({ instances: U, expiration_policy: [{ ttl: U }], scheduling: U })] }));
    assertNoDiags(await withSchedules([{ cron: U, instances: 3 }, { cron: '* 8-18 * * 1-5', instances: U }], { timezone: U, lead_time: U }));
    assertNoDiags(await withSchedules(U as unknown as EncodableValue[]));
  });

  test('known problems are still reported next to unknowns', async () => {
    const diags = await withSchedules([{ cron: U, instances: 1 }, { cron: '0 8 * * *', instances: 1 }], { timezone: U });
    assertOneError(diags, { summary: 'Invalid value', path: 'prebuilds[0].scheduling[0].schedule[1].cron' });
  });

  test('template: unknowns accepted', async () => {
    assertNoDiags(await validateTemplate({ name: U, driver: U, config: U }));
    assertNoDiags(await validateTemplate({ config: new Map<string, EncodableValue>([['image', U]]) }));
  });
});

describe('prewarm_template validation', () => {
  test('valid', async () => {
    assertNoDiags(await validateTemplate({ config: new Map([['image', 'node:20']]) }));
    assertNoDiags(await validateTemplate({ config: new Map([['empty', '']]) }));
  });
  test('driver with a path separator, bad name', async () => {
    assertOneError(await validateTemplate({ driver: '../bin/sh' }), { summary: 'Invalid value for "driver"', detail: 'without path separators', path: 'driver' });
    assertOneError(await validateTemplate({ name: 'dev box' }), { summary: 'Invalid value for "name"', path: 'name' });
  });
  test('a config key over 128 characters is reported at that key', async () => {
    const key = 'k'.repeat(129);
    assertOneError(await validateTemplate({ config: new Map([[key, 'v']]) }), { summary: 'Invalid value', path: `config["${key}"]` });
  });
});

describe('data source and provider validation', () => {
  test('data prewarm_preset: names checked, unknown accepted', async () => {
    const validate = async (config: Record<string, EncodableValue>) => {
      const full = { template: 'devbox', name: 'us-nix', id: null, desired: null, ready: null, starting: null, status: null, backoff_until: null, ...config };
      const res = await h.validateDataResourceConfig!(
        create(ValidateDataResourceConfig_RequestSchema, { typeName: 'prewarm_preset', config: dv(full, types.presetData) }),
        ctx(),
      );
      return res.diagnostics as Parameters<typeof assertNoDiags>[0];
    };
    assertNoDiags(await validate({}));
    assertNoDiags(await validate({ template: U, name: U }));
    assertOneError(await validate({ name: 'a/b' }), { summary: 'Invalid value for "name"', path: 'name' });
  });

  test('provider: endpoint syntax and empty token rejected at their attributes; unknowns accepted', async () => {
    const validate = async (o: Record<string, EncodableValue>) => {
      const res = await h.validateProviderConfig!(create(ValidateProviderConfig_RequestSchema, { config: dv(providerConfig(o), types.provider) }), ctx());
      return res.diagnostics as Parameters<typeof assertNoDiags>[0];
    };
    assertNoDiags(await validate({}));
    assertNoDiags(await validate({ endpoint: 'https://prewarm.internal:7420', token: 'abc', insecure: true }));
    assertNoDiags(await validate({ endpoint: U, token: U, ca_cert: U, insecure: U }));
    assertOneError(await validate({ endpoint: 'ftp://x:1' }), { summary: 'Invalid endpoint', detail: 'unsupported scheme', path: 'endpoint' });
    assertOneError(await validate({ token: ' ' }), { summary: 'Invalid token', path: 'token' });
  });

  test('ValidateProviderConfig diagnostics travel in field 2', () => {
    const field = ValidateProviderConfig_ResponseSchema.fields.find((f) => f.localName === 'diagnostics');
    assert.equal(field?.number, 2);
  });

  test('a config that does not match the schema type is a diagnostic, not a throw', async () => {
    const res = await h.validateResourceConfig!(
      create(ValidateResourceConfig_RequestSchema, { typeName: 'prewarm_template', config: create(DynamicValueSchema, { msgpack: new Uint8Array([0x80]) }) }),
      ctx(),
    );
    assert.equal(errors(res.diagnostics as never).length, 1);
    const unknownType = await validateResource(h, 'prewarm_nothing', presetObj());
    assert.match(describeDiags(unknownType), /Unknown resource type/);
  });
});

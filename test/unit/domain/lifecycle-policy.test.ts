/** Lifecycle durations, the lifecycle_policy block's validation, and RFC 3339 instants: every accepted and refused form. */
import { describe, expect, test } from '@jest/globals';
import { parseInstant } from '../../../controller/domain/instant';
import { formatLifecycleDuration, parseLifecycleDuration } from '../../../controller/domain/lifecycle-duration';
import { lifecyclePolicyOf } from '../../../controller/domain/lifecycle-policy';
import { parseTemplateSpec, validateTemplateFields } from '../../../controller/domain/validate';
import { ValidationError } from '../../../controller/domain/errors';

describe('lifecycle durations', () => {
  test.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['8h', 28_800_000],
    ['7d', 604_800_000],
    ['1d12h', 129_600_000],
    ['365d', 365 * 86_400_000],
  ])('%s is %d ms and formats back', (text, ms) => {
    expect(parseLifecycleDuration(text)).toBe(ms);
    expect(parseLifecycleDuration(formatLifecycleDuration(ms))).toBe(ms);
  });

  test.each([
    ['8', /missing unit/],
    ['', /must not be empty/],
    ['0s', /greater than zero/],
    ['-1h', /greater than zero/],
    ['366d', /at most 365d/],
    ['365d1s', /at most 365d/],
    ['1.5h', /invalid duration/],
    ['8 h', /invalid duration/],
    ['8ms', /unknown unit "ms"/],
    ['2w', /unknown unit "w"/],
  ])('%j is refused (%s)', (text, why) => {
    expect(() => parseLifecycleDuration(text)).toThrow(why);
  });

  test('a sum longer than 32 characters is refused before it is parsed', () => {
    expect(() => parseLifecycleDuration('1s'.repeat(100))).toThrow(/at most 32 characters/);
  });

  test('a value that is not a string is refused', () => {
    expect(() => parseLifecycleDuration(3600)).toThrow(/duration string/);
  });

  test('an overlong value is quoted bounded in the message', () => {
    const err = (() => {
      try {
        parseLifecycleDuration('9'.repeat(10_000) + 'd');
      } catch (e) {
        return e as Error;
      }
    })()!;
    expect(err.message.length).toBeLessThan(200);
  });
});

describe('the lifecycle_policy block', () => {
  const template = (policy: unknown) => ({ name: 'devbox', driver: 'localdir', config: {}, lifecycle_policy: policy });

  test('a full policy is kept as written and converts to milliseconds', () => {
    const spec = parseTemplateSpec(
      template({ autostop_after: '8h', autostop_reminder: '30m', stopped_ttl: '1h', dormant_after: '7d', dormant_delete_after: '30d', auto_destroy_reminder: '24h' }),
    );
    expect(spec.lifecycle_policy).toEqual({
      autostop_after: '8h',
      autostop_reminder: '30m',
      stopped_ttl: '1h',
      dormant_after: '7d',
      dormant_delete_after: '30d',
      auto_destroy_reminder: '24h',
    });
    expect(lifecyclePolicyOf(spec.lifecycle_policy)).toEqual({
      autostopAfterMs: 8 * 3_600_000,
      autostopReminderMs: 1_800_000,
      stoppedTtlMs: 3_600_000,
      dormantAfterMs: 7 * 86_400_000,
      dormantDeleteAfterMs: 30 * 86_400_000,
      autoDestroyReminderMs: 86_400_000,
    });
  });

  test('an empty block, an empty list and null turn nothing on', () => {
    for (const empty of [{}, [], null, [{}]]) expect(parseTemplateSpec(template(empty)).lifecycle_policy).toBeUndefined();
  });

  test.each([
    [{ autostop_after: '8' }, ['lifecycle_policy', 'autostop_after'], /missing unit/],
    [{ autostop_reminder: '10m' }, ['lifecycle_policy', 'autostop_reminder'], /needs autostop_after/],
    [{ autostop_after: '1h', autostop_reminder: '1h' }, ['lifecycle_policy', 'autostop_reminder'], /must be shorter than autostop_after/],
    [{ autostop_after: '1h', autostop_reminder: '2h' }, ['lifecycle_policy', 'autostop_reminder'], /must be shorter than autostop_after/],
    [{ dormant_delete_after: '30d' }, ['lifecycle_policy', 'dormant_delete_after'], /needs dormant_after/],
    [{ stopped_ttl: '400d' }, ['lifecycle_policy', 'stopped_ttl'], /at most 365d/],
    [{ autostop: '8h' }, ['lifecycle_policy', 'autostop'], /unknown attribute/],
  ])('%j is refused at its path', (policy, path, why) => {
    let err: ValidationError | undefined;
    try {
      parseTemplateSpec(template(policy));
    } catch (e) {
      err = e as ValidationError;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err!.errors).toEqual([{ path, message: expect.stringMatching(why) }]);
  });

  test('two blocks are refused', () => {
    expect(() => parseTemplateSpec(template([{ stopped_ttl: '1h' }, { stopped_ttl: '2h' }]))).toThrow(/at most one lifecycle_policy block/);
  });

  test('at plan time an unknown value skips its own checks and the rules that need it', () => {
    const UNKNOWN = Symbol('unknown');
    const isUnknown = (v: unknown) => v === UNKNOWN;
    expect(validateTemplateFields(template({ autostop_after: UNKNOWN, autostop_reminder: '10m' }), isUnknown)).toEqual([]);
    expect(validateTemplateFields(template({ dormant_after: UNKNOWN, dormant_delete_after: '30d' }), isUnknown)).toEqual([]);
    expect(validateTemplateFields(template({ autostop_after: UNKNOWN, stopped_ttl: '0s' }), isUnknown)).toEqual([
      { path: ['lifecycle_policy', 'stopped_ttl'], message: expect.stringMatching(/greater than zero/) },
    ]);
  });
});

describe('instants', () => {
  test.each([
    ['2026-12-24T18:00:00Z', Date.UTC(2026, 11, 24, 18)],
    ['2026-12-24T19:00:00+01:00', Date.UTC(2026, 11, 24, 18)],
    ['2026-12-24 18:00:00.250z', Date.UTC(2026, 11, 24, 18, 0, 0, 250)],
  ])('%s', (text, ms) => expect(parseInstant(text)).toBe(ms));

  test.each([
    ['2026-12-24T18:00:00', /time zone/],
    ['2026-02-29T00:00:00Z', /out of range/],
    ['2026-12-24T24:00:00Z', /out of range/],
    ['2026-12-24T18:00:00+24:00', /offset is out of range/],
    ['tomorrow', /RFC 3339/],
  ])('%s is refused', (text, why) => expect(() => parseInstant(text)).toThrow(why));
});

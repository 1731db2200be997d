import { test } from '@jest/globals';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../../controller/domain/duration';

const M = 60_000;
const H = 60 * M;

test('parseDuration accepts Go-style durations', () => {
  const cases: Array<[string, number]> = [
    ['30m', 30 * M],
    ['1h30m', 90 * M],
    ['90s', 90_000],
    ['1.5h', 90 * M],
    ['0.1h', 6 * M],
    ['.5h', 30 * M],
    ['1.h', H],
    ['0s', 0],
    ['0', 0],
    ['250ms', 250],
    ['1h0m0s', H],
    ['24h', 24 * H],
    ['1m30s500ms', 90_500],
    ['2h45m', 165 * M],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test('parseDuration rejects bad durations with a clear message', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /must not be empty/],
    ['-30m', /must not be negative/],
    ['+30m', /must not have a sign/],
    ['30', /missing unit in "30"/],
    ['1.5', /missing unit/],
    ['abc', /invalid duration "abc"/],
    ['30 m', /invalid duration/],
    ['1h30', /invalid duration "1h30"/],
    ['5d', /unknown unit "d"/],
    ['10ns', /unknown unit "ns"/],
    ['10us', /unknown unit "us"/],
    ['1.5ms', /not a whole number of milliseconds/],
    ['m', /invalid duration/],
    ['99999999999999999h', /too large/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseDuration(text), re, text);
});

test('formatDuration is compact and round-trips', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(90 * M), '1h30m');
  assert.equal(formatDuration(30 * M), '30m');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(1_500), '1s500ms');
  assert.equal(formatDuration(24 * H), '24h');
  assert.equal(formatDuration(-30 * M), '-30m');
  for (const ms of [1, 999, 1000, 59_999, 3_600_001, 86_400_000, 123_456_789]) {
    assert.equal(parseDuration(formatDuration(ms)), ms);
  }
});

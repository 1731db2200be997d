import { describe, expect, test } from '@jest/globals';
import { backoffMs, BACKOFF_CAP_MS, decideOutcome, nominalBackoffMs, RETRY_WINDOW_MS } from '../../../controller/notify/delivery-backoff';

const H = 3_600_000;
const fail = { ok: false, status: 500, error: 'HTTP 500: down', latencyMs: 12 };

describe('nominalBackoffMs', () => {
  test('10 s doubling per failed attempt, capped at 1 h', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(nominalBackoffMs)).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000, 2_560_000, 3_600_000,
    ]);
    expect(nominalBackoffMs(11)).toBe(H);
    expect(nominalBackoffMs(10_000)).toBe(H);
    expect(nominalBackoffMs(Number.MAX_SAFE_INTEGER)).toBe(H);
  });

  test('an attempt count below 1 reads as the first failure', () => {
    expect(nominalBackoffMs(0)).toBe(10_000);
    expect(nominalBackoffMs(-3)).toBe(10_000);
  });
});

describe('backoffMs (jitter)', () => {
  test('spans 0.75× to 1.25× of the nominal wait', () => {
    expect(backoffMs(1, () => 0)).toBe(7_500);
    expect(backoffMs(1, () => 0.5)).toBe(10_000);
    expect(backoffMs(1, () => 0.999999)).toBe(12_500);
    expect(backoffMs(3, () => 0)).toBe(30_000);
  });

  test('never exceeds 1 h, even at the cap with maximal jitter', () => {
    expect(backoffMs(9, () => 0.99)).toBe(Math.round(2_560_000 * 1.245));
    expect(backoffMs(10, () => 0.99)).toBe(BACKOFF_CAP_MS);
    expect(backoffMs(50, () => 0)).toBe(0.75 * H);
  });

  test('an out-of-range random value is clamped', () => {
    expect(backoffMs(1, () => 7)).toBe(12_500);
    expect(backoffMs(1, () => -1)).toBe(7_500);
  });
});

describe('decideOutcome', () => {
  const windowStart = 1_000_000;

  test('a 2xx is delivered, whatever the attempt or the time', () => {
    const ok = { ok: true, status: 204, error: '', latencyMs: 5 };
    expect(decideOutcome(ok, { attempts: 0, windowStart }, windowStart, () => 0.5)).toEqual({ kind: 'delivered', status: 204, latencyMs: 5 });
    expect(decideOutcome(ok, { attempts: 40, windowStart }, windowStart + 2 * RETRY_WINDOW_MS, () => 0.5)).toEqual({ kind: 'delivered', status: 204, latencyMs: 5 });
  });

  test('the first failure retries after about 10 s; the attempts so far set the wait', () => {
    const now = windowStart + 5;
    expect(decideOutcome(fail, { attempts: 0, windowStart }, now, () => 0.5)).toEqual({ kind: 'retry', status: 500, error: 'HTTP 500: down', latencyMs: 12, nextAttemptAt: now + 10_000 });
    expect(decideOutcome(fail, { attempts: 3, windowStart }, now, () => 0.5)).toMatchObject({ kind: 'retry', nextAttemptAt: now + 80_000 });
    expect(decideOutcome(fail, { attempts: 20, windowStart }, now, () => 0)).toMatchObject({ kind: 'retry', nextAttemptAt: now + 0.75 * H });
  });

  test('a retry never goes past the window end: there is one last try exactly at 24 h', () => {
    const now = windowStart + RETRY_WINDOW_MS - 60_000;
    expect(decideOutcome(fail, { attempts: 20, windowStart }, now, () => 0.5)).toMatchObject({ kind: 'retry', nextAttemptAt: windowStart + RETRY_WINDOW_MS });
  });

  test('a failure at or after the window end gives up', () => {
    for (const now of [windowStart + RETRY_WINDOW_MS, windowStart + RETRY_WINDOW_MS + 1, windowStart + 3 * RETRY_WINDOW_MS]) {
      expect(decideOutcome(fail, { attempts: 25, windowStart }, now, () => 0.5)).toEqual({ kind: 'failed', status: 500, error: 'HTTP 500: down', latencyMs: 12 });
    }
    expect(decideOutcome(fail, { attempts: 25, windowStart }, windowStart + RETRY_WINDOW_MS - 1, () => 0.5).kind).toBe('retry');
  });

  test('no answer keeps a null status; an empty error is given a text', () => {
    const refused = { ok: false, status: null, error: 'connection refused', latencyMs: 1 };
    expect(decideOutcome(refused, { attempts: 0, windowStart }, windowStart, () => 0.5)).toMatchObject({ kind: 'retry', status: null, error: 'connection refused' });
    expect(decideOutcome({ ok: false, status: null, error: '', latencyMs: 1 }, { attempts: 0, windowStart }, windowStart, () => 0.5)).toMatchObject({ error: 'no answer' });
    expect(decideOutcome({ ok: false, status: 418, error: '', latencyMs: 1 }, { attempts: 0, windowStart }, windowStart, () => 0.5)).toMatchObject({ error: 'HTTP 418' });
  });

  test('a simulated outage: the waits grow, cap at 1 h, and the delivery fails at the 24 h mark after about 32 attempts', () => {
    let now = windowStart;
    let attempts = 0;
    const waits: number[] = [];
    for (;;) {
      const o = decideOutcome(fail, { attempts, windowStart }, now, () => 0.5);
      attempts++;
      if (o.kind !== 'retry') {
        expect(o.kind).toBe('failed');
        break;
      }
      waits.push(o.nextAttemptAt - now);
      now = o.nextAttemptAt;
    }
    expect(now).toBe(windowStart + RETRY_WINDOW_MS);
    expect(waits.slice(0, 4)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(Math.max(...waits)).toBe(H);
    expect(attempts).toBeGreaterThan(25);
    expect(attempts).toBeLessThan(40);
  });
});

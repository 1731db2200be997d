import { describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { signPayload, verifySignature } from '../../../controller/net/signature';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"id":1,"key":"k","event":"test"}';
const T = 1_772_956_800;

describe('signPayload', () => {
  test('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(signPayload(SECRET, BODY, T)).toBe(`t=${T},v1=${expected}`);
    expect(signPayload(SECRET, BODY, T + 0.9)).toBe(`t=${T},v1=${expected}`);
    expect(signPayload(SECRET, Buffer.from(BODY), T)).toBe(`t=${T},v1=${expected}`);
  });
});

describe('verifySignature', () => {
  const header = signPayload(SECRET, BODY, T);

  test('a valid signature within the tolerance passes', () => {
    expect(verifySignature(SECRET, BODY, header, T)).toEqual({ ok: true });
    expect(verifySignature(SECRET, Buffer.from(BODY), header, T + 300)).toEqual({ ok: true });
    expect(verifySignature(SECRET, BODY, header, T - 300)).toEqual({ ok: true });
  });

  test('a tampered body, another secret or a changed timestamp fails', () => {
    expect(verifySignature(SECRET, BODY.replace('test', 'tost'), header, T)).toEqual({ ok: false, reason: 'signature does not match the body' });
    expect(verifySignature(`${SECRET}x`, BODY, header, T)).toEqual({ ok: false, reason: 'signature does not match the body' });
    expect(verifySignature(SECRET, BODY, header.replace(`t=${T}`, `t=${T + 1}`), T)).toEqual({ ok: false, reason: 'signature does not match the body' });
  });

  test('an old or future timestamp fails even with a valid signature', () => {
    expect(verifySignature(SECRET, BODY, header, T + 301)).toEqual({ ok: false, reason: 'timestamp too old (301s, tolerance 300s)' });
    expect(verifySignature(SECRET, BODY, header, T - 301)).toEqual({ ok: false, reason: 'timestamp in the future (301s ahead, tolerance 300s)' });
    expect(verifySignature(SECRET, BODY, header, T + 30, 10)).toMatchObject({ ok: false, reason: expect.stringMatching(/too old/) });
  });

  test('several v1 entries: any one matching passes; unknown entries are ignored', () => {
    const good = header.split(',')[1];
    expect(verifySignature(SECRET, BODY, `t=${T},v1=${'0'.repeat(64)},${good}`, T)).toEqual({ ok: true });
    expect(verifySignature(SECRET, BODY, `${header},v0=abc`, T)).toEqual({ ok: true });
  });

  test.each([
    [undefined, /missing/],
    ['', /missing/],
    ['garbage', /malformed signature header/],
    [`t=${T}`, /no v1 signature/],
    [`v1=${'a'.repeat(64)}`, /no timestamp/],
    [`t=abc,v1=${'a'.repeat(64)}`, /malformed timestamp/],
    [`t=${T},t=${T},v1=${'a'.repeat(64)}`, /malformed timestamp/],
    [`t=${T},v1=xyz`, /malformed v1 signature/],
    [`t=${T},v1=${'a'.repeat(63)}`, /malformed v1 signature/],
    [`t=${T},,v1=${'a'.repeat(64)}`, /malformed signature header/],
  ])('malformed header %p is refused', (h, reason) => {
    const r = verifySignature(SECRET, BODY, h, T);
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.reason).toMatch(reason);
  });
});

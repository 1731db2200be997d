/**
 * The X-Prewarm-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The timestamp is
 * signed with the body, so a receiver that checks its age rejects a replayed request, not only a forged one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Prewarm-Signature';
/** How old (or how far ahead) a signature may be before verifySignature rejects it. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, unixSeconds: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
}

/** The header value for `body` signed at `unixSeconds`. */
export function signPayload(secret: string, body: string | Buffer, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks a header against the body as received (the exact bytes). Several v1 entries are allowed (any one may
 * match); unknown entries are ignored so a later scheme can be added alongside.
 */
export function verifySignature(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): VerifyResult {
  if (typeof header !== 'string' || header.trim() === '') return { ok: false, reason: 'missing signature header' };
  let t: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'malformed signature header (expected t=<seconds>,v1=<hex>)' };
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (!/^\d{1,15}$/.test(value) || t !== undefined) return { ok: false, reason: 'malformed timestamp in signature header' };
      t = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return { ok: false, reason: 'malformed v1 signature (expected 64 hex characters)' };
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (t === undefined) return { ok: false, reason: 'no timestamp (t=) in signature header' };
  if (signatures.length === 0) return { ok: false, reason: 'no v1 signature in signature header' };
  const age = nowSeconds - t;
  if (age > toleranceSeconds) return { ok: false, reason: `timestamp too old (${Math.floor(age)}s, tolerance ${toleranceSeconds}s)` };
  if (-age > toleranceSeconds) return { ok: false, reason: `timestamp in the future (${Math.floor(-age)}s ahead, tolerance ${toleranceSeconds}s)` };
  const expected = Buffer.from(hmacHex(secret, t, body), 'hex');
  // Every candidate is compared in full, so the time taken says nothing about which bytes matched.
  let match = false;
  for (const s of signatures) match = timingSafeEqual(s, expected) || match;
  return match ? { ok: true } : { ok: false, reason: 'signature does not match the body' };
}

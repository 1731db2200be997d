/**
 * One webhook POST. Bounded in every direction, because the receiver is someone else's server: no redirects (a
 * signed request must reach only the URL configured), at most 64 KiB of response read, a timeout on the
 * controller's clock, and a refusal when the connection would reach this controller's own ports (a host
 * name that DNS points back at us would otherwise make the controller post into itself).
 */
import type { Clock } from '../clock/clock';
import { exchange } from '../net/exchange';
import { isLocalAddress } from '../net/local-address';
import { boundedText, MAX_ERROR_CHARS, USER_AGENT } from '../net/outbound';

export { boundedText, isLocalAddress, MAX_ERROR_CHARS, USER_AGENT };
/** Response bytes read at most; the connection is dropped after that. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface WebhookRequest {
  url: string;
  body: string;
  event: string;
  /** The delivery's dedupe key (X-Prewarm-Delivery). */
  key: string;
  /** The X-Prewarm-Signature value. */
  signature: string;
  timeoutMs: number;
  clock: Clock;
  /** The ports this controller listens on; a connection reaching one of them on this machine is aborted. */
  ownPorts: () => readonly number[];
  signal?: AbortSignal;
}

export interface SendResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  /** The HTTP status, or null when there was no answer (refused, timed out, aborted, …). */
  status: number | null;
  /** Why it failed ('' when ok): bounded, without control characters. */
  error: string;
  latencyMs: number;
}

export function webhookHeaders(r: Pick<WebhookRequest, 'event' | 'key' | 'signature' | 'body'>): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(r.body)),
    'User-Agent': USER_AGENT,
    'X-Prewarm-Event': r.event,
    'X-Prewarm-Delivery': r.key,
    'X-Prewarm-Signature': r.signature,
  };
}

function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** POSTs the body once; never throws, never follows a redirect. */
export async function postWebhook(req: WebhookRequest): Promise<SendResult> {
  const started = performance.now();
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    // Validated at put time; a damaged row must still end as a failed attempt, never a stuck delivery.
    return { ok: false, status: null, error: 'the target URL does not parse', latencyMs: 0 };
  }
  const r = await exchange({
    method: 'POST',
    url,
    headers: webhookHeaders(req),
    body: req.body,
    timeoutMs: req.timeoutMs,
    clock: req.clock,
    ownPorts: req.ownPorts,
    signal: req.signal,
    // Enough for the excerpt: a huge answer must not hold the connection or the memory.
    maxBodyBytes: MAX_RESPONSE_BYTES,
  });
  const latencyMs = Math.round(performance.now() - started);
  const result = (ok: boolean, status: number | null, error: string): SendResult => ({ ok, status, error: ok ? '' : boundedText(error), latencyMs });
  if (r.kind === 'failed') {
    // A 2xx already received counts even if the rest of its body never comes.
    if (r.status !== null && r.status >= 200 && r.status < 300) return result(true, r.status, '');
    const error = r.why === 'timeout' ? `timed out after ${durationText(req.timeoutMs)}` : r.why === 'aborted' ? 'aborted: the controller is stopping' : r.error;
    return result(false, r.status, error);
  }
  if (r.status >= 200 && r.status < 300) return result(true, r.status, '');
  if (r.status >= 300 && r.status < 400) return result(false, r.status, `HTTP ${r.status} (redirects are not followed)`);
  const excerpt = boundedText(r.body.toString('utf8'));
  return result(false, r.status, excerpt === '' ? `HTTP ${r.status}` : `HTTP ${r.status}: ${excerpt}`);
}

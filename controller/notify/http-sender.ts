/**
 * One webhook POST. Bounded in every direction, because the receiver is someone else's server: no redirects (a
 * signed request must reach only the URL configured), at most 64 KiB of response read, a timeout on the
 * controller's clock, and a refusal when the connection would reach this controller's own ports (a host
 * name that DNS points back at us would otherwise make the controller post into itself).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Clock } from '../clock/clock';
import { isLocalAddress } from '../net/local-address';
import { boundedText, connectedToOwnPort, guardedLookup, MAX_ERROR_CHARS, networkError, USER_AGENT } from '../net/outbound';

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
export function postWebhook(req: WebhookRequest): Promise<SendResult> {
  const started = performance.now();
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    // Validated at put time; a damaged row must still end as a failed attempt, never a stuck delivery.
    return Promise.resolve({ ok: false, status: null, error: 'the target URL does not parse', latencyMs: 0 });
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let done = false;
    let status: number | null = null;
    let request: http.ClientRequest | undefined;
    const finish = (ok: boolean, error: string) => {
      if (done) return;
      done = true;
      timer.cancel();
      req.signal?.removeEventListener('abort', onAbort);
      request?.destroy();
      resolve({ ok, status, error: ok ? '' : boundedText(error), latencyMs: Math.round(performance.now() - started) });
    };
    // A 2xx already received counts even if the rest of its body never comes.
    const failOrKeep = (error: string) => (status !== null && status >= 200 && status < 300 ? finish(true, '') : finish(false, error));
    const onAbort = () => failOrKeep('aborted: the controller is stopping');
    const timer = req.clock.setTimer(req.timeoutMs, () => failOrKeep(`timed out after ${durationText(req.timeoutMs)}`));
    if (req.signal?.aborted) return onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });

    try {
      request = transport.request(url, {
        method: 'POST',
        headers: webhookHeaders(req),
        // A fresh connection each time: the own-port check below sees every connection, and a receiver's
        // half-dead keep-alive socket cannot eat an attempt.
        agent: false,
        // A host name that resolves to this machine on one of its own ports is refused before connecting, so not
        // even a TLS hello reaches the controller; the socket check below covers literal addresses.
        lookup: guardedLookup(url, req.ownPorts),
      });
    } catch (err) {
      return finish(false, (err as Error).message);
    }
    // Nothing is written before the connection is known not to reach this controller: the headers and body wait
    // for the check.
    request.on('socket', (socket: Socket) => {
      const check = () => {
        if (done) return;
        const refusal = connectedToOwnPort(socket, url, req.ownPorts);
        if (refusal) return finish(false, refusal);
        request?.end(req.body);
      };
      if (socket.connecting) socket.once('connect', check);
      else check();
    });
    request.on('response', (res) => {
      status = res.statusCode ?? null;
      const s = status ?? 0;
      if (s >= 300 && s < 400) {
        res.destroy();
        return finish(false, `HTTP ${s} (redirects are not followed)`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const settle = () => {
        if (s >= 200 && s < 300) return finish(true, '');
        const excerpt = boundedText(Buffer.concat(chunks).toString('utf8'));
        finish(false, excerpt === '' ? `HTTP ${s}` : `HTTP ${s}: ${excerpt}`);
      };
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        chunks.push(chunk);
        size += chunk.length;
        // Enough read: the excerpt needs far less, and a huge answer must not hold the connection or the memory.
        if (size >= MAX_RESPONSE_BYTES) settle();
      });
      res.on('end', settle);
      res.on('error', () => settle());
      res.on('aborted', () => settle());
    });
    request.on('error', (err) => failOrKeep(networkError(err as NodeJS.ErrnoException, url)));
  });
}

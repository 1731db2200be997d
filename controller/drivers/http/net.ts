/**
 * The network primitives the http driver shares in behaviour with webhook delivery: the X-Prewarm-Signature scheme,
 * the User-Agent, bounded one-line error text, and the DNS lookup that refuses this controller's own ports.
 *
 * Copies rather than imports: controller/notify builds on the loop and the services, which run drivers, so an import
 * from here into notify (or into service, where isLocalAddress lives) would be an import cycle between the folders.
 * test/unit/drivers/http-driver.test.ts checks that each copy agrees with the original, so the two cannot drift.
 */
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import * as os from 'node:os';
import packageJson from '../../../package.json';

export const USER_AGENT = `prewarm/${packageJson.version}`;
export const SIGNATURE_HEADER = 'X-Prewarm-Signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as notifications sign. */
export function signPayload(secret: string, body: string | Buffer, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** One line, control characters turned into spaces, at most `max` characters (an ellipsis marks a cut). */
export function boundedText(s: string, max = 200): string {
  const flat = s.replace(CONTROL, ' ').replace(/\s{2,}/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

/** The URL parser writes an IPv4-mapped IPv6 address in hex (::ffff:7f00:1); read it as the IPv4 address it is. */
function unmapV4(host: string): string {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!m) return /^::ffff:\d+\./.test(host) ? host.slice(7) : host;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether an IP address is this machine: loopback, unspecified or one of its interfaces. */
export function isLocalAddress(address: string): boolean {
  const a = unmapV4(address.replace(/^\[|\]$/g, '').toLowerCase()).replace(/%.*$/, '');
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a) || a === '0.0.0.0' || a === '::1' || a === '::') return true;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const i of addrs ?? []) if (i.address.toLowerCase().replace(/%.*$/, '') === a) return true;
  }
  return false;
}

/** The refusal for a request to `url` that would reach this controller's own `port`. */
export function ownPortRefusal(url: URL, port: number): string {
  return `refused: ${url.origin}${url.pathname} reaches this controller's own port ${port}`;
}

/**
 * A DNS lookup for `url` that fails with code EOWNPORT when the name resolves to this machine and the port is one of
 * the controller's own, so not even a TLS hello reaches the controller.
 */
export function guardedLookup(url: URL, ownPorts: () => readonly number[]): LookupFunction {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      if (ownPorts().includes(port) && addresses.some((a) => isLocalAddress(a.address))) {
        return callback(Object.assign(new Error(ownPortRefusal(url, port)), { code: 'EOWNPORT' }), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** A failed connection or request as a short reason. */
export function networkError(err: NodeJS.ErrnoException, url: URL): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset by the receiver';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `cannot resolve host ${url.hostname}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable: ${url.hostname}`;
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_STATUS':
      return 'the receiver did not answer with HTTP';
    default:
      return err.code && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/.test(err.code) ? `TLS: ${err.message}` : err.message || String(err.code ?? 'request failed');
  }
}

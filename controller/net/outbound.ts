/**
 * What every request the controller sends to someone else's server shares (webhook deliveries, the http driver):
 * the User-Agent, bounded one-line error text, failed connections as short reasons, and the DNS lookup that refuses
 * this controller's own ports, so a host name that resolves back to us cannot make the controller call itself.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction, Socket } from 'node:net';
import packageJson from '../../package.json';
import { isLocalAddress } from './local-address';

export const USER_AGENT = `prewarm/${packageJson.version}`;
/** Longest error text kept (it ends up in job and delivery errors, and on screen). */
export const MAX_ERROR_CHARS = 200;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** One line, control characters turned into spaces, at most `max` characters (an ellipsis marks a cut). */
export function boundedText(s: string, max = MAX_ERROR_CHARS): string {
  const flat = s.replace(CONTROL, ' ').replace(/\s{2,}/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
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

/**
 * The refusal when a connected socket reaches this controller's own port on this machine, else null. Checked on the
 * socket as well as at lookup, because a literal address in the URL skips the lookup.
 */
export function connectedToOwnPort(socket: Socket, url: URL, ownPorts: () => readonly number[]): string | null {
  const port = socket.remotePort;
  const address = socket.remoteAddress;
  if (port === undefined || address === undefined) return null;
  return ownPorts().includes(port) && isLocalAddress(address) ? ownPortRefusal(url, port) : null;
}

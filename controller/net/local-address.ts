import * as os from 'node:os';

/** The URL parser writes an IPv4-mapped IPv6 address in hex (::ffff:7f00:1); read it as the IPv4 address it is. */
function unmapV4(host: string): string {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!m) return /^::ffff:\d+\./.test(host) ? host.slice(7) : host;
  const hi = parseInt(m[1], 16);
  const lo = parseInt(m[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** An address or host name as a URL, a socket or a DNS lookup writes it, brackets and mapping taken off. */
function plainAddress(address: string): string {
  return unmapV4(address.replace(/^\[|\]$/g, '').toLowerCase()).replace(/%.*$/, '');
}

function isLoopbackAddress(a: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a) || a === '::1';
}

/** A URL host that can only mean this machine's loopback (`localhost`, 127/8, ::1), where traffic never crosses a network. */
export function isLoopbackHostname(hostname: string): boolean {
  const a = plainAddress(hostname);
  return a === 'localhost' || isLoopbackAddress(a);
}

/**
 * Whether an IP address (as a URL, a socket or a DNS lookup writes it) is this machine: loopback, unspecified or one
 * of its interfaces. Used at put time on the URL and at send time on where the name resolved, so a webhook cannot be
 * pointed back into the controller.
 */
export function isLocalAddress(address: string): boolean {
  const a = plainAddress(address);
  if (isLoopbackAddress(a) || a === '0.0.0.0' || a === '::') return true;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const i of addrs ?? []) if (i.address.toLowerCase().replace(/%.*$/, '') === a) return true;
  }
  return false;
}

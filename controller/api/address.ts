/**
 * HOST:PORT parsing shared by the server (listen addresses), the client (endpoints) and the CLI (flag checks),
 * so all three accept and reject the same spellings.
 */

export interface HostPort {
  /** Without brackets, also for IPv6 (`::1`). */
  host: string;
  port: number;
}

export const DEFAULT_API_PORT = 7420;

/**
 * Parses `host:port`, `[v6addr]:port`. Throws an Error whose message says what is wrong (callers prefix the
 * flag or option name). `defaultPort` makes the port optional.
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const s = text.trim();
  if (s === '') throw new Error('is empty; expected HOST:PORT');
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw new Error(`"${text}" has an unclosed "["; expected [IPV6]:PORT`);
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new Error(`"${text}" is not HOST:PORT`);
      portText = rest.slice(1);
    }
  } else {
    const colons = s.split(':').length - 1;
    if (colons > 1) throw new Error(`"${text}" looks like a bare IPv6 address; write it as [ADDRESS]:PORT`);
    const at = s.lastIndexOf(':');
    host = at < 0 ? s : s.slice(0, at);
    portText = at < 0 ? undefined : s.slice(at + 1);
  }
  if (host === '') throw new Error(`"${text}" has no host; expected HOST:PORT (e.g. 127.0.0.1:7420)`);
  if (/[\s/\\@?#]/.test(host)) throw new Error(`"${text}" has an invalid host "${host}"`);
  let port: number;
  if (portText === undefined) {
    if (defaultPort === undefined) throw new Error(`"${text}" has no port; expected HOST:PORT (e.g. 127.0.0.1:7420)`);
    port = defaultPort;
  } else {
    if (!/^\d{1,5}$/.test(portText)) throw new Error(`"${text}" has an invalid port "${portText}"`);
    port = Number(portText);
    if (port > 65535) throw new Error(`"${text}" has port ${port}, above 65535`);
  }
  return { host, port };
}

/** Renders for grpc-js and for humans: IPv6 hosts get brackets. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/**
 * True for names and literals that can only reach this machine. Anything else (including 0.0.0.0 and ::,
 * which listen on every interface) counts as network-reachable and needs TLS or an explicit opt-out.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  return m !== null && m[1] === '127' && m.slice(1).every((o) => Number(o) <= 255);
}

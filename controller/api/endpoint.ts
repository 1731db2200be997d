/**
 * The controller's API endpoint as users write it (HOST:PORT, https://HOST:PORT, http://HOST:PORT): parsed and checked
 * here, apart from the client, so that callers which only check an endpoint (the Terraform provider at plan time) do
 * not load grpc-js.
 */
import { DEFAULT_API_PORT, formatHostPort, isLoopbackHost, parseHostPort } from './address';

export const DEFAULT_ENDPOINT = `127.0.0.1:${DEFAULT_API_PORT}`;

/** The client options that imply TLS. */
export interface EndpointTlsOptions {
  caCert?: Buffer | string;
  insecure?: boolean;
  clientCert?: Buffer | string;
  clientKey?: Buffer | string;
}

export interface ParsedEndpoint {
  /** What grpc-js dials: HOST:PORT. */
  target: string;
  tls: boolean;
}

/** Endpoint text + options → dial target and whether to use TLS. Throws with a message naming the endpoint. */
export function parseEndpoint(endpoint: string, opts: EndpointTlsOptions = {}): ParsedEndpoint {
  const text = endpoint.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  let rest = text;
  let tls = opts.caCert !== undefined || opts.insecure === true || opts.clientCert !== undefined;
  if (scheme !== null) {
    const name = scheme[1].toLowerCase();
    if (name === 'https') tls = true;
    else if (name === 'http') {
      if (tls) throw new Error(`endpoint "${endpoint}" says http:// but TLS options (CA certificate, insecure, client certificate) were given`);
    } else throw new Error(`endpoint "${endpoint}" has unsupported scheme "${scheme[1]}"; use HOST:PORT or https://HOST:PORT`);
    rest = text.slice(scheme[0].length).replace(/\/+$/, '');
  }
  if (rest.includes('/')) throw new Error(`endpoint "${endpoint}" must be HOST:PORT or https://HOST:PORT, without a path`);
  let hp: ReturnType<typeof parseHostPort>;
  try {
    hp = parseHostPort(rest, DEFAULT_API_PORT);
  } catch (err) {
    throw new Error(`invalid endpoint: ${(err as Error).message}`);
  }
  // The bearer token travels in every call: over the network it goes encrypted unless the operator wrote
  // http:// on purpose (the controller applies the same rule to where it listens).
  if (!tls && scheme === null && !isLoopbackHost(hp.host)) {
    throw new Error(
      `endpoint "${endpoint}" is not a loopback address, and the API token must not cross the network in cleartext: ` +
        `use https://${formatHostPort(hp)} (TLS), or write http://${formatHostPort(hp)} to send it unencrypted on purpose`,
    );
  }
  return { target: formatHostPort(hp), tls };
}

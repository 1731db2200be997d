/**
 * The API client's transport and authentication errors, told in Terraform's words.
 *
 * controller/api/status.ts phrases them for the prewarm CLI ("set --endpoint or PREWARM_ENDPOINT", "pass
 * --client-cert and --client-key"). A Terraform user has no such flags: they set attributes of the provider block
 * or PREWARM_* variables. The client the provider uses is wrapped so each ApiError it rejects with is rewritten here:
 * the cause stays, the advice names the attribute or variable the value actually came from.
 *
 * One failure needs more than rewording. A controller started with --tls-client-ca that does not accept the
 * certificate it is shown (signed by another CA, expired, not for client authentication) completes the TLS
 * handshake and then closes the connection without a word, and grpc-js reports only "Failed to connect": the
 * same "cannot reach the controller (is it running?)" as a controller that is not there. When a client certificate
 * is configured and a call fails that way, a single TLS connection is opened with the same settings to find out,
 * and the error then says that the certificate was refused, and which certificate it was.
 */
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { PrewarmClient } from '../controller/api/client';
import { parseEndpoint } from '../controller/api/endpoint';
import { parseHostPort } from '../controller/api/address';
import { ApiError, cleanDetails } from '../controller/api/api-error';
import { Status } from './server/grpc-status';
import type { ResolvedConfig } from './config';

/** CLI flags → the provider attribute of the same setting. */
const FLAG_ATTRIBUTE: Record<string, string> = {
  endpoint: 'endpoint',
  token: 'token',
  'ca-cert': 'ca_cert',
  insecure: 'insecure',
  'client-cert': 'client_cert',
  'client-key': 'client_key',
};

/**
 * Any client-side flag in a message → the provider attribute. The fallback for messages this module has no
 * specific wording for; controller flags (--tls-client-ca, --rotate-token) are left alone, they are the operator's.
 */
export function terraformPhrasing(text: string): string {
  return text.replace(/(^|[^\w-])--(endpoint|token|ca-cert|insecure|client-cert|client-key)(?![\w-])/g, (_, pre: string, flag: string) => `${pre}${FLAG_ATTRIBUTE[flag]}`);
}

/** The certificate as people recognise it: subject, issuer and validity. */
export function describeCertificate(cert: X509Certificate): string {
  const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');
  return `subject "${oneLine(cert.subject)}", issued by "${oneLine(cert.issuer)}", valid ${cert.validFrom} to ${cert.validTo}`;
}

type Settings = Pick<ResolvedConfig, 'endpoint' | 'caCert' | 'clientCert' | 'clientKey' | 'insecure' | 'sources'>;

/** The failure kinds status.ts words for the CLI, with the cause it reports (grpc-js's, cleaned). */
type Failure =
  | { kind: 'client-certificate-required'; cause: string }
  | { kind: 'tls'; cause: string }
  | { kind: 'unreachable'; cause: string }
  | { kind: 'unauthenticated'; cause: string };

function classify(code: number, message: string): Failure | undefined {
  let m: RegExpExecArray | null;
  if (code === Status.UNAUTHENTICATED) {
    m = /^the prewarm controller at .+? rejected the request: ([\s\S]*?)(?: \(set --token[^)]*\))?$/.exec(message);
    return m ? { kind: 'unauthenticated', cause: m[1] } : undefined;
  }
  if (code !== Status.UNAVAILABLE) return undefined;
  if ((m = /^the prewarm controller at .+? requires a client certificate \(([\s\S]*)\); pass /.exec(message))) {
    return { kind: 'client-certificate-required', cause: m[1] };
  }
  if ((m = /^TLS connection to the prewarm controller at .+? failed: ([\s\S]*?) \(check --ca-cert[^)]*\)$/.exec(message))) {
    return { kind: 'tls', cause: m[1] };
  }
  if ((m = /^cannot reach the prewarm controller at .+? \(is it running\?[^)]*\): ([\s\S]*)$/.exec(message))) {
    return { kind: 'unreachable', cause: m[1] };
  }
  return undefined;
}

export type ProbeResult = { kind: 'accepted' } | { kind: 'refused'; cause: string } | { kind: 'inconclusive'; cause: string };

/**
 * One TLS connection to the controller with the provider's settings, offering HTTP/2 as grpc-js does. A controller
 * that accepts the client certificate speaks first (HTTP/2 SETTINGS); one that does not either sends a TLS alert
 * or, being Node, closes the connection right after the handshake.
 */
export function probeClientCertificate(settings: Settings, timeoutMs = 5000): Promise<ProbeResult> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseHostPort(parseEndpoint(settings.endpoint, settings).target));
  } catch (err) {
    return Promise.resolve({ kind: 'inconclusive', cause: (err as Error).message });
  }
  return new Promise((resolve) => {
    let handshakeDone = false;
    let settled = false;
    const socket = tls.connect({
      host,
      port,
      servername: isIP(host) === 0 ? host : undefined,
      ca: settings.caCert,
      cert: settings.clientCert,
      key: settings.clientKey,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: !settings.insecure,
      ...(settings.insecure ? { checkServerIdentity: () => undefined } : {}),
    });
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ kind: 'inconclusive', cause: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.on('secureConnect', () => {
      handshakeDone = true;
    });
    socket.on('data', () => finish({ kind: 'accepted' }));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const cause = cleanDetails(err.message);
      // An alert from the server about our certificate, or a reset right after a handshake that went through.
      if (/alert/i.test(cause) && /certificate|unknown ca|access denied|handshake failure/i.test(cause)) finish({ kind: 'refused', cause });
      else if (handshakeDone) finish({ kind: 'refused', cause: `the connection failed right after the TLS handshake (${cause})` });
      else finish({ kind: 'inconclusive', cause });
    });
    socket.on('close', () => {
      if (handshakeDone) finish({ kind: 'refused', cause: 'the controller closed the connection right after the TLS handshake, without a word' });
      else finish({ kind: 'inconclusive', cause: 'the connection closed during the TLS handshake' });
    });
  });
}

function certificateWhere(settings: Settings): string {
  return settings.sources.client_cert === 'env' ? 'PREWARM_CLIENT_CERT' : 'client_cert';
}

function certificateSummary(settings: Settings): string {
  if (settings.clientCert === undefined) return '';
  try {
    return ` (${describeCertificate(new X509Certificate(settings.clientCert))})`;
  } catch {
    return '';
  }
}

function refusedMessage(endpoint: string, settings: Settings, cause: string): string {
  return (
    `the prewarm controller at ${endpoint} did not accept the client certificate of ${certificateWhere(settings)}` +
    `${certificateSummary(settings)}: ${cause}. A controller started with --tls-client-ca accepts only certificates ` +
    'signed by that CA, within their validity period and, when they list extended key usages, for client ' +
    'authentication (clientAuth). Set client_cert and client_key (or PREWARM_CLIENT_CERT and PREWARM_CLIENT_KEY) to ' +
    'such a certificate and its key.'
  );
}

function endpointAdvice(settings: Settings, tlsInUse: boolean): string {
  const where =
    settings.sources.endpoint === 'config'
      ? 'Is it running, at the address of the provider\'s endpoint attribute?'
      : settings.sources.endpoint === 'env'
        ? 'Is it running, at the address of PREWARM_ENDPOINT (the provider block sets no endpoint)?'
        : 'Is it running? No endpoint is set, so the provider tried the default address: set endpoint in the provider ' +
          'block or the PREWARM_ENDPOINT environment variable.';
  return tlsInUse ? where : `${where} If the controller uses TLS, write the endpoint as https://HOST:PORT or set ca_cert (or PREWARM_CA_CERT).`;
}

function caAdvice(settings: Settings): string {
  switch (settings.sources.ca_cert) {
    case 'config':
      return 'Check ca_cert: it must be the CA certificate that signed the controller\'s certificate.';
    case 'env':
      return 'Check PREWARM_CA_CERT: it must be the CA certificate that signed the controller\'s certificate.';
    default:
      return (
        'No ca_cert is set, so the controller\'s certificate was checked against the system\'s CAs: set ca_cert ' +
        '(or PREWARM_CA_CERT) to the CA certificate that signed it.'
      );
  }
}

/**
 * An error from the API client → the same error in Terraform's words (a new ApiError with the same code), probing
 * the connection when a configured client certificate may be what failed. Anything else is returned unchanged.
 */
export async function terraformApiError(err: unknown, settings: Settings, probe = probeClientCertificate): Promise<unknown> {
  if (!(err instanceof Error) || err.name !== 'ApiError') return err;
  const code = (err as ApiError).code;
  const failure = classify(code, err.message);
  if (failure === undefined) {
    const phrased = terraformPhrasing(err.message);
    return phrased === err.message ? err : new ApiError(phrased, code);
  }
  const endpoint = settings.endpoint.trim();
  let tlsInUse: boolean;
  try {
    tlsInUse = parseEndpoint(settings.endpoint, settings).tls;
  } catch {
    tlsInUse = false;
  }
  const hasClientCert = settings.clientCert !== undefined;

  switch (failure.kind) {
    case 'unauthenticated': {
      const where =
        settings.sources.token === 'config'
          ? 'The token is the provider\'s token attribute'
          : 'The token comes from PREWARM_TOKEN (the provider block sets no token)';
      return new ApiError(
        `the prewarm controller at ${endpoint} rejected the API token: ${failure.cause}. ${where}; set it to the ` +
          'controller\'s token (the controller prints it once, on first start; "prewarm token rotate" makes a new one, also while it runs).',
        code,
      );
    }
    case 'client-certificate-required':
      if (hasClientCert) return new ApiError(refusedMessage(endpoint, settings, failure.cause), code);
      return new ApiError(
        `the prewarm controller at ${endpoint} requires a client certificate (${failure.cause}): it was started with ` +
          '--tls-client-ca, and the provider has none. Set client_cert and client_key in the provider block, or the ' +
          'PREWARM_CLIENT_CERT and PREWARM_CLIENT_KEY environment variables, to a certificate signed by that CA and its key.',
        code,
      );
    case 'tls':
    case 'unreachable': {
      if (hasClientCert && tlsInUse) {
        const probed = await probe(settings);
        if (probed.kind === 'refused') return new ApiError(refusedMessage(endpoint, settings, probed.cause), code);
      }
      if (failure.kind === 'tls') {
        return new ApiError(
          `TLS connection to the prewarm controller at ${endpoint} failed: ${failure.cause}. ${caAdvice(settings)} ` +
            'insecure = true (or PREWARM_INSECURE=true) skips the verification, for tests only; if the controller has no ' +
            'TLS, use a plain HOST:PORT endpoint and leave out ca_cert, client_cert and client_key.',
          code,
        );
      }
      return new ApiError(`cannot reach the prewarm controller at ${endpoint}: ${failure.cause}. ${endpointAdvice(settings, tlsInUse)}`, code);
    }
  }
}

/** The client with every rejection passed through terraformApiError. */
export function withTerraformErrors(client: PrewarmClient, settings: Settings): PrewarmClient {
  return new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'close') return () => fn.call(target);
      return (...args: unknown[]) => {
        const result = fn.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch(async (err: unknown) => {
          throw await terraformApiError(err, settings);
        });
      };
    },
  });
}
